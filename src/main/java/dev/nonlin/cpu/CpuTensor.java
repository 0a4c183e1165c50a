package dev.nonlin.cpu;

import dev.nonlin.AbstractTensor;

/** A CPU tensor: a heap array, wrapped without copying. */
final class CpuTensor extends AbstractTensor {
    final float[] data;
    private volatile boolean closed;

    CpuTensor(CpuBackend backend, float[] data, long rows, long cols) {
        super(backend, rows, cols);
        this.data = data;
    }

    @Override
    protected void copyFromChecked(float[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, data, 0, data.length);
    }

    @Override
    protected void copyToChecked(float[] dst, int dstOffset) {
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
