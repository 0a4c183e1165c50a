package dev.nonlin.cuda;

import dev.nonlin.AbstractBackend;
import dev.nonlin.AbstractIntTensor;
import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.IntTensor;
import dev.nonlin.Loss;
import dev.nonlin.Optimizer;
import dev.nonlin.Tensor;
import dev.nonlin.Transpose;
import dev.nonlin.cpu.CpuBackend;
import dev.nonlin.cuda.HostCalls.Written;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.lang.System.Logger.Level;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

import static dev.nonlin.cuda.HostCalls.rest;
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
 *       CPU (a CUDA error that is not sticky completes its one call there too). Tensor calls
 *       cannot (their data is on the device) and throw {@link CudaError}. With
 *       {@code -Dnonlin.cuda.strict=true} host-array calls throw as well ({@link #STRICT_PROPERTY}).
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
    /** The CPU side of every host-array copy, split over a few threads ({@link HostCopy}). */
    private final HostCopy copies = HostCopy.fromProperty();
    private final DeviceScratch scratch;
    private final Object gemmLock = new Object();
    /** Guarded by gemmLock; null until the first matmul or gemmDescription(). */
    private GemmPath gemm;
    private volatile String broken;

    CudaBackend(CudaDevice dev) {
        this.dev = dev;
        this.scratch = new DeviceScratch(dev);
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

    /**
     * What a crossover measurement depends on: the GPU and the number of CPUs, e.g.
     * {@code "NVIDIA H200 (sm_90), 16 CPUs"}. A calibration file applies only where this matches.
     */
    public String machineKey() {
        return dev.name + " (sm_" + dev.ccMajor + dev.ccMinor + "), " + Runtime.getRuntime().availableProcessors() + " CPUs";
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

    // ------------------------------------------------------------------ timing (for benchmarks)

    /**
     * The device time, in seconds, of the tensor operations that {@code work} launches: CUDA
     * events recorded on the tensors' stream before and after it. This is the kernel time alone,
     * without the launch overhead seen from Java; {@code nonlin bench} reports it for device
     * tensors. {@code work} must only launch tensor operations of this backend.
     */
    public double deviceSeconds(Runnable work) {
        if (work == null) {
            throw new IllegalArgumentException("work must not be null");
        }
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        boolean[] made = new boolean[2];
        float[] ms = new float[1];
        dev.makeCurrent();
        try {
            guard("event timing", () -> {
                Cuda.call("cuEventCreate", () -> JCudaDriver.cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT));
                made[0] = true;
                Cuda.call("cuEventCreate", () -> JCudaDriver.cuEventCreate(stop, CUevent_flags.CU_EVENT_DEFAULT));
                made[1] = true;
                Cuda.call("cuEventRecord", () -> JCudaDriver.cuEventRecord(start, null));
            });
            work.run();
            guard("event timing", () -> {
                dev.makeCurrent();
                Cuda.call("cuEventRecord", () -> JCudaDriver.cuEventRecord(stop, null));
                Cuda.call("cuEventSynchronize", () -> JCudaDriver.cuEventSynchronize(stop));
                Cuda.call("cuEventElapsedTime", () -> JCudaDriver.cuEventElapsedTime(ms, start, stop));
            });
        } finally {
            dev.makeCurrentQuietly();
            if (made[1]) {
                Cuda.quietly("cuEventDestroy", () -> JCudaDriver.cuEventDestroy(stop));
            }
            if (made[0]) {
                Cuda.quietly("cuEventDestroy", () -> JCudaDriver.cuEventDestroy(start));
            }
        }
        return ms[0] / 1e3;
    }

    /**
     * The host link's limit for the host-array path: the wall time, in seconds, to copy
     * {@code h2dFloats} floats from pinned host memory to the device while {@code d2hFloats} go
     * the other way on a second stream (the two directions overlapped, as the pipeline overlaps
     * them). The median of {@code reps} timed runs after one warm-up. A forward call moves n
     * floats each way; a backward call 2n up and n down.
     *
     * @throws IllegalArgumentException when a count is negative or above 2²⁸ (pinned blocks stay
     *                                  under 2 GiB), or reps &lt; 1
     */
    public double pinnedLinkSeconds(long h2dFloats, long d2hFloats, int reps) {
        long max = 1L << 28;
        if (h2dFloats < 0 || h2dFloats > max) {
            throw new IllegalArgumentException("h2dFloats must be in [0, 2^28], got " + h2dFloats);
        }
        if (d2hFloats < 0 || d2hFloats > max) {
            throw new IllegalArgumentException("d2hFloats must be in [0, 2^28], got " + d2hFloats);
        }
        if (reps < 1) {
            throw new IllegalArgumentException("reps must be >= 1, got " + reps);
        }
        long upBytes = Math.max(1, h2dFloats) * Float.BYTES;
        long downBytes = Math.max(1, d2hFloats) * Float.BYTES;
        Pointer hostUp = new Pointer();
        Pointer hostDown = new Pointer();
        CUdeviceptr devUp = new CUdeviceptr();
        CUdeviceptr devDown = new CUdeviceptr();
        CUstream up = new CUstream();
        CUstream down = new CUstream();
        boolean[] made = new boolean[6];
        double[] t = new double[reps];
        dev.makeCurrent();
        try {
            guard("pinned link timing", () -> {
                Cuda.call("cuMemAllocHost", () -> JCudaDriver.cuMemAllocHost(hostUp, upBytes));
                made[0] = true;
                Cuda.call("cuMemAllocHost", () -> JCudaDriver.cuMemAllocHost(hostDown, downBytes));
                made[1] = true;
                Cuda.call("cuMemAlloc", () -> JCudaDriver.cuMemAlloc(devUp, upBytes));
                made[2] = true;
                Cuda.call("cuMemAlloc", () -> JCudaDriver.cuMemAlloc(devDown, downBytes));
                made[3] = true;
                Cuda.call("cuStreamCreate", () -> JCudaDriver.cuStreamCreate(up, CUstream_flags.CU_STREAM_NON_BLOCKING));
                made[4] = true;
                Cuda.call("cuStreamCreate", () -> JCudaDriver.cuStreamCreate(down, CUstream_flags.CU_STREAM_NON_BLOCKING));
                made[5] = true;
                for (int i = -1; i < reps; i++) {
                    long t0 = System.nanoTime();
                    if (h2dFloats > 0) {
                        Cuda.call("cuMemcpyHtoDAsync", () -> JCudaDriver.cuMemcpyHtoDAsync(devUp, hostUp, upBytes, up));
                    }
                    if (d2hFloats > 0) {
                        Cuda.call("cuMemcpyDtoHAsync", () -> JCudaDriver.cuMemcpyDtoHAsync(hostDown, devDown, downBytes, down));
                    }
                    Cuda.call("cuStreamSynchronize", () -> JCudaDriver.cuStreamSynchronize(up));
                    Cuda.call("cuStreamSynchronize", () -> JCudaDriver.cuStreamSynchronize(down));
                    if (i >= 0) {
                        t[i] = (System.nanoTime() - t0) / 1e9;
                    }
                }
            });
        } finally {
            dev.makeCurrentQuietly();
            if (made[5]) {
                Cuda.quietly("cuStreamDestroy", () -> JCudaDriver.cuStreamDestroy(down));
            }
            if (made[4]) {
                Cuda.quietly("cuStreamDestroy", () -> JCudaDriver.cuStreamDestroy(up));
            }
            if (made[3]) {
                Cuda.quietly("cuMemFree", () -> JCudaDriver.cuMemFree(devDown));
            }
            if (made[2]) {
                Cuda.quietly("cuMemFree", () -> JCudaDriver.cuMemFree(devUp));
            }
            if (made[1]) {
                Cuda.quietly("cuMemFreeHost", () -> JCudaDriver.cuMemFreeHost(hostDown));
            }
            if (made[0]) {
                Cuda.quietly("cuMemFreeHost", () -> JCudaDriver.cuMemFreeHost(hostUp));
            }
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    // ------------------------------------------------------------------ tensors

    @Override
    protected Tensor allocateChecked(long rows, long cols) {
        CudaTensor t = alloc(rows, cols);
        try {
            guard("cuMemsetD32", t::zero);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    @Override
    protected Tensor tensorChecked(float[] data, long rows, long cols) {
        return filled(alloc(rows, cols), t -> t.copyFrom(data, 0));
    }

    /**
     * Bytes for a rows × cols float tensor (at least one float: cuMemAlloc refuses 0 bytes). shape() has ruled
     * out a rows × cols that overflows a long; times 4 it still could, and the wrapped count would
     * get a tiny allocation that every later kernel overruns, so that is refused here.
     */
    static long deviceBytes(long rows, long cols) {
        long n = rows * cols;
        if (n > Long.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("rows × cols (" + rows + " × " + cols + " = " + n
                    + " floats) is more bytes than a device address can hold");
        }
        return Math.max(1, n) * Float.BYTES;
    }

    private CudaTensor alloc(long rows, long cols) {
        long bytes = deviceBytes(rows, cols);
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
        dev.makeCurrentQuietly();
        Cuda.quietly("cuMemFree", () -> JCudaDriver.cuMemFree(p));
    }

    @Override
    protected void copyTensor(Tensor x, Tensor y) {
        long bytes = x.size() * Float.BYTES;
        guard("copy", () -> {
            dev.makeCurrent();
            // cuMemcpyDtoDAsync on the legacy default stream (stream 0): ordered after the kernels
            // launched on tensors so far, like every tensor operation here
            Cuda.call("cuMemcpyDtoDAsync " + bytes + " bytes",
                    () -> JCudaDriver.cuMemcpyDtoDAsync(ptr(y), ptr(x), bytes, null));
        });
    }

    @Override
    protected void forwardTensor(Activation f, Tensor x, Tensor y) {
        guard("forward " + f, () -> {
            dev.makeCurrent();
            run(Launches.forward(dev.smCount, f, ptr(x), ptr(y), x.rows(), x.cols()));
        });
    }

    @Override
    protected void backwardTensor(Activation f, Tensor x, Tensor dy, Tensor dx) {
        guard("backward " + f, () -> {
            dev.makeCurrent();
            run(Launches.backward(dev.smCount, f, ptr(x), ptr(dy), ptr(dx), x.rows(), x.cols()));
        });
    }

    @Override
    protected void backwardFromOutputTensor(Activation f, Tensor y, Tensor dy, Tensor dx) {
        guard("backwardFromOutput " + f, () -> {
            dev.makeCurrent();
            run(Launches.backwardFromOutput(dev.smCount, f, ptr(y), ptr(dy), ptr(dx), y.rows(), y.cols()));
        });
    }

    @Override
    protected void preluForwardTensor(Tensor x, Tensor alpha, Tensor y) {
        guard("prelu forward", () -> {
            dev.makeCurrent();
            run(RowLaunches.preluForward(dev.smCount, ptr(x), ptr(alpha), alpha.size(), ptr(y), x.rows(), x.cols()));
        });
    }

    @Override
    protected void preluBackwardTensor(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha) {
        guard("prelu backward", () -> {
            dev.makeCurrent();
            try (DeviceScratch.Lease partial = scratch.lease(
                    RowLaunches.preluPartials(x.rows(), x.cols(), alpha.size()) * Double.BYTES)) {
                run(RowLaunches.preluBackward(dev.smCount, ptr(x), ptr(alpha), alpha.size(), ptr(dy), ptr(dx),
                        ptr(dAlpha), partial.at(0), x.rows(), x.cols()));
            }
        });
    }

    // ------------------------------------------------------------------ losses

    /**
     * Host arrays go through temporary device tensors, as PReLU's do: the reduction must see the
     * whole batch, and the loss comes back as the double the finish kernel computed. A CUDA error
     * finishes the call on the CPU (see {@link #hostCall}).
     */
    @Override
    protected double lossForwardArray(Loss loss, float[] z, int zo, float[] t, int to, int rows, int cols) {
        long n = (long) rows * cols;
        return hostCall("loss forward " + loss, false, false, w -> {
            try (Tensor tz = allocate(rows, cols); Tensor tt = allocate(rows, cols); Tensor out = allocate(1, 1)) {
                upload(z, zo, ptr(tz), n);
                upload(t, to, ptr(tt), n);
                return withLoss64("loss forward " + loss, l64 -> LossLaunches.forward(this, loss, ptr(tz), ptr(tt), n,
                        cols, ptr(out), l64));
            }
        }, from -> cpu.lossForward(loss, z, zo, t, to, rows, cols));
    }

    @Override
    protected double lossForwardArray(Loss loss, float[] z, int zo, int[] target, int to, int rows, int cols) {
        return hostCall("loss forward " + loss, false, false, w -> {
            try (Tensor tz = allocate(rows, cols); IntTensor tg = intTensor(Arrays.copyOfRange(target, to, to + rows));
                 Tensor out = allocate(1, 1)) {
                upload(z, zo, ptr(tz), (long) rows * cols);
                return withLoss64("loss forward " + loss, l64 -> LossLaunches.crossEntropyForward(this,
                        (Loss.SoftmaxCrossEntropy) loss, ptr(tz), ((CudaIntTensor) tg).ptr, rows, cols, ptr(out), l64));
            }
        }, from -> cpu.lossForward(loss, z, zo, target, to, rows, cols));
    }

    @Override
    protected void lossBackwardArray(Loss loss, float[] z, int zo, float[] t, int to, double dLoss, float[] dz, int dzo,
                                     int rows, int cols) {
        long n = (long) rows * cols;
        boolean aliased = overlaps(dz, dzo, z, zo, n) || overlaps(dz, dzo, t, to, n);
        hostRun("loss backward " + loss, false, aliased, w -> {
            try (Tensor tz = allocate(rows, cols); Tensor tt = allocate(rows, cols); Tensor tdz = allocate(rows, cols)) {
                upload(z, zo, ptr(tz), n);
                upload(t, to, ptr(tt), n);
                lossBackward(loss, tz, tt, dLoss, tdz);
                download(ptr(tdz), dz, dzo, n, w);
            }
        }, from -> cpu.lossBackward(loss, z, zo, t, to, dLoss, dz, dzo, rows, cols));
    }

    @Override
    protected void lossBackwardArray(Loss loss, float[] z, int zo, int[] target, int to, double dLoss, float[] dz,
                                     int dzo, int rows, int cols) {
        long n = (long) rows * cols;
        hostRun("loss backward " + loss, false, overlaps(dz, dzo, z, zo, n), w -> {
            try (Tensor tz = allocate(rows, cols); IntTensor tg = intTensor(Arrays.copyOfRange(target, to, to + rows));
                 Tensor tdz = allocate(rows, cols)) {
                upload(z, zo, ptr(tz), n);
                lossBackward(loss, tz, tg, dLoss, tdz);
                download(ptr(tdz), dz, dzo, n, w);
            }
        }, from -> cpu.lossBackward(loss, z, zo, target, to, dLoss, dz, dzo, rows, cols));
    }

    /** Runs launches that write the loss as a double into an 8-byte device buffer, and returns it. */
    private double withLoss64(String what, Consumer<CUdeviceptr> launches) {
        double[] v = new double[1];
        guard(what, () -> {
            dev.makeCurrent();
            CUdeviceptr l64 = new CUdeviceptr();
            Cuda.call("cuMemAlloc (loss, 8 bytes)", () -> JCudaDriver.cuMemAlloc(l64, Double.BYTES));
            try {
                launches.accept(l64);
                Cuda.call("cuMemcpyDtoH (loss)", () -> JCudaDriver.cuMemcpyDtoH(Pointer.to(v), l64, Double.BYTES));
            } finally {
                Cuda.quietly("cuMemFree (loss)", () -> JCudaDriver.cuMemFree(l64));
            }
        });
        return v[0];
    }

    /** Runs an int-tensor copy under the sticky-error guard, with the context current. */
    void ints(String what, Runnable r) {
        guard(what, () -> {
            dev.makeCurrent();
            r.run();
        });
    }

    @Override
    protected AbstractIntTensor newIntTensor(int size) {
        long bytes = Math.max(1, size) * (long) Integer.BYTES;
        CUdeviceptr p = new CUdeviceptr();
        guard("cuMemAlloc " + bytes, () -> {
            dev.makeCurrent();
            Cuda.call("cuMemAlloc " + bytes + " bytes", () -> JCudaDriver.cuMemAlloc(p, bytes));
        });
        return new CudaIntTensor(this, p, size);
    }

    @Override
    protected void lossForwardTensor(Loss loss, Tensor z, Tensor t, Tensor lossOut) {
        guard("loss forward " + loss, () -> {
            dev.makeCurrent();
            LossLaunches.forward(this, loss, ptr(z), ptr(t), z.size(), z.cols(), ptr(lossOut), null);
        });
    }

    @Override
    protected void lossForwardTensor(Loss loss, Tensor z, IntTensor target, Tensor lossOut) {
        guard("loss forward " + loss, () -> {
            dev.makeCurrent();
            LossLaunches.crossEntropyForward(this, (Loss.SoftmaxCrossEntropy) loss, ptr(z), ((CudaIntTensor) target).ptr,
                    z.rows(), z.cols(), ptr(lossOut), null);
        });
    }

    @Override
    protected void lossBackwardTensor(Loss loss, Tensor z, Tensor t, double dLoss, Tensor dz) {
        guard("loss backward " + loss, () -> {
            dev.makeCurrent();
            LossLaunches.backward(this, loss, ptr(z), ptr(t), z.size(), z.cols(), dLoss, ptr(dz));
        });
    }

    @Override
    protected void lossBackwardTensor(Loss loss, Tensor z, IntTensor target, double dLoss, Tensor dz) {
        guard("loss backward " + loss, () -> {
            dev.makeCurrent();
            LossLaunches.crossEntropyBackward(this, (Loss.SoftmaxCrossEntropy) loss, ptr(z), ((CudaIntTensor) target).ptr,
                    z.rows(), z.cols(), dLoss, ptr(dz));
        });
    }

    private static CUdeviceptr ptr(Tensor t) {
        return ((CudaTensor) t).ptr;
    }

    // ------------------------------------------------------------------ host arrays

    /**
     * The system property that turns off the CPU fallback of host-array calls:
     * {@code -Dnonlin.cuda.strict=true} makes a CUDA error in a host-array call propagate as
     * {@link CudaError}, and a call on a backend taken out of service throw, instead of computing
     * on the CPU. For checks of the GPU path (its tests and {@code nonlin check} set it), where a
     * silent fallback would compare the CPU with itself.
     */
    public static final String STRICT_PROPERTY = "nonlin.cuda.strict";

    /** {@link HostCalls#run} with this backend's state: out of service, and how it falls back. */
    private <T> T hostCall(String what, boolean resumable, boolean aliased, HostCalls.GpuPart<T> gpu,
                           HostCalls.CpuPart<T> cpuPart) {
        // a sticky error takes the backend out of service whether or not the CPU then takes over
        // (under nonlin.cuda.strict it does not, and the error is rethrown)
        return HostCalls.run(what, broken, resumable, aliased, w -> {
            try {
                return gpu.run(w);
            } catch (CudaError e) {
                markIfSticky(what, e);
                throw e;
            }
        }, cpuPart, this::fallBack);
    }

    /** {@link #hostCall} for calls without a result. */
    private void hostRun(String what, boolean resumable, boolean aliased, Consumer<Written> gpu,
                         LongConsumer cpuPart) {
        hostCall(what, resumable, aliased, w -> {
            gpu.accept(w);
            return null;
        }, from -> {
            cpuPart.accept(from);
            return null;
        });
    }

    @Override
    protected void forwardArray(Activation f, float[] x, int xo, float[] y, int yo, int rows, int cols) {
        hostRun("forward " + f, true, false,
                w -> stream(f, x, xo, null, 0, y, yo, rows, cols, w,
                        (in0, in1, out, r, c) -> Launches.forward(dev.smCount, f, in0, out, r, c)),
                from -> rest(f, from, rows, cols, (o, r, c) -> cpu.forward(f, x, xo + o, y, yo + o, r, c)));
    }

    @Override
    protected void backwardArray(Activation f, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo,
                                 int rows, int cols) {
        hostRun("backward " + f, true, false,
                w -> stream(f, x, xo, dy, dyo, dx, dxo, rows, cols, w,
                        (in0, in1, out, r, c) -> Launches.backward(dev.smCount, f, in0, in1, out, r, c)),
                from -> rest(f, from, rows, cols,
                        (o, r, c) -> cpu.backward(f, x, xo + o, dy, dyo + o, dx, dxo + o, r, c)));
    }

    @Override
    protected void backwardFromOutputArray(Activation f, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo,
                                           int rows, int cols) {
        hostRun("backwardFromOutput " + f, true, false,
                w -> stream(f, y, yo, dy, dyo, dx, dxo, rows, cols, w,
                        (in0, in1, out, r, c) -> Launches.backwardFromOutput(dev.smCount, f, in0, in1, out, r, c)),
                from -> rest(f, from, rows, cols,
                        (o, r, c) -> cpu.backwardFromOutput(f, y, yo + o, dy, dyo + o, dx, dxo + o, r, c)));
    }

    /**
     * PReLU on host arrays goes through temporary device tensors: α and dα are small, and dα's
     * reduction must see every row at once to stay deterministic.
     */
    @Override
    protected void preluForwardArray(float[] x, int xo, float[] alpha, float[] y, int yo, int rows, int cols) {
        long n = (long) rows * cols;
        hostRun("prelu forward", false, overlaps(y, yo, x, xo, n), w -> {
            try (Tensor tx = allocate(rows, cols); Tensor ta = allocate(1, alpha.length); Tensor ty = allocate(rows, cols)) {
                upload(x, xo, ptr(tx), n);
                ta.copyFrom(alpha, 0);
                preluForward(tx, ta, ty);
                download(ptr(ty), y, yo, n, w);
            }
        }, from -> cpu.preluForward(x, xo, alpha, y, yo, rows, cols));
    }

    @Override
    protected void preluBackwardArray(float[] x, int xo, float[] alpha, float[] dy, int dyo, float[] dx, int dxo,
                                      float[] dAlpha, int rows, int cols) {
        long n = (long) rows * cols;
        boolean aliased = overlaps(dx, dxo, x, xo, n) || overlaps(dx, dxo, dy, dyo, n);
        hostRun("prelu backward", false, aliased, w -> {
            try (Tensor tx = allocate(rows, cols); Tensor ta = allocate(1, alpha.length); Tensor tdy = allocate(rows, cols);
                 Tensor tdx = allocate(rows, cols); Tensor tda = allocate(1, alpha.length)) {
                upload(x, xo, ptr(tx), n);
                ta.copyFrom(alpha, 0);
                upload(dy, dyo, ptr(tdy), n);
                preluBackward(tx, ta, tdy, tdx, tda);
                tda.copyTo(dAlpha, 0);   // before dx, which may overwrite x or dy: after it, nothing can fail
                download(ptr(tdx), dx, dxo, n, w);
            }
        }, from -> cpu.preluBackward(x, xo, alpha, dy, dyo, dx, dxo, dAlpha, rows, cols));
    }

    /** The kernel launch for one chunk (in1 is unused by forward). */
    @FunctionalInterface
    interface ChunkOp {
        Launch launch(CUdeviceptr in0, CUdeviceptr in1, CUdeviceptr out, long rows, long cols);
    }

    /**
     * The pipelined host path: chunks of whole rows (elementwise functions see one long row)
     * alternate between two streams. While stream A runs chunk i, the CPU fills stream B's pinned
     * buffer with chunk i+1; a stream's buffers are reused only after it has drained. Chunks are
     * written to {@code out} in order, and {@code w} follows them.
     */
    private void stream(Activation f, float[] a, int ao, float[] b, int bo, float[] out, int oo, int rows, int cols,
                        Written w, ChunkOp op) {
        long n = (long) rows * cols;
        boolean rowWise = f.rowWise();
        if (rowWise && cols > CHUNK) {
            // A row longer than a chunk cannot be pipelined (a chunk holds whole rows): one row at
            // a time through device tensors of one row, with chunked copies, so that device memory
            // follows the row, not the array. Each row lands in out whole, through a buffer of its
            // own, so w stays on a row boundary and a CPU fallback never reads a half-overwritten
            // row (out may be a); row r of a is read before row r of out is written.
            try (Tensor t0 = allocate(1, cols); Tensor t1 = b == null ? null : allocate(1, cols);
                 Tensor to = allocate(1, cols)) {
                float[] row = new float[cols];
                for (int r = 0; r < rows; r++) {
                    int at = (int) ((long) r * cols);
                    upload(a, ao + at, ptr(t0), cols);
                    if (b != null) {
                        upload(b, bo + at, ptr(t1), cols);
                    }
                    run(op.launch(ptr(t0), t1 == null ? null : ptr(t1), ptr(to), 1, cols), null);
                    download(ptr(to), row, 0, cols);
                    System.arraycopy(row, 0, out, oo + at, cols);
                    w.upTo = (long) at + cols;
                }
            }
            return;
        }
        long per = rowWise ? (CHUNK / cols) * cols : CHUNK;   // row-wise chunks hold whole rows
        Staging st = borrow();
        boolean done = false;
        try {
            dev.makeCurrent();
            long[] pendingOff = {-1, -1};
            int[] pendingLen = new int[2];
            int chunk = 0;
            for (long off = 0; off < n; off += per, chunk++) {
                int s = chunk & 1;
                int len = (int) Math.min(per, n - off);
                if (pendingOff[s] >= 0) {   // chunk - 2: chunk - 3 drained before it
                    drain(st, s, out, oo, pendingOff[s], pendingLen[s]);
                    w.upTo = pendingOff[s] + pendingLen[s];
                    pendingOff[s] = -1;
                }
                CUstream stream = st.streams[s];
                put(st.host[s][0], a, ao + (int) off, len);
                long bytes = (long) len * Float.BYTES;
                Cuda.call("cuMemcpyHtoDAsync", () -> JCudaDriver.cuMemcpyHtoDAsync(st.dev[s][0], st.hostPtr[s][0], bytes, stream));
                if (b != null) {
                    put(st.host[s][1], b, bo + (int) off, len);
                    Cuda.call("cuMemcpyHtoDAsync", () -> JCudaDriver.cuMemcpyHtoDAsync(st.dev[s][1], st.hostPtr[s][1], bytes, stream));
                }
                long r = rowWise ? len / cols : 1;
                long c = rowWise ? cols : len;
                run(op.launch(st.dev[s][0], st.dev[s][1], st.dev[s][2], r, c), stream);
                Cuda.call("cuMemcpyDtoHAsync", () -> JCudaDriver.cuMemcpyDtoHAsync(st.hostPtr[s][2], st.dev[s][2], bytes, stream));
                pendingOff[s] = off;
                pendingLen[s] = len;
            }
            // the last two chunks, in order
            int older = pendingOff[1] >= 0 && (pendingOff[0] < 0 || pendingOff[1] < pendingOff[0]) ? 1 : 0;
            for (int s : new int[] {older, 1 - older}) {
                if (pendingOff[s] >= 0) {
                    drain(st, s, out, oo, pendingOff[s], pendingLen[s]);
                    w.upTo = pendingOff[s] + pendingLen[s];
                }
            }
            done = true;
        } finally {
            release(st, done);
        }
    }

    private void drain(Staging st, int s, float[] out, int oo, long off, int len) {
        Cuda.call("cuStreamSynchronize", () -> JCudaDriver.cuStreamSynchronize(st.streams[s]));
        get(st.host[s][2], out, oo + (int) off, len);
    }

    /**
     * {@link HostCopy#put}, then the context made current again: the copy may join its parts,
     * which parks a virtual thread, and a virtual thread can resume on another carrier thread,
     * where the driver has no current context (or another one).
     */
    private void put(java.nio.FloatBuffer dst, float[] src, int off, int len) {
        copies.put(dst, src, off, len);
        dev.makeCurrent();
    }

    /** {@link HostCopy#get}, then the context made current again (see {@link #put}). */
    private void get(java.nio.FloatBuffer src, float[] dst, int off, int len) {
        copies.get(src, dst, off, len);
        dev.makeCurrent();
    }

    /** Threads that copy between host arrays and the pinned buffers ({@link HostCopy#THREADS_PROPERTY}). */
    public int copyThreads() {
        return copies.threads();
    }

    /**
     * Host → device through staging (used by tensors); waits for the tensor operations launched
     * before it. Chunks alternate between the staging set's two streams, so that the CPU fills one
     * pinned buffer while the other is on the link; it returns when every copy is done.
     */
    void upload(float[] src, int srcOffset, CUdeviceptr dst, long n) {
        if (n == 0) {
            return;
        }
        guard("upload", () -> {
            Staging st = borrow();
            boolean done = false;
            try {
                dev.makeCurrent();
                // Staging streams do not synchronise with the legacy default stream that tensor
                // operations (and allocate's memset) use: wait for those, or a pending memset could
                // land after this copy.
                Cuda.call("cuCtxSynchronize", JCudaDriver::cuCtxSynchronize);
                long chunk = 0;
                for (long off = 0; off < n; off += st.capacity, chunk++) {
                    int s = (int) (chunk & 1);
                    CUstream stream = st.streams[s];
                    if (chunk >= 2) {   // chunk − 2 has left this stream's buffer
                        Cuda.call("cuStreamSynchronize", () -> JCudaDriver.cuStreamSynchronize(stream));
                    }
                    int len = (int) Math.min(st.capacity, n - off);
                    put(st.host[s][0], src, srcOffset + (int) off, len);
                    long bytes = (long) len * Float.BYTES;
                    CUdeviceptr d = dst.withByteOffset(off * Float.BYTES);
                    Cuda.call("cuMemcpyHtoDAsync", () -> JCudaDriver.cuMemcpyHtoDAsync(d, st.hostPtr[s][0], bytes, stream));
                }
                for (CUstream stream : st.streams) {   // kernels on the default stream may read dst next
                    Cuda.call("cuStreamSynchronize", () -> JCudaDriver.cuStreamSynchronize(stream));
                }
                done = true;
            } finally {
                release(st, done);
            }
        });
    }

    /** Device → host through staging; waits for the tensor operations launched before it. */
    void download(CUdeviceptr src, float[] dst, int dstOffset, long n) {
        download(src, dst, dstOffset, n, new Written());
    }

    /**
     * {@link #download(CUdeviceptr, float[], int, long)}, recording in {@code w} how much of dst it
     * wrote. Chunks alternate between the staging set's two streams: chunk i + 1 is on the link
     * while the CPU copies chunk i out. dst is written in order, so {@code w} is a prefix.
     */
    void download(CUdeviceptr src, float[] dst, int dstOffset, long n, Written w) {
        if (n == 0) {
            return;
        }
        guard("download", () -> {
            Staging st = borrow();
            boolean done = false;
            try {
                dev.makeCurrent();
                Cuda.call("cuCtxSynchronize", JCudaDriver::cuCtxSynchronize);   // tensor ops run on the default stream
                long cap = st.capacity;
                long chunks = (n + cap - 1) / cap;
                if (chunks > 0) {
                    enqueueDown(st, src, n, 0);
                }
                for (long c = 0; c < chunks; c++) {
                    if (c + 1 < chunks) {   // its buffer was emptied when chunk c − 1 was copied out
                        enqueueDown(st, src, n, c + 1);
                    }
                    int s = (int) (c & 1);
                    long off = c * cap;
                    int len = (int) Math.min(cap, n - off);
                    drain(st, s, dst, dstOffset, off, len);
                    w.upTo = off + len;
                }
                done = true;
            } finally {
                release(st, done);
            }
        });
    }

    /** Enqueues chunk c of a download (device src → the pinned buffer of stream c mod 2). */
    private static void enqueueDown(Staging st, CUdeviceptr src, long n, long c) {
        int s = (int) (c & 1);
        long off = c * st.capacity;
        long bytes = Math.min(st.capacity, n - off) * Float.BYTES;
        CUdeviceptr d = src.withByteOffset(off * Float.BYTES);
        Cuda.call("cuMemcpyDtoHAsync", () -> JCudaDriver.cuMemcpyDtoHAsync(st.hostPtr[s][2], d, bytes, st.streams[s]));
    }

    /**
     * A staging set of {@link #CHUNK} floats per buffer, from the pool or new. Waits for one of
     * {@link #MAX_STAGING} permits without giving up on an interrupt (a permit is held only for one
     * call's copies), and keeps the thread's interrupt status.
     */
    private Staging borrow() {
        stagingPermits.acquireUninterruptibly();
        try {
            Staging pooled = staging.poll();
            if (pooled != null) {
                return pooled;
            }
            dev.makeCurrent();
            return new Staging(dev, CHUNK);
        } catch (RuntimeException | Error e) {
            stagingPermits.release();
            throw e;
        }
    }

    /**
     * Returns a set after its call: to the pool when the call completed (its streams are idle), or
     * closed when it did not (its streams may still hold work: never reuse it). Runs in a finally,
     * so that no failure, an Error included, keeps a permit: four such would hang every copy.
     */
    private void release(Staging s, boolean completed) {
        if (completed) {
            staging.push(s);
            stagingPermits.release();
        } else {
            discard(s);
        }
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
            markIfSticky(what, e);
            throw e;
        } catch (jcuda.CudaException e) {
            CudaError w = Cuda.wrap(e, what);
            markIfSticky(what, w);
            throw w;
        }
    }

    /** A sticky error (the context is unusable) takes the backend out of service, once. */
    private void markIfSticky(String what, CudaError e) {
        if (e.sticky() && broken == null) {
            broken = what + ": " + e.getMessage();
            LOG.log(Level.ERROR, "nonlin: CUDA backend taken out of service: {0}", broken);
        }
    }

    private void fallBack(String what, CudaError e) {
        LOG.log(Level.WARNING, "nonlin: {0} failed on the GPU ({1}); computed on the CPU instead", what, e.getMessage());
    }

    // ------------------------------------------------------------------ launches

    /** Grid for a grid-stride elementwise kernel over n elements, 4 per thread per step. */
    int blocksFor(long n) {
        return blocksFor(n, dev.smCount);
    }

    /** {@link #blocksFor(long)} on a device with {@code smCount} SMs: at most 32 blocks per SM. */
    static int blocksFor(long n, int smCount) {
        long per = THREADS * 4L;
        long want = (n + per - 1) / per;
        long cap = (long) smCount * 32;
        return (int) Math.max(1, Math.min(want, cap));
    }

    /**
     * Enqueues a described launch on stream {@code s} (null: the legacy default stream, in order
     * with the other tensor operations); a lazy module loads on first use. Nothing waits for the GPU.
     */
    void run(Launch l, CUstream s) {
        CUfunction fn = dev.function(l.module(), l.kernel());
        // again: a lazy module's lock may have moved a virtual thread to a carrier without the context
        dev.makeCurrent();
        Pointer params = l.args().pointer();
        Cuda.call("cuLaunchKernel " + l.kernel(), () -> JCudaDriver.cuLaunchKernel(fn, l.grid(), 1, 1, l.threads(), 1, 1,
                0, s, params, null));
    }

    /** Enqueues launches, in order, on the tensor stream. */
    void run(Launch... launches) {
        run(List.of(launches));
    }

    /** Enqueues launches, in order, on the tensor stream. */
    void run(List<Launch> launches) {
        for (Launch l : launches) {
            run(l, null);
        }
    }

    // ------------------------------------------------------------------ dense layers and training

    /** The reductions' scratch buffer (dBias, PReLU's dα, the losses). */
    DeviceScratch scratch() {
        return scratch;
    }

    /** The SGEMM path, chosen on first use from {@code -Dnonlin.cuda.gemm} (see {@link GemmPath}). */
    GemmPath gemm() {
        synchronized (gemmLock) {
            if (gemm == null) {
                GemmPath.Request r = GemmPath.Request.fromProperty();
                gemm = GemmPath.choose(r, () -> Cublas.open(dev));
                LOG.log(Level.DEBUG, "nonlin: CUDA matmul through {0}", gemm.describe());
            }
            return gemm;
        }
    }

    /**
     * Which SGEMM {@code matmul} runs on this backend and why, e.g. {@code "cuBLAS via JCublas
     * 12.6.0 (cuBLAS 12.6.4)"} or {@code "nonlin tiled SGEMM: JCublas unavailable: libcublas.so.12:
     * cannot open shared object file: No such file or directory"}. Probes cuBLAS on first call.
     *
     * @throws IllegalArgumentException when {@code -Dnonlin.cuda.gemm} has a value other than
     *                                  auto, cublas or nonlin
     */
    public String gemmDescription() {
        return gemm().describe();
    }

    /**
     * Replaces the SGEMM path (the tests run both): the old path's cuBLAS handle is destroyed,
     * after the work queued so far has run.
     */
    void useGemm(GemmPath.Request request) {
        synchronized (gemmLock) {
            if (gemm != null) {
                synchronize();
                gemm.close();
            }
            gemm = GemmPath.choose(request, () -> Cublas.open(dev));
        }
    }

    @Override
    protected void matmulTensor(Tensor a, Transpose ta, Tensor b, Transpose tb, float alpha, float beta, Tensor c) {
        Cublas blas = gemm().cublas();
        guard("matmul", () -> {
            dev.makeCurrent();
            int m = (int) c.rows();
            int n = (int) c.cols();
            int k = (int) ta.cols(a);
            if (blas != null) {
                blas.sgemm(ta, tb, m, n, k, alpha, ptr(a), ptr(b), beta, ptr(c));
            } else {
                run(DenseLaunches.sgemm(dev.smCount, ta, tb, m, n, k, alpha, ptr(a), ptr(b), beta, ptr(c)));
            }
        });
    }

    @Override
    protected void scaleTensor(float beta, Tensor c) {
        guard("scale", () -> {
            dev.makeCurrent();
            run(DenseLaunches.scale(dev.smCount, ptr(c), c.size(), beta));
        });
    }

    @Override
    protected void biasActivationForwardTensor(Activation f, Tensor z, Tensor bias, Tensor y) {
        guard("biasActivationForward " + f, () -> {
            dev.makeCurrent();
            run(DenseLaunches.biasForward(dev.smCount, f, ptr(z), ptr(bias), ptr(y), z.rows(), z.cols()));
        });
    }

    @Override
    protected void biasActivationBackwardTensor(Activation f, Tensor z, Tensor bias, Tensor dy, Tensor dz,
                                                Tensor dBias) {
        guard("biasActivationBackward " + f, () -> {
            try (DeviceScratch.Lease partial = scratch.lease(
                    DenseLaunches.biasPartials(z.rows(), z.cols()) * Double.BYTES)) {
                for (Launch l : DenseLaunches.biasBackward(dev.smCount, f, ptr(z), ptr(bias), ptr(dy),
                        ptr(dz), ptr(dBias), partial.at(0), z.rows(), z.cols())) {
                    run(l);
                }
            }
        });
    }

    @Override
    protected void optimizerStepTensor(Optimizer rule, long step, Tensor w, Tensor g, Tensor m, Tensor v) {
        guard("optimizerStep " + rule, () -> {
            dev.makeCurrent();
            run(DenseLaunches.optimizerStep(dev.smCount, rule, step, ptr(w), ptr(g), m == null ? null : ptr(m),
                    v == null ? null : ptr(v), w.size()));
        });
    }
}
