package dev.nonlin;

import dev.nonlin.cpu.Scalar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dense-layer API put together, on every CPU path: the gradients of one layer
 * {@code y = f(x·W + b)} under an mse loss (dW = xᵀ·dz, dx = dz·Wᵀ, db from the epilogue) against
 * central finite differences in double, for every fusable function in the catalogue; and a
 * least-squares fit by gradient descent that must converge.
 */
class DenseLayerTest {

    static List<Activation> fusable() {
        return Activations.all().stream().filter(BiasActivationTest::fusable).collect(Collectors.toList());
    }

    static final int BATCH = 4;
    static final int IN = 5;
    static final int OUT = 3;

    /** Pre-activations stay this far from every kink, so that the differences straddle none. */
    static final double MARGIN = 0.05;

    /** The layer's inputs: x (BATCH × IN), W (IN × OUT), b (OUT), targets t (BATCH × OUT). */
    private record Layer(float[] x, float[] w, float[] b, float[] t) {
        static Layer draw(long seed) {
            return new Layer(DenseChecks.gaussian(seed, BATCH * IN, 1), DenseChecks.gaussian(seed + 1, IN * OUT, 0.5),
                    DenseChecks.gaussian(seed + 2, OUT, 0.5), DenseChecks.gaussian(seed + 3, BATCH * OUT, 1));
        }

        /** The pre-activations x·W + b in double. */
        double[] z(double[] xd, double[] wd, double[] bd) {
            double[] z = new double[BATCH * OUT];
            for (int r = 0; r < BATCH; r++) {
                for (int o = 0; o < OUT; o++) {
                    double s = bd[o];
                    for (int i = 0; i < IN; i++) {
                        s += xd[r * IN + i] * wd[i * OUT + o];
                    }
                    z[r * OUT + o] = s;
                }
            }
            return z;
        }

        /** The mse loss (mean over all elements) in double: the function the gradients are of. */
        double loss(Activation f, double[] xd, double[] wd, double[] bd) {
            double[] z = z(xd, wd, bd);
            double s = 0;
            for (int i = 0; i < z.length; i++) {
                double y = Scalar.forward(f.kind(), f.p0(), f.p1(), z[i]);
                s += (y - t[i]) * (y - t[i]);
            }
            return s / z.length;
        }

