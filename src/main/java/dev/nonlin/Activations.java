package dev.nonlin;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The catalogue, as instances: what the tests, the CLI and the benchmarks iterate over. */
public final class Activations {
    private Activations() {
    }

    /**
     * Non-default settings worth covering: each parameterised function once more away from its
     * defaults, so that a parameter that is read wrongly shows.
     */
    private static final List<String> VARIANTS = List.of(
            "gelu(approximate=tanh)",
            "leaky_relu(negative_slope=0.2)",
            "elu(alpha=0.5)",
            "celu(alpha=2.0)",
            "swish(beta=1.5)",
            "softplus(beta=2.0,threshold=10.0)",
            "hardtanh(min_val=-2.0,max_val=3.0)",
            "prelu(num_parameters=1,init=0.1)");

    /** Every function at PyTorch's defaults, one per name (silu and swish coincide). */
    public static List<Activation> defaults() {
        Set<Activation> s = new LinkedHashSet<>();
        for (String name : Activation.grammar().keySet()) {
            s.add(Activation.parse(name));
        }
        return List.copyOf(s);
    }

    /** {@link #defaults()} plus non-default variants of the parameterised functions. */
    public static List<Activation> all() {
        Set<Activation> s = new LinkedHashSet<>(defaults());
        for (String v : VARIANTS) {
            s.add(Activation.parse(v));
        }
        return List.copyOf(new ArrayList<>(s));
    }
}
