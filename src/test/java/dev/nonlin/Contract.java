package dev.nonlin;

import dev.nonlin.cli.Ulp;
import dev.nonlin.cpu.Rows;
import dev.nonlin.cpu.Scalar;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The numerics contract (DESIGN.md § 3) as test helpers: test vectors, the float64 reference
 * and ULP distances. Forward ≤ 4 ULP of the exact value; backward ≤ 8 ULP + 2⁻²³·|dy|.
 */
public final class Contract {
    private Contract() {
    }

    public static final double FORWARD_ULPS = Ulp.FORWARD_ULPS;
    public static final double BACKWARD_ULPS = Ulp.BACKWARD_ULPS;

    /** A fresh seed per run, printed by every failure message that uses it. */
    public static final long SEED = Long.getLong("nonlin.test.seed", System.nanoTime());

    /** ±0, subnormals, ±1e-8, ±1…±100, ±88.7, ±1e4, ±MAX, ±∞, NaN, and a few kinks. */
    public static float[] specialValues() {
        List<Float> v = new ArrayList<>();
        float[] base = {0f, Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, 1e-8f, 1e-4f, 0.5f, 1f, 2f, 3f, 5f, 6f,
                10f, 15f, 20f, 30f, 50f, 88.7f, 100f, 1e4f, 1e30f, Float.MAX_VALUE, Float.POSITIVE_INFINITY};
        for (float b : base) {
            v.add(b);
            v.add(-b);
        }
        v.add(Float.NaN);
        float[] a = new float[v.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = v.get(i);
        }
        return a;
    }

    /** Random draws: half uniform in [−20, 20], a quarter in [−200, 200], a quarter random bit patterns. */
    public static float[] randomValues(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            switch (i & 3) {
                case 0, 1 -> a[i] = (r.nextFloat() * 2 - 1) * 20f;
                case 2 -> a[i] = (r.nextFloat() * 2 - 1) * 200f;
                default -> a[i] = Float.intBitsToFloat(r.nextInt());
            }
        }
        return a;
    }

    /** |got − exact| in units of the float ULP at exact; NaN/NaN and equal infinities are 0. */
    public static double ulps(float got, double exact) {
        return Ulp.ulps(got, exact);
    }

    /** Error of a backward value in the contract's units: ULPs beyond the absolute slack. */
    public static double backwardUlps(float got, double exact, double dy) {
        return Ulp.backwardUlps(got, exact, dy);
    }

    /** f(x) in double (elementwise functions). */
    public static double forward(Activation f, float x) {
        return Scalar.forward(f.kind(), f.p0(), f.p1(), x);
    }

    /** dy·f'(x) in double (elementwise functions). */
    public static double backward(Activation f, float x, float dy) {
        return dy * Scalar.derivative(f.kind(), f.p0(), f.p1(), x);
    }

    /** Row-wise reference in double. */
    public static double[] forwardRow(Activation f, float[] x, int off, int n) {
        double[] y = new double[n];
        Rows.forwardDouble(f.kind(), x, off, y, n);
        return y;
    }

    /** Row-wise backward reference in double (the Jacobian-vector product). */
    public static double[] backwardRow(Activation f, float[] x, int off, float[] dy, int dyOff, int n) {
        double[] y = forwardRow(f, x, off, n);
        Rows.backwardDouble(f.kind(), y, dy, dyOff, y, n);
        return y;
    }

    /**
     * Points where f' jumps (for softsign, f''): central differences straddling them mean nothing,
     * so derivative checks stay clear of them.
     */
    public static double[] kinks(Activation f) {
        return switch (f.kind()) {
            case RELU, LEAKY_RELU, PRELU, ELU, SELU, CELU, SOFTSIGN -> new double[] {0};   // softsign: f'' jumps at 0
            case HARDTANH -> new double[] {f.p0(), f.p1()};
            case RELU6 -> new double[] {0, 6};
            case HARDSIGMOID, HARDSWISH -> new double[] {-3, 3};
            case SOFTPLUS -> new double[] {f.p1() / f.p0()};
            default -> new double[0];
        };
    }

    /** The worst element of a comparison, for failure messages. */
    public static final class Worst {
        public double err = -1;
        public int index = -1;
        public float input;
        public double expected;
        public float actual;

        public void offer(double e, int i, float in, double exp, float act) {
            if (e > err || (Double.isNaN(e) && !Double.isNaN(err))) {
                err = e;
                index = i;
                input = in;
                expected = exp;
                actual = act;
            }
        }

        public String describe(String what) {
            return String.format(Locale.ROOT, "%s: worst error %.2f ULP at index %d: input %s, expected %s, got %s (seed %d)",
                    what, err, index, input, expected, actual, SEED);
        }
    }

    /**
     * Central differences ∂L/∂θᵢ ≈ (L(θ + hᵢ) − L(θ − hᵢ)) / 2hᵢ with hᵢ = {@code step(θᵢ)}, each
     * θᵢ perturbed in place and restored. The tests' one finite-difference loop; each caller picks
     * its step and its tolerance.
     */
    public static double[] centralDifferences(double[] theta, java.util.function.DoubleSupplier loss,
                                              java.util.function.DoubleUnaryOperator step) {
        double[] g = new double[theta.length];
        for (int i = 0; i < theta.length; i++) {
            double v = theta[i];
            double h = step.applyAsDouble(v);
            theta[i] = v + h;
            double up = loss.getAsDouble();
            theta[i] = v - h;
            double down = loss.getAsDouble();
            theta[i] = v;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }
}
