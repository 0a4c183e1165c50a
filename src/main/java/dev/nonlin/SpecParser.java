package dev.nonlin;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The spec grammar shared by the CLI, tests and benchmarks: {@code name} or {@code name(key=value,...)}. */
final class SpecParser {
    private SpecParser() {
    }

    private static final Map<String, List<String>> GRAMMAR;
    /** A decimal literal, or NaN/Infinity (which the records refuse with their own message). */
    private static final java.util.regex.Pattern DECIMAL =
            java.util.regex.Pattern.compile("[+-]?((\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?|NaN|Infinity)");
    /** A decimal literal whose digits are all zero. */
    private static final java.util.regex.Pattern ZERO = java.util.regex.Pattern.compile("[+-]?(0+(\\.0*)?|\\.0+)([eE][+-]?\\d+)?");

    static {
        Map<String, List<String>> g = new LinkedHashMap<>();
        g.put("sigmoid", List.of());
        g.put("tanh", List.of());
        g.put("relu", List.of());
        g.put("leaky_relu", List.of("negative_slope (alias alpha)"));
        g.put("elu", List.of("alpha"));
        g.put("selu", List.of());
        g.put("celu", List.of("alpha"));
        g.put("gelu", List.of("approximate=none|tanh"));
        g.put("silu", List.of());
        g.put("swish", List.of("beta"));
        g.put("mish", List.of());
        g.put("softplus", List.of("beta", "threshold"));
        g.put("hardtanh", List.of("min_val", "max_val"));
        g.put("relu6", List.of());
        g.put("hardsigmoid", List.of());
        g.put("hardswish", List.of());
        g.put("softsign", List.of());
        g.put("logsigmoid", List.of());
        g.put("identity", List.of());
        g.put("prelu", List.of("num_parameters", "init"));
        g.put("softmax", List.of());
        g.put("log_softmax", List.of());
        GRAMMAR = Collections.unmodifiableMap(g);
    }

    static Map<String, List<String>> grammar() {
        return GRAMMAR;
    }

    /** Other names of catalogue functions (PyTorch's and the tutorial's), resolved before the switch below. */
    private static final Map<String, String> NAME_ALIASES = aliases(
            "log_sigmoid", "logsigmoid", "linear", "identity", "logsoftmax", "log_softmax");
    /** PyTorch's functional names of the losses, resolved before parseLoss's switch. */
    private static final Map<String, String> LOSS_NAME_ALIASES = aliases(
            "mse_loss", "mse", "binary_cross_entropy", "bce", "binary_cross_entropy_with_logits", "bce_with_logits",
            "cross_entropy", "softmax_cross_entropy");

    /**
     * What the unknown-name errors list as "alias = name": the name aliases, then the spellings
     * the switch itself accepts (a parameter's alias or value, a parameter that makes one
     * function another).
     */
    static final String ALIASES = listed(NAME_ALIASES) + ", gelu(approximate=erf) = gelu(approximate=none), "
            + "swish(beta=1) = silu, leaky_relu(alpha=…) = leaky_relu(negative_slope=…)";
    static final String LOSS_ALIASES = listed(LOSS_NAME_ALIASES);

