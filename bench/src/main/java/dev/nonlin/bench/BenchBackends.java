package dev.nonlin.bench;

import dev.nonlin.Backend;
import dev.nonlin.BackendUnavailableException;
import dev.nonlin.Backends;
import dev.nonlin.cpu.CpuBackend;

import java.util.List;

/**
 * The backend {@code @Param} names shared by the benchmarks.
 *
 * <ul>
 *   <li>{@code cpu-scalar}: the scalar reference loop (double arithmetic, one thread).
 *   <li>{@code cpu-simd}: the Vector API path on one thread.
 *   <li>{@code cpu-parallel}: the Vector API path, split across cores above the library's threshold.
 *   <li>{@code cuda-tensor}: data resident on the device (tensors allocated in setup); the
 *       benchmark method launches and then synchronises, so the time is the kernel's, plus one
 *       launch and one synchronisation.
 *   <li>{@code cuda-array}: {@code float[]} in, {@code float[]} out through the library's pinned,
 *       pipelined host path: every transfer is inside the time.
 * </ul>
 *
 * <p>When CUDA cannot run here, {@link #of} throws {@link IllegalStateException} for the
 * {@code cuda-*} names with the probe's reason and {@link Backends#report()}. A benchmark calls it
 * from {@code @Setup}, so JMH reports that parameter combination as failed, with the reason, and
 * goes on with the next one: one command runs everywhere, and says why the GPU rows are missing.
 */
final class BenchBackends {
    private BenchBackends() {
    }

    static final List<String> NAMES = List.of("cpu-scalar", "cpu-simd", "cpu-parallel", "cuda-tensor", "cuda-array");

    static Backend of(String name) {
        if (name == null) {
            throw new IllegalArgumentException("backend must not be null; expected one of " + NAMES);
        }
        return switch (name) {
            case "cpu-scalar" -> CpuBackend.scalar();
            case "cpu-simd" -> CpuBackend.simd(false);
            case "cpu-parallel" -> CpuBackend.simd(true);
            case "cuda-tensor", "cuda-array" -> cuda(name);
            default -> throw new IllegalArgumentException("backend '" + name + "' is not one of " + NAMES);
        };
    }

    static boolean isCuda(String name) {
        return name.startsWith("cuda-");
    }

    /**
     * The CUDA backend, or an exception that says why not. JCuda's classes must not be touched
     * before this has succeeded: without {@code libcuda.so.1} they fail with
     * {@link UnsatisfiedLinkError} instead of a reason.
     */
    static Backend cuda(String what) {
        try {
            return Backends.cuda();
        } catch (BackendUnavailableException e) {
            throw new IllegalStateException(what + " cannot run here: " + e.getMessage()
                    + "\n" + Backends.report(), e);
        }
    }
}
