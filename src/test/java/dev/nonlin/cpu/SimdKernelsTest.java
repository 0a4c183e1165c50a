package dev.nonlin.cpu;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import dev.nonlin.Activations;
import dev.nonlin.Contract;
import dev.nonlin.Contract.Worst;
import dev.nonlin.Loss;
import dev.nonlin.Losses;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The SIMD kernels against the scalar reference, for every catalogue entry.
 *
 * <ol>
 *   <li>Loop structure: sizes that straddle every vector width (and one large enough for C2 to
 *       compile the loops), x, y, dy and dx at different non-zero offsets, forward, backward,
 *       backward from the output, in place, and PReLU per channel; guard cells around each output
 *       must stay untouched.
 *   <li>Numerics: special values and random draws (fresh seed per run, printed on failure)
 *       against Scalar's float64 value under the contract: forward ≤ 4 ULP, backward ≤ 8 ULP +
 *       2⁻²³·|dy|, NaN ⇔ NaN, infinities equal.
 *   <li>Rows (softmax, log_softmax): widths that straddle every vector width, at non-zero
 *       offsets, ordinary and special rows (NaN, ±∞ and the dominant entry at the first lane, mid
 *       row and in the tail), against Rows' float64 value and the scalar loop under the
 *       contract (backward with the row's Σ|dy| as |dy|).
 *   <li>The fast path: once compiled, a loop allocates nothing (no boxed vectors), each
 *       function in a JVM of its own ({@link WarmLoops}).
 *   <li>Losses ({@link Losses#all()}): softmax cross-entropy rows against LossMath's (ordinary and
 *       special rows, every target position, ignored and bad targets, widths either side of the
 *       lane counts), the elementwise losses' sums and gradients (whole arrays at offsets, and
 *       special values one lane at a time), in place, and their warm loops.
 * </ol>
 * The largest errors seen are printed after the run, per function.
 */
class SimdKernelsTest {

    private static final SimdKernels SIMD = new SimdKernels();
    private static final Kernels SCALAR = ScalarKernels.INSTANCE;

    private static final int[] SIZES = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 1023, 1025, (1 << 20) + 3};
    /** Offsets of x, y, dy and dx: all different, none a multiple of a vector width. */
    private static final int XO = 3;
    private static final int YO = 5;
    private static final int DYO = 1;
    private static final int DXO = 6;
    /** Cells after each range, which the kernels must not write. */
    private static final int GUARD = 4;
    private static final float POISON = -1234.5f;

    /** Largest errors seen per function, printed after the run (for the record, not asserted). */
    private static final Map<String, double[]> WORST = new TreeMap<>();

    static Stream<Activation> catalogue() {
        return Activations.all().stream();
    }

    static Stream<Activation> rowWise() {
        return catalogue().filter(Activation::rowWise);
    }

    // ================================================================== 1. loops: SIMD vs scalar

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void matchesScalarAtEverySizeAndOffset(Activation f) {
        assumeFalse(f.rowWise(), "row-wise functions: the row methods, section 3");
        Kind k = f.kind();
        double p0 = f.p0();
        double p1 = f.p1();
        for (int n : SIZES) {
            Random r = new Random(Contract.SEED ^ n ^ f.toString().hashCode());
            float[] x = place(Contract.randomValues(r, n), XO);
            float[] dy = place(uniforms(r, n), DYO);
            float[] x0 = x.clone();
            float[] dy0 = dy.clone();
            String at = f + " n=" + n + " (x@" + XO + ", y@" + YO + ", dy@" + DYO + ", dx@" + DXO + ")";

            float[] ySimd = poisoned(YO + n + GUARD);
            float[] yRef = poisoned(YO + n + GUARD);
            SIMD.forward(k, p0, p1, x, XO, ySimd, YO, n);
            SCALAR.forward(k, p0, p1, x, XO, yRef, YO, n);
            compare(at + " forward", x, XO, ySimd, yRef, YO, null, 0, n, false);
            assertTrue(Arrays.equals(x0, x), at + ": forward wrote to x");

            float[] dxSimd = poisoned(DXO + n + GUARD);
            float[] dxRef = poisoned(DXO + n + GUARD);
            SIMD.backward(k, p0, p1, x, XO, dy, DYO, dxSimd, DXO, n);
            SCALAR.backward(k, p0, p1, x, XO, dy, DYO, dxRef, DXO, n);
            compare(at + " backward", x, XO, dxSimd, dxRef, DXO, dy, DYO, n, true);
            assertTrue(Arrays.equals(x0, x) && Arrays.equals(dy0, dy), at + ": backward wrote to x or dy");

            if (f.backwardFromOutput()) {
                float[] dxo = poisoned(DXO + n + GUARD);
                float[] dxoRef = poisoned(DXO + n + GUARD);
                SIMD.backwardFromOutput(k, p0, p1, yRef, YO, dy, DYO, dxo, DXO, n);
                SCALAR.backwardFromOutput(k, p0, p1, yRef, YO, dy, DYO, dxoRef, DXO, n);
                compare(at + " backward from output", yRef, YO, dxo, dxoRef, DXO, dy, DYO, n, true);
            }

            // In place: the same lanes and the same tail, so the same bits as out of place.
            float[] z = x.clone();
            SIMD.forward(k, p0, p1, z, XO, z, XO, n);
            assertRangeEquals(at + " forward in place", ySimd, YO, z, XO, n);
            float[] d = dy.clone();
            SIMD.backward(k, p0, p1, x, XO, d, DYO, d, DYO, n);
            assertRangeEquals(at + " backward in place (dx = dy)", dxSimd, DXO, d, DYO, n);

            if (k == Kind.PRELU) {
                float[] alpha = new float[n];
                for (int i = 0; i < n; i++) {
                    alpha[i] = r.nextFloat() * 2 - 1;
                }
                float[] yp = poisoned(YO + n + GUARD);
                float[] ypRef = poisoned(YO + n + GUARD);
                SIMD.preluForward(x, XO, alpha, yp, YO, n);
                SCALAR.preluForward(x, XO, alpha, ypRef, YO, n);
                compare(at + " prelu per channel forward", x, XO, yp, ypRef, YO, null, 0, n, false);
                float[] dxp = poisoned(DXO + n + GUARD);
                float[] dxpRef = poisoned(DXO + n + GUARD);
                SIMD.preluBackward(x, XO, alpha, dy, DYO, dxp, DXO, n);
                SCALAR.preluBackward(x, XO, alpha, dy, DYO, dxpRef, DXO, n);
                compare(at + " prelu per channel backward", x, XO, dxp, dxpRef, DXO, dy, DYO, n, true);
            }
        }
    }

    /** got vs ref over [off, off + n) under the contract, and the poison around it intact. */
    private static void compare(String what, float[] in, int inOff, float[] got, float[] ref, int off,
                                float[] dy, int dyOff, int n, boolean backward) {
        assertGuardsIntact(what, got, off, n);
        Worst w = new Worst();
        for (int i = 0; i < n; i++) {
            float g = got[off + i];
            double e = ref[off + i];
            double err = backward ? Contract.backwardUlps(g, e, dy[dyOff + i]) : Contract.ulps(g, e);
            w.offer(err, i, in[inOff + i], e, g);
        }
        double tol = backward ? Contract.BACKWARD_ULPS : Contract.FORWARD_ULPS;
        assertTrue(w.err <= tol, () -> w.describe(what + " vs the scalar loop"));
    }

    /** The poison before {@code off} and after {@code off + n} untouched. */
    private static void assertGuardsIntact(String what, float[] got, int off, int n) {
        for (int i = 0; i < off; i++) {
            assertEquals(POISON, got[i], what + ": wrote before the output range at " + i);
        }
        for (int i = off + n; i < got.length; i++) {
            assertEquals(POISON, got[i], what + ": wrote past the output range at " + i);
        }
    }

    private static void assertRangeEquals(String what, float[] a, int ao, float[] b, int bo, int n) {
        for (int i = 0; i < n; i++) {
            if (Float.floatToIntBits(a[ao + i]) != Float.floatToIntBits(b[bo + i])) {
                fail(what + ": element " + i + " is " + b[bo + i] + ", out of place gave " + a[ao + i]);
            }
        }
    }

    // ================================================================== 2. numerics: SIMD vs float64

    /** Where the SIMD code switches formula, clamps or underflows, and the kinks: on top of Contract's. */
    private static final float[] EDGES = {
            -3f, -1.5f, 6f, 0.41421354f, 0.41421357f, 0.1f, 0.01f, 1e-3f, 1e-6f, 0.34657359f,
            9f, 9.1f, 10.0001f, 20.0001f, 19.9999f, 39.9999f, 40.0001f, 42.5f,
            87.3f, 88.8f, 103.98f, 104f, 350f, 350.1f, 354.9f, 355f, 372.5f,
            707.7f, 708.4f, 709.0f, 709.5f, 709.79f, 710f, 744.4f, 745.1f, 745.2f, 746f, 800f, 1075f};

    static float[] inputs(long salt, int randoms) {
        Random r = new Random(Contract.SEED ^ salt);
        float[] special = Contract.specialValues();
        float[] rand = Contract.randomValues(r, randoms);
        float[] a = new float[special.length + 2 * EDGES.length + 2 * randoms];
        int j = 0;
        for (float v : special) {
            a[j++] = v;
        }
        for (float v : EDGES) {
            a[j++] = v;
            a[j++] = -v;
        }
        for (float v : rand) {
            a[j++] = v;
        }
        // log-uniform magnitudes 2^-40 … 2^12: small arguments (expm1, tanh, log1p near 0) and the
        // underflow ranges are thin in a uniform draw.
        for (int i = 0; i < randoms; i++) {
            float m = (float) Math.scalb(1.0 + r.nextDouble(), r.nextInt(53) - 40);
            a[j++] = r.nextBoolean() ? m : -m;
        }
        return a;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void forwardWithinFourUlpsOfFloat64(Activation f) {
        assumeFalse(f.rowWise(), "row-wise functions: the row methods, section 3");
        float[] x = inputs(1, 1 << 16);
        int n = x.length;
        float[] xs = place(x, XO);
        float[] y = poisoned(YO + n);
        SIMD.forward(f.kind(), f.p0(), f.p1(), xs, XO, y, YO, n);
        Worst w = new Worst();
        for (int i = 0; i < n; i++) {
            double exact = Contract.forward(f, x[i]);
            w.offer(Contract.ulps(y[YO + i], exact), i, x[i], exact, y[YO + i]);
        }
        record(f, 0, w.err);
        assertTrue(w.err <= Contract.FORWARD_ULPS, () -> w.describe(f + " forward (SIMD)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void backwardWithinContractOfFloat64(Activation f) {
        assumeFalse(f.rowWise(), "row-wise functions: the row methods, section 3");
        float[] x = inputs(2, 1 << 16);
        Random r = new Random(Contract.SEED ^ 3);
        float[] dy = gaussians(r, x.length);
        checkBackward(f, x, dy, "random dy");
        // Every special x with every special dy: the IEEE product dy·f'(x) (∞·0 = NaN, 0·∞ = NaN, ...).
        float[] sx = Contract.specialValues();
        float[] sdy = {0f, -0f, 1f, -1f, 1e-30f, -1e-30f, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        float[] gx = new float[sx.length * sdy.length];
        float[] gdy = new float[gx.length];
        for (int i = 0; i < sx.length; i++) {
            for (int j = 0; j < sdy.length; j++) {
                gx[i * sdy.length + j] = sx[i];
                gdy[i * sdy.length + j] = sdy[j];
            }
        }
        checkBackward(f, gx, gdy, "special dy");
    }

    private static void checkBackward(Activation f, float[] x, float[] dy, String what) {
        int n = x.length;
        float[] xs = place(x, XO);
        float[] dys = place(dy, DYO);
        float[] dx = poisoned(DXO + n);
        SIMD.backward(f.kind(), f.p0(), f.p1(), xs, XO, dys, DYO, dx, DXO, n);
        Worst w = new Worst();
        double raw = 0;
        for (int i = 0; i < n; i++) {
            double exact = Contract.backward(f, x[i], dy[i]);
            w.offer(Contract.backwardUlps(dx[DXO + i], exact, dy[i]), i, x[i], exact, dx[DXO + i]);
            // For the record: plain ULPs where f' is clear of its roots (|f'| ≥ 2⁻¹⁰), where the
            // contract's absolute slack hides nothing.
            double fp = Math.abs(Scalar.derivative(f.kind(), f.p0(), f.p1(), x[i]));
            if (fp >= 0x1p-10 && Double.isFinite(exact) && exact != 0) {
                raw = Math.max(raw, Contract.ulps(dx[DXO + i], exact));
            }
        }
        record(f, 1, w.err);
        record(f, 3, raw);
        assertTrue(w.err <= Contract.BACKWARD_ULPS,
                () -> w.describe(f + " backward (SIMD, " + what + "; dy = " + dy[Math.max(0, w.index)] + ")"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void backwardFromOutputWithinContract(Activation f) {
        assumeFalse(f.rowWise() || !f.backwardFromOutput(), "no elementwise backward from the output");
        float[] x = inputs(4, 1 << 16);
        int n = x.length;
        float[] y = new float[n];
        SIMD.forward(f.kind(), f.p0(), f.p1(), x, 0, y, 0, n);
        float[] dy = gaussians(new Random(Contract.SEED ^ 5), n);
        float[] dx = poisoned(DXO + n);
        SIMD.backwardFromOutput(f.kind(), f.p0(), f.p1(), place(y, YO), YO, place(dy, DYO), DYO, dx, DXO, n);
        Worst w = new Worst();
        for (int i = 0; i < n; i++) {
            // the derivative written in y, at the y the kernels produced (as the callers use it)
            double exact = dy[i] * Scalar.derivativeFromOutput(f.kind(), f.p0(), f.p1(), y[i]);
            w.offer(Contract.backwardUlps(dx[DXO + i], exact, dy[i]), i, x[i], exact, dx[DXO + i]);
        }
        record(f, 2, w.err);
        assertTrue(w.err <= Contract.BACKWARD_ULPS, () -> w.describe(f + " backward from output (SIMD)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void preluPerChannelWithinContract(Activation f) {
        assumeTrue(f.kind() == Kind.PRELU, "per-channel methods are PReLU's");
        float[] x = inputs(6, 1 << 12);
        int n = x.length;
        Random r = new Random(Contract.SEED ^ 7);
        float[] alpha = new float[n];
        for (int i = 0; i < n; i++) {
            alpha[i] = (r.nextFloat() * 2 - 1) * (i % 7 == 0 ? 100 : 1);
        }
        float[] y = poisoned(YO + n);
        SIMD.preluForward(place(x, XO), XO, alpha, y, YO, n);
        float[] dy = gaussians(r, n);
        float[] dx = poisoned(DXO + n);
        SIMD.preluBackward(place(x, XO), XO, alpha, place(dy, DYO), DYO, dx, DXO, n);
        Worst wf = new Worst();
        Worst wb = new Worst();
        for (int i = 0; i < n; i++) {
            double ey = Scalar.forward(Kind.PRELU, alpha[i], 0, x[i]);
            wf.offer(Contract.ulps(y[YO + i], ey), i, x[i], ey, y[YO + i]);
            double edx = dy[i] * Scalar.derivative(Kind.PRELU, alpha[i], 0, x[i]);
            wb.offer(Contract.backwardUlps(dx[DXO + i], edx, dy[i]), i, x[i], edx, dx[DXO + i]);
        }
        assertTrue(wf.err <= Contract.FORWARD_ULPS, () -> wf.describe(f + " per-channel forward (SIMD)"));
        assertTrue(wb.err <= Contract.BACKWARD_ULPS, () -> wb.describe(f + " per-channel backward (SIMD)"));
    }

    // ================================================================== 3. rows: softmax, log_softmax

    /** Row widths: 0, and either side of 4 (double lanes on AVX2), 8 (float lanes), 16 and 32. */
    private static final int[] COLS = {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 1023, 1025};

    /** Ordinary rows: gaussian, near-uniform with ties at the max, a wide spread, and Contract's mixture. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("rowWise")
    void rowsMatchFloat64AndScalarAtEveryWidthAndOffset(Activation f) {
        for (int n : COLS) {
            Random r = new Random(Contract.SEED ^ n ^ f.toString().hashCode());
            float[] gauss = new float[n];
            float[] ties = new float[n];
            float[] wide = new float[n];
            for (int i = 0; i < n; i++) {
                gauss[i] = (float) (r.nextGaussian() * 10);
                ties[i] = r.nextInt(4) / 4f;   // several entries equal the max
                wide[i] = (r.nextFloat() * 2 - 1) * 200f;
            }
            checkRow(f, gauss, "gaussian", r);
            checkRow(f, ties, "ties at the max", r);
            checkRow(f, wide, "uniform in ±200", r);
            checkRow(f, Contract.randomValues(r, n), "Contract.randomValues", r);
        }
    }

    /**
     * Rows' special rows, with the special entry at the first lane, mid row (at a lane boundary
     * for even widths) and last (in the tail when n is not a multiple of the width).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("rowWise")
    void specialRowsAtEveryWidthAndPosition(Activation f) {
        float inf = Float.POSITIVE_INFINITY;
        for (int n : COLS) {
            if (n == 0) {
                continue;
            }
            Random r = new Random(Contract.SEED ^ n ^ 0x5eed);
            float[] allNegInf = new float[n];
            Arrays.fill(allNegInf, -inf);
            checkRow(f, allNegInf, "all −∞", r);
            for (int p : new int[] {0, n / 2, n - 1}) {
                float[] base = new float[n];
                for (int i = 0; i < n; i++) {
                    base[i] = (float) r.nextGaussian();
                }
                String at = " at " + p;
                checkRow(f, with(base, p, Float.NaN), "NaN" + at, r);
                checkRow(f, with(base, p, -inf), "−∞" + at, r);
                checkRow(f, with(base, p, inf), "+∞" + at, r);
                checkRow(f, with(with(base, p, inf), n - 1 - p, inf), "+∞" + at + " and " + (n - 1 - p), r);
                checkRow(f, with(base, p, Float.MAX_VALUE), "MAX_VALUE" + at, r);
                // the dominant entry: log_softmax = −log1p(Σ e^(x_j)) ≈ −2e-22 · (n − 1), not 0
                float[] dominant = new float[n];
                for (int i = 0; i < n; i++) {
                    dominant[i] = -50f - r.nextFloat();
                }
                checkRow(f, with(dominant, p, 0f), "dominant" + at, r);
                float[] masked = with(allNegInf, p, 3f);
                checkRow(f, masked, "one finite entry" + at, r);
            }
        }
    }

    private static float[] with(float[] a, int i, float v) {
        float[] b = a.clone();
        b[i] = v;
        return b;
    }

    /**
     * One row through the SIMD row methods at offsets XO, YO, DYO, DXO: against Rows' float64
     * value and the scalar loop under the contract, guard cells intact, inputs untouched, and
     * in place bit-identical to out of place.
     */
    private static void checkRow(Activation f, float[] row, String kind, Random r) {
        Kind k = f.kind();
        int n = row.length;
        String at = f + " n=" + n + " " + kind + " (x@" + XO + ", y@" + YO + ", dy@" + DYO + ", dx@" + DXO + ")";
        float[] x = place(row, XO);
        float[] dy = place(gaussians(r, n), DYO);
        float[] x0 = x.clone();
        float[] dy0 = dy.clone();
        double[] tmp = new double[n];
        double l1 = dev.nonlin.cli.Ulp.rowDy(dy, DYO, n);

        float[] y = poisoned(YO + n + GUARD);
        float[] yRef = poisoned(YO + n + GUARD);
        SIMD.rowForward(k, x, XO, y, YO, n, tmp);
        SCALAR.rowForward(k, x, XO, yRef, YO, n, tmp);
        double[] exact = Contract.forwardRow(f, x, XO, n);
        record(f, 0, compareRow(at + " forward", row, y, YO, yRef, exact, 0, n, false));
        assertTrue(Arrays.equals(x0, x), at + ": forward wrote to x");

        float[] dx = poisoned(DXO + n + GUARD);
        float[] dxRef = poisoned(DXO + n + GUARD);
        SIMD.rowBackward(k, x, XO, dy, DYO, dx, DXO, n, tmp);
        SCALAR.rowBackward(k, x, XO, dy, DYO, dxRef, DXO, n, tmp);
        double[] exactDx = Contract.backwardRow(f, x, XO, dy, DYO, n);
        record(f, 1, compareRow(at + " backward", row, dx, DXO, dxRef, exactDx, l1, n, true));
        assertTrue(Arrays.equals(x0, x) && Arrays.equals(dy0, dy), at + ": backward wrote to x or dy");

        // from the output: the reference is Rows' formula at the y the scalar loop produced
        double[] yd = new double[n];
        for (int i = 0; i < n; i++) {
            yd[i] = yRef[YO + i];
        }
        Rows.backwardDouble(k, yd, dy, DYO, yd, n);
        float[] dxo = poisoned(DXO + n + GUARD);
        float[] dxoRef = poisoned(DXO + n + GUARD);
        SIMD.rowBackwardFromOutput(k, yRef, YO, dy, DYO, dxo, DXO, n);
        SCALAR.rowBackwardFromOutput(k, yRef, YO, dy, DYO, dxoRef, DXO, n);
        record(f, 2, compareRow(at + " backward from output", row, dxo, DXO, dxoRef, yd, l1, n, true));

        // in place: y = x, dx = dy and dx = x give the same bits as out of place
        float[] z = x.clone();
        SIMD.rowForward(k, z, XO, z, XO, n, tmp);
        assertRangeEquals(at + " forward in place", y, YO, z, XO, n);
        float[] d = dy.clone();
        SIMD.rowBackward(k, x, XO, d, DYO, d, DYO, n, tmp);
        assertRangeEquals(at + " backward in place (dx = dy)", dx, DXO, d, DYO, n);
        float[] xd = x.clone();
        SIMD.rowBackward(k, xd, XO, dy, DYO, xd, XO, n, tmp);
        assertRangeEquals(at + " backward in place (dx = x)", dx, DXO, xd, XO, n);
        float[] g = dy.clone();
        float[] yy = yRef.clone();
        SIMD.rowBackwardFromOutput(k, yy, YO, g, DYO, g, DYO, n);
        assertRangeEquals(at + " backward from output in place (dx = dy)", dxo, DXO, g, DYO, n);
    }

    /**
     * got vs the float64 value and vs the scalar loop's float, under the contract; guards intact.
     * Returns the worst error against float64 (0 for an empty row).
     */
    private static double compareRow(String what, float[] row, float[] got, int off, float[] scalar, double[] exact,
                                   double l1, int n, boolean backward) {
        assertGuardsIntact(what, got, off, n);
        Worst w = new Worst();
        Worst ws = new Worst();
        for (int i = 0; i < n; i++) {
            float g = got[off + i];
            float s = scalar[off + i];
            w.offer(backward ? Contract.backwardUlps(g, exact[i], l1) : Contract.ulps(g, exact[i]), i, row[i],
                    exact[i], g);
            ws.offer(backward ? Contract.backwardUlps(g, s, l1) : Contract.ulps(g, s), i, row[i], s, g);
        }
        double tol = backward ? Contract.BACKWARD_ULPS : Contract.FORWARD_ULPS;
        assertTrue(w.err <= tol, () -> w.describe(what + " vs float64"));
        assertTrue(ws.err <= tol, () -> ws.describe(what + " vs the scalar loop"));
        return Math.max(0, w.err);
    }

    // ================================================================== 4. the fast path

    /**
     * Once C2 has compiled a loop, a call allocates nothing: each function's loops in a JVM of
     * its own, see {@link WarmLoops}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void warmLoopsAllocateNothing(Activation f) {
        WarmLoops.checkInFreshJvm(WarmLoops.Family.ACTIVATION, Activations.all().indexOf(f), f.toString());
    }

    /**
     * SimdKernels' priming reaches every operator the loops use, so that no operator cache is
     * first filled inside compiled code (rule 5; in a JVM of its own, see {@link WarmLoops}).
     */
    @Test
    void primingFillsEveryOperatorCacheTheLoopsUse() {
        WarmLoops.checkInFreshJvm(WarmLoops.Family.OPERATOR_CACHES, 0, "operator caches");
    }

    /** The SIMD GEMM reuses its packing buffers once warm (in a JVM of its own, see {@link WarmLoops}). */
    @Test
    void warmGemmReusesItsBuffers() {
        WarmLoops.checkInFreshJvm(WarmLoops.Family.GEMM, 0, "gemm");
    }

    @Test
    void eachKindIsRefusedByTheOtherFamilysMethods() {
        float[] a = new float[8];
        for (Kind k : Kind.values()) {
            if (k.rowWise()) {
                assertThrows(IllegalArgumentException.class, () -> SIMD.forward(k, 0, 0, a, 0, a, 0, 8), k::name);
                assertThrows(IllegalArgumentException.class,
                        () -> SIMD.backward(k, 0, 0, a, 0, a, 0, a, 0, 8), k::name);
                assertThrows(IllegalArgumentException.class,
                        () -> SIMD.backwardFromOutput(k, 0, 0, a, 0, a, 0, a, 0, 8), k::name);
            } else {
                double[] tmp = new double[8];
                assertThrows(IllegalArgumentException.class, () -> SIMD.rowForward(k, a, 0, a, 0, 8, tmp), k::name);
                assertThrows(IllegalArgumentException.class,
                        () -> SIMD.rowBackward(k, a, 0, a, 0, a, 0, 8, tmp), k::name);
                assertThrows(IllegalArgumentException.class,
                        () -> SIMD.rowBackwardFromOutput(k, a, 0, a, 0, a, 0, 8), k::name);
            }
        }
    }

    @Test
    void describesItsLanes() {
        assertTrue(SIMD.description().matches(
                "SIMD \\(Vector API, \\d+-bit: \\d+ float / \\d+ double lanes(; transcendental functions scalar)?\\)"),
                SIMD.description());
    }

    // ================================================================== 5. losses against LossMath

    static Stream<Loss> crossEntropyLosses() {
        return Losses.all().stream().filter(Loss::classTargets);
    }

    /** Row widths for cross-entropy: either side of the double (4) and float (8) lane counts, and long rows. */
    private static final int[] CE_COLS = {1, 3, 7, 8, 9, 33, 1000};
    /** Largest errors of the cross-entropy rows: ℓ relative, dz in ULPs beyond 1e-15·|scale|, per loss. */
    private static final Map<String, double[]> CE_WORST = new TreeMap<>();

    /**
     * Ordinary rows (gaussian, wide, ties at the max, all equal, a dominant class) with targets at
     * the first and last entry, mid row, at the max and away from it, and ignored.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("crossEntropyLosses")
    void crossEntropyRowsMatchLossMath(Loss l) {
        for (int n : CE_COLS) {
            Random r = new Random(Contract.SEED ^ n ^ l.hashCode());
            float[] gauss = new float[n];
            float[] wide = new float[n];
            float[] ties = new float[n];
            float[] equal = new float[n];
            float[] dominant = new float[n];
            for (int i = 0; i < n; i++) {
                gauss[i] = (float) (r.nextGaussian() * 3);
                wide[i] = (r.nextFloat() * 2 - 1) * 200f;
                ties[i] = r.nextInt(4) / 4f;
                equal[i] = 0.7f;
                dominant[i] = -50f - r.nextFloat();
            }
            int p = r.nextInt(n);
            dominant[p] = 0f;
            for (float[] row : new float[][] {gauss, wide, ties, equal, dominant}) {
                String what = row == gauss ? "gaussian" : row == wide ? "uniform in ±200" : row == ties ? "ties at the max"
                        : row == equal ? "all equal" : "dominant at " + p;
                for (int t : targets(l, row, r)) {
                    checkCrossEntropyRow(l, row, t, what, r);
                }
            }
        }
    }

    /** NaN, ±∞ and MAX_VALUE at the first entry, mid row and last; all −∞; one finite entry; bad targets. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("crossEntropyLosses")
    void crossEntropySpecialRows(Loss l) {
        float inf = Float.POSITIVE_INFINITY;
        for (int n : CE_COLS) {
            Random r = new Random(Contract.SEED ^ n ^ 0xce);
            float[] allNegInf = new float[n];
            Arrays.fill(allNegInf, -inf);
            checkCrossEntropyRow(l, allNegInf, n - 1, "all −∞", r);
            for (int p : new int[] {0, n / 2, n - 1}) {
                float[] base = new float[n];
                for (int i = 0; i < n; i++) {
                    base[i] = (float) r.nextGaussian();
                }
                String at = " at " + p;
                for (int t : new int[] {p, n - 1 - p}) {
                    checkCrossEntropyRow(l, with(base, p, Float.NaN), t, "NaN" + at, r);
                    checkCrossEntropyRow(l, with(base, p, -inf), t, "−∞" + at, r);
                    checkCrossEntropyRow(l, with(base, p, inf), t, "+∞" + at, r);
                    checkCrossEntropyRow(l, with(base, p, Float.MAX_VALUE), t, "MAX_VALUE" + at, r);
                    checkCrossEntropyRow(l, with(base, p, -Float.MAX_VALUE), t, "−MAX_VALUE" + at, r);
                    checkCrossEntropyRow(l, with(allNegInf, p, 3f), t, "one finite entry" + at, r);
                }
            }
            int ignore = ((Loss.SoftmaxCrossEntropy) l).ignoreIndex();
            checkCrossEntropyRow(l, new float[n], ignore == -5 ? -6 : -5, "bad target", r);
            checkCrossEntropyRow(l, new float[n], ignore == n ? n + 1 : n, "bad target", r);
        }
    }

    /** Targets for a row: first, last, mid, an argmax, a non-max entry when there is one, a random one, ignored. */
    private static int[] targets(Loss l, float[] row, Random r) {
        int n = row.length;
        int argmax = 0;
        int other = -1;
        for (int i = 1; i < n; i++) {
            if (row[i] > row[argmax]) {
                argmax = i;
            }
        }
        for (int i = 0; i < n; i++) {
            if (row[i] < row[argmax]) {
                other = i;
                break;
            }
        }
        int ignore = ((Loss.SoftmaxCrossEntropy) l).ignoreIndex();
        return other < 0 ? new int[] {0, n - 1, n / 2, argmax, r.nextInt(n), ignore}
                : new int[] {0, n - 1, n / 2, argmax, other, r.nextInt(n), ignore};
    }

    /**
     * One row through SIMD.crossEntropyRow against LossMath.crossEntropyRow: ℓ within 1e-12
     * relative (NaN ⇔ NaN, equal infinities), each dz within 1 ULP + 1e-15·|scale| of LossMath's
     * float (the two differ in exp and in the order of r's sum only); the loss alone (dz null)
     * has the same bits; guards, z untouched; dz = z in place gives the same bits.
     */
    private static void checkCrossEntropyRow(Loss l, float[] row, int target, String kind, Random r) {
        Loss.SoftmaxCrossEntropy ce = (Loss.SoftmaxCrossEntropy) l;
        int n = row.length;
        int ignore = ce.ignoreIndex();
        double eps = ce.labelSmoothing();
        double scale = (r.nextBoolean() ? 1 : -1) * Math.scalb(1.0 + r.nextDouble(), r.nextInt(12) - 8);
        String at = l + " n=" + n + " " + kind + ", target " + target + ", scale " + scale + " (z@" + XO + ", dz@"
                + DXO + ", seed " + Contract.SEED + ")";
        float[] z = place(row, XO);
        float[] z0 = z.clone();
        double[] tmp = new double[n];
        float[] dz = poisoned(DXO + n + GUARD);
        float[] dzRef = poisoned(DXO + n + GUARD);
        double loss = SIMD.crossEntropyRow(z, XO, n, target, ignore, eps, dz, DXO, scale, tmp);
        double want = LossMath.crossEntropyRow(z, XO, n, target, ignore, eps, dzRef, DXO, scale);
        assertTrue(Arrays.equals(z0, z), at + ": wrote to z");
        double lossErr;
        if (Double.isNaN(want) || Double.isInfinite(want)) {
            assertEquals(want, loss, at + ": ℓ");
            lossErr = 0;
        } else {
            lossErr = Math.abs(loss - want) / Math.max(Math.abs(want), Double.MIN_NORMAL);
            assertTrue(lossErr <= 1e-12, at + ": ℓ = " + loss + ", LossMath " + want + ", relative error " + lossErr);
        }
        assertEquals(Double.doubleToRawLongBits(loss),
                Double.doubleToRawLongBits(SIMD.crossEntropyRow(z, XO, n, target, ignore, eps, null, 0, 0.0, tmp)),
                at + ": ℓ without dz");
        assertGuardsIntact(at, dz, DXO, n);
        Worst w = new Worst();
        double plain = 0;   // for the record: ULPs without the slack, where |dz| ≥ 2⁻¹⁰·|scale|
        double slack = 1e-15 * Math.abs(scale);
        for (int i = 0; i < n; i++) {
            float g = dz[DXO + i];
            float e = dzRef[DXO + i];
            double err = ulpsBeyond(g, e, slack);
            if (Float.isFinite(e) && Math.abs(e) >= 0x1p-10 * Math.abs(scale)) {
                plain = Math.max(plain, ulpsBeyond(g, e, 0));
            }
            w.offer(err, i, row[i], e, g);
        }
        assertTrue(w.err <= 1, () -> w.describe(at + " dz vs LossMath (ULPs beyond 1e-15·|scale|)"));
        synchronized (CE_WORST) {
            double[] worst = CE_WORST.computeIfAbsent(l.toString(), s -> new double[3]);
            worst[0] = Math.max(worst[0], lossErr);
            worst[1] = Math.max(worst[1], w.err);
            worst[2] = Math.max(worst[2], plain);
        }
        float[] in = z.clone();
        SIMD.crossEntropyRow(in, XO, n, target, ignore, eps, in, XO, scale, tmp);
        assertRangeEquals(at + " in place (dz = z)", dz, DXO, in, XO, n);
    }

    /**
     * Blocks of narrow rows through SIMD.crossEntropyRows against LossMath.crossEntropyRow, every
     * width from 1 to 65 (65: past the block path, row by row): one ordinary row per target
     * position (gaussian, wide, ties at the max, a dominant class, in turn), and special rows in
     * between: ignored, bad targets, NaN, ±∞, MAX_VALUE, all −∞. Each row alone within 1e-12 of
     * LossMath's ℓ; the block's Σℓ within 1e-12 of Σ|ℓ| (NaN ⇔ NaN) for the block without the
     * NaN rows and with them; dz within 1 ULP + 1e-15·|scale|; ℓ without dz the same bits; dz = z
     * in place the same bits; guards and z untouched; the scratch starts as NaN.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("crossEntropyLosses")
    void crossEntropyBlocksMatchLossMath(Loss l) {
        Loss.SoftmaxCrossEntropy ce = (Loss.SoftmaxCrossEntropy) l;
        int ignore = ce.ignoreIndex();
        for (int n = 1; n <= 65; n++) {
            Random r = new Random(Contract.SEED ^ n ^ 0xb10c ^ l.hashCode());
            java.util.List<float[]> rows = new java.util.ArrayList<>();
            java.util.List<Integer> targets = new java.util.ArrayList<>();
            java.util.List<float[]> nanRows = new java.util.ArrayList<>();
            java.util.List<Integer> nanTargets = new java.util.ArrayList<>();
            for (int t = 0; t < n; t++) {
                float[] row = new float[n];
                for (int i = 0; i < n; i++) {
                    row[i] = switch (t % 4) {
                        case 0 -> (float) (r.nextGaussian() * 3);
                        case 1 -> (r.nextFloat() * 2 - 1) * 200f;
                        case 2 -> r.nextInt(3) / 4f;
                        default -> -50f - r.nextFloat();
                    };
                }
                if (t % 4 == 3) {
                    row[r.nextInt(n)] = 0f;
                }
                rows.add(row);
                targets.add(t);
                if (t % 3 == 0) {
                    rows.add(row.clone());
                    targets.add(ignore);
                }
                if (t % 5 == 1) {
                    rows.add(with(row, r.nextInt(n), Float.MAX_VALUE));
                    targets.add(t);
                    rows.add(with(row, r.nextInt(n), Float.NEGATIVE_INFINITY));
                    targets.add(t);
                }
            }
            float[] allNegInf = new float[n];
            Arrays.fill(allNegInf, Float.NEGATIVE_INFINITY);
            nanRows.add(allNegInf);
            nanTargets.add(n - 1);
            nanRows.add(new float[n]);
            nanTargets.add(ignore == -5 ? -6 : -5);
            nanRows.add(new float[n]);
            nanTargets.add(ignore == n ? n + 1 : n);
            float[] base = gaussians(r, n);
            nanRows.add(with(base, r.nextInt(n), Float.NaN));
            nanTargets.add(r.nextInt(n));
            nanRows.add(with(base, r.nextInt(n), Float.POSITIVE_INFINITY));
            nanTargets.add(r.nextInt(n));
            checkCrossEntropyBlock(l, rows, targets, "n=" + n + " finite rows", r);
            for (int k = 0; k < nanRows.size(); k++) {
                int at = r.nextInt(rows.size() + 1);
                rows.add(at, nanRows.get(k));
                targets.add(at, nanTargets.get(k));
            }
            checkCrossEntropyBlock(l, rows, targets, "n=" + n + " with NaN rows", r);
        }
    }

    private static void checkCrossEntropyBlock(Loss l, java.util.List<float[]> rowList, java.util.List<Integer> tl,
                                               String kind, Random r) {
        Loss.SoftmaxCrossEntropy ce = (Loss.SoftmaxCrossEntropy) l;
        int ignore = ce.ignoreIndex();
        double eps = ce.labelSmoothing();
        int rows = rowList.size();
        int n = rowList.get(0).length;
        double scale = (r.nextBoolean() ? 1 : -1) * Math.scalb(1.0 + r.nextDouble(), r.nextInt(12) - 8);
        String at = l + " " + kind + ", " + rows + " rows, scale " + scale + " (seed " + Contract.SEED + ")";
        float[] flat = new float[rows * n];
        int[] target = new int[rows + 2];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(rowList.get(i), 0, flat, i * n, n);
            target[i + 2] = tl.get(i);
        }
        float[] z = place(flat, XO);
        float[] z0 = z.clone();
        double[] tmp = new double[SIMD.crossEntropyScratch(rows, n)];
        Arrays.fill(tmp, Double.NaN);
        float[] dz = poisoned(DXO + rows * n + GUARD);
        float[] dzRef = poisoned(DXO + rows * n + GUARD);
        double loss = SIMD.crossEntropyRows(z, XO, rows, n, target, 2, ignore, eps, dz, DXO, scale, tmp);
        assertTrue(Arrays.equals(z0, z), at + ": wrote to z");
        assertGuardsIntact(at, dz, DXO, rows * n);
        double want = 0;
        double mag = 0;
        double rowErr = 0;
        double[] one = new double[SIMD.crossEntropyScratch(1, n)];
        for (int i = 0; i < rows; i++) {
            double w = LossMath.crossEntropyRow(z, XO + i * n, n, target[i + 2], ignore, eps, dzRef, DXO + i * n, scale);
            want += w;
            mag += Math.abs(w);
            Arrays.fill(one, Double.NaN);
            double g = SIMD.crossEntropyRows(z, XO + i * n, 1, n, target, i + 2, ignore, eps, null, 0, 0.0, one);
            if (Double.isNaN(w) || Double.isInfinite(w)) {
                assertEquals(w, g, at + ": ℓ of row " + i + " alone");
            } else {
                double e = Math.abs(g - w) / Math.max(Math.abs(w), Double.MIN_NORMAL);
                assertTrue(e <= 1e-12, at + ": ℓ of row " + i + " alone = " + g + ", LossMath " + w);
                rowErr = Math.max(rowErr, e);
            }
        }
        if (Double.isNaN(want) || Double.isInfinite(want)) {
            assertEquals(want, loss, at + ": Σℓ");
        } else {
            assertTrue(Math.abs(loss - want) <= 1e-12 * mag, at + ": Σℓ = " + loss + ", LossMath " + want);
        }
        Arrays.fill(tmp, Double.NaN);
        assertEquals(Double.doubleToRawLongBits(loss), Double.doubleToRawLongBits(
                SIMD.crossEntropyRows(z, XO, rows, n, target, 2, ignore, eps, null, 0, 0.0, tmp)), at + ": Σℓ without dz");
        double slack = 1e-15 * Math.abs(scale);
        double worst = 0;
        double plain = 0;
        for (int i = 0; i < rows * n; i++) {
            float g = dz[DXO + i];
            float e = dzRef[DXO + i];
            double err = ulpsBeyond(g, e, slack);
            if (Float.isFinite(e) && Math.abs(e) >= 0x1p-10 * Math.abs(scale)) {
                plain = Math.max(plain, ulpsBeyond(g, e, 0));
            }
            int row = i / n;
            assertTrue(err <= 1, at + ": dz of row " + row + " (target " + target[row + 2] + ") entry " + (i % n)
                    + " = " + g + ", LossMath " + e + ", z " + flat[i]);
            worst = Math.max(worst, err);
        }
        synchronized (CE_WORST) {
            double[] w = CE_WORST.computeIfAbsent(l + " blocks", s -> new double[3]);
            w[0] = Math.max(w[0], rowErr);
            w[1] = Math.max(w[1], worst);
            w[2] = Math.max(w[2], plain);
        }
        float[] in = z.clone();
        SIMD.crossEntropyRows(in, XO, rows, n, target, 2, ignore, eps, in, XO, scale, tmp);
        assertRangeEquals(at + " in place (dz = z)", dz, DXO, in, XO, rows * n);
    }

    /** |g − e| in ULPs of e beyond {@code slack} (0 within it); NaN and ±∞ must match exactly (else ∞). */
    private static double ulpsBeyond(float g, float e, double slack) {
        if (Float.isNaN(e) || Float.isNaN(g) || Float.isInfinite(e) || Float.isInfinite(g)) {
            return Float.compare(e, g) == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        double d = Math.abs((double) g - e);
        return d <= slack ? 0 : (d - slack) / Math.ulp(e);
    }

    /** Once compiled, the cross-entropy rows allocate nothing (in a JVM of their own, see {@link WarmLoops}). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("crossEntropyLosses")
    void warmCrossEntropyRowsAllocateNothing(Loss l) {
        WarmLoops.checkInFreshJvm(WarmLoops.Family.CROSS_ENTROPY, Losses.all().indexOf(l), l.toString());
    }

    static Stream<Loss> elementwiseLosses() {
        return Losses.all().stream().filter(l -> !l.classTargets());
    }

    /** Lengths for the elementwise losses: either side of the lane counts and of LOSS_CHUNK (1024). */
    private static final int[] LOSS_SIZES = {0, 1, 3, 4, 7, 8, 9, 16, 33, 1000, 1023, 1024, 1025, 4099, 100003};

    /** z in a loss's domain (probabilities for bce, with p = 0 and 1), or wide values for the others. */
    static float[] lossInputs(Loss l, Random r, int n) {
        float[] z = new float[n];
        for (int i = 0; i < n; i++) {
            z[i] = switch (l.kind()) {
                case BCE -> i % 17 == 0 ? (float) (i % 2) : r.nextFloat();
                default -> i % 5 == 0 ? (r.nextFloat() * 2 - 1) * 200f : (float) (r.nextGaussian() * 4);
            };
        }
        return z;
    }

    /** Targets: hard 0 and 1, soft in [0, 1]. */
    static float[] lossTargets(Random r, int n) {
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = i % 3 == 0 ? 0f : i % 3 == 1 ? 1f : r.nextFloat();
        }
        return t;
    }

    /**
     * pos_weight per element: the loss's own (one weight, or its per-column weights repeated), or
     * (mixed) weights in [0, 4] with zeros.
     */
    static float[] lossWeights(Loss l, Random r, int n, boolean mixed) {
        float[] cw = l.columnWeights();
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = l.kind() != Loss.Kind.BCE_WITH_LOGITS ? 0f : mixed ? (i % 7 == 0 ? 0f : r.nextFloat() * 4)
                    : cw == null ? l.p0() : cw[i % cw.length];
        }
        return w;
    }

    /**
     * Σℓ over whole arrays at offsets, SIMD against the scalar kernels (LossMath in index order):
     * within 1e-12 of Σ|ℓ| (another order and another exp and log). dz against LossMath.gradient
     * in double: ≤ 1 ULP beyond 1e-15·|scale|·(1 + w), guards intact, in place (dz = z, dz = t)
     * the same bits.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("elementwiseLosses")
    void elementwiseLossesMatchLossMath(Loss l) {
        Loss.Kind k = l.kind();
        for (int n : LOSS_SIZES) {
            for (boolean mixed : new boolean[] {false, true}) {
                Random r = new Random(Contract.SEED ^ n ^ l.hashCode() ^ (mixed ? 1 : 0));
                String at = l + " n=" + n + (mixed ? " mixed weights" : "") + " (z@" + XO + ", t@" + YO + ", w@" + DYO
                        + ", dz@" + DXO + ", seed " + Contract.SEED + ")";
                float[] z = place(lossInputs(l, r, n), XO);
                float[] t = place(lossTargets(r, n), YO);
                float[] w = place(lossWeights(l, r, n, mixed), DYO);
                double[] tmp = new double[Kernels.LOSS_CHUNK];
                double got = SIMD.lossSum(k, w, DYO, z, XO, t, YO, n, tmp);
                double want = SCALAR.lossSum(k, w, DYO, z, XO, t, YO, n, tmp);
                double abs = 0;
                for (int i = 0; i < n; i++) {
                    abs += Math.abs(LossMath.term(k, w[DYO + i], z[XO + i], t[YO + i]));
                }
                double err = abs == 0 ? Math.abs(got - want) : Math.abs(got - want) / abs;
                assertTrue(err <= 1e-12, at + ": Σℓ = " + got + ", scalar " + want + ", error " + err + " of Σ|ℓ|");
                recordLoss(l, 1, err);

                double scale = -1.75 / Math.max(1, n);
                float[] dz = poisoned(DXO + n + GUARD);
                SIMD.lossGradient(k, w, DYO, z, XO, t, YO, scale, dz, DXO, n);
                checkLossGradient(at, l, w, DYO, z, XO, t, YO, scale, dz, DXO, n);
                float[] zz = z.clone();
                SIMD.lossGradient(k, w, DYO, zz, XO, t, YO, scale, zz, XO, n);
                assertRangeEquals(at + " in place (dz = z)", dz, DXO, zz, XO, n);
                float[] tt = t.clone();
                SIMD.lossGradient(k, w, DYO, z, XO, tt, YO, scale, tt, YO, n);
                assertRangeEquals(at + " in place (dz = t)", dz, DXO, tt, YO, n);
            }
        }
    }

    /**
     * Every special z (Contract's, the edges, 0 and 1 and just inside them) × special t × weights,
     * one element at a time in every lane of a 16-element call among neutral elements (ℓ = 0
     * exactly: z = t = 0 for mse and bce; z = +∞, t = 1 for bce_with_logits), so Σℓ is the
     * element's own ℓ: within 1e-14 of LossMath.term relative to the magnitude of ℓ's parts (ℓ
     * itself for t ∈ [0, 1]), NaN ⇔ NaN, equal infinities. dz as above.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("elementwiseLosses")
    void elementwiseLossSpecialValues(Loss l) {
        Loss.Kind k = l.kind();
        float[] zs = inputs(8, 256);
        float[] extra = {0f, -0f, 1f, 0.5f, 1e-30f, Float.MIN_VALUE, 1f - 0x1p-24f, 0x1p-24f, 1.5f, -0.5f, 40f, -40f,
                36.7f, -36.7f, 745.2f, -745.2f};
        float[] ts = {0f, 1f, 0.25f, 0.999f, -0f, 2f, -1f, Float.NaN, Float.POSITIVE_INFINITY, 1e-30f};
        float[] ws = {0f, 1f, 2.5f, 1e-20f, 1e20f};
        float neutralZ = k == Loss.Kind.BCE_WITH_LOGITS ? Float.POSITIVE_INFINITY : 0f;
        float neutralT = k == Loss.Kind.BCE_WITH_LOGITS ? 1f : 0f;
        int m = 16;
        float[] z = new float[m];
        float[] t = new float[m];
        float[] w = new float[m];
        double[] tmp = new double[Kernels.LOSS_CHUNK];
        Worst worst = new Worst();
        int lane = 0;
        float[] all = new float[zs.length + extra.length];
        System.arraycopy(zs, 0, all, 0, zs.length);
        System.arraycopy(extra, 0, all, zs.length, extra.length);
        for (float zv : all) {
            for (float tv : ts) {
                for (float wv : k == Loss.Kind.BCE_WITH_LOGITS ? ws : new float[] {0f}) {
                    Arrays.fill(z, neutralZ);
                    Arrays.fill(t, neutralT);
                    Arrays.fill(w, 1f);
                    int j = lane++ % m;
                    z[j] = zv;
                    t[j] = tv;
                    w[j] = wv;
                    double got = SIMD.lossSum(k, w, 0, z, 0, t, 0, m, tmp);
                    double want = LossMath.term(k, wv, zv, tv);
                    String at = l + " z=" + zv + " t=" + tv + " w=" + wv + " in lane " + j + " (seed " + Contract.SEED + ")";
                    if (Double.isNaN(want) || Double.isInfinite(want) || Double.isNaN(got) || Double.isInfinite(got)) {
                        assertEquals(want, got, at + ": ℓ");
                    } else {
                        double err = got == want ? 0
                                : Math.abs(got - want) / Math.max(termMagnitude(k, wv, zv, tv), Double.MIN_NORMAL);
                        worst.offer(err, j, zv, want, (float) got);
                        assertTrue(err <= 1e-14, at + ": ℓ = " + got + ", LossMath " + want + ", relative error " + err);
                    }
                    float[] dz = poisoned(m + GUARD);
                    SIMD.lossGradient(k, w, 0, z, 0, t, 0, 0.75, dz, 0, m);
                    checkLossGradient(at, l, w, 0, z, 0, t, 0, 0.75, dz, 0, m);
                }
            }
        }
        recordLoss(l, 0, Math.max(0, worst.err));
    }

    /**
     * The sum of ℓ's parts' magnitudes, the scale of its rounding errors: |ℓ| itself for t ∈ [0, 1],
     * where the parts have one sign, and more for targets outside, where they cancel.
     */
    private static double termMagnitude(Loss.Kind k, double w, double z, double t) {
        return switch (k) {
            case MSE -> (z - t) * (z - t);
            case BCE -> Math.abs(t * Math.max(Math.log(z), LossMath.BCE_LOG_MIN))
                    + Math.abs((1 - t) * Math.max(Math.log(1 - z), LossMath.BCE_LOG_MIN));
            case BCE_WITH_LOGITS -> (w * t == 0 ? 0 : Math.abs(w * t * LossMath.softplus(-z)))
                    + (1 - t == 0 ? 0 : Math.abs((1 - t) * LossMath.softplus(z)));
            case SOFTMAX_CROSS_ENTROPY -> throw new IllegalArgumentException(k.toString());
        };
    }

    /** dz against scale·LossMath.gradient in double: ≤ 1 ULP beyond 1e-15·|scale|·(1 + w); guards intact. */
    private static void checkLossGradient(String at, Loss l, float[] w, int wo, float[] z, int zo, float[] t, int to,
                                          double scale, float[] dz, int dzo, int n) {
        assertGuardsIntact(at, dz, dzo, n);
        Worst worst = new Worst();
        for (int i = 0; i < n; i++) {
            double exact = scale * LossMath.gradient(l.kind(), w[wo + i], z[zo + i], t[to + i]);
            float g = dz[dzo + i];
            double err = Contract.ulps(g, exact);
            if (err > 0 && Double.isFinite(err)) {
                double d = Math.abs(g - exact);
                double slack = 1e-15 * Math.abs(scale) * (1 + Math.abs(w[wo + i]));
                err = d <= slack ? 0 : (d - slack) / Math.ulp((float) exact);
            }
            worst.offer(err, i, z[zo + i], exact, g);
        }
        recordLoss(l, 2, Math.max(0, worst.err));
        assertTrue(worst.err <= 1, () -> worst.describe(at + " dz vs LossMath.gradient (ULPs beyond 1e-15·|scale|·(1 + w))"));
    }

    /** Once compiled, the elementwise loss loops allocate nothing (in a JVM of their own, see {@link WarmLoops}). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("elementwiseLosses")
    void warmElementwiseLossLoopsAllocateNothing(Loss l) {
        WarmLoops.checkInFreshJvm(WarmLoops.Family.ELEMENTWISE_LOSS, Losses.all().indexOf(l), l.toString());
    }

    private static synchronized void recordLoss(Loss l, int slot, double err) {
        double[] e = LOSS_WORST.computeIfAbsent(l.toString(), s -> new double[3]);
        e[slot] = Math.max(e[slot], err);
    }

    /** Largest errors of the elementwise losses: ℓ per element (relative), Σℓ (of Σ|ℓ|), dz (ULPs beyond the slack). */
    private static final Map<String, double[]> LOSS_WORST = new TreeMap<>();

    @AfterAll
    static void printWorst() {
        StringBuilder s = new StringBuilder("SIMD max error in ULP (forward / backward beyond the slack / from output"
                + " / backward plain where |f'| ≥ 2⁻¹⁰; rows: backward beyond 2⁻²³·Σ|dy|), seed "
                + Contract.SEED + ", " + SIMD.description() + ":\n");
        WORST.forEach((name, e) -> s.append(String.format(Locale.ROOT, "  %-36s %6.3f  %6.3f  %6s  %6s%n",
                name, e[0], e[1], orDash(e[2]), orDash(e[3]))));
        s.append("SIMD loss rows against LossMath (ℓ relative error / dz ULPs beyond 1e-15·|scale| / dz ULPs where"
                + " |dz| ≥ 2⁻¹⁰·|scale|):\n");
        CE_WORST.forEach((name, e) -> s.append(String.format(Locale.ROOT, "  %-72s %9.2e  %6.3f  %6.3f%n",
                name, e[0], e[1], e[2])));
        s.append("SIMD elementwise losses against LossMath (ℓ per element, relative / Σℓ, of Σ|ℓ| / dz ULPs beyond"
                + " 1e-15·|scale|·(1 + w)):\n");
        LOSS_WORST.forEach((name, e) -> s.append(String.format(Locale.ROOT, "  %-72s %9.2e  %9.2e  %6.3f%n",
                name, e[0], e[1], e[2])));
        System.out.print(s);
    }

    // ================================================================== helpers

    private static String orDash(double e) {
        return e < 0 ? "-" : String.format(Locale.ROOT, "%6.3f", e);
    }

    private static synchronized void record(Activation f, int slot, double err) {
        double[] e = WORST.computeIfAbsent(f.toString(), s -> new double[] {-1, -1, -1, -1});
        e[slot] = Math.max(e[slot], err);
    }

    /** dy in [−1, 1): cheap to draw at 2²⁰ elements. */
    static float[] uniforms(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }

    static float[] gaussians(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    /** a copied to offset off of a poisoned array with GUARD cells after it. */
    private static float[] place(float[] a, int off) {
        float[] b = poisoned(off + a.length + GUARD);
        System.arraycopy(a, 0, b, off, a.length);
        return b;
    }

    private static float[] poisoned(int n) {
        float[] a = new float[n];
        Arrays.fill(a, POISON);
        return a;
    }
}
