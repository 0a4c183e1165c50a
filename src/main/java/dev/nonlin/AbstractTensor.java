package dev.nonlin;

import java.lang.ref.Reference;

/**
 * What every backend's tensor shares: its shape and owner, and the checks on copies in and out
 * (closed, null, range), made before any element moves. Backends implement the copies themselves.
 */
public abstract class AbstractTensor implements Tensor {
    private final Backend backend;
    private final long rows;
    private final long cols;

    protected AbstractTensor(Backend backend, long rows, long cols) {
        this.backend = backend;
        this.rows = rows;
        this.cols = cols;
    }

    /** Copies {@code size()} elements in; arguments are checked. */
    protected abstract void copyFromChecked(float[] src, int srcOffset);

    /** Copies {@code size()} elements out; arguments are checked. */
    protected abstract void copyToChecked(float[] dst, int dstOffset);

    @Override
    public final Backend backend() {
        return backend;
    }

    @Override
    public final long rows() {
        return rows;
    }

    @Override
    public final long cols() {
        return cols;
    }

    @Override
    public final void copyFrom(float[] src, int srcOffset) {
        check("src", src, srcOffset);
        copyFromChecked(src, srcOffset);
        Reference.reachabilityFence(this);   // see AbstractBackend: no Cleaner frees us mid-copy
    }

    @Override
    public final void copyTo(float[] dst, int dstOffset) {
        check("dst", dst, dstOffset);
        copyToChecked(dst, dstOffset);
        Reference.reachabilityFence(this);
    }

    private void check(String name, float[] a, int offset) {
        if (isClosed()) {
            throw new IllegalStateException("tensor is closed");
        }
        if (a == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (offset < 0 || offset > a.length || a.length - offset < size()) {
            throw new IllegalArgumentException(name + " needs " + size() + " elements from offset " + offset
                    + ", but " + name + ".length is " + a.length);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + rows + " × " + cols + (isClosed() ? ", closed]" : "]");
    }
}
