package dev.nonlin;

/**
 * One update rule for a parameter tensor w from its gradient g, run by
 * {@link Backend#optimizerStep} where the tensors live (on the GPU, one fused kernel).
 * Formulas, names and defaults follow PyTorch's {@code torch.optim.SGD} and {@code Adam}
 * (L2 {@code weight_decay} added to the gradient, not AdamW's decoupled decay).
 *
 * <p>The rule keeps state per parameter: {@link #stateTensors()} tensors shaped like w, zero at
 * the start (SGD with momentum: the velocity; Adam: the first and second moments). The caller
 * owns them and passes them to every step, with the step number t = 1, 2, ...
 */
public sealed interface Optimizer {

    /** The rule family; backends switch on it. */
    enum Kind { SGD, ADAM }

    Kind kind();

    /** The learning rate. */
    float lr();

    /** How many state tensors shaped like w each parameter needs: 0, 1 or 2. */
    int stateTensors();

    /** The same rule with another learning rate (for schedules). */
    Optimizer withLr(float lr);

    static Optimizer sgd(float lr) { return new Sgd(lr, 0f, 0f); }
    static Optimizer sgd(float lr, float momentum) { return new Sgd(lr, momentum, 0f); }
    static Optimizer adam(float lr) { return new Adam(lr, 0.9f, 0.999f, 1e-8f, 0f); }

    /**
     * Stochastic gradient descent with optional heavy-ball momentum μ (PyTorch's SGD with
     * dampening 0, not Nesterov) and L2 weight decay λ:
     * <pre>
     *   g ← g + λ·w
     *   v ← μ·v + g          (only when μ ≠ 0; v starts at 0, so the first step is v = g)
     *   w ← w − lr·v         (w ← w − lr·g when μ = 0)
     * </pre>
     * Computed in float, as PyTorch does: one rounding per operation.
     */
    record Sgd(float lr, float momentum, float weightDecay) implements Optimizer {
        public Sgd {
            positive("sgd", "lr", lr);
            unit("sgd", "momentum", momentum);
            nonNegative("sgd", "weight_decay", weightDecay);
        }
        public Kind kind() { return Kind.SGD; }
        public int stateTensors() { return momentum == 0f ? 0 : 1; }
        public Optimizer withLr(float lr) { return new Sgd(lr, momentum, weightDecay); }
        public String toString() {
            return "sgd(lr=" + lr + ",momentum=" + momentum + ",weight_decay=" + weightDecay + ")";
        }
    }

    /**
     * Adam (Kingma &amp; Ba 2015), PyTorch's form, at step t ≥ 1:
     * <pre>
     *   g ← g + λ·w
     *   m ← β₁·m + (1 − β₁)·g
     *   v ← β₂·v + (1 − β₂)·g²
     *   w ← w − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
     * </pre>
     * The bias corrections 1 − βᵗ are computed once per step in double on the host; the
     * elementwise part in float.
     */
    record Adam(float lr, float beta1, float beta2, float eps, float weightDecay) implements Optimizer {
        public Adam {
            positive("adam", "lr", lr);
            unit("adam", "beta1", beta1);
            unit("adam", "beta2", beta2);
            positive("adam", "eps", eps);
            nonNegative("adam", "weight_decay", weightDecay);
        }
        public Kind kind() { return Kind.ADAM; }
        public int stateTensors() { return 2; }
        public Optimizer withLr(float lr) { return new Adam(lr, beta1, beta2, eps, weightDecay); }
        public String toString() {
            return "adam(lr=" + lr + ",beta1=" + beta1 + ",beta2=" + beta2 + ",eps=" + eps
                    + ",weight_decay=" + weightDecay + ")";
        }
    }

    private static void positive(String rule, String key, float v) {
        if (!(v > 0f) || !Float.isFinite(v)) {
            throw new IllegalArgumentException(rule + ": " + key + " must be finite and > 0, got " + v);
        }
    }

    private static void nonNegative(String rule, String key, float v) {
        if (!(v >= 0f) || !Float.isFinite(v)) {
            throw new IllegalArgumentException(rule + ": " + key + " must be finite and >= 0, got " + v);
        }
    }

    /** In [0, 1), the range of a momentum or a decay rate. */
    private static void unit(String rule, String key, float v) {
        if (!(v >= 0f && v < 1f)) {
            throw new IllegalArgumentException(rule + ": " + key + " must be in [0, 1), got " + v);
        }
    }
}
