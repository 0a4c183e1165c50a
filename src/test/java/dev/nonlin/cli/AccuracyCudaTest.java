package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.Backends;
import dev.nonlin.cuda.CudaAccuracy;
import dev.nonlin.cuda.CudaSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nonlin accuracy --exhaustive} on CUDA ({@link CudaAccuracy}). The GPU tests are tagged
 * and skip without a usable GPU; the argument checks run everywhere.
 */
class AccuracyCudaTest {

    static List<Activation> elementwise() {
        return Activations.all().stream().filter(f -> !f.rowWise()).collect(Collectors.toList());
    }

    /** Ranges of bit patterns: around 1, the negative tail near −10, and MAX → ∞ → NaN → −0. */
    static final long[][] RANGES = {{0x3f700000L, 0x3f900000L}, {0xc1100000L, 0xc1300000L},
            {0x7f7f0000L, 0x80010000L}};

    @Test
    void onlyTheCudaBackendAndElementwiseFunctions() {
        assertThrows(IllegalArgumentException.class,
                () -> CudaAccuracy.exhaustive(Backends.cpu(), Activation.relu(), 0, 10, 1, null));
        Assumptions.assumeTrue(CudaSupport.isAvailable(), () -> "CUDA unavailable: " + CudaSupport.unavailabilityCause());
        Backend gpu = CudaSupport.backend();
        assertThrows(IllegalArgumentException.class,
                () -> CudaAccuracy.exhaustive(gpu, Activation.softmax(), 0, 10, 1, null));
        assertThrows(IllegalArgumentException.class,
                () -> CudaAccuracy.exhaustive(gpu, Activation.relu(), (1L << 32) - 5, 10, 1, null));
    }

    /**
     * Each function over three ranges of 2²¹ bit patterns: within the contract, correctly rounded
     * forward (the kernels round the same double math once), and the worst element reported by
     * the device is what the host measures for that input with the Java reference, through the
     * backend's host-array path.
     */
    @Tag("gpu")
    @ParameterizedTest(name = "{0}")
    @MethodSource("elementwise")
    void everyFunctionOnTheDevice(Activation f) {
        Assumptions.assumeTrue(CudaSupport.isAvailable(), () -> "CUDA unavailable: " + CudaSupport.unavailabilityCause());
        Backend gpu = CudaSupport.backend();
        for (long[] r : RANGES) {
            CudaAccuracy.Result res = CudaAccuracy.exhaustive(gpu, f, r[0], r[1] - r[0], 11, null);
            String where = String.format(Locale.ROOT, "%s on [0x%08x, 0x%08x)", f, r[0], r[1]);
            assertTrue(res.forward().ulps() >= 0 && res.forward().ulps() <= 0.5 + 1e-6,
                    where + ": forward " + res.forward());
            assertTrue(Ulp.backwardOk(res.backwardUnitDy().ulps()) && Ulp.backwardOk(res.backwardRandomDy().ulps()),
                    where + ": backward " + res.backwardUnitDy() + ", " + res.backwardRandomDy());
            long i = res.forward().index();
            assertTrue(i >= r[0] && i < r[1], where + ": index " + i);
            float[] x = {Float.intBitsToFloat((int) i)};
            float[] y = new float[1];
            gpu.forward(f, x, y);
            double host = Ulp.ulps(y[0], Reference.forward(f, x[0]));
            assertEquals(res.forward().ulps(), host, 1e-6, where + ": the device's worst element, measured on the host");
        }
    }

    /**
     * The whole float line for one function, through the command as users run it: it must pass,
     * correctly rounded, and the time is printed (gpu-check.sh keeps it; "seconds per function").
     */
    @Tag("gpu")
    @Test
    void everyFloatThroughTheCommand(@TempDir Path dir) throws IOException {
        Assumptions.assumeTrue(CudaSupport.isAvailable(), () -> "CUDA unavailable: " + CudaSupport.unavailabilityCause());
        Path csv = dir.resolve("gelu.csv");
        Cli.Run r = Cli.run("accuracy", "--backend", "cuda", "--exhaustive", "--csv", csv.toString(), "gelu");
        System.out.print(r.out());
        assertEquals(Main.OK, r.code(), r.toString());
        String[] row = Files.readAllLines(csv).get(1).split(",");
        // function,backend,mode,inputs,forward_ulp,...,seconds,contract
        assertEquals("4294967296", row[3]);
        assertTrue(Double.parseDouble(row[4]) <= 0.5 + 1e-6, "forward " + row[4] + " at x = " + row[5]);
        assertEquals("pass", row[12]);
    }
}
