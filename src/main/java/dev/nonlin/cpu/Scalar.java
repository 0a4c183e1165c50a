package dev.nonlin.cpu;

import dev.nonlin.Activation.Kind;

/**
 * The scalar reference: every function's math, once, in double.
 *
 * <p>Plain and obviously right: each function is evaluated in double with a stable form and
 * rounded once to float, so a float result is within 1 ULP of the exact one wherever the double
 * formula is accurate to ~1e-12, which the stable forms below are. The SIMD path
 * ({@code SimdKernels}) and the CUDA kernels ({@code cuda/include/nonlin_math.cuh}) mirror these
 * formulas and are tested against them.
 *
 * <p>Conventions shared by every function:
 * <ul>
 *   <li>NaN in gives NaN out, forward and backward: derivatives return NaN for a NaN input, so
 *       {@code dx = dy·f'(x)} is NaN too.
 *   <li>±∞ gives the mathematical limit. Where a product like x·σ(x) would form ∞·0, the input
 *       is clamped to a point beyond which the float result no longer changes.
 *   <li>{@code dx} is the IEEE product {@code dy·f'(x)}, so ∞·0 (an infinite dy where f' = 0)
 *       is NaN.
 * </ul>
 */
public final class Scalar {
    private Scalar() {
    }

    /** SELU λ (Klambauer et al. 2017, "Self-Normalizing Neural Networks", eq. 14). */
    public static final double SELU_LAMBDA = 1.0507009873554804934193349852946;
    /** SELU α (Klambauer et al. 2017). */
    public static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    /** √(2/π), GELU's tanh form (Hendrycks &amp; Gimpel 2016). */
    public static final double SQRT_2_OVER_PI = 0.7978845608028654;
    /** The cubic coefficient of GELU's tanh form (Hendrycks &amp; Gimpel 2016). */
    public static final double GELU_TANH_C = 0.044715;
    /** 1/√2. */
    public static final double INV_SQRT2 = 0.7071067811865476;
    /** 1/√(2π), the normal density's constant. */
    public static final double INV_SQRT_2PI = 0.3989422804014327;
    /**
     * Mish's exp argument is clamped here: at x = 350, tanh(softplus(x)) = 1 in double and
     * n(n+2) = e^700 still fits, so 1 − t stays representable for the derivative.
     */
    static final double MISH_CLAMP = 350.0;
    /** GELU(erf): beyond ±40, Φ is 0 or 1 and x·φ(x) is 0 in double. */
    static final double GELU_CLAMP = 40.0;
    /** GELU(tanh): beyond ±20, σ(2u) is 0 or 1 to far below float resolution (2u ≈ ±603). */
    static final double GELU_TANH_CLAMP = 20.0;

    // ------------------------------------------------------------------ building blocks

    /** σ(z), branched on sign so that exp never overflows. */
    public static double sigmoid(double z) {
        double e = Math.exp(-Math.abs(z));
        return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    }

    /** σ'(z) = σ(z)·σ(−z) = e/(1+e)², e = e^−|z|: no 1 − σ cancellation in the tails. */
    public static double sigmoidPrime(double z) {
        double e = Math.exp(-Math.abs(z));
        double d = 1.0 + e;
        return e / (d * d);
    }

    /** 1 for x &gt; 0, 0 for x ≤ 0, NaN for NaN: the step that every kinked derivative uses. */
    static double step(double x) {
        return x > 0 ? 1.0 : (x <= 0 ? 0.0 : Double.NaN);
    }

    /** {@code a} where x is a number, NaN where it is NaN. */
    static double keepNaN(double x, double a) {
        return x == x ? a : Double.NaN;
    }

    // ------------------------------------------------------------------ forward

