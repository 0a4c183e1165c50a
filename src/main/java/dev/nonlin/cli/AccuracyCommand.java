package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.Loss;
import dev.nonlin.Losses;
import dev.nonlin.cli.Accuracy.Measures;
import dev.nonlin.cli.Accuracy.Progress;
import dev.nonlin.cli.Accuracy.Sampling;
import dev.nonlin.cli.Accuracy.Worst;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code nonlin accuracy}: each function's worst error in ULP against the float64 reference, over
 * every float input ({@code --exhaustive}) or a sample, forward and backward (at dy = 1 and at a
 * random dy), on a chosen backend. {@link Accuracy} does the measuring; on CUDA the exhaustive run
 * computes the reference on the device ({@code dev.nonlin.cuda.CudaAccuracy}).
 */
@Command(name = "accuracy", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures each function's worst error in ULP against the float64 reference: forward, and "
                + "backward at dy = 1 and at a random dy (±[2^-8, 2^8), log-uniform), on one backend.",
                "By default it checks special values (±0, subnormals, kinks, ±MAX, ±∞, NaN) and --samples draws in "
                        + "--range, half uniform in value and half uniform over the float bit patterns. "
                        + "--exhaustive checks every one of the 2^32 float inputs of each elementwise function "
                        + "(softmax and log_softmax: 2^24 sampled elements in rows of 1 to 4097); on the CPU that "
                        + "takes minutes per function on every core, on CUDA seconds. prelu is checked elementwise "
                        + "with its record's α (init).",
                "--losses measures the losses instead (the arguments are then losses, default: the loss catalogue): "
                        + "L of single rows and of small batches, and dz, through the tensor path, against a float64 "
                        + "reference (see the README's \"Losses\").",
                "Exits 1 if a function breaks the contract (forward ≤ 4 ULP, backward ≤ 8 ULP + 2^-23·|dy|; for a loss, "
                        + "2^-23·|dL/n|·W)."})
final class AccuracyCommand implements Callable<Integer> {

    // Strings, parsed in call(): picocli leaves a variable-arity positional that fails to convert
    // "unmatched" and drops the converter's message, which says what is wrong with the spec.
    @Parameters(paramLabel = "FUNCTION", arity = "0..*",
            description = "Functions to measure, e.g. gelu 'gelu(approximate=tanh)' (default: the whole catalogue); "
                    + "with --losses, losses, e.g. bce 'cross_entropy(label_smoothing=0.1)'.")
    List<String> functions;

    @Option(names = "--losses", description = "Measure the losses (default: every loss of the catalogue, "
            + "with its non-default variants) rather than the activations.")
    boolean losses;

    @Option(names = "--backend", paramLabel = BackendChoice.VALUES,
            description = "The backend to measure (default: auto, or NONLIN_BACKEND / -Dnonlin.backend).")
    String backend;

    @Option(names = "--exhaustive", description = "Every float input (2^32 per elementwise function).")
    boolean exhaustive;

    @Option(names = "--range", paramLabel = "LO:HI",
            description = "Interval of the sampled inputs (default: " + DEFAULT_RANGE + "; inf and -inf allowed).")
    String range;

    @Option(names = "--samples", paramLabel = "N",
            description = "Sampled inputs per function, besides the special values (default: " + DEFAULT_SAMPLES
                    + "; with --losses, elements per loss, special values included, default: " + DEFAULT_LOSS_SAMPLES
                    + ").")
    Long samples;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seed of the samples and of the random dy (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--csv", paramLabel = "FILE",
            description = "Also write the table as CSV (written when the run completes; replaced if it exists).")
    Path csv;

    @Option(names = "--progress", negatable = true,
            description = "A progress line on stderr (default: when there is a console).")
    Boolean progress;

    @Option(names = "--bit-range", hidden = true, paramLabel = "START:END",
            description = "With --exhaustive: only bit patterns in [START, END) (hex with 0x, or decimal).")
    String bitRange;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    /**
     * Resolves {@code --backend}: {@link BackendChoice#resolve}, replaceable by tests (which need
     * a backend that breaks the contract on purpose, to see the command notice).
     */
    static java.util.function.Function<String, BackendChoice> backends = BackendChoice::resolve;

