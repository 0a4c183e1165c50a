package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InfoListTest {

    @Test
    void infoShowsRuntimeSimdAndEveryBackend() {
        Cli.Run run = Cli.run("info");
        assertEquals(Main.OK, run.code(), run::toString);
        for (String key : List.of("java:", System.getProperty("java.version"), "simd:", "threads:", "cpu",
                "cuda", "auto:", "forced:", "backends:")) {
            assertTrue(run.out().contains(key), () -> "expected '" + key + "' in:\n" + run);
        }
        String cause = dev.nonlin.Backends.cudaUnavailabilityCause();
        if (cause != null) {
            assertTrue(run.out().contains(cause), run::toString);
        }
        // CUDA's matmul path, and why: cuBLAS or the tiled kernel on a GPU; not probed without one
        String gemm = run.out().lines().filter(l -> l.startsWith("gpu gemm:")).findFirst().orElse("");
        if (dev.nonlin.cuda.CudaSupport.isAvailable()) {
            assertTrue(gemm.contains("cuBLAS via JCublas") || gemm.contains("nonlin tiled SGEMM"), run::toString);
        } else {
            assertTrue(gemm.contains("not probed") && gemm.contains("CUDA is unusable"), run::toString);
        }
    }

    /** The gemm line names the micro-kernel and its tile, or says why matmul takes the plain loop. */
    @Test
    void infoShowsTheCpuGemmPath() {
        Cli.Run run = Cli.run("info");
        assertEquals(Main.OK, run.code(), run::toString);
        String gemm = run.out().lines().filter(l -> l.startsWith("cpu gemm:")).findFirst().orElse(null);
        assertTrue(gemm != null, () -> "expected a cpu gemm: line in:\n" + run);
        if (dev.nonlin.cpu.CpuBackend.simdAvailable()) {
            assertTrue(gemm.matches("cpu gemm: +SIMD micro-kernel \\d+×\\d+ \\(\\d+ rows × 2 vectors of \\d+ floats, fma\\).*"),
                    gemm);
        } else {
            assertTrue(gemm.contains("plain i-p-j loop (SIMD off: " + dev.nonlin.cpu.CpuBackend.simdUnavailabilityCause()),
                    gemm);
        }
        assertTrue(dev.nonlin.cpu.CpuBackend.scalar().gemmDescription().startsWith(
                "plain i-p-j loop (the scalar reference backend)"), dev.nonlin.cpu.CpuBackend.scalar().gemmDescription());
    }

    @Test
    void listShowsEveryFunction() {
        Cli.Run run = Cli.run("list");
        assertEquals(Main.OK, run.code(), run::toString);
        for (Activation f : Activations.defaults()) {
            assertTrue(run.out().contains(f.toString()), () -> "missing " + f + " in:\n" + run);
        }
        assertTrue(run.out().contains("gelu(approximate=tanh)"), run::toString);
    }

    /** The csv rows, keyed by spec. */
    private static Map<String, List<String>> csv() {
        Cli.Run run = Cli.run("list", "--format", "csv");
        assertEquals(Main.OK, run.code(), run::toString);
        List<String> lines = run.out().lines().collect(Collectors.toList());
        assertEquals(Catalogue.functions().size() + 1, lines.size(), run::toString);
        assertEquals(String.join(",", Catalogue.COLUMNS), lines.get(0));
        return lines.stream().skip(1).map(InfoListTest::parseCsv)
                .collect(Collectors.toMap(r -> r.get(0), Function.identity()));
    }

    /** Enough CSV for our rows: quoted fields with doubled quotes. */
    private static List<String> parseCsv(String line) {
        List<String> cells = new java.util.ArrayList<>();
        StringBuilder b = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    b.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    b.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                cells.add(b.toString());
                b.setLength(0);
            } else {
                b.append(c);
            }
        }
        cells.add(b.toString());
        return cells;
    }

    /** The measured columns agree with what is known about these functions. */
    @Test
    void propertiesAreMeasuredRight() {
        Map<String, List<String>> rows = csv();
        for (Activation f : Catalogue.functions()) {
            assertEquals(Catalogue.COLUMNS.size(), rows.get(f.toString()).size(), f::toString);
        }
        // range, zero-centred, vanishing, dead zone, max |f'|
        assertEquals(List.of("(0, 1)", "no", "both sides", "no", "0.25"), measured(rows, "sigmoid"));
        assertEquals(List.of("(-1, 1)", "yes", "both sides", "no", "1"), measured(rows, "tanh"));
        assertEquals(List.of("[0, ∞)", "no", "x → -∞", "x ≤ 0", "1"), measured(rows, "relu"));
        assertEquals(List.of("[0, 6]", "no", "both sides", "x ≤ 0, x ≥ 6", "1"), measured(rows, "relu6"));
        assertEquals(List.of("[-0.278, ∞)", "yes", "x → -∞", "no", "1.1"), measured(rows, "silu"));
        assertEquals(List.of("[-0.375, ∞)", "yes", "x → -∞", "x < -3", "1.5"), measured(rows, "hardswish"));
        assertEquals(List.of("(-1.76, ∞)", "yes", "x → -∞", "no", "1.76"), measured(rows, "selu"));
        assertEquals(List.of("(-∞, ∞)", "yes", "no", "no", "1"), measured(rows, "identity"));
        assertEquals(List.of("(0, 1)", "no", "both sides", "no", "0.25"), measured(rows, "softmax"));
        assertEquals(List.of("(-∞, 0)", "no", "x → +∞", "no", "1"), measured(rows, "log_softmax"));
        assertEquals("(-1, 1)", measured(rows, "softsign").get(0));
        assertEquals("both sides", measured(rows, "softsign").get(2));
    }

    private static List<String> measured(Map<String, List<String>> rows, String spec) {
        List<String> r = rows.get(Activation.parse(spec).toString());
        return r.subList(3, r.size());
    }

    @Test
    void markdownIsATable() {
        Cli.Run run = Cli.run("list", "--format", "markdown");
        assertEquals(Main.OK, run.code(), run::toString);
        List<String> lines = run.out().lines().collect(Collectors.toList());
        assertEquals(Catalogue.functions().size() + 2, lines.size(), run::toString);
        for (String l : lines) {
            assertEquals(Catalogue.COLUMNS.size() + 1, unescapedPipes(l), l);
        }
        assertTrue(lines.get(1).startsWith("|---|"), lines.get(1));
    }

    private static long unescapedPipes(String l) {
        return Arrays.stream(l.split("\\\\\\|", -1)).mapToLong(s -> s.chars().filter(c -> c == '|').count()).sum();
    }

    @Test
    void numbersAreCompact() {
        assertEquals("0", Catalogue.number(0.0));
        assertEquals("0", Catalogue.number(-0.0));
        assertEquals("-1", Catalogue.number(-1.0));
        assertEquals("∞", Catalogue.number(Double.POSITIVE_INFINITY));
        assertEquals("-0.278", Catalogue.number(-0.27846454276107374));
        assertEquals("0.167", Catalogue.number(1.0 / 6));
        assertEquals("1.76", Catalogue.number(1.7580993408473766));
    }
}
