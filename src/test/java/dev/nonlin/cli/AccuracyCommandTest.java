package dev.nonlin.cli;

import dev.nonlin.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code nonlin accuracy}: the table, the CSV, exit codes, bad input, the CUDA-unavailable path. */
class AccuracyCommandTest {

    @TempDir
    Path dir;

    /** A table row: function, inputs, then (ULP, at x) three times, the time and the verdict. */
    private static final Pattern ROW = Pattern.compile(
            "(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+([0-9.]+ s)\\s+(pass|FAIL)");

    private static Matcher row(Cli.Run r, String function) {
        for (String line : r.out().split("\n")) {
            if (line.startsWith(function + " ")) {
                Matcher m = ROW.matcher(line.strip());
                assertTrue(m.matches(), "row format: '" + line + "'\n" + r);
                return m;
            }
        }
        throw new AssertionError("no row for " + function + "\n" + r);
    }

    @Test
    void sampledRunPrintsOneRowPerFunction() {
        Cli.Run r = Cli.run("accuracy", "--backend", "cpu", "--samples", "3000", "--seed", "3", "gelu", "relu",
                "log_softmax", "softsign");
        assertEquals(Main.OK, r.code(), r.toString());
        assertTrue(r.out().startsWith("nonlin accuracy: cpu"), r.toString());
        assertTrue(r.out().contains("41 special values and 3000 samples in [-128.0, 128.0]"), r.toString());
        assertTrue(r.out().contains("seed 3"), r.toString());
        Matcher gelu = row(r, "gelu(approximate=none)");
        assertEquals("3041", gelu.group(2));
        assertEquals("0.50", gelu.group(3), "transcendental functions are rounded once on the CPU");
        assertEquals("pass", gelu.group(10));
        Matcher relu = row(r, "relu");
        assertEquals("0.00", relu.group(3));
        assertEquals("-", relu.group(4), "no worst x where nothing is wrong");
        Matcher hs = row(r, "softsign");
        double e = Double.parseDouble(hs.group(3));
        assertTrue(e > 0.5 && e < 2, "softsign rounds twice in float lanes: " + e);
        Float.parseFloat(hs.group(4));   // the x where it happens
        row(r, "log_softmax");
        assertTrue(r.out().contains("all 4 functions pass"), r.toString());
        assertEquals("", r.err(), "no progress line without a console");
    }

    @Test
    void defaultIsTheWholeCatalogue() {
        Cli.Run r = Cli.run("accuracy", "--backend", "cpu", "--samples", "200");
        assertEquals(Main.OK, r.code(), r.toString());
        for (dev.nonlin.Activation f : dev.nonlin.Activations.all()) {
            assertEquals("pass", row(r, f.toString()).group(10), f.toString());
        }
        assertTrue(r.out().contains("all " + dev.nonlin.Activations.all().size() + " functions pass"), r.toString());
    }

    /** Exhaustive mode over a few bit ranges (the hidden --bit-range keeps it fast): MAX → ∞ → NaN. */
    @Test
    void exhaustiveOverABitRange() {
        Cli.Run r = Cli.run("accuracy", "--backend", "cpu", "--exhaustive", "--bit-range", "0x7f7ff000:0x7f801000",
                "sigmoid", "softsign", "mish");
        assertEquals(Main.OK, r.code(), r.toString());
        assertTrue(r.out().contains("the bit patterns [0x7f7ff000, 0x7f801000), not all 2^32"), r.toString());
        for (String f : List.of("sigmoid", "softsign", "mish")) {
            Matcher m = row(r, f);
            assertEquals("8192", m.group(2));
            assertEquals("pass", m.group(10));
        }
    }

    @Test
    void aContractFailureExitsOneAndNamesTheInput() {
        AccuracyCommand.backends = name -> new BackendChoice(CorruptingBackend.of(Float.intBitsToFloat(0x3f800040),
                7, 0), "test");
        try {
            Cli.Run r = Cli.run("accuracy", "--exhaustive", "--bit-range", "0x3f800000:0x3f801000", "tanh", "elu");
            assertEquals(Main.FAILED, r.code(), r.toString());
            Matcher tanh = row(r, "tanh");
            assertEquals("FAIL", tanh.group(10));
            assertEquals(Float.toString(Float.intBitsToFloat(0x3f800040)), tanh.group(4));
            assertTrue(Double.parseDouble(tanh.group(3)) > 6, tanh.group(3));
            assertTrue(r.out().contains("2 of 2 functions FAIL"), r.toString());
        } finally {
            AccuracyCommand.backends = BackendChoice::resolve;
        }
    }

    // ------------------------------------------------------------------ --losses

    private static String lossRow(Cli.Run r, String loss) {
        for (String line : r.out().split("\n")) {
            if (line.startsWith(loss + " ")) {
                return line;
            }
        }
        throw new AssertionError("no row for " + loss + "\n" + r);
    }

    @Test
    void lossesDefaultToTheCatalogueAndPass() {
        Cli.Run r = Cli.run("accuracy", "--losses", "--backend", "cpu", "--samples", "2000");
        assertEquals(Main.OK, r.code(), r.toString());
        assertTrue(r.out().startsWith("nonlin accuracy --losses: cpu"), r.toString());
        for (dev.nonlin.Loss l : dev.nonlin.Losses.all()) {
            assertTrue(lossRow(r, l.toString()).endsWith("pass"), lossRow(r, l.toString()));
        }
        assertTrue(r.out().contains("all " + dev.nonlin.Losses.all().size() + " losses pass"), r.toString());
    }

