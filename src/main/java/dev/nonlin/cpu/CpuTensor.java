package dev.nonlin.cpu;

import dev.nonlin.Backend;
import dev.nonlin.Tensor;

/** A CPU tensor: a heap array, wrapped without copying. */
final class CpuTensor implements Tensor {
    private final CpuBackend backend;
    final float[] data;
    private final long rows;
    private final long cols;
    private volatile boolean closed;

    CpuTensor(CpuBackend backend, float[] data, long rows, long cols) {
        this.backend = backend;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
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
        System.arraycopy(src, srcOffset, data, 0, data.length);
    }

    @Override
    public void copyTo(float[] dst, int dstOffset) {
        open();
        check("dst", dst, dstOffset);
        System.arraycopy(data, 0, dst, dstOffset, data.length);
    }

    private void check(String name, float[] a, int offset) {
        if (a == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (offset < 0 || offset > a.length || a.length - offset < data.length) {
            throw new IllegalArgumentException(name + " needs " + data.length + " elements from offset " + offset
                    + ", but " + name + ".length is " + a.length);
        }
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("tensor is closed");
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "CpuTensor[" + rows + " × " + cols + (closed ? ", closed]" : "]");
    }
}
