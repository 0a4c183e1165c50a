package dev.nonlin.bench;

import java.util.Locale;
import java.util.Random;

/**
 * One GEMM workload for {@link GemmBenchmark} and {@code Nd4jGemmBenchmark}: {@code c = op(a)·op(b)},
 * op(a) {@code m × k}, op(b) {@code k × n}, written {@code "m×k×n"} (or {@code "mxkxn"}) as a
 * dense layer's batch × inputs × outputs, with the transposes {@code "NN"}, {@code "NT"},
 * {@code "TN"} or {@code "TT"}. Both sides draw the same a and b (seed 42, N(0, 1)).
 */
final class GemmShape {
    final int m;
    final int k;
    final int n;
    final boolean ta;
    final boolean tb;
    final float[] a;
    final float[] b;

    GemmShape(String shape, String op) {
        String[] p = shape.split("[x×]");
        if (p.length != 3) {
            throw new IllegalArgumentException("shape must be m×k×n (or mxkxn), got '" + shape + "'");
        }
        m = Integer.parseInt(p[0]);
        k = Integer.parseInt(p[1]);
        n = Integer.parseInt(p[2]);
        if (m < 1 || k < 1 || n < 1) {
            throw new IllegalArgumentException("m, k and n must be at least 1, got '" + shape + "'");
        }
        if (!op.matches("[NT][NT]")) {
            throw new IllegalArgumentException("op must be NN, NT, TN or TT, got '" + op + "'");
        }
        ta = op.charAt(0) == 'T';
        tb = op.charAt(1) == 'T';
        Random r = new Random(42);
        a = new float[m * k];
        b = new float[k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
    }

    /** 2mnk: the flops one call does, to turn a time into GFLOP/s. */
    double flops() {
        return 2.0 * m * n * k;
    }

    /** Rows and columns of a (or b) as stored. */
    long aRows() {
        return ta ? k : m;
    }

    long aCols() {
        return ta ? m : k;
    }

    long bRows() {
        return tb ? n : k;
    }

    long bCols() {
        return tb ? k : n;
    }

    /**
     * Spot-checks c (row-major m × n) against op(a)·op(b) in double at 257 elements, with the
     * library's bound (k + 2)·2⁻²³·Σ|a||b|; throws, so that a wrong result is never timed.
     */
    void check(String who, float[] c) {
        Random r = new Random(7);
        double worst = 0;
        for (int s = 0; s < 257; s++) {
            int i = s == 0 ? m - 1 : r.nextInt(m);
            int j = s == 0 ? n - 1 : r.nextInt(n);
            double sum = 0;
            double abs = 0;
            for (int p = 0; p < k; p++) {
                double v = (double) (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                sum += v;
                abs += Math.abs(v);
            }
            double ratio = Math.abs(c[i * n + j] - sum) / ((k + 2) * 0x1p-23 * abs);
            if (!(ratio <= 1)) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s: c[%d, %d] = %s, exact %s: outside the"
                        + " bound (%.3g × it), so not timed", who, i, j, c[i * n + j], sum, ratio));
            }
            worst = Math.max(worst, ratio);
        }
        System.out.printf(Locale.ROOT, "%n%s %d×%d×%d: largest error %.3g of the bound at 257 spot checks%n", who, m, k,
                n, worst);
    }
}
