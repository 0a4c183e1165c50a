package dev.nonlin.cuda;

import dev.nonlin.Loss;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

import java.util.List;

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

    /** The PTX module (built from {@code cuda/losses.cu}). */
    static final String MODULE = "losses";
    /** Elements (or rows, or partials) per reduction chunk. */
    static final long CHUNK = 65536;
    /** Block size of the reduction kernels: a power of two. */
    static final int THREADS = 256;

    static long chunks(long n) {
        return (n + CHUNK - 1) / CHUNK;
    }

    private static int grid(int smCount, long chunks) {
        return (int) Math.max(1, Math.min(chunks, (long) smCount * 8));
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
            b.run(partialSums(b.dev.smCount, l, z, t, partial, n, cols, weights),
                    finish(partial, chunks, null, l.reduction() == Loss.Reduction.MEAN ? n : 1.0, loss, loss64));
        }
    }

    /** dz = scale·∂ℓ/∂z of an elementwise loss. */
    static void backward(CudaBackend b, Loss l, CUdeviceptr z, CUdeviceptr t, long n, long cols, double dLoss,
                         CUdeviceptr dz) {
        double scale = l.reduction() == Loss.Reduction.MEAN ? dLoss / n : dLoss;
        float[] w = l.columnWeights();
        try (DeviceScratch.Lease scratch = w == null ? null : b.scratch().lease(weightBytes(w))) {
            CUdeviceptr weights = upload(w, scratch, 0);
            b.run(backward(b.dev.smCount, l, z, t, dz, n, scale, weights, cols));
        }
    }

    private static long weightBytes(float[] w) {
        return w == null ? 0 : (long) w.length * Float.BYTES;
    }

    /**
     * Copies the per-column weights into the leased scratch at {@code byteOffset} and returns
     * their device pointer, or null when there are none. The copy is asynchronous on
     * the tensor stream, so it lands after the kernels already queued there (earlier users of the
     * scratch) and before the loss kernel. From pageable memory the driver first waits for the
     * work queued on that stream, then stages the few bytes before it returns, so {@code w} may be
     * dropped on return; the wait costs one synchronisation per call of a loss with per-class
     * weights (keeping the weights on the device would save it).
     */
    private static CUdeviceptr upload(float[] w, DeviceScratch.Lease scratch, long byteOffset) {
        if (w == null) {
            return null;
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
            b.run(crossEntropyRows(b.dev.smCount, l, z, target, rows, cols, rowLoss, null, 0.0, null),
                    sumPartial(b.dev.smCount, rowLoss, partial, rows));
            CUdeviceptr divisor = null;
            if (mean) {
                divisor = countTotal(scratch.at(countAt), rows);
                b.run(count(b.dev.smCount, l, target, rows, scratch.at(countAt)));
            }
            b.run(finish(partial, chunks, divisor, 1.0, loss, loss64));
        }
    }

    /** dz of softmax cross-entropy in one pass per row; a mean first counts the non-ignored rows on the device. */
    static void crossEntropyBackward(CudaBackend b, Loss.SoftmaxCrossEntropy l, CUdeviceptr z, CUdeviceptr target,
                                     long rows, long cols, double dLoss, CUdeviceptr dz) {
        boolean mean = l.reduction() == Loss.Reduction.MEAN;
        try (DeviceScratch.Lease scratch = b.scratch().lease((chunks(rows) + 1) * Double.BYTES)) {
            CUdeviceptr divisor = null;
            if (mean) {
                divisor = countTotal(scratch.at(0), rows);
                b.run(count(b.dev.smCount, l, target, rows, scratch.at(0)));
            }
            b.run(crossEntropyRows(b.dev.smCount, l, z, target, rows, cols, null, dz, dLoss, divisor));
        }
    }

    // ------------------------------------------------------------------ the launches

    /** Partial sums of an elementwise loss, a chunk of CHUNK elements each (weights: null, or one per column). */
    static Launch partialSums(int smCount, Loss l, CUdeviceptr z, CUdeviceptr t, CUdeviceptr partial, long n, long cols,
                          CUdeviceptr weights) {
        return new Launch(MODULE, l.kind().kernelName() + "_loss_partial_f32", grid(smCount, chunks(n)), THREADS,
                new KernelArgs().ptr(z).ptr(t).ptr(partial).i64(n).i64(CHUNK).f32(l.p0()).ptr(weights).i64(cols));
    }

    /** dz = scale·∂ℓ/∂z of an elementwise loss. */
    static Launch backward(int smCount, Loss l, CUdeviceptr z, CUdeviceptr t, CUdeviceptr dz, long n, double scale,
                           CUdeviceptr weights, long cols) {
        return new Launch(MODULE, l.kind().kernelName() + "_loss_backward_f32", CudaBackend.blocksFor(n, smCount),
                CudaBackend.THREADS, new KernelArgs().ptr(z).ptr(t).ptr(dz).i64(n).f32(l.p0()).f64(scale).ptr(weights)
                        .i64(cols));
    }

    /** Partial sums of n doubles, a chunk of CHUNK each. */
    static Launch sumPartial(int smCount, CUdeviceptr values, CUdeviceptr partial, long n) {
        return new Launch(MODULE, "f64_sum_partial", grid(smCount, chunks(n)), THREADS,
                new KernelArgs().ptr(values).ptr(partial).i64(n).i64(CHUNK));
    }

    /**
     * Counts the non-ignored rows: partials into scratch[0, chunks), then their sum into
     * scratch[chunks] ({@link #countTotal}), in a fixed order.
     */
    static List<Launch> count(int smCount, Loss.SoftmaxCrossEntropy l, CUdeviceptr target, long rows,
                              CUdeviceptr scratch) {
        long chunks = chunks(rows);
        return List.of(
                new Launch(MODULE, "class_target_count_partial", grid(smCount, chunks), THREADS,
                        new KernelArgs().ptr(target).i64(rows).i64(l.ignoreIndex()).ptr(scratch).i64(CHUNK)),
                new Launch(MODULE, "f64_sum_finish", 1, THREADS,
                        new KernelArgs().ptr(scratch).i64(chunks).ptr(countTotal(scratch, rows))));
    }

    /** Where {@link #count} leaves the count: after its partials. */
    static CUdeviceptr countTotal(CUdeviceptr scratch, long rows) {
        return scratch.withByteOffset(chunks(rows) * Double.BYTES);
    }

    /**
     * Softmax cross-entropy, one pass per row: the row losses into rowLoss and/or dz (either may
     * be null), dz scaled by scale, divided by *count when count is not null.
     */
    static Launch crossEntropyRows(int smCount, Loss.SoftmaxCrossEntropy l, CUdeviceptr z, CUdeviceptr target,
                                   long rows, long cols, CUdeviceptr rowLoss, CUdeviceptr dz, double scale,
                                   CUdeviceptr count) {
        return new Launch(MODULE, "softmax_cross_entropy_rows_f32", RowLaunches.rowGrid(smCount, rows, cols),
                RowLaunches.ROW_THREADS, new KernelArgs().ptr(z).ptr(target).i64(rows).i64(cols).i64(l.ignoreIndex())
                .f32(l.labelSmoothing()).ptr(rowLoss).ptr(dz).f64(scale).ptr(count));
    }

    /**
     * The loss from its partials: their sum in a fixed order, divided by *divisorPtr when that is
     * not null, else by divisor; into loss (a float) and, when not null, loss64 (a double).
     */
    static Launch finish(CUdeviceptr partial, long chunks, CUdeviceptr divisorPtr, double divisor, CUdeviceptr loss,
                         CUdeviceptr loss64) {
        return new Launch(MODULE, "loss_finish_f32", 1, THREADS,
                new KernelArgs().ptr(partial).i64(chunks).ptr(divisorPtr).f64(divisor).ptr(loss).ptr(loss64));
    }
}
