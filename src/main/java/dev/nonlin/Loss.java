package dev.nonlin;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One loss function, with its hyper-parameters and its {@link Reduction}.
 *
 * <p>The same contract style as {@link Activation}: each loss is a record whose components are
 * validated in the compact constructor, names and defaults follow PyTorch's functional API, and a
 * spec round-trips through {@link #parse(String)} and {@link #toString()}:
 *
 * <pre>
 *   Loss l = Loss.parse("bce_with_logits(pos_weight=2,reduction=sum)");
 *   l.toString();                        // "bce_with_logits(pos_weight=2.0,reduction=sum)"
 *   Loss.parse(l.toString()).equals(l);  // true
 * </pre>
 *
 * <p>A loss takes the input {@code z} ({@code rows × cols} floats: predictions, probabilities or
 * logits) and a target: {@code t}, floats of the same shape, for {@code mse}, {@code bce} and
 * {@code bce_with_logits}; one class index per row (ints) for {@code softmax_cross_entropy}
 * ({@link #classTargets()}). {@link Backend#lossForward} returns the reduced loss L (summed in
 * double, in a fixed order); {@link Backend#lossBackward} writes {@code dz = dL·∂L/∂z}.
 *
 * <p>The reduction is a component of every record, a typed value, never a boolean flag: the same
 * function with {@code reduction=sum} is a different (unequal) loss. {@code mean} divides by the
 * number of elements for the elementwise losses and by the number of non-ignored rows for
 * {@code softmax_cross_entropy}, as PyTorch does; a mean over nothing is NaN (0/0), as in
 * PyTorch.
 *
 * <p>The formulas live once in {@code dev.nonlin.cpu.LossMath} (Java) and
 * {@code cuda/include/nonlin_math.cuh} (CUDA); each record's Javadoc states them.
 */
public sealed interface Loss {

    /** How the per-element (or per-row) losses become one number. PyTorch's {@code reduction}, less {@code none}. */
    enum Reduction {
        /** The mean: Σℓ / n (elements), or Σℓ / (non-ignored rows) for softmax_cross_entropy. PyTorch's default. */
        MEAN,
        /** The sum Σℓ. */
        SUM;

        /** The spec value: {@code mean} or {@code sum}. */
        public String spec() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The loss family. Backends switch on this (exhaustively, since it is an enum). */
    enum Kind {
        MSE, BCE, BCE_WITH_LOGITS, SOFTMAX_CROSS_ENTROPY;

        /** Lower-case name used for kernel names: {@code bce_with_logits_loss_partial_f32}. */
        public String kernelName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether the target is one class index per row (ints) rather than floats shaped like z. */
        public boolean classTargets() {
            return this == SOFTMAX_CROSS_ENTROPY;
        }
    }

    /** The loss family. */
    Kind kind();

    /** The spec name, e.g. {@code "bce_with_logits"}. */
    String name();

    /** Mean or sum. */
    Reduction reduction();

    /**
     * First hyper-parameter as the kernels see it: pos_weight, label_smoothing, or 0. NaN when it
     * differs per column ({@link #columnWeights()} is not null then).
     */
    default float p0() {
        return 0f;
    }

    /**
     * The hyper-parameter per column, when it is not one value for every element: a copy of
     * bce_with_logits's per-class pos_weight (element {@code (r, c)} takes entry {@code c}, and
     * z must have exactly that many columns). Null for every other loss and for a single weight,
     * where {@link #p0()} applies everywhere.
     */
    default float[] columnWeights() {
        return null;
    }

    /** Whether the target is one class index per row ({@code int[]}, {@link IntTensor}). */
    default boolean classTargets() {
        return kind().classTargets();
    }

    /** The same loss with another reduction. */
    Loss withReduction(Reduction reduction);

    /** The spec, parseable by {@link #parse(String)}. */
    @Override
    String toString();

    // ------------------------------------------------------------------ factories

    static Loss mse() { return new Mse(Reduction.MEAN); }
    static Loss bce() { return new Bce(Reduction.MEAN); }
    static Loss bceWithLogits() { return new BceWithLogits(1f, Reduction.MEAN); }
    static Loss bceWithLogits(float posWeight) { return new BceWithLogits(posWeight, Reduction.MEAN); }
    /** bce_with_logits with one pos_weight per class (column), PyTorch's pos_weight tensor of shape [C]. */
    static Loss bceWithLogits(float[] posWeight) { return new BceWithLogits(posWeight, Reduction.MEAN); }
    static Loss softmaxCrossEntropy() { return new SoftmaxCrossEntropy(SoftmaxCrossEntropy.DEFAULT_IGNORE_INDEX, 0f, Reduction.MEAN); }
    static Loss softmaxCrossEntropy(int ignoreIndex, float labelSmoothing) {
        return new SoftmaxCrossEntropy(ignoreIndex, labelSmoothing, Reduction.MEAN);
    }

    /**
     * Parses {@code name} or {@code name(key=value,...)}, e.g.
     * {@code softmax_cross_entropy(ignore_index=-100,label_smoothing=0.1)}. PyTorch's functional
     * names are accepted as aliases ({@code mse_loss}, {@code binary_cross_entropy},
     * {@code binary_cross_entropy_with_logits}, {@code cross_entropy}). Unknown names, keys or
     * values throw an {@link IllegalArgumentException} that lists what is allowed.
     */
    static Loss parse(String spec) {
        return SpecParser.parseLoss(spec);
    }

    /**
     * Every loss by its canonical name, with its parameter keys. {@link #parse} also accepts
     * PyTorch's functional names ({@code mse_loss}, {@code binary_cross_entropy},
     * {@code binary_cross_entropy_with_logits}, {@code cross_entropy}); its error for an unknown
     * name lists them.
     */
    static Map<String, List<String>> grammar() {
        return SpecParser.lossGrammar();
    }

    // ------------------------------------------------------------------ records

    /**
     * Mean squared error, PyTorch's {@code mse_loss}.
     * <pre>
     *   ℓ  = (z − t)²
     *   ∂ℓ/∂z = 2(z − t)
     * </pre>
     * Computed in double: z − t of two floats is exact there, so ℓ is correctly rounded.
     */
    record Mse(Reduction reduction) implements Loss {
        public Mse {
            requireReduction("mse", reduction);
        }
        public Kind kind() { return Kind.MSE; }
        public String name() { return "mse"; }
        public Loss withReduction(Reduction r) { return new Mse(r); }
        public String toString() { return name() + "(reduction=" + reduction.spec() + ")"; }
    }

    /**
     * Binary cross-entropy on probabilities p = z ∈ [0, 1], PyTorch's {@code binary_cross_entropy}.
     * <pre>
     *   ℓ  = −(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100))
     *   ∂ℓ/∂p = (p − t) / max(p·(1 − p), 1e-12)
     * </pre>
     * Both clamps are PyTorch's: the logs are clamped at −100, so p = 0 or 1 gives a finite loss
     * (100 per element at most), and the gradient's denominator at 1e-12 (PyTorch's
     * {@code EPSILON}), so the gradient is finite too (at most 1e12 per element). The gradient is
     * therefore PyTorch's, not the derivative of the clamped loss (which is 0 where a log is
     * clamped). A p outside [0, 1] gives NaN in both (PyTorch raises; checking values would cost a
     * pass and, on a GPU, a synchronisation). Soft targets t ∈ [0, 1] are fine.
     */
    record Bce(Reduction reduction) implements Loss {
        public Bce {
            requireReduction("bce", reduction);
        }
        public Kind kind() { return Kind.BCE; }
        public String name() { return "bce"; }
        public Loss withReduction(Reduction r) { return new Bce(r); }
        public String toString() { return name() + "(reduction=" + reduction.spec() + ")"; }
    }

    /**
     * Binary cross-entropy on logits z, PyTorch's {@code binary_cross_entropy_with_logits}, with a
     * weight w (default 1) on the positive term: {@code pos_weight}, one value for every element,
     * or one per class (column), as PyTorch's pos_weight tensor of shape {@code [C]}, broadcast
     * over the rows.
     * <pre>
     *   ℓ  = w·t·softplus(−z) + (1 − t)·softplus(z)
     *      = max(z, 0) − z·t + log1p(e^−|z|)               (w = 1)
     *   ∂ℓ/∂z = (1 − t)·σ(z) − w·t·σ(−z)
     *         = σ(z) − t                                   (w = 1)
     * </pre>
     * Numerics: softplus(u) = max(u, 0) + log1p(e^−|u|) never overflows, and the written form has
     * two non-negative terms for t ∈ [0, 1], so nothing cancels; the gradient's form is exact in
     * the tails where σ(z) − t would cancel (z ≫ 0, t = 1). A term whose weight is 0 adds 0, so
     * z = ±∞ gives the limits (0 or ∞) where PyTorch's (1 − t)·z gives NaN.
     *
     * <p>Weights: {@code pos_weight} holds one weight (applied to every element) or C weights,
     * where element {@code (r, c)} takes weight {@code c}. With C weights, z must have exactly C
     * columns; a backend call with another width throws, naming both. The weights are copied in
     * and out, so the record is immutable; {@code equals}, {@code hashCode} and {@code toString}
     * compare and show their values. Spec form: {@code bce_with_logits(pos_weight=2.5)} or
     * {@code bce_with_logits(pos_weight=[1,2.5,0.5])}.
     */
    record BceWithLogits(float[] posWeight, Reduction reduction) implements Loss {
        public BceWithLogits {
            if (posWeight == null || posWeight.length == 0) {
                throw new IllegalArgumentException("bce_with_logits: pos_weight must hold one weight or one per class, got "
                        + (posWeight == null ? "null" : "none"));
            }
            posWeight = posWeight.clone();
            for (int c = 0; c < posWeight.length; c++) {
                if (!Float.isFinite(posWeight[c]) || posWeight[c] < 0f) {
                    throw new IllegalArgumentException("bce_with_logits: pos_weight"
                            + (posWeight.length == 1 ? "" : "[" + c + "]") + " must be finite and >= 0, got " + posWeight[c]);
                }
            }
            requireReduction("bce_with_logits", reduction);
        }

        /** One weight for every element. */
        public BceWithLogits(float posWeight, Reduction reduction) {
            this(new float[] {posWeight}, reduction);
        }

        /** A copy of the weights: one, or one per class. */
        @Override
        public float[] posWeight() {
            return posWeight.clone();
        }

        /** Whether there is one weight per class (column) rather than one for every element. */
        public boolean perClass() {
            return posWeight.length > 1;
        }

        public Kind kind() { return Kind.BCE_WITH_LOGITS; }
        public String name() { return "bce_with_logits"; }
        /** The single weight; NaN when there is one per class (see {@link #columnWeights()}). */
        public float p0() { return perClass() ? Float.NaN : posWeight[0]; }
        public float[] columnWeights() { return perClass() ? posWeight.clone() : null; }
        public Loss withReduction(Reduction r) { return new BceWithLogits(posWeight, r); }

        @Override
        public boolean equals(Object o) {
            return o instanceof BceWithLogits && ((BceWithLogits) o).reduction == reduction
                    && java.util.Arrays.equals(((BceWithLogits) o).posWeight, posWeight);
        }

        @Override
        public int hashCode() {
            return 31 * java.util.Arrays.hashCode(posWeight) + reduction.hashCode();
        }

        @Override
        public String toString() {
            StringBuilder w = new StringBuilder();
            if (perClass()) {
                w.append('[');
                for (int c = 0; c < posWeight.length; c++) {
                    w.append(c == 0 ? "" : ",").append(posWeight[c]);
                }
                w.append(']');
            } else {
                w.append(posWeight[0]);
            }
            return name() + "(pos_weight=" + w + ",reduction=" + reduction.spec() + ")";
        }
    }

    /**
     * Softmax cross-entropy over each row of C = cols logits, with one class index t per row,
     * PyTorch's {@code cross_entropy} (class-index targets, no class weights).
     * <pre>
     *   log p_c = (z_c − m) − log1p(r),   m = max z,  r = Σ_{c≠argmax} e^(z_c − m)
     *   ℓ  = −(1 − ε)·log p_t − (ε/C)·Σ_c log p_c
     *   ∂ℓ/∂z_c = p_c − (1 − ε)·[c = t] − ε/C
     * </pre>
     * Rows whose target is {@code ignore_index} add 0 to the loss and get dz = 0. With
     * {@code reduction=mean}, L is divided by the number of non-ignored rows (PyTorch's formula
     * with label smoothing too: both its terms are divided by that count); if every row is
     * ignored, L = 0/0 = NaN, as in PyTorch, and dz = 0. ε = {@code label_smoothing} ∈ [0, 1].
     *
     * <p>Numerics: the max is subtracted and log1p(r) keeps log p exact for a dominant class;
     * the gradient of the target class is written as −r/(1 + r) + ε when t is a maximal entry,
     * so p_t − 1 does not cancel. A NaN in a non-ignored row, or a row whose max is ±∞, gives NaN
     * for that row (as PyTorch); a −∞ logit below the max has probability 0 (its ℓ is +∞ if it is
     * the target, or when ε &gt; 0).
     *
     * <p>Targets: each must be in [0, C) or equal {@code ignore_index}. A bad target throws
     * (naming the row and the value) before anything is written, in host arrays and in an
     * {@link IntTensor} alike, on every backend (PyTorch raises on the CPU and stops the process
     * with a device-side assert on CUDA).
     */
    record SoftmaxCrossEntropy(int ignoreIndex, float labelSmoothing, Reduction reduction) implements Loss {
        /** PyTorch's default {@code ignore_index}. */
        public static final int DEFAULT_IGNORE_INDEX = -100;

        public SoftmaxCrossEntropy {
            if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) {
                throw new IllegalArgumentException(
                        "softmax_cross_entropy: label_smoothing must be in [0, 1], got " + labelSmoothing);
            }
            requireReduction("softmax_cross_entropy", reduction);
        }
        public Kind kind() { return Kind.SOFTMAX_CROSS_ENTROPY; }
        public String name() { return "softmax_cross_entropy"; }
        public float p0() { return labelSmoothing; }
        public Loss withReduction(Reduction r) { return new SoftmaxCrossEntropy(ignoreIndex, labelSmoothing, r); }
        public String toString() {
            return name() + "(ignore_index=" + ignoreIndex + ",label_smoothing=" + labelSmoothing
                    + ",reduction=" + reduction.spec() + ")";
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void requireReduction(String loss, Reduction r) {
        if (r == null) {
            throw new IllegalArgumentException(loss + ": reduction must be mean or sum, got null");
        }
    }
}
