package dev.nonlin;

import dev.nonlin.cpu.CpuBackend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The dense-layer API's checks as helpers that any backend can run: {@link Backend#matmul} against
 * a float64 reference under an error bound, and the bias+activation epilogue under the
 * activation contract ({@link Contract}). Inputs are generated from a case's seed, so a GPU test
 * can run the same cases and hold its results to the same references. The CPU tests iterate
 * {@link #cpuBackends()}.
 */
public final class DenseChecks {
    private DenseChecks() {
    }

    private static final String THRESHOLD = "nonlin.cpu.parallelThreshold";

    /** 2⁻²³: twice the unit roundoff of float, the per-operation slack in the matmul bound. */
    public static final double EPS = 0x1p-23;

    // ------------------------------------------------------------------ backends

    /**
     * Every CPU path: the scalar reference (plain GEMM, one thread), the default backend, the SIMD
     * path on one thread, and the SIMD path split across threads at every size (threshold 1).
     */
    public static List<Backend> cpuBackends() {
        List<Backend> b = new ArrayList<>();
        b.add(CpuBackend.scalar());
        b.add(CpuBackend.get());
        if (CpuBackend.simdAvailable()) {
            b.add(CpuBackend.simd(false));
            b.add(splitting(1));
        }
        return b;
    }

    /**
     * The SIMD backend splitting across threads from {@code threshold} work units (see
     * {@link CpuBackend#DEFAULT_PARALLEL_THRESHOLD}); the property is read when a backend is made.
     */
    public static Backend splitting(int threshold) {
        return withProperty(THRESHOLD, Integer.toString(threshold), () -> CpuBackend.simd(true));
    }

    /**
     * The plain GEMM loop ({@code -Dnonlin.cpu.gemm=plain}) on a parallel backend splitting from
     * {@code threshold}: the reference loop's own thread split.
     */
    public static Backend plainSplitting(int threshold) {
        return withProperty(CpuBackend.GEMM_PROPERTY, "plain", () -> splitting(threshold));
    }

    /** A backend made while a system property is set (backends read theirs when made). */
    private static Backend withProperty(String key, String value, java.util.function.Supplier<Backend> make) {
        String old = System.getProperty(key);
        System.setProperty(key, value);
        try {
            return make.get();
        } finally {
            if (old == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, old);
            }
        }
    }

    // ------------------------------------------------------------------ argument checks

    /** A rows × cols tensor of b filled with 42, to show that a rejected call wrote nothing. */
    public static Tensor filled(Backend b, int rows, int cols) {
        float[] v = new float[rows * cols];
        Arrays.fill(v, 42f);
        return b.tensor(v, rows, cols);
    }

    /**
     * The call throws IllegalArgumentException whose message contains {@code mention} (the
     * argument's name and value), and none of {@code untouched} is written.
     */
    public static void rejects(String mention, Executable call, Tensor... untouched) {
        float[][] before = new float[untouched.length][];
        for (int i = 0; i < untouched.length; i++) {
            before[i] = untouched[i].toArray();
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(mention), "message should mention '" + mention + "': " + e.getMessage());
        for (int i = 0; i < untouched.length; i++) {
            assertArrayEquals(before[i], untouched[i].toArray(), "a tensor was written before the argument check");
        }
    }

    // ------------------------------------------------------------------ inputs

    /** n draws of N(0, scale²), rounded to float. */
    public static float[] gaussian(long seed, int n, double scale) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    private static float[] nans(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    // ------------------------------------------------------------------ matmul

    /**
     * One {@code c = alpha·op(a)·op(b) + beta·c}: the shapes of op(a) ({@code m × k}) and op(b)
     * ({@code k × n}), the transposes, the scalars and the seed of the inputs. With
     * {@code beta = 0}, c starts as NaN: BLAS does not read it, so no NaN may leak out.
     */
    public record MatmulCase(int m, int n, int k, Transpose ta, Transpose tb, float alpha, float beta, long seed) {

        /** a as stored: {@code m × k}, or {@code k × m} when transposed. */
        public float[] a() {
            return gaussian(seed, m * k, 1);
        }

        public float[] b() {
            return gaussian(seed ^ 0x5bd1e995L, k * n, 1);
        }

        /** c before the call: NaN when beta = 0 (must not be read), else N(0, 1). */
        public float[] c() {
            return beta == 0f ? nans(m * n) : gaussian(seed ^ 0x27d4eb2fL, m * n, 1);
        }

        public int aRows() {
            return ta == Transpose.N ? m : k;
        }

        public int aCols() {
            return ta == Transpose.N ? k : m;
        }

        public int bRows() {
            return tb == Transpose.N ? k : n;
        }

        public int bCols() {
            return tb == Transpose.N ? n : k;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "m=%d n=%d k=%d %s%s alpha=%s beta=%s", m, n, k, ta, tb, alpha, beta);
        }
    }

    /** Runs one case on b's tensors and returns c. */
    public static float[] matmul(Backend b, MatmulCase mc) {
        try (Tensor a = b.tensor(mc.a(), mc.aRows(), mc.aCols());
             Tensor bt = b.tensor(mc.b(), mc.bRows(), mc.bCols());
             Tensor c = b.tensor(mc.c(), mc.m(), mc.n())) {
            b.matmul(a, mc.ta(), bt, mc.tb(), mc.alpha(), mc.beta(), c);
            return c.toArray();
        }
    }

    /**
     * The exact result of a case in double, and the bound each float result must meet:
     * {@code |c − exact| ≤ (k + 2)·2⁻²³·(|alpha|·Σ_p|a_ip·b_pj| + |beta·c_ij|)}. That is the
     * classical bound of a k-term float dot product (k·u with u = 2⁻²⁴, recursive or blocked
     * summation alike, fma or not) plus the roundings of the alpha and beta terms, with a factor
     * 2 to spare for the partial sums of a blocked k loop that are scaled and added to c.
     * Products of floats are exact in double and the double sum is 2⁻²⁹ times tighter than the
     * bound, so the reference is exact for this purpose.
     */
    public static final class MatmulReference {
        private final MatmulCase mc;
        private final double[] exact;
        private final double[] bound;

        public MatmulReference(MatmulCase mc) {
            this.mc = mc;
            int m = mc.m();
            int n = mc.n();
            int k = mc.k();
            float[] a = mc.a();
            float[] b = mc.b();
            float[] c0 = mc.c();
            double[] s = new double[m * n];
            double[] abs = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    double aip = mc.ta() == Transpose.N ? a[i * k + p] : a[p * m + i];
                    for (int j = 0; j < n; j++) {
                        double bpj = mc.tb() == Transpose.N ? b[p * n + j] : b[j * k + p];
                        s[i * n + j] += aip * bpj;
                        abs[i * n + j] += Math.abs(aip * bpj);
                    }
                }
            }
            exact = new double[m * n];
            bound = new double[m * n];
            for (int i = 0; i < m * n; i++) {
                double bc = mc.beta() == 0f ? 0 : (double) mc.beta() * c0[i];
                exact[i] = (double) mc.alpha() * s[i] + bc;
                bound[i] = (k + 2) * EPS * (Math.abs(mc.alpha()) * abs[i] + Math.abs(bc));
            }
        }

        /** Fails with the worst element, its error in units of its bound, and the seed. */
        public void check(float[] c, String who) {
            int worst = -1;
            double worstRatio = 0;
            for (int i = 0; i < exact.length; i++) {
                double err = Math.abs(c[i] - exact[i]);
                double ratio = err == 0 ? 0 : err / bound[i];
                if (!(ratio <= worstRatio)) {   // NaN is worst
                    worstRatio = ratio;
                    worst = i;
                    if (Double.isNaN(ratio)) {
                        break;
                    }
                }
            }
            if (worst >= 0 && !(worstRatio <= 1)) {
                int w = worst;
                fail(String.format(Locale.ROOT, "%s, %s: c[%d, %d] = %s, exact %s, error %.3g = %.2f × the bound %.3g"
                                + " (seed %d)", who, mc, w / mc.n(), w % mc.n(), c[w], exact[w],
                        Math.abs(c[w] - exact[w]), worstRatio, bound[w], mc.seed()));
            }
        }

        /** The worst error over the bound (0 = exact), for reports. */
        public double worstRatio(float[] c) {
            double r = 0;
            for (int i = 0; i < exact.length; i++) {
                double err = Math.abs(c[i] - exact[i]);
                r = Math.max(r, err == 0 ? 0 : err / bound[i]);
            }
            return r;
        }
    }

    // ------------------------------------------------------------------ bias + activation

    /**
     * z for the epilogue: the contract's special values first, then its random draws (uniform,
     * wide, and random bit patterns), so that the epilogue meets every input class.
     */
    public static float[] epilogueInputs(long seed, int rows, int cols) {
        int n = rows * cols;
        float[] s = Contract.specialValues();
        float[] r = Contract.randomValues(new Random(seed), n);
        System.arraycopy(s, 0, r, 0, Math.min(s.length, n));
        return r;
    }

    /** One bias per column, N(0, 2²), with an exact zero and a large value when there is room. */
    public static float[] biases(long seed, int cols) {
        float[] b = gaussian(seed, cols, 2);
        if (cols > 2) {
            b[1] = 0f;
            b[2] = 1e4f;
        }
        return b;
    }

    /** y = f(float(z + bias)) within the forward contract. */
    public static void checkBiasForward(Activation f, float[] z, float[] bias, int rows, int cols, float[] y,
                                        String who) {
        Contract.Worst w = new Contract.Worst();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                float h = z[i] + bias[c];
                double exact = Contract.forward(f, h);
                w.offer(Contract.ulps(y[i], exact), i, h, exact, y[i]);
            }
        }
        assertTrue(w.err <= Contract.FORWARD_ULPS,
                () -> w.describe(f + " bias forward " + rows + "×" + cols + " on " + who + " (input is z + bias)"));
    }

    /**
     * dz = dy·f'(float(z + bias)) within the backward contract, and dBias against the column sums
     * of that dz in double: within a float ULP for the rounding, plus {@code rows·2⁻⁵²·Σ|dz|}
     * for the double sum's order, which is the backend's (blocks of rows) and not ours.
     */
    public static void checkBiasBackward(Activation f, float[] z, float[] bias, float[] dy, int rows, int cols,
                                         float[] dz, float[] dBias, String who) {
        Contract.Worst w = new Contract.Worst();
        double[] sum = new double[cols];
        double[] abs = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                float h = z[i] + bias[c];
                double exact = Contract.backward(f, h, dy[i]);
                w.offer(Contract.backwardUlps(dz[i], exact, dy[i]), i, h, exact, dz[i]);
                sum[c] += dz[i];
                abs[c] += Math.abs(dz[i]);
            }
        }
        assertTrue(w.err <= Contract.BACKWARD_ULPS,
                () -> w.describe(f + " bias backward dz " + rows + "×" + cols + " on " + who + " (input is z + bias)"));
        for (int c = 0; c < cols; c++) {
            float expected = (float) sum[c];
            String what = String.format(Locale.ROOT, "%s dBias[%d] on %s, %d×%d: expected %s (Σ|dz| = %s), got %s"
                    + " (seed %d)", f, c, who, rows, cols, expected, abs[c], dBias[c], Contract.SEED);
            if (!Float.isFinite(expected)) {
                assertTrue(Float.compare(expected, dBias[c]) == 0 || (Float.isNaN(expected) && Float.isNaN(dBias[c])),
                        what);
            } else {
                double tol = Math.ulp(expected) + rows * 0x1p-52 * abs[c];
                assertTrue(Math.abs(dBias[c] - sum[c]) <= tol, what);
            }
        }
    }
}
