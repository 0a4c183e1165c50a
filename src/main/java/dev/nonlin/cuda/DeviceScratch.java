package dev.nonlin.cuda;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

import java.util.concurrent.locks.ReentrantLock;

/**
 * One device buffer per backend for the partial sums of the deterministic reductions (dBias of
 * the dense layer, PReLU's dα, the losses), kept and grown instead of allocated and freed per
 * call: {@code cuMemFree} waits for the device, which made every such call synchronous.
 *
 * <p>Safe reuse rests on two things. Every kernel that touches the buffer runs on the tensor
 * stream (the legacy default stream), which runs them in order: the next user's kernels start
 * after the previous user's finish. And a {@link Lease} holds a lock while its kernels are
 * enqueued, so that two host threads cannot interleave their launches (thread B's partials
 * landing between thread A's partial and finish kernels). The lock covers only the launches,
 * which return at once; nobody waits for the GPU.
 *
 * <p>Growing frees the old buffer after a {@code cuCtxSynchronize} (pending kernels may still
 * read it), and at least doubles it, so that happens a few times in a backend's life. The buffer
 * lives as long as the backend, like the staging buffers.
 */
final class DeviceScratch {
    /** The smallest buffer: 1 MiB, enough for dBias of 4096 × 1024 with the chunking in DenseLaunches. */
    static final long MIN_BYTES = 1L << 20;

    private final CudaDevice dev;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by lock. */
    private CUdeviceptr ptr;
    private long capacity;

    DeviceScratch(CudaDevice dev) {
        this.dev = dev;
    }

    /**
     * Locks the buffer, grown to at least {@code bytes}, until the lease is closed (and makes the
     * context current). The caller enqueues its kernels on the tensor stream only.
     */
    Lease lease(long bytes) {
        lock.lock();
        try {
            dev.makeCurrent();
            if (bytes > capacity) {
                grow(bytes);
            }
            return new Lease();
        } catch (RuntimeException e) {
            lock.unlock();
            throw e;
        }
    }

    private void grow(long bytes) {
        long want = Math.max(MIN_BYTES, Math.max(bytes, 2 * capacity));
        if (ptr != null) {
            Cuda.call("cuCtxSynchronize (before growing the scratch buffer)", JCudaDriver::cuCtxSynchronize);
            CUdeviceptr old = ptr;
            ptr = null;
            capacity = 0;
            Cuda.call("cuMemFree (scratch)", () -> JCudaDriver.cuMemFree(old));
        }
        CUdeviceptr p = new CUdeviceptr();
        Cuda.call("cuMemAlloc (scratch, " + want + " bytes)", () -> JCudaDriver.cuMemAlloc(p, want));
        ptr = p;
        capacity = want;
    }

    /** Bytes held now (for tests and {@code nonlin info}). */
    long capacity() {
        lock.lock();
        try {
            return capacity;
        } finally {
            lock.unlock();
        }
    }

    /** The locked buffer; regions of it by byte offset. */
    final class Lease implements AutoCloseable {
        private boolean open = true;

        /** The buffer from {@code byteOffset} on (8-byte aligned offsets keep doubles aligned). */
        CUdeviceptr at(long byteOffset) {
            if (!open) {
                throw new IllegalStateException("scratch lease already closed");
            }
            return byteOffset == 0 ? ptr : ptr.withByteOffset(byteOffset);
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                lock.unlock();
            }
        }
    }
}
