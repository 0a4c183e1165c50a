package dev.nonlin.cpu;

import dev.nonlin.Activation.Kind;

/**
 * Softmax and log_softmax, one row at a time, in double: the reference, and the scalar path
 * ({@link ScalarKernels}). {@code SimdKernels} runs the same formulas in vector lanes and hands
 * the special rows below to this class.
 *
 * <pre>
 *   softmax:      y_i = e^(x_i − m) / (1 + r),      m = max x,  r = Σ_{j≠a} e^(x_j − m),  a = argmax
 *   log_softmax:  y_i = (x_i − m) − log1p(r)
 *   backward:     softmax      dx = y ⊙ (dy − Σ dy ⊙ y)
 *                 log_softmax  dx = dy − e^y · Σ dy
 * </pre>
 *
 * <p>Numerics: the max is subtracted, so exp never overflows. Summing the non-maximal terms
 * separately lets log_softmax use log1p(r): log(1 + r) rounds to 0 once r &lt; 1e-16 and would
 * lose y for the dominant entry entirely.
 *
 * <p>Special rows: a NaN makes its row NaN; −∞ entries get probability 0; a row of all −∞ gives
 * all zeros for softmax and all −∞ for log_softmax ("safe softmax"); +∞ entries share the mass
 * equally (the limit).
 */
public final class Rows {
    private Rows() {
    }

    /** One row of softmax or log_softmax in double: {@code y[0..n)} from {@code x[xo..xo+n)}. */
    public static void forwardDouble(Kind k, float[] x, int xo, double[] y, int n) {
        if (n == 0) {
            return;
        }
        boolean log = k == Kind.LOG_SOFTMAX;
        double m = Double.NEGATIVE_INFINITY;
        int arg = -1;
        for (int i = 0; i < n; i++) {
            double v = x[xo + i];
            if (v != v) {
                java.util.Arrays.fill(y, 0, n, Double.NaN);
                return;
            }
            if (v > m) {
                m = v;
                arg = i;
            }
        }
        if (arg < 0) {
            // every entry is −∞: the safe softmax
            java.util.Arrays.fill(y, 0, n, log ? Double.NEGATIVE_INFINITY : 0.0);
            return;
        }
        if (m == Double.POSITIVE_INFINITY) {
            int c = 0;
            for (int i = 0; i < n; i++) {
                if (x[xo + i] == Float.POSITIVE_INFINITY) {
                    c++;
                }
            }
            double in = log ? -Math.log(c) : 1.0 / c;
            double out = log ? Double.NEGATIVE_INFINITY : 0.0;
            for (int i = 0; i < n; i++) {
                y[i] = x[xo + i] == Float.POSITIVE_INFINITY ? in : out;
            }
            return;
        }
        double r = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(x[xo + i] - m);   // x − m is exact in double
            y[i] = e;
            if (i != arg) {
                r += e;
            }
        }
        if (log) {
            double l = Math.log1p(r);
            for (int i = 0; i < n; i++) {
                y[i] = (x[xo + i] - m) - l;
            }
        } else {
            double inv = 1.0 / (1.0 + r);
            for (int i = 0; i < n; i++) {
                y[i] *= inv;
            }
        }
    }

    /** One row forward into floats. {@code tmp} holds at least n doubles. In place is fine. */
    static void forward(Kind k, float[] x, int xo, float[] y, int yo, int n, double[] tmp) {
        forwardDouble(k, x, xo, tmp, n);
        for (int i = 0; i < n; i++) {
            y[yo + i] = (float) tmp[i];
        }
    }

    /**
     * The Jacobian-vector product of one row in double, from the output y in double:
     * softmax {@code dx = y ⊙ (dy − Σ dy ⊙ y)}, log_softmax {@code dx = dy − e^y · Σ dy}.
     * {@code dx} may be {@code y}.
     */
    public static void backwardDouble(Kind k, double[] y, float[] dy, int dyo, double[] dx, int n) {
        if (k == Kind.SOFTMAX) {
            double dot = 0;
            for (int i = 0; i < n; i++) {
                dot += dy[dyo + i] * y[i];
            }
            for (int i = 0; i < n; i++) {
                dx[i] = y[i] * (dy[dyo + i] - dot);
            }
        } else {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += dy[dyo + i];
            }
            for (int i = 0; i < n; i++) {
                dx[i] = dy[dyo + i] - Math.exp(y[i]) * s;
            }
        }
    }

    /** One row backward from x (y recomputed in double into tmp). {@code dx} may be {@code dy}. */
    static void backward(Kind k, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n,
                         double[] tmp) {
        forwardDouble(k, x, xo, tmp, n);
        backwardDouble(k, tmp, dy, dyo, tmp, n);
        for (int i = 0; i < n; i++) {
            dx[dxo + i] = (float) tmp[i];
        }
    }

    /** One row backward from the output y. {@code dx} may be {@code dy}. */
    static void backwardFromOutput(Kind k, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        if (k == Kind.SOFTMAX) {
            double dot = 0;
            for (int i = 0; i < n; i++) {
                dot += (double) dy[dyo + i] * y[yo + i];
            }
            for (int i = 0; i < n; i++) {
                dx[dxo + i] = (float) (y[yo + i] * (dy[dyo + i] - dot));
            }
        } else {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += dy[dyo + i];
            }
            for (int i = 0; i < n; i++) {
                dx[dxo + i] = (float) (dy[dyo + i] - Math.exp(y[yo + i]) * s);
            }
        }
    }
}
