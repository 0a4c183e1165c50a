package dev.nonlin.cpu;

import dev.nonlin.Loss.Kind;

/**
 * The losses' math, once, in double: the per-element terms and gradients of the elementwise
 * losses and the passes of one softmax cross-entropy row. {@code cuda/include/nonlin_math.cuh}
 * mirrors it function by function (and {@code KernelMathHostTest} compares the two); the
 * reductions (fixed blocks, fixed order) are the backends' business. {@code SimdKernels} computes
 * the same terms in double lanes (its loss loops name the method each mirrors) and calls
 * {@link #ceLoss} and {@link #ceGradient} itself for a row's loss and its target's gradient.
 *
 * <p>Names: z is the input (prediction, probability or logit), t the target, w = pos_weight,
 * ε = label_smoothing, C = the number of classes (cols).
 */
public final class LossMath {
    private LossMath() {
    }

    /** PyTorch's clamp of log p and log(1 − p) in binary_cross_entropy (aten/src/ATen/native/Loss.cpp). */
    public static final double BCE_LOG_MIN = -100.0;
    /** PyTorch's lower bound on p·(1 − p) in binary_cross_entropy's gradient ({@code EPSILON} in Loss.cpp). */
    public static final double BCE_GRAD_EPS = 1e-12;

    // ------------------------------------------------------------------ elementwise

    /**
     * softplus(u) = log(1 + e^u) = max(u, 0) + log1p(e^−|u|): exp never overflows, and
     * softplus(−∞) = 0, softplus(∞) = ∞, NaN gives NaN (Math.max keeps it).
     */
    public static double softplus(double u) {
        return Math.max(u, 0.0) + Math.log1p(Math.exp(-Math.abs(u)));
    }

    /** {@code c·v}, but 0 where the weight c is 0 (so a term that does not count cannot make ∞·0 = NaN). */
    static double weighted(double c, double v) {
        return c == 0 ? 0.0 : c * v;
    }

    /**
     * ℓ(z, t) of one element. {@code p0} is the element's hyper-parameter: the record's p0(), or
     * the entry of its columnWeights() for the element's column (bce_with_logits's pos_weight).
     */
    public static double term(Kind k, double p0, double z, double t) {
        switch (k) {
            case MSE: {
                // (z − t)²: the difference of two floats is exact in double.
                double d = z - t;
                return d * d;
            }
            case BCE: {
                // −(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100)), PyTorch's clamp.
                // p outside [0, 1]: a log of a negative number is NaN, and NaN·0 is NaN, so the
                // result is NaN whatever t is. log(1 − p): see log1mp.
                double lp = Math.max(Math.log(z), BCE_LOG_MIN);
                double lq = Math.max(log1mp(z), BCE_LOG_MIN);
                return -(t * lp + (1.0 - t) * lq);
            }
            case BCE_WITH_LOGITS: {
                // w·t·softplus(−z) + (1 − t)·softplus(z): log σ(z) = −softplus(−z) and
                // log(1 − σ(z)) = −softplus(z), so this is −(w·t·log σ + (1 − t)·log(1 − σ)).
                // Two non-negative terms for t ∈ [0, 1]: nothing cancels, unlike z − z·t forms at
                // large |z|. A term with weight 0 adds 0 (z = ±∞ gives the limit, not ∞·0).
                return weighted(p0 * t, softplus(-z)) + weighted(1.0 - t, softplus(z));
            }
            default:
                throw new IllegalArgumentException(k + " is not an elementwise loss");
        }
    }

