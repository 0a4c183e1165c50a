package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Family;
import dev.nonlin.Backend;
import dev.nonlin.Backends;
import dev.nonlin.Crossover;
import dev.nonlin.cli.BenchReport.Series;
import dev.nonlin.cli.BenchSweep.Path;
import dev.nonlin.cli.BenchSweep.Point;
import dev.nonlin.cpu.CpuBackend;
import dev.nonlin.cuda.CudaBackend;
import dev.nonlin.cuda.CudaSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code nonlin bench}: is it worth sending this batch to the GPU? Throughput of every path
 * (CPU, one core, device tensors, host arrays through the GPU, and {@code auto}) over sizes,
 * each as a share of its physical limit measured in the same run, the GPU/CPU ratio, and the
 * size from which the GPU pays. Writes CSV, JSON and a PNG chart; {@code --calibrate} stores the
 * crossovers where {@code Backends.auto()} reads them.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures each function on every available path over a range of sizes: million elements/s, "
                + "GB/s, and the share of the path's physical limit measured in the same run (System.arraycopy for "
                + "the CPU, a device-to-device copy for CUDA tensors, pinned host<->device copies in both directions "
                + "for CUDA on host arrays). Prints the GPU/CPU speed ratio, the size from which the GPU pays for host "
                + "arrays (the crossover), and how auto did against the better of the two.",
                "Writes bench.csv, bench.json and bench.png to --out, as one set: a run that cannot write one of them "
                        + "replaces none (where no chart can be drawn, a previous bench.png is removed). Takes under 2 "
                        + "minutes by default, about 20 s with --quick. Without a GPU it measures the CPU paths and says why CUDA is missing."})
final class BenchCommand implements Callable<Integer> {

    /** Default functions: one or two per family, the common ones. */
    static final String DEFAULT_FUNCTIONS = "relu,sigmoid,tanh,silu,gelu,gelu(approximate=tanh),mish,softmax";
    static final String QUICK_FUNCTIONS = "relu,gelu,softmax";

    // Strings, parsed in call(): picocli leaves a variable-arity positional that fails to convert
    // "unmatched" and drops the converter's message, which says what is wrong with the spec.
    @Parameters(paramLabel = "FUNCTION", arity = "0..*",
            description = "Functions to measure (default: " + DEFAULT_FUNCTIONS + "; with --quick: " + QUICK_FUNCTIONS + ").")
    List<String> functions = new ArrayList<>();

    @Option(names = "--quick", description = "About 20 seconds: fewer functions, sizes and repetitions, forward only.")
    boolean quick;

    @Option(names = "--sizes", split = ",", paramLabel = "N",
            description = "Elements per call, e.g. 2^10,2^16,1000000 (default: 2^10,2^12,...,2^24; with --quick: 2^10,2^14,2^18,2^22).")
    List<String> sizes;

    @Option(names = "--direction", paramLabel = "forward|backward|both",
            description = "Which passes to measure (default: both; with --quick: forward).")
    String direction;

    @Option(names = "--paths", split = ",", paramLabel = "PATH",
            description = "Paths to measure, from cpu, cpu-1t, cuda-tensor, cuda-array, auto (default: every available one).")
    List<String> paths;

    @Option(names = "--cols", paramLabel = "N", defaultValue = "1024",
            description = "Row length for softmax and log_softmax (default: ${DEFAULT-VALUE}).")
    int cols;

