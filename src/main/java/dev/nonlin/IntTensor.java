package dev.nonlin;

/**
 * A vector of {@code int}s owned by one {@link Backend}: the class targets of
 * {@code softmax_cross_entropy} (one per row), kept where the logits live. A heap array on the
 * CPU, device memory on CUDA; either way a copy of the caller's array, whose contents change only
 * through {@link #copyFrom}.
 *
 * <p>Why a type of its own rather than indices encoded as floats in a {@link Tensor}: a float
 * holds integers exactly only up to 2²⁴, an index read from a float needs a conversion that can
 * silently truncate, and a target tensor that cannot be passed where logits are expected is one
 * bug fewer. It is deliberately small: made from an {@code int[]}, copied in and out, closed.
 *
 * <p>Close it when done; closing twice is harmless.
 */
public interface IntTensor extends AutoCloseable {

    /** The backend that owns this tensor. */
    Backend backend();

    /** Number of ints. */
    long size();

    /** Copies {@code size()} ints from {@code src[srcOffset...]} into this tensor. */
    void copyFrom(int[] src, int srcOffset);

    /** Copies this tensor into {@code dst[dstOffset...]} ({@code size()} ints). */
    void copyTo(int[] dst, int dstOffset);

    /** A new array with this tensor's contents. */
    default int[] toArray() {
        long n = size();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("int tensor of " + n + " elements does not fit in a Java array");
        }
        int[] a = new int[(int) n];
        copyTo(a, 0);
        return a;
    }

    boolean isClosed();

    /** Frees the memory. Idempotent. */
    @Override
    void close();
}
