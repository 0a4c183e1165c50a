package dev.nonlin;

/** What every backend's {@link IntTensor} shares: size, owner, and the checks on copies in and out. */
public abstract class AbstractIntTensor implements IntTensor {
    private final Backend backend;
    private final long size;

    protected AbstractIntTensor(Backend backend, long size) {
        this.backend = backend;
        this.size = size;
    }

    /** Copies {@code size()} ints in; arguments are checked. */
    protected abstract void copyFromChecked(int[] src, int srcOffset);

    /** Copies {@code size()} ints out; arguments are checked. */
    protected abstract void copyToChecked(int[] dst, int dstOffset);

    @Override
    public final Backend backend() {
        return backend;
    }

    @Override
    public final long size() {
        return size;
    }

    @Override
    public final void copyFrom(int[] src, int srcOffset) {
        check("src", src, srcOffset);
        copyFromChecked(src, srcOffset);
    }

    @Override
    public final void copyTo(int[] dst, int dstOffset) {
        check("dst", dst, dstOffset);
        copyToChecked(dst, dstOffset);
    }

    private void check(String name, int[] a, int offset) {
        if (isClosed()) {
            throw new IllegalStateException("int tensor is closed");
        }
        if (a == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (offset < 0 || offset > a.length || a.length - offset < size) {
            throw new IllegalArgumentException(name + " needs " + size + " elements from offset " + offset
                    + ", but " + name + ".length is " + a.length);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + size + (isClosed() ? ", closed]" : "]");
    }
}
