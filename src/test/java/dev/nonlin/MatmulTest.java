package dev.nonlin;

import dev.nonlin.DenseChecks.MatmulCase;
import dev.nonlin.DenseChecks.MatmulReference;
import dev.nonlin.cpu.CpuBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.nonlin.DenseChecks.filled;
import static dev.nonlin.DenseChecks.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Backend#matmul} on every CPU path: all four transposes over shapes that straddle vector
 * widths, micro-tiles and cache blocks, against a float64 reference under the bound of
 * {@link MatmulReference}; the same bits on one thread and split across threads; beta = 0 never
 * reads c; empty shapes; and argument checks that write nothing.
 */
class MatmulTest {

    /** Sizes around 8-float vectors, 6-row and 16-column micro-tiles, and blocks of 64–256. */
    static final int[] SIZES = {1, 3, 7, 8, 9, 16, 17, 31, 33, 64, 65, 100, 257};

    /** (alpha, beta): plain product, accumulation, general scalars, scaled product into a NaN c. */
    static final float[][] SCALARS = {{1, 0}, {1, 1}, {-0.5f, 2}, {2.5f, 0}, {1, -1}};

    static List<Backend> backends() {
        return DenseChecks.cpuBackends();
    }

    /** 20 random triples per transpose pair (seeded by Contract.SEED), the extremes, and big ones. */
    static List<MatmulCase> cases() {
        Random r = new Random(Contract.SEED);
        List<MatmulCase> cases = new ArrayList<>();
        for (Transpose ta : Transpose.values()) {
            for (Transpose tb : Transpose.values()) {
                for (int i = 0; i < 20; i++) {
                    float[] s = SCALARS[i % SCALARS.length];
                    cases.add(new MatmulCase(SIZES[r.nextInt(SIZES.length)], SIZES[r.nextInt(SIZES.length)],
                            SIZES[r.nextInt(SIZES.length)], ta, tb, s[0], s[1], r.nextLong()));
                }
                for (int[] s : new int[][] {{1, 1, 1}, {257, 1, 257}, {1, 257, 257}, {257, 257, 1}, {512, 384, 300},
                        {300, 257, 513}}) {
                    cases.add(new MatmulCase(s[0], s[1], s[2], ta, tb, 1, s[0] == 300 ? 1 : 0, r.nextLong()));
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void withinBoundAndTheSameOnEveryThreadCount(MatmulCase mc) {
        MatmulReference ref = new MatmulReference(mc);
        float[] first = null;
        Backend firstBackend = null;
        for (Backend b : backends()) {
            float[] c = DenseChecks.matmul(b, mc);
            ref.check(c, b.toString());
            if (b.toString().contains("scalar") && CpuBackend.simdAvailable()) {
                continue;   // the plain loop rounds differently from the SIMD kernel; both meet the bound
            }
            if (first == null) {
                first = c;
                firstBackend = b;
            } else {
                Backend fb = firstBackend;
                assertArrayEquals(first, c, () -> mc + ": " + b + " differs from " + fb + " (seed " + mc.seed() + ")");
            }
        }
    }

    /**
     * {@code -Dnonlin.cpu.gemm=plain} takes the reference loop on a SIMD backend, says so, and its
     * thread split gives the scalar backend's bits.
     */
    @Test
    void plainLoopOnRequestSplitsToTheSameBits() {
        Assumptions.assumeTrue(CpuBackend.simdAvailable(), "needs the Vector API for a SIMD backend to override");
        Backend plain = DenseChecks.plainSplitting(1);
        assertTrue(((CpuBackend) plain).gemmDescription().contains("forced by -Dnonlin.cpu.gemm=plain"),
                ((CpuBackend) plain).gemmDescription());
        for (MatmulCase mc : sliceCases()) {
            assertArrayEquals(DenseChecks.matmul(CpuBackend.scalar(), mc), DenseChecks.matmul(plain, mc), mc.toString());
        }
    }

    /**
     * A block of rows of c computed on its own gives the same bits as inside the whole product:
     * no element's k order depends on where its row falls in a tile, a block or a thread's share.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("sliceCases")
    void rowBlocksGiveTheSameBitsAsTheWhole(MatmulCase mc) {
        for (Backend b : backends()) {
            float[] whole = DenseChecks.matmul(b, mc);
            float[] a = mc.a();
            float[] bv = mc.b();
            float[] c0 = mc.c();
            for (int[] range : new int[][] {{0, 1}, {1, 8}, {7, 20}, {13, mc.m()}}) {
                int r0 = range[0];
                int rows = range[1] - r0;
                float[] aSlice = opRows(a, mc.ta(), mc.m(), mc.k(), r0, rows);
                try (Tensor ta = b.tensor(aSlice, mc.ta() == Transpose.N ? rows : mc.k(), mc.ta() == Transpose.N ? mc.k() : rows);
                     Tensor tb = b.tensor(bv.clone(), mc.bRows(), mc.bCols());
                     Tensor tc = b.tensor(Arrays.copyOfRange(c0, r0 * mc.n(), (r0 + rows) * mc.n()), rows, mc.n())) {
                    b.matmul(ta, mc.ta(), tb, mc.tb(), mc.alpha(), mc.beta(), tc);
                    assertArrayEquals(Arrays.copyOfRange(whole, r0 * mc.n(), (r0 + rows) * mc.n()), tc.toArray(),
                            mc + ", rows [" + r0 + ", " + (r0 + rows) + ") alone on " + b);
                }
            }
        }
    }

    static List<MatmulCase> sliceCases() {
        Random r = new Random(Contract.SEED ^ 99);
        List<MatmulCase> cases = new ArrayList<>();
        for (Transpose ta : Transpose.values()) {
            for (Transpose tb : Transpose.values()) {
                cases.add(new MatmulCase(65, 33, 100, ta, tb, 1, 0, r.nextLong()));
                cases.add(new MatmulCase(100, 17, 600, ta, tb, -0.5f, 2, r.nextLong()));
            }
        }
        return cases;
    }

    /** Rows [r0, r0 + rows) of op(a), stored the way a is (m × k, or k × m when transposed). */
    private static float[] opRows(float[] a, Transpose ta, int m, int k, int r0, int rows) {
        if (ta == Transpose.N) {
            return Arrays.copyOfRange(a, r0 * k, (r0 + rows) * k);
        }
        float[] s = new float[k * rows];
        for (int p = 0; p < k; p++) {
            System.arraycopy(a, p * m + r0, s, p * rows, rows);
        }
        return s;
    }

    // ------------------------------------------------------------------ scalars and empty shapes

    @Test
    void emptyShapes() {
        for (Backend b : backends()) {
            for (Transpose ta : Transpose.values()) {
                for (Transpose tb : Transpose.values()) {
                    // m = 0 and n = 0: nothing to do, nothing to throw
                    b.matmul(op(b, ta, 0, 3), ta, op(b, tb, 3, 4), tb, b.allocate(0, 4));
                    b.matmul(op(b, ta, 5, 3), ta, op(b, tb, 3, 0), tb, b.allocate(5, 0));
                    // k = 0: c = beta·c, and beta = 0 writes zeros without reading c
                    Tensor c = b.tensor(new float[] {Float.NaN, 1, 2, 3, 4, 5}, 2, 3);
                    b.matmul(op(b, ta, 2, 0), ta, op(b, tb, 0, 3), tb, 1f, 0f, c);
                    assertArrayEquals(new float[6], c.toArray(), "k = 0, beta = 0 on " + b);
                    c.copyFrom(new float[] {1, -2, 3, 0.5f, 5, 6}, 0);
                    b.matmul(op(b, ta, 2, 0), ta, op(b, tb, 0, 3), tb, 1f, 3f, c);
                    assertArrayEquals(new float[] {3, -6, 9, 1.5f, 15, 18}, c.toArray(), "k = 0, beta = 3 on " + b);
                }
            }
        }
    }

    /** A tensor holding op = rows × cols under t, filled with ones. */
    private static Tensor op(Backend b, Transpose t, int rows, int cols) {
        float[] ones = new float[rows * cols];
        Arrays.fill(ones, 1f);
        return t == Transpose.N ? b.tensor(ones, rows, cols) : b.tensor(ones, cols, rows);
    }

    /** BLAS's alpha = 0: c = beta·c, and a and b are not read (a NaN there does not leak). */
    @Test
    void alphaZeroScalesCOnly() {
        for (Backend b : backends()) {
            Tensor a = b.tensor(new float[] {Float.NaN, 1, 2, 3}, 2, 2);
            Tensor bt = b.tensor(new float[] {1, Float.POSITIVE_INFINITY, 2, 3}, 2, 2);
            Tensor c = b.tensor(new float[] {1, 2, 3, 4}, 2, 2);
            b.matmul(a, Transpose.N, bt, Transpose.N, 0f, 0.5f, c);
            assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2}, c.toArray(), b.toString());
        }
    }

    /** Gradients accumulated over two mini-batches with beta = 1 equal the whole batch's, within the bound. */
    @Test
    void betaOneAccumulatesAcrossBatches() {
        int in = 37;
        int out = 19;
        int rows1 = 50;
        int rows2 = 33;
        float[] x = DenseChecks.gaussian(Contract.SEED, (rows1 + rows2) * in, 1);
        float[] dz = DenseChecks.gaussian(Contract.SEED + 1, (rows1 + rows2) * out, 1);
        for (Backend b : backends()) {
            try (Tensor x1 = b.tensor(Arrays.copyOfRange(x, 0, rows1 * in), rows1, in);
                 Tensor x2 = b.tensor(Arrays.copyOfRange(x, rows1 * in, x.length), rows2, in);
                 Tensor d1 = b.tensor(Arrays.copyOfRange(dz, 0, rows1 * out), rows1, out);
                 Tensor d2 = b.tensor(Arrays.copyOfRange(dz, rows1 * out, dz.length), rows2, out);
                 Tensor dw = b.allocate(in, out)) {
                b.matmul(x1, Transpose.T, d1, Transpose.N, 1f, 0f, dw);
                b.matmul(x2, Transpose.T, d2, Transpose.N, 1f, 1f, dw);
                float[] got = dw.toArray();
                int k = rows1 + rows2;
                for (int i = 0; i < in; i++) {
                    for (int j = 0; j < out; j++) {
                        double s = 0;
                        double abs = 0;
                        for (int r = 0; r < k; r++) {
                            double p = (double) x[r * in + i] * dz[r * out + j];
                            s += p;
                            abs += Math.abs(p);
                        }
                        double bound = (k + 2) * DenseChecks.EPS * abs;
                        float g = got[i * out + j];
                        assertTrue(Math.abs(g - s) <= bound, "dW[" + i + ", " + j + "] = " + g + ", exact " + s
                                + ", bound " + bound + " on " + b + " (seed " + Contract.SEED + ")");
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ arguments

    private final Backend b = CpuBackend.get();

    @Test
    void badArgumentsAreNamedAndNothingIsWritten() {
        Tensor a = filled(b, 2, 3);
        Tensor bt = filled(b, 3, 4);
        Tensor c = filled(b, 2, 4);
        rejects("a must not be null", () -> b.matmul(null, Transpose.N, bt, Transpose.N, c), c);
        rejects("b must not be null", () -> b.matmul(a, Transpose.N, null, Transpose.N, c), c);
        rejects("ta must be Transpose.N or Transpose.T, got null",
                () -> b.matmul(a, null, bt, Transpose.N, c), c);
        rejects("tb must be Transpose.N or Transpose.T, got null",
                () -> b.matmul(a, Transpose.N, bt, null, c), c);
        rejects("op(a) is 3 × 2 (a is 2 × 3, T) but op(b) is 3 × 4 (b is 3 × 4, N): the inner dimensions"
                + " must agree", () -> b.matmul(a, Transpose.T, bt, Transpose.N, c), c);
        rejects("op(a) is 2 × 3 (a is 2 × 3, N) but op(b) is 4 × 3 (b is 3 × 4, T)",
                () -> b.matmul(a, Transpose.N, bt, Transpose.T, c), c);
        Tensor wrong = filled(b, 2, 3);
        rejects("c is 2 × 3 but op(a)·op(b) is 2 × 4", () -> b.matmul(a, Transpose.N, bt, Transpose.N, wrong),
                wrong);
        Tensor square = filled(b, 3, 3);
        rejects("c must be a tensor of its own, not a",
                () -> b.matmul(square, Transpose.N, filled(b, 3, 3), Transpose.N, square), square);
        rejects("c must be a tensor of its own, not b",
                () -> b.matmul(filled(b, 3, 3), Transpose.N, square, Transpose.T, square), square);
        // CPU tensors wrap arrays: a second tensor over a's array is a, as far as c is concerned
        float[] shared = new float[9];
        Tensor left = b.tensor(shared, 3, 3);
        Tensor alias = b.tensor(shared, 3, 3);
        rejects("c must be a tensor of its own, not a (nor share its data)",
                () -> b.matmul(left, Transpose.N, filled(b, 3, 3), Transpose.N, alias), alias);
        Optimizer sgd = new Optimizer.Sgd(0.1f, 0f, 0f);
        float[] wg = new float[6];
        Tensor w = b.tensor(wg, 2, 3);
        rejects("g must not be w", () -> b.optimizerStep(sgd, 1, w, b.tensor(wg, 2, 3), null, null), w);
        Tensor foreign = CpuBackend.scalar().tensor(new float[12], 3, 4);
        rejects("b belongs to another cpu backend instance (cpu: ",
                () -> b.matmul(a, Transpose.N, foreign, Transpose.N, c), c);
        Tensor closed = filled(b, 2, 3);
        closed.close();
        rejects("a is closed", () -> b.matmul(closed, Transpose.N, bt, Transpose.N, c), c);
        Tensor closedC = filled(b, 2, 4);
        closedC.close();
        rejects("c is closed", () -> b.matmul(a, Transpose.N, bt, Transpose.N, closedC));
    }
}
