package dev.nonlin.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Pinned host buffers and device buffers for the host-array path, one set per stream.
 *
 * <p>Why: {@code Pointer.to(float[])} pins the Java array with {@code GetPrimitiveArrayCritical}
 * for the whole native call, which blocks the garbage collector for the length of a copy. So host
 * arrays are copied through pinned memory in chunks, and with two streams the copies of one chunk
 * overlap the kernel and the copies of the other. Each pinned block stays far below the 2 GiB at
 * which JCuda's {@code getByteBuffer} fails.
 */
final class Staging implements AutoCloseable {
    static final int STREAMS = 2;

    final int capacity;                  // floats per buffer
    final CUstream[] streams = new CUstream[STREAMS];
    final Pointer[][] hostPtr = new Pointer[STREAMS][3];         // x (or y), dy, out
    final FloatBuffer[][] host = new FloatBuffer[STREAMS][3];
    final CUdeviceptr[][] dev = new CUdeviceptr[STREAMS][3];
    private final CudaDevice device;
    private boolean closed;

    Staging(CudaDevice device, int capacity) {
        this.device = device;
        this.capacity = capacity;
        long bytes = (long) capacity * Float.BYTES;
        try {
            for (int s = 0; s < STREAMS; s++) {
                CUstream st = new CUstream();
                Cuda.call("cuStreamCreate", () -> JCudaDriver.cuStreamCreate(st, CUstream_flags.CU_STREAM_NON_BLOCKING));
                streams[s] = st;
                for (int b = 0; b < 3; b++) {
                    Pointer p = new Pointer();
                    Cuda.call("cuMemAllocHost " + bytes, () -> JCudaDriver.cuMemAllocHost(p, bytes));
                    hostPtr[s][b] = p;
                    host[s][b] = p.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder()).asFloatBuffer();
                    CUdeviceptr d = new CUdeviceptr();
                    Cuda.call("cuMemAlloc " + bytes, () -> JCudaDriver.cuMemAlloc(d, bytes));
                    dev[s][b] = d;
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Frees everything, each call on its own (a failure is logged and the rest still freed),
     * except a stream's buffers when that stream could not be synchronised: a copy may still be
     * in flight into them, so they are left to the context (after a sticky error, the process).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.makeCurrentQuietly();
        for (int s = 0; s < STREAMS; s++) {
            CUstream st = streams[s];
            if (st != null) {
                try {
                    Cuda.call("cuStreamSynchronize", () -> JCudaDriver.cuStreamSynchronize(st));
                } catch (RuntimeException e) {
                    System.getLogger("dev.nonlin").log(System.Logger.Level.WARNING,
                            "nonlin: staging stream {0} did not drain ({1}); its buffers are not freed", s, e.getMessage());
                    continue;
                }
            }
            for (int b = 0; b < 3; b++) {
                host[s][b] = null;                  // never touch the ByteBuffer after cuMemFreeHost
                Pointer h = hostPtr[s][b];
                if (h != null) {
                    Cuda.quietly("cuMemFreeHost", () -> JCudaDriver.cuMemFreeHost(h));
                }
                CUdeviceptr d = dev[s][b];
                if (d != null) {
                    Cuda.quietly("cuMemFree", () -> JCudaDriver.cuMemFree(d));
                }
            }
            if (st != null) {
                Cuda.quietly("cuStreamDestroy", () -> JCudaDriver.cuStreamDestroy(st));
            }
        }
    }
}
