package dev.nonlin.cuda;

import dev.nonlin.Activation.Kind;
import jcuda.driver.CUdeviceptr;

import java.util.List;

/**
 * Launches of the row-wise kernels ({@code cuda/softmax.cu}) and of PReLU with a learned α
 * ({@code cuda/prelu.cu}). The launch rules are the kernels' own (see the comments at the top of
 * each file); they are restated here where the Java side chooses a geometry.
 */
final class RowLaunches {
    private RowLaunches() {
    }

    /** The PTX modules (built from {@code cuda/softmax.cu} and {@code cuda/prelu.cu}). */
    static final String MODULE = "softmax";
    static final String PRELU_MODULE = "prelu";
    /** Rows up to this long get one warp each (softmax.cu's WARP_ROW_MAX), longer ones a block. */
    static final long WARP_ROW_MAX = 1024;
    /** Block size for the row-wise kernels: a multiple of 32. */
    static final int ROW_THREADS = 256;
    /** dα per channel: rows summed per partial. A constant, so the summation order never depends on the device. */
    static final long ROWS_PER_CHUNK = 256;
    /** dα with one α: elements per partial, and the (power-of-two) block size that sums them. */
    static final long SINGLE_CHUNK = 65536;
    static final int SINGLE_THREADS = 256;

    /** The grid for {@code rows} rows of {@code cols}: a warp per row up to WARP_ROW_MAX, else a block per row; capped per SM. */
    static int rowGrid(int smCount, long rows, long cols) {
        long want = cols <= WARP_ROW_MAX ? (rows + ROW_THREADS / 32 - 1) / (ROW_THREADS / 32) : rows;
        long cap = (long) smCount * (cols <= WARP_ROW_MAX ? 32 : 8);
        return (int) Math.max(1, Math.min(want, cap));
    }

    static Launch forward(int smCount, Kind k, CUdeviceptr x, CUdeviceptr y, long rows, long cols) {
        return new Launch(MODULE, k.kernelName() + "_forward_f32", rowGrid(smCount, rows, cols), ROW_THREADS,
                new KernelArgs().ptr(x).ptr(y).i64(rows).i64(cols));
    }

    static Launch backward(int smCount, Kind k, CUdeviceptr x, CUdeviceptr dy, CUdeviceptr dx, long rows, long cols) {
        return rowBackward(smCount, k.kernelName() + "_backward_f32", x, dy, dx, rows, cols);
    }

    static Launch backwardFromOutput(int smCount, Kind k, CUdeviceptr y, CUdeviceptr dy, CUdeviceptr dx, long rows,
                                     long cols) {
        return rowBackward(smCount, k.kernelName() + "_backward_from_output_f32", y, dy, dx, rows, cols);
    }

    private static Launch rowBackward(int smCount, String kernel, CUdeviceptr in, CUdeviceptr dy, CUdeviceptr dx,
                                      long rows, long cols) {
        return new Launch(MODULE, kernel, rowGrid(smCount, rows, cols), ROW_THREADS,
                new KernelArgs().ptr(in).ptr(dy).ptr(dx).i64(rows).i64(cols));
    }

    // ------------------------------------------------------------------ PReLU with a learned α

    static Launch preluForward(int smCount, CUdeviceptr x, CUdeviceptr alpha, long nAlpha, CUdeviceptr y, long rows,
                               long cols) {
        long n = rows * cols;
        return new Launch(PRELU_MODULE, "prelu_alpha_forward_f32", CudaBackend.blocksFor(n, smCount),
                CudaBackend.THREADS, new KernelArgs().ptr(x).ptr(alpha).ptr(y).i64(n).i64(cols).i64(nAlpha));
    }

    /** Doubles of scratch that {@link #preluBackward} needs for its partial sums of dα. */
    static long preluPartials(long rows, long cols, long nAlpha) {
        return Math.max(1, nAlpha == 1 ? chunks(rows * cols, SINGLE_CHUNK) : chunks(rows, ROWS_PER_CHUNK) * cols);
    }

    private static long chunks(long n, long per) {
        return (n + per - 1) / per;
    }

    /**
     * dα first (two launches through {@code partial}, {@link #preluPartials} doubles, summed in a
     * fixed order), then dx, which may overwrite x or dy. On the tensor stream only: the caller's
     * scratch is reused in stream order (see DeviceScratch).
     */
    static List<Launch> preluBackward(int smCount, CUdeviceptr x, CUdeviceptr alpha, long nAlpha, CUdeviceptr dy,
                                      CUdeviceptr dx, CUdeviceptr dAlpha, CUdeviceptr partial, long rows, long cols) {
        long n = rows * cols;
        Launch partials;
        Launch finish;
        if (nAlpha == 1) {
            long chunks = chunks(n, SINGLE_CHUNK);
            partials = new Launch(PRELU_MODULE, "prelu_dalpha_single_partial_f32",
                    (int) Math.max(1, Math.min(chunks, (long) smCount * 8)), SINGLE_THREADS,
                    new KernelArgs().ptr(x).ptr(dy).ptr(partial).i64(n).i64(SINGLE_CHUNK));
            finish = new Launch(PRELU_MODULE, "prelu_dalpha_single_finish_f32", 1, SINGLE_THREADS,
                    new KernelArgs().ptr(partial).ptr(dAlpha).i64(chunks));
        } else {
            long chunks = chunks(rows, ROWS_PER_CHUNK);
            partials = new Launch(PRELU_MODULE, "prelu_dalpha_channels_partial_f32",
                    CudaBackend.blocksFor(chunks * cols, smCount), CudaBackend.THREADS,
                    new KernelArgs().ptr(x).ptr(dy).ptr(partial).i64(rows).i64(cols).i64(ROWS_PER_CHUNK));
            finish = new Launch(PRELU_MODULE, "prelu_dalpha_channels_finish_f32", CudaBackend.blocksFor(cols, smCount),
                    CudaBackend.THREADS, new KernelArgs().ptr(partial).ptr(dAlpha).i64(chunks).i64(cols));
        }
        Launch dxLaunch = new Launch(PRELU_MODULE, "prelu_alpha_backward_f32", CudaBackend.blocksFor(n, smCount),
                CudaBackend.THREADS, new KernelArgs().ptr(x).ptr(alpha).ptr(dy).ptr(dx).i64(n).i64(cols).i64(nAlpha));
        return List.of(partials, finish, dxLaunch);
    }
}
