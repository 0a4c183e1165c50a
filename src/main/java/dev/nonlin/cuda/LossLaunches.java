package dev.nonlin.cuda;

import dev.nonlin.Loss;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * Launches of {@code cuda/losses.cu}. Everything runs on the legacy default stream, in order with
 * the tensor operations, and nothing here waits for the GPU: the loss stays in device memory
 * until someone reads it, and the partial sums live in the backend's {@link DeviceScratch}. The
 * reductions' order is fixed by {@link #CHUNK} and {@link #THREADS}
 * (constants, never the device), so a loss is the same on every run, grid and GPU.
 */
final class LossLaunches {
    private LossLaunches() {
    }

    /** Elements (or rows, or partials) per reduction chunk. */
    static final long CHUNK = 65536;
    /** Block size of the reduction kernels: a power of two. */
    static final int THREADS = 256;

    private static final CUdeviceptr NULL = new CUdeviceptr();

    private static long chunks(long n) {
        return (n + CHUNK - 1) / CHUNK;
    }

    private static int grid(CudaBackend b, long chunks) {
        return (int) Math.max(1, Math.min(chunks, (long) b.dev.smCount * 8));
    }

    /** L of an elementwise loss into {@code loss} (one float) and, when not null, {@code loss64} (one double). */
    static void forward(CudaBackend b, Loss l, CUdeviceptr z, CUdeviceptr t, long n, long cols, CUdeviceptr loss,
                        CUdeviceptr loss64) {
        long chunks = chunks(n);
        float[] w = l.columnWeights();
        long weightsAt = Math.max(1, chunks) * Double.BYTES;
        try (DeviceScratch.Lease scratch = b.scratch().lease(weightsAt + weightBytes(w))) {
            CUdeviceptr partial = scratch.at(0);
            CUdeviceptr weights = upload(w, scratch, weightsAt);
            b.launch(l.kind().kernelName() + "_loss_partial_f32", grid(b, chunks), THREADS, 0, null,
                    Pointer.to(Pointer.to(z), Pointer.to(t), Pointer.to(partial), Pointer.to(new long[] {n}),
                            Pointer.to(new long[] {CHUNK}), Pointer.to(new float[] {l.p0()}), Pointer.to(weights),
                            Pointer.to(new long[] {cols})));
            double divisor = l.reduction() == Loss.Reduction.MEAN ? n : 1.0;
            finish(b, partial, chunks, NULL, divisor, loss, loss64);
        }
    }

    /** dz = scale·∂ℓ/∂z of an elementwise loss. */
    static void backward(CudaBackend b, Loss l, CUdeviceptr z, CUdeviceptr t, long n, long cols, double dLoss,
                         CUdeviceptr dz) {
        double scale = l.reduction() == Loss.Reduction.MEAN ? dLoss / n : dLoss;
        float[] w = l.columnWeights();
        try (DeviceScratch.Lease scratch = w == null ? null : b.scratch().lease(weightBytes(w))) {
            CUdeviceptr weights = upload(w, scratch, 0);
            b.launch(l.kind().kernelName() + "_loss_backward_f32", b.blocksFor(n), CudaBackend.THREADS, 0, null,
                    Pointer.to(Pointer.to(z), Pointer.to(t), Pointer.to(dz), Pointer.to(new long[] {n}),
                            Pointer.to(new float[] {l.p0()}), Pointer.to(new double[] {scale}), Pointer.to(weights),
                            Pointer.to(new long[] {cols})));
        }
    }

    private static long weightBytes(float[] w) {
        return w == null ? 0 : (long) w.length * Float.BYTES;
    }

    /**
     * Copies the per-column weights into the leased scratch at {@code byteOffset} and returns
     * their device pointer, or the null pointer when there are none. The copy is asynchronous on
     * the tensor stream, so it lands after the kernels already queued there (earlier users of the
     * scratch) and before the loss kernel; from pageable memory the driver stages the few bytes
     * at once, so {@code w} may be dropped on return and nothing waits for the GPU.
     */
    private static CUdeviceptr upload(float[] w, DeviceScratch.Lease scratch, long byteOffset) {
        if (w == null) {
            return NULL;
        }
        CUdeviceptr d = scratch.at(byteOffset);
        Cuda.call("cuMemcpyHtoDAsync (pos_weight, " + w.length + " floats)",
                () -> JCudaDriver.cuMemcpyHtoDAsync(d, Pointer.to(w), weightBytes(w), null));
        return d;
    }

