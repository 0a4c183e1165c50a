package dev.nonlin.nn;

import dev.nonlin.Backend;
import dev.nonlin.cuda.CudaSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * {@link NnTest} on the CUDA backend: the same gradient checks, training runs, lifetimes and
 * argument checks, with the parameters and working tensors in device memory. Skipped (not failed)
 * where CUDA is unusable; the reason is printed.
 */
@Tag("gpu")
class CudaNnTest extends NnTest {

    @BeforeAll
    static void requireCuda() {
        Assumptions.assumeTrue(CudaSupport.isAvailable(), () -> "CUDA unavailable: " + CudaSupport.unavailabilityCause());
    }

    @Override
    Backend backend() {
        return CudaSupport.backend();
    }
}
