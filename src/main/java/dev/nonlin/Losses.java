package dev.nonlin;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The loss catalogue, as instances: what the tests iterate over, so a new loss is tested by being listed. */
public final class Losses {
    private Losses() {
    }

    /**
     * Non-default settings worth covering: the other reduction, and each hyper-parameter away
     * from its default, so that a parameter or a divisor that is read wrongly shows.
     */
    private static final List<String> VARIANTS = List.of(
            "mse(reduction=sum)",
            "bce(reduction=sum)",
            "bce_with_logits(pos_weight=2.5)",
            "bce_with_logits(pos_weight=0.5,reduction=sum)",
            "bce_with_logits(pos_weight=[0.5,2,1,3.25,0])",
            "softmax_cross_entropy(reduction=sum)",
            "softmax_cross_entropy(label_smoothing=0.1)",
            "softmax_cross_entropy(ignore_index=0,label_smoothing=0.25,reduction=sum)",
            "softmax_cross_entropy(ignore_index=-1)");

    /** Every loss at PyTorch's defaults, one per name. */
    public static List<Loss> defaults() {
        Set<Loss> s = new LinkedHashSet<>();
        for (String name : Loss.grammar().keySet()) {
            s.add(Loss.parse(name));
        }
        return List.copyOf(s);
    }

    /**
     * {@code loss} ready for data {@code cols} wide: the loss itself, unless it has per-column
     * weights ({@link Loss#columnWeights()}), which are then repeated (or cut) to {@code cols}
     * entries, so that a catalogue entry runs at any width. Keeps the reduction.
     *
     * @throws IllegalArgumentException if {@code cols < 1} for a loss with per-column weights
     */
    public static Loss atWidth(Loss loss, int cols) {
        float[] w = loss.columnWeights();
        if (w == null || w.length == cols) {
            return loss;
        }
        if (cols < 1) {
            throw new IllegalArgumentException("cols must be >= 1 for per-column weights, got " + cols);
        }
        float[] fitted = new float[cols];
        for (int c = 0; c < cols; c++) {
            fitted[c] = w[c % w.length];
        }
        return new Loss.BceWithLogits(fitted, loss.reduction());
    }

    /** {@link #defaults()} plus non-default variants. */
    public static List<Loss> all() {
        Set<Loss> s = new LinkedHashSet<>(defaults());
        for (String v : VARIANTS) {
            s.add(Loss.parse(v));
        }
        return List.copyOf(s);
    }
}
