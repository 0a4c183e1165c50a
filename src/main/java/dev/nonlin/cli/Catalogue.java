package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import dev.nonlin.Activations;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@code nonlin list} shows: each function's formula and derivative (display text, typed
 * once here), and its properties <em>measured</em> by sampling the float64 reference, so that
 * the table cannot drift from the code.
 *
 * <p>The sample: x on a grid of step 2⁻¹⁰ over [−20, 20] (binary fractions, so kinks such as 0,
 * ±3 and 6 are hit exactly), geometric steps from ±20 out to ±10⁴, and ±∞. Row-wise functions
 * are measured on rows (x, 0): y is the row's first output and f' = ∂y₀/∂x₀ (for softmax that
 * is σ(x), for log_softmax log σ(x)).
 */
final class Catalogue {
    private Catalogue() {
    }

    /** Grid step of the dense part: 2⁻¹⁰. */
    static final double STEP = 0x1p-10;
    /** Half-width of the dense grid, which is also where dead zones are looked for. */
    static final double DENSE = 20;
    /** Half-width of the whole finite sample. */
    static final double FAR = 1e4;
    /** A range bound counts as attained (closed bracket) when reached at |x| ≤ this. */
    static final double ATTAINED = 10;
    /** Where the gradient is tested for vanishing: x = ±this. */
    static final double VANISH_AT = 100;
    /** |f'| below this at ±{@link #VANISH_AT} counts as a vanishing gradient. */
    static final double VANISH_BELOW = 1e-3;
    /** A run of f' == 0 at least this wide counts as a dead zone. */
    static final double DEAD_WIDTH = 1;

    /** The functions {@code nonlin list} shows: PyTorch's defaults, plus GELU's tanh form. */
    static List<Activation> functions() {
        Set<Activation> s = new LinkedHashSet<>(Activations.defaults());
        s.add(Activation.geluTanh());
        return List.copyOf(s);
    }

    /** The formula, as display text. */
    static String formula(Kind k) {
        return switch (k) {
            case SIGMOID -> "σ(x) = 1/(1 + e^-x)";
            case TANH -> "tanh x";
            case RELU -> "max(x, 0)";
            case LEAKY_RELU -> "x > 0 ? x : s·x   (s = negative_slope)";
            case ELU -> "x > 0 ? x : α(e^x - 1)";
            case SELU -> "λ·(x > 0 ? x : α(e^x - 1))";
            case CELU -> "max(0, x) + min(0, α(e^(x/α) - 1))";
            case GELU -> "x·Φ(x)";
            case GELU_TANH -> "x·σ(2u),  u = √(2/π)(x + 0.044715x³)";
            case SWISH -> "x·σ(βx)";
            case MISH -> "x·tanh(softplus(x))";
            case SOFTPLUS -> "log(1 + e^(βx))/β;  x where βx > threshold";
            case HARDTANH -> "clamp(x, min_val, max_val)";
            case RELU6 -> "clamp(x, 0, 6)";
            case HARDSIGMOID -> "clamp(x/6 + 1/2, 0, 1)";
            case HARDSWISH -> "x·relu6(x + 3)/6";
            case SOFTSIGN -> "x/(1 + |x|)";
            case LOGSIGMOID -> "log σ(x)";
            case IDENTITY -> "x";
            case PRELU -> "x > 0 ? x : α·x   (α learned, per channel)";
            case SOFTMAX -> "e^(x_i) / Σ_j e^(x_j)   (per row)";
            case LOG_SOFTMAX -> "x_i - log Σ_j e^(x_j)   (per row)";
        };
    }

    /** The derivative (or the backward pass, for row-wise functions), as display text. */
    static String derivative(Kind k) {
        return switch (k) {
            case SIGMOID -> "y(1 - y)";
            case TANH -> "1 - y²";
            case RELU -> "x > 0 ? 1 : 0";
            case LEAKY_RELU -> "x > 0 ? 1 : s";
            case ELU -> "x > 0 ? 1 : α·e^x";
            case SELU -> "λ·(x > 0 ? 1 : α·e^x)";
            case CELU -> "x > 0 ? 1 : e^(x/α)";
            case GELU -> "Φ(x) + x·φ(x)";
            case GELU_TANH -> "σ(2u) + x·σ'(2u)·2u'";
            case SWISH -> "s + β·y·(1 - s),  s = σ(βx)";
            case MISH -> "t + x·σ(x)(1 - t²),  t = tanh(softplus(x))";
            case SOFTPLUS -> "σ(βx);  1 where βx > threshold";
            case HARDTANH -> "1 on (min_val, max_val), else 0";
            case RELU6 -> "1 on (0, 6), else 0";
            case HARDSIGMOID -> "1/6 on (-3, 3), else 0";
            case HARDSWISH -> "0 below -3, x/3 + 1/2 on [-3, 3], 1 above";
            case SOFTSIGN -> "1/(1 + |x|)²";
            case LOGSIGMOID -> "σ(-x)";
            case IDENTITY -> "1";
            case PRELU -> "x > 0 ? 1 : α;  dα = Σ dy·min(x, 0)";
            case SOFTMAX -> "dx = y ⊙ (dy - Σ dy⊙y)";
            case LOG_SOFTMAX -> "dx = dy - e^y·Σ dy";
        };
    }

