package dev.nonlin.cuda;

import dev.nonlin.BackendUnavailableException;
import dev.nonlin.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** On a machine without a usable GPU (CI): the probe names the missing piece and auto falls back. */
class CudaFallbackTest {

    @Test
    void probeNamesTheMissingPiece() {
        Assumptions.assumeFalse(CudaSupport.isAvailable(), "CUDA is usable here");
        String cause = CudaSupport.unavailabilityCause();
        assertTrue(cause != null && !cause.isBlank());
        assertFalse(cause.contains("\n"), "one line, not JCuda's nested stack traces: " + cause);
        // one of the probe's steps: the driver library, cuInit, a device, PTX, the modules, the self-test
        assertTrue(cause.matches("(?s).*(libcuda|cuInit|no CUDA device|PTX|self-test|module).*"), cause);
        assertEquals("cpu", Backends.auto().name());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, Backends::cuda);
        assertTrue(e.getMessage().contains(cause), e.getMessage());
    }

    @Test
    void linkErrorMessagesAreReducedToTheMissingLibrary() {
        String jcuda = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
                + "Stack trace from the attempt to load the library as a file:\n"
                + "java.lang.UnsatisfiedLinkError: no JCudaDriver-12.6.0-linux-x86_64 in java.library.path: /usr/lib\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: "
                + "cannot open shared object file: No such file or directory\n";
        assertEquals("libcuda.so.1: cannot open shared object file: No such file or directory (no NVIDIA driver on this machine)",
                CudaSupport.linkCause(jcuda));
    }
}