    static final String DEFAULT_RANGE = "-128:128";
    /** One table row: function, inputs, then (ULP, at x) for forward, backward dy = 1, backward random dy. */
    static final String ROW_FORMAT = "%-36s %11s  %8s %-15s  %8s %-15s  %8s %-15s %8s  %s";
    static final long DEFAULT_SAMPLES = 1_000_000;
    /** Elements per loss by default: a second or two for the loss catalogue. */
    static final long DEFAULT_LOSS_SAMPLES = 100_000;
    /** One row of the loss table: loss, elements, then (ULP, at) for single rows, batches and dz, time, verdict. */
    static final String LOSS_ROW_FORMAT = "%-76s %8s  %8s %-32s  %8s %-20s  %8s %-44s %7s  %s";

    @Override
    public Integer call() {
        common.apply();
        if (losses) {
            return callLosses();
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Every option is checked before anything runs: a bad value never costs a long run.
        float[] lohi = parseRange(range == null ? DEFAULT_RANGE : range);
        long n = samples == null ? DEFAULT_SAMPLES : samples;
        if (n < 0) {
            throw bad("--samples must be >= 0, got " + n);
        }
        long[] bits = {0, Accuracy.ALL_BITS};
        if (exhaustive && range != null) {
            throw bad("--exhaustive checks every input: it takes no --range (got --range=" + range + ")");
        }
        if (exhaustive && samples != null) {
            throw bad("--exhaustive checks every input: it takes no --samples (got --samples=" + samples + ")");
        }
        if (bitRange != null) {
            if (!exhaustive) {
                throw bad("--bit-range restricts --exhaustive, which is not given (got --bit-range=" + bitRange + ")");
            }
            bits = parseBitRange(bitRange);
        }
        if (csv != null) {
            checkWritable(csv);
        }
        List<Activation> fs = functions == null || functions.isEmpty() ? Activations.all() : parseFunctions();
        BackendChoice choice = backends.apply(backend);
        Backend b = choice.backend();
        boolean cuda = b.name().equals("cuda");
        Sampling sampling = new Sampling(lohi[0], lohi[1], n, seed);
        Sampling rowSampling = exhaustive ? new Sampling(-128f, 128f, Accuracy.EXHAUSTIVE_ROW_SAMPLES, seed) : sampling;
        boolean anyRows = fs.stream().anyMatch(Activation::rowWise);
        int threads = Runtime.getRuntime().availableProcessors();

        out.printf("nonlin accuracy: %s — %s%n", b.description(), choice.why());
        if (exhaustive) {
            out.println("inputs: " + (bits[0] == 0 && bits[1] == Accuracy.ALL_BITS
                    ? "every float (all 2^32 bit patterns)" : String.format(Locale.ROOT,
                    "the bit patterns [0x%08x, 0x%x), not all 2^32 (--bit-range)", bits[0], bits[1]))
                    + " for elementwise functions" + (anyRows ? "; softmax and log_softmax: "
                    + describeRows(rowSampling) + " (2^32 single inputs mean nothing for a row)" : ""));
        } else {
            out.printf(Locale.ROOT, "inputs: %d special values and %d samples in [%s, %s], half uniform, half over "
                    + "the float bit patterns%s%n", Accuracy.SPECIAL.length, n, lohi[0], lohi[1],
                    anyRows ? "; softmax and log_softmax: the same inputs in rows of 1 to 4097" : "");
        }
        out.println("reference: float64 (" + (cuda && exhaustive
                ? "on the device: the kernels' own double math, nonlin_math.cuh, which KernelMathHostTest ties to "
                + "dev.nonlin.cpu.Scalar; row-wise functions: dev.nonlin.cpu.Rows"
                : "dev.nonlin.cpu.Scalar, Rows") + "); dy: 1, and random in ±[2^-8, 2^8) (seed " + seed + ")");
        out.println();
        String head = String.format(Locale.ROOT, ROW_FORMAT, "function", "inputs", "fwd ULP", "at x", "bwd dy=1",
                "at x", "bwd dy~", "at x", "time", "contract");
        out.println(head);
        out.println("-".repeat(head.length()));
        out.flush();

        List<Row> rows = new ArrayList<>();
        long t0 = System.nanoTime();
        for (Activation f : fs) {
            long t = System.nanoTime();
            ProgressLine line = new ProgressLine(err, f.toString(), showProgress());
            Measures m;
            long inputs;
            if (f.rowWise()) {
                inputs = Accuracy.elements(Accuracy.rowPlan(rowSampling));
                m = Accuracy.rows(b, f, rowSampling, threads, line);
            } else if (exhaustive) {
                inputs = bits[1] - bits[0];
                m = cuda ? CudaRun.exhaustive(b, f, bits[0], bits[1], seed, line)
                        : Accuracy.exhaustive(b, f, bits[0], bits[1], seed, threads, line);
            } else {
                inputs = sampling.total();
                m = Accuracy.sampled(b, f, sampling, threads, line);
            }
            line.clear();
            Row r = new Row(f, inputs, m, (System.nanoTime() - t) / 1e9);
            rows.add(r);
            out.printf(Locale.ROOT, ROW_FORMAT + "%n", f, count(inputs),
                    ulps(m.forward()), where(m.forward()), ulps(m.backwardUnitDy()), where(m.backwardUnitDy()),
                    ulps(m.backwardRandomDy()), where(m.backwardRandomDy()),
                    String.format(Locale.ROOT, "%.1f s", r.seconds()),
                    m.ok() ? "pass" : "FAIL");
            out.flush();
        }
        long failed = rows.stream().filter(r -> !r.m().ok()).count();
        out.println();
        out.println("ULP: worst |got − exact| in units of the float ULP at the exact value (0.50: correctly rounded), "
                + "at the input x shown (the first such x); bwd: beyond the contract's slack 2^-23·|dy| "
                + "(rows: the row's Σ|dy|).");
        out.printf(Locale.ROOT, "contract: forward ≤ %s ULP, backward ≤ %s ULP + 2^-23·|dy|: %s (%.1f s)%n",
                Catalogue.number(Ulp.FORWARD_ULPS), Catalogue.number(Ulp.BACKWARD_ULPS),
                failed == 0 ? "all " + rows.size() + " functions pass"
                        : failed + " of " + rows.size() + " functions FAIL", (System.nanoTime() - t0) / 1e9);
        if (csv != null) {
            writeCsv(csv, rows, b.name(), exhaustive ? "exhaustive" : "sampled");
            out.println("wrote " + csv);
        }
        out.flush();
        return failed == 0 ? Main.OK : Main.FAILED;
    }

    /** One line of the table. */
    record Row(Activation f, long inputs, Measures m, double seconds) {
    }

    // ------------------------------------------------------------------ --losses

    /** {@code --losses}: the loss table ({@link LossAccuracy}). */
    private Integer callLosses() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (String[] o : new String[][] {{"--exhaustive", exhaustive ? "" : null}, {"--range", range},
                {"--bit-range", bitRange}}) {
            if (o[1] != null) {
                throw bad("--losses takes no " + o[0] + " (a loss has two inputs, or a row of them): "
                        + "use --samples and --seed");
            }
        }
        long n = samples == null ? DEFAULT_LOSS_SAMPLES : samples;
        if (n < 0) {
            throw bad("--samples must be >= 0, got " + n);
        }
        if (csv != null) {
            checkWritable(csv);
        }
        List<Loss> ls = new ArrayList<>();
        if (functions == null || functions.isEmpty()) {
            ls.addAll(Losses.all());
        } else {
            for (String s : functions) {
                try {
                    ls.add(Loss.parse(s));
                } catch (IllegalArgumentException e) {
                    throw bad("LOSS '" + s + "': " + e.getMessage());
                }
            }
        }
        BackendChoice choice = backends.apply(backend);
        Backend b = choice.backend();
        out.printf("nonlin accuracy --losses: %s — %s%n", b.description(), choice.why());
        out.printf(Locale.ROOT, "inputs: at least %d elements per loss (special values first, then seeded draws), "
                + "in calls of 1, 1, 1, 2, 5 and 17 rows; cross-entropy rows of 1 to 1000 logits%n", n);
        out.println("reference: float64 in non-cancelling forms (dev.nonlin.cpu.LossMath); L and dz through the "
                + "tensor path; dL random in ±[2^-8, 2^8) per call (seed " + seed + ")");
        out.println();
        String head = String.format(Locale.ROOT, LOSS_ROW_FORMAT, "loss", "elements", "L 1 row", "at",
                "L batch", "at", "dz", "at", "time", "contract");
        out.println(head);
        out.println("-".repeat(head.length()));
        out.flush();
        List<LossRow> rows = new ArrayList<>();
        long t0 = System.nanoTime();
        for (Loss l : ls) {
            long t = System.nanoTime();
            ProgressLine line = new ProgressLine(err, l.toString(), showProgress());
            LossAccuracy.Measures m = LossAccuracy.measure(b, l, n, seed, line);
            line.clear();
            LossRow r = new LossRow(l, m, (System.nanoTime() - t) / 1e9);
            rows.add(r);
            out.printf(Locale.ROOT, LOSS_ROW_FORMAT + "%n", l, m.elements()[0], ulps(m.single()),
                    where(m.single()), ulps(m.batch()), where(m.batch()), ulps(m.backward()), where(m.backward()),
                    String.format(Locale.ROOT, "%.1f s", r.seconds()), m.ok() ? "pass" : "FAIL");
            out.flush();
        }
        long failed = rows.stream().filter(r -> !r.m().ok()).count();
        out.println();
        out.println("ULP: worst |got − exact| in units of the float ULP at the exact value (0.50: correctly rounded), "
                + "with the inputs where it occurs (the first such call). L: the float the tensor path returns; its "
                + "exact value is a sum of non-negative terms. dz: beyond the slack 2^-23·|s|·W, s = dL/n (mean) or dL "
                + "(sum), W = max(1, pos_weight) for bce_with_logits, else 1.");
        out.printf(Locale.ROOT, "contract: L ≤ %s ULP, dz ≤ %s ULP + 2^-23·|s|·W: %s (%.1f s)%n",
                Catalogue.number(Ulp.FORWARD_ULPS), Catalogue.number(Ulp.BACKWARD_ULPS),
                failed == 0 ? "all " + rows.size() + " losses pass" : failed + " of " + rows.size() + " losses FAIL",
                (System.nanoTime() - t0) / 1e9);
        if (csv != null) {
            writeLossCsv(csv, rows, b.name());
            out.println("wrote " + csv);
        }
        out.flush();
        return failed == 0 ? Main.OK : Main.FAILED;
    }