    private static Map<String, String> aliases(String... aliasThenName) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < aliasThenName.length; i += 2) {
            m.put(aliasThenName[i], aliasThenName[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    private static String listed(Map<String, String> aliases) {
        List<String> l = new ArrayList<>();
        aliases.forEach((alias, name) -> l.add(alias + " = " + name));
        return String.join(", ", l);
    }

    static Activation parse(String spec) {
        Args a = split(spec);
        String name = NAME_ALIASES.getOrDefault(a.name, a.name);
        Activation f;
        switch (name) {
            case "sigmoid": f = new Activation.Sigmoid(); break;
            case "tanh": f = new Activation.Tanh(); break;
            case "relu": f = new Activation.Relu(); break;
            case "leaky_relu": {
                float slope = a.floatAlias("negative_slope", "alpha", 0.01f);
                f = new Activation.LeakyRelu(slope);
                break;
            }
            case "elu": f = new Activation.Elu(a.floatArg("alpha", 1f)); break;
            case "selu": f = new Activation.Selu(); break;
            case "celu": f = new Activation.Celu(a.floatArg("alpha", 1f)); break;
            case "gelu": {
                String v = a.stringArg("approximate", "none");
                Activation.Gelu.Approximate ap;
                switch (v.toLowerCase(Locale.ROOT)) {
                    case "none": case "erf": ap = Activation.Gelu.Approximate.NONE; break;
                    case "tanh": ap = Activation.Gelu.Approximate.TANH; break;
                    default: throw new IllegalArgumentException(
                            "spec '" + spec + "': approximate must be none or tanh, got '" + v + "'");
                }
                f = new Activation.Gelu(ap);
                break;
            }
            case "silu": f = new Activation.Swish(1f); break;
            case "swish": f = new Activation.Swish(a.floatArg("beta", 1f)); break;
            case "mish": f = new Activation.Mish(); break;
            case "softplus": f = new Activation.Softplus(a.floatArg("beta", 1f), a.floatArg("threshold", 20f)); break;
            case "hardtanh": f = new Activation.Hardtanh(a.floatArg("min_val", -1f), a.floatArg("max_val", 1f)); break;
            case "relu6": f = new Activation.Relu6(); break;
            case "hardsigmoid": f = new Activation.Hardsigmoid(); break;
            case "hardswish": f = new Activation.Hardswish(); break;
            case "softsign": f = new Activation.Softsign(); break;
            case "logsigmoid": f = new Activation.LogSigmoid(); break;
            case "identity": f = new Activation.Identity(); break;
            case "prelu": f = new Activation.PRelu(a.intArg("num_parameters", 1), a.floatArg("init", 0.25f)); break;
            case "softmax": f = new Activation.Softmax(); break;
            case "log_softmax": f = new Activation.LogSoftmax(); break;
            default:
                throw new IllegalArgumentException("unknown activation '" + name + "' in spec '" + spec
                        + "'; known: " + String.join(", ", GRAMMAR.keySet()) + " (aliases: " + ALIASES + ")");
        }
        a.requireAllUsed();
        return f;
    }

    /**
     * The body split at commas outside brackets, so that a list value such as
     * {@code pos_weight=[1,2,3]} stays one part.
     */
    private static List<String> topLevelParts(String spec, String body) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int from = 0;
        for (int i = 0; i < body.length(); i++) {
            char ch = body.charAt(i);
            if (ch == '[') {
                depth++;
            } else if (ch == ']') {
                if (--depth < 0) {
                    throw new IllegalArgumentException("spec '" + spec + "': ']' without '['");
                }
            } else if (ch == ',' && depth == 0) {
                parts.add(body.substring(from, i));
                from = i + 1;
            }
        }
        if (depth != 0) {
            throw new IllegalArgumentException("spec '" + spec + "': missing ']'");
        }
        parts.add(body.substring(from));
        return parts;
    }

    /** Splits {@code name(key=value,...)} into a lower-case name and its arguments. */
    private static Args split(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        String s = spec.strip();
        String name;
        Map<String, String> args = new LinkedHashMap<>();
        int open = s.indexOf('(');
        if (open < 0) {
            name = s;
        } else {
            if (!s.endsWith(")")) {
                throw new IllegalArgumentException("spec '" + spec + "': missing ')'");
            }
            name = s.substring(0, open).strip();
            String body = s.substring(open + 1, s.length() - 1).strip();
            if (!body.isEmpty()) {
                for (String part : topLevelParts(spec, body)) {
                    int eq = part.indexOf('=');
                    if (eq < 0) {
                        throw new IllegalArgumentException(
                                "spec '" + spec + "': expected key=value, got '" + part.strip() + "'");
                    }
                    String key = part.substring(0, eq).strip().toLowerCase(Locale.ROOT);
                    String value = part.substring(eq + 1).strip();
                    if (args.put(key, value) != null) {
                        throw new IllegalArgumentException("spec '" + spec + "': key '" + key + "' given twice");
                    }
                }
            }
        }
        return new Args(spec, name.toLowerCase(Locale.ROOT), args);
    }

    // ------------------------------------------------------------------ losses

    private static final Map<String, List<String>> LOSS_GRAMMAR;

    static {
        Map<String, List<String>> g = new LinkedHashMap<>();
        g.put("mse", List.of("reduction=mean|sum"));
        g.put("bce", List.of("reduction=mean|sum"));
        g.put("bce_with_logits", List.of("pos_weight (a number, or [w0,w1,...] per class)", "reduction=mean|sum"));
        g.put("softmax_cross_entropy", List.of("ignore_index", "label_smoothing", "reduction=mean|sum"));
        LOSS_GRAMMAR = Collections.unmodifiableMap(g);
    }

    static Map<String, List<String>> lossGrammar() {
        return LOSS_GRAMMAR;
    }

    static Loss parseLoss(String spec) {
        Args a = split(spec);
        Loss l;
        switch (LOSS_NAME_ALIASES.getOrDefault(a.name, a.name)) {
            case "mse":
                l = new Loss.Mse(a.reduction());
                break;
            case "bce":
                l = new Loss.Bce(a.reduction());
                break;
            case "bce_with_logits":
                l = new Loss.BceWithLogits(a.floatsArg("pos_weight", 1f), a.reduction());
                break;
            case "softmax_cross_entropy":
                l = new Loss.SoftmaxCrossEntropy(a.intArg("ignore_index", Loss.SoftmaxCrossEntropy.DEFAULT_IGNORE_INDEX),
                        a.floatArg("label_smoothing", 0f), a.reduction());
                break;
            default:
                throw new IllegalArgumentException("unknown loss '" + a.name + "' in spec '" + spec
                        + "'; known: " + String.join(", ", LOSS_GRAMMAR.keySet()) + " (aliases: " + LOSS_ALIASES + ")");
        }
        a.requireAllUsed();
        return l;
    }

    /** Key/value arguments of one spec, tracking which keys were consumed. */
    private static final class Args {
        final String spec;
        final String name;
        final Map<String, String> values;
        final List<String> allowed = new ArrayList<>();

        Args(String spec, String name, Map<String, String> values) {
            this.spec = spec;
            this.name = name;
            this.values = values;
        }

        String raw(String key) {
            allowed.add(key);
            return values.remove(key);
        }

        float floatArg(String key, float dflt) {
            String v = raw(key);
            return v == null ? dflt : toFloat(key, v);
        }

        /** A number, or a bracketed list of numbers {@code [a,b,...]}; a missing key gives {dflt}. */
        float[] floatsArg(String key, float dflt) {
            String v = raw(key);
            if (v == null) {
                return new float[] {dflt};
            }
            if (!v.startsWith("[")) {
                return new float[] {toFloat(key, v)};
            }
            if (!v.endsWith("]") || v.indexOf('[', 1) >= 0) {
                throw new IllegalArgumentException("spec '" + spec + "': " + key
                        + " must be a number or a list [a,b,...] of numbers, got '" + v + "'");
            }
            String inner = v.substring(1, v.length() - 1).strip();
            if (inner.isEmpty()) {
                throw new IllegalArgumentException("spec '" + spec + "': " + key + " is an empty list");
            }
            String[] items = inner.split(",", -1);
            float[] out = new float[items.length];
            for (int i = 0; i < items.length; i++) {
                out[i] = toFloat(key + "[" + i + "]", items[i].strip());
            }
            return out;
        }

        float floatAlias(String key, String alias, float dflt) {
            String v = raw(key);
            String w = raw(alias);
            if (v != null && w != null) {
                throw new IllegalArgumentException(
                        "spec '" + spec + "': give " + key + " or its alias " + alias + ", not both");
            }
            String u = v != null ? v : w;
            return u == null ? dflt : toFloat(key, u);
        }

        int intArg(String key, int dflt) {
            String v = raw(key);
            if (v == null) {
                return dflt;
            }
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "spec '" + spec + "': " + key + " must be an integer, got '" + v + "'");
            }
        }

        Loss.Reduction reduction() {
            String v = stringArg("reduction", "mean");
            switch (v.toLowerCase(Locale.ROOT)) {
                case "mean": return Loss.Reduction.MEAN;
                case "sum": return Loss.Reduction.SUM;
                default: throw new IllegalArgumentException("spec '" + spec + "': reduction must be mean or sum, got '"
                        + v + "'" + (v.equalsIgnoreCase("none") ? " (reduction=none is not offered)" : ""));
            }
        }

        String stringArg(String key, String dflt) {
            String v = raw(key);
            return v == null ? dflt : v;
        }

        /**
         * A decimal number ({@code 0.2}, {@code -1e-3}, {@code .5}), or {@code NaN}/{@code Infinity}
         * for the records to judge. Java's own suffixes and hex forms ({@code 0.2f}, {@code 0x1p-2})
         * are not numbers in PyTorch's spelling and are refused, and so is a literal that float
         * cannot hold: a non-zero value that rounds to 0, or a finite one that rounds to ∞.
         */
        private float toFloat(String key, String v) {
            if (!DECIMAL.matcher(v).matches()) {
                throw new IllegalArgumentException(
                        "spec '" + spec + "': " + key + " must be a number, got '" + v + "'");
            }
            float f = Float.parseFloat(v);
            boolean word = v.endsWith("NaN") || v.endsWith("Infinity");
            if (!word && Float.isInfinite(f)) {
                throw new IllegalArgumentException("spec '" + spec + "': " + key + " = " + v
                        + " is beyond float's range (±3.4028235e38)");
            }
            if (f == 0f && !ZERO.matcher(v).matches()) {
                throw new IllegalArgumentException("spec '" + spec + "': " + key + " = " + v
                        + " rounds to 0 in float (the smallest positive float is 1.4e-45)");
            }
            return f;
        }

        void requireAllUsed() {
            if (!values.isEmpty()) {
                throw new IllegalArgumentException("spec '" + spec + "': unknown key(s) "
                        + values.keySet() + " for " + name + "; allowed: "
                        + (allowed.isEmpty() ? "none" : String.join(", ", allowed)));
            }
        }
    }
}
