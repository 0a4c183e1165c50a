package dev.nonlin.cli;

import com.google.gson.GsonBuilder;
import dev.nonlin.cli.Explore.Claim;
import dev.nonlin.cli.Explore.DeepRun;
import dev.nonlin.cli.Explore.DyingRun;
import dev.nonlin.cli.Explore.Nonlinearity;
import dev.nonlin.cli.Explore.OutputRun;
import dev.nonlin.cli.Explore.SpiralRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.stream.Collectors;

/**
 * {@code nonlin explore}: the tutorial's four claims about activation functions, shown by training
 * small networks. Writes {@code report.html} (self-contained: the pictures are embedded), the PNGs
 * and {@code explore.json} (every measured figure) to {@code --out}, and prints a summary.
 */
@Command(name = "explore", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains small networks on generated, seeded data to show why non-linearity matters (a spiral "
                + "that a deep linear net cannot learn, and its weights multiplied out into one matrix), how "
                + "gradients vanish through 20 sigmoid layers, how ReLUs die at a high learning rate, which output "
                + "layer goes with which loss, and the usual comparison table of activations measured against its "
                + "claims.",
                "Writes report.html (self-contained), boundaries.png, vanishing.png, dying.png, outputs.png and "
                        + "explore.json to --out, as one set: a run that cannot write one of them replaces none. Without "
                        + "java.desktop it writes the report and explore.json, says why there are no pictures, and "
                        + "removes a previous run's. Takes about 20 s on a 2-core CPU, about 10 s with --quick."})
final class ExploreCommand implements Callable<Integer> {

