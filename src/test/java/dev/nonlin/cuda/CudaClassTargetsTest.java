package dev.nonlin.cuda;

import dev.nonlin.Backend;
import dev.nonlin.ClassTargetsTest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * {@link ClassTargetsTest} on the CUDA backend: the targets are in device memory, and the check
 * must still refuse a bad one before any kernel runs, without reading them back when they are
 * good. Skipped (not failed) where CUDA is unusable; the reason is printed.
 */
@Tag("gpu")
class CudaClassTargetsTest extends ClassTargetsTest {

    @BeforeAll
    static void requireCuda() {
        Assumptions.assumeTrue(CudaSupport.isAvailable(), () -> "CUDA unavailable: " + CudaSupport.unavailabilityCause());
    }

    @Override
    protected Backend backend() {
        return CudaSupport.backend();
    }
}
