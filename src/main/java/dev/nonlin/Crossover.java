package dev.nonlin;

import dev.nonlin.Activation.Family;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Where {@link Backends#auto()} sends host arrays when a GPU is usable: a call with fewer than
 * {@link #elements(Family)} elements runs on the CPU, a larger one on the GPU. Each function
 * family has its own crossover, because an element of gelu costs the CPU thirty times what an
 * element of relu does while the GPU's cost is the PCIe transfer either way. Device tensors are
 * not affected: they stay on their device.
 *
 * <p>The values come from three layers, each overriding the one before, per family:
 * <ol>
 *   <li>the defaults in the jar ({@code dev/nonlin/crossover.properties}), which say whether they
 *       were measured and on what;
 *   <li>the user's calibration file, written by {@code nonlin bench --calibrate}
 *       ({@link #userFile()}), used only when it was measured on the same GPU;
 *   <li>the system property {@value #PROPERTY}: one size for every family
 *       ({@code -Dnonlin.crossover=1048576}), or per family
 *       ({@code -Dnonlin.crossover=piecewise=never,transcendental=2^18}).
 * </ol>
 * A size is a count of elements ({@code 262144}, {@code 2^18}) or {@code never} (always the CPU);
 * {@code 0} means always the GPU.
 */
public final class Crossover {
    /** The system property that overrides the crossovers. */
    public static final String PROPERTY = "nonlin.crossover";
    /** The system property that names the calibration file instead of {@link #userFile()}'s default. */
    public static final String FILE_PROPERTY = "nonlin.crossover.file";
    /** A crossover that is never reached: the family always runs on the CPU. */
    public static final long NEVER = Long.MAX_VALUE;

    private static final String DEFAULTS = "/dev/nonlin/crossover.properties";

    private final Map<Family, Long> elements;
    private final Map<Family, String> sources;

    private Crossover(Map<Family, Long> elements, Map<Family, String> sources) {
        this.elements = new EnumMap<>(elements);
        this.sources = new EnumMap<>(sources);
        for (Family f : Family.values()) {
            if (!this.elements.containsKey(f)) {
                throw new IllegalStateException("no crossover for " + f.key());
            }
        }
    }

    /** The element count from which a host array of this family goes to the GPU ({@link #NEVER}: never). */
    public long elements(Family family) {
        return elements.get(requireFamily(family));
    }

    /** Where the value for this family came from, in words. */
    public String source(Family family) {
        return sources.get(requireFamily(family));
    }

    /** Whether a host-array call of {@code n} elements of this family should run on the GPU. */
    public boolean gpu(Family family, long n) {
        return n >= elements.get(requireFamily(family));
    }

    private static Family requireFamily(Family family) {
        if (family == null) {
            throw new IllegalArgumentException("family must not be null");
        }
        return family;
    }

    /** One size in the property syntax: {@code never}, {@code 2^18} or {@code 262144}. */
    public static String format(long elements) {
        if (elements == NEVER) {
            return "never";
        }
        if (elements > 0 && Long.bitCount(elements) == 1) {
            return "2^" + Long.numberOfTrailingZeros(elements);
        }
        return Long.toString(elements);
    }

    /** A one-line summary, e.g. {@code piecewise: never, transcendental: 2^18, row_wise: 2^18}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Family f : Family.values()) {
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append(f.key()).append(": ").append(format(elements.get(f)));
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ loading

    /**
     * The crossovers for the GPU called {@code device} (as the calibration file, {@link #text}, records it): the
     * jar's defaults, then the user's calibration file if it was measured on that device, then
     * the system property. A malformed layer (the file or the property) is skipped with a
     * WARNING that names it and the bad value, and the other layers still apply: a damaged cache
     * file must not undo an explicit {@code -Dnonlin.crossover}, nor a typo in the property a good
     * calibration. {@link #source(Family)} says which layer each value came from.
     */
    public static Crossover load(String device) {
        return load(device, problem -> System.getLogger("dev.nonlin").log(System.Logger.Level.WARNING,
                "nonlin: {0}", problem));
    }

    /** {@link #load(String)}, with each skipped layer's problem handed to {@code skipped}. */
    static Crossover load(String device, java.util.function.Consumer<String> skipped) {
        Crossover c = defaults();
        try {
            c = c.with((e, s) -> {
                Path file = userFile();   // an InvalidPathException is an IllegalArgumentException too
                if (!Files.exists(file)) {
                    return;
                }
                Properties p = readCalibration(file);
                String measuredOn = p.getProperty("device");
                if (device != null && device.equals(measuredOn)) {
                    put(e, s, p, "calibrated " + p.getProperty("date") + " (" + file + ")", file.toString());
                } else {
                    System.getLogger("dev.nonlin").log(System.Logger.Level.INFO,
                            "nonlin: ignoring {0}: calibrated on {1}, this GPU is {2}", file, measuredOn, device);
                }
            });
        } catch (IllegalArgumentException ex) {
            skipped.accept(ex.getMessage() + "; ignoring the calibration file (run `nonlin bench --calibrate` to rewrite it)");
        }
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) {
            try {
                c = c.with((e, s) -> parseInto(prop, "-D" + PROPERTY, e, s));
            } catch (IllegalArgumentException ex) {
                skipped.accept(ex.getMessage() + "; ignoring -D" + PROPERTY);
            }
        }
        return c;
    }

    /**
     * This crossover with one layer applied: {@code layer} writes into copies of the values and
     * their sources, so a layer that throws partway leaves nothing of itself behind.
     */
    private Crossover with(java.util.function.BiConsumer<Map<Family, Long>, Map<Family, String>> layer) {
        EnumMap<Family, Long> e = new EnumMap<>(elements);
        EnumMap<Family, String> s = new EnumMap<>(sources);
        layer.accept(e, s);
        return new Crossover(e, s);
    }

    /** The jar's defaults alone. */
    public static Crossover defaults() {
        EnumMap<Family, Long> e = new EnumMap<>(Family.class);
        EnumMap<Family, String> s = new EnumMap<>(Family.class);
        Properties defaults = readDefaults();
        put(e, s, defaults, "defaults in the jar (" + defaults.getProperty("source", "jar defaults") + ")",
                "jar resource " + DEFAULTS);
        return new Crossover(e, s);
    }

    /**
     * Parses the property syntax: one size for every family, or {@code family=size} pairs
     * separated by commas. Families not named keep the value in {@code base}.
     *
     * @throws IllegalArgumentException naming the bad family or size and the value
     */
    public static Crossover parse(String spec, Crossover base) {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        if (base == null) {
            throw new IllegalArgumentException("base must not be null (Crossover.defaults(), say)");
        }
        return base.with((e, s) -> parseInto(spec, "spec", e, s));
    }

    /** The same value for every family (tests, and a GPU-only or CPU-only choice). */
    public static Crossover uniform(long elements, String source) {
        EnumMap<Family, Long> e = new EnumMap<>(Family.class);
        EnumMap<Family, String> s = new EnumMap<>(Family.class);
        for (Family f : Family.values()) {
            e.put(f, requireSize(elements, f.key()));
            s.put(f, source);
        }
        return new Crossover(e, s);
    }

    private static void parseInto(String spec, String where, Map<Family, Long> e, Map<Family, String> s) {
        String v = spec.strip();
        if (!v.contains("=")) {
            long n = parseSize(v, where);
            for (Family f : Family.values()) {
                e.put(f, n);
                s.put(f, where);
            }
            return;
        }
        java.util.Set<Family> named = java.util.EnumSet.noneOf(Family.class);
        for (String part : v.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException(where + ": expected family=size, got '" + part.strip()
                        + "' in '" + spec + "'");
            }
            Family f = family(part.substring(0, eq).strip(), where);
            if (!named.add(f)) {
                throw new IllegalArgumentException(where + ": " + f.key() + " is given twice in '" + spec + "'");
            }
            e.put(f, parseSize(part.substring(eq + 1), where + " " + f.key()));
            s.put(f, where);
        }
    }

    private static Family family(String key, String where) {
        for (Family f : Family.values()) {
            if (f.key().equals(key.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IllegalArgumentException(where + ": unknown function family '" + key
                + "'; expected piecewise, transcendental or row_wise");
    }

    /** {@code never}, {@code 2^k} (0 ≤ k ≤ 62) or a non-negative count. */
    static long parseSize(String text, String where) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("never")) {
            return NEVER;
        }
        try {
            if (t.startsWith("2^")) {
                int k = Integer.parseInt(t.substring(2));
                if (k < 0 || k > 62) {
                    throw new IllegalArgumentException(where + ": exponent must be in [0, 62], got '" + text.strip() + "'");
                }
                return 1L << k;
            }
            return requireSize(Long.parseLong(t), where);
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException(where + ": a crossover is an element count, 2^k or never, got '"
                    + text.strip() + "'");
        }
    }

    private static long requireSize(long n, String where) {
        if (n < 0) {
            throw new IllegalArgumentException(where + ": a crossover must be >= 0, got " + n);
        }
        return n;
    }

    private static void put(Map<Family, Long> e, Map<Family, String> s, Properties p, String source, String where) {
        for (Family f : Family.values()) {
            String v = p.getProperty(f.key());
            if (v != null) {
                e.put(f, parseSize(v, where + ": " + f.key()));
                s.put(f, source);
            }
        }
    }

    private static Properties readDefaults() {
        try (InputStream in = Crossover.class.getResourceAsStream(DEFAULTS)) {
            if (in == null) {
                throw new IllegalStateException("the jar has no " + DEFAULTS);
            }
            Properties p = new Properties();
            p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The calibration file, held to what {@link #text} writes: {@code device}, {@code date} and
     * one size per family, each once, nothing else (so a truncated, hand-edited or foreign file is
     * refused rather than half used). Sizes are checked by {@link #put}.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    static Properties readCalibration(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("the crossover file " + file + " is not a regular file");
        }
        Properties p = new Properties() {
            @Override
            public synchronized Object put(Object key, Object value) {
                if (containsKey(key)) {
                    throw new IllegalArgumentException("the crossover file " + file + " gives " + key + " twice");
                }
                return super.put(key, value);
            }
        };
        try {
            p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot read the crossover file " + file + ": " + ex, ex);
        } catch (IllegalArgumentException ex) {   // a malformed unicode escape, or a key given twice
            throw ex.getMessage() != null && ex.getMessage().startsWith("the crossover file") ? ex
                    : new IllegalArgumentException("the crossover file " + file + " is malformed: " + ex.getMessage(), ex);
        }
        java.util.List<String> keys = new java.util.ArrayList<>(java.util.List.of("device", "date"));
        for (Family f : Family.values()) {
            keys.add(f.key());
        }
        for (String k : p.stringPropertyNames()) {
            if (!keys.contains(k)) {
                throw new IllegalArgumentException("the crossover file " + file + " has an unknown key '" + k
                        + "'; expected " + String.join(", ", keys));
            }
        }
        for (String k : keys) {
            if (p.getProperty(k) == null) {
                throw new IllegalArgumentException("the crossover file " + file + " has no " + k
                        + " (truncated, or not written by nonlin bench --calibrate)");
            }
        }
        return p;
    }

    // ------------------------------------------------------------------ the calibration file

    /**
     * The calibration file: {@code -Dnonlin.crossover.file} when set, else
     * {@code $XDG_CACHE_HOME/nonlin/crossover.properties}, else
     * {@code ~/.cache/nonlin/crossover.properties}.
     */
    public static Path userFile() {
        String p = System.getProperty(FILE_PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p.strip());
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("nonlin").resolve("crossover.properties");
    }

    /**
     * The calibration file's content for measured crossovers on {@code device}, in the format
     * {@link #load} reads ({@code nonlin bench --calibrate} writes it, all or nothing).
     *
     * @param values one entry per family
     * @param note   a comment line: what was measured, and how
     * @throws IllegalArgumentException when a family is missing or a value is negative
     */
    public static String text(Map<Family, Long> values, String device, String date, String note) {
        StringBuilder b = new StringBuilder();
        b.append("# nonlin: where Backends.auto() sends host arrays (elements; never = always the CPU).\n");
        b.append("# Written by `nonlin bench --calibrate`. ").append(note.replace('\n', ' ')).append('\n');
        b.append("device=").append(escape(device)).append('\n');
        b.append("date=").append(escape(date)).append('\n');
        for (Family f : Family.values()) {
            Long v = values.get(f);
            if (v == null) {
                throw new IllegalArgumentException("values has no crossover for " + f.key());
            }
            b.append(f.key()).append('=').append(format(requireSize(v, f.key()))).append('\n');
        }
        return b.toString();
    }

    private static String escape(String v) {
        Properties p = new Properties();
        p.setProperty("k", v == null ? "" : v);
        java.io.StringWriter w = new java.io.StringWriter();
        try {
            p.store(w, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // the last line is "k=<escaped>"
        String[] lines = w.toString().split("\\R");
        return lines[lines.length - 1].substring(2);
    }
}
