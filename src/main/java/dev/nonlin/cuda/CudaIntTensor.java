package dev.nonlin.cuda;

import dev.nonlin.AbstractIntTensor;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Device memory holding {@code size} ints (class targets). Copies go straight from and to the
 * Java array ({@code Pointer.to(int[])}), not through pinned staging: targets are one int per
 * row, small next to the logits, so the GC pause that pinning a heap array costs stays short.
 */
final class CudaIntTensor extends AbstractIntTensor {
    private static final Cleaner CLEANER = Cleaner.create();

    private final CudaBackend backend;
    final CUdeviceptr ptr;
    private final Memory memory;
    private final Cleaner.Cleanable cleanable;

    /** What the cleaner frees: must not refer to the tensor itself. */
    private static final class Memory implements Runnable {
        final CudaBackend backend;
        final CUdeviceptr ptr;
        final AtomicBoolean freed = new AtomicBoolean();

        Memory(CudaBackend backend, CUdeviceptr ptr) {
            this.backend = backend;
            this.ptr = ptr;
        }

        @Override
        public void run() {
            if (freed.compareAndSet(false, true)) {
                backend.free(ptr, 0);
            }
        }
    }

    CudaIntTensor(CudaBackend backend, CUdeviceptr ptr, long size) {
        super(backend, size);
        this.backend = backend;
        this.ptr = ptr;
        this.memory = new Memory(backend, ptr);
        this.cleanable = CLEANER.register(this, memory);
    }

    @Override
    protected void copyFromChecked(int[] src, int srcOffset) {
        long bytes = size() * Sizeof.INT;
        if (bytes > 0) {
            backend.ints("int tensor upload", () -> {
                Cuda.call("cuCtxSynchronize", JCudaDriver::cuCtxSynchronize);   // after the tensor ops launched so far
                Cuda.call("cuMemcpyHtoD", () -> JCudaDriver.cuMemcpyHtoD(ptr,
                        Pointer.to(src).withByteOffset((long) srcOffset * Sizeof.INT), bytes));
            });
        }
    }

    @Override
    protected void copyToChecked(int[] dst, int dstOffset) {
        long bytes = size() * Sizeof.INT;
        if (bytes > 0) {
            backend.ints("int tensor download", () -> {
                Cuda.call("cuCtxSynchronize", JCudaDriver::cuCtxSynchronize);
                Cuda.call("cuMemcpyDtoH", () -> JCudaDriver.cuMemcpyDtoH(
                        Pointer.to(dst).withByteOffset((long) dstOffset * Sizeof.INT), ptr, bytes));
            });
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
}