    /**
     * Properties measured on the reference.
     *
     * @param min          the least f over the sample (NaNs skipped)
     * @param minAttained  whether {@code min} is reached at some |x| ≤ {@value #ATTAINED}
     * @param max          the greatest f over the sample
     * @param maxAttained  whether {@code max} is reached at some |x| ≤ {@value #ATTAINED}
     * @param zeroCentred  f(0) == 0 and f takes both signs
     * @param vanishesLeft  |f'(−{@value #VANISH_AT})| &lt; {@value #VANISH_BELOW}
     * @param vanishesRight |f'(+{@value #VANISH_AT})| &lt; {@value #VANISH_BELOW}
     * @param deadZones    the runs of f' == 0 within [−20, 20] at least 1 wide, as text, or empty
     * @param maxSlope     the greatest |f'| over the sample
     */
    record Properties(double min, boolean minAttained, double max, boolean maxAttained, boolean zeroCentred,
                      boolean vanishesLeft, boolean vanishesRight, List<String> deadZones, double maxSlope) {

        /** The range in interval notation, e.g. {@code (-1, 1)}, {@code [0, ∞)}, {@code [-0.278, ∞)}. */
        String range() {
            return (minAttained ? "[" : "(") + number(min) + ", " + number(max) + (maxAttained ? "]" : ")");
        }

        String vanishing() {
            if (vanishesLeft && vanishesRight) {
                return "both sides";
            }
            if (vanishesLeft) {
                return "x → -∞";
            }
            return vanishesRight ? "x → +∞" : "no";
        }

        String deadZone() {
            return deadZones.isEmpty() ? "no" : String.join(", ", deadZones);
        }
    }

    /** The sample points, ascending, ±∞ included. */
    static double[] sample() {
        List<Double> far = new ArrayList<>();
        for (double v = DENSE * 1.01; v < FAR; v *= 1.01) {
            far.add(v);
        }
        far.add(FAR);
        int dense = (int) Math.round(2 * DENSE / STEP) + 1;
        double[] xs = new double[2 + 2 * far.size() + dense];
        int j = 0;
        xs[j++] = Double.NEGATIVE_INFINITY;
        for (int k = far.size() - 1; k >= 0; k--) {
            xs[j++] = -far.get(k);
        }
        for (int k = 0; k < dense; k++) {
            xs[j++] = -DENSE + k * STEP;
        }
        for (double v : far) {
            xs[j++] = v;
        }
        xs[j] = Double.POSITIVE_INFINITY;
        return xs;
    }

    /** Measures f's properties on {@link #sample()}. */
    static Properties measure(Activation f) {
        double[] xs = sample();
        double[] y = new double[xs.length];
        double[] d = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            y[i] = value(f, xs[i]);
            d[i] = slope(f, xs[i]);
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double maxSlope = 0;
        for (int i = 0; i < xs.length; i++) {
            if (!Double.isNaN(y[i])) {
                min = Math.min(min, y[i]);
                max = Math.max(max, y[i]);
            }
            if (!Double.isNaN(d[i])) {
                maxSlope = Math.max(maxSlope, Math.abs(d[i]));
            }
        }
        boolean minAttained = false;
        boolean maxAttained = false;
        for (int i = 0; i < xs.length; i++) {
            if (Math.abs(xs[i]) <= ATTAINED) {
                minAttained |= y[i] == min;
                maxAttained |= y[i] == max;
            }
        }
        double f0 = value(f, 0);
        boolean zeroCentred = f0 == 0 && min < 0 && max > 0;
        boolean left = Math.abs(slope(f, -VANISH_AT)) < VANISH_BELOW;
        boolean right = Math.abs(slope(f, VANISH_AT)) < VANISH_BELOW;
        return new Properties(min, minAttained && Double.isFinite(min), max, maxAttained && Double.isFinite(max),
                zeroCentred, left, right, deadZones(f), maxSlope);
    }

