package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.Optimizer;
import dev.nonlin.Transpose;
import jcuda.driver.CUdeviceptr;

import java.util.List;
import java.util.Locale;

/**
 * Launches of {@code cuda/dense.cu}: the tiled SGEMM, the fused bias+activation epilogues, the
 * optimizer steps and the scale. These methods only describe a launch (kernel, grid, parameter
 * block); {@link CudaBackend#run} enqueues it on the tensor stream (the legacy default stream),
 * in order with the other tensor operations, and nothing waits for the GPU. Kernel names derive
 * from the arguments ({@link Transpose}, {@link Activation.Kind#kernelName()}), and every
 * parameter block follows its C prototype, {@code long long} for sizes; DenseLaunchesTest holds
 * names and parameter types against the PTX, which a wrong block would crash the JVM on.
 */
final class DenseLaunches {
    private DenseLaunches() {
    }

    /** The PTX module (built from {@code cuda/dense.cu}; loaded on first use). */
    static final String MODULE = "dense";
    /** Threads per SGEMM block: the kernels' launch rule. */
    static final int GEMM_THREADS = 256;
    /** The two SGEMM tiles (dense.cu): square, this many rows and columns of C per block. */
    static final int LARGE_TILE = 128;
    static final int SMALL_TILE = 64;
    /**
     * dBias: rows summed per partial. A constant, so the order of the sums (and so the bits of
     * dBias) never depends on the grid or the device. 32 rows give rows/32 · cols threads, enough
     * to fill a GPU at batch sizes of a few hundred, for partials of 1/16 of dz's size.
     */
    static final long BIAS_ROWS_PER_CHUNK = 32;

    /**
     * The tile for an m × n product: 128 × 128 when that still gives every SM a tile, else
     * 64 × 64 (4× the blocks). Both compute the same bits (dense.cu's fixed k order), so this is
     * a speed choice only.
     */
    static int tile(long m, long n, int smCount) {
        return tiles(m, n, LARGE_TILE) >= smCount ? LARGE_TILE : SMALL_TILE;
    }

    static long tiles(long m, long n, int tile) {
        return ((m + tile - 1) / tile) * ((n + tile - 1) / tile);
    }

    /** The SGEMM entry point, e.g. {@code sgemm_128x128_nt_f32}. */
    static String gemmKernel(int tile, Transpose ta, Transpose tb) {
        return "sgemm_" + tile + "x" + tile + "_" + ta.name().toLowerCase(Locale.ROOT) + tb.name().toLowerCase(Locale.ROOT)
                + "_f32";
    }

    /** Row-major {@code c = alpha·op(a)·op(b) + beta·c}, m × n, with our tiled kernel (any m, n, k ≥ 1). */
    static Launch sgemm(int smCount, Transpose ta, Transpose tb, long m, long n, long k, float alpha, CUdeviceptr a,
                        CUdeviceptr b, float beta, CUdeviceptr c) {
        int tile = tile(m, n, smCount);
        int grid = (int) Math.min(tiles(m, n, tile), Integer.MAX_VALUE);
        return new Launch(MODULE, gemmKernel(tile, ta, tb), grid, GEMM_THREADS,
                new KernelArgs().ptr(a).ptr(b).ptr(c).i64(m).i64(n).i64(k).f32(alpha).f32(beta));
    }

    /** c = beta·c over n elements (beta = 0 writes zeros without reading c). */
    static Launch scale(int smCount, CUdeviceptr c, long n, float beta) {
        return new Launch(MODULE, "scale_f32", CudaBackend.blocksFor(n, smCount), CudaBackend.THREADS,
                new KernelArgs().ptr(c).i64(n).f32(beta));
    }

    /** y = f(z + bias), bias per column. */
    static Launch biasForward(int smCount, Activation f, CUdeviceptr z, CUdeviceptr bias, CUdeviceptr y, long rows,
                              long cols) {
        return new Launch(MODULE, f.kind().kernelName() + "_bias_forward_f32", CudaBackend.blocksFor(rows * cols, smCount),
                CudaBackend.THREADS, new KernelArgs().ptr(z).ptr(bias).ptr(y).i64(rows).i64(cols).f32(f.p0()).f32(f.p1()));
    }

    /** Doubles of scratch that {@link #biasBackward} needs. */
    static long biasPartials(long rows, long cols) {
        return chunks(rows) * cols;
    }

    private static long chunks(long rows) {
        return (rows + BIAS_ROWS_PER_CHUNK - 1) / BIAS_ROWS_PER_CHUNK;
    }

    /**
     * dz = dy·f'(z + bias) and the partial column sums of dz (first launch), then dBias from them
     * in a fixed order (second launch). {@code partial} holds {@link #biasPartials} doubles.
     */
    static List<Launch> biasBackward(int smCount, Activation f, CUdeviceptr z, CUdeviceptr bias, CUdeviceptr dy,
                                     CUdeviceptr dz, CUdeviceptr dBias, CUdeviceptr partial, long rows, long cols) {
        long chunks = chunks(rows);
        return List.of(
                new Launch(MODULE, f.kind().kernelName() + "_bias_backward_f32", CudaBackend.blocksFor(chunks * cols, smCount),
                        CudaBackend.THREADS, new KernelArgs().ptr(z).ptr(bias).ptr(dy).ptr(dz).ptr(partial).i64(rows).i64(cols)
                        .i64(BIAS_ROWS_PER_CHUNK).f32(f.p0()).f32(f.p1())),
                new Launch(MODULE, "bias_grad_finish_f32", CudaBackend.blocksFor(cols, smCount), CudaBackend.THREADS,
                        new KernelArgs().ptr(partial).ptr(dBias).i64(chunks).i64(cols)));
    }

    /** One optimizer step over n elements; m and v are null where the rule keeps no such state. */
    static Launch optimizerStep(int smCount, Optimizer rule, long step, CUdeviceptr w, CUdeviceptr g, CUdeviceptr m,
                                CUdeviceptr v, long n) {
        int grid = CudaBackend.blocksFor(n, smCount);
        return switch (rule.kind()) {
            case SGD -> {
                Optimizer.Sgd s = (Optimizer.Sgd) rule;
                yield new Launch(MODULE, "sgd_step_f32", grid, CudaBackend.THREADS, new KernelArgs().ptr(w).ptr(g)
                        .ptr(m).i64(n).f32(s.lr()).f32(s.momentum()).f32(s.weightDecay()));
            }
            case ADAM -> {
                Optimizer.Adam a = (Optimizer.Adam) rule;
                // the bias corrections in double, rounded once, as OptimizerMath computes them
                float c1 = (float) (1.0 - Math.pow(a.beta1(), step));
                float c2 = (float) (1.0 - Math.pow(a.beta2(), step));
                yield new Launch(MODULE, "adam_step_f32", grid, CudaBackend.THREADS, new KernelArgs().ptr(w).ptr(g).ptr(m).ptr(v)
                        .i64(n).f32(a.lr()).f32(a.beta1()).f32(a.beta2()).f32(a.eps()).f32(a.weightDecay()).f32(c1)
                        .f32(c2));
            }
        };
    }
}
