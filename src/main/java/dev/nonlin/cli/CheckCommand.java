package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.NonlinException;
import dev.nonlin.Tensor;
import dev.nonlin.cuda.CudaBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code nonlin check}: does this backend give right answers here? Every catalogue function,
 * forward and backward, over sizes that straddle vector and warp widths, through the host-array
 * path (at an offset), in place, and through tensors, against the float64 reference under the
 * contract. Outputs are poisoned with NaN first, so an element the backend fails to write fails.
 */
@Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Checks every function on a backend against the float64 reference, over sizes "
                + "0, 1, 31, 32, 33, 1023, 1025 and 1000003 (special values ±0, subnormals, ±1…±100, ±MAX, ±∞ "
                + "and NaN first, then random draws), through host arrays, in place and through tensors.",
                "Prints the worst error per function in ULP and exits 1 if any function breaks the contract "
                        + "(forward ≤ 4 ULP, backward ≤ 8 ULP + 2^-23·|dy|) or fails with a CUDA error (which the "
                        + "check never lets the CPU compute instead)."})
final class CheckCommand implements Callable<Integer> {

    @Option(names = "--backend", paramLabel = BackendChoice.VALUES,
            description = "The backend to check (default: auto, or NONLIN_BACKEND / -Dnonlin.backend).")
    String backend;

    @Option(names = "--sizes", split = ",", hidden = true,
            defaultValue = "0,1,31,32,33,1023,1025,1000003", description = "Sizes to check, each from 0 to 2^24.")
    int[] sizes;

    /** The largest {@code --sizes} value: a dozen arrays of it live at once (2^24 floats: 64 MiB each). */
    static final int MAX_SIZE = 1 << 24;

    @Option(names = "--seed", hidden = true, defaultValue = "7", description = "Seed of the random draws.")
    long seed;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    /** Row length for softmax and log_softmax: rows of 1025 cross both the warp and the block kernels' bounds. */
    static final int ROW = 1025;

    @Override
    public Integer call() {
        // A CUDA error in a host-array call must fail the check, not be computed on the CPU and
        // pass: the check would compare the CPU with itself.
        String strict = System.setProperty(CudaBackend.STRICT_PROPERTY, "true");
        try {
            return checkAll();
        } finally {
            if (strict == null) {
                System.clearProperty(CudaBackend.STRICT_PROPERTY);
            } else {
                System.setProperty(CudaBackend.STRICT_PROPERTY, strict);
            }
        }
    }

    private int checkAll() {
        common.apply();
        checkSizes();
        PrintWriter out = spec.commandLine().getOut();
        BackendChoice choice = BackendChoice.resolve(backend);
        Backend b = choice.backend();
        out.printf("nonlin check: %s — %s%n", b.description(), choice.why());
        out.printf("sizes %s; host arrays (at an offset), in place, tensors; seed %d%n%n", Arrays.toString(sizes), seed);
        String head = String.format(Locale.ROOT, "%-36s %9s %9s  %s", "function", "fwd ULP", "bwd ULP", "result");
        out.println(head);
        out.println("-".repeat(head.length()));
        out.flush();
        int failed = 0;
        int total = 0;
        for (Activation f : Activations.all()) {
            double fwd = 0;
            double bwd = 0;
            String where = "";
            String error = null;
            for (int n : sizes) {
                double[] e;
                try {
                    e = check(b, f, n);
                } catch (NonlinException ex) {   // a CUDA error: the backend failed on this size
                    error = "n=" + n + ": " + ex.getMessage();
                    break;
                }
                if (e[0] > fwd || e[1] > bwd) {
                    where = "n=" + n;
                }
                fwd = Math.max(fwd, e[0]);
                bwd = Math.max(bwd, e[1]);
            }
            if (error != null) {
                failed++;
                total++;
                out.printf(Locale.ROOT, "%-36s %9s %9s  FAIL (%s)%n", f, "-", "-", error);
                out.flush();
                continue;
            }
            boolean ok = Ulp.forwardOk(fwd) && Ulp.backwardOk(bwd);
            total++;
            if (!ok) {
                failed++;
            }
            out.printf(Locale.ROOT, "%-36s %9s %9s  %s%n", f, fmt(fwd), fmt(bwd), ok ? "pass" : "FAIL (worst at " + where + ")");
            out.flush();
        }
        out.println();
        out.println(failed == 0 ? "all " + total + " functions pass"
                : failed + " of " + total + " functions FAIL");
        return failed == 0 ? Main.OK : Main.FAILED;
    }