    /**
     * Runs of f' == 0 on the dense grid, at least {@value #DEAD_WIDTH} wide, written from the
     * inside: {@code x ≤ 0}, {@code x < -3}, {@code x ≥ 6}, or {@code -2 ≤ x ≤ -1} for an inner run.
     * Whether the bound belongs to the run is measured too (hardswish'(−3) = −½, so "x &lt; −3").
     */
    private static List<String> deadZones(Activation f) {
        List<String> zones = new ArrayList<>();
        int n = (int) Math.round(2 * DENSE / STEP) + 1;
        int k = 0;
        while (k < n) {
            if (slope(f, -DENSE + k * STEP) != 0) {
                k++;
                continue;
            }
            int start = k;
            while (k < n && slope(f, -DENSE + k * STEP) == 0) {
                k++;
            }
            double lo = -DENSE + start * STEP;
            double hi = -DENSE + (k - 1) * STEP;
            if (hi - lo < DEAD_WIDTH) {
                continue;
            }
            boolean toLeftEnd = start == 0;
            boolean toRightEnd = k == n;
            if (toLeftEnd && toRightEnd) {
                zones.add("everywhere");
            } else if (toLeftEnd) {
                zones.add("x " + edge(f, hi, true));
            } else if (toRightEnd) {
                zones.add("x " + edge(f, lo, false));
            } else {
                double a = shown(lo);
                zones.add(number(a) + (slope(f, a) == 0 ? " ≤ " : " < ") + "x " + edge(f, hi, true));
            }
        }
        return zones;
    }

    /**
     * "≤ 0" or "&lt; -3": the run's end rounded for display, and whether f' is exactly 0 there.
     * Next to a bound that is not itself dead (hardswish'(−3) = −½) the run ends at −3 − 2⁻¹⁰;
     * it shows as −3, and f'(−3) ≠ 0 makes the bound strict.
     */
    private static String edge(Activation f, double end, boolean upper) {
        double v = shown(end);
        boolean closed = slope(f, v) == 0;
        return (upper ? (closed ? "≤ " : "< ") : (closed ? "≥ " : "> ")) + number(v);
    }

    /** The value as {@link #number} displays it. */
    private static double shown(double v) {
        return Double.parseDouble(number(v));
    }

    /** f(x): elementwise, or the first output of the row (x, 0). */
    static double value(Activation f, double x) {
        if (!f.rowWise()) {
            return Reference.forward(f, x);
        }
        double[] y = new double[2];
        Reference.forwardRow(f, new float[] {(float) x, 0f}, 0, y, 2);
        return y[0];
    }

    /** f'(x): elementwise, or ∂y₀/∂x₀ of the row (x, 0), the backward pass with dy = (1, 0). */
    static double slope(Activation f, double x) {
        if (!f.rowWise()) {
            return Reference.derivative(f, x);
        }
        double[] y = new double[2];
        Reference.forwardRow(f, new float[] {(float) x, 0f}, 0, y, 2);
        double[] dx = new double[2];
        Reference.backwardRow(f, y, new float[] {1f, 0f}, 0, dx, 2);
        return dx[0];
    }

    /** Compact: integers as integers, else 3 significant digits; ±∞ as ∞. */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "∞" : "-∞";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String s = new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
        return s.equals("-0") ? "0" : s;
    }

    /** A row of {@code nonlin list}: spec, formula, derivative, then the measured columns. */
    static List<String> row(Activation f, Properties p) {
        return List.of(f.toString(), formula(f.kind()), derivative(f.kind()), p.range(),
                p.zeroCentred() ? "yes" : "no", p.vanishing(), p.deadZone(), number(p.maxSlope()));
    }

    static final List<String> COLUMNS = List.of("function", "formula", "derivative", "range", "zero-centred",
            "vanishing f'", "dead zone (f' = 0)", "max |f'|");

    /** The legend printed under the text table. */
    static String legend() {
        return String.format(Locale.ROOT, "Measured on the float64 reference at %d points: a 2^-10 grid on [-%s, %s], "
                        + "geometric steps out to ±%s, and ±∞ (row-wise functions on rows (x, 0)).%n"
                        + "range: least and greatest f; '[' or ']' when reached at some |x| ≤ %s. "
                        + "zero-centred: f(0) = 0 and f takes both signs.%n"
                        + "vanishing f': |f'(±%s)| < %s. dead zone: f' = 0 exactly on a run at least %s wide within [-%s, %s]. "
                        + "max |f'|: over the sample.",
                sample().length, number(DENSE), number(DENSE), number(FAR), number(ATTAINED), number(VANISH_AT),
                VANISH_BELOW, number(DEAD_WIDTH), number(DENSE), number(DENSE));
    }
}
