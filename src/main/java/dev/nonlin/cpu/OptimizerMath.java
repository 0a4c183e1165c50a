package dev.nonlin.cpu;

import dev.nonlin.Optimizer;

/**
 * The update rules of {@link Optimizer}, once in Java (the CUDA twin is in
 * {@code cuda/include/nonlin_math.cuh}). Float arithmetic, one rounding per operation, in the
 * order the formulas in {@link Optimizer.Sgd} and {@link Optimizer.Adam} are written, so that the
 * CPU and CUDA results agree to the bit when neither contracts a multiply-add.
 */
final class OptimizerMath {
    private OptimizerMath() {
    }

    /** Elements [i0, i1) of one step. m and v may be null when the rule keeps no such state. */
    static void step(Optimizer rule, long t, float[] w, float[] g, float[] m, float[] v, int i0, int i1) {
        switch (rule.kind()) {
            case SGD -> {
                Optimizer.Sgd s = (Optimizer.Sgd) rule;
                float lr = s.lr();
                float mu = s.momentum();
                float wd = s.weightDecay();
                for (int i = i0; i < i1; i++) {
                    float gi = wd == 0f ? g[i] : g[i] + wd * w[i];
                    if (m != null) {
                        gi = mu * m[i] + gi;
                        m[i] = gi;
                    }
                    w[i] = w[i] - lr * gi;
                }
            }
            case ADAM -> {
                Optimizer.Adam a = (Optimizer.Adam) rule;
                float b1 = a.beta1();
                float b2 = a.beta2();
                float wd = a.weightDecay();
                float eps = a.eps();
                // bias corrections in double, once per step
                float c1 = (float) (1.0 - Math.pow(b1, t));
                float c2 = (float) (1.0 - Math.pow(b2, t));
                float lr = a.lr();
                for (int i = i0; i < i1; i++) {
                    float gi = wd == 0f ? g[i] : g[i] + wd * w[i];
                    float mi = b1 * m[i] + (1f - b1) * gi;
                    float vi = b2 * v[i] + (1f - b2) * (gi * gi);
                    m[i] = mi;
                    v[i] = vi;
                    float denom = (float) Math.sqrt(vi / c2) + eps;
                    w[i] = w[i] - lr * ((mi / c1) / denom);
                }
            }
        }
    }
}
