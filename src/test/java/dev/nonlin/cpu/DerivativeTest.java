package dev.nonlin.cpu;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import dev.nonlin.Activations;
import dev.nonlin.Contract;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every derivative against central finite differences of its forward function, in double, away
 * from kinks. This ties f' to f independently of how either is written.
 */
class DerivativeTest {

    static List<Activation> all() {
        return Activations.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void derivativeMatchesCentralDifferences(Activation f) {
        if (f.rowWise()) {
            rowWise(f);
            return;
        }
        Kind k = f.kind();
        Random r = new Random(Contract.SEED);
        double worst = 0;
        double worstX = 0;
        for (int i = 0; i < 4000; i++) {
            double x = i < 2000 ? -30 + 60.0 * i / 2000 : (r.nextDouble() * 2 - 1) * 12;
            double h = 1e-5 * Math.max(1, Math.abs(x));
            boolean nearKink = false;
            for (double kink : Contract.kinks(f)) {
                nearKink |= Math.abs(x - kink) < 4 * h;
            }
            if (nearKink) {
                continue;
            }
            double fd = (Scalar.forward(k, f.p0(), f.p1(), x + h) - Scalar.forward(k, f.p0(), f.p1(), x - h)) / (2 * h);
            double d = Scalar.derivative(k, f.p0(), f.p1(), x);
            // central differences: O(h²) truncation plus O(eps·|f|/h) rounding
            double fx = Math.abs(Scalar.forward(k, f.p0(), f.p1(), x));
            double tol = 1e-6 * Math.max(1, Math.abs(d)) + 1e-10 * fx / h;
            double err = Math.abs(fd - d) / tol;
            if (err > worst) {
                worst = err;
                worstX = x;
            }
        }
        double wx = worstX;
        double ww = worst;
        assertTrue(worst <= 1, () -> String.format(Locale.ROOT, "%s: f' differs from finite differences at x = %s (%.2f × tolerance)",
                f, wx, ww));
    }

    /** Row-wise: the Jacobian-vector product against finite differences of Σ dy·f(x). */
    private static void rowWise(Activation f) {
        Random r = new Random(Contract.SEED);
        int n = 9;
        float[] x = new float[n];
        float[] dy = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 3);
            dy[i] = (float) r.nextGaussian();
        }
        double[] dx = Contract.backwardRow(f, x, 0, dy, 0, n);
        for (int j = 0; j < n; j++) {
            // perturb in double through a private copy of the row reference
            double h = 1e-4;
            double up = dot(dy, rowDouble(f, x, j, h));
            double down = dot(dy, rowDouble(f, x, j, -h));
            double fd = (up - down) / (2 * h);
            assertEquals(fd, dx[j], 1e-6 * Math.max(1, Math.abs(fd)), f + " dx[" + j + "] vs finite differences");
        }
    }

    /** f(x + h·e_j) in double; the row reference takes floats, so perturb by an exact float step. */
    private static double[] rowDouble(Activation f, float[] x, int j, double h) {
        // Evaluate softmax / log_softmax directly in double here: an independent textbook form.
        double[] v = new double[x.length];
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            v[i] = x[i] + (i == j ? h : 0);
            m = Math.max(m, v[i]);
        }
        double s = 0;
        for (double a : v) {
            s += Math.exp(a - m);
        }
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f.kind() == Kind.SOFTMAX ? Math.exp(v[i] - m) / s : v[i] - m - Math.log(s);
        }
        return y;
    }

    private static double dot(float[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
