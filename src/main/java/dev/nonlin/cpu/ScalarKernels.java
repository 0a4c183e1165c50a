package dev.nonlin.cpu;

import dev.nonlin.Activation.Kind;
import dev.nonlin.Loss;

/** The scalar reference loops: {@link Scalar}'s double formulas, rounded once to float. */
final class ScalarKernels implements Kernels {
    static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {
    }

    @Override
    public String description() {
        return "scalar";
    }

    @Override
    public Gemm gemm() {
        return ScalarGemm.INSTANCE;
    }

    @Override
    public void forward(Kind k, double p0, double p1, float[] x, int xo, float[] y, int yo, int n) {
        Scalar.forward(k, p0, p1, x, xo, y, yo, n);
    }

    @Override
    public void backward(Kind k, double p0, double p1, float[] x, int xo, float[] dy, int dyo,
                         float[] dx, int dxo, int n) {
        Scalar.backward(k, p0, p1, x, xo, dy, dyo, dx, dxo, n);
    }

    @Override
    public void backwardFromOutput(Kind k, double p0, double p1, float[] y, int yo, float[] dy, int dyo,
                                   float[] dx, int dxo, int n) {
        Scalar.backwardFromOutput(k, p0, p1, y, yo, dy, dyo, dx, dxo, n);
    }

    @Override
    public void rowForward(Kind k, float[] x, int xo, float[] y, int yo, int n, double[] tmp) {
        Rows.forward(k, x, xo, y, yo, n, tmp);
    }

    @Override
    public void rowBackward(Kind k, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n,
                            double[] tmp) {
        Rows.backward(k, x, xo, dy, dyo, dx, dxo, n, tmp);
    }

    @Override
    public void rowBackwardFromOutput(Kind k, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        Rows.backwardFromOutput(k, y, yo, dy, dyo, dx, dxo, n);
    }

    @Override
    public double crossEntropyRow(float[] z, int zo, int cols, int target, int ignoreIndex, double eps,
                                  float[] dz, int dzo, double scale, double[] tmp) {
        return LossMath.crossEntropyRow(z, zo, cols, target, ignoreIndex, eps, dz, dzo, scale);
    }

    @Override
    public double lossSum(Loss.Kind k, float[] w, int wo, float[] z, int zo, float[] t, int to, int n, double[] tmp) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += LossMath.term(k, w == null ? 0.0 : w[wo + i], z[zo + i], t[to + i]);
        }
        return s;
    }

    @Override
    public void lossGradient(Loss.Kind k, float[] w, int wo, float[] z, int zo, float[] t, int to, double scale,
                             float[] dz, int dzo, int n) {
        for (int i = 0; i < n; i++) {
            dz[dzo + i] = (float) (scale * LossMath.gradient(k, w == null ? 0.0 : w[wo + i], z[zo + i], t[to + i]));
        }
    }

    @Override
    public void preluForward(float[] x, int xo, float[] alpha, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = (float) Scalar.forward(Kind.PRELU, alpha[i], 0, x[xo + i]);
        }
    }

    @Override
    public void preluBackward(float[] x, int xo, float[] alpha, float[] dy, int dyo, float[] dx, int dxo, int n) {
        for (int i = 0; i < n; i++) {
            dx[dxo + i] = (float) (dy[dyo + i] * Scalar.derivative(Kind.PRELU, alpha[i], 0, x[xo + i]));
        }
    }
}
