package dev.nonlin.cuda;

import dev.nonlin.AbstractTensor;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Device memory holding {@code rows × cols} floats. Closing frees it; a {@link Cleaner} frees it
 * too if the tensor becomes unreachable unclosed, as a safety net, not as the way to free it.
 */
final class CudaTensor extends AbstractTensor {
    private static final Cleaner CLEANER = Cleaner.create();

    private final CudaBackend backend;
    final CUdeviceptr ptr;
    private final Memory memory;
    private final Cleaner.Cleanable cleanable;

    /** What the cleaner frees: must not refer to the tensor itself. */
    private static final class Memory implements Runnable {
        final CudaBackend backend;
        final CUdeviceptr ptr;
        final long bytes;
        final AtomicBoolean freed = new AtomicBoolean();

        Memory(CudaBackend backend, CUdeviceptr ptr, long bytes) {
            this.backend = backend;
            this.ptr = ptr;
            this.bytes = bytes;
        }

        @Override
        public void run() {
            if (freed.compareAndSet(false, true)) {
                backend.free(ptr, bytes);
            }
        }
    }

    CudaTensor(CudaBackend backend, CUdeviceptr ptr, long rows, long cols) {
        super(backend, rows, cols);
        this.backend = backend;
        this.ptr = ptr;
        this.memory = new Memory(backend, ptr, rows * cols * Float.BYTES);
        this.cleanable = CLEANER.register(this, memory);
    }

    @Override
    protected void copyFromChecked(float[] src, int srcOffset) {
        backend.upload(src, srcOffset, ptr, size());
    }

    @Override
    protected void copyToChecked(float[] dst, int dstOffset) {
        backend.download(ptr, dst, dstOffset, size());
    }

    @Override
    public boolean isClosed() {
        return memory.freed.get();
    }

    @Override
    public void close() {
        cleanable.clean();
    }

    /** Zero-fills (used by allocate). */
    void zero() {
        long n = size();
        if (n > 0) {
            Cuda.call("cuMemsetD32", () -> JCudaDriver.cuMemsetD32(ptr, 0, n));
        }
    }
}
