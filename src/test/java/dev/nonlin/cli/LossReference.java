package dev.nonlin.cli;

import dev.nonlin.Loss;

/**
 * A test oracle for the losses' float64 reference ({@code dev.nonlin.cpu.LossMath}, which the
 * backends and {@code nonlin accuracy --losses} use), written apart from it so that a slip there
 * shows here: {@code LossAccuracyTest} holds LossMath to it over sampled inputs. (It found that
 * LossMath took log(1 − p) of a rounded 1 − p, 0 below p = 2⁻⁵³.)
 *
 * <p>Why float64 is enough: every loss is a sum of non-negative terms (each one below is written
 * as such), so neither a term nor the sum cancels, and each term in double is within a few 2⁻⁵³
 * of its exact value: far below a float ULP. The forms that would cancel in double are avoided:
 * log(1 − p) is {@code log1p(−p)} (1 − p rounds away a p below 2⁻⁵³), softplus is
 * max(u, 0) + log1p(e^−|u|), and a row's log-sum-exp is taken as log1p of the sum without one
 * maximal entry. The gradients are differences (p − t, σ(z) − t, p_j − [j = t]) that do cancel
 * near their roots; there the absolute error is about 2⁻⁵³ of the terms.
 *
 * <p>Conventions are the library's (README, "Losses"): PyTorch's clamps for bce, a term whose
 * weight is 0 adds 0 (so z = ±∞ gives the limit), a cross-entropy row whose max is NaN or ±∞ is
 * NaN, an ignored row adds 0 and gets dz = 0.
 */
final class LossReference {
    private LossReference() {
    }

    /** ℓ of one element (mse, bce, bce_with_logits), w = the element's pos_weight. */
    static double term(Loss.Kind k, double w, double z, double t) {
        switch (k) {
            case MSE:
                return (z - t) * (z - t);
            case BCE: {
                if (!(z >= 0 && z <= 1)) {
                    return Double.NaN;
                }
                double logP = Math.max(Math.log(z), -100.0);
                double logQ = Math.max(Math.log1p(-z), -100.0);   // log(1 − p) without rounding 1 − p
                return times(t, -logP) + times(1 - t, -logQ);
            }
            case BCE_WITH_LOGITS:
                return times(w * t, softplus(-z)) + times(1 - t, softplus(z));
            default:
                throw new IllegalArgumentException(k + " is not elementwise");
        }
    }

    /** ∂ℓ/∂z of one element. */
    static double gradient(Loss.Kind k, double w, double z, double t) {
        switch (k) {
            case MSE:
                return 2 * (z - t);
            case BCE:
                if (!(z >= 0 && z <= 1)) {
                    return Double.NaN;
                }
                return (z - t) / Math.max(z * (1 - z), 1e-12);   // PyTorch's gradient, clamp included
            case BCE_WITH_LOGITS:
                return (1 - t) * sigmoid(z) - w * t * sigmoid(-z);
            default:
                throw new IllegalArgumentException(k + " is not elementwise");
        }
    }

    /**
     * One softmax cross-entropy row: returns ℓ and, when {@code dz} is not null, writes
     * ∂ℓ/∂z_j into {@code dz[0..cols)} (unscaled).
     * <pre>
     *   m = max z, a = one index of m, S₁ = Σ_{j≠a} e^(z_j − m), λ = log1p(S₁) = log Σ e^(z_j − m)
     *   ℓ = (1 − ε)·(λ − (z_t − m)) + (ε/C)·Σ_j (λ − (z_j − m))     (every bracket ≥ 0)
     *   ∂ℓ/∂z_j = p_j − ε/C − (1 − ε)[j = t],  and for j = t: −q_t + ε(1 − 1/C),
     *   q_t = 1 − p_t = Σ_{j≠t} e^(z_j − m) / Σ_j e^(z_j − m)   (a sum, not 1 − p_t)
     * </pre>
     */
    static double crossEntropyRow(float[] z, int zo, int cols, int target, int ignoreIndex, double eps,
                                  double[] dz) {
        if (target == ignoreIndex) {
            if (dz != null) {
                java.util.Arrays.fill(dz, 0, cols, 0.0);
            }
            return 0.0;
        }
        double m = Double.NEGATIVE_INFINITY;
        int a = -1;
        boolean nan = false;
        for (int j = 0; j < cols; j++) {
            double v = z[zo + j];
            nan |= v != v;
            if (a < 0 || v > m) {
                m = v;
                a = j;
            }
        }
        if (nan || Double.isInfinite(m)) {
            if (dz != null) {
                java.util.Arrays.fill(dz, 0, cols, Double.NaN);
            }
            return Double.NaN;
        }
        double s1 = 0;
        double notTarget = 0;
        for (int j = 0; j < cols; j++) {
            double e = Math.exp(z[zo + j] - m);
            s1 += j == a ? 0 : e;
            notTarget += j == target ? 0 : e;
        }
        double lambda = Math.log1p(s1);
        double loss = times(1 - eps, lambda - (z[zo + target] - m));
        if (eps != 0) {
            double smooth = 0;
            for (int j = 0; j < cols; j++) {
                smooth += lambda - (z[zo + j] - m);
            }
            loss += eps / cols * smooth;
        }
        if (dz != null) {
            double sum = 1 + s1;
            for (int j = 0; j < cols; j++) {
                dz[j] = j == target ? -(notTarget / sum) + eps * (1 - 1.0 / cols)
                        : Math.exp(z[zo + j] - m) / sum - eps / cols;
            }
        }
        return loss;
    }

    private static double times(double weight, double v) {
        return weight == 0 ? 0 : weight * v;
    }

    private static double softplus(double u) {
        return Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
    }

    private static double sigmoid(double u) {
        if (u != u) {
            return u;
        }
        return u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u));
    }
}