    /** One line of the loss table. */
    record LossRow(Loss loss, LossAccuracy.Measures m, double seconds) {
    }

    private static String ulps(LossAccuracy.Worst w) {
        return ulps(w.any(), w.err);
    }

    private static String where(LossAccuracy.Worst w) {
        return w.err > 0 ? w.where : "-";
    }

    private static void writeLossCsv(Path file, List<LossRow> rows, String backend) {
        StringBuilder s = new StringBuilder("loss,backend,elements,single_ulp,single_at,batch_ulp,batch_at,dz_ulp,dz_at,"
                + "seconds,contract\n");
        for (LossRow r : rows) {
            LossAccuracy.Measures m = r.m();
            s.append(csvField(r.loss().toString())).append(',').append(backend).append(',').append(m.elements()[0]);
            for (LossAccuracy.Worst w : List.of(m.single(), m.batch(), m.backward())) {
                s.append(',').append(!w.any() ? "" : Double.isInfinite(w.err) ? "inf" : Double.toString(w.err))
                        .append(',').append(csvField(where(w).equals("-") ? "" : where(w)));
            }
            s.append(',').append(String.format(Locale.ROOT, "%.3f", r.seconds())).append(',')
                    .append(r.m().ok() ? "pass" : "fail").append('\n');
        }
        try {
            AtomicFile.write(file, o -> o.write(s.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UserError(e.getMessage() + " (--csv)");
        }
    }

    /**
     * The CUDA exhaustive run, in a class of its own so that JCuda's classes are only loaded
     * when a CUDA backend is actually in use.
     */
    private static final class CudaRun {
        static Measures exhaustive(Backend b, Activation f, long start, long end, long seed, Progress p) {
            dev.nonlin.cuda.CudaAccuracy.Result r = dev.nonlin.cuda.CudaAccuracy.exhaustive(b, f, start, end - start,
                    seed, done -> p.update(done, end - start));
            // The device reports bit patterns; x and dy follow from them (dy is the same function of
            // the pattern on both sides).
            return new Measures(worst(r.forward(), i -> Float.NaN), worst(r.backwardUnitDy(), i -> 1f),
                    worst(r.backwardRandomDy(), i -> Accuracy.randomDy(seed, i)));
        }

        private static Worst worst(dev.nonlin.cuda.CudaAccuracy.Worst w, java.util.function.LongFunction<Float> dy) {
            if (w.ulps() < 0) {
                return new Worst();
            }
            return Worst.of(w.ulps(), w.index(), Float.intBitsToFloat((int) w.index()), dy.apply(w.index()));
        }
    }

    // ------------------------------------------------------------------ options

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private List<Activation> parseFunctions() {
        List<Activation> fs = new ArrayList<>();
        for (String spec : functions) {
            try {
                fs.add(Activation.parse(spec));
            } catch (IllegalArgumentException e) {
                throw bad("FUNCTION '" + spec + "': " + e.getMessage() + " (`nonlin list` shows the catalogue)");
            }
        }
        return fs;
    }

    /** {@code LO:HI} as two floats, LO ≤ HI; "inf", "-inf" (and Java's "Infinity") allowed. */
    private float[] parseRange(String s) {
        String[] p = s.split(":", -1);
        if (p.length != 2) {
            throw bad("--range: expected LO:HI, e.g. -10:10, got '" + s + "'");
        }
        float lo = parseBound(p[0], s);
        float hi = parseBound(p[1], s);
        if (!(lo <= hi)) {
            throw bad("--range: LO must be <= HI, got '" + s + "'");
        }
        return new float[] {lo, hi};
    }

    private float parseBound(String v, String whole) {
        String t = v.strip().toLowerCase(Locale.ROOT);
        switch (t) {
            case "inf", "+inf", "infinity", "+infinity":
                return Float.POSITIVE_INFINITY;
            case "-inf", "-infinity":
                return Float.NEGATIVE_INFINITY;
            default:
                break;
        }
        double d;
        try {
            d = Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw bad("--range: '" + v.strip() + "' is not a number (in '" + whole + "')");
        }
        if (Double.isNaN(d)) {
            throw bad("--range: NaN is not a bound (in '" + whole + "')");
        }
        if (Double.isInfinite(d) || Math.abs(d) > Float.MAX_VALUE) {
            throw bad("--range: " + v.strip() + " is beyond the float range (write inf or -inf), in '" + whole + "'");
        }
        return (float) d;
    }

    /** {@code START:END}, 0 ≤ START < END ≤ 2³², each hex (0x...) or decimal. */
    private long[] parseBitRange(String s) {
        String[] p = s.split(":", -1);
        if (p.length != 2) {
            throw bad("--bit-range: expected START:END, e.g. 0x3f800000:0x3f900000, got '" + s + "'");
        }
        long a = parseBits(p[0], s);
        long e = parseBits(p[1], s);
        if (a >= e || e > Accuracy.ALL_BITS) {
            throw bad("--bit-range: need 0 <= START < END <= 0x100000000, got '" + s + "'");
        }
        return new long[] {a, e};
    }

    private long parseBits(String v, String whole) {
        String t = v.strip().toLowerCase(Locale.ROOT);
        try {
            long r = t.startsWith("0x") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
            if (r < 0) {
                throw new NumberFormatException();
            }
            return r;
        } catch (NumberFormatException e) {
            throw bad("--bit-range: '" + v.strip() + "' is not a bit pattern (in '" + whole + "')");
        }
    }

    private boolean showProgress() {
        return progress != null ? progress : System.console() != null;
    }

    // ------------------------------------------------------------------ output

    private static String describeRows(Sampling s) {
        return Accuracy.elements(Accuracy.rowPlan(s)) + " sampled elements in rows of 1 to 4097, in ["
                + s.lo() + ", " + s.hi() + "]";
    }

    private static String count(long n) {
        return n == Accuracy.ALL_BITS ? "2^32" : Long.toString(n);
    }

    private static String ulps(Worst w) {
        return ulps(w.any(), w.err);
    }

    /** A worst error for the table: "-" when nothing was measured. */
    private static String ulps(boolean any, double err) {
        if (!any) {
            return "-";
        }
        return Double.isInfinite(err) ? "inf" : String.format(Locale.ROOT, "%.2f", err);
    }

    private static String where(Worst w) {
        return w.nonZero() ? Float.toString(w.x) : "-";
    }

    private void checkWritable(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UserError(file + ": cannot write: directory " + dir + " does not exist (--csv)");
        }
        if (Files.isDirectory(file)) {
            throw new UserError(file + ": cannot write: is a directory (--csv)");
        }
        // an unwritable directory is found now, not after a run that can take hours (--exhaustive)
        OutputDirectory.probe("--csv " + file + ": ", dir);
    }

    /** The table as CSV, written to a temporary file and moved into place: all or nothing. */
    private static void writeCsv(Path file, List<Row> rows, String backend, String mode) {
        StringBuilder s = new StringBuilder();
        s.append("function,backend,mode,inputs,forward_ulp,forward_x,backward_dy1_ulp,backward_dy1_x,"
                + "backward_dy_ulp,backward_dy_x,backward_dy_dy,seconds,contract\n");
        for (Row r : rows) {
            Measures m = r.m();
            s.append(csvField(r.f().toString())).append(',').append(backend).append(',').append(mode).append(',')
                    .append(r.inputs()).append(',')
                    .append(csvUlps(m.forward())).append(',').append(csvX(m.forward())).append(',')
                    .append(csvUlps(m.backwardUnitDy())).append(',').append(csvX(m.backwardUnitDy())).append(',')
                    .append(csvUlps(m.backwardRandomDy())).append(',').append(csvX(m.backwardRandomDy())).append(',')
                    .append(m.backwardRandomDy().nonZero() ? Float.toString(m.backwardRandomDy().dy) : "")
                    .append(',').append(String.format(Locale.ROOT, "%.3f", r.seconds())).append(',')
                    .append(m.ok() ? "pass" : "fail").append('\n');
        }
        try {
            AtomicFile.write(file, out -> out.write(s.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UserError(e.getMessage() + " (--csv)");
        }
    }

    /** Specs contain commas: quote them. */
    private static String csvField(String v) {
        return v.indexOf(',') >= 0 || v.indexOf('"') >= 0 ? '"' + v.replace("\"", "\"\"") + '"' : v;
    }

    private static String csvUlps(Worst w) {
        if (!w.any()) {
            return "";
        }
        // Full precision: 0.5000002 (a double result a hair from a rounding midpoint) is not 0.5.
        return Double.isInfinite(w.err) ? "inf" : Double.toString(w.err);
    }

    private static String csvX(Worst w) {
        return w.nonZero() ? Float.toString(w.x) : "";
    }

    /**
     * One progress line on stderr, rewritten in place with a carriage return ("gelu: 37 % of 2^32,
     * 41 s, about 70 s left") and cleared when the function is done; silent when not wanted.
     */
    static final class ProgressLine implements Progress {
        private final PrintWriter err;
        private final String what;
        private final boolean on;
        private final long t0 = System.nanoTime();
        private int width;

        ProgressLine(PrintWriter err, String what, boolean on) {
            this.err = err;
            this.what = what;
            this.on = on;
        }

        @Override
        public void update(long done, long total) {
            if (!on || total <= 0) {
                return;
            }
            double s = (System.nanoTime() - t0) / 1e9;
            double frac = (double) done / total;
            String left = frac > 0.01 ? String.format(Locale.ROOT, ", about %.0f s left", s / frac - s) : "";
            String line = String.format(Locale.ROOT, "%s: %.0f %% of %s inputs, %.0f s%s", what, 100 * frac,
                    count(total), s, left);
            err.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
            err.flush();
            width = line.length();
        }

        void clear() {
            if (on && width > 0) {
                err.print("\r" + " ".repeat(width) + "\r");
                err.flush();
            }
        }
    }
}
