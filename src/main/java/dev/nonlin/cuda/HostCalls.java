package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.NonlinException;

import java.util.function.BiConsumer;

/**
 * What a host-array call of {@link CudaBackend} does when the GPU fails part-way: the policy of its
 * CPU fallback, apart from the GPU so that it is tested without one.
 *
 * <p>A host-array call's GPU part writes its output into the caller's array as results come back
 * from the device, and records how far in a {@link Written}. When it throws {@link CudaError},
 * the CPU finishes the call:
 * <ul>
 *   <li>from the first element not yet written, where the GPU part writes its output in order,
 *       element by element ({@code resumable}: the pipelined activations, whose chunks are
 *       whole rows); the elements before it are the GPU's results, and those after it have not
 *       been touched, so the inputs they need are intact even in place;
 *   <li>else from the start (the losses and PReLU, whose reductions need every element) —
 *       unless the GPU part has already written some of an output that is also one of its inputs
 *       ({@code aliased}): the CPU would then read results in place of input, so the error
 *       propagates, naming that;
 *   <li>never with {@code -Dnonlin.cuda.strict=true} ({@link CudaBackend#STRICT_PROPERTY}): the
 *       error propagates, and a backend out of service throws instead of computing on the CPU.
 * </ul>
 */
final class HostCalls {
    private HostCalls() {
    }

    /** How much of a host-array call's output holds its final values: the elements [0, upTo). */
    static final class Written {
        long upTo;
    }

    /** The GPU part of a host-array call; it records in {@code w} what it has written to the output. */
    @FunctionalInterface
    interface GpuPart<T> {
        T run(Written w);
    }

    /** The CPU's part of a host-array call: the output from element {@code from} on (0: the whole call). */
    @FunctionalInterface
    interface CpuPart<T> {
        T finish(long from);
    }

    /** A CPU call on the elements [offset, offset + rows·cols) of a host-array call's arrays. */
    @FunctionalInterface
    interface CpuRange {
        void run(int offset, int rows, int cols);
    }

    /**
     * Runs a host-array call (see the class comment).
     *
     * @param broken   why the backend is out of service, or null
     * @param fallBack told what failed and why before the CPU takes over (the backend logs it; a
     *                 sticky error has already taken it out of service, in the gpu part's wrapper)
     */
    static <T> T run(String what, String broken, boolean resumable, boolean aliased, GpuPart<T> gpu, CpuPart<T> cpu,
                     BiConsumer<String, CudaError> fallBack) {
        boolean strict = Boolean.getBoolean(CudaBackend.STRICT_PROPERTY);
        if (broken != null) {
            if (strict) {
                throw new NonlinException(what + ": the CUDA backend is out of service (" + broken + ") and "
                        + CudaBackend.STRICT_PROPERTY + " is set");
            }
            return cpu.finish(0);
        }
        Written w = new Written();
        try {
            return gpu.run(w);
        } catch (CudaError e) {
            if (strict) {
                throw e;
            }
            long from = resumable ? w.upTo : 0;
            if (from == 0 && w.upTo > 0 && aliased) {
                throw new CudaError(what + " (its output, which is also an input, was partly written, so the CPU "
                        + "cannot finish it)", e.result(), e.sticky(), e);
            }
            fallBack.accept(what, e);
            return cpu.finish(from);
        }
    }

    /**
     * The CPU's part of a pipelined activation over rows × cols from element {@code from}, which
     * is on a row boundary for row-wise functions (the pipeline's chunks are whole rows).
     */
    static void rest(Activation f, long from, int rows, int cols, CpuRange cpu) {
        long n = (long) rows * cols;
        if (from >= n) {
            return;
        }
        if (f.rowWise()) {
            if (from % cols != 0) {
                throw new IllegalStateException("row-wise output written to " + from + ", not a multiple of " + cols);
            }
            cpu.run((int) from, rows - (int) (from / cols), cols);
        } else {
            cpu.run((int) from, 1, (int) (n - from));
        }
    }
}
