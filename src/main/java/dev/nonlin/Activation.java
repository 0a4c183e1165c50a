package dev.nonlin;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One activation function of the catalogue, with its hyper-parameters.
 *
 * <p>Each function is a record whose components are its hyper-parameters, validated in the
 * compact constructor. Names and parameter names follow PyTorch's functional API. A spec string
 * round-trips:
 *
 * <pre>
 *   Activation f = Activation.parse("leaky_relu(negative_slope=0.2)");
 *   f.toString();                       // "leaky_relu(negative_slope=0.2)"
 *   Activation.parse(f.toString()).equals(f);   // true
 * </pre>
 *
 * <p>The formulas, derivatives and numerics of every function are documented on its record and
 * live, once, in {@code dev.nonlin.cpu.Scalar} (Java) and {@code cuda/include/nonlin_math.cuh}
 * (CUDA).
 *
 * <p>Backends dispatch on {@link #kind()}, an enum, and read the hyper-parameters through
 * {@link #p0()} and {@link #p1()}: the same two floats that every kernel takes.
 */
public sealed interface Activation {

    /** The function family. Backends switch on this (exhaustively, since it is an enum). */
    enum Kind {
        SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SELU, CELU,
        GELU, GELU_TANH, SWISH, MISH, SOFTPLUS,
        HARDTANH, RELU6, HARDSIGMOID, HARDSWISH, SOFTSIGN, LOGSIGMOID, IDENTITY,
        PRELU, SOFTMAX, LOG_SOFTMAX;

        /** Lower-case name used for kernel names: {@code gelu_tanh_forward_f32}. */
        public String kernelName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Row-wise functions normalise over the last axis ({@code cols}); the rest are elementwise. */
        public boolean rowWise() {
            return this == SOFTMAX || this == LOG_SOFTMAX;
        }

        /** What an element costs to compute, which decides where a batch runs fastest. */
        public Family family() {
            return switch (this) {
                case RELU, LEAKY_RELU, PRELU, HARDTANH, RELU6, HARDSIGMOID, HARDSWISH, SOFTSIGN, IDENTITY ->
                        Family.PIECEWISE;
                case SIGMOID, TANH, ELU, SELU, CELU, GELU, GELU_TANH, SWISH, MISH, SOFTPLUS, LOGSIGMOID ->
                        Family.TRANSCENDENTAL;
                case SOFTMAX, LOG_SOFTMAX -> Family.ROW_WISE;
            };
        }
    }

    /**
     * Functions grouped by cost per element: the CPU's thread split and {@code auto}'s choice
     * between CPU and GPU for host arrays are decided per family, not per function.
     */
    enum Family {
        /** Compares, multiplies and adds only (relu, hardtanh, softsign, ...): memory-bound everywhere. */
        PIECEWISE,
        /** One or more exp, log1p, tanh or erfc per element (sigmoid, gelu, mish, ...): compute-bound on a CPU. */
        TRANSCENDENTAL,
        /** softmax and log_softmax: an exp per element plus a reduction per row. */
        ROW_WISE;

        /** The lower-case name used in properties and tables: {@code piecewise}, {@code row_wise}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The function family. */
    Kind kind();

    /** The spec name, e.g. {@code "leaky_relu"}. */
    String name();

    /** First hyper-parameter as the kernels see it (0 where the function has none). */
    default float p0() {
        return 0f;
    }

    /** Second hyper-parameter as the kernels see it (0 where the function has none). */
    default float p1() {
        return 0f;
    }

    /**
     * Whether {@code dx} can be computed from the output {@code y} instead of the input {@code x}
     * (see {@link Backend#backwardFromOutput}). True where the function is invertible on its
     * range (sigmoid, tanh, relu, leaky_relu with slope &gt; 0, elu/celu with α &gt; 0, selu,
     * identity) and for softmax and log_softmax, whose Jacobian is naturally written in y.
     */
    default boolean backwardFromOutput() {
        return false;
    }

    /** Row-wise (softmax, log_softmax) rather than elementwise. */
    default boolean rowWise() {
        return kind().rowWise();
    }

    /** The spec, parseable by {@link #parse(String)}. */
    @Override
    String toString();

    // ------------------------------------------------------------------ factories

    static Activation sigmoid() { return new Sigmoid(); }
    static Activation tanh() { return new Tanh(); }
    static Activation relu() { return new Relu(); }
    static Activation leakyRelu(float negativeSlope) { return new LeakyRelu(negativeSlope); }
    static Activation elu(float alpha) { return new Elu(alpha); }
    static Activation selu() { return new Selu(); }
    static Activation celu(float alpha) { return new Celu(alpha); }
    static Activation gelu() { return new Gelu(Gelu.Approximate.NONE); }
    static Activation geluTanh() { return new Gelu(Gelu.Approximate.TANH); }
    static Activation silu() { return new Swish(1f); }
    static Activation swish(float beta) { return new Swish(beta); }
    static Activation mish() { return new Mish(); }
    static Activation softplus(float beta, float threshold) { return new Softplus(beta, threshold); }
    static Activation hardtanh(float minVal, float maxVal) { return new Hardtanh(minVal, maxVal); }
    static Activation relu6() { return new Relu6(); }
    static Activation hardsigmoid() { return new Hardsigmoid(); }
    static Activation hardswish() { return new Hardswish(); }
    static Activation softsign() { return new Softsign(); }
    static Activation logsigmoid() { return new LogSigmoid(); }
    static Activation identity() { return new Identity(); }
    static Activation prelu(int numParameters, float init) { return new PRelu(numParameters, init); }
    static Activation softmax() { return new Softmax(); }
    static Activation logSoftmax() { return new LogSoftmax(); }

    /**
     * Parses {@code name} or {@code name(key=value,...)}. Whitespace around tokens is ignored.
     * Unknown names, keys or values throw an {@link IllegalArgumentException} that lists what is
     * allowed; out-of-domain values throw the record's own validation message.
     */
    static Activation parse(String spec) {
        return SpecParser.parse(spec);
    }

    /**
     * Every function of the catalogue by its canonical name (PyTorch's), with its parameter keys:
     * one entry per function. {@link #parse} also accepts the aliases {@code log_sigmoid},
     * {@code linear}, {@code logsoftmax}, {@code gelu(approximate=erf)} and {@code alpha} for
     * leaky_relu's slope; its error for an unknown name lists them.
     */
    static Map<String, List<String>> grammar() {
        return SpecParser.grammar();
    }

    // ------------------------------------------------------------------ records

    /**
     * Logistic sigmoid.
     * <pre>
     *   y  = σ(x) = 1 / (1 + e^−x)
     *   y' = y·(1 − y)
     * </pre>
     * Numerics: branched on sign (e = e^−|x|; x ≥ 0: 1/(1+e), else e/(1+e)) so exp never
     * overflows; the derivative is e/(1+e)², which does not cancel in the tails.
     */
    record Sigmoid() implements Activation {
        public Kind kind() { return Kind.SIGMOID; }
        public String name() { return "sigmoid"; }
        public boolean backwardFromOutput() { return true; }
        public String toString() { return name(); }
    }

    /**
     * Hyperbolic tangent.
     * <pre>
     *   y  = tanh x
     *   y' = 1 − y²   (computed as 4e/(1+e)², e = e^−2|x|, which stays exact in the tails)
     * </pre>
     */
    record Tanh() implements Activation {
        public Kind kind() { return Kind.TANH; }
        public String name() { return "tanh"; }
        public boolean backwardFromOutput() { return true; }
        public String toString() { return name(); }
    }

    /**
     * Rectified linear unit. {@code y = max(x, 0)}, {@code y' = [x > 0]}; relu'(0) = 0 as in
     * PyTorch. NaN propagates (a NaN-aware max, not a select).
     */
    record Relu() implements Activation {
        public Kind kind() { return Kind.RELU; }
        public String name() { return "relu"; }
        public boolean backwardFromOutput() { return true; }
        public String toString() { return name(); }
    }

    /**
     * Leaky ReLU. {@code y = x > 0 ? x : s·x}, {@code y' = x > 0 ? 1 : s}; leaky_relu'(0) = s.
     * Any finite slope; backward from the output needs s &gt; 0.
     */
    record LeakyRelu(float negativeSlope) implements Activation {
        public LeakyRelu {
            requireFinite("leaky_relu", "negative_slope", negativeSlope);
        }
        public Kind kind() { return Kind.LEAKY_RELU; }
        public String name() { return "leaky_relu"; }
        public float p0() { return negativeSlope; }
        public boolean backwardFromOutput() { return negativeSlope > 0; }
        public String toString() { return name() + "(negative_slope=" + negativeSlope + ")"; }
    }

    /**
     * Exponential linear unit (Clevert et al. 2015).
     * <pre>
     *   y  = x > 0 ? x : α·(e^x − 1)      (expm1, so small |x| does not cancel)
     *   y' = x > 0 ? 1 : α·e^x            elu'(0) = α, as in PyTorch
     * </pre>
     */
    record Elu(float alpha) implements Activation {
        public Elu {
            requireFinite("elu", "alpha", alpha);
        }
        public Kind kind() { return Kind.ELU; }
        public String name() { return "elu"; }
        public float p0() { return alpha; }
        public boolean backwardFromOutput() { return alpha > 0; }
        public String toString() { return name() + "(alpha=" + alpha + ")"; }
    }

    /**
     * Scaled ELU (Klambauer et al. 2017), λ = 1.0507009873554804934193349852946,
     * α = 1.6732632423543772848170429916717.
     * <pre>
     *   y  = λ·(x > 0 ? x : α·(e^x − 1))
     *   y' = λ·(x > 0 ? 1 : α·e^x)         selu'(0) = λα
     * </pre>
     */
    record Selu() implements Activation {
        public Kind kind() { return Kind.SELU; }
        public String name() { return "selu"; }
        public boolean backwardFromOutput() { return true; }
        public String toString() { return name(); }
    }

    /**
     * Continuously differentiable ELU (Barron 2017).
     * <pre>
     *   y  = max(0, x) + min(0, α·(e^(x/α) − 1))
     *   y' = x > 0 ? 1 : e^(x/α)           celu'(0) = 1
     * </pre>
     * α must be finite and non-zero (PyTorch rejects 0 too).
     */
    record Celu(float alpha) implements Activation {
        public Celu {
            requireFinite("celu", "alpha", alpha);
            if (alpha == 0f) {
                throw new IllegalArgumentException("celu: alpha must be non-zero, got 0.0");
            }
        }
        public Kind kind() { return Kind.CELU; }
        public String name() { return "celu"; }
        public float p0() { return alpha; }
        public boolean backwardFromOutput() { return alpha > 0; }
        public String toString() { return name() + "(alpha=" + alpha + ")"; }
    }

    /**
     * Gaussian error linear unit (Hendrycks &amp; Gimpel 2016).
     * <pre>
     *   none:  y = x·Φ(x) = ½·x·erfc(−x/√2)          y' = Φ(x) + x·φ(x)
     *   tanh:  y = x·σ(2u), u = √(2/π)·(x + 0.044715·x³)
     *          y' = σ(2u) + x·σ(2u)·(1 − σ(2u))·2u'
     * </pre>
     * Numerics: erfc, not 1 + erf, which cancels below x ≈ −5; x·σ(2u), not ½x(1 + tanh u),
     * which cancels too. gelu(−∞) = 0 (PyTorch gives NaN).
     */
    record Gelu(Approximate approximate) implements Activation {
        /** PyTorch's {@code approximate} argument. */
        public enum Approximate {
            NONE, TANH;

            public String spec() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        public Gelu {
            if (approximate == null) {
                throw new IllegalArgumentException("gelu: approximate must be none or tanh, got null");
            }
        }
        public Kind kind() { return approximate == Approximate.NONE ? Kind.GELU : Kind.GELU_TANH; }
        public String name() { return "gelu"; }
        public String toString() { return name() + "(approximate=" + approximate.spec() + ")"; }
    }

    /**
     * Swish (Ramachandran et al. 2017); SiLU is β = 1 (Elfwing et al. 2017).
     * <pre>
     *   y  = x·s,  s = σ(βx)
     *   y' = s + β·y·(1 − s)
     * </pre>
     * Numerics: σ branched on sign; at x = −∞, y = 0 (the limit), not NaN. β = 1 prints as
     * {@code silu}.
     */
    record Swish(float beta) implements Activation {
        public Swish {
            requireFinite("swish", "beta", beta);
        }
        public Kind kind() { return Kind.SWISH; }
        public String name() { return beta == 1f ? "silu" : "swish"; }
        public float p0() { return beta; }
        public String toString() { return beta == 1f ? "silu" : "swish(beta=" + beta + ")"; }
    }

    /**
     * Mish (Misra 2019).
     * <pre>
     *   y  = x·tanh(softplus(x)) = x·t,  t = n(n+2) / (n(n+2) + 2),  n = e^x
     *   y' = t + x·σ(x)·(1 − t²)
     * </pre>
     * Numerics: one exp; for x &gt; 20, t = 1 to double precision. mish(−∞) = 0.
     */
    record Mish() implements Activation {
        public Kind kind() { return Kind.MISH; }
        public String name() { return "mish"; }
        public String toString() { return name(); }
    }

    /**
     * Softplus. Linear when β·x &gt; threshold (tested on the input, as PyTorch does).
     * <pre>
     *   y  = (1/β)·log(1 + e^(βx)) = (max(βx, 0) + log1p(e^−|βx|)) / β
     *   y' = σ(βx)
     * </pre>
     * β must be positive and finite; threshold finite.
     */
    record Softplus(float beta, float threshold) implements Activation {
        public Softplus {
            requireFinite("softplus", "beta", beta);
            if (!(beta > 0f)) {
                throw new IllegalArgumentException("softplus: beta must be > 0, got " + beta);
            }
            requireFinite("softplus", "threshold", threshold);
        }
        public Kind kind() { return Kind.SOFTPLUS; }
        public String name() { return "softplus"; }
        public float p0() { return beta; }
        public float p1() { return threshold; }
        public String toString() { return name() + "(beta=" + beta + ",threshold=" + threshold + ")"; }
    }

    /**
     * Hard tanh: {@code clamp(x, min_val, max_val)}; y' = 1 strictly inside, 0 at and beyond the
     * bounds (PyTorch). NaN propagates.
     */
    record Hardtanh(float minVal, float maxVal) implements Activation {
        public Hardtanh {
            requireFinite("hardtanh", "min_val", minVal);
            requireFinite("hardtanh", "max_val", maxVal);
            if (maxVal < minVal) {
                throw new IllegalArgumentException(
                        "hardtanh: max_val (" + maxVal + ") must not be less than min_val (" + minVal + ")");
            }
        }
        public Kind kind() { return Kind.HARDTANH; }
        public String name() { return "hardtanh"; }
        public float p0() { return minVal; }
        public float p1() { return maxVal; }
        public String toString() { return name() + "(min_val=" + minVal + ",max_val=" + maxVal + ")"; }
    }

    /** ReLU6: {@code clamp(x, 0, 6)}; y' = 1 on (0, 6), 0 at both bounds. */
    record Relu6() implements Activation {
        public Kind kind() { return Kind.RELU6; }
        public String name() { return "relu6"; }
        public String toString() { return name(); }
    }

    /** Hard sigmoid: {@code relu6(x + 3)/6}; y' = 1/6 on (−3, 3), 0 at ±3. */
    record Hardsigmoid() implements Activation {
        public Kind kind() { return Kind.HARDSIGMOID; }
        public String name() { return "hardsigmoid"; }
        public String toString() { return name(); }
    }

    /**
     * Hard swish (Howard et al. 2019): {@code x·relu6(x + 3)/6}. y' = 0 for x &lt; −3,
     * x/3 + ½ on [−3, 3], 1 above: PyTorch's convention, so y'(−3) = −½ and y'(3) = 1.5.
     */
    record Hardswish() implements Activation {
        public Kind kind() { return Kind.HARDSWISH; }
        public String name() { return "hardswish"; }
        public String toString() { return name(); }
    }

    /** Softsign: {@code y = x/(1 + |x|)}, {@code y' = 1/(1 + |x|)²}. */
    record Softsign() implements Activation {
        public Kind kind() { return Kind.SOFTSIGN; }
        public String name() { return "softsign"; }
        public String toString() { return name(); }
    }

    /**
     * Log-sigmoid: {@code y = log σ(x) = min(x, 0) − log1p(e^−|x|)}, {@code y' = σ(−x)}.
     */
    record LogSigmoid() implements Activation {
        public Kind kind() { return Kind.LOGSIGMOID; }
        public String name() { return "logsigmoid"; }
        public String toString() { return name(); }
    }

    /** Identity: y = x, y' = 1. The linear baseline. */
    record Identity() implements Activation {
        public Kind kind() { return Kind.IDENTITY; }
        public String name() { return "identity"; }
        public boolean backwardFromOutput() { return true; }
        public String toString() { return name(); }
    }

    /**
     * Parametric ReLU (He et al. 2015) with a learned α: {@code y = x > 0 ? x : α·x},
     * {@code dx = dy·(x > 0 ? 1 : α)}, {@code dα = Σ dy·(x > 0 ? 0 : x)}.
     *
     * <p>This record is the spec, as PyTorch's {@code nn.PReLU(num_parameters, init)}: through
     * the generic {@link Backend#forward} every channel uses {@code init}. To train α, call
     * {@link Backend#preluForward} and {@link Backend#preluBackward}, which take α per channel
     * (along the last axis) and return dα, summed over rows in a fixed order.
     */
    record PRelu(int numParameters, float init) implements Activation {
        public PRelu {
            if (numParameters < 1) {
                throw new IllegalArgumentException("prelu: num_parameters must be >= 1, got " + numParameters);
            }
            requireFinite("prelu", "init", init);
        }
        public Kind kind() { return Kind.PRELU; }
        public String name() { return "prelu"; }
        public float p0() { return init; }
        public String toString() { return name() + "(num_parameters=" + numParameters + ",init=" + init + ")"; }
    }

    /**
     * Softmax over each row (the last axis).
     * <pre>
     *   y_i = e^(x_i − m) / Σ_j e^(x_j − m),  m = max_j x_j
     *   dx  = y ⊙ (dy − Σ dy ⊙ y)
     * </pre>
     * A −∞ entry has probability 0; a row of all −∞ gives all zeros ("safe softmax"; PyTorch
     * gives NaN); +∞ entries share the mass equally (the limit). A NaN makes its row NaN.
     */
    record Softmax() implements Activation {
        public Kind kind() { return Kind.SOFTMAX; }
        public String name() { return "softmax"; }
        public boolean backwardFromOutput() { return true; }
        public String toString() { return name(); }
    }

    /**
     * Log-softmax over each row.
     * <pre>
     *   y_i = (x_i − m) − log1p(Σ_{j≠argmax} e^(x_j − m))
     *   dx  = dy − e^y · Σ dy
     * </pre>
     * The log1p keeps y exact near 0 for a dominant entry, where log(Σ) would round to 0.
     * A row of all −∞ gives all −∞ (the log of the safe softmax).
     */
    record LogSoftmax() implements Activation {
        public Kind kind() { return Kind.LOG_SOFTMAX; }
        public String name() { return "log_softmax"; }
        public boolean backwardFromOutput() { return true; }
        public String toString() { return name(); }
    }

    // ------------------------------------------------------------------ helpers

    private static void requireFinite(String function, String key, float value) {
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException(function + ": " + key + " must be finite, got " + value);
        }
    }
}
