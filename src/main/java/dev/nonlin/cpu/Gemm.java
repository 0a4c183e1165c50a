package dev.nonlin.cpu;

/**
 * SGEMM on row-major float arrays, {@code c = alpha·op(a)·op(b) + beta·c}, one implementation per
 * instruction set like {@link Kernels}: {@link ScalarGemm} (the plain reference loop) and
 * {@code SimdGemm} (packed panels and a Vector API micro-kernel, loaded only with
 * {@code SimdKernels}).
 *
 * <p>Contract for both: each element of c is accumulated over k in an order fixed by m, n, k
 * alone, never by how the rows are split, so results are the same bits on every thread count.
 */
interface Gemm {

    /** Which path this is, for {@code nonlin info}. */
    String description();

    /**
     * Arguments are validated; m, n, k ≥ 1 and alpha ≠ 0 (the caller has handled the empty
     * cases); with beta = 0, c is not read.
     *
     * @param ta    whether a is read transposed (a is then k × m, else m × k)
     * @param tb    whether b is read transposed (b is then n × k, else k × n)
     * @param split runs ranges of rows of c, maybe on several threads
     */
    void multiply(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, float[] b, float beta,
                  float[] c, RowSplitter split);

    /** How the backend spreads rows of c over threads. */
    @FunctionalInterface
    interface RowSplitter {
        /**
         * Runs body over [0, rows) in ranges that start at multiples of {@code grain}, on the
         * pool when {@code work} (multiply-adds) is large enough to pay for the split.
         */
        void run(int rows, int grain, long work, CpuBackend.Range body);
    }
}
