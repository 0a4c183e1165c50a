package dev.nonlin.bench;

import dev.nonlin.cuda.CudaSupport;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * JCuda used directly, for what the library does not expose: raw copies (the rooflines) and the
 * transfer benchmark. It owns what it allocates and frees it in {@link #close()}.
 *
 * <p>{@link #open} first asks the library for its CUDA backend, so that on a machine without a
 * usable GPU the caller gets the probe's reason instead of JCuda's {@link UnsatisfiedLinkError}.
 * The probe has then also run {@code cuInit} and enabled JCuda's exceptions (one flag for the
 * whole JVM), so every driver call below throws on failure.
 *
 * <p>It works on the device's primary context, the same one the library uses (retaining it is
 * reference-counted, so the library's own retain is untouched). Contexts are per thread, and JMH
 * may run setup and iterations on different threads, so callers make it current with
 * {@link #makeCurrent()} in a {@code Level.Iteration} setup.
 */
final class CudaDirect implements AutoCloseable {
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final Deque<Runnable> frees = new ArrayDeque<>();
    private boolean closed;

    private CudaDirect(int ordinal) {
        JCudaDriver.cuDeviceGet(device, ordinal);
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        frees.push(() -> JCudaDriver.cuDevicePrimaryCtxRelease(device));
        makeCurrent();
    }

    /** Opens the device the library uses, or throws with the reason CUDA cannot run ({@code what} names the caller). */
    static CudaDirect open(String what) {
        BenchBackends.cuda(what);   // throws with the probe's reason; only then is JCuda safe to touch
        return new CudaDirect(Integer.getInteger(CudaSupport.DEVICE_PROPERTY, 0));
    }

    void makeCurrent() {
        JCudaDriver.cuCtxSetCurrent(context);
    }

    /** Device memory; freed by {@link #close()}. */
    CUdeviceptr deviceBuffer(long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, bytes);
        frees.push(() -> JCudaDriver.cuMemFree(p));
        JCudaDriver.cuMemsetD32(p, 0, bytes / Float.BYTES);   // touch it, so no first-use cost lands in a timed call
        return p;
    }

    /**
     * Page-locked host memory; freed by {@link #close()}. JCuda cannot hand out a ByteBuffer over
     * 2 GiB, and the benchmarks stay far below that (2²⁶ floats are 256 MiB).
     */
    Pointer pinnedBuffer(long bytes) {
        Pointer p = new Pointer();
        JCudaDriver.cuMemAllocHost(p, bytes);
        frees.push(() -> JCudaDriver.cuMemFreeHost(p));
        return p;
    }

    /** A non-blocking stream; destroyed by {@link #close()}. */
    CUstream stream() {
        CUstream s = new CUstream();
        JCudaDriver.cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING);
        frees.push(() -> JCudaDriver.cuStreamDestroy(s));
        return s;
    }

    /** Waits for the device, then frees everything in reverse order of allocation. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        makeCurrent();
        JCudaDriver.cuCtxSynchronize();
        while (!frees.isEmpty()) {
            frees.pop().run();
        }
    }
}
