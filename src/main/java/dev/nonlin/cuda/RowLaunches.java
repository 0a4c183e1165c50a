package dev.nonlin.cuda;

import dev.nonlin.Activation.Kind;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * Launches of the row-wise kernels ({@code cuda/softmax.cu}) and of PReLU with a learned α
 * ({@code cuda/prelu.cu}). The launch rules are the kernels' own (see the comments at the top of
 * each file); they are restated here where the Java side chooses a geometry.
 */
final class RowLaunches {
    private RowLaunches() {
    }

    /** Rows up to this long get one warp each (softmax.cu's WARP_ROW_MAX), longer ones a block. */
    static final long WARP_ROW_MAX = 1024;
    /** Block size for the row-wise kernels: a multiple of 32. */
    static final int ROW_THREADS = 256;
    /** dα per channel: rows summed per partial. A constant, so the summation order never depends on the device. */
    static final long ROWS_PER_CHUNK = 256;
    /** dα with one α: elements per partial, and the (power-of-two) block size that sums them. */
    static final long SINGLE_CHUNK = 65536;
    static final int SINGLE_THREADS = 256;

    private static int rowGrid(CudaBackend b, long rows, long cols) {
        long want = cols <= WARP_ROW_MAX ? (rows + ROW_THREADS / 32 - 1) / (ROW_THREADS / 32) : rows;
        long cap = (long) b.dev.smCount * (cols <= WARP_ROW_MAX ? 32 : 8);
        return (int) Math.max(1, Math.min(want, cap));
    }

    static void forward(CudaBackend b, Kind k, CUdeviceptr x, CUdeviceptr y, long rows, long cols, CUstream s) {
        Pointer params = Pointer.to(Pointer.to(x), Pointer.to(y), Pointer.to(new long[] {rows}),
                Pointer.to(new long[] {cols}));
        b.launch(k.kernelName() + "_forward_f32", rowGrid(b, rows, cols), ROW_THREADS, 0, s, params);
    }

    static void backward(CudaBackend b, Kind k, CUdeviceptr x, CUdeviceptr dy, CUdeviceptr dx, long rows, long cols,
                         CUstream s) {
        rowBackward(b, k.kernelName() + "_backward_f32", x, dy, dx, rows, cols, s);
    }

    static void backwardFromOutput(CudaBackend b, Kind k, CUdeviceptr y, CUdeviceptr dy, CUdeviceptr dx, long rows,
                                   long cols, CUstream s) {
        rowBackward(b, k.kernelName() + "_backward_from_output_f32", y, dy, dx, rows, cols, s);
    }

    private static void rowBackward(CudaBackend b, String kernel, CUdeviceptr in, CUdeviceptr dy, CUdeviceptr dx,
                                    long rows, long cols, CUstream s) {
        Pointer params = Pointer.to(Pointer.to(in), Pointer.to(dy), Pointer.to(dx), Pointer.to(new long[] {rows}),
                Pointer.to(new long[] {cols}));
        b.launch(kernel, rowGrid(b, rows, cols), ROW_THREADS, 0, s, params);
    }

    // ------------------------------------------------------------------ PReLU with a learned α

    static void preluForward(CudaBackend b, CUdeviceptr x, CUdeviceptr alpha, long nAlpha, CUdeviceptr y,
                             long rows, long cols, CUstream s) {
        long n = rows * cols;
        Pointer params = Pointer.to(Pointer.to(x), Pointer.to(alpha), Pointer.to(y), Pointer.to(new long[] {n}),
                Pointer.to(new long[] {cols}), Pointer.to(new long[] {nAlpha}));
        b.launch("prelu_alpha_forward_f32", b.blocksFor(n), CudaBackend.THREADS, 0, s, params);
    }

    /**
     * dα first (two launches through the backend's scratch buffer of double partials, in a fixed
     * order), then dx, which may overwrite x or dy. Tensor-stream work only (s is null): the
     * scratch buffer is reused in stream order (see DeviceScratch).
     */
    static void preluBackward(CudaBackend b, CUdeviceptr x, CUdeviceptr alpha, long nAlpha, CUdeviceptr dy,
                              CUdeviceptr dx, CUdeviceptr dAlpha, long rows, long cols, CUstream s) {
        if (s != null) {
            throw new IllegalArgumentException("PReLU backward runs on the tensor stream only");
        }
        long n = rows * cols;
        boolean single = nAlpha == 1;
        long chunks = single ? (n + SINGLE_CHUNK - 1) / SINGLE_CHUNK : (rows + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
        long partialCount = Math.max(1, single ? chunks : chunks * cols);
        try (DeviceScratch.Lease lease = b.scratch().lease(partialCount * Double.BYTES)) {
            CUdeviceptr partial = lease.at(0);
            if (single) {
                b.launch("prelu_dalpha_single_partial_f32", (int) Math.max(1, Math.min(chunks, (long) b.dev.smCount * 8)),
                        SINGLE_THREADS, 0, s, Pointer.to(Pointer.to(x), Pointer.to(dy), Pointer.to(partial),
                                Pointer.to(new long[] {n}), Pointer.to(new long[] {SINGLE_CHUNK})));
                b.launch("prelu_dalpha_single_finish_f32", 1, SINGLE_THREADS, 0, s,
                        Pointer.to(Pointer.to(partial), Pointer.to(dAlpha), Pointer.to(new long[] {chunks})));
            } else {
                b.launch("prelu_dalpha_channels_partial_f32", b.blocksFor(chunks * cols), CudaBackend.THREADS, 0, s,
                        Pointer.to(Pointer.to(x), Pointer.to(dy), Pointer.to(partial), Pointer.to(new long[] {rows}),
                                Pointer.to(new long[] {cols}), Pointer.to(new long[] {ROWS_PER_CHUNK})));
                b.launch("prelu_dalpha_channels_finish_f32", b.blocksFor(cols), CudaBackend.THREADS, 0, s,
                        Pointer.to(Pointer.to(partial), Pointer.to(dAlpha), Pointer.to(new long[] {chunks}),
                                Pointer.to(new long[] {cols})));
            }
            b.launch("prelu_alpha_backward_f32", b.blocksFor(n), CudaBackend.THREADS, 0, s,
                    Pointer.to(Pointer.to(x), Pointer.to(alpha), Pointer.to(dy), Pointer.to(dx), Pointer.to(new long[] {n}),
                            Pointer.to(new long[] {cols}), Pointer.to(new long[] {nAlpha})));
        }
    }
}