    /** Every size in [0, {@link #MAX_SIZE}], and at least one: a check of nothing would pass. */
    private void checkSizes() {
        if (sizes.length == 0) {
            // picocli's split drops empty tokens: "--sizes ," arrives as an empty list
            throw new UserError("--sizes: name at least one size (got an empty list)");
        }
        for (int n : sizes) {
            if (n < 0 || n > MAX_SIZE) {
                throw new UserError("--sizes: a size must be in [0, 2^24], got " + n);
            }
        }
    }

    private static String fmt(double e) {
        return Double.isInfinite(e) || Double.isNaN(e) ? "inf" : String.format(Locale.ROOT, "%.2f", e);
    }

    /** Worst forward and backward errors of f at size n, over every path. */
    private double[] check(Backend b, Activation f, int n) {
        int cols = f.rowWise() ? Math.max(1, Math.min(ROW, n)) : Math.max(1, n);
        int rows = n / cols;
        n = rows * cols;
        float[] x = inputs(n, seed);
        float[] dy = inputs(n, seed + 1);
        double fwd = 0;
        double bwd = 0;

        float[] y = poisoned(n + 1);
        b.forward(f, x, 0, y, 1, rows, cols);
        fwd = Math.max(fwd, forwardError(f, x, Arrays.copyOfRange(y, 1, n + 1), rows, cols));
        float[] z = x.clone();
        b.forwardInPlace(f, z, 0, rows, cols);
        fwd = Math.max(fwd, forwardError(f, x, z, rows, cols));
        float[] dx = poisoned(n);
        b.backward(f, x, 0, dy, 0, dx, 0, rows, cols);
        bwd = Math.max(bwd, backwardError(f, x, dy, dx, rows, cols));

        if (n > 0) {
            try (Tensor tx = b.tensor(x, rows, cols); Tensor ty = b.tensor(poisoned(n), rows, cols);
                 Tensor tdy = b.tensor(dy, rows, cols); Tensor tdx = b.tensor(poisoned(n), rows, cols)) {
                b.forward(f, tx, ty);
                fwd = Math.max(fwd, forwardError(f, x, ty.toArray(), rows, cols));
                b.backward(f, tx, tdy, tdx);
                bwd = Math.max(bwd, backwardError(f, x, dy, tdx.toArray(), rows, cols));
            }
        }
        return new double[] {fwd, bwd};
    }

    private static double forwardError(Activation f, float[] x, float[] y, int rows, int cols) {
        if (x.length == 0) {
            return 0;
        }
        return (f.rowWise() ? Demo.checkRowsForward(f, x, y, rows, cols) : Demo.checkForward(f, x, y, x.length)).err;
    }

    private static double backwardError(Activation f, float[] x, float[] dy, float[] dx, int rows, int cols) {
        if (x.length == 0) {
            return 0;
        }
        return (f.rowWise() ? Demo.checkRowsBackward(f, x, dy, dx, rows, cols)
                : Demo.checkBackward(f, x, dy, dx, x.length)).err;
    }

    private static float[] poisoned(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    /** Special values first (as many as fit), then draws: 4·N(0,1), wide uniform, and random bit patterns. */
    static float[] inputs(int n, long seed) {
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -1e-8f, 1e-8f, 1f, -1f, 3f, -3f,
                6f, 20f, -20f, 88.7f, -88.7f, 100f, -100f, 1e4f, -1e4f, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        Random r = new Random(seed ^ n);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            if (i < special.length && n > 2 * special.length) {
                x[i] = special[i];
            } else {
                switch (i % 3) {
                    case 0 -> x[i] = (float) (4 * r.nextGaussian());
                    case 1 -> x[i] = (r.nextFloat() * 2 - 1) * 200f;
                    default -> x[i] = Float.intBitsToFloat(r.nextInt());
                }
            }
        }
        return x;
    }
}
