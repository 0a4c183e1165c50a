package dev.nonlin.cuda;

import dev.nonlin.BackendUnavailableException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The choice of CUDA's SGEMM ({@link GemmPath}) without a GPU, through its seam (the opener),
 * and JCublas's library probe on this machine.
 */
class GemmPathTest {

    private static final String MISSING = "libcublas.so.12: cannot open shared object file: No such file or directory";

    private static Cublas failing() {
        throw new IllegalStateException(MISSING);
    }

    @Test
    void autoFallsBackToTheTiledKernelAndSaysWhy() {
        try (GemmPath p = GemmPath.choose(GemmPath.Request.AUTO, GemmPathTest::failing)) {
            assertFalse(p.usesCublas());
            assertNull(p.cublas(), "the tiled kernel serves");
            assertEquals("nonlin tiled SGEMM: JCublas unavailable: " + MISSING, p.describe());
        }
    }

    /** JCublas2's static initialiser: UnsatisfiedLinkError once, NoClassDefFoundError after; both are caught. */
    @Test
    void linkageErrorsAreCaughtToo() {
        try (GemmPath p = GemmPath.choose(GemmPath.Request.AUTO, () -> {
            throw new NoClassDefFoundError("Could not initialize class jcuda.jcublas.JCublas2");
        })) {
            assertNull(p.cublas());
            assertTrue(p.describe().contains("JCublas unavailable: Could not initialize class jcuda.jcublas.JCublas2"),
                    p.describe());
        }
    }

    @Test
    void forcedCublasThatCannotRunThrowsWithTheCause() {
        try (GemmPath p = GemmPath.choose(GemmPath.Request.CUBLAS, GemmPathTest::failing)) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, p::cublas);
            assertTrue(e.getMessage().contains("-D" + GemmPath.PROPERTY + "=cublas") && e.getMessage().contains(MISSING),
                    e.getMessage());
            assertTrue(p.describe().contains("matmul throws") && p.describe().contains(MISSING), p.describe());
        }
    }

    @Test
    void forcedNonlinNeverProbesJCublas() {
        try (GemmPath p = GemmPath.choose(GemmPath.Request.NONLIN, () -> fail("JCublas must not be touched"))) {
            assertNull(p.cublas());
            assertEquals("nonlin tiled SGEMM: forced by -D" + GemmPath.PROPERTY + "=nonlin", p.describe());
        }
    }

    @Test
    void requestParsesThePropertyValue() {
        assertEquals(GemmPath.Request.AUTO, GemmPath.Request.parse(null));
        assertEquals(GemmPath.Request.AUTO, GemmPath.Request.parse(" "));
        assertEquals(GemmPath.Request.CUBLAS, GemmPath.Request.parse("cuBLAS"));
        assertEquals(GemmPath.Request.NONLIN, GemmPath.Request.parse(" nonlin "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmPath.Request.parse("mkl"));
        assertTrue(e.getMessage().contains("auto, cublas or nonlin"), e.getMessage());
    }

    /**
     * The real probe: JCublas's natives load, or the cause is one line naming what is missing
     * (on machines without CUDA 12's cuBLAS, such as CI and the CUDA-13-only GPU machine:
     * libcublas.so.12).
     */
    @Test
    void jcublasProbeNamesWhatIsMissing() {
        assertEquals(CudaSupport.jcudaVersion(), Cublas.jcublasVersion(), "jcublas and jcuda come in one version");
        String cause = Cublas.libraryUnavailabilityCause();
        System.out.println("JCublas " + Cublas.jcublasVersion() + ": " + (cause == null ? "natives load" : cause));
        assertEquals(cause, Cublas.libraryUnavailabilityCause(), "probed once, the same answer after");
        if (cause != null) {
            assertFalse(cause.contains("\n"), cause);
            assertTrue(cause.contains("libcublas") || cause.contains("JCublas"), cause);
        }
    }
}
