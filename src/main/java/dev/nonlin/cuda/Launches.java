package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * Kernel launches. Kernel names derive from the catalogue ({@code <kind>_forward_f32}, ...), so
 * there is no string table to keep in step with {@code cuda/}. Parameter blocks must match the C
 * prototypes exactly ({@code long long n} is a {@code long[]}), or the launch reads garbage.
 */
final class Launches {
    private Launches() {
    }

    // --- elementwise: forward (x, y, n, p0, p1); backward (x, dy, dx, n, p0, p1)

    static void forward(CudaBackend b, Activation f, CUdeviceptr x, CUdeviceptr y, long rows, long cols, CUstream s) {
        Kind k = f.kind();
        if (k.rowWise()) {
            RowLaunches.forward(b, k, x, y, rows, cols, s);
            return;
        }
        long n = rows * cols;
        Pointer params = Pointer.to(Pointer.to(x), Pointer.to(y), Pointer.to(new long[] {n}),
                Pointer.to(new float[] {f.p0()}), Pointer.to(new float[] {f.p1()}));
        b.launch(k.kernelName() + "_forward_f32", b.blocksFor(n), CudaBackend.THREADS, 0, s, params);
    }

    static void backward(CudaBackend b, Activation f, CUdeviceptr x, CUdeviceptr dy, CUdeviceptr dx,
                         long rows, long cols, CUstream s) {
        Kind k = f.kind();
        if (k.rowWise()) {
            RowLaunches.backward(b, k, x, dy, dx, rows, cols, s);
            return;
        }
        elementwiseBackward(b, f, k.kernelName() + "_backward_f32", x, dy, dx, rows * cols, s);
    }

    static void backwardFromOutput(CudaBackend b, Activation f, CUdeviceptr y, CUdeviceptr dy, CUdeviceptr dx,
                                   long rows, long cols, CUstream s) {
        Kind k = f.kind();
        if (k.rowWise()) {
            RowLaunches.backwardFromOutput(b, k, y, dy, dx, rows, cols, s);
            return;
        }
        elementwiseBackward(b, f, k.kernelName() + "_backward_from_output_f32", y, dy, dx, rows * cols, s);
    }

    private static void elementwiseBackward(CudaBackend b, Activation f, String kernel, CUdeviceptr in,
                                            CUdeviceptr dy, CUdeviceptr dx, long n, CUstream s) {
        Pointer params = Pointer.to(Pointer.to(in), Pointer.to(dy), Pointer.to(dx), Pointer.to(new long[] {n}),
                Pointer.to(new float[] {f.p0()}), Pointer.to(new float[] {f.p1()}));
        b.launch(kernel, b.blocksFor(n), CudaBackend.THREADS, 0, s, params);
    }

    static void preluForward(CudaBackend b, CUdeviceptr x, CUdeviceptr alpha, long nAlpha, CUdeviceptr y,
                             long rows, long cols, CUstream s) {
        RowLaunches.preluForward(b, x, alpha, nAlpha, y, rows, cols, s);
    }

    static void preluBackward(CudaBackend b, CUdeviceptr x, CUdeviceptr alpha, long nAlpha, CUdeviceptr dy,
                              CUdeviceptr dx, CUdeviceptr dAlpha, long rows, long cols, CUstream s) {
        RowLaunches.preluBackward(b, x, alpha, nAlpha, dy, dx, dAlpha, rows, cols, s);
    }
}