    /**
     * log(1 − p) for a float p, to full double accuracy: q = 1 − p rounds (for p below 2⁻²⁹; below
     * 2⁻⁵³ it is 1, and log q = 0 where the answer is −p, which `nonlin accuracy --losses` found
     * as a forward error of 2²⁴ ULP in bce at p = 1.4e-17, t = 0), so the rounding error
     * e = (1 − q) − p, exact by Fast2Sum (|1| ≥ |p|), is put back: log(q + e) = log q + e/q to
     * within e²/q². For p ≥ 0.5, q is exact and e = 0; at p = 1, q = 0 and the divisor's floor
     * keeps 0/0 out (log q = −∞ stands). Mirrored in SimdKernels.bceSum and nonlin_math.cuh.
     */
    static double log1mp(double p) {
        double q = 1.0 - p;
        return Math.log(q) + ((1.0 - q) - p) / Math.max(q, Double.MIN_NORMAL);
    }

    /** ∂ℓ/∂z of one element (PyTorch's gradient for bce: see {@link dev.nonlin.Loss.Bce}). */
    public static double gradient(Kind k, double p0, double z, double t) {
        switch (k) {
            case MSE:
                return 2.0 * (z - t);
            case BCE: {
                // (p − t) / max(p(1 − p), 1e-12), as PyTorch; NaN outside [0, 1] (PyTorch raises there).
                if (!(z >= 0.0 && z <= 1.0)) {
                    return Double.NaN;
                }
                return (z - t) / Math.max(z * (1.0 - z), BCE_GRAD_EPS);
            }
            case BCE_WITH_LOGITS: {
                // w·t·σ(z) + (1 − t)·σ(z) − w·t, rewritten with 1 − σ(z) = σ(−z) as
                // (1 − t)·σ(z) − w·t·σ(−z): exact in both tails, where σ(z) − t would cancel.
                // σ(±∞) is 0 or 1 exactly, so ±∞ needs no guard here.
                return (1.0 - t) * Scalar.sigmoid(z) - p0 * t * Scalar.sigmoid(-z);
            }
            default:
                throw new IllegalArgumentException(k + " is not an elementwise loss");
        }
    }

    // ------------------------------------------------------------------ softmax cross-entropy, one row

    /**
     * One row of softmax cross-entropy: returns ℓ (0 for an ignored row, NaN for a target that is
     * neither a class nor ignore_index), and when {@code dz} is not null writes
     * {@code dz = scale · ∂ℓ/∂z} (0 for an ignored row, NaN for a bad target).
     * <pre>
     *   m = max z,  c = #{z_j = m},  s = Σ_{z_j &lt; m} e^(z_j − m),  r = (c − 1) + s
     *   log p_j = (z_j − m) − log1p(r),  p_j = e^(z_j − m) / (1 + r)
     *   ℓ = log1p(r) − (1 − ε)(z_t − m) − (ε/C)·Σ_j (z_j − m)
     *   ∂ℓ/∂z_j = p_j − ε/C − (1 − ε)[j = t]
     * </pre>
     * The passes are those of cuda/softmax.cu (r without the argmax's index), so the kernel and
     * this code compute the same quantities; only the summation order differs.
     * {@code dz} may be {@code z} at the same offset: every read of the row comes before the
     * pass that writes it, and that pass reads z_j just before writing dz_j.
     */
    public static double crossEntropyRow(float[] z, int zo, int cols, int target, int ignoreIndex, double eps,
                                         float[] dz, int dzo, double scale) {
        return crossEntropyRow(z, zo, cols, target, ignoreIndex, eps, dz, dzo, scale, null);
    }

    /**
     * The same row with ∂ℓ/∂z_j unscaled and unrounded into {@code dz[0..cols)} (or not, when
     * null): the float64 reference {@code nonlin accuracy --losses} measures the backends against,
     * as {@link dev.nonlin.cpu.Scalar} is for the activations.
     */
    public static double crossEntropyRow(float[] z, int zo, int cols, int target, int ignoreIndex, double eps,
                                         double[] dz) {
        return crossEntropyRow(z, zo, cols, target, ignoreIndex, eps, null, 0, 1.0, dz);
    }

