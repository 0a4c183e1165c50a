package dev.nonlin;

/**
 * Runs activations forward and backward. One interface, two implementations: the CPU backend
 * (scalar reference, SIMD, threads) and the CUDA backend.
 *
 * <p><b>Shapes.</b> Every call takes {@code rows × cols} elements, stored contiguously in row
 * order. Elementwise functions see only the count. Row-wise functions (softmax, log_softmax)
 * normalise each row of {@code cols} elements, and PReLU takes its α per column (channels along
 * the last axis). The short overloads treat an array as one row.
 *
 * <p><b>In place.</b> Passing the same array and offset for input and output is allowed
 * ({@code y == x} forward, {@code dx == dy} backward); ranges that overlap any other way are
 * rejected.
 *
 * <p><b>Errors.</b> Bad arguments (null, a length or shape mismatch, an offset out of range,
 * {@code rows × cols} too large, a tensor of another backend or already closed) throw
 * {@link IllegalArgumentException} naming the argument and the value, before any output is
 * written.
 *
 * <p><b>Threads.</b> Implementations are safe for concurrent use: one instance may be called from
 * many threads at once.
 */
public interface Backend {

    /** Short name: {@code cpu} or {@code cuda}. */
    String name();

    /** One line for humans: the path in use (SIMD width, threads, device). */
    String description();

    // ------------------------------------------------------------------ host arrays

    /**
     * {@code y = f(x)} over {@code rows × cols} elements.
     *
     * @param f       the function; not modified
     * @param x       input; not modified (unless {@code y == x} at the same offset)
     * @param xOffset first element of x
     * @param y       output; modified
     * @param yOffset first element of y
     * @param rows    number of rows (≥ 0)
     * @param cols    elements per row (≥ 0); the softmax axis and the PReLU channel axis
     */
    void forward(Activation f, float[] x, int xOffset, float[] y, int yOffset, int rows, int cols);

    /**
     * {@code dx = dy · f'(x)} (elementwise), or the Jacobian-vector product for row-wise
     * functions. {@code dx} may be {@code dy} (same offset).
     */
    void backward(Activation f, float[] x, int xOffset, float[] dy, int dyOffset,
                  float[] dx, int dxOffset, int rows, int cols);

    /**
     * Backward from the output {@code y = f(x)} instead of x, for functions where
     * {@link Activation#backwardFromOutput()} is true; throws {@link IllegalArgumentException}
     * for the others. Lets training code run forward in place and drop x.
     */
    void backwardFromOutput(Activation f, float[] y, int yOffset, float[] dy, int dyOffset,
                            float[] dx, int dxOffset, int rows, int cols);

    /**
     * PReLU with a learned α: {@code y = x > 0 ? x : α[c]·x}, c the column.
     *
     * @param alpha one α for all channels (length 1) or one per column (length cols); not modified
     */
    void preluForward(float[] x, int xOffset, float[] alpha, float[] y, int yOffset, int rows, int cols);

    /**
     * PReLU backward: {@code dx = dy·(x > 0 ? 1 : α[c])} and
     * {@code dAlpha[c] = Σ_rows dy·(x > 0 ? 0 : x)} (summed over every element when α has length 1).
     * The sums are accumulated in double in a fixed order, so they are the same on every run and
     * thread count.
     *
     * @param dAlpha output, same length as alpha; overwritten (not accumulated into)
     */
    void preluBackward(float[] x, int xOffset, float[] alpha, float[] dy, int dyOffset,
                       float[] dx, int dxOffset, float[] dAlpha, int rows, int cols);

    /** {@code y = f(x)} with x and y of the same length, as one row. */
    default void forward(Activation f, float[] x, float[] y) {
        requireSameLength("x", x, "y", y);
        forward(f, x, 0, y, 0, 1, x.length);
    }

    /** {@code x = f(x)} in place, as one row. */
    default void forwardInPlace(Activation f, float[] x) {
        requireNonNull("x", x);
        forward(f, x, 0, x, 0, 1, x.length);
    }

    /** {@code x = f(x)} in place over {@code rows × cols} elements from {@code offset}. */
    default void forwardInPlace(Activation f, float[] x, int offset, int rows, int cols) {
        forward(f, x, offset, x, offset, rows, cols);
    }

    /** {@code dx = dy · f'(x)}, all three of the same length, as one row. */
    default void backward(Activation f, float[] x, float[] dy, float[] dx) {
        requireSameLength("x", x, "dy", dy);
        requireSameLength("x", x, "dx", dx);
        backward(f, x, 0, dy, 0, dx, 0, 1, x.length);
    }

    /** Backward from the output, all three of the same length, as one row. */
    default void backwardFromOutput(Activation f, float[] y, float[] dy, float[] dx) {
        requireSameLength("y", y, "dy", dy);
        requireSameLength("y", y, "dx", dx);
        backwardFromOutput(f, y, 0, dy, 0, dx, 0, 1, y.length);
    }

    // ------------------------------------------------------------------ tensors

    /**
     * Waits until every operation launched on this backend's tensors has finished. Tensor
     * operations may run asynchronously (on CUDA they do); reading a tensor waits by itself, so
     * this is for timing. A no-op on the CPU.
     */
    default void synchronize() {
    }

    /** A new zero-filled tensor of this backend. Close it when done. */
    Tensor allocate(long rows, long cols);

    /**
     * A tensor holding {@code data} ({@code rows × cols} elements from offset 0). The CPU backend
     * wraps the array without copying, so later writes to either are seen by both; the CUDA
     * backend copies it to the device. Read results with {@link Tensor#copyTo} or
     * {@link Tensor#toArray()}.
     */
    Tensor tensor(float[] data, long rows, long cols);

    /** {@link #tensor(float[], long, long)} as one row. */
    default Tensor tensor(float[] data) {
        requireNonNull("data", data);
        return tensor(data, 1, data.length);
    }

    /**
     * Copies tensor {@code x} into tensor {@code y} (same shape, both of this backend). On CUDA
     * this is a device-to-device copy, ordered with the tensor operations; on the CPU an array
     * copy. It moves 8 bytes per element, as a forward activation does, which makes it the
     * bandwidth roofline that {@code nonlin bench} measures kernels against.
     *
     * @param x the source (not modified)
     * @param y the destination (modified); {@code y == x} is a no-op
     */
    void copy(Tensor x, Tensor y);

    /** {@code y = f(x)}; x and y have the same shape; {@code y} may be {@code x}. */
    void forward(Activation f, Tensor x, Tensor y);

    /** {@code dx = dy · f'(x)}; {@code dx} may be {@code dy}. */
    void backward(Activation f, Tensor x, Tensor dy, Tensor dx);

    /** Backward from the output y; see {@link #backwardFromOutput(Activation, float[], int, float[], int, float[], int, int, int)}. */
    void backwardFromOutput(Activation f, Tensor y, Tensor dy, Tensor dx);

    /** PReLU forward; {@code alpha} holds 1 or {@code cols} elements. */
    void preluForward(Tensor x, Tensor alpha, Tensor y);

    /** PReLU backward; {@code dAlpha} has alpha's size and is overwritten. */
    void preluBackward(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha);

    private static void requireNonNull(String name, float[] a) {
        if (a == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
    }

    private static void requireSameLength(String an, float[] a, String bn, float[] b) {
        requireNonNull(an, a);
        requireNonNull(bn, b);
        if (a.length != b.length) {
            throw new IllegalArgumentException(bn + ".length (" + b.length + ") must equal "
                    + an + ".length (" + a.length + ")");
        }
    }
}
