package dev.nonlin;

import java.lang.ref.Reference;

/**
 * What every backend's {@link IntTensor} shares: size, owner, the checks on copies in and out, and
 * a summary of the contents that lets the loss calls check every class target without reading it.
 *
 * <p>An int tensor's contents change only through {@link #copyFrom} (no kernel writes one), so the
 * summary is taken there, from the source array right after the copy (which the caller must not
 * change during the call, as with any copy): the smallest two and the largest two distinct values. That decides "every value is in [0, cols) or equals ignore" for any
 * cols and ignore, since at most one distinct value (ignore) may lie outside the range.
 */
public abstract class AbstractIntTensor implements IntTensor {
    private final Backend backend;
    private final long size;
    /** The summary of the last {@link #copyFrom}; null while unknown (before the first, or after one failed). */
    private volatile Extremes written;

    /**
     * The two smallest and two largest distinct values; an absent second value is
     * {@link Long#MAX_VALUE} (min2) or {@link Long#MIN_VALUE} (max2). Empty contents have
     * min = min2 = {@code MAX_VALUE} and max = max2 = {@code MIN_VALUE}, which every range accepts.
     */
    private record Extremes(long min, long min2, long max, long max2) {
        static Extremes of(int[] a, int from, long n) {
            long min = Long.MAX_VALUE;
            long min2 = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            long max2 = Long.MIN_VALUE;
            for (int i = from; i < from + n; i++) {
                long v = a[i];
                if (v < min) {
                    min2 = min;
                    min = v;
                } else if (v > min && v < min2) {
                    min2 = v;
                }
                if (v > max) {
                    max2 = max;
                    max = v;
                } else if (v < max && v > max2) {
                    max2 = v;
                }
            }
            return new Extremes(min, min2, max, max2);
        }

        /** Whether every value is in [0, cols) or equals ignore. */
        boolean within(long cols, int ignore) {
            boolean low = min >= 0 || (min == ignore && min2 >= 0);
            boolean high = max < cols || (max == ignore && max2 < cols);
            return low && high;
        }
    }

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

    /**
     * Synchronized, so that two threads copying into one tensor at once leave contents and
     * summary from the same copy (unsynchronized, one thread's summary could land after the other's
     * copy, and a bad target would then pass the check for good).
     */
    @Override
    public final synchronized void copyFrom(int[] src, int srcOffset) {
        check("src", src, srcOffset);
        written = null;
        copyFromChecked(src, srcOffset);
        written = Extremes.of(src, srcOffset, size);
    }

    @Override
    public final void copyTo(int[] dst, int dstOffset) {
        check("dst", dst, dstOffset);
        copyToChecked(dst, dstOffset);
        Reference.reachabilityFence(this);   // see AbstractBackend: no Cleaner frees us mid-copy
    }

    /**
     * Whether every int is a class index in [0, cols) or equals {@code ignore}: in O(1) from the
     * summary of what was written, so on CUDA it reads nothing from the device (unless the last
     * copy in failed, leaving the contents unknown: then it reads them back).
     */
    public final boolean holdsClassesBelow(long cols, int ignore) {
        Extremes e = written;
        if (e == null) {
            int[] a = toArray();
            e = Extremes.of(a, 0, a.length);
        }
        return e.within(cols, ignore);
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
