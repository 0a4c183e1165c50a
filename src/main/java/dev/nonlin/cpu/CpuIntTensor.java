package dev.nonlin.cpu;

import dev.nonlin.AbstractIntTensor;

/** A CPU int tensor: a heap array of its own (the backend copies the caller's data in). */
final class CpuIntTensor extends AbstractIntTensor {
    final int[] data;
    private volatile boolean closed;

    CpuIntTensor(CpuBackend backend, int[] data) {
        super(backend, data.length);
        this.data = data;
    }

    @Override
    protected void copyFromChecked(int[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, data, 0, data.length);
    }

    @Override
    protected void copyToChecked(int[] dst, int dstOffset) {
        System.arraycopy(data, 0, dst, dstOffset, data.length);
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
    }
}
