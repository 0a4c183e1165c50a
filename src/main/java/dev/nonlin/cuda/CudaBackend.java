package dev.nonlin.cuda;

import dev.nonlin.AbstractBackend;
import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.Tensor;
import dev.nonlin.cpu.CpuBackend;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.lang.System.Logger.Level;
import java.nio.FloatBuffer;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CUDA backend: JCuda's driver API on the device's primary context.
 *
 * <ul>
 *   <li>Tensors are device memory; operations on them are launched on the legacy default stream,
 *       in order, and {@link Tensor#copyTo} waits for them.
 *   <li>Host arrays go through pinned staging buffers in chunks over two streams, so that the
 *       copies in both directions overlap the kernels ({@link Staging}). Arrays larger than the
 *       device's memory are fine: only two chunks per stream live there at a time.
 *   <li>A sticky CUDA error (an illegal address, say) marks the backend broken: {@code auto}
 *       stops choosing it, and host-array calls, including the one that failed, complete on the
 *       CPU. Tensor calls cannot (their data is on the device) and throw {@link CudaError}.
 * </ul>
 */
public final class CudaBackend extends AbstractBackend {
    private static final System.Logger LOG = System.getLogger("dev.nonlin");

    /** Floats per staging buffer: 4 MiB, large enough to hide the per-copy latency. */
    static final int CHUNK = 1 << 20;
    /** Threads per block for the elementwise kernels. */
    static final int THREADS = 256;
    /** Staging sets kept for concurrent host-array calls; more callers wait for one. */
    static final int MAX_STAGING = 4;

    final CudaDevice dev;
    private final Backend cpu = CpuBackend.get();
    private final AtomicLong bytesInUse = new AtomicLong();
    private final ConcurrentLinkedDeque<Staging> staging = new ConcurrentLinkedDeque<>();
    private final Semaphore stagingPermits = new Semaphore(MAX_STAGING);
    private volatile String broken;

    CudaBackend(CudaDevice dev) {
        this.dev = dev;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return "cuda: " + dev.describe();
    }

    @Override
    public String toString() {
        return description();
    }

    /** Bytes of device memory held by live tensors of this backend. */
    public long bytesInUse() {
        return bytesInUse.get();
    }

    /** Free and total device memory, as the driver reports them. */
    public long[] memoryInfo() {
        dev.makeCurrent();
        long[] free = new long[1];
        long[] total = new long[1];
        Cuda.call("cuMemGetInfo", () -> JCudaDriver.cuMemGetInfo(free, total));
        return new long[] {free[0], total[0]};
    }

    /** Waits for every operation launched on tensors so far. */
    @Override
    public void synchronize() {
        guard("cuCtxSynchronize", () -> {
            dev.makeCurrent();
            Cuda.call("cuCtxSynchronize", JCudaDriver::cuCtxSynchronize);
        });
    }

    /** Why this backend stopped serving (a sticky CUDA error), or null while it is healthy. */
    public String brokenReason() {
        return broken;
    }

    // ------------------------------------------------------------------ tensors

    @Override
    protected Tensor allocateChecked(long rows, long cols) {
        CudaTensor t = alloc(rows, cols);
        guard("cuMemsetD32", t::zero);
        return t;
    }

    @Override
    protected Tensor tensorChecked(float[] data, long rows, long cols) {
        CudaTensor t = alloc(rows, cols);
        try {
            t.copyFrom(data, 0);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    private CudaTensor alloc(long rows, long cols) {
        long bytes = Math.max(1, rows * cols) * Float.BYTES;
        CUdeviceptr p = new CUdeviceptr();
        guard("cuMemAlloc " + bytes, () -> {
            dev.makeCurrent();
            Cuda.call("cuMemAlloc " + bytes + " bytes", () -> JCudaDriver.cuMemAlloc(p, bytes));
        });
        bytesInUse.addAndGet(rows * cols * Float.BYTES);
        return new CudaTensor(this, p, rows, cols);
    }

    /** Called once per tensor, from close() or the cleaner. */
    void free(CUdeviceptr p, long bytes) {
        bytesInUse.addAndGet(-bytes);
        try {
            dev.makeCurrent();
            JCudaDriver.cuMemFree(p);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "nonlin: cuMemFree failed: {0}", e.toString());
        }
    }

    @Override
    protected void forwardTensor(Activation f, Tensor x, Tensor y) {
        guard("forward " + f, () -> {
            dev.makeCurrent();
            Launches.forward(this, f, ptr(x), ptr(y), x.rows(), x.cols(), null);
        });
    }

    @Override
    protected void backwardTensor(Activation f, Tensor x, Tensor dy, Tensor dx) {
        guard("backward " + f, () -> {
            dev.makeCurrent();
            Launches.backward(this, f, ptr(x), ptr(dy), ptr(dx), x.rows(), x.cols(), null);
        });
    }

    @Override
    protected void backwardFromOutputTensor(Activation f, Tensor y, Tensor dy, Tensor dx) {
        guard("backwardFromOutput " + f, () -> {
            dev.makeCurrent();
            Launches.backwardFromOutput(this, f, ptr(y), ptr(dy), ptr(dx), y.rows(), y.cols(), null);
        });
    }

    @Override
    protected void preluForwardTensor(Tensor x, Tensor alpha, Tensor y) {
        guard("prelu forward", () -> {
            dev.makeCurrent();
            Launches.preluForward(this, ptr(x), ptr(alpha), alpha.size(), ptr(y), x.rows(), x.cols(), null);
        });
    }

    @Override
    protected void preluBackwardTensor(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha) {
        guard("prelu backward", () -> {
            dev.makeCurrent();
            Launches.preluBackward(this, ptr(x), ptr(alpha), alpha.size(), ptr(dy), ptr(dx), ptr(dAlpha),
                    x.rows(), x.cols(), null);
        });
    }

    private static CUdeviceptr ptr(Tensor t) {
        return ((CudaTensor) t).ptr;
    }

    // ------------------------------------------------------------------ host arrays

    @Override
    protected void forwardArray(Activation f, float[] x, int xo, float[] y, int yo, int rows, int cols) {
        if (broken != null) {
            cpu.forward(f, x, xo, y, yo, rows, cols);
            return;
        }
        try {
            stream(f, x, xo, null, 0, y, yo, rows, cols,
                    (s, in0, in1, out, r, c) -> Launches.forward(this, f, in0, out, r, c, s));
        } catch (CudaError e) {
            fallBack("forward " + f, e);
            cpu.forward(f, x, xo, y, yo, rows, cols);
        }
    }

    @Override
    protected void backwardArray(Activation f, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo,
                                 int rows, int cols) {
        if (broken != null) {
            cpu.backward(f, x, xo, dy, dyo, dx, dxo, rows, cols);
            return;
        }
        try {
            stream(f, x, xo, dy, dyo, dx, dxo, rows, cols,
                    (s, in0, in1, out, r, c) -> Launches.backward(this, f, in0, in1, out, r, c, s));
        } catch (CudaError e) {
            fallBack("backward " + f, e);
            cpu.backward(f, x, xo, dy, dyo, dx, dxo, rows, cols);
        }
    }

    @Override
    protected void backwardFromOutputArray(Activation f, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo,
                                           int rows, int cols) {
        if (broken != null) {
            cpu.backwardFromOutput(f, y, yo, dy, dyo, dx, dxo, rows, cols);
            return;
        }
        try {
            stream(f, y, yo, dy, dyo, dx, dxo, rows, cols,
                    (s, in0, in1, out, r, c) -> Launches.backwardFromOutput(this, f, in0, in1, out, r, c, s));
        } catch (CudaError e) {
            fallBack("backwardFromOutput " + f, e);
            cpu.backwardFromOutput(f, y, yo, dy, dyo, dx, dxo, rows, cols);
        }
    }

    /**
     * PReLU on host arrays goes through temporary device tensors: α and dα are small, and dα's
     * reduction must see every row at once to stay deterministic.
     */
    @Override
    protected void preluForwardArray(float[] x, int xo, float[] alpha, float[] y, int yo, int rows, int cols) {
        if (broken != null) {
            cpu.preluForward(x, xo, alpha, y, yo, rows, cols);
            return;
        }
        try (Tensor tx = allocate(rows, cols); Tensor ta = allocate(1, alpha.length); Tensor ty = allocate(rows, cols)) {
            upload(x, xo, ptr(tx), (long) rows * cols);
            ta.copyFrom(alpha, 0);
            preluForward(tx, ta, ty);
            download(ptr(ty), y, yo, (long) rows * cols);
        } catch (CudaError e) {
            fallBack("prelu forward", e);
            cpu.preluForward(x, xo, alpha, y, yo, rows, cols);
        }
    }

    @Override
    protected void preluBackwardArray(float[] x, int xo, float[] alpha, float[] dy, int dyo, float[] dx, int dxo,
                                      float[] dAlpha, int rows, int cols) {
        if (broken != null) {
            cpu.preluBackward(x, xo, alpha, dy, dyo, dx, dxo, dAlpha, rows, cols);
            return;
        }
        long n = (long) rows * cols;
        try (Tensor tx = allocate(rows, cols); Tensor ta = allocate(1, alpha.length);
             Tensor tdy = allocate(rows, cols); Tensor tdx = allocate(rows, cols); Tensor tda = allocate(1, alpha.length)) {
            upload(x, xo, ptr(tx), n);
            ta.copyFrom(alpha, 0);
            upload(dy, dyo, ptr(tdy), n);
            preluBackward(tx, ta, tdy, tdx, tda);
            download(ptr(tdx), dx, dxo, n);
            tda.copyTo(dAlpha, 0);
        } catch (CudaError e) {
            fallBack("prelu backward", e);
            cpu.preluBackward(x, xo, alpha, dy, dyo, dx, dxo, dAlpha, rows, cols);
        }
    }

    /** A kernel launch over one chunk, on a given stream. */
    @FunctionalInterface
    interface ChunkOp {
        void launch(CUstream s, CUdeviceptr in0, CUdeviceptr in1, CUdeviceptr out, long rows, long cols);
    }

    /**
     * The pipelined host path: chunks of whole rows (elementwise functions see one long row)
     * alternate between two streams. While stream A runs chunk i, the CPU fills stream B's pinned
     * buffer with chunk i+1; a stream's buffers are reused only after it has drained.
     */
    private void stream(Activation f, float[] a, int ao, float[] b, int bo, float[] out, int oo, int rows, int cols,
                        ChunkOp op) {
        long n = (long) rows * cols;
        boolean rowWise = f.rowWise();
        // row-wise functions need whole rows in a chunk; a row longer than CHUNK gets a one-off buffer
        long per = rowWise ? Math.max(1, CHUNK / cols) * cols : CHUNK;
        Staging st = borrow((int) Math.max(per, Math.min(n, CHUNK)));
        try {
            dev.makeCurrent();
            long[] pendingOff = {-1, -1};
            int[] pendingLen = new int[2];
            int chunk = 0;
            for (long off = 0; off < n; off += per, chunk++) {
                int s = chunk & 1;
                int len = (int) Math.min(per, n - off);
                if (pendingOff[s] >= 0) {
                    drain(st, s, out, oo, pendingOff[s], pendingLen[s]);
                    pendingOff[s] = -1;
                }
                CUstream stream = st.streams[s];
                fill(st.host[s][0], a, ao + (int) off, len);
                long bytes = (long) len * Float.BYTES;
                Cuda.call("cuMemcpyHtoDAsync", () -> JCudaDriver.cuMemcpyHtoDAsync(st.dev[s][0], st.hostPtr[s][0], bytes, stream));
                if (b != null) {
                    fill(st.host[s][1], b, bo + (int) off, len);
                    Cuda.call("cuMemcpyHtoDAsync", () -> JCudaDriver.cuMemcpyHtoDAsync(st.dev[s][1], st.hostPtr[s][1], bytes, stream));
                }
                long r = rowWise ? len / cols : 1;
                long c = rowWise ? cols : len;
                op.launch(stream, st.dev[s][0], st.dev[s][1], st.dev[s][2], r, c);
                Cuda.call("cuMemcpyDtoHAsync", () -> JCudaDriver.cuMemcpyDtoHAsync(st.hostPtr[s][2], st.dev[s][2], bytes, stream));
                pendingOff[s] = off;
                pendingLen[s] = len;
            }
            for (int s = 0; s < Staging.STREAMS; s++) {
                if (pendingOff[s] >= 0) {
                    drain(st, s, out, oo, pendingOff[s], pendingLen[s]);
                }
            }
            give(st);
        } catch (RuntimeException e) {
            discard(st);   // its streams may still hold work: never reuse it
            throw e;
        }
    }

    private static void fill(FloatBuffer dst, float[] src, int off, int len) {
        dst.clear();
        dst.put(src, off, len);
    }

    private static void drain(Staging st, int s, float[] out, int oo, long off, int len) {
        Cuda.call("cuStreamSynchronize", () -> JCudaDriver.cuStreamSynchronize(st.streams[s]));
        FloatBuffer h = st.host[s][2];
        h.clear();
        h.get(out, oo + (int) off, len);
    }

    /** Host → device through staging (used by tensors); waits for the tensor operations launched before it. */
    void upload(float[] src, int srcOffset, CUdeviceptr dst, long n) {
        guard("upload", () -> {
            Staging st = borrow((int) Math.min(n, CHUNK));
            try {
                dev.makeCurrent();
                // Staging streams do not synchronise with the legacy default stream that tensor
                // operations (and allocate's memset) use: wait for those, or a pending memset could
                // land after this copy.
                Cuda.call("cuCtxSynchronize", JCudaDriver::cuCtxSynchronize);
                CUstream stream = st.streams[0];
                for (long off = 0; off < n; off += st.capacity) {
                    int len = (int) Math.min(st.capacity, n - off);
                    fill(st.host[0][0], src, srcOffset + (int) off, len);
                    long bytes = (long) len * Float.BYTES;
                    CUdeviceptr d = dst.withByteOffset(off * Float.BYTES);
                    Cuda.call("cuMemcpyHtoDAsync", () -> JCudaDriver.cuMemcpyHtoDAsync(d, st.hostPtr[0][0], bytes, stream));
                    Cuda.call("cuStreamSynchronize", () -> JCudaDriver.cuStreamSynchronize(stream));
                }
                give(st);
            } catch (RuntimeException e) {
                discard(st);
                throw e;
            }
        });
    }

    /** Device → host through staging; waits for the tensor operations launched before it. */
    void download(CUdeviceptr src, float[] dst, int dstOffset, long n) {
        guard("download", () -> {
            Staging st = borrow((int) Math.min(n, CHUNK));
            try {
                dev.makeCurrent();
                Cuda.call("cuCtxSynchronize", JCudaDriver::cuCtxSynchronize);   // tensor ops run on the default stream
                CUstream stream = st.streams[0];
                for (long off = 0; off < n; off += st.capacity) {
                    int len = (int) Math.min(st.capacity, n - off);
                    long bytes = (long) len * Float.BYTES;
                    CUdeviceptr d = src.withByteOffset(off * Float.BYTES);
                    Cuda.call("cuMemcpyDtoHAsync", () -> JCudaDriver.cuMemcpyDtoHAsync(st.hostPtr[0][2], d, bytes, stream));
                    Cuda.call("cuStreamSynchronize", () -> JCudaDriver.cuStreamSynchronize(stream));
                    FloatBuffer h = st.host[0][2];
                    h.clear();
                    h.get(dst, dstOffset + (int) off, len);
                }
                give(st);
            } catch (RuntimeException e) {
                discard(st);
                throw e;
            }
        });
    }

    private Staging borrow(int minCapacity) {
        try {
            stagingPermits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a CUDA staging buffer", e);
        }
        try {
            int want = Math.max(minCapacity, 1);
            for (Staging s : staging) {
                if (s.capacity >= want && staging.remove(s)) {
                    return s;
                }
            }
            dev.makeCurrent();
            // Pooled sets are all CHUNK-sized, so the pool never holds more than MAX_STAGING of them;
            // a longer softmax row gets a one-off set, closed after the call.
            return new Staging(dev, Math.max(want, CHUNK));
        } catch (RuntimeException e) {
            stagingPermits.release();
            throw e;
        }
    }

    private void give(Staging s) {
        if (s.capacity <= CHUNK) {
            staging.push(s);
        } else {
            s.close();   // a one-off for a very long row
        }
        stagingPermits.release();
    }

    private void discard(Staging s) {
        try {
            s.close();
        } catch (RuntimeException ignored) {
            // the context may be gone after a sticky error
        } finally {
            stagingPermits.release();
        }
    }

    // ------------------------------------------------------------------ errors

    /** Runs a GPU operation; a sticky error marks the backend broken before it propagates. */
    void guard(String what, Runnable r) {
        try {
            r.run();
        } catch (CudaError e) {
            if (e.sticky() && broken == null) {
                broken = what + ": " + e.getMessage();
                LOG.log(Level.ERROR, "nonlin: CUDA backend taken out of service: {0}", broken);
            }
            throw e;
        } catch (jcuda.CudaException e) {
            CudaError w = Cuda.wrap(e, what);
            if (w.sticky() && broken == null) {
                broken = what + ": " + w.getMessage();
                LOG.log(Level.ERROR, "nonlin: CUDA backend taken out of service: {0}", broken);
            }
            throw w;
        }
    }

    private void fallBack(String what, CudaError e) {
        if (e.sticky() && broken == null) {
            broken = what + ": " + e.getMessage();
        }
        LOG.log(Level.WARNING, "nonlin: {0} failed on the GPU ({1}); computed on the CPU instead", what, e.getMessage());
    }

    // ------------------------------------------------------------------ launches

    /** Grid for a grid-stride elementwise kernel over n elements, 4 per thread per step. */
    int blocksFor(long n) {
        long per = THREADS * 4L;
        long want = (n + per - 1) / per;
        long cap = (long) dev.smCount * 32;
        return (int) Math.max(1, Math.min(want, cap));
    }

    void launch(String kernel, int blocks, int threads, int sharedBytes, CUstream s, Pointer params) {
        CUfunction fn = dev.function(kernel);
        Cuda.call("cuLaunchKernel " + kernel, () -> JCudaDriver.cuLaunchKernel(fn, blocks, 1, 1, threads, 1, 1,
                sharedBytes, s, params, null));
    }
}
