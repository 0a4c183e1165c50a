package dev.nonlin.cpu;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import dev.nonlin.Activations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The float64 reference itself, checked against independent evaluations: textbook forms on the
 * ranges where they do not cancel, golden values computed with 30-digit arithmetic (mpmath), and
 * the documented limits and conventions.
 */
class ScalarReferenceTest {

    static List<Activation> all() {
        return Activations.all();
    }

    /** An independent textbook form, valid on |x| ≤ 8 (no cancellation there). */
    static double textbook(Activation f, double x) {
        double p0 = f.p0();
        double p1 = f.p1();
        return switch (f.kind()) {
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case TANH -> (Math.exp(x) - Math.exp(-x)) / (Math.exp(x) + Math.exp(-x));
            case RELU -> x > 0 ? x : 0;
            case LEAKY_RELU, PRELU -> x >= 0 ? x : p0 * x;
            case ELU -> x >= 0 ? x : p0 * (Math.exp(x) - 1);
            case SELU -> 1.0507009873554804934 * (x >= 0 ? x : 1.6732632423543772848 * (Math.exp(x) - 1));
            case CELU -> Math.max(0, x) + Math.min(0, p0 * (Math.exp(x / p0) - 1));
            case GELU -> 0.5 * x * (1 + erfSeries(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case SWISH -> x / (1 + Math.exp(-p0 * x));
            case MISH -> x * Math.tanh(Math.log(1 + Math.exp(x)));
            case SOFTPLUS -> p0 * x > p1 ? x : Math.log(1 + Math.exp(p0 * x)) / p0;
            case HARDTANH -> Math.min(Math.max(x, p0), p1);
            case RELU6 -> Math.min(Math.max(x, 0), 6);
            case HARDSIGMOID -> Math.min(Math.max(x + 3, 0), 6) / 6;
            case HARDSWISH -> x * Math.min(Math.max(x + 3, 0), 6) / 6;
            case SOFTSIGN -> x / (1 + Math.abs(x));
            case LOGSIGMOID -> Math.log(1 / (1 + Math.exp(-x)));
            case IDENTITY -> x;
            case SOFTMAX, LOG_SOFTMAX -> Double.NaN;
        };
    }

    /** erf by its Maclaurin series, in double: fine for |z| ≤ 6 (terms peak near 1e14 at z = 6). */
    static double erfSeries(double z) {
        double term = z;
        double sum = z;
        for (int n = 1; n < 200; n++) {
            term *= -z * z / n;
            double t = term / (2 * n + 1);
            sum += t;
            if (Math.abs(t) < 1e-17 * Math.abs(sum)) {
                break;
            }
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void agreesWithTextbookForm(Activation f) {
        if (f.rowWise()) {
            return;   // DerivativeTest and CpuContractTest check the row-wise reference
        }
        // The textbook forms cancel in the tails (that is why the library avoids them), so compare
        // where they are sound, absolutely; the golden values below pin the tails. erf's series
        // loses digits to its alternating terms beyond |x| ≈ 4.
        double range = f.kind() == Kind.GELU ? 4 : 8;
        for (int i = 0; i <= 1600; i++) {
            double x = -range + i * range / 800;
            double ref = textbook(f, x);
            double got = Scalar.forward(f.kind(), f.p0(), f.p1(), x);
            assertEquals(ref, got, 1e-12 * Math.max(1, Math.abs(ref)), f + " at x = " + x);
        }
    }

    /**
     * erfc, the one special function the float64 reference needs, against 50-digit values
     * (mpmath, {@code ci/gen-erfcx.py --golden}): 161 points evenly spaced in the polynomial's
     * variable t = (z − 4)/(z + 4) from z = 0 to 26.5 (where erfc leaves the normal double range),
     * the negative side, and a few special points. Relative error ≤ 1.5e-15 up to z = 13 and
     * ≤ 3e-15 beyond, as Erfc documents.
     */
    @Test
    void erfcMatchesGoldenValues() throws java.io.IOException {
        List<double[]> golden = new java.util.ArrayList<>();
        try (var in = ScalarReferenceTest.class.getResourceAsStream("erfc-golden.csv")) {
            assertTrue(in != null, "missing erfc-golden.csv");
            for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] v = line.split(",");
                    golden.add(new double[] {Double.parseDouble(v[0]), Double.parseDouble(v[1])});
                }
            }
        }
        assertTrue(golden.size() > 150, "golden table has " + golden.size() + " rows");
        for (double[] g : golden) {
            double z = g[0];
            double rel = Math.abs(Erfc.erfc(z) - g[1]) / g[1];
            double bound = z <= 13 ? 1.5e-15 : 3e-15;
            assertTrue(rel <= bound, String.format(Locale.ROOT, "erfc(%s) = %s, exact %s: relative error %.2e > %.1e",
                    z, Erfc.erfc(z), g[1], rel, bound));
        }
        // Below the normal range erfc is subnormal and loses relative precision, but stays close.
        assertEquals(5.237048923789256e-319, Erfc.erfc(27.0), 1e-322);
        same(0.0, Erfc.erfc(30));
        assertTrue(Double.isNaN(Erfc.erfc(Double.NaN)));
        same(0.0, Erfc.erfc(Double.POSITIVE_INFINITY));
        assertEquals(2.0, Erfc.erfc(Double.NEGATIVE_INFINITY));
    }

    /**
     * GELU(erf) and its derivative against 50-digit values (mpmath, {@code ci/gen-erfcx.py
     * --golden-gelu}): x from −37 (gelu still a normal double) to 8 in steps of ¼, and float
     * inputs such as −11.807917, where the exhaustive run saw the reference's own error when it
     * rounded x/√2 before e^(−z²) (1.8e-14 there, and up to 1.6e-13 at x = −36 on this grid).
     * Forward: relative error within erfc's bounds plus a few roundings (2e-15 where z = |x|/√2 ≤
     * 13, 4e-15 beyond). Derivative: the same bound times Φ(x) + |x|·φ(x), the size of its two
     * terms, since it has a root near x = −0.75.
     */
    @Test
    void geluMatchesGoldenValues() throws java.io.IOException {
        Activation gelu = Activation.parse("gelu");
        int rows = 0;
        try (var in = ScalarReferenceTest.class.getResourceAsStream("gelu-golden.csv")) {
            assertTrue(in != null, "missing gelu-golden.csv");
            for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] v = line.split(",");
                double x = Double.parseDouble(v[0]);
                double y = Double.parseDouble(v[1]);
                double d = Double.parseDouble(v[2]);
                double scale = Double.parseDouble(v[3]);
                double bound = x >= -13 * Math.sqrt(2) ? 2e-15 : 4e-15;
                double gy = Scalar.forward(gelu.kind(), gelu.p0(), gelu.p1(), x);
                double gd = Scalar.derivative(gelu.kind(), gelu.p0(), gelu.p1(), x);
                double rel = y == 0 ? Math.abs(gy) : Math.abs(gy - y) / Math.abs(y);
                assertTrue(rel <= bound, String.format(Locale.ROOT,
                        "gelu(%s) = %s, exact %s: relative error %.2e > %.1e", x, gy, y, rel, bound));
                double relD = Math.abs(gd - d) / scale;
                assertTrue(relD <= bound, String.format(Locale.ROOT,
                        "gelu'(%s) = %s, exact %s: error %.2e of Φ + |x|φ > %.1e", x, gd, d, relD, bound));
                rows++;
            }
        }
        assertTrue(rows > 180, "golden table has " + rows + " rows");
    }

    @Test
    void goldenValues() {
        // mpmath, 30 digits
        assertEquals(0.84134474606854295, fwd("gelu", 1), 1e-15);
        assertEquals(-0.15865525393145705, fwd("gelu", -1), 1e-15);
        assertEquals(-5.9195258702261888e-9, fwd("gelu", -6), 1e-13 * 5.92e-9);
        assertEquals(0.8411919906082767, fwd("gelu(approximate=tanh)", 1), 1e-15);
        assertEquals(0.86509838826731035, fwd("mish", 1), 1e-15);
        assertEquals(-1.1113307378125628, fwd("selu", -1), 1e-15);
    }

    @Test
    void limitsAtInfinityAndConventionsAtKinks() {
        double inf = Double.POSITIVE_INFINITY;
        same(0.0, fwd("gelu", -inf));
        assertEquals(inf, fwd("gelu", inf));
        same(0.0, fwd("gelu(approximate=tanh)", -inf));
        same(0.0, fwd("silu", -inf));
        same(0.0, fwd("mish", -inf));
        assertEquals(inf, fwd("mish", inf));
        assertEquals(-1.0, fwd("elu", -inf));
        assertEquals(1.0, fwd("softsign", inf));
        assertEquals(-inf, fwd("logsigmoid", -inf));
        same(0.0, fwd("softplus", -inf));
        // derivatives at ±∞
        same(0.0, der("gelu", -inf));
        assertEquals(1.0, der("gelu", inf));
        assertEquals(1.0, der("mish", inf));
        same(0.0, der("mish", -inf));
        assertEquals(1.0, der("silu", inf));
        same(0.0, der("tanh", inf));
        // PyTorch's conventions at kinks
        same(0.0, der("relu", 0));
        assertEquals(0.01f, der("leaky_relu", 0), 0);
        assertEquals(1.0f, der("elu(alpha=1.0)", 0), 0);
        assertEquals(Scalar.SELU_LAMBDA * Scalar.SELU_ALPHA, der("selu", 0), 0);
        assertEquals(1.0, der("celu", 0));
        same(0.0, der("hardtanh", -1));
        same(0.0, der("hardtanh", 1));
        same(0.0, der("relu6", 0));
        same(0.0, der("relu6", 6));
        same(0.0, der("hardsigmoid", 3));
        same(0.0, der("hardsigmoid", -3));
        assertEquals(-0.5, der("hardswish", -3));
        assertEquals(1.5, der("hardswish", 3));
        // swish with β = 0 is x/2: its derivative is ½ everywhere, even at ±∞, but NaN stays NaN
        assertEquals(0.5, der("swish(beta=0)", Double.POSITIVE_INFINITY));
        assertTrue(Double.isNaN(der("swish(beta=0)", Double.NaN)));
        // softplus switches to linear when βx > threshold, tested on the input
        assertEquals(25.0, fwd("softplus(beta=1,threshold=20)", 25));
        assertEquals(1.0, der("softplus(beta=1,threshold=20)", 20.5));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void nanInGivesNanOut(Activation f) {
        if (f.rowWise()) {
            return;
        }
        assertTrue(Double.isNaN(Scalar.forward(f.kind(), f.p0(), f.p1(), Double.NaN)), f + " forward");
        assertTrue(Double.isNaN(Scalar.derivative(f.kind(), f.p0(), f.p1(), Double.NaN)), f + " derivative");
        if (f.backwardFromOutput()) {
            assertTrue(Double.isNaN(Scalar.derivativeFromOutput(f.kind(), f.p0(), f.p1(), Double.NaN)),
                    f + " derivative from output");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void derivativeFromOutputEqualsDerivative(Activation f) {
        if (!f.backwardFromOutput() || f.rowWise()) {
            return;
        }
        for (int i = 0; i <= 400; i++) {
            double x = -10 + i * 0.05;
            double y = Scalar.forward(f.kind(), f.p0(), f.p1(), x);
            double a = Scalar.derivative(f.kind(), f.p0(), f.p1(), x);
            double b = Scalar.derivativeFromOutput(f.kind(), f.p0(), f.p1(), y);
            assertEquals(a, b, 1e-12 + 1e-9 * Math.abs(a), String.format(Locale.ROOT, "%s at x = %s", f, x));
        }
    }

    /** Equal as float results: signed zeros are not part of the contract. */
    private static void same(double expected, double actual) {
        assertEquals((float) expected, (float) actual, 0f);
    }

    private static double fwd(String spec, double x) {
        Activation f = Activation.parse(spec);
        return Scalar.forward(f.kind(), f.p0(), f.p1(), x);
    }

    private static double der(String spec, double x) {
        Activation f = Activation.parse(spec);
        return Scalar.derivative(f.kind(), f.p0(), f.p1(), x);
    }

}
