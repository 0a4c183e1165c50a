package dev.nonlin.cuda;

import jcuda.CudaException;
import jcuda.driver.CUresult;

/** Turns JCuda's exceptions and result codes into {@link CudaError}s with context. */
final class Cuda {
    private Cuda() {
    }

    /**
     * Errors after which the context cannot be used again (CUDA's "sticky" errors). A code that
     * JCuda 12.6 has no name for ({@code "INVALID CUresult: 999"}: a newer driver's) counts as
     * sticky too: a backend that keeps failing in an unknown way is better out of service than
     * falling back call after call.
     */
    static boolean isSticky(String result) {
        return switch (result) {
            case "CUDA_ERROR_ILLEGAL_ADDRESS", "CUDA_ERROR_LAUNCH_FAILED", "CUDA_ERROR_LAUNCH_TIMEOUT",
                    "CUDA_ERROR_HARDWARE_STACK_ERROR", "CUDA_ERROR_ILLEGAL_INSTRUCTION", "CUDA_ERROR_MISALIGNED_ADDRESS",
                    "CUDA_ERROR_INVALID_ADDRESS_SPACE", "CUDA_ERROR_INVALID_PC", "CUDA_ERROR_ECC_UNCORRECTABLE",
                    "CUDA_ERROR_CONTEXT_IS_DESTROYED", "CUDA_ERROR_ASSERT", "CUDA_ERROR_UNKNOWN" -> true;
            default -> result.startsWith("INVALID CUresult");
        };
    }

    /**
     * Runs a clean-up call (a free, a destroy) whose failure must not hide the error that led to
     * it, nor stop the clean-ups after it: a failure is logged, not thrown. After a sticky error
     * every driver call fails, and the context's memory goes with the process anyway.
     */
    static void quietly(String operation, Call c) {
        try {
            call(operation, c);
        } catch (RuntimeException e) {
            System.getLogger("dev.nonlin").log(System.Logger.Level.WARNING, "nonlin: clean-up {0} failed: {1}",
                    operation, e.getMessage());
        }
    }

    /** Checks a result code (for calls that return one even with exceptions enabled). */
    static void check(int result, String operation) {
        if (result != CUresult.CUDA_SUCCESS) {
            String name = CUresult.stringFor(result);
            throw new CudaError(operation, name, isSticky(name), null);
        }
    }

    /** Wraps JCuda's exception (whose message is only the CUresult name) with the operation. */
    static CudaError wrap(CudaException e, String operation) {
        String name = e.getMessage() == null ? "CUDA_ERROR_UNKNOWN" : e.getMessage().strip();
        return new CudaError(operation, name, isSticky(name), e);
    }

    @FunctionalInterface
    interface Call {
        int run();
    }

    /** Runs a driver call, mapping both a returned code and a thrown CudaException to CudaError. */
    static void call(String operation, Call c) {
        int r;
        try {
            r = c.run();
        } catch (CudaException e) {
            throw wrap(e, operation);
        }
        check(r, operation);
    }
}
