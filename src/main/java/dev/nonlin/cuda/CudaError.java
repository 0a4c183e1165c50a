package dev.nonlin.cuda;

import dev.nonlin.NonlinException;

/**
 * A CUDA driver error, with the {@code CUresult} name and the operation that failed
 * ({@code "cuLaunchKernel gelu_forward_f32"}). JCuda's own exception carries only the name.
 */
public class CudaError extends NonlinException {
    private static final long serialVersionUID = 1L;

    private final String result;
    private final boolean sticky;

    CudaError(String operation, String result, boolean sticky, Throwable cause) {
        super(operation + ": " + result + (sticky ? " (sticky: the CUDA context is unusable from now on)" : ""), cause);
        this.result = result;
        this.sticky = sticky;
    }

    /** The {@code CUresult} name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String result() {
        return result;
    }

    /**
     * Whether the error poisons the context (an illegal address, a launch failure, ...): every
     * later call would fail too, so the backend takes itself out of {@code auto}.
     */
    public boolean sticky() {
        return sticky;
    }
}
