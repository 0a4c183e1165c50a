package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import jcuda.driver.CUdeviceptr;

/**
 * Launches of the elementwise kernels ({@code cuda/pointwise.cu}); row-wise functions go to
 * {@link RowLaunches}. Kernel names derive from the catalogue ({@code <kind>_forward_f32}, ...),
 * so there is no string table to keep in step with {@code cuda/}. Every launch is described by a
 * plain function of its arguments and the device's SM count (see {@link Launch}); the kernels'
 * prototypes are forward {@code (x, y, long long n, p0, p1)} and backward
 * {@code (x or y, dy, dx, long long n, p0, p1)}.
 */
final class Launches {
    private Launches() {
    }

    /** The PTX module (built from {@code cuda/pointwise.cu}). */
    static final String MODULE = "pointwise";

    static Launch forward(int smCount, Activation f, CUdeviceptr x, CUdeviceptr y, long rows, long cols) {
        Kind k = f.kind();
        if (k.rowWise()) {
            return RowLaunches.forward(smCount, k, x, y, rows, cols);
        }
        long n = rows * cols;
        return new Launch(MODULE, k.kernelName() + "_forward_f32", CudaBackend.blocksFor(n, smCount),
                CudaBackend.THREADS, new KernelArgs().ptr(x).ptr(y).i64(n).f32(f.p0()).f32(f.p1()));
    }

    static Launch backward(int smCount, Activation f, CUdeviceptr x, CUdeviceptr dy, CUdeviceptr dx, long rows,
                           long cols) {
        Kind k = f.kind();
        if (k.rowWise()) {
            return RowLaunches.backward(smCount, k, x, dy, dx, rows, cols);
        }
        return elementwiseBackward(smCount, f, k.kernelName() + "_backward_f32", x, dy, dx, rows * cols);
    }

    /** dx from the output y; only for functions whose {@link Activation#backwardFromOutput()} holds. */
    static Launch backwardFromOutput(int smCount, Activation f, CUdeviceptr y, CUdeviceptr dy, CUdeviceptr dx,
                                     long rows, long cols) {
        Kind k = f.kind();
        if (k.rowWise()) {
            return RowLaunches.backwardFromOutput(smCount, k, y, dy, dx, rows, cols);
        }
        return elementwiseBackward(smCount, f, k.kernelName() + "_backward_from_output_f32", y, dy, dx, rows * cols);
    }

    private static Launch elementwiseBackward(int smCount, Activation f, String kernel, CUdeviceptr in,
                                              CUdeviceptr dy, CUdeviceptr dx, long n) {
        return new Launch(MODULE, kernel, CudaBackend.blocksFor(n, smCount), CudaBackend.THREADS,
                new KernelArgs().ptr(in).ptr(dy).ptr(dx).i64(n).f32(f.p0()).f32(f.p1()));
    }
}
