package dev.nonlin;

import dev.nonlin.cpu.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static dev.nonlin.DenseChecks.filled;
import static dev.nonlin.DenseChecks.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Backend#optimizerStep} on every CPU path over several steps, against the formulas in
 * {@link Optimizer}'s Javadoc (PyTorch's SGD and Adam) re-implemented here in double; the same bits
 * on every thread count; and the argument checks.
 */
class OptimizerTest {

    static List<Optimizer> rules() {
        return List.of(
                Optimizer.sgd(0.1f),
                new Optimizer.Sgd(0.1f, 0f, 0.05f),
                Optimizer.sgd(0.05f, 0.9f),
                new Optimizer.Sgd(0.05f, 0.9f, 0.01f),
                Optimizer.adam(1e-3f),
                new Optimizer.Adam(0.01f, 0.8f, 0.99f, 1e-6f, 0.05f));
    }

    static final int STEPS = 7;

    /** Float's unit roundoff: one rounding to nearest is off by at most this much relative. */
    private static final double U = 0x1p-24;

    /**
     * The state of one parameter in double: w, m (velocity or first moment), v (second moment),
     * with running bounds on how far float arithmetic in OptimizerMath's order can be from them.
     */
    private static final class Exact {
        final double[] w;
        final double[] m;
        final double[] v;
        /** Bounds on |float − exact| of w, m and v, carried from step to step. */
        final double[] tol;
        final double[] em;
        final double[] ev;

        Exact(float[] w0) {
            int n = w0.length;
            w = new double[n];
            for (int i = 0; i < n; i++) {
                w[i] = w0[i];
            }
            m = new double[n];
            v = new double[n];
            tol = new double[n];
            em = new double[n];
            ev = new double[n];
        }

