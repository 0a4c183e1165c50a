package dev.nonlin.nn;

import dev.nonlin.Activation;

import java.util.Random;

/**
 * How a {@link Dense} layer's weights are drawn: a normal distribution N(0, σ²) whose σ keeps the
 * variance of the signal roughly constant from layer to layer for the activation that follows.
 * Biases start at 0.
 *
 * <p>{@link #defaultFor(Activation)} picks by activation family: He for relu-like functions,
 * LeCun for selu, Xavier/Glorot for the saturating and linear ones.
 */
public enum Init {
    /**
     * He et al. 2015 ("Delving deep into rectifiers"), PyTorch's {@code kaiming_normal_} with
     * fan_in: σ = √(2 / fan_in). A relu passes on half of its input's second moment, so the
     * factor 2 restores it.
     */
    HE,
    /**
     * Glorot &amp; Bengio 2010, {@code xavier_normal_}: σ = √(2 / (fan_in + fan_out)). Derived for
     * functions that are linear near 0 with slope 1 (tanh, identity); used for sigmoid too.
     */
    XAVIER,
    /**
     * LeCun et al. 1998, σ = √(1 / fan_in): what SELU's self-normalising fixed point assumes
     * (Klambauer et al. 2017).
     */
    LECUN;

    /**
     * The most weights {@link #sample} can draw: {@code Integer.MAX_VALUE − 8}, the JDK's own soft
     * limit on array lengths ({@code ArraysSupport.SOFT_MAX_ARRAY_LENGTH}, also {@link
     * dev.nonlin.Tensor#toArray}'s bound). A VM may refuse a few elements more than that with an
     * {@code OutOfMemoryError}, which no caller should have to catch.
     */
    static final int MAX_WEIGHTS = Integer.MAX_VALUE - 8;

    /**
     * The standard deviation of the weights for a layer of {@code fanIn × fanOut}.
     *
     * @throws IllegalArgumentException if a fan is below 1 (σ would be infinite or NaN)
     */
    public double std(int fanIn, int fanOut) {
        fans(fanIn, fanOut);
        return switch (this) {
            case HE -> Math.sqrt(2.0 / fanIn);
            case XAVIER -> Math.sqrt(2.0 / ((double) fanIn + fanOut));     // in double: the int sum can overflow
            case LECUN -> Math.sqrt(1.0 / fanIn);
        };
    }

    /**
     * {@code fanIn × fanOut} weights, row-major, drawn from N(0, std²) by {@code rng}.
     *
     * @throws IllegalArgumentException if a fan is below 1, {@code rng} is null, or
     *         {@code fanIn × fanOut} exceeds
     *         {@code Integer.MAX_VALUE − 8} (the weights are one Java array)
     */
    public float[] sample(int fanIn, int fanOut, Random rng) {
        fans(fanIn, fanOut);
        if (rng == null) {
            throw new IllegalArgumentException("rng must not be null");
        }
        long n = (long) fanIn * fanOut;
        if (n > MAX_WEIGHTS) {
            throw new IllegalArgumentException("fanIn × fanOut (" + fanIn + " × " + fanOut + " = " + n
                    + ") exceeds the largest Java array (" + MAX_WEIGHTS + " elements)");
        }
        double s = std(fanIn, fanOut);
        float[] w = new float[(int) n];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (s * rng.nextGaussian());
        }
        return w;
    }

    private static void fans(int fanIn, int fanOut) {
        if (fanIn < 1) {
            throw new IllegalArgumentException("fanIn must be >= 1, got " + fanIn);
        }
        if (fanOut < 1) {
            throw new IllegalArgumentException("fanOut must be >= 1, got " + fanOut);
        }
    }

    /**
     * The usual choice for {@code f}: HE for rectifier-like functions (unbounded above, about 0
     * below: relu, leaky_relu, prelu, elu, celu, gelu, silu/swish, mish, softplus, relu6,
     * hardswish), LECUN for selu, XAVIER for the rest (sigmoid, tanh, softsign, the hard
     * sigmoids, logsigmoid, identity, softmax, log_softmax).
     */
    public static Init defaultFor(Activation f) {
        if (f == null) {
            throw new IllegalArgumentException("f (the activation) must not be null");
        }
        return switch (f.kind()) {
            case RELU, LEAKY_RELU, PRELU, ELU, CELU, GELU, GELU_TANH, SWISH, MISH, SOFTPLUS, RELU6, HARDSWISH -> HE;
            case SELU -> LECUN;
            case SIGMOID, TANH, SOFTSIGN, HARDTANH, HARDSIGMOID, LOGSIGMOID, IDENTITY, SOFTMAX, LOG_SOFTMAX -> XAVIER;
        };
    }
}