    /** One body for both: the gradient goes to {@code df} (scaled, rounded) or {@code dd} (as is). */
    private static double crossEntropyRow(float[] z, int zo, int cols, int target, int ignoreIndex, double eps,
                                          float[] df, int dzo, double scale, double[] dd) {
        if (target == ignoreIndex) {
            if (df != null) {
                java.util.Arrays.fill(df, dzo, dzo + cols, 0f);
            }
            if (dd != null) {
                java.util.Arrays.fill(dd, 0, cols, 0.0);
            }
            return 0.0;
        }
        if (target < 0 || target >= cols) {
            // unreachable through the API (host arrays and int tensors are checked up front): a guard
            if (df != null) {
                java.util.Arrays.fill(df, dzo, dzo + cols, Float.NaN);
            }
            if (dd != null) {
                java.util.Arrays.fill(dd, 0, cols, Double.NaN);
            }
            return Double.NaN;
        }
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            m = Math.max(m, z[zo + j]);          // NaN-aware: m is NaN iff the row has a NaN
        }
        double c = 0;
        double s = 0;
        double sumZm = 0;
        for (int j = 0; j < cols; j++) {
            double v = z[zo + j];
            c += ceIsMax(v, m);
            s += ceExpTerm(v, m);
            sumZm += v - m;
        }
        double r = (c - 1.0) + s;
        double loss = ceLoss(m, r, z[zo + target] - m, sumZm, eps, cols);
        if (df != null || dd != null) {
            double k = 1.0 / (1.0 + r);
            double zt = z[zo + target];
            for (int j = 0; j < cols; j++) {
                double v = z[zo + j];
                double g = ceGradient(v, m, k, r, j == target, j == target && zt == m, eps, cols);
                if (df != null) {
                    df[dzo + j] = (float) (scale * g);
                } else {
                    dd[j] = g;
                }
            }
        }
        return loss;
    }

    /** Pass 2: does v count as a maximal entry? */
    static double ceIsMax(double v, double m) {
        return v == m ? 1.0 : 0.0;
    }

    /** Pass 2: v's term of s = Σ_{v &lt; m} e^(v − m). */
    static double ceExpTerm(double v, double m) {
        return v < m ? Math.exp(v - m) : 0.0;
    }

    /**
     * ℓ of a row from its statistics: m, r, z_t − m and Σ(z_j − m). A row whose max is NaN or ±∞
     * is NaN (as PyTorch's log_softmax there). Terms with a zero weight add 0: ε = 0 leaves a −∞
     * logit harmless, ε = 1 ignores the target's own term.
     */
    static double ceLoss(double m, double r, double ztm, double sumZm, double eps, int cols) {
        return ceLossFromLog1p(m, Math.log1p(r), ztm, sumZm, eps, cols);
    }

    /**
     * {@link #ceLoss} with log1p(r) already taken ({@code SimdKernels} takes it in lanes for a
     * block of rows).
     */
    static double ceLossFromLog1p(double m, double log1pR, double ztm, double sumZm, double eps, int cols) {
        if (m != m || Double.isInfinite(m)) {
            return Double.NaN;
        }
        return log1pR - weighted(1.0 - eps, ztm) - weighted(eps / cols, sumZm);
    }

    /**
     * ∂ℓ/∂z_j = p_j − ε/C − (1 − ε)[j = t], p_j = e^(z_j − m)·k, k = 1/(1 + r). For the target
     * at the max (p_t = k), p_t − 1 = −r·k exactly, so the gradient of a confident, correct row is
     * not lost to cancellation. {@code targetAtMax}: j is the target and z_t = m.
     */
    static double ceGradient(double v, double m, double k, double r, boolean isTarget, boolean targetAtMax,
                             double eps, int cols) {
        if (m != m || Double.isInfinite(m)) {
            return Double.NaN;
        }
        double u = eps / cols;
        if (targetAtMax) {
            return (-r * k + eps) - u;
        }
        double p = Math.exp(v - m) * k;
        return isTarget ? (p - (1.0 - eps)) - u : p - u;
    }
}
