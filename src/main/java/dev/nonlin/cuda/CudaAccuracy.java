package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.NonlinException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * {@code nonlin accuracy --exhaustive} on CUDA: float bit patterns through the shipped elementwise
 * kernels, checked on the device against the double math the kernels round
 * ({@code cuda/accuracy.cu} says what that does and does not prove). Per chunk of patterns:
 *
 * <pre>
 *   accuracy_inputs_f32          x  = the chunk's bit patterns
 *   Launches.forward             y  = f(x)                  the kernel under test, as the backend launches it
 *   accuracy_forward_f32         per block: worst ULP error of y and its index
 *   cuMemsetD32 / accuracy_dy_f32  dy = 1, then the random dy (Accuracy.randomDy's twin)
 *   Launches.backward            dx = dy·f'(x)              the kernel under test
 *   accuracy_backward_f32        per block: worst error beyond the slack, and its index
 * </pre>
 *
 * The host takes the best of the per-block pairs (largest error, ties to the smaller index), so
 * the result names the same element as the CPU path for the same errors. Everything runs on the
 * legacy default stream, in order, like tensor operations; the synchronous copy of the per-block
 * results waits for it. All device memory is freed before returning, also on failure.
 */
public final class CudaAccuracy {
    private CudaAccuracy() {
    }

    /** The tool module with the kernels above. */
    static final String MODULE = "accuracy";
    /** Bit patterns per chunk at most: 2²⁶, so four buffers take 1 GiB. */
    static final long MAX_CHUNK = 1L << 26;
    /** Threads per block of the check kernels: a power of two ≤ 256 (their shared arrays' size). */
    static final int THREADS = 256;
    /** Every float bit pattern. */
    static final long ALL_BITS = 1L << 32;

    /** The worst element of one measure: its error in ULP (−1 when nothing was checked) and its bit pattern. */
    public record Worst(double ulps, long index) {
    }

    /** Forward, backward at dy = 1, backward at the random dy. */
    public record Result(Worst forward, Worst backwardUnitDy, Worst backwardRandomDy) {
    }

    /**
     * Checks f on the bit patterns [start, start + count).
     *
     * @param backend  the CUDA backend (from {@code Backends.cuda()} or {@code auto()})
     * @param f        an elementwise function (PReLU with its record's α)
     * @param seed     the random dy's seed ({@code dev.nonlin.cli.Accuracy.randomDy})
     * @param progress told the patterns done so far after each chunk; may be null
     * @throws IllegalArgumentException for another backend, a row-wise function or a range outside [0, 2³²)
     * @throws CudaError                when the device fails
     * @throws NonlinException          when the accuracy module is missing from the jar or does not load
     */
    public static Result exhaustive(Backend backend, Activation f, long start, long count, long seed,
                                    LongConsumer progress) {
        if (!(backend instanceof CudaBackend b)) {
            throw new IllegalArgumentException("not a CUDA backend: " + (backend == null ? null : backend.name()));
        }
        if (f == null || f.rowWise()) {
            throw new IllegalArgumentException("an elementwise function is required, got " + f);
        }
        if (start < 0 || count < 0 || start > ALL_BITS - count) {
            throw new IllegalArgumentException("bit patterns [" + start + ", " + start + " + " + count
                    + ") are not within [0, 2^32)");
        }
        Result[] out = new Result[1];
        b.guard("accuracy " + f, () -> out[0] = run(b, f, start, count, seed, progress));
        return out[0];
    }

    private static Result run(CudaBackend b, Activation f, long start, long count, long seed, LongConsumer progress) {
        CudaDevice dev = b.dev;
        dev.makeCurrent();
        try {
            for (String kernel : KERNELS) {
                dev.function(MODULE, kernel);
            }
        } catch (IllegalStateException e) {
            throw new NonlinException("the accuracy kernels are unavailable: " + e.getMessage());
        }
        long chunk = chunkFor(b, count);
        int grid = checkGrid(dev.smCount, chunk);
        int sms = dev.smCount;
        List<CUdeviceptr> owned = new ArrayList<>();
        try {
            CUdeviceptr x = alloc(owned, chunk * Float.BYTES);
            CUdeviceptr y = alloc(owned, chunk * Float.BYTES);
            CUdeviceptr dy = alloc(owned, chunk * Float.BYTES);
            CUdeviceptr dx = alloc(owned, chunk * Float.BYTES);
            CUdeviceptr err = alloc(owned, (long) grid * Double.BYTES);
            CUdeviceptr index = alloc(owned, (long) grid * Long.BYTES);
            Best fwd = new Best();
            Best unit = new Best();
            Best random = new Best();
            for (long off = 0; off < count; off += chunk) {
                long s = start + off;
                long n = Math.min(chunk, count - off);
                b.run(inputs(sms, x, s, n), Launches.forward(sms, f, x, y, 1, n));
                fwd.merge(check(b, forwardCheck(grid, f, y, s, n, err, index), err, index));
                Cuda.call("cuMemsetD32 dy = 1", () -> JCudaDriver.cuMemsetD32(dy, Float.floatToRawIntBits(1f), n));
                b.run(Launches.backward(sms, f, x, dy, dx, 1, n));
                unit.merge(check(b, backwardCheck(grid, f, dx, dy, s, n, err, index), err, index));
                b.run(randomDy(sms, dy, s, n, seed), Launches.backward(sms, f, x, dy, dx, 1, n));
                random.merge(check(b, backwardCheck(grid, f, dx, dy, s, n, err, index), err, index));
                if (progress != null) {
                    progress.accept(off + n);
                }
            }
            return new Result(fwd.worst(), unit.worst(), random.worst());
        } finally {
            for (CUdeviceptr p : owned) {
                Cuda.quietly("cuMemFree", () -> JCudaDriver.cuMemFree(p));
            }
        }
    }

    // ------------------------------------------------------------------ the launches (LaunchesPtxTest checks them)

    /** The tool module's kernels. */
    static final List<String> KERNELS = List.of("accuracy_inputs_f32", "accuracy_dy_f32", "accuracy_forward_f32",
            "accuracy_backward_f32");

    /** Blocks of the check kernels for a chunk: one result pair per block. */
    static int checkGrid(int smCount, long chunk) {
        return (int) Math.max(1, Math.min((chunk + THREADS - 1) / THREADS, (long) smCount * 8));
    }

    /** x = the bit patterns [s, s + n). */
    static Launch inputs(int smCount, CUdeviceptr x, long s, long n) {
        return new Launch(MODULE, "accuracy_inputs_f32", CudaBackend.blocksFor(n, smCount), THREADS,
                new KernelArgs().ptr(x).i64(s).i64(n));
    }

    /** dy = the random dy of patterns [s, s + n) (Accuracy.randomDy's twin). */
    static Launch randomDy(int smCount, CUdeviceptr dy, long s, long n, long seed) {
        return new Launch(MODULE, "accuracy_dy_f32", CudaBackend.blocksFor(n, smCount), THREADS,
                new KernelArgs().ptr(dy).i64(s).i64(n).i64(seed));
    }

    /** Per block: the worst ULP error of y = f(x) and its index, into err[block] and index[block]. */
    static Launch forwardCheck(int grid, Activation f, CUdeviceptr y, long s, long n, CUdeviceptr err,
                               CUdeviceptr index) {
        return new Launch(MODULE, "accuracy_forward_f32", grid, THREADS, new KernelArgs().ptr(y).i64(s).i64(n)
                .i32(f.kind().ordinal()).f32(f.p0()).f32(f.p1()).ptr(err).ptr(index));
    }

    /** Per block: the worst error of dx against dy·f'(x) beyond the slack, and its index. */
    static Launch backwardCheck(int grid, Activation f, CUdeviceptr dx, CUdeviceptr dy, long s, long n,
                                CUdeviceptr err, CUdeviceptr index) {
        return new Launch(MODULE, "accuracy_backward_f32", grid, THREADS, new KernelArgs().ptr(dx).ptr(dy).i64(s)
                .i64(n).i32(f.kind().ordinal()).f32(f.p0()).f32(f.p1()).ptr(err).ptr(index));
    }

    /**
     * Runs one check kernel and reduces its per-block results. err is poisoned with NaN first
     * (all bits set), so a block that wrote nothing, say after a launch with a bad block size,
     * fails here instead of passing as "no error".
     */
    private static Best check(CudaBackend b, Launch l, CUdeviceptr err, CUdeviceptr index) {
        String name = l.kernel();
        int grid = l.grid();
        Cuda.call("cuMemsetD32 " + name + " err", () -> JCudaDriver.cuMemsetD32(err, 0xFFFFFFFF, 2L * grid));
        b.run(l);
        double[] e = new double[grid];
        long[] i = new long[grid];
        // Synchronous copies on the legacy stream: they wait for the kernel. A few KiB, so a heap
        // array (pinned by JCuda for the call) is fine.
        Cuda.call("cuMemcpyDtoH " + name + " err", () -> JCudaDriver.cuMemcpyDtoH(Pointer.to(e), err,
                (long) grid * Double.BYTES));
        Cuda.call("cuMemcpyDtoH " + name + " index", () -> JCudaDriver.cuMemcpyDtoH(Pointer.to(i), index,
                (long) grid * Long.BYTES));
        Best best = new Best();
        for (int k = 0; k < grid; k++) {
            if (Double.isNaN(e[k])) {
                throw new IllegalStateException(name + ": block " + k + " of " + grid + " wrote no result");
            }
            best.offer(e[k], i[k]);
        }
        if (best.err < 0) {
            throw new IllegalStateException(name + " checked no element (op code not elementwise?)");
        }
        return best;
    }

    /** The chunk: at most MAX_CHUNK patterns, and the four buffers in at most half the free memory. */
    private static long chunkFor(CudaBackend b, long count) {
        long free = b.memoryInfo()[0];
        long fit = Long.highestOneBit(Math.max(1, free / 2 / (4L * Float.BYTES)));
        return Math.max(1, Math.min(Math.min(MAX_CHUNK, fit), count));
    }

    private static CUdeviceptr alloc(List<CUdeviceptr> owned, long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        Cuda.call("cuMemAlloc " + bytes + " bytes", () -> JCudaDriver.cuMemAlloc(p, bytes));
        owned.add(p);
        return p;
    }

    /** The host's side of the reduction: the largest error, ties to the smaller index (nonlin::better). */
    private static final class Best {
        double err = -1;
        long index = Long.MAX_VALUE;

        void offer(double e, long i) {
            if (e > err || (e == err && i < index)) {
                err = e;
                index = i;
            }
        }

        void merge(Best o) {
            offer(o.err, o.index);
        }

        Worst worst() {
            return new Worst(err, err < 0 ? -1 : index);
        }
    }
}