    /** f(x) in double. {@code p0}, {@code p1} are the record's parameters (see {@code Activation.p0()}). */
    public static double forward(Kind k, double p0, double p1, double x) {
        return switch (k) {
            case SIGMOID -> sigmoid(x);
            case TANH -> Math.tanh(x);
            case RELU -> {
                // Math.max propagates NaN: relu(NaN) = NaN, unlike a select on x > 0.
                yield Math.max(x, 0.0);
            }
            case LEAKY_RELU, PRELU -> {
                // p0 = negative_slope (leaky_relu) or α (prelu).
                yield x > 0 ? x : p0 * x;
            }
            case ELU -> {
                // expm1, not exp − 1, which loses all digits for small |x|.
                yield x > 0 ? x : p0 * Math.expm1(x);
            }
            case SELU -> SELU_LAMBDA * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
            case CELU -> {
                // max(0,x) + min(0, α(e^(x/α) − 1)) reduces to this for either sign of α.
                yield x > 0 ? x : p0 * Math.expm1(x / p0);
            }
            case GELU -> {
                // ½·x·erfc(−x/√2) = ½·x·2Φ(x): erfc, not 1 + erf, which cancels below x ≈ −5;
                // twoPhi forms e^(−x²/2) from x, not from the rounded x/√2.
                double c = Math.max(x, -GELU_CLAMP);
                yield 0.5 * c * Erfc.twoPhi(c);
            }
            case GELU_TANH -> {
                // x·σ(2u) = ½x(1 + tanh u), without the 1 + tanh u cancellation for x < 0.
                double c = Math.max(x, -GELU_TANH_CLAMP);
                double u = SQRT_2_OVER_PI * (c + GELU_TANH_C * c * c * c);
                yield c * sigmoid(2.0 * u);
            }
            case SWISH -> {
                // p0 = β. σ underflows to 0 only where x·σ(βx) is below float range anyway,
                // so returning 0 there gives the limit at x = −∞ instead of ∞·0 = NaN.
                double s = sigmoid(p0 == 0 ? 0.0 : p0 * x);
                yield s == 0 ? 0.0 : x * s;
            }
            case MISH -> {
                // tanh(softplus(x)) = n(n+2)/(n(n+2)+2), n = e^x: one exp instead of exp, log1p, tanh.
                double n = Math.exp(Math.min(x, MISH_CLAMP));
                double a = n * (n + 2.0);
                double t = a / (a + 2.0);
                yield t == 0 ? 0.0 : x * t;
            }
            case SOFTPLUS -> {
                // p0 = β, p1 = threshold, tested on βx as PyTorch does.
                double z = p0 * x;
                if (z > p1) {
                    yield x;
                }
                yield (Math.max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z)))) / p0;
            }
            case HARDTANH -> clamp(x, p0, p1);
            case RELU6 -> clamp(x, 0.0, 6.0);
            // (x + 3)/6, not x/6 + ½: x + 3 is exact, where x/6 + ½ cancels a rounded x/6 near −3
            case HARDSIGMOID -> x <= -3 ? 0.0 : (x >= 3 ? 1.0 : (x + 3.0) / 6.0);
            case HARDSWISH -> x <= -3 ? 0.0 : (x >= 3 ? x : x * (x + 3.0) / 6.0);
            case SOFTSIGN -> Double.isInfinite(x) ? Math.signum(x) : x / (1.0 + Math.abs(x));
            case LOGSIGMOID -> {
                // log σ(x) = −softplus(−x), in the stable form.
                yield Math.min(x, 0.0) - Math.log1p(Math.exp(-Math.abs(x)));
            }
            case IDENTITY -> x;
            case SOFTMAX, LOG_SOFTMAX -> throw new IllegalArgumentException(k + " is row-wise; use Rows");
        };
    }

    /** Clamp with NaN passing through (both comparisons are false for NaN). */
    static double clamp(double x, double lo, double hi) {
        return x < lo ? lo : (x > hi ? hi : x);
    }

    // ------------------------------------------------------------------ derivative in x

    /** f'(x) in double, with PyTorch's conventions at kinks. NaN gives NaN. */
    public static double derivative(Kind k, double p0, double p1, double x) {
        return switch (k) {
            case SIGMOID -> sigmoidPrime(x);
            case TANH -> {
                // 1 − tanh² = sech² = 4e/(1+e)², e = e^−2|x|; 1 − t² cancels once |x| > 9.
                double e = Math.exp(-2.0 * Math.abs(x));
                double d = 1.0 + e;
                yield 4.0 * e / (d * d);
            }
            case RELU -> step(x);
            case LEAKY_RELU, PRELU -> x > 0 ? 1.0 : keepNaN(x, p0);
            case ELU -> x > 0 ? 1.0 : p0 * Math.exp(x);
            case SELU -> SELU_LAMBDA * (x > 0 ? 1.0 : SELU_ALPHA * Math.exp(x));
            case CELU -> x > 0 ? 1.0 : Math.exp(x / p0);
            case GELU -> {
                // Φ(x) + x·φ(x); clamped so that ±∞ gives 0 and 1 instead of ∞·0.
                double c = clamp(x, -GELU_CLAMP, GELU_CLAMP);
                double cdf = 0.5 * Erfc.twoPhi(c);
                double pdf = INV_SQRT_2PI * Erfc.halfSquareExp(c);
                yield cdf + c * pdf;
            }
            case GELU_TANH -> {
                // y = x·s, s = σ(2u):  y' = s + x·σ'(2u)·2u',  u' = √(2/π)(1 + 3·0.044715·x²)
                double c = clamp(x, -GELU_TANH_CLAMP, GELU_TANH_CLAMP);
                double u = SQRT_2_OVER_PI * (c + GELU_TANH_C * c * c * c);
                double du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_C * c * c);
                yield sigmoid(2.0 * u) + c * sigmoidPrime(2.0 * u) * 2.0 * du;
            }
            case SWISH -> {
                // y' = s + βx·σ'(βx); σ'(βx) = 0 only where βx·σ'(βx) is 0 in double too.
                // β = 0: z = 0 even for x = ±∞ (not 0·∞), but NaN stays NaN.
                double z = p0 == 0 ? keepNaN(x, 0.0) : p0 * x;
                double ds = sigmoidPrime(z);
                yield sigmoid(z) + (ds == 0 ? 0.0 : z * ds);
            }
            case MISH -> {
                // y' = t + x·σ(x)·(1 − t²), with 1 − t = 2/(n(n+2)+2) exact, so no cancellation.
                if (x > MISH_CLAMP) {
                    yield 1.0;
                }
                double n = Math.exp(x);
                double a = n * (n + 2.0);
                double d = a + 2.0;
                double t = a / d;
                double sech2 = (2.0 / d) * (1.0 + t);
                double q = sigmoid(x) * sech2;
                yield t + (q == 0 ? 0.0 : x * q);
            }
            case SOFTPLUS -> {
                double z = p0 * x;
                yield z > p1 ? 1.0 : sigmoid(z);
            }
            case HARDTANH -> insideOpen(x, p0, p1, 1.0);
            case RELU6 -> insideOpen(x, 0.0, 6.0, 1.0);
            case HARDSIGMOID -> insideOpen(x, -3.0, 3.0, 1.0 / 6.0);
            case HARDSWISH -> {
                // PyTorch: 0 below −3, x/3 + ½ on [−3, 3] (both ends included), 1 above.
                yield x < -3 ? 0.0 : (x <= 3 ? x / 3.0 + 0.5 : keepNaN(x, 1.0));
            }
            case SOFTSIGN -> {
                double d = 1.0 + Math.abs(x);
                yield 1.0 / (d * d);
            }
            case LOGSIGMOID -> sigmoid(-x);
            case IDENTITY -> keepNaN(x, 1.0);
            case SOFTMAX, LOG_SOFTMAX -> throw new IllegalArgumentException(k + " is row-wise; use Rows");
        };
    }

    /** {@code v} on the open interval (lo, hi), 0 at and beyond the bounds, NaN for NaN. */
    static double insideOpen(double x, double lo, double hi, double v) {
        return (x > lo && x < hi) ? v : keepNaN(x, 0.0);
    }

    // ------------------------------------------------------------------ derivative in y

    /**
     * f'(x) written in y = f(x), for the functions where
     * {@link dev.nonlin.Activation#backwardFromOutput()} is true.
     */
    public static double derivativeFromOutput(Kind k, double p0, double p1, double y) {
        switch (k) {
            case SIGMOID:
                return y * (1.0 - y);
            case TANH:
                return 1.0 - y * y;
            case RELU:
                return step(y);
            case LEAKY_RELU:
                // slope > 0, so y > 0 exactly where x > 0.
                return y > 0 ? 1.0 : keepNaN(y, p0);
            case ELU:
                // α > 0: for x ≤ 0, y = α(e^x − 1), so α·e^x = y + α.
                return y > 0 ? 1.0 : y + p0;
            case SELU:
                return y > 0 ? SELU_LAMBDA : y + SELU_LAMBDA * SELU_ALPHA;
            case CELU:
                // α > 0: e^(x/α) = y/α + 1.
                return y > 0 ? 1.0 : y / p0 + 1.0;
            case IDENTITY:
                return keepNaN(y, 1.0);
            default:
                throw new IllegalArgumentException(k + " has no backward from the output");
        }
    }

    // ------------------------------------------------------------------ float loops

    /** Elementwise forward over floats. */
    static void forward(Kind k, double p0, double p1, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = (float) forward(k, p0, p1, x[xo + i]);
        }
    }

    /** Elementwise backward over floats: dx = dy·f'(x). */
    static void backward(Kind k, double p0, double p1, float[] x, int xo, float[] dy, int dyo,
                         float[] dx, int dxo, int n) {
        for (int i = 0; i < n; i++) {
            dx[dxo + i] = (float) (dy[dyo + i] * derivative(k, p0, p1, x[xo + i]));
        }
    }

    /** Elementwise backward from the output over floats. */
    static void backwardFromOutput(Kind k, double p0, double p1, float[] y, int yo, float[] dy, int dyo,
                                   float[] dx, int dxo, int n) {
        for (int i = 0; i < n; i++) {
            dx[dxo + i] = (float) (dy[dyo + i] * derivativeFromOutput(k, p0, p1, y[yo + i]));
        }
    }
}
