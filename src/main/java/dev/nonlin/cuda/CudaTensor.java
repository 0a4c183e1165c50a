package dev.nonlin.cuda;

import dev.nonlin.Backend;
import dev.nonlin.Tensor;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Device memory holding {@code rows × cols} floats. Closing frees it; a {@link Cleaner} frees it
 * too if the tensor becomes unreachable unclosed, as a safety net, not as the way to free it.
 */
final class CudaTensor implements Tensor {
    private static final Cleaner CLEANER = Cleaner.create();

    private final CudaBackend backend;
    final CUdeviceptr ptr;
    private final long rows;
    private final long cols;
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
        this.backend = backend;
        this.ptr = ptr;
        this.rows = rows;
        this.cols = cols;
        this.memory = new Memory(backend, ptr, rows * cols * Float.BYTES);
        this.cleanable = CLEANER.register(this, memory);
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public long rows() {
        return rows;
    }

    @Override
    public long cols() {
        return cols;
    }

    @Override
    public void copyFrom(float[] src, int srcOffset) {
        open();
        check("src", src, srcOffset);
        backend.upload(src, srcOffset, ptr, size());
    }

    @Override
    public void copyTo(float[] dst, int dstOffset) {
        open();
        check("dst", dst, dstOffset);
        backend.download(ptr, dst, dstOffset, size());
    }

    private void check(String name, float[] a, int offset) {
        if (a == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (offset < 0 || offset > a.length || a.length - offset < size()) {
            throw new IllegalArgumentException(name + " needs " + size() + " elements from offset " + offset
                    + ", but " + name + ".length is " + a.length);
        }
    }

    private void open() {
        if (memory.freed.get()) {
            throw new IllegalStateException("tensor is closed");
        }
    }

    @Override
    public boolean isClosed() {
        return memory.freed.get();
    }

    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "CudaTensor[" + rows + " × " + cols + (isClosed() ? ", closed]" : "]");
    }

    /** Zero-fills (used by allocate). */
    void zero() {
        long n = size();
        if (n > 0) {
            Cuda.call("cuMemsetD32", () -> JCudaDriver.cuMemsetD32(ptr, 0, n));
        }
    }
}
