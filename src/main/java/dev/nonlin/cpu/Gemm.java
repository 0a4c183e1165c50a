package dev.nonlin.cpu;

/**
 * SGEMM on row-major float arrays: {@code c = alpha·op(a)·op(b) + beta·c} for the rows
 * [i0, i1) of c. Callers split rows across threads; each element of c is accumulated over k in
 * increasing order, whatever the split, so results do not depend on the thread count.
 *
 * <p>This is the plain version: an i-p-j loop (a row of c accumulates {@code a[i,p]·b[p,:]},
 * which C2 vectorises when b is not transposed) and a dot product per element when it is.
 */
final class Gemm {
    private Gemm() {
    }

    /**
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
