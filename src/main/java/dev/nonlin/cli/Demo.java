package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.cuda.CudaBackend;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * The demo ({@code nonlin} without a command): every function of {@link Activations#all()},
 * forward and backward on one batch, on the chosen backend. Each result is checked against the
 * float64 reference (contract: forward ≤ 4 ULP, backward ≤ 8 ULP + 2⁻²³·|dy|), and each
 * direction is timed: the median of a few repetitions, once C2 has compiled the loop
 * ({@link KernelWarmUp}; a loop still boxed after its warm-up is named in a warning).
 *
 * <p>x ~ 4·N(0, 1), so that the tails and kinks of every function are visited; dy ~ N(0, 1).
 * Elementwise functions see the batch as one row, softmax and log_softmax as rows of {@code row}.
 */
final class Demo {
    /** Elements per block of the parallel error check. */
    private static final int CHECK_BLOCK = 1 << 15;
    /** The longest wait for C2's code of one loop before it is timed ({@link KernelWarmUp}). */
    private static final double WARM_SECONDS = 10;

    private final BackendChoice choice;
    private final int size;
    private final int row;
    private final int reps;
    private final long seed;

    Demo(BackendChoice choice, int size, int row, int reps, long seed) {
        this.choice = choice;
        this.size = size;
        this.row = row;
        this.reps = reps;
        this.seed = seed;
    }

    /** One function's outcome. */
    record Result(Activation f, Worst forward, Worst backward, double forwardMelems, double backwardMelems) {
        boolean ok() {
            return Ulp.forwardOk(forward.err) && Ulp.backwardOk(backward.err);
        }
    }

    /** The worst element of a check. */
    static final class Worst {
        double err;
        int index = -1;

        void offer(double e, int i) {
            if (index < 0 || e > err) {
                err = e;
                index = i;
            }
        }

        static Worst max(Worst a, Worst b) {
            return a.index < 0 || (b.index >= 0 && b.err > a.err) ? b : a;
        }
    }

    /** Runs the demo, prints the table, and returns whether every function met the contract. */
    boolean run(PrintWriter out) {
        long t0 = System.nanoTime();
        Backend backend = choice.backend();
        Random r = new Random(seed);
        float[] x = new float[size];
        float[] dy = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (4 * r.nextGaussian());
        }
        for (int i = 0; i < size; i++) {
            dy[i] = (float) r.nextGaussian();
        }
        int cols = Math.min(row, size);
        int rows = size / cols;
        out.printf(Locale.ROOT, "nonlin demo: %d elements per function (softmax, log_softmax: %d rows × %d), "
                + "x ~ 4·N(0,1), dy ~ N(0,1), seed %d%n", size, rows, cols, seed);
        out.printf("backend: %s — %s%n", backend.description(), choice.why());
        out.println();
        String head = String.format(Locale.ROOT, "%-36s %9s %9s %12s %12s  %s", "function", "fwd ULP", "bwd ULP",
                "fwd Melem/s", "bwd Melem/s", "contract");
        out.println(head);
        out.println("-".repeat(head.length()));
        out.flush();

        float[] y = new float[size];
        float[] dx = new float[size];
        List<Result> results = new ArrayList<>();
        List<String> slowKernels = new ArrayList<>();
        for (Activation f : Activations.all()) {
            boolean rowWise = f.rowWise();
            // PReLU with one α per channel needs the channels along the last axis.
            int channels = f instanceof Activation.PRelu p && p.numParameters() > 1 ? p.numParameters() : 0;
            int fc = rowWise ? cols : channels > 0 ? channels : size;
            int fr = rowWise ? rows : channels > 0 ? size / channels : 1;
            int n = fr * fc;
            Arrays.fill(y, Float.NaN);   // an element the backend fails to write shows as an error
            Arrays.fill(dx, Float.NaN);
            backend.forward(f, x, 0, y, 0, fr, fc);
            backend.backward(f, x, 0, dy, 0, dx, 0, fr, fc);
            Worst fwd = rowWise ? checkRowsForward(f, x, y, fr, fc) : checkForward(f, x, y, n);
            Worst bwd = rowWise ? checkRowsBackward(f, x, dy, dx, fr, fc) : checkBackward(f, x, dy, dx, n);
            if (!(backend instanceof CudaBackend) && n >= KernelWarmUp.ELEMENTS) {
                // time the compiled loop, not the interpreted one (y and dx are rewritten below)
                int wc = Math.min(fc, KernelWarmUp.ELEMENTS);
                int wr = KernelWarmUp.ELEMENTS / wc;
                for (boolean forward : new boolean[] {true, false}) {
                    String slow = KernelWarmUp.awaitCompiled(f, forward, x, dy, forward ? y : dx, wr, wc, WARM_SECONDS);
                    if (slow != null) {
                        slowKernels.add(slow);
                    }
                }
            }
            double[] tf = new double[reps];
            double[] tb = new double[reps];
            for (int k = 0; k < reps; k++) {
                long a = System.nanoTime();
                backend.forward(f, x, 0, y, 0, fr, fc);
                long b = System.nanoTime();
                backend.backward(f, x, 0, dy, 0, dx, 0, fr, fc);
                long c = System.nanoTime();
                tf[k] = b - a;
                tb[k] = c - b;
            }
            Result res = new Result(f, fwd, bwd, melems(n, median(tf)), melems(n, median(tb)));
            results.add(res);
            out.printf(Locale.ROOT, "%-36s %9s %9s %12.1f %12.1f  %s%n", f, ulps(fwd.err), ulps(bwd.err),
                    res.forwardMelems(), res.backwardMelems(), res.ok() ? "ok" : "FAIL");
            if (!res.ok()) {
                describe(out, f, "forward", fwd, x, dy, y, fc, Ulp.forwardOk(fwd.err));
                describe(out, f, "backward", bwd, x, dy, dx, fc, Ulp.backwardOk(bwd.err));
            }
            out.flush();
        }
        long failed = results.stream().filter(res -> !res.ok()).count();
        out.println();
        out.println("ULP: worst error against the float64 reference; bwd: beyond the absolute slack 2^-23·|dy|. "
                + "Melem/s: host arrays in and out, median of " + reps + " run" + (reps == 1 ? "" : "s")
                + " once the loop is compiled.");
        for (String slow : slowKernels) {
            out.println("warning: " + slow);
        }
        out.printf(Locale.ROOT, "contract: forward ≤ %s ULP, backward ≤ %s ULP + 2^-23·|dy|: %s (%.1f s)%n",
                Catalogue.number(Ulp.FORWARD_ULPS), Catalogue.number(Ulp.BACKWARD_ULPS),
                failed == 0 ? "all " + results.size() + " functions pass"
                        : failed + " of " + results.size() + " functions FAIL",
                (System.nanoTime() - t0) / 1e9);
        out.flush();
        return failed == 0;
    }

    private static void describe(PrintWriter out, Activation f, String what, Worst w, float[] x, float[] dy,
                                 float[] got, int cols, boolean ok) {
        if (ok || w.index < 0) {
            return;
        }
        int i = w.index;
        out.printf(Locale.ROOT, "    worst %s: element %d (row %d), x = %s, dy = %s, got %s (%s ULP)%n", what, i,
                i / cols, x[i], dy[i], got[i], ulps(w.err));
    }

    private static String ulps(double e) {
        return Double.isInfinite(e) ? "inf" : String.format(Locale.ROOT, "%.2f", e);
    }

    private static double melems(int n, double nanos) {
        return nanos <= 0 ? Double.POSITIVE_INFINITY : n * 1e3 / nanos;
    }

    static double median(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    // ------------------------------------------------------------------ checks against float64

    static Worst checkForward(Activation f, float[] x, float[] y, int n) {
        return blocks(n).mapToObj(b -> {
            Worst w = new Worst();
            for (int i = b * CHECK_BLOCK, end = Math.min(n, i + CHECK_BLOCK); i < end; i++) {
                double e = Ulp.ulps(y[i], Reference.forward(f, x[i]));
                w.offer(e, i);
            }
            return w;
        }).reduce(new Worst(), Worst::max);
    }

    static Worst checkBackward(Activation f, float[] x, float[] dy, float[] dx, int n) {
        return blocks(n).mapToObj(b -> {
            Worst w = new Worst();
            for (int i = b * CHECK_BLOCK, end = Math.min(n, i + CHECK_BLOCK); i < end; i++) {
                double exact = dy[i] * Reference.derivative(f, x[i]);
                double e = Ulp.backwardUlps(dx[i], exact, dy[i]);
                w.offer(e, i);
            }
            return w;
        }).reduce(new Worst(), Worst::max);
    }

    static Worst checkRowsForward(Activation f, float[] x, float[] y, int rows, int cols) {
        return IntStream.range(0, rows).parallel().mapToObj(r -> {
            double[] exact = new double[cols];
            Reference.forwardRow(f, x, r * cols, exact, cols);
            Worst w = new Worst();
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                double e = Ulp.ulps(y[i], exact[c]);
                w.offer(e, i);
            }
            return w;
        }).reduce(new Worst(), Worst::max);
    }

    static Worst checkRowsBackward(Activation f, float[] x, float[] dy, float[] dx, int rows, int cols) {
        return IntStream.range(0, rows).parallel().mapToObj(r -> {
            double[] yr = new double[cols];
            double[] exact = new double[cols];
            Reference.forwardRow(f, x, r * cols, yr, cols);
            Reference.backwardRow(f, yr, dy, r * cols, exact, cols);
            double rowDy = Ulp.rowDy(dy, r * cols, cols);     // the contract's |dy| for a row
            Worst w = new Worst();
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                double e = Ulp.backwardUlps(dx[i], exact[c], rowDy);
                w.offer(e, i);
            }
            return w;
        }).reduce(new Worst(), Worst::max);
    }

    private static IntStream blocks(int n) {
        return IntStream.range(0, (n + CHECK_BLOCK - 1) / CHECK_BLOCK).parallel();
    }
}
