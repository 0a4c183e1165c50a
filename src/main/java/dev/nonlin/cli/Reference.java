package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import dev.nonlin.cpu.Rows;
import dev.nonlin.cpu.Scalar;

/**
 * The float64 values the CLI measures against: {@link Scalar} for elementwise functions,
 * {@link Rows#forwardDouble} and the Jacobian-vector product in double for row-wise ones.
 */
final class Reference {
    private Reference() {
    }

    /** f(x) in double, elementwise only. */
    static double forward(Activation f, double x) {
        return Scalar.forward(f.kind(), f.p0(), f.p1(), x);
    }

    /** f'(x) in double, elementwise only. */
    static double derivative(Activation f, double x) {
        return Scalar.derivative(f.kind(), f.p0(), f.p1(), x);
    }

    /** One row of softmax or log_softmax in double into {@code y[0..n)}. */
    static void forwardRow(Activation f, float[] x, int xo, double[] y, int n) {
        Rows.forwardDouble(f.kind(), x, xo, y, n);
    }

    /**
     * One row of the backward pass in double, from the row's forward values {@code y} (as
     * {@link #forwardRow} gives them): the Jacobian-vector product
     * <pre>
     *   softmax:      dx = y ⊙ (dy − Σ dy ⊙ y)
     *   log_softmax:  dx = dy − e^y · Σ dy
     * </pre>
     */
    static void backwardRow(Activation f, double[] y, float[] dy, int dyo, double[] dx, int n) {
        if (!f.rowWise()) {
            throw new IllegalArgumentException(f + " is not row-wise");
        }
        Rows.backwardDouble(f.kind(), y, dy, dyo, dx, n);
    }
}