    @Option(names = "--reps", paramLabel = "N",
            description = "Timed runs per point; the median counts (default: 5; with --quick: 3).")
    Integer reps;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "nonlin-bench",
            description = "Where bench.csv, bench.json and bench.png go (default: ${DEFAULT-VALUE}).")
    java.nio.file.Path out;

    @Option(names = "--calibrate",
            description = "Also store the measured crossovers per function family in the user's calibration file "
                    + "(Crossover.userFile(): ~/.cache/nonlin/crossover.properties), which Backends.auto() reads on "
                    + "this machine. Needs a usable GPU.")
    boolean calibrate;

    @Option(names = "--no-progress", description = "No progress bar on stderr.")
    boolean noProgress;

    @Option(names = "--seed", hidden = true, defaultValue = "11", description = "Seed of the inputs.")
    long seed;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        common.apply();
        PrintWriter o = spec.commandLine().getOut();
        long[] sizeList = sizes();
        boolean[] directions = directions();
        if (cols < 1) {
            throw new UserError("--cols must be >= 1, got " + cols);
        }
        int r = reps != null ? reps : quick ? 3 : 5;
        if (r < 1) {
            throw new UserError("--reps must be >= 1, got " + r);
        }
        String cudaCause = Backends.cudaUnavailabilityCause();
        CudaBackend gpu = cudaCause == null ? CudaSupport.backend() : null;
        List<Path> pathList = paths(gpu, cudaCause);
        List<Activation> fs = functions(gpu != null);
        checkHeap(sizeList[sizeList.length - 1], pathList.contains(Path.CUDA_TENSOR), Runtime.getRuntime().maxMemory());
        // a bad NONLIN_BACKEND / -Dnonlin.backend is input too: resolved before --out is made
        Backend auto = BackendChoice.resolve(null).backend();
        OutputDirectory outDir = OutputDirectory.create("--out", out);
        OutputDirectory cacheDir = null;
        try {
            if (calibrate) {
                cacheDir = OutputDirectory.create("--calibrate", Crossover.userFile().toAbsolutePath().getParent());
            }
            run(o, sizeList, directions, r, gpu, cudaCause, pathList, fs, auto);
        } catch (Throwable e) {
            // a failed run leaves no empty directory of its own making behind
            outDir.removeIfUnused();
            if (cacheDir != null) {
                cacheDir.removeIfUnused();
            }
            throw e;
        }
        return Main.OK;
    }

    private void run(PrintWriter o, long[] sizeList, boolean[] directions, int r, CudaBackend gpu, String cudaCause,
                     List<Path> pathList, List<Activation> fs, Backend auto) throws IOException {
        BenchSweep.Settings settings = quick
                ? new BenchSweep.Settings(r, 0.002, 0.01, 1.0, cols, seed)
                : new BenchSweep.Settings(r, 0.005, 0.02, 2.0, cols, seed);
        BenchSweep sweep = new BenchSweep(settings, gpu, auto);

        o.printf("nonlin bench: %s%n", machine());
        o.printf("cpu:  %s%n", Backends.cpu().description());
        o.printf("cuda: %s%n", gpu != null ? gpu.description() : "not measured: " + cudaCause);
        o.printf("auto: %s%n", auto.description());
        o.printf("paths %s; sizes %s; %s; median of %d runs%n",
                pathList.stream().map(p -> p.key).collect(Collectors.joining(", ")),
                java.util.Arrays.stream(sizeList).mapToObj(BenchReport::size).collect(Collectors.joining(",")),
                directions.length == 2 ? "forward and backward" : directions[0] ? "forward" : "backward", r);
        o.flush();

        Progress progress = new Progress(spec.commandLine().getErr(), !noProgress && Progress.terminal(),
                (long) fs.size() * directions.length * sizeList.length * pathList.size());
        List<Point> points = new ArrayList<>();
        for (Activation f : fs) {
            for (boolean fwd : directions) {
                progress.label(f + " " + (fwd ? "forward" : "backward"));
                points.addAll(sweep.run(f, fwd, sizeList, pathList, progress::advance));
            }
        }
        progress.done();

        List<Series> all = BenchReport.series(points);
        BenchReport.table(o, all, pathList);
        o.println();
        summary(o, all, gpu != null);
        for (String slow : sweep.slowKernels()) {
            o.println("warning: " + slow);
        }

        Map<String, Object> about = new LinkedHashMap<>();
        about.put("date", LocalDate.now().toString());
        about.put("machine", machine());
        about.put("cpu", Backends.cpu().description());
        about.put("cuda", gpu != null ? gpu.description() : null);
        about.put("cuda_unavailable", cudaCause);
        about.put("auto", auto.description());
        about.put("slow_kernels", sweep.slowKernels());
        about.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        // Everything in memory first, then one set of files: a failed write replaces none of them.
        OutputSet files = new OutputSet(out).add("bench.csv", BenchReport.csv(points))
                .add("bench.json", BenchReport.json(about, points));
        String chart;
        try {
            files.add("bench.png", BenchChart.png(points));
            chart = ", bench.png";
        } catch (LinkageError | InternalError | RuntimeException | IOException e) {
            // a runtime without java.desktop, or a headless machine without fonts: the numbers
            // matter more than the picture; a previous run's bench.png goes, so as not to mix runs
            files.remove("bench.png");
            chart = " (no bench.png: " + e + ")";
        }
        IOException failed = null;
        try {
            files.write();
            o.printf("%nwrote %s: bench.csv, bench.json%s%n", out, chart);
        } catch (IOException e) {
            failed = e;
        }
        if (calibrate) {
            // its own file, elsewhere: the measurement is not lost because --out could not be written
            try {
                calibrate(o, all, gpu);
            } catch (IOException | RuntimeException e) {
                if (failed != null) {
                    e.addSuppressed(failed);
                }
                throw e;
            }
        }
        if (failed != null) {
            throw failed;
        }
        o.flush();
    }

    /**
     * Refuses sizes whose arrays cannot fit in the heap before anything runs (they would end in an
     * OutOfMemoryError after minutes): the sweep holds x, dy and y of the largest size at once, and
     * the cuda-tensor path one more copy while it uploads.
     */
    static void checkHeap(long largest, boolean tensorPath, long maxMemory) {
        int arrays = tensorPath ? 4 : 3;
        long bytes = arrays * Float.BYTES * largest;
        if (bytes > maxMemory) {
            throw new UserError(String.format(Locale.ROOT, "--sizes %s: the sweep holds %d float arrays of that size "
                            + "(%d MiB), more than this JVM's heap (%d MiB): give fewer elements, or java -Xmx%dm",
                    BenchReport.size(largest), arrays, bytes >> 20, maxMemory >> 20, (bytes >> 20) + 512));
        }
    }

    // ------------------------------------------------------------------ summary and calibration

    private static void summary(PrintWriter o, List<Series> all, boolean gpu) {
        if (!gpu) {
            o.println("crossover: not measured (no usable GPU); auto runs everything on the CPU here.");
            return;
        }
        o.println("crossover (host arrays: the GPU beats the best CPU path from this size on), and auto against "
                + "the better of CPU and GPU at its worst size:");
        for (Series s : all) {
            java.util.TreeMap<Long, Double> a = s.autoOverBest();
            double worst = a.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
            o.printf(Locale.ROOT, "  %-28s %-8s %-7s auto/best %s%n", s.function(), s.direction(),
                    BenchReport.crossoverText(s.crossover()),
                    Double.isNaN(worst) ? "n/a" : String.format(Locale.ROOT, "%.2f%s", worst,
                            worst > 1.10 ? "  (more than 10 % slower: recalibrate with --calibrate)" : ""));
        }
    }

    /** The largest crossover per family (the GPU only where every measured function of the family wins). */
    static Map<Family, Long> familyCrossovers(List<Series> all) {
        Map<Family, Long> m = new EnumMap<>(Family.class);
        for (Series s : all) {
            Long c = s.crossover();
            if (c != null) {
                m.merge(Activation.parse(s.function()).kind().family(), c, Math::max);
            }
        }
        return m;
    }

    private void calibrate(PrintWriter o, List<Series> all, CudaBackend gpu) throws IOException {
        Map<Family, Long> m = familyCrossovers(all);
        java.nio.file.Path file = Crossover.userFile();
        String note = String.format(Locale.ROOT, "Sizes %s, cols %d, %s.",
                sizes == null ? "default" : String.join(",", sizes), cols, machine());
        String text = Crossover.text(m, gpu.machineKey(), LocalDate.now().toString(), note);
        AtomicFile.write(file, s -> s.write(text.getBytes(StandardCharsets.UTF_8)));
        o.printf("%ncalibrated for %s: %s%n", gpu.machineKey(),
                m.entrySet().stream().map(e -> e.getKey().key() + "=" + Crossover.format(e.getValue()))
                        .collect(Collectors.joining(", ")));
        o.printf("written to %s; Backends.auto() reads it in new JVMs on this machine%n", file);
    }

    // ------------------------------------------------------------------ options

    private long[] sizes() {
        List<String> s = sizes;
        if (s == null) {
            s = quick ? List.of("2^10", "2^14", "2^18", "2^22")
                    : List.of("2^10", "2^12", "2^14", "2^16", "2^18", "2^20", "2^22", "2^24");
        }
        long[] n = new long[s.size()];
        for (int i = 0; i < n.length; i++) {
            long v;
            try {
                v = parseSize(s.get(i));
            } catch (IllegalArgumentException e) {
                throw new UserError("--sizes: " + e.getMessage());
            }
            n[i] = v;
        }
        if (n.length == 0) {
            // picocli's split drops empty tokens: "--sizes ," arrives as an empty list
            throw new UserError("--sizes: name at least one size (got an empty list)");
        }
        return java.util.Arrays.stream(n).distinct().sorted().toArray();
    }

    /** A count or 2^k, from 1 to 2^28 (the host arrays of the sweep are Java arrays, and three live at once). */
    static long parseSize(String text) {
        String t = text.strip();
        long v;
        try {
            if (t.startsWith("2^")) {
                int k = Integer.parseInt(t.substring(2));
                v = k >= 0 && k <= 28 ? 1L << k : -1;
            } else {
                v = Long.parseLong(t);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a size is a count or 2^k, got '" + t + "'");
        }
        if (v < 1 || v > (1L << 28)) {
            throw new IllegalArgumentException("a size must be in [1, 2^28], got '" + t + "'");
        }
        return v;
    }

    private boolean[] directions() {
        String d = direction != null ? direction.strip().toLowerCase(Locale.ROOT) : quick ? "forward" : "both";
        return switch (d) {
            case "forward" -> new boolean[] {true};
            case "backward" -> new boolean[] {false};
            case "both" -> new boolean[] {true, false};
            default -> throw new UserError("--direction must be forward, backward or both, got '" + direction + "'");
        };
    }

    private List<Path> paths(CudaBackend gpu, String cudaCause) {
        LinkedHashSet<Path> p = new LinkedHashSet<>();
        if (paths == null) {
            p.add(Path.CPU);
            p.add(Path.CPU_1T);
            if (gpu != null) {
                p.add(Path.CUDA_TENSOR);
                p.add(Path.CUDA_ARRAY);
                p.add(Path.AUTO);
            }
        } else {
            for (String s : paths) {
                Path q;
                try {
                    q = Path.of(s.strip().toLowerCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new UserError(e.getMessage());
                }
                if (q.gpu() && gpu == null) {
                    throw new UserError("--paths " + q.key + ": CUDA is unavailable: " + cudaCause);
                }
                p.add(q);
            }
        }
        if (calibrate) {
            if (gpu == null) {
                throw new UserError("--calibrate needs a usable GPU: " + cudaCause);
            }
            p.add(Path.CPU);
            p.add(Path.CUDA_ARRAY);
        }
        if (p.isEmpty()) {
            throw new UserError("--paths: name at least one path");
        }
        return new ArrayList<>(p);
    }

    private List<Activation> functions(boolean gpu) {
        LinkedHashSet<Activation> fs = new LinkedHashSet<>();
        for (String spec : functions) {
            try {
                fs.add(Activation.parse(spec));
            } catch (IllegalArgumentException e) {
                throw new UserError("FUNCTION '" + spec + "': " + e.getMessage() + " (`nonlin list` shows the catalogue)");
            }
        }
        if (fs.isEmpty()) {
            for (String s : splitSpecs(quick ? QUICK_FUNCTIONS : DEFAULT_FUNCTIONS)) {
                fs.add(Activation.parse(s));
            }
        }
        for (Activation f : fs) {
            if (f.kind() == Activation.Kind.PRELU) {
                throw new UserError("bench measures the catalogue's fixed functions; prelu (learned α) is not one: "
                        + "use leaky_relu(negative_slope=...) for its cost");
            }
        }
        if (calibrate && gpu) {
            // every family needs a measurement for its crossover
            Map<Family, String> representative = Map.of(Family.PIECEWISE, "relu", Family.TRANSCENDENTAL, "gelu",
                    Family.ROW_WISE, "softmax");
            for (Family fam : Family.values()) {
                if (fs.stream().noneMatch(f -> f.kind().family() == fam)) {
                    fs.add(Activation.parse(representative.get(fam)));
                }
            }
        }
        return new ArrayList<>(fs);
    }

    /** Splits a comma-separated list of specs, keeping commas inside parentheses. */
    static List<String> splitSpecs(String list) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (char c : list.toCharArray()) {
            if (c == ',' && depth == 0) {
                out.add(cur.toString());
                cur.setLength(0);
                continue;
            }
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            cur.append(c);
        }
        out.add(cur.toString());
        return out;
    }

    static String machine() {
        String model = null;
        try {
            java.nio.file.Path cpuinfo = java.nio.file.Path.of("/proc/cpuinfo");
            if (Files.isReadable(cpuinfo)) {
                model = Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("model name"))
                        .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse(null);
            }
        } catch (IOException | RuntimeException e) {
            model = null;      // the model name is a nicety
        }
        return String.format(Locale.ROOT, "%s, %d CPUs, %s %s, Java %s%s",
                model != null ? model : System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"),
                CpuBackend.simdAvailable() ? "" : " (no Vector API: scalar CPU path)");
    }

    /** A one-line progress bar on stderr, redrawn in place; off with --no-progress or without a terminal. */
    static final class Progress {
        private final PrintWriter err;
        private final boolean on;
        private final long total;
        private final long start = System.nanoTime();
        private long done;
        private String label = "";

        Progress(PrintWriter err, boolean on, long total) {
            this.err = err;
            this.on = on;
            this.total = Math.max(1, total);
        }

        /**
         * Whether stderr is probably a terminal. Java 17 cannot ask about stderr alone:
         * {@code System.console()} is null as soon as stdout is redirected ({@code nonlin bench > t.txt}),
         * when the bar is most wanted, so a terminal type in the environment counts too.
         */
        static boolean terminal() {
            String term = System.getenv("TERM");
            return System.console() != null || (term != null && !term.isBlank() && !term.equals("dumb"));
        }

        void label(String l) {
            label = l;
            draw();
        }

        void advance(int steps) {
            done += steps;
            draw();
        }

        private void draw() {
            if (!on) {
                return;
            }
            int width = 30;
            int filled = (int) (width * done / total);
            double s = (System.nanoTime() - start) / 1e9;
            String line = String.format(Locale.ROOT, "\r[%s%s] %3d%% %5.1f s  %-40.40s", "#".repeat(filled),
                    ".".repeat(width - filled), 100 * done / total, s, label);
            err.print(line);
            err.flush();
        }

        void done() {
            if (on) {
                err.print("\r" + " ".repeat(90) + "\r");
                err.flush();
            }
        }
    }
}