        boolean clearOfKinks(Activation f) {
            for (double z : z(d(x), d(w), d(b))) {
                for (double k : Contract.kinks(f)) {
                    if (Math.abs(z - k) < MARGIN) {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    private static double[] d(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i];
        }
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fusable")
    void gradientsMatchFiniteDifferences(Activation f) {
        long seed = Contract.SEED ^ f.toString().hashCode();
        Layer layer = Layer.draw(seed);
        for (int tries = 1; !layer.clearOfKinks(f); tries++) {
            assertTrue(tries < 100, f + ": no draw clear of the kinks");
            layer = Layer.draw(seed + 10L * tries);
        }
        for (Backend be : DenseChecks.cpuBackends()) {
            checkGradients(f, layer, be);
        }
    }

    private static void checkGradients(Activation f, Layer l, Backend be) {
        Loss mse = Loss.mse();
        try (Tensor x = be.tensor(l.x().clone(), BATCH, IN);
             Tensor w = be.tensor(l.w().clone(), IN, OUT);
             Tensor b = be.tensor(l.b().clone(), 1, OUT);
             Tensor t = be.tensor(l.t().clone(), BATCH, OUT);
             Tensor z = be.allocate(BATCH, OUT);
             Tensor y = be.allocate(BATCH, OUT);
             Tensor loss = be.allocate(1, 1);
             Tensor dy = be.allocate(BATCH, OUT);
             Tensor dz = be.allocate(BATCH, OUT);
             Tensor db = be.allocate(1, OUT);
             Tensor dw = be.allocate(IN, OUT);
             Tensor dx = be.allocate(BATCH, IN)) {
            be.matmul(x, Transpose.N, w, Transpose.N, z);
            be.biasActivationForward(f, z, b, y);
            be.lossForward(mse, y, t, loss);
            be.lossBackward(mse, y, t, 1.0, dy);
            be.biasActivationBackward(f, z, b, dy, dz, db);
            be.matmul(x, Transpose.T, dz, Transpose.N, dw);
            be.matmul(dz, Transpose.N, w, Transpose.T, dx);

            double[] xd = d(l.x());
            double[] wd = d(l.w());
            double[] bd = d(l.b());
            double exactLoss = l.loss(f, xd, wd, bd);
            assertEquals(exactLoss, loss.toArray()[0], 1e-5 * Math.max(1e-3, exactLoss), f + " loss on " + be);
            String who = f + " on " + be;
            compare("dW", dw.toArray(), wd, () -> l.loss(f, xd, wd, bd), who);
            compare("dx", dx.toArray(), xd, () -> l.loss(f, xd, wd, bd), who);
            compare("db", db.toArray(), bd, () -> l.loss(f, xd, wd, bd), who);
        }
    }

    /**
     * Each entry of {@code grad} against central differences of the loss in double, perturbing
     * {@code theta} (which {@code loss} reads) in place. h = 1e-4 moves a pre-activation by less
     * than MARGIN; the truncation error is O(h²) and the rounding O(2⁻⁵²/h), both under 1e-7, while
     * the float path is good to a few 2⁻²⁴ relative: 1e-4 relative, with a floor of 1e-6 × the
     * largest gradient entry, separates them and catches any wrong index or transpose.
     */
    private static void compare(String name, float[] grad, double[] theta,
                                java.util.function.DoubleSupplier loss, String who) {
        double[] fd = Contract.centralDifferences(theta, loss, v -> 1e-4);
        double largest = 0;
        for (double d : fd) {
            largest = Math.max(largest, Math.abs(d));
        }
        for (int i = 0; i < theta.length; i++) {
            double tol = 1e-4 * Math.abs(fd[i]) + 1e-6 * largest + 1e-9;
            int at = i;
            assertTrue(Math.abs(grad[i] - fd[i]) <= tol, () -> String.format(Locale.ROOT,
                    "%s: %s[%d] = %s, finite differences %s (seed %d)", who, name, at, grad[at], fd[at], Contract.SEED));
        }
    }

    /**
     * Least squares, t = x·W* + b* exactly, fitted from zero by full-batch SGD with momentum
     * through the whole API (matmul, epilogue with identity, mse, backward, optimizer steps):
     * the loss must fall by a factor of 10⁶.
     */
    @Test
    void leastSquaresConverges() {
        int rows = 256;
        int in = 8;
        int out = 2;
        float[] x = DenseChecks.gaussian(Contract.SEED, rows * in, 1);
        float[] wStar = DenseChecks.gaussian(Contract.SEED + 1, in * out, 1);
        float[] bStar = DenseChecks.gaussian(Contract.SEED + 2, out, 1);
        float[] t = new float[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = bStar[o];
                for (int i = 0; i < in; i++) {
                    s += (double) x[r * in + i] * wStar[i * out + o];
                }
                t[r * out + o] = (float) s;
            }
        }
        Activation id = Activation.identity();
        Loss mse = Loss.mse();
        Optimizer rule = Optimizer.sgd(0.3f, 0.5f);
        for (Backend be : DenseChecks.cpuBackends()) {
            try (Tensor xt = be.tensor(x.clone(), rows, in);
                 Tensor tt = be.tensor(t.clone(), rows, out);
                 Tensor w = be.allocate(in, out);
                 Tensor b = be.allocate(1, out);
                 Tensor mw = be.allocate(in, out);
                 Tensor mb = be.allocate(1, out);
                 Tensor z = be.allocate(rows, out);
                 Tensor y = be.allocate(rows, out);
                 Tensor dy = be.allocate(rows, out);
                 Tensor dz = be.allocate(rows, out);
                 Tensor db = be.allocate(1, out);
                 Tensor dw = be.allocate(in, out);
                 Tensor loss = be.allocate(1, 1)) {
                double first = Double.NaN;
                double last = Double.NaN;
                for (int step = 1; step <= 200; step++) {
                    be.matmul(xt, Transpose.N, w, Transpose.N, z);
                    be.biasActivationForward(id, z, b, y);
                    be.lossForward(mse, y, tt, loss);
                    last = loss.toArray()[0];
                    if (step == 1) {
                        first = last;
                    }
                    be.lossBackward(mse, y, tt, 1.0, dy);
                    be.biasActivationBackward(id, z, b, dy, dz, db);
                    be.matmul(xt, Transpose.T, dz, Transpose.N, dw);
                    be.optimizerStep(rule, step, w, dw, mw, null);
                    be.optimizerStep(rule, step, b, db, mb, null);
                }
                double f0 = first;
                double f1 = last;
                assertTrue(f1 < f0 * 1e-6, () -> String.format(Locale.ROOT,
                        "%s: loss %.3g → %.3g after 200 steps (seed %d)", be, f0, f1, Contract.SEED));
            }
        }
    }
}