    /** Softmax cross-entropy: row losses, their deterministic sum, divided by the device-side count for a mean. */
    static void crossEntropyForward(CudaBackend b, Loss.SoftmaxCrossEntropy l, CUdeviceptr z, CUdeviceptr target,
                                    long rows, long cols, CUdeviceptr loss, CUdeviceptr loss64) {
        long chunks = chunks(rows);
        boolean mean = l.reduction() == Loss.Reduction.MEAN;
        // one scratch region each: the row losses, their partial sums, the count's partials and total
        long partialAt = rows * Double.BYTES;
        long countAt = partialAt + chunks * Double.BYTES;
        try (DeviceScratch.Lease scratch = b.scratch().lease(countAt + (chunks + 1) * Double.BYTES)) {
            CUdeviceptr rowLoss = scratch.at(0);
            CUdeviceptr partial = scratch.at(partialAt);
            rows(b, l, z, target, rows, cols, rowLoss, NULL, 0.0, NULL);
            b.launch("f64_sum_partial", grid(b, chunks), THREADS, 0, null,
                    Pointer.to(Pointer.to(rowLoss), Pointer.to(partial), Pointer.to(new long[] {rows}),
                            Pointer.to(new long[] {CHUNK})));
            CUdeviceptr divisor = mean ? count(b, l, target, rows, scratch.at(countAt)) : NULL;
            finish(b, partial, chunks, divisor, 1.0, loss, loss64);
        }
    }

    /** dz of softmax cross-entropy in one pass per row; a mean first counts the non-ignored rows on the device. */
    static void crossEntropyBackward(CudaBackend b, Loss.SoftmaxCrossEntropy l, CUdeviceptr z, CUdeviceptr target,
                                     long rows, long cols, double dLoss, CUdeviceptr dz) {
        boolean mean = l.reduction() == Loss.Reduction.MEAN;
        try (DeviceScratch.Lease scratch = b.scratch().lease((chunks(rows) + 1) * Double.BYTES)) {
            CUdeviceptr divisor = mean ? count(b, l, target, rows, scratch.at(0)) : NULL;
            rows(b, l, z, target, rows, cols, NULL, dz, dLoss, divisor);
        }
    }

    /** Counts the non-ignored rows into scratch[chunks] (partials before it); returns a pointer to the count. */
    private static CUdeviceptr count(CudaBackend b, Loss.SoftmaxCrossEntropy l, CUdeviceptr target, long rows,
                                     CUdeviceptr scratch) {
        long chunks = chunks(rows);
        CUdeviceptr total = scratch.withByteOffset(chunks * Double.BYTES);
        b.launch("class_target_count_partial", grid(b, chunks), THREADS, 0, null,
                Pointer.to(Pointer.to(target), Pointer.to(new long[] {rows}), Pointer.to(new long[] {l.ignoreIndex()}),
                        Pointer.to(scratch), Pointer.to(new long[] {CHUNK})));
        b.launch("f64_sum_finish", 1, THREADS, 0, null,
                Pointer.to(Pointer.to(scratch), Pointer.to(new long[] {chunks}), Pointer.to(total)));
        return total;
    }

    private static void rows(CudaBackend b, Loss.SoftmaxCrossEntropy l, CUdeviceptr z, CUdeviceptr target, long rows,
                             long cols, CUdeviceptr rowLoss, CUdeviceptr dz, double scale, CUdeviceptr count) {
        long want = cols <= RowLaunches.WARP_ROW_MAX ? (rows + RowLaunches.ROW_THREADS / 32 - 1) / (RowLaunches.ROW_THREADS / 32) : rows;
        long cap = (long) b.dev.smCount * (cols <= RowLaunches.WARP_ROW_MAX ? 32 : 8);
        int grid = (int) Math.max(1, Math.min(want, cap));
        b.launch("softmax_cross_entropy_rows_f32", grid, RowLaunches.ROW_THREADS, 0, null,
                Pointer.to(Pointer.to(z), Pointer.to(target), Pointer.to(new long[] {rows}), Pointer.to(new long[] {cols}),
                        Pointer.to(new long[] {l.ignoreIndex()}), Pointer.to(new float[] {l.labelSmoothing()}),
                        Pointer.to(rowLoss), Pointer.to(dz), Pointer.to(new double[] {scale}), Pointer.to(count)));
    }

    private static void finish(CudaBackend b, CUdeviceptr partial, long chunks, CUdeviceptr divisorPtr, double divisor,
                               CUdeviceptr loss, CUdeviceptr loss64) {
        b.launch("loss_finish_f32", 1, THREADS, 0, null,
                Pointer.to(Pointer.to(partial), Pointer.to(new long[] {chunks}), Pointer.to(divisorPtr),
                        Pointer.to(new double[] {divisor}), Pointer.to(loss), Pointer.to(loss64 == null ? NULL : loss64)));
    }
}
