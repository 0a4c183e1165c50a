package dev.nonlin;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Without a GPU (CI): auto falls back to the CPU with a reason, and forcing cuda throws with it. */
class BackendsTest {

    @AfterEach
    void clear() {
        System.clearProperty(Backends.PROPERTY);
    }

    @Test
    void autoFallsBackToTheCpuAndSaysWhy() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Backends.cudaUnavailabilityCause() != null, "CUDA is usable here");
        assertEquals("cpu", Backends.auto().name());
        Backends.Report r = Backends.report();
        assertEquals("cpu", r.chosen());
        assertTrue(r.reason().contains(Backends.cudaUnavailabilityCause()), r.reason());
        assertTrue(r.backends().stream().anyMatch(a -> a.name().equals("cuda") && !a.available()));
        assertTrue(r.toString().contains("cuda"), r.toString());
    }

    @Test
    void forcingAnUnusableBackendThrowsWithTheCause() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Backends.cudaUnavailabilityCause() != null, "CUDA is usable here");
        System.setProperty(Backends.PROPERTY, "cuda");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, Backends::auto);
        assertTrue(e.getMessage().contains(Backends.cudaUnavailabilityCause()), e.getMessage());
        assertThrows(BackendUnavailableException.class, Backends::cuda);
        assertTrue(Backends.report().override().contains("cuda"));
    }

    @Test
    void forcingTheCpuWorks() {
        System.setProperty(Backends.PROPERTY, "cpu");
        assertSame(Backends.cpu(), Backends.auto());
        System.setProperty(Backends.PROPERTY, "auto");
        assertEquals(Backends.cudaUnavailabilityCause() == null ? "auto" : "cpu", Backends.auto().name(),
                "'auto' as the forced value is the automatic choice");
    }

    @Test
    void badForcedValueIsNamed() {
        System.setProperty(Backends.PROPERTY, "tpu");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Backends::auto);
        assertTrue(e.getMessage().contains("tpu"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backends.named("fpga"));
        // the names are the property's names, no more: "gpu" is not one (nor for -Dnonlin.backend)
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Backends.named("gpu")).getMessage().contains("'gpu'"));
    }
}