    @Option(names = "--backend", paramLabel = BackendChoice.VALUES,
            description = "Where to train (default: auto, or NONLIN_BACKEND / -Dnonlin.backend).")
    String backend;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the data and of every initialisation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "nonlin-explore",
            description = "Where the report goes (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quick", description = "Smaller nets and fewer steps: about 10 s.")
    boolean quick;

    @Option(names = "--threads", paramLabel = "N",
            description = "Runs trained at once (default: the number of CPUs, at most 4). Results do not depend on it.")
    Integer threads;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        common.apply();
        int t = threads != null ? threads : Math.min(4, Runtime.getRuntime().availableProcessors());
        if (t < 1) {
            throw new UserError("--threads must be >= 1, got " + t);
        }
        BackendChoice choice = BackendChoice.resolve(backend);
        // before the training: a path that cannot be a directory, or cannot be written, must not cost the run
        OutputDirectory outDir = OutputDirectory.create("--out", out);
        try {
            run(t, choice);
        } catch (Throwable e) {
            outDir.removeIfUnused();        // a failed run leaves no empty directory of its own making
            throw e;
        }
        return Main.OK;
    }

    private void run(int t, BackendChoice choice) throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        Explore.Sizes sizes = Explore.Sizes.of(quick);
        o.printf("nonlin explore: %s (%s); seed %d%s%n", choice.backend().description(), choice.why(), seed,
                quick ? "; --quick" : "");
        o.flush();

        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(t, daemons());
        Nonlinearity n;
        List<DeepRun> deep;
        List<DyingRun> dying;
        List<OutputRun> outputs;
        try {
            Explore e = new Explore(choice.backend(), sizes, seed, pool);
            long t0 = System.nanoTime();
            n = e.nonlinearity();
            summary1(o, n, since(t0));
            long t1 = System.nanoTime();
            deep = e.vanishing();
            summary2(o, deep, since(t1));
            long t2 = System.nanoTime();
            dying = e.dying();
            summary3(o, dying, since(t2));
            long t3 = System.nanoTime();
            outputs = e.outputs();
            summary4(o, outputs, since(t3));
        } finally {
            pool.shutdownNow();
        }
        List<Claim> claims = Explore.claims(n, deep, dying);
        double seconds = (System.nanoTime() - start) / 1e9;
        List<String> disagreements = ExploreReport.disagreements(claims);
        o.printf(Locale.ROOT, "5 claims: %d disagreement(s) with the textbook table%s%n", disagreements.size(),
                disagreements.isEmpty() ? "" : ":");
        for (String d : disagreements) {
            o.println("    " + d);
        }

        ExploreReport.Results r = new ExploreReport.Results(choice.backend().description(), choice.why(), seed, quick,
                sizes, n, deep, dying, outputs, claims, seconds);
        Map<String, byte[]> pictures;
        String note = "";
        try {
            // ExplorePictures is the only class here that touches AWT: loaded in this line, or never
            pictures = ExplorePictures.of(r);
        } catch (LinkageError | InternalError | RuntimeException | IOException ex) {
            // a runtime without java.desktop, or a headless machine without fonts: the numbers matter more
            pictures = Map.of();
            note = " (no pictures: " + ex + ")";
        }
        // Everything in memory first, then one set of files: a failed write replaces none of them,
        // and a previous run's pictures go when this run has none, so the folder never mixes runs.
        OutputSet files = new OutputSet(out);
        for (String name : ExploreReport.PICTURES) {
            if (pictures.containsKey(name)) {
                files.add(name, pictures.get(name));
            } else {
                files.remove(name);
            }
        }
        files.add("report.html", ExploreReport.html(r, pictures)).add("explore.json", json(r));
        files.write();
        o.printf(Locale.ROOT, "wrote %s: %s%s in %.1f s%n", out, String.join(", ", files.names()), note, seconds);
        o.flush();
    }

    private static double since(long t) {
        return (System.nanoTime() - t) / 1e9;
    }

    private static ThreadFactory daemons() {
        return r -> {
            Thread th = new Thread(r, "nonlin-explore");
            th.setDaemon(true);
            return th;
        };
    }

    // ------------------------------------------------------------------ summary

    private static void summary1(PrintWriter o, Nonlinearity n, double s) {
        o.printf(Locale.ROOT, "1 (%.1f s) spiral, held-out accuracy (chance 50 %%): %s%n", s, n.runs().stream()
                .map(r -> r.f().name() + " " + ExploreReport.percent(r.accuracy())).collect(Collectors.joining(", ")));
        o.printf(Locale.ROOT, "  linear net = one matrix: max |net(x) - (x·W1W2W3 + c)| = %s%n",
                ExploreReport.sci(n.collapse().maxDiff()));
        o.flush();
    }

    private static void summary2(PrintWriter o, List<DeepRun> deep, double s) {
        o.printf(Locale.ROOT, "2 (%.1f s) %d-layer net at init, ||dW1|| / ||dW%d||: %s%n", s, Explore.DEPTH, Explore.DEPTH,
                deep.stream().map(d -> d.f().name() + " " + ExploreReport.sci(d.ratio())).collect(Collectors.joining(", ")));
        o.flush();
    }

    private static void summary3(PrintWriter o, List<DyingRun> dying, double s) {
        o.printf(Locale.ROOT, "3 (%.1f s) dead hidden units (no gradient on any point) at the end: %s%n", s, dying.stream()
                .map(d -> d.f().name() + " lr " + Catalogue.number(d.lr()) + " " + ExploreReport.percent(d.lastDead()))
                .collect(Collectors.joining(", ")));
        o.flush();
    }

    private static void summary4(PrintWriter o, List<OutputRun> outputs, double s) {
        o.printf(Locale.ROOT, "4 (%.1f s) output layers: %s%n", s, outputs.stream()
                .map(r -> r.loss().name() + " " + r.metricName() + " " + (r.metricName().equals("accuracy")
                        ? ExploreReport.percent(r.metric()) : Catalogue.number(r.metric())))
                .collect(Collectors.joining(", ")));
        o.flush();
    }

    // ------------------------------------------------------------------ explore.json

    /** Every measured figure, for scripts and tests. */
    static String json(ExploreReport.Results r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", r.backend());
        m.put("seed", r.seed());
        m.put("quick", r.quick());
        m.put("seconds", r.seconds());
        m.put("sizes", r.sizes());
        Map<String, Object> spiral = new LinkedHashMap<>();
        for (SpiralRun s : r.nonlinearity().runs()) {
            spiral.put(s.f().name(), Map.of("accuracy", s.accuracy(), "loss", s.loss(), "units", s.units()));
        }
        m.put("spiral", spiral);
        m.put("collapse", Map.of("w", r.nonlinearity().collapse().w(), "c", r.nonlinearity().collapse().c(),
                "max_diff", r.nonlinearity().collapse().maxDiff(), "accuracy", r.nonlinearity().collapse().accuracy()));
        Map<String, Object> deep = new LinkedHashMap<>();
        for (DeepRun d : r.deep()) {
            deep.put(d.f().name(), Map.of("grad_norm_init", d.atInit(), "grad_norm_after", d.after(), "ratio", d.ratio(),
                    "units", d.units()));
        }
        m.put("vanishing", deep);
        List<Object> dying = new ArrayList<>();
        for (DyingRun d : r.dying()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("activation", d.f().name());
            x.put("lr", d.lr());
            x.put("steps", d.steps());
            x.put("dead", d.dead());
            x.put("input_never_positive", d.neverActive());
            x.put("accuracy", d.accuracy());
            dying.add(x);
        }
        m.put("dying", dying);
        List<Object> outs = new ArrayList<>();
        for (OutputRun o : r.outputs()) {
            outs.add(Map.of("task", o.task(), "loss", o.loss().toString(), "metric", o.metricName(), "value", o.metric(),
                    "baseline", o.baseline(), "curve", o.curve()));
        }
        m.put("outputs", outs);
        List<Object> claims = new ArrayList<>();
        for (Claim c : r.claims()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("activation", c.f().name());
            x.put("range", c.range());
            x.put("observed", c.observed());
            x.put("textbook", c.textbook());
            x.put("centring", c.centring());
            x.put("rms", c.rms());
            x.put("ratio", c.ratio());
            x.put("dead", c.dead());
            x.put("disagreements", c.disagreements());
            claims.add(x);
        }
        m.put("claims", claims);
        return new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(m) + "\n";
    }
}
