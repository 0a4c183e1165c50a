package dev.nonlin.cpu;

/**
 * The plain SGEMM, the reference path ({@link CpuBackend#scalar()}, and every CPU backend when the
 * JVM lacks the Vector API): an i-p-j loop per row of c (the row accumulates
 * {@code a[i,p]·b[p,:]}, which C2 vectorises when b is not transposed) and a dot product per
 * element when b is transposed. Rows are split across threads; each element of c is accumulated
 * over k in increasing order, whatever the split, so results do not depend on the thread count.
 */
final class ScalarGemm implements Gemm {
    static final ScalarGemm INSTANCE = new ScalarGemm();

    private ScalarGemm() {
    }

    @Override
    public String description() {
        return "plain i-p-j loop";
    }

    @Override
    public void multiply(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, float[] b, float beta,
                         float[] c, RowSplitter split) {
        split.run(m, 1, (long) m * n * k, (i0, i1) -> rows(ta, tb, m, n, k, alpha, a, b, beta, c, i0, i1,
                new float[n]));
    }

    /**
     * Rows [i0, i1) of c.
     *
     * @param ta  whether a is read transposed (a is then k × m, else m × k)
     * @param tb  whether b is read transposed (b is then n × k, else k × n)
     * @param acc scratch of at least n floats
     */
    static void rows(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, float[] b, float beta,
                     float[] c, int i0, int i1, float[] acc) {
        for (int i = i0; i < i1; i++) {
            if (!tb) {
                java.util.Arrays.fill(acc, 0, n, 0f);
                for (int p = 0; p < k; p++) {
                    float aip = ta ? a[p * m + i] : a[i * k + p];
                    int bo = p * n;
                    for (int j = 0; j < n; j++) {
                        acc[j] += aip * b[bo + j];
                    }
                }
            } else {
                for (int j = 0; j < n; j++) {
                    float s = 0f;
                    int bo = j * k;
                    for (int p = 0; p < k; p++) {
                        s += (ta ? a[p * m + i] : a[i * k + p]) * b[bo + p];
                    }
                    acc[j] = s;
                }
            }
            int co = i * n;
            if (beta == 0f) {
                for (int j = 0; j < n; j++) {
                    c[co + j] = alpha * acc[j];
                }
            } else {
                for (int j = 0; j < n; j++) {
                    c[co + j] = alpha * acc[j] + beta * c[co + j];
                }
            }
        }
    }
}
