package dev.nonlin.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.nonlin.Activation.Family;
import dev.nonlin.Backends;
import dev.nonlin.Crossover;
import dev.nonlin.cli.BenchReport.Series;
import dev.nonlin.cli.BenchSweep.Path;
import dev.nonlin.cli.BenchSweep.Point;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    @TempDir
    java.nio.file.Path dir;

    @Test
    void aSmallSweepPrintsTheTableAndWritesCsvJsonAndPng() throws IOException {
        java.nio.file.Path out = dir.resolve("b");
        Cli.Run r = Cli.run("bench", "relu", "gelu", "softmax", "--sizes", "2^6,1000", "--reps", "1",
                "--direction", "both", "--out", out.toString(), "--no-progress");
        assertEquals(Main.OK, r.code(), r.toString());
        for (String f : new String[] {"relu forward", "relu backward", "gelu(approximate=none) backward", "softmax forward"}) {
            assertTrue(r.out().contains("\n" + f), f + "\n" + r);
        }
        assertTrue(r.out().contains("cpu (% of arraycopy)"), r.toString());
        if (Backends.cudaUnavailabilityCause() != null) {
            assertTrue(r.out().contains("cuda: not measured: " + Backends.cudaUnavailabilityCause()), r.toString());
            assertTrue(r.out().contains("crossover: not measured"), r.toString());
        }
        int paths = Backends.cudaUnavailabilityCause() == null ? 5 : 2;
        int expected = 3 * 2 * 2 * paths;     // functions × directions × sizes × paths

        List<String> csv = Files.readAllLines(out.resolve("bench.csv"));
        assertEquals(BenchReport.CSV_HEADER, csv.get(0));
        assertEquals(expected, csv.size() - 1, String.join("\n", csv));
        for (String line : csv.subList(1, csv.size())) {
            String[] c = line.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)");
            assertEquals(12, c.length, line);
            assertTrue(Double.parseDouble(c[6]) > 0, "seconds > 0: " + line);
            // softmax rows: 1000 elements in rows of --cols 1024 → one row of 1000
            assertEquals(Long.parseLong(c[4]), Long.parseLong(c[2]) * Long.parseLong(c[3]), line);
        }

        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("bench.json"))).getAsJsonObject();
        assertEquals(expected, json.getAsJsonArray("results").size());
        assertEquals(6, json.getAsJsonArray("crossovers").size());
        assertTrue(json.get("machine").getAsString().contains("CPUs"));
        // the compiled-kernel check needs calls of 4096 elements: none at these sizes, so no warning
        assertEquals(0, json.getAsJsonArray("slow_kernels").size(), r.toString());
        assertFalse(r.out().contains("warning:"), r.toString());

        byte[] png = Files.readAllBytes(out.resolve("bench.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        try (var files = Files.list(out)) {
            assertEquals(3, files.count(), "bench.csv, bench.json, bench.png and no temporary files");
        }
    }

    /** A directory where bench.json must go: the run fails naming it, and the previous run's files stay. */
    @Test
    void aFileThatCannotBeWrittenReplacesNoneOfThePreviousRunsFiles() throws IOException {
        java.nio.file.Path out = Files.createDirectories(dir.resolve("previous"));
        Files.writeString(out.resolve("bench.csv"), "previous run");
        Files.writeString(out.resolve("bench.png"), "previous run");
        Files.createDirectories(out.resolve("bench.json").resolve("x"));
        Cli.Run r = Cli.run("bench", "relu", "--quick", "--sizes", "2^6", "--reps", "1", "--paths", "cpu",
                "--no-progress", "--out", out.toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertEquals("nonlin bench: " + out.resolve("bench.json") + ": cannot write: is a directory; no file in " + out
                + " was replaced", r.err().strip(), r.toString());
        assertEquals("previous run", Files.readString(out.resolve("bench.csv")));
        assertEquals("previous run", Files.readString(out.resolve("bench.png")));
        assertEquals(List.of(), AtomicFileTest.temporaries(out));
    }

    @Test
    void sizesWhoseArraysCannotFitInTheHeapAreRefused() {
        UserError e = org.junit.jupiter.api.Assertions.assertThrows(UserError.class,
                () -> BenchCommand.checkHeap(1L << 27, false, 512L << 20));
        assertTrue(e.getMessage().startsWith("--sizes 2^27: the sweep holds 3 float arrays of that size (1536 MiB), "
                + "more than this JVM's heap (512 MiB)"), e.getMessage());
        BenchCommand.checkHeap(1L << 25, false, 512L << 20);      // 384 MiB: fits
        // the cuda-tensor path holds one more copy while it uploads
        org.junit.jupiter.api.Assertions.assertThrows(UserError.class,
                () -> BenchCommand.checkHeap(1L << 25, true, 500L << 20));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--sizes|0|'0'",
            "--sizes|2^29|'2^29'",
            "--sizes|many|'many'",
            "--direction|sideways|'sideways'",
            "--paths|gpu|'gpu'",
            "--cols|0|--cols must be >= 1, got 0",
            "--reps|0|--reps must be >= 1, got 0"})
    void badOptionsAreBadInputNamingTheValue(String option, String value, String named) {
        Cli.Run r = Cli.run("bench", "relu", option, value, "--out", dir.toString(), "--no-progress");
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains(named), r.toString());
        assertFalse(Files.exists(dir.resolve("bench.csv")), "nothing written");
    }

    /** picocli's split drops empty tokens, so "--sizes ," is an empty list: refused before anything runs. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--sizes|,|--sizes: name at least one size",
            "--sizes|,,|--sizes: name at least one size",
            "--paths|,|--paths: name at least one path"})
    void anEmptyListIsBadInputBeforeAnythingRuns(String option, String value, String named) {
        java.nio.file.Path out = dir.resolve("never");
        Cli.Run r = Cli.run("bench", "relu", option, value, "--out", out.toString(), "--no-progress");
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains(named), r.toString());
        assertFalse(r.err().contains("\tat "), "no stack trace\n" + r);
        assertEquals("", r.out(), "no header: nothing runs\n" + r);
        assertFalse(Files.exists(out), "--out not created");
    }

    /** --out is made before anything runs, and a path that cannot be a directory is said in words. */
    @Test
    void anOutputPathThatCannotBeADirectoryIsBadInputBeforeAnythingRuns() throws IOException {
        java.nio.file.Path file = Files.writeString(dir.resolve("a-file"), "x");
        Cli.Run r = Cli.run("bench", "relu", "--sizes", "2^6", "--reps", "1", "--out", file.toString(), "--no-progress");
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains("--out " + file + ": exists and is not a directory"), r.toString());
        assertFalse(r.err().contains("Exception"), "no class name\n" + r);
        assertEquals("", r.out(), "nothing runs\n" + r);

        java.nio.file.Path sub = file.resolve("sub");
        r = Cli.run("bench", "relu", "--sizes", "2^6", "--reps", "1", "--out", sub.toString(), "--no-progress");
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains("--out " + sub + ": " + file + " is not a directory"), r.toString());
        assertEquals("", r.out(), "nothing runs\n" + r);
        assertEquals("x", Files.readString(file), "the file is left alone");
    }

    @Test
    void anUnknownFunctionIsNamedWithTheSpecsOwnMessage() {
        Cli.Run r = Cli.run("bench", "relu", "nosuchfn", "--out", dir.toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains("FUNCTION 'nosuchfn'") && !r.err().contains("Unmatched"), r.toString());
    }

    @Test
    void preluIsRefusedWithAReason() {
        Cli.Run r = Cli.run("bench", "prelu", "--out", dir.toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains("prelu"), r.toString());
    }

    @Test
    void withoutAGpuTheGpuPathsAndCalibrationSayWhy() {
        String cause = Backends.cudaUnavailabilityCause();
        Assumptions.assumeTrue(cause != null);
        Cli.Run r = Cli.run("bench", "relu", "--paths", "cpu,cuda-array", "--out", dir.toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains("cuda-array") && r.err().contains(cause), r.toString());
        r = Cli.run("bench", "--calibrate", "--out", dir.toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains("--calibrate needs a usable GPU") && r.err().contains(cause), r.toString());
    }

    // ------------------------------------------------------------------ the crossover, from measurements

    private static Point pt(String f, Path p, long n, double seconds) {
        return new Point(f, true, 1, n, p, seconds, Double.NaN);
    }

    /** cpu and cuda-array times at sizes 2^10..2^16 (cpu-1t slower everywhere). */
    private static Series series(String f, double[] cpu, double[] gpu) {
        List<Point> pts = new ArrayList<>();
        for (int i = 0; i < cpu.length; i++) {
            long n = 1L << (10 + 2 * i);
            pts.add(pt(f, Path.CPU, n, cpu[i]));
            pts.add(pt(f, Path.CPU_1T, n, cpu[i] * 2));
            if (gpu != null) {
                pts.add(pt(f, Path.CUDA_ARRAY, n, gpu[i]));
            }
        }
        return BenchReport.series(pts).get(0);
    }

    @Test
    void theCrossoverIsWhereTheGpuWinsFromThereOn() {
        assertEquals(1L << 14, series("gelu", new double[] {1, 4, 16, 64}, new double[] {9, 9, 10, 11}).crossover());
        // a win at a small size followed by a loss does not count
        assertEquals(1L << 16, series("gelu", new double[] {1, 4, 16, 64}, new double[] {0.5, 9, 20, 11}).crossover());
        assertEquals(Crossover.NEVER, series("relu", new double[] {1, 4, 16, 64}, new double[] {2, 8, 32, 128}).crossover());
        assertEquals(1L << 10, series("gelu", new double[] {1, 4, 16, 64}, new double[] {0.5, 1, 2, 3}).crossover());
        assertNull(series("gelu", new double[] {1, 4}, null).crossover());
    }

    @Test
    void autoIsComparedWithTheBetterOfCpuAndGpu() {
        List<Point> pts = new ArrayList<>(series("gelu", new double[] {1, 4}, new double[] {9, 2}).points());
        pts.add(pt("gelu", Path.AUTO, 1 << 10, 1.05));
        pts.add(pt("gelu", Path.AUTO, 1 << 12, 4.0));
        Map<Long, Double> r = BenchReport.series(pts).get(0).autoOverBest();
        assertEquals(1.05, r.get(1L << 10), 1e-12);
        assertEquals(2.0, r.get(1L << 12), 1e-12);
    }

    @Test
    void aFamilyCrossesWhereItsSlowestMemberDoes() {
        List<Series> all = List.of(
                series("gelu", new double[] {1, 4, 16, 64}, new double[] {9, 9, 10, 11}),
                series("sigmoid", new double[] {1, 4, 16, 64}, new double[] {9, 9, 20, 11}),
                series("relu", new double[] {1, 4, 16, 64}, new double[] {2, 8, 32, 128}),
                series("softmax", new double[] {1, 4}, null));
        Map<Family, Long> m = BenchCommand.familyCrossovers(all);
        assertEquals(1L << 16, m.get(Family.TRANSCENDENTAL));
        assertEquals(Crossover.NEVER, m.get(Family.PIECEWISE));
        assertFalse(m.containsKey(Family.ROW_WISE));
    }

    @Test
    void specListsKeepCommasInsideParentheses() {
        assertEquals(List.of("relu", "softplus(beta=2,threshold=10)", "gelu"),
                BenchCommand.splitSpecs("relu,softplus(beta=2,threshold=10),gelu"));
    }
}
