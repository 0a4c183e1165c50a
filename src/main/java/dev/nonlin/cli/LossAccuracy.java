package dev.nonlin.cli;

import dev.nonlin.Backend;
import dev.nonlin.IntTensor;
import dev.nonlin.Loss;
import dev.nonlin.Tensor;
import dev.nonlin.cli.Accuracy.Progress;
import dev.nonlin.cpu.LossMath;
import dev.nonlin.cpu.Scalar;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * What {@code nonlin accuracy --losses} measures, and how: each loss's worst error in ULP against
 * the float64 reference {@link LossMath} (as {@link Scalar} is the activations'; the tests hold it
 * to an oracle written apart, {@code LossReference}, and to mpmath values), through the backend's tensor path (what training code runs: L comes back
 * as a float, dz as floats).
 *
 * <ul>
 *   <li>Calls of 1, 1, 1, 2, 5 and 17 rows, in turn, over a seeded stream of inputs: an
 *       elementwise loss has rows of one element (of C elements where pos_weight is per class),
 *       softmax_cross_entropy rows of C ∈ {1, 2, 3, 5, 7, 32, 33, 1000} logits. Three measures:
 *       the forward L of single rows, the forward L of the batches (the reduction: mean or sum),
 *       and dz of every call, at an upstream dL drawn per call as {@link Accuracy#randomDy}.
 *   <li>Forward: {@link Ulp#ulps} of L, whose exact value is a sum of non-negative terms, so a
 *       relative measure is meaningful everywhere. Backward: {@link Ulp#backwardUlps}, ULPs beyond
 *       the slack 2⁻²³·|s|·W, where s = dL/n (mean) or dL (sum) is what multiplies every ∂ℓ/∂z,
 *       and W the size of the terms that ∂ℓ/∂z subtracts ({@link #terms}): the same
 *       units as an activation's 2⁻²³·|dy|, for the same reason (a difference that cancels to 0
 *       has no relative accuracy to offer).
 *   <li>Inputs: special values first (for bce, probabilities at 0, subnormal, below 2⁻⁵³, near
 *       1 and outside [0, 1]; for cross-entropy, rows with a dominant class, ±∞, NaN, ties), then
 *       draws that are pure functions of (seed, index): for logits and predictions, uniform in
 *       [−20, 20] and [−128, 128] and uniform over the float bit patterns of [−MAX, MAX] and
 *       [−200, 200]; for probabilities, uniform, bit-uniform (tiny p), 1 − bit-uniform (p near
 *       1) and σ of [−40, 40]; targets 0, 1, uniform, and at the gradient's root (t = p, t =
 *       σ(z), t a few ULPs from z for mse); cross-entropy rows uniform in [−10, 10] or
 *       [−128, 128], near-ties (a few ULPs apart), exact ties, a dominant class (by 5 to 120),
 *       or with one special value, targeting the max a third of the time and ignore_index one
 *       time in 16.
 *   <li>The worst case is the largest error, ties to the earliest call; its inputs are named.
 * </ul>
 * Single-threaded and sequential: the default run takes seconds, and a seed gives the same
 * answer on every machine.
 */
final class LossAccuracy {
    private LossAccuracy() {
    }

    /** Rows per call, in turn: single rows half the time, then small batches. */
    static final int[] CALL_ROWS = {1, 1, 1, 2, 5, 17};
    /** Cross-entropy row widths. */
    static final int[] WIDTHS = {1, 2, 3, 5, 7, 32, 33, 1000};

    /** bce's special probabilities: the clamps, subnormals, where 1 − p rounds in double or float, near 1, outside [0, 1]. */
    static final float[] P_SPECIAL = {0f, -0f, Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, 3.7e-44f, 1e-30f, 1e-20f,
            0x1p-60f, 0x1p-53f, 0x1p-40f, 1e-12f, 0x1p-25f, 1e-7f, 1e-3f, 0.25f, 0.5f, 0.75f, 0.999f, 0.99999f,
            1 - 0x1p-23f, 1 - 0x1p-24f, 1f, -0.5f, 1.5f, Float.NaN, Float.POSITIVE_INFINITY};
    /** The targets each special value is paired with, in turn. */
    static final float[] T_SPECIAL = {0f, 1f, 0.5f};
    static final float[] T_SPECIAL_MSE = {0f, 1f, -3f};

    /** Cross-entropy rows checked first, each a call of its own, with its target. */
    static final float[][] ROW_SPECIAL = {{0f, -50f, -100f}, {0f, -50f, -100f}, {1e4f, -1e4f, 0f}, {1e4f, -1e4f, 0f},
            {Float.NEGATIVE_INFINITY, 1f}, {Float.NEGATIVE_INFINITY, 1f}, {Float.NaN, 1f}, {Float.POSITIVE_INFINITY, 1f},
            {9f, 9f, 9f}, {0f}, {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, {88.7f, -88.7f}, {1e30f, -1e30f},
            {20f, 0f, 0f, 0f}, {-Float.MAX_VALUE, Float.MAX_VALUE}};
    static final int[] ROW_SPECIAL_TARGET = {0, 2, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0};

    // streams of the counter-based draws
    private static final long Z = 0x5A11L;
    private static final long T = 0x7A26L;
    private static final long ROW = 0x1234L;
    private static final long TARGET = 0x7766L;
    private static final long CALL = 0xCA11L;

    // ------------------------------------------------------------------ results

    /** The worst case of one measure: the largest error, ties to the earliest call. err −1: nothing checked. */
    static final class Worst {
        double err = -1;
        long call = Long.MAX_VALUE;
        String where = "";

        void offer(double e, long call, Supplier<String> where) {
            if (e > err || (e == err && call < this.call)) {
                err = e;
                this.call = call;
                this.where = e > 0 ? where.get() : "";
            }
        }

        boolean any() {
            return err >= 0;
        }
    }

    /** The three measures of one loss, and how many elements went through it. */
    record Measures(Worst single, Worst batch, Worst backward, long[] elements) {
        static Measures empty() {
            return new Measures(new Worst(), new Worst(), new Worst(), new long[1]);
        }

        /** Forward (singles and batches) within {@link Ulp#FORWARD_ULPS}, backward within {@link Ulp#BACKWARD_ULPS}. */
        boolean ok() {
            return single.any() && Ulp.forwardOk(single.err) && (!batch.any() || Ulp.forwardOk(batch.err))
                    && Ulp.backwardOk(backward.err);
        }
    }

    // ------------------------------------------------------------------ the run

    /** At least {@code elements} inputs through {@code loss} on {@code b}. */
    static Measures measure(Backend b, Loss loss, long elements, long seed, Progress progress) {
        Measures m = Measures.empty();
        long done = 0;
        long next = 0;   // the next element (elementwise) or row (cross-entropy) of the stream
        for (long call = 0; done < elements || call == 0; call++) {
            int rows = CALL_ROWS[(int) (call % CALL_ROWS.length)];
            int n = loss.classTargets() ? crossEntropyCall(b, loss, call, rows, next, seed, m)
                    : elementwiseCall(b, loss, call, rows, next, seed, m);
            // a cross-entropy call may take fewer rows than it is given (1000 wide: 2 at most)
            next += loss.classTargets() ? rows : n;
            done += n;
            if (call % 4096 == 0) {
                progress.update(Math.min(done, elements), elements);
            }
        }
        progress.update(elements, elements);
        m.elements()[0] = done;
        return m;
    }

    /** One call of an elementwise loss: {@code rows} rows of its width, from element {@code first}. */
    private static int elementwiseCall(Backend b, Loss catalogued, long call, int rows, long first, long seed,
                                       Measures m) {
        float[] weights = catalogued.columnWeights();
        int cols = weights == null ? 1 : weights.length;
        Loss l = catalogued;
        int n = rows * cols;
        float[] z = new float[n];
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            z[i] = input(l.kind(), first + i, seed);
            t[i] = target(l.kind(), first + i, z[i], seed);
        }
        double dL = Accuracy.randomDy(seed, call);
        double s = l.reduction() == Loss.Reduction.MEAN ? dL / n : dL;
        float got;
        float[] dz;
        try (Tensor tz = b.tensor(z.clone(), rows, cols); Tensor tt = b.tensor(t.clone(), rows, cols);
             Tensor out = poisoned(b, 1, 1); Tensor tdz = poisoned(b, rows, cols)) {
            b.lossForward(l, tz, tt, out);
            got = out.toArray()[0];
            b.lossBackward(l, tz, tt, dL, tdz);
            dz = tdz.toArray();
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double w = weights == null ? l.p0() : weights[i % cols];
            sum += LossMath.term(l.kind(), w, z[i], t[i]);
            double g = s * LossMath.gradient(l.kind(), w, z[i], t[i]);
            double err = Ulp.backwardUlps(dz[i], g, Math.abs(s) * terms(l, w));
            int j = i;
            m.backward().offer(err, call, () -> String.format(Locale.ROOT, "z=%s t=%s dL=%s%s", z[j], t[j],
                    (float) dL, n == 1 ? "" : String.format(Locale.ROOT, " (call #%d, %dx%d)", call, rows, cols)));
        }
        double exact = l.reduction() == Loss.Reduction.MEAN ? sum / n : sum;
        double err = Ulp.ulps(got, exact);
        if (rows == 1) {
            m.single().offer(err, call, () -> cols == 1 ? "z=" + z[0] + " t=" + t[0]
                    : "z=" + Arrays.toString(z) + " t=" + Arrays.toString(t));
        } else {
            m.batch().offer(err, call, () -> String.format(Locale.ROOT, "call #%d, %dx%d", call, rows, cols));
        }
        return n;
    }

    /** One call of softmax cross-entropy: a special row, or {@code rows} rows of a drawn width from row {@code first}. */
    private static int crossEntropyCall(Backend b, Loss loss, long call, int rows, long first, long seed, Measures m) {
        Loss.SoftmaxCrossEntropy l = (Loss.SoftmaxCrossEntropy) loss;
        float[] z;
        int[] target;
        int cols;
        if (call < ROW_SPECIAL.length) {
            rows = 1;
            z = ROW_SPECIAL[(int) call].clone();
            cols = z.length;
            target = new int[] {ROW_SPECIAL_TARGET[(int) call]};
        } else {
            cols = WIDTHS[(int) Long.remainderUnsigned(hash(seed, CALL, call), WIDTHS.length)];
            if (cols == 1000) {
                rows = Math.min(rows, 2);
            }
            z = new float[rows * cols];
            target = new int[rows];
            for (int r = 0; r < rows; r++) {
                target[r] = row(z, r * cols, cols, first + r, l.ignoreIndex(), seed);
            }
        }
        double dL = Accuracy.randomDy(seed, call);
        long counted = Arrays.stream(target).filter(v -> v != l.ignoreIndex()).count();
        double s = l.reduction() == Loss.Reduction.MEAN ? dL / counted : dL;
        float got;
        float[] dz;
        try (Tensor tz = b.tensor(z.clone(), rows, cols); IntTensor tg = b.intTensor(target);
             Tensor out = poisoned(b, 1, 1); Tensor tdz = poisoned(b, rows, cols)) {
            b.lossForward(l, tz, tg, out);
            got = out.toArray()[0];
            b.lossBackward(l, tz, tg, dL, tdz);
            dz = tdz.toArray();
        }
        double sum = 0;
        double[] g = new double[cols];
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            int tr = target[r];
            sum += LossMath.crossEntropyRow(z, o, cols, tr, l.ignoreIndex(), l.labelSmoothing(), g);
            double zm = max(z, o, cols);
            for (int j = 0; j < cols; j++) {
                // an ignored row's dz is 0 whatever s is (s is NaN when every row is ignored)
                double exact = tr == l.ignoreIndex() ? 0 : s * g[j];
                double err = Ulp.backwardUlps(dz[o + j], exact, Math.abs(s));
                int jj = j;
                int rr = r;
                int c = cols;
                m.backward().offer(err, call, () -> String.format(Locale.ROOT,
                        "C=%d j=%d t=%d z_j=%s max=%s dL=%s%s", c, jj, tr, z[o + jj], (float) zm, (float) dL,
                        target.length == 1 ? "" : String.format(Locale.ROOT, " (call #%d, row %d)", call, rr)));
            }
        }
        double exact = l.reduction() == Loss.Reduction.MEAN ? sum / counted : sum;
        double err = Ulp.ulps(got, exact);
        int c = cols;
        int rs = rows;
        if (rows == 1) {
            m.single().offer(err, call, () -> String.format(Locale.ROOT, "C=%d t=%d z_t=%s max=%s", c, target[0],
                    target[0] >= 0 && target[0] < c ? Float.toString(z[target[0]]) : "-", (float) max(z, 0, c)));
        } else {
            m.batch().offer(err, call, () -> String.format(Locale.ROOT, "call #%d, %dx%d", call, rs, c));
        }
        return rows * cols;
    }

    private static Tensor poisoned(Backend b, int rows, int cols) {
        Tensor t = b.allocate(rows, cols);
        float[] nan = new float[rows * cols];
        Arrays.fill(nan, Float.NaN);
        t.copyFrom(nan, 0);
        return t;
    }

    private static double max(float[] z, int o, int cols) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            m = Math.max(m, z[o + j]);
        }
        return m;
    }

    // ------------------------------------------------------------------ the inputs

    static long hash(long seed, long stream, long i) {
        return Accuracy.mix64(Accuracy.mix64(seed ^ stream) + i * Accuracy.GAMMA);
    }

    /** [lo, hi], uniform in value, from the top 53 bits of h. */
    private static float uniform(long h, float lo, float hi) {
        double u = (h >>> 11) * 0x1p-53;
        return Math.min(hi, Math.max(lo, (float) (lo + (hi - (double) lo) * u)));
    }

    /** [lo, hi], uniform over the float bit patterns (every binade alike). */
    private static float bitUniform(long h, float lo, float hi) {
        long a = Accuracy.Sampling.ordinal(lo);
        long span = Accuracy.Sampling.ordinal(hi) - a + 1;
        return Accuracy.Sampling.fromOrdinal(a + Long.remainderUnsigned(h >>> 2, span));
    }

    private static float[] special(Loss.Kind k) {
        return k == Loss.Kind.BCE ? P_SPECIAL : Accuracy.SPECIAL;
    }

    /** z of element i: a special value (each three times, for three targets), then a draw. */
    static float input(Loss.Kind k, long i, long seed) {
        float[] sp = special(k);
        if (i < 3L * sp.length) {
            return sp[(int) (i / 3)];
        }
        long h = hash(seed, Z, i);
        if (k == Loss.Kind.BCE) {
            switch ((int) (h & 3)) {
                case 0:
                    return uniform(h, 0f, 1f);
                case 1:
                    return bitUniform(h, 0f, 1f);                       // tiny p
                case 2:
                    return (float) (1 - (double) bitUniform(h, 0f, 0.5f)); // p near 1
                default:
                    return (float) Scalar.sigmoid(uniform(h, -40f, 40f));
            }
        }
        switch ((int) (h & 3)) {
            case 0:
                return uniform(h, -20f, 20f);
            case 1:
                return uniform(h, -128f, 128f);
            case 2:
                return bitUniform(h, -Float.MAX_VALUE, Float.MAX_VALUE);
            default:
                return bitUniform(h, -200f, 200f);
        }
    }

    /** t of element i, given its z. */
    static float target(Loss.Kind k, long i, float z, long seed) {
        float[] sp = special(k);
        if (i < 3L * sp.length) {
            return (k == Loss.Kind.MSE ? T_SPECIAL_MSE : T_SPECIAL)[(int) (i % 3)];
        }
        long h = hash(seed, T, i);
        int mode = (int) (h & 3);
        if (k == Loss.Kind.MSE) {
            if (mode == 2 && Float.isFinite(z)) {
                return Float.intBitsToFloat(Float.floatToRawIntBits(z) + (int) ((h >>> 8) % 17) - 8);   // near z
            }
            return input(k, i ^ 0x55555555L, seed ^ T);
        }
        switch (mode) {
            case 0:
                return 0f;
            case 1:
                return 1f;
            case 2:
                return uniform(h, 0f, 1f);
            default:   // at the gradient's root
                return k == Loss.Kind.BCE ? (z >= 0 && z <= 1 ? z : 0.5f) : (float) Scalar.sigmoid(z);
        }
    }

    /** Fills one cross-entropy row of {@code cols} at z[o..) with row {@code r}'s draw; returns its target. */
    static int row(float[] z, int o, int cols, long r, int ignoreIndex, long seed) {
        long h = hash(seed, ROW, r);
        int mode = (int) (h & 7);
        float base = uniform(hash(seed, ROW + 1, r), -50f, 50f);
        for (int j = 0; j < cols; j++) {
            long e = hash(seed, ROW + 2, r * 4099 + j);
            switch (mode) {
                case 0, 1, 4, 5, 7 -> z[o + j] = uniform(e, mode == 4 || mode == 5 ? -5f : -10f, mode == 4 || mode == 5 ? 5f : 10f);
                case 2 -> z[o + j] = uniform(e, -128f, 128f);
                case 3 -> z[o + j] = Float.intBitsToFloat(Float.floatToRawIntBits(base) + (int) ((e >>> 8) % 7) - 3);
                default -> z[o + j] = base;   // exact ties
            }
        }
        long h2 = hash(seed, ROW + 3, r);
        int pick = (int) Long.remainderUnsigned(h2 >>> 8, cols);
        if (mode == 4 || mode == 5) {
            z[o + pick] = (float) (max(z, o, cols) + uniform(h2, 5f, 120f));   // a dominant class
        } else if (mode == 7) {
            z[o + pick] = Accuracy.SPECIAL[(int) Long.remainderUnsigned(h2 >>> 20, Accuracy.SPECIAL.length)];
        }
        long th = hash(seed, TARGET, r);
        int u = (int) (th & 15);
        if (u == 0) {
            return ignoreIndex;
        }
        if (u <= 5) {
            int a = 0;
            for (int j = 1; j < cols; j++) {
                a = z[o + j] > z[o + a] ? j : a;
            }
            return a;   // a confident row's target: the max
        }
        return (int) Long.remainderUnsigned(th >>> 8, cols);
    }

    /**
     * The size of the terms whose difference is ∂ℓ/∂z, for the measure's slack: the gradient of
     * bce_with_logits subtracts terms up to max(1, w); every other gradient's terms (p and t,
     * p_j and the smoothed one-hot, z and t of mse in units of the data) are taken as 1, as
     * softmax's row takes Σ|dy|.
     */
    static double terms(Loss l, double w) {
        return l.kind() == Loss.Kind.BCE_WITH_LOGITS ? Math.max(1, w) : 1;
    }
}
