package dev.nonlin.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nonlin explore --quick}, run once for the class (about 15-30 s on two cores). The claims it
 * checks are real measurements of real training runs, so they could fail: the thresholds were set
 * from seeds 1-5 of the quick sizes on the CPU backend, where the figures were
 * linear-net accuracy 0.53-0.61 (checked ≤ 0.65), relu 0.96-1.00 (≥ 0.9);
 * sigmoid's ‖dW₁‖/‖dW₂₀‖ 6e-15-6e-13 (≤ 1e-6), relu's 0.23-1.15 (≥ 0.05);
 * relu's dead share at the high rate 0.35-0.58 (≥ 0.2), leaky_relu's 0 (it always passes a gradient).
 * The test runs the default seed, 1.
 */
class ExploreCommandTest {

    @TempDir
    static Path dir;

    static Cli.Run run;
    static JsonObject json;

    @BeforeAll
    static void explore() throws IOException {
        run = Cli.run("explore", "--quick", "--backend", "cpu", "--out", dir.resolve("x").toString());
        assertEquals(Main.OK, run.code(), run.toString());
        json = JsonParser.parseString(Files.readString(dir.resolve("x/explore.json"))).getAsJsonObject();
    }

    @Test
    void writesTheReportThePicturesAndTheJsonAndNothingElse() throws IOException {
        Path out = dir.resolve("x");
        for (String png : List.of("boundaries.png", "vanishing.png", "dying.png", "outputs.png")) {
            byte[] b = Files.readAllBytes(out.resolve(png));
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(b, 8), png);
            assertTrue(run.out().contains(png), run.toString());
        }
        try (var files = Files.list(out)) {
            assertEquals(6, files.count(), "report.html, explore.json, 4 PNGs and no temporary files");
        }
    }

    @Test
    void theReportIsSelfContainedAndNamesTheBackend() throws IOException {
        String html = Files.readString(dir.resolve("x/report.html"));
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(html.contains("http://"), "no http:// reference");
        assertFalse(html.contains("https://"), "no https:// reference");
        // every picture is embedded: each src is a data: URI, and there are four of them
        List<String> srcs = Arrays.stream(html.split("src=\"")).skip(1).toList();
        assertEquals(4, srcs.size());
        for (String s : srcs) {
            assertTrue(s.startsWith("data:image/png;base64,iVBORw0KGgo"), s.substring(0, 40));
        }
        assertFalse(html.contains("<link") || html.contains("<script"), "no external style sheet or script");
        // text is escaped: every '<' opens a tag (a letter, '/' or '!' follows)
        assertFalse(java.util.regex.Pattern.compile("<[^a-zA-Z/!]").matcher(html).find(), "an unescaped '<' in the text");
        assertTrue(html.contains(ExploreReport.esc(dev.nonlin.Backends.cpu().description())), "names the backend and device");
        for (String section : List.of("1. Why non-linearity", "2. Vanishing gradients", "3. Dying ReLU",
                "4. Output layers", "5. The comparison table")) {
            assertTrue(html.contains(section), section);
        }
    }

    private static double spiral(String f) {
        return json.getAsJsonObject("spiral").getAsJsonObject(f).get("accuracy").getAsDouble();
    }

    private static double ratio(String f) {
        return json.getAsJsonObject("vanishing").getAsJsonObject(f).get("ratio").getAsDouble();
    }

    private static JsonObject dying(String f, double lr) {
        for (JsonElement e : json.getAsJsonArray("dying")) {
            JsonObject o = e.getAsJsonObject();
            if (o.get("activation").getAsString().equals(f) && Math.abs(o.get("lr").getAsDouble() - lr) < 1e-6) {
                return o;
            }
        }
        throw new AssertionError("no dying run of " + f + " at lr " + lr);
    }

    private static double last(JsonObject o, String key) {
        JsonArray a = o.getAsJsonArray(key);
        return a.get(a.size() - 1).getAsDouble();
    }

    @Test
    void aLinearNetStaysNearChanceOnTheSpiralWhileReluLearnsIt() {
        assertTrue(spiral("identity") <= 0.65, "linear net: " + spiral("identity"));
        assertTrue(spiral("relu") >= 0.9, "relu: " + spiral("relu"));
        JsonObject c = json.getAsJsonObject("collapse");
        assertTrue(c.get("max_diff").getAsDouble() < 1e-4, "the linear net is one affine map: " + c);
        assertEquals(spiral("identity"), c.get("accuracy").getAsDouble(), 1e-9, "and classifies as the net does");
        assertTrue(run.out().contains("identity " + ExploreReport.percent(spiral("identity"))), run.toString());
    }

    @Test
    void sigmoidsGradientFadesTowardTheInputAndRelusDoesNot() {
        assertTrue(ratio("sigmoid") < 1e-6, "sigmoid ‖dW1‖/‖dW20‖ = " + ratio("sigmoid"));
        assertTrue(ratio("relu") > 0.05, "relu ‖dW1‖/‖dW20‖ = " + ratio("relu"));
        assertEquals(Explore.DEPTH, json.getAsJsonObject("vanishing").getAsJsonObject("sigmoid")
                .getAsJsonArray("grad_norm_init").size());
    }

    @Test
    void reluDiesAtAHighLearningRateAndLeakyReluDoesNot() {
        double relu = last(dying("relu", Explore.HIGH_LR), "dead");
        double leaky = last(dying("leaky_relu", Explore.HIGH_LR), "dead");
        assertTrue(relu >= 0.2, "relu's dead share at lr " + Explore.HIGH_LR + ": " + relu);
        assertTrue(relu >= leaky + 0.2, "relu " + relu + " against leaky_relu " + leaky);
        // the burst pushes leaky units below their kink too, but fewer, and they still learn
        assertTrue(last(dying("relu", Explore.HIGH_LR), "input_never_positive")
                >= last(dying("leaky_relu", Explore.HIGH_LR), "input_never_positive"));
    }

    @Test
    void everyOutputLayerBeatsAConstantGuessAndTheClaimsTableIsComputed() {
        for (JsonElement e : json.getAsJsonArray("outputs")) {
            JsonObject o = e.getAsJsonObject();
            assertTrue(o.get("value").getAsDouble() > o.get("baseline").getAsDouble() + 0.3, o.toString());
        }
        JsonArray claims = json.getAsJsonArray("claims");
        assertEquals(Explore.FUNCTIONS.size(), claims.size());
        int disagreements = 0;
        for (JsonElement e : claims) {
            JsonObject c = e.getAsJsonObject();
            assertFalse(c.getAsJsonArray("disagreements").toString().contains("range"),
                    "outputs within the formula's range: " + c);
            disagreements += c.getAsJsonArray("disagreements").size();
        }
        assertTrue(run.out().contains("5 claims: " + disagreements + " disagreement(s)"), run.toString());
    }

    /**
     * On a runtime without java.desktop only the pictures may fail: every class the command loads
     * outside {@link ExplorePictures} must be free of AWT, ImageIO and XChart (which draws with AWT).
     * A reference anywhere in a class file, even in a method never called, can make the class fail
     * to load or verify, as ExploreReport did when the drawing lived in it.
     */
    @Test
    void onlyExplorePicturesTouchesAwt() throws IOException {
        List<Class<?>> classes = new ArrayList<>(List.of(ExploreCommand.class, ExploreReport.class,
                ExploreReport.Results.class, Explore.class, OutputSet.class, AtomicFile.class, OutputDirectory.class));
        classes.addAll(Arrays.asList(Explore.class.getDeclaredClasses()));
        for (Class<?> c : classes) {
            String name = c.getName().replace('.', '/') + ".class";
            byte[] b;
            try (var in = c.getClassLoader().getResourceAsStream(name)) {
                b = in.readAllBytes();
            }
            String text = new String(b, StandardCharsets.ISO_8859_1);
            for (String awt : List.of("java/awt/", "javax/imageio/", "org/knowm/")) {
                assertFalse(text.contains(awt), name + " refers to " + awt);
            }
        }
    }

    /**
     * The real thing: a JVM limited to the modules of a jlink'd runtime without java.desktop trains,
     * writes the report and explore.json, says why there are no pictures, and removes a previous
     * run's PNGs, which would contradict the new report (a second --quick run: about 10-15 s).
     */
    @Test
    void withoutJavaDesktopTheReportIsWrittenWithoutPicturesAndOldOnesGo() throws Exception {
        Path out = Files.createDirectories(dir.resolve("no-desktop"));
        for (String png : ExploreReport.PICTURES) {
            Files.writeString(out.resolve(png), "a previous run's picture");
        }
        Path jvm = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(jvm.toString(),
                "--limit-modules", "java.base,java.logging,java.management,jdk.management,jdk.incubator.vector,java.sql",
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "explore", "--quick", "--backend", "cpu", "--out", out.toString())
                .redirectErrorStream(true).start();
        String output;
        try {
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        assertEquals(Main.OK, p.exitValue(), output);
        assertTrue(output.contains("wrote " + out + ": report.html, explore.json (no pictures: "), output);
        try (var files = Files.list(out)) {
            assertEquals(List.of("explore.json", "report.html"),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("boundaries.png could not be drawn on this machine"), "the report says so");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--threads|0|--threads must be >= 1, got 0",
            "--backend|tpu|'tpu'",
            "--seed|many|'many'"})
    void badOptionsNameTheValue(String option, String value, String message) {
        Cli.Run r = Cli.run("explore", "--quick", option, value, "--out", dir.resolve("bad").toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains(message), r.toString());
        assertFalse(Files.exists(dir.resolve("bad")), "nothing written");
    }

    @Test
    void anOutputPathThatIsAFileIsRejected() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Cli.Run r = Cli.run("explore", "--quick", "--out", file.toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains(file + ": exists and is not a directory"), r.toString());
    }

    /** A file higher up the path is found before the training (it used to fail after it: 7-35 s). */
    @Test
    void anOutputPathBelowAFileIsRejectedBeforeTraining() throws IOException {
        Path file = Files.writeString(dir.resolve("b-file"), "x");
        Path sub = file.resolve("sub");
        Cli.Run r = Cli.run("explore", "--quick", "--backend", "cpu", "--out", sub.toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains("--out " + sub + ": " + file + " is not a directory"), r.toString());
        assertEquals(1, r.err().lines().count(), "one line\n" + r);
        assertEquals("", r.out(), "nothing trained\n" + r);
    }
}