    @Test
    void aBrokenLossExitsOneAndNamesTheInput() {
        AccuracyCommand.backends = name -> new BackendChoice(CorruptingBackend.losses(0.5f, 9, 0), "test");
        try {
            Cli.Run r = Cli.run("accuracy", "--losses", "--samples", "300", "mse", "binary_cross_entropy");
            assertEquals(Main.FAILED, r.code(), r.toString());
            assertTrue(lossRow(r, "mse(reduction=mean)").endsWith("FAIL"), r.toString());
            assertTrue(lossRow(r, "mse(reduction=mean)").contains("9.20 call #10, 5x1"), "names the batch that holds 0.5\n" + r);
            assertTrue(r.out().contains("2 of 2 losses FAIL"), r.toString());
        } finally {
            AccuracyCommand.backends = BackendChoice::resolve;
        }
    }

    @Test
    void lossCsv() throws IOException {
        Path csv = dir.resolve("losses.csv");
        Cli.Run r = Cli.run("accuracy", "--losses", "--backend", "cpu", "--samples", "500", "--csv", csv.toString(),
                "bce_with_logits(pos_weight=[1,2])", "cross_entropy(label_smoothing=0.1)");
        assertEquals(Main.OK, r.code(), r.toString());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(3, lines.size(), lines.toString());
        assertEquals("loss,backend,elements,single_ulp,single_at,batch_ulp,batch_at,dz_ulp,dz_at,seconds,contract",
                lines.get(0));
        assertTrue(lines.get(1).startsWith("\"bce_with_logits(pos_weight=[1.0,2.0],reduction=mean)\",cpu,"), lines.get(1));
        assertTrue(lines.get(2).endsWith(",pass"), lines.get(2));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--losses nope                 | LOSS 'nope';unknown loss",
            "--losses --exhaustive         | --losses takes no --exhaustive",
            "--losses --range=-1:1         | --losses takes no --range",
            "--losses --samples=-1         | --samples must be >= 0",
    })
    void badLossInputIsExitTwo(String args, String expected) {
        badInputIsExitTwoAndNamesTheArgument(args, expected);
    }

    @Test
    void csvHoldsTheTable() throws IOException {
        Path csv = dir.resolve("acc.csv");
        Cli.Run r = Cli.run("accuracy", "--backend", "cpu", "--samples", "500", "--csv", csv.toString(),
                "leaky_relu(negative_slope=0.2)", "softplus");
        assertEquals(Main.OK, r.code(), r.toString());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("function,backend,mode,inputs,forward_ulp,forward_x,"), lines.get(0));
        assertTrue(lines.get(1).startsWith("leaky_relu(negative_slope=0.2),cpu,sampled,541,"), lines.get(1));
        assertTrue(lines.get(2).startsWith("\"softplus(beta=1.0,threshold=20.0)\",cpu,sampled,541,"), lines.get(2));
        String[] softplus = lines.get(2).substring(lines.get(2).lastIndexOf('"') + 2).split(",", -1);
        assertEquals(12, softplus.length, "the quoted spec, then 12 fields: " + lines.get(2));
        double fwd = Double.parseDouble(softplus[3]);
        assertTrue(fwd > 0 && fwd <= 0.5, "softplus is rounded once: " + fwd);
        assertEquals("pass", softplus[11]);
        assertEquals(List.of("acc.csv"), files(), "no temporary file left");
    }

    @Test
    void progressOnRequest() {
        Cli.Run r = Cli.run("accuracy", "--backend", "cpu", "--samples", "100", "--progress", "sigmoid");
        assertEquals(Main.OK, r.code(), r.toString());
        assertTrue(r.err().contains("\rsigmoid: 100 % of 141 inputs"), r.toString());
        assertFalse(r.out().contains("\r"), "progress never reaches stdout");
    }

    @Test
    void cudaUnavailableIsBadInputWithTheReason() {
        Assumptions.assumeTrue(Backends.cudaUnavailabilityCause() != null, "CUDA is usable here");
        Cli.Run r = Cli.run("accuracy", "--backend", "cuda", "--exhaustive", "gelu");
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains(Backends.cudaUnavailabilityCause()), r.toString());
        assertEquals("", r.out(), "nothing printed before the backend is known");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "nope                                   | FUNCTION 'nope';unknown",
            "gelu(approximate=x)                    | FUNCTION;approximate must be none or tanh",
            "--range=5:1                            | --range;5:1",
            "--range=5                              | --range;'5'",
            "--range=abc:1                          | --range;abc",
            "--range=nan:1                          | --range;'nan' is not a number",
            "--range=-1e50:1                        | --range;-1e50",
            "--samples=-5                           | --samples;-5",
            "--samples=many                         | --samples;many",
            "--exhaustive --range=-1:1              | --exhaustive;--range=-1:1",
            "--exhaustive --samples=10              | --exhaustive;--samples=10",
            "--exhaustive --bit-range=0x10:0x5      | --bit-range;0x10:0x5",
            "--exhaustive --bit-range=0:0x100000001 | --bit-range;0x100000001",
            "--bit-range=1:2                        | --bit-range;--exhaustive",
            "--csv=/no/such/dir/a.csv               | /no/such/dir/a.csv;--csv",
    })
    void badInputIsExitTwoAndNamesTheArgument(String args, String expected) {
        String[] a = Stream.concat(Stream.of("accuracy", "--backend", "cpu"), Stream.of(args.strip().split(" ")))
                .toArray(String[]::new);
        Cli.Run r = Cli.run(a);
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        for (String e : expected.split(";")) {
            assertTrue(r.err().contains(e.strip()), "expected '" + e.strip() + "' in stderr\n" + r);
        }
        assertFalse(r.err().contains("\tat "), "no stack trace for bad input\n" + r);
        assertEquals("", r.out(), "bad input is found before anything runs\n" + r);
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
