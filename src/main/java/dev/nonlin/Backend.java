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
 * many threads at once. Tensors are not locks: the caller orders the uses of one tensor, as for
 * any array. Many threads may read one tensor at once, but a tensor must not be written (as an
 * output or by {@code copyFrom}) while another thread reads or writes it, nor closed while
 * another thread uses it: on CUDA closing frees the device memory at once, and an operation
 * already past its checks would then use freed memory.
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

    // ------------------------------------------------------------------ losses on host arrays

    /**
     * The reduced loss L of {@code z} against float targets {@code t} (same shape), for
     * {@code mse}, {@code bce} and {@code bce_with_logits}. Summed in double over fixed blocks in a
     * fixed order: the same value on every run and thread count of a backend.
     *
     * @param loss    the loss; must not take class targets
     * @param z       the input (predictions, probabilities or logits), {@code rows × cols}; not modified
     * @param t       the targets, {@code rows × cols}; not modified
     * @return L, mean or sum by {@code loss.reduction()} (NaN for a mean over 0 elements)
     */
    double lossForward(Loss loss, float[] z, int zOffset, float[] t, int tOffset, int rows, int cols);

    /**
     * The reduced softmax cross-entropy of the logits {@code z} ({@code rows × cols}, one row per
     * sample, classes along the last axis) against one class index per row.
     *
     * @param target {@code rows} class indices, each in [0, cols) or the loss's ignore_index;
     *               not modified. A bad one throws before anything is computed.
     * @return L (mean over non-ignored rows: NaN if every row is ignored)
     */
    double lossForward(Loss loss, float[] z, int zOffset, int[] target, int targetOffset, int rows, int cols);

    /**
     * {@code dz = dLoss · ∂L/∂z} for float targets. {@code dz} may be {@code z} or {@code t}
     * (same offset); other overlaps are rejected.
     *
     * @param dLoss the upstream gradient ∂(objective)/∂L, 1 when L is the objective
     * @param dz    output, {@code rows × cols}; overwritten
     */
    void lossBackward(Loss loss, float[] z, int zOffset, float[] t, int tOffset, double dLoss,
                      float[] dz, int dzOffset, int rows, int cols);

    /**
     * {@code dz = dLoss · ∂L/∂z} for softmax cross-entropy with class targets, in one pass over
     * each row ({@code softmax − onehot}, smoothed, scaled). Ignored rows get 0. {@code dz} may be
     * {@code z} (same offset).
     */
    void lossBackward(Loss loss, float[] z, int zOffset, int[] target, int targetOffset, double dLoss,
                      float[] dz, int dzOffset, int rows, int cols);

    /** {@link #lossForward(Loss, float[], int, float[], int, int, int)} with z and t as one row of the same length. */
    default double lossForward(Loss loss, float[] z, float[] t) {
        requireSameLength("z", z, "t", t);
        return lossForward(loss, z, 0, t, 0, 1, z.length);
    }

    /** Softmax cross-entropy with {@code rows = target.length} and {@code cols = z.length / rows}. */
    default double lossForward(Loss loss, float[] z, int[] target) {
        int[] s = classShape(z, target);
        return lossForward(loss, z, 0, target, 0, s[0], s[1]);
    }

    /** {@code dz = ∂L/∂z} (dLoss = 1), all of the same length, as one row. */
    default void lossBackward(Loss loss, float[] z, float[] t, float[] dz) {
        requireSameLength("z", z, "t", t);
        requireSameLength("z", z, "dz", dz);
        lossBackward(loss, z, 0, t, 0, 1.0, dz, 0, 1, z.length);
    }

    /** {@code dz = ∂L/∂z} (dLoss = 1) for softmax cross-entropy, {@code rows = target.length}. */
    default void lossBackward(Loss loss, float[] z, int[] target, float[] dz) {
        int[] s = classShape(z, target);
        requireSameLength("z", z, "dz", dz);
        lossBackward(loss, z, 0, target, 0, 1.0, dz, 0, s[0], s[1]);
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

    // ------------------------------------------------------------------ losses on tensors

    /**
     * An int tensor of this backend holding a copy of {@code data} (class targets, one per row):
     * a heap array of its own on the CPU, device memory on CUDA. It is copied (unlike
     * {@link #tensor(float[], long, long)} on the CPU) so that its contents change only through
     * {@link IntTensor#copyFrom}, which lets the loss calls check every target without reading it.
     */
    IntTensor intTensor(int[] data);

    /**
     * Writes the reduced loss of {@code z} against float targets {@code t} into {@code lossOut}, a
     * tensor of one element, as a float. The loss stays where the data is (on CUDA it is not copied
     * back), so a training loop can keep it there and read it every N steps
     * ({@code lossOut.toArray()[0]}); returning a float would force a device-to-host copy on every
     * step. (On CUDA the reduction's partial sums go to a scratch buffer that the backend keeps,
     * so the call only launches kernels: nothing waits for the GPU.)
     */
    void lossForward(Loss loss, Tensor z, Tensor t, Tensor lossOut);

    /**
     * Softmax cross-entropy into a one-element tensor. {@code target} has {@code z.rows()} ints,
     * each a class index in [0, cols) or the loss's ignore_index; a bad one is refused, naming its
     * position and value, before anything is written, on every backend, as for host arrays. The
     * check reads nothing from the device: each int tensor keeps a summary of what was copied in.
     */
    void lossForward(Loss loss, Tensor z, IntTensor target, Tensor lossOut);

    /** {@code dz = dLoss · ∂L/∂z} for float targets; {@code dz} may be {@code z} or {@code t}. */
    void lossBackward(Loss loss, Tensor z, Tensor t, double dLoss, Tensor dz);

    /**
     * {@code dz = dLoss · ∂L/∂z} for softmax cross-entropy, one pass per row; {@code dz} may be
     * {@code z}. Targets are checked as above.
     */
    void lossBackward(Loss loss, Tensor z, IntTensor target, double dLoss, Tensor dz);

    // ------------------------------------------------------------------ dense layers and training

    /**
     * {@code c = alpha·op(a)·op(b) + beta·c}, BLAS's SGEMM on row-major tensors: op(a) is
     * {@code m × k}, op(b) is {@code k × n}, c is {@code m × n}. With {@code beta = 0}, c's old
     * contents are not read (a NaN there does not leak), as in BLAS. Products are accumulated in
     * float; each element of c is computed in one fixed order, so a backend gives the same result
     * on every run and thread count (two backends may differ by rounding: the bound is
     * {@code k·2⁻²³·Σ|a||b|}, and the tests hold each backend to a float64 reference).
     *
     * @param a  not modified; must not be c
     * @param b  not modified; must not be c
     * @param c  modified
     */
    void matmul(Tensor a, Transpose ta, Tensor b, Transpose tb, float alpha, float beta, Tensor c);

    /** {@code c = op(a)·op(b)}. */
    default void matmul(Tensor a, Transpose ta, Tensor b, Transpose tb, Tensor c) {
        matmul(a, ta, b, tb, 1f, 0f, c);
    }

    /**
     * The dense layer's fused epilogue: {@code y = f(z + bias)}, bias broadcast over rows
     * ({@code z + bias} rounded to float, then f under the usual contract). On CUDA it is one
     * kernel after the GEMM that wrote z, so z + bias is never stored.
     *
     * @param f    an elementwise activation (not softmax/log_softmax, not prelu with its learned α:
     *             run those as {@code biasActivationForward(identity)} then their own call)
     * @param z    {@code rows × cols}, typically {@code x·W}; not modified unless {@code y == z}
     * @param bias {@code cols} elements (any shape); not modified
     * @param y    same shape as z; may be z
     */
    void biasActivationForward(Activation f, Tensor z, Tensor bias, Tensor y);

    /**
     * Backward of {@link #biasActivationForward}: {@code dz = dy · f'(z + bias)}, and
     * {@code dBias[c] = Σ_rows dz[r, c]} summed in double over fixed blocks of rows, so the same
     * on every run, thread count and grid.
     *
     * @param dz     same shape as z; may be dy; overwritten
     * @param dBias  {@code cols} elements, a tensor of its own; overwritten (not accumulated into)
     */
    void biasActivationBackward(Activation f, Tensor z, Tensor bias, Tensor dy, Tensor dz, Tensor dBias);

    /**
     * One step of {@code rule} on parameter w with gradient g, in place, where the tensors live.
     *
     * @param step  t, counting from 1 (Adam's bias correction)
     * @param w     the parameter; modified
     * @param g     its gradient, same shape; not modified
     * @param m     first state tensor (SGD's velocity, Adam's first moment), same shape, zero at
     *              step 1; modified. Null when {@code rule.stateTensors() == 0}.
     * @param v     second state tensor (Adam's second moment); null unless {@code rule.stateTensors() == 2}
     */
    void optimizerStep(Optimizer rule, long step, Tensor w, Tensor g, Tensor m, Tensor v);

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

    private static int[] classShape(float[] z, int[] target) {
        requireNonNull("z", z);
        if (target == null) {
            throw new IllegalArgumentException("target must not be null");
        }
        int rows = target.length;
        if (rows == 0 ? z.length != 0 : z.length % rows != 0) {
            throw new IllegalArgumentException("z.length (" + z.length + ") must be a multiple of target.length ("
                    + rows + "): one target per row");
        }
        return new int[] {rows, rows == 0 ? 0 : z.length / rows};
    }
}