        /**
         * One step, written from Optimizer's Javadoc, and a first-order forward error bound of the
         * float computation (OptimizerMath's operations, each rounded once: at most U relative);
         * the check doubles it, for the second-order terms and for using the exact values'
         * magnitudes in place of the float ones. The bound
         * carries the state's errors from step to step and propagates them through the update:
         * the weight decay's g + wd·w cancels, and Adam's u = m̂/(√v̂ + ε) is sensitive to both
         * moments when √v̂ is near ε, so a fixed relative slack would be too tight there and too
         * loose elsewhere. A wrong formula (a missing bias correction is a factor 10 at step 1) is
         * still orders of magnitude beyond it.
         */
        void step(Optimizer rule, long t, float[] g) {
            for (int i = 0; i < w.length; i++) {
                double wd = rule instanceof Optimizer.Sgd s ? s.weightDecay() : ((Optimizer.Adam) rule).weightDecay();
                double gi = g[i] + wd * w[i];
                // g + wd·w in float: w's error scaled by wd, and two roundings
                double dg = wd * tol[i] + U * (Math.abs(wd * w[i]) + Math.abs(gi));
                double u;
                double du;
                if (rule instanceof Optimizer.Sgd s) {
                    if (s.momentum() != 0f) {
                        double mu = s.momentum();
                        double mNew = mu * m[i] + gi;
                        em[i] = mu * em[i] + dg + U * (Math.abs(mu * m[i]) + Math.abs(mNew));
                        m[i] = mNew;
                        u = mNew;
                        du = em[i];
                    } else {
                        u = gi;
                        du = dg;
                    }
                } else {
                    Optimizer.Adam a = (Optimizer.Adam) rule;
                    double b1 = a.beta1();
                    double b2 = a.beta2();
                    double mNew = b1 * m[i] + (1 - b1) * gi;
                    double vNew = b2 * v[i] + (1 - b2) * gi * gi;
                    em[i] = b1 * em[i] + (1 - b1) * dg
                            + U * (Math.abs(b1 * m[i]) + Math.abs((1 - b1) * gi) + Math.abs(mNew));
                    ev[i] = b2 * ev[i] + (1 - b2) * (2 * Math.abs(gi) * dg + dg * dg + U * gi * gi)
                            + U * (b2 * v[i] + (1 - b2) * gi * gi + vNew);
                    m[i] = mNew;
                    v[i] = vNew;
                    double c1 = 1 - Math.pow(b1, t);
                    double c2 = 1 - Math.pow(b2, t);
                    double mHat = mNew / c1;
                    double vHat = vNew / c2;
                    double root = Math.sqrt(vHat);
                    double denom = root + a.eps();
                    u = mHat / denom;
                    // c1, c2 rounded to float (U each), the two divisions, the sqrt and the + ε
                    double dmHat = em[i] / c1 + 2 * U * Math.abs(mHat);
                    double dvHat = ev[i] / c2 + 2 * U * vHat;
                    double dRoot = (root > 0 ? Math.min(dvHat / (2 * root), Math.sqrt(dvHat)) : Math.sqrt(dvHat))
                            + U * root;
                    double dDenom = dRoot + U * denom;
                    du = dmHat / denom + Math.abs(mHat) * dDenom / (denom * Math.max(denom - dDenom, denom / 2))
                            + U * Math.abs(u);
                }
                double lr = rule.lr();
                w[i] -= lr * u;
                // lr·u and the subtraction, rounded once each
                tol[i] += lr * du + U * lr * Math.abs(u) + U * Math.abs(w[i]);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void followsTheFormulasOverSeveralSteps(Optimizer rule) {
        List<Backend> backends = new ArrayList<>(DenseChecks.cpuBackends());
        for (int[] shape : new int[][] {{1, 1}, {3, 11}, {40, 25}, {700, 101}}) {
            int rows = shape[0];
            int cols = shape[1];
            int n = rows * cols;
            long seed = Contract.SEED + n;
            float[] w0 = DenseChecks.gaussian(seed, n, 1);
            Exact exact = new Exact(w0);
            float[][] gs = new float[STEPS][];
            for (int t = 0; t < STEPS; t++) {
                gs[t] = DenseChecks.gaussian(seed + 1 + t, n, 1);
                exact.step(rule, t + 1, gs[t]);
            }
            float[] first = null;
            for (Backend b : backends) {
                float[] w = run(b, rule, w0, gs, rows, cols);
                check(rule, exact, w, b + ", " + rows + "×" + cols);
                if (first == null) {
                    first = w;
                } else {
                    assertArrayEquals(first, w, rule + ": the same bits on every CPU path and thread count, " + b);
                }
            }
        }
    }

    /** STEPS steps from w0 with gradients gs, state tensors from zero; returns w. */
    private static float[] run(Backend b, Optimizer rule, float[] w0, float[][] gs, int rows, int cols) {
        try (Tensor w = b.tensor(w0.clone(), rows, cols);
             Tensor g = b.allocate(rows, cols);
             Tensor m = rule.stateTensors() >= 1 ? b.allocate(rows, cols) : null;
             Tensor v = rule.stateTensors() >= 2 ? b.allocate(rows, cols) : null) {
            for (int t = 0; t < gs.length; t++) {
                float[] gt = gs[t].clone();
                g.copyFrom(gt, 0);
                b.optimizerStep(rule, t + 1, w, g, m, v);
                assertArrayEquals(gs[t], g.toArray(), "g is not modified");
            }
            return w.toArray();
        }
    }

    private static void check(Optimizer rule, Exact exact, float[] w, String who) {
        for (int i = 0; i < w.length; i++) {
            double err = Math.abs(w[i] - exact.w[i]);
            if (!(err <= 2 * exact.tol[i])) {
                fail(String.format(Locale.ROOT, "%s on %s: after %d steps w[%d] = %s, exact %s, error %.3g > %.3g"
                        + " (seed %d)", rule, who, STEPS, i, w[i], exact.w[i], err, 2 * exact.tol[i], Contract.SEED));
            }
        }
    }

    /** The first SGD step with momentum is plain SGD (the velocity starts at zero: v = g). */
    @Test
    void firstMomentumStepIsPlainSgd() {
        for (Backend b : DenseChecks.cpuBackends()) {
            float[] w0 = {1, -2, 0.5f};
            float[] g0 = {0.25f, 1, -4};
            try (Tensor w1 = b.tensor(w0.clone(), 1, 3);
                 Tensor w2 = b.tensor(w0.clone(), 1, 3);
                 Tensor g = b.tensor(g0, 1, 3);
                 Tensor m = b.allocate(1, 3)) {
                b.optimizerStep(Optimizer.sgd(0.5f), 1, w1, g, null, null);
                b.optimizerStep(Optimizer.sgd(0.5f, 0.9f), 1, w2, g, m, null);
                assertArrayEquals(new float[] {0.875f, -2.5f, 2.5f}, w1.toArray(), b.toString());
                assertArrayEquals(w1.toArray(), w2.toArray(), b.toString());
                assertArrayEquals(g0, m.toArray(), "the velocity after step 1 is g, " + b);
            }
        }
    }

    @Test
    void emptyParameterIsANoOp() {
        Backend b = CpuBackend.get();
        b.optimizerStep(Optimizer.adam(0.1f), 1, b.allocate(0, 3), b.allocate(0, 3), b.allocate(0, 3),
                b.allocate(0, 3));
    }

    // ------------------------------------------------------------------ arguments

    private final Backend b = CpuBackend.get();

    @Test
    void badArgumentsAreNamedAndNothingIsWritten() {
        Tensor w = filled(b, 2, 3);
        Tensor g = filled(b, 2, 3);
        Tensor m = filled(b, 2, 3);
        Tensor v = filled(b, 2, 3);
        Optimizer sgd = Optimizer.sgd(0.1f);
        Optimizer momentum = Optimizer.sgd(0.1f, 0.9f);
        Optimizer adam = Optimizer.adam(0.1f);
        rejects("rule (the optimizer) must not be null", () -> b.optimizerStep(null, 1, w, g, null, null), w);
        rejects("step must be >= 1 (the first step is 1), got 0", () -> b.optimizerStep(adam, 0, w, g, m, v), w, m, v);
        rejects("got -3", () -> b.optimizerStep(sgd, -3, w, g, null, null), w);
        rejects("m must be null: " + sgd, () -> b.optimizerStep(sgd, 1, w, g, m, null), w, m);
        rejects("v must be null: " + momentum, () -> b.optimizerStep(momentum, 1, w, g, m, v), w, m, v);
        rejects("m must not be null: " + momentum, () -> b.optimizerStep(momentum, 1, w, g, null, null), w);
        rejects("v must not be null: " + adam, () -> b.optimizerStep(adam, 1, w, g, m, null), w, m);
        rejects("m must not be null: " + adam, () -> b.optimizerStep(adam, 1, w, g, null, v), w, v);
        rejects("m is 3 × 2 but w is 2 × 3", () -> b.optimizerStep(adam, 1, w, g, filled(b, 3, 2), v), w, v);
        rejects("g is 2 × 2 but w is 2 × 3", () -> b.optimizerStep(sgd, 1, w, filled(b, 2, 2), null, null), w);
        rejects("g must not be w", () -> b.optimizerStep(sgd, 1, w, w, null, null), w);
        rejects("m must not be g", () -> b.optimizerStep(momentum, 1, w, g, g, null), w, g);
        rejects("v must not be m", () -> b.optimizerStep(adam, 1, w, g, m, m), w, m);
        rejects("v must not be w", () -> b.optimizerStep(adam, 1, w, g, m, w), w, m);
        rejects("w belongs to another cpu backend instance", () -> b.optimizerStep(sgd, 1, CpuBackend.scalar().allocate(2, 3), g, null,
                null), g);
        Tensor closed = filled(b, 2, 3);
        closed.close();
        rejects("g is closed", () -> b.optimizerStep(adam, 1, w, closed, m, v), w, m, v);
    }
}
