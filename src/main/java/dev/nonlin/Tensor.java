package dev.nonlin;

/**
 * A {@code rows × cols} float array owned by one {@link Backend}: a heap array on the CPU, device
 * memory on CUDA. Keeping data in tensors across calls avoids host↔device copies, which is the
 * only way an elementwise function pays off on a GPU.
 *
 * <p>Close a tensor when done; closing twice is harmless. A closed tensor's own methods
 * ({@link #copyFrom}, {@link #copyTo}, {@link #toArray}) throw {@link IllegalStateException}; a
 * backend operation given a closed tensor throws {@link IllegalArgumentException} naming the
 * argument ("x is closed"), as for any other bad argument. Closing a tensor that another thread
 * is using is the caller's race (see {@link Backend}'s threads paragraph).
 */
public interface Tensor extends AutoCloseable {

    /** The backend that owns this tensor. */
    Backend backend();

    long rows();

    long cols();

    /** {@code rows × cols}. */
    default long size() {
        return rows() * cols();
    }

    /** Copies {@code size()} elements from {@code src[srcOffset...]} into this tensor. */
    void copyFrom(float[] src, int srcOffset);

    /** Copies this tensor into {@code dst[dstOffset...]} ({@code size()} elements). */
    void copyTo(float[] dst, int dstOffset);

    /** A new array with this tensor's contents. */
    default float[] toArray() {
        long n = size();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor of " + n + " elements does not fit in a Java array");
        }
        float[] a = new float[(int) n];
        copyTo(a, 0);
        return a;
    }

    boolean isClosed();

    /** Frees the memory. Idempotent. */
    @Override
    void close();
}
