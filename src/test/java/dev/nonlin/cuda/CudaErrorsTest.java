package dev.nonlin.cuda;

import jcuda.driver.CUresult;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How driver results become CudaErrors, without a GPU (no native call is made). */
class CudaErrorsTest {

    @Test
    void stickyErrorsTakeTheBackendOutOfService() {
        for (String sticky : new String[] {"CUDA_ERROR_ILLEGAL_ADDRESS", "CUDA_ERROR_LAUNCH_FAILED",
                "CUDA_ERROR_LAUNCH_TIMEOUT", "CUDA_ERROR_UNKNOWN", CUresult.stringFor(999)}) {
            assertTrue(Cuda.isSticky(sticky), sticky);
        }
        for (String not : new String[] {"CUDA_ERROR_OUT_OF_MEMORY", "CUDA_ERROR_INVALID_VALUE", "CUDA_ERROR_NOT_FOUND"}) {
            assertFalse(Cuda.isSticky(not), not);
        }
    }

    @Test
    void aFailedCallNamesTheOperationAndTheResult() {
        CudaError e = assertThrows(CudaError.class, () -> Cuda.call("cuMemAlloc 64 bytes",
                () -> CUresult.CUDA_ERROR_OUT_OF_MEMORY));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.result());
        assertEquals("cuMemAlloc 64 bytes: CUDA_ERROR_OUT_OF_MEMORY", e.getMessage());
        assertFalse(e.sticky());
    }

    @Test
    void aCleanUpThatFailsIsLoggedNotThrown() {
        int[] calls = {0};
        Cuda.quietly("cuMemFree", () -> {
            calls[0]++;
            return CUresult.CUDA_ERROR_INVALID_VALUE;
        });
        Cuda.quietly("cuMemFree", () -> {
            calls[0]++;
            throw new jcuda.CudaException("CUDA_ERROR_ILLEGAL_ADDRESS");
        });
        assertEquals(2, calls[0]);
    }
}
