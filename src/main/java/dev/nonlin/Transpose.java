package dev.nonlin;

/**
 * Whether {@link Backend#matmul} reads an operand as stored ({@link #N}) or transposed
 * ({@link #T}): BLAS's {@code transa}/{@code transb}, for row-major tensors.
 */
public enum Transpose {
    /** op(A) = A: a {@code rows × cols} tensor is a {@code rows × cols} operand. */
    N,
    /** op(A) = Aᵀ: a {@code rows × cols} tensor is a {@code cols × rows} operand. */
    T;

    /** Rows of op(A) for a tensor of {@code rows × cols}. */
    public long rows(Tensor a) {
        return this == N ? a.rows() : a.cols();
    }

    /** Columns of op(A) for a tensor of {@code rows × cols}. */
    public long cols(Tensor a) {
        return this == N ? a.cols() : a.rows();
    }
}
