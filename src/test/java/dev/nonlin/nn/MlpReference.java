package dev.nonlin.nn;

import dev.nonlin.Activation;
import dev.nonlin.cpu.Scalar;

/**
 * A dense network evaluated in double on the host, from a copy of a {@link Sequential}'s
 * parameters: the reference that the gradient check differentiates by central finite differences.
 * The loss is the mean squared error against float targets.
 */
final class MlpReference {
    final Activation[] f;
    final int[] in;
    final int[] out;
    /** Per layer: W (in × out), b (out), α (PReLU only, else null), all in double, perturbable. */
    final double[][] w;
    final double[][] b;
    final double[][] alpha;

    MlpReference(Sequential net) {
        int n = net.layers().size();
        f = new Activation[n];
        in = new int[n];
        out = new int[n];
        w = new double[n][];
        b = new double[n][];
        alpha = new double[n][];
        for (int i = 0; i < n; i++) {
            Dense l = net.layers().get(i);
            f[i] = l.activation();
            in[i] = l.in();
            out[i] = l.out();
            w[i] = toDouble(l.weight().toArray());
            b[i] = toDouble(l.bias().toArray());
            alpha[i] = l.alpha() == null ? null : toDouble(l.alpha().toArray());
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** Pre-activations h = x·W + b of every layer (for the kink guard), then the output. */
    double[][] preActivations(float[] x, int batch) {
        double[][] hs = new double[f.length][];
        double[] a = toDouble(x);
        for (int l = 0; l < f.length; l++) {
            hs[l] = affine(a, batch, l);
            a = activate(hs[l], batch, l);
        }
        return hs;
    }

    double[] output(double[] x, int batch) {
        double[] a = x;
        for (int l = 0; l < f.length; l++) {
            a = activate(affine(a, batch, l), batch, l);
        }
        return a;
    }

    /** mean((y − t)²), PyTorch's mse_loss with reduction=mean. */
    double mse(double[] x, float[] t, int batch) {
        double[] y = output(x, batch);
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            double d = y[i] - t[i];
            s += d * d;
        }
        return s / y.length;
    }

    private double[] affine(double[] a, int batch, int l) {
        double[] h = new double[batch * out[l]];
        for (int r = 0; r < batch; r++) {
            for (int c = 0; c < out[l]; c++) {
                double s = b[l][c];
                for (int k = 0; k < in[l]; k++) {
                    s += a[r * in[l] + k] * w[l][k * out[l] + c];
                }
                h[r * out[l] + c] = s;
            }
        }
        return h;
    }

    private double[] activate(double[] h, int batch, int l) {
        Activation g = f[l];
        int cols = out[l];
        double[] y = new double[h.length];
        if (g.rowWise()) {
            for (int r = 0; r < batch; r++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) {
                    m = Math.max(m, h[r * cols + c]);
                }
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    s += Math.exp(h[r * cols + c] - m);
                }
                for (int c = 0; c < cols; c++) {
                    double v = h[r * cols + c] - m;
                    y[r * cols + c] = g.kind() == Activation.Kind.SOFTMAX ? Math.exp(v) / s : v - Math.log(s);
                }
            }
            return y;
        }
        for (int i = 0; i < h.length; i++) {
            if (alpha[l] != null) {
                double a = alpha[l][alpha[l].length == 1 ? 0 : i % cols];
                y[i] = h[i] > 0 ? h[i] : a * h[i];
            } else {
                y[i] = Scalar.forward(g.kind(), g.p0(), g.p1(), h[i]);
            }
        }
        return y;
    }

    /**
     * How far the derivative of layer l's activation jumps within ±δ of h: 0 for a smooth function,
     * the size of the kink near a kink. Central differences across a kink measure neither side.
     */
    double jump(int l, double h, double delta) {
        Activation g = f[l];
        if (g.rowWise()) {
            return 0;            // softmax and log_softmax are smooth
        }
        if (alpha[l] != null) {
            return Math.abs(h) < delta ? 1 : 0;
        }
        return Math.abs(Scalar.derivative(g.kind(), g.p0(), g.p1(), h + delta)
                - Scalar.derivative(g.kind(), g.p0(), g.p1(), h - delta));
    }
}
