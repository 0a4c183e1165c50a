package dev.nonlin.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGEMM with the Vector API, after Goto and van de Geijn ("Anatomy of high-performance matrix
 * multiplication", 2008) and BLIS's loop nest: op(b) is packed into panels of {@link #NR} columns,
 * op(a) into panels of {@link #MR} rows, and a register-blocked micro-kernel multiplies one A panel
 * by one B panel, keeping its {@code MR × NR} tile of c in 12 vector registers (AVX2: 6 rows × 2
 * vectors of 8 floats, the 6×16 shape of BLIS's Haswell kernel; 12 accumulators + 2 B vectors + 1
 * broadcast A value fill 15 of the 16 ymm registers).
 *
 * <pre>
 *   for each chunk of columns j0 (only when k × n is huge)     pack op(b)[:, j0..] whole: k × nc
 *     fork over blocks of rows of c (multiples of MR)          one task per block, on the pool
 *       for pc in k, step depth(k) ≤ KC                        a B block (kc × nc) shared by all tasks
 *         for ic in the task's rows, step MC                   pack op(a)[ic.., pc..]: MC × kc, in L2
 *           for each B panel (NR columns, kc × NR, in L1)
 *             for each A panel (MR rows)                       micro-kernel: kc fmas per accumulator
 * </pre>
 *
 * <p><b>The same bits on every thread count.</b> Every element of c is the sum over k in blocks of
 * {@link #depth} (at most {@link #KC}) from 0: inside a block, one accumulator lane takes
 * {@code fma(a[i,p], b[p,j], acc)} for p in increasing order, from 0; then
 * {@code c = alpha·acc + beta·c} after the first block and {@code c = alpha·acc + c} after each
 * later one. Nothing here depends on where a row falls in a
 * task, a block or a tile: the kernel leaves every tile's accumulators in a small buffer, and edge
 * tiles (run on zero-padded panels) update c with the same float arithmetic, element by element,
 * for the valid elements only.
 *
 * <p><b>Allocation.</b> Each thread keeps its A block and tile (ThreadLocal, allocated once);
 * the caller keeps its packed B (ThreadLocal, grown as needed up to {@link #B_CHUNK} floats; a
 * bigger one is allocated per call, which only a k above 131 072 needs).
 */
final class SimdGemm implements Gemm {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Rows of the micro-tile: 6 × 2 accumulators leave 4 of AVX2's 16 vector registers. */
    static final int MR = 6;
    /** Columns of the micro-tile: two vectors. */
    static final int NR = 2 * L;
    /** Depth of a block: a B panel (KC × NR floats, 16 KiB with AVX2) stays in L1. */
    static final int KC = 256;
    /** Rows of an A block (MC × KC floats, 144 KiB): stays in L2 (512 KiB per core here). */
    static final int MC = 144;
    /** Largest packed B (floats) kept per calling thread, 8 MiB; wider B is packed in column chunks. */
    static final int B_CHUNK = 1 << 21;

    static final SimdGemm INSTANCE = new SimdGemm();

    private SimdGemm() {
    }

    /** A thread's packing buffers. */
    private static final class Scratch {
        final float[] a = new float[MC * KC];
        final float[] tile = new float[MR * NR];
        float[] b = new float[0];

        float[] b(int size) {
            if (size > B_CHUNK) {
                return new float[size];
            }
            if (b.length < size) {
                b = new float[size];
            }
            return b;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public String description() {
        return "SIMD micro-kernel " + MR + "×" + NR + " (" + MR + " rows × 2 vectors of " + L + " floats, fma), "
                + "packed panels, blocks of " + KC + " (k) × " + MC + " (rows)";
    }

    @Override
    public void multiply(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, float[] b, float beta,
                         float[] c, RowSplitter split) {
        if ((long) k * NR > Integer.MAX_VALUE - 8) {
            // one padded B panel would not fit in an array; only a skinny b this deep gets here
            ScalarGemm.INSTANCE.multiply(ta, tb, m, n, k, alpha, a, b, beta, c, split);
            return;
        }
        int chunk = Math.max(NR, B_CHUNK / k / NR * NR);
        for (int j0 = 0; j0 < n; j0 += chunk) {
            int first = j0;
            int nc = Math.min(chunk, n - j0);
            float[] bp = SCRATCH.get().b(k * padded(nc));
            packB(tb, b, n, k, j0, nc, bp);
            split.run(m, MR, (long) m * nc * k, (i0, i1) ->
                    compute(ta, m, n, k, alpha, a, beta, c, bp, first, nc, i0, i1));
        }
    }

    /**
     * The depth of the k blocks: k split evenly into blocks of at most KC (784 is 4 × 196, not
     * 3 × 256 + 16, whose last block would pack and update c for little work). A function of k
     * alone, so the blocks, and with them every element's order of additions, are fixed.
     */
    private static int depth(int k) {
        int blocks = (k + KC - 1) / KC;
        return (k + blocks - 1) / blocks;
    }

    /** n rounded up to whole panels. */
    private static int padded(int n) {
        return (n + NR - 1) / NR * NR;
    }

    /**
     * Rows [i0, i1) of c, columns [j0, j0 + nc), from the packed B of those columns. With
     * {@code readC} false, c is not read (beta = 0 in the first k block).
     */
    private static void compute(boolean ta, int m, int n, int k, float alpha, float[] a, float beta, float[] c,
                                float[] bp, int j0, int nc, int i0, int i1) {
        Scratch s = SCRATCH.get();
        float[] ap = s.a;
        float[] tile = s.tile;
        int ncPad = padded(nc);
        int depth = depth(k);
        for (int pc = 0; pc < k; pc += depth) {
            int kc = Math.min(depth, k - pc);
            boolean readC = pc > 0 || beta != 0f;
            float cScale = pc > 0 ? 1f : beta;   // 1·c is c, exactly
            for (int ic = i0; ic < i1; ic += MC) {
                int mc = Math.min(MC, i1 - ic);
                packA(ta, a, m, k, ic, mc, pc, kc, ap);
                for (int jp = 0; jp * NR < nc; jp++) {
                    int j = j0 + jp * NR;
                    int nr = Math.min(NR, j0 + nc - j);
                    int bo = pc * ncPad + jp * NR * kc;
                    for (int ip = 0; ip * MR < mc; ip++) {
                        int i = ic + ip * MR;
                        int mr = Math.min(MR, ic + mc - i);
                        int ao = ip * MR * kc;
                        kernel(kc, ap, ao, bp, bo, tile);
                        if (mr == MR && nr == NR) {
                            update(tile, c, i * n + j, n, alpha, cScale, readC);
                        } else {
                            updateEdge(tile, c, i * n + j, n, mr, nr, alpha, cScale, readC);
                        }
                    }
                }
            }
        }
    }

    /**
     * The micro-kernel: {@code MR × NR} accumulators over kc steps of one A panel (MR floats per
     * step) and one B panel (NR floats per step), stored into the tile t (MR rows of NR). Written
     * out by hand: locals are what C2 keeps in registers, and an array of vectors would not be.
     * The update of c is a method of its own: inside this one, passed to a helper, the
     * accumulators were boxed (a kilobyte per tile); written out here, the kernel grew past what
     * C2 compiles well (half the speed, and a deoptimisation whenever the first k block's
     * "do not read c" branch flipped).
     */
    private static void kernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] t) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector a = FloatVector.broadcast(S, ap[ao]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            ao += MR;
            bo += NR;
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c10.intoArray(t, NR);
        c11.intoArray(t, NR + L);
        c20.intoArray(t, 2 * NR);
        c21.intoArray(t, 2 * NR + L);
        c30.intoArray(t, 3 * NR);
        c31.intoArray(t, 3 * NR + L);
        c40.intoArray(t, 4 * NR);
        c41.intoArray(t, 4 * NR + L);
        c50.intoArray(t, 5 * NR);
        c51.intoArray(t, 5 * NR + L);
    }

    /**
     * {@code c = alpha·t + cScale·c} (or {@code alpha·t} without reading c) for a whole tile:
     * two roundings and no fma, the same arithmetic as {@link #updateEdge}.
     */
    private static void update(float[] t, float[] c, int co, int ldc, float alpha, float cScale, boolean readC) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        FloatVector vs = FloatVector.broadcast(S, cScale);
        for (int r = 0; r < MR; r++) {
            int o = co + r * ldc;
            for (int q = 0; q < NR; q += L) {
                FloatVector y = FloatVector.fromArray(S, t, r * NR + q).mul(va);
                if (readC) {
                    y = y.add(FloatVector.fromArray(S, c, o + q).mul(vs));
                }
                y.intoArray(c, o + q);
            }
        }
    }

    /** The same update for the mr × nr corner of a tile that sticks out of c. */
    private static void updateEdge(float[] t, float[] c, int co, int ldc, int mr, int nr, float alpha, float cScale,
                                   boolean readC) {
        for (int r = 0; r < mr; r++) {
            int o = co + r * ldc;
            for (int q = 0; q < nr; q++) {
                float y = alpha * t[r * NR + q];
                c[o + q] = readC ? y + cScale * c[o + q] : y;
            }
        }
    }

    /**
     * op(a)[i0 .. i0 + mc, pc .. pc + kc] into panels of MR rows: panel ip holds, for each p, the
     * MR values of column p (rows past mc are zeros), so the kernel reads A in order.
     */
    private static void packA(boolean ta, float[] a, int m, int k, int i0, int mc, int pc, int kc, float[] ap) {
        for (int ip = 0; ip * MR < mc; ip++) {
            int i = i0 + ip * MR;
            int mr = Math.min(MR, i0 + mc - i);
            int o = ip * MR * kc;
            if (!ta && mr == MR) {
                // a is m × k: six rows, each contiguous over p, interleaved with no inner loop:
                // twelve memory operations per six floats (the loop below, over r then p, made
                // packing cost a seventh of the time at n = 256)
                int s0 = i * k + pc;
                int s1 = s0 + k;
                int s2 = s1 + k;
                int s3 = s2 + k;
                int s4 = s3 + k;
                int s5 = s4 + k;
                for (int p = 0, d = o; p < kc; p++, d += MR) {
                    ap[d] = a[s0 + p];
                    ap[d + 1] = a[s1 + p];
                    ap[d + 2] = a[s2 + p];
                    ap[d + 3] = a[s3 + p];
                    ap[d + 4] = a[s4 + p];
                    ap[d + 5] = a[s5 + p];
                }
            } else if (!ta) {
                // a is m × k: row i + r is contiguous over p (the last rows of c)
                interleave(a, i * k + pc, k, mr, kc, ap, o, MR);
            } else {
                // a is k × m: column i + r of op(a) is row pc + p of a, contiguous over r
                for (int p = 0; p < kc; p++) {
                    int src = (pc + p) * m + i;
                    for (int r = 0; r < mr; r++) {
                        ap[o + p * MR + r] = a[src + r];
                    }
                }
                zeroLanes(ap, o, MR, mr, kc);
            }
        }
    }

    /**
     * Lines of kc floats, {@code lines} of them {@code stride} apart from {@code src[s]}, into a
     * panel {@code width} lanes wide: {@code dst[o + p·width + r] = src[s + r·stride + p]}, and
     * zeros in the lanes from {@code lines} to {@code width}.
     */
    private static void interleave(float[] src, int s, int stride, int lines, int kc, float[] dst, int o, int width) {
        for (int r = 0; r < lines; r++) {
            int from = s + r * stride;
            for (int p = 0; p < kc; p++) {
                dst[o + p * width + r] = src[from + p];
            }
        }
        zeroLanes(dst, o, width, lines, kc);
    }

    /** Zeros in lanes [from, width) of kc steps of a panel {@code width} lanes wide at {@code o}. */
    private static void zeroLanes(float[] dst, int o, int width, int from, int kc) {
        if (from == width) {
            return;
        }
        for (int p = 0; p < kc; p++) {
            java.util.Arrays.fill(dst, o + p * width + from, o + p * width + width, 0f);
        }
    }

    /**
     * op(b)[:, j0 .. j0 + nc] into blocks of KC rows, each block into panels of NR columns: block
     * pc starts at {@code pc·ncPad}, its panel jp at {@code + jp·NR·kc}, and holds, for each p,
     * the NR values of row p (columns past nc are zeros).
     */
    private static void packB(boolean tb, float[] b, int n, int k, int j0, int nc, float[] bp) {
        int ncPad = padded(nc);
        int depth = depth(k);
        for (int pc = 0; pc < k; pc += depth) {
            int kc = Math.min(depth, k - pc);
            for (int jp = 0; jp * NR < nc; jp++) {
                int j = j0 + jp * NR;
                int nr = Math.min(NR, j0 + nc - j);
                int o = pc * ncPad + jp * NR * kc;
                if (!tb) {
                    // b is k × n: row pc + p of the panel is contiguous
                    for (int p = 0; p < kc; p++) {
                        int src = (pc + p) * n + j;
                        int dst = o + p * NR;
                        // arraycopy, not a vector load and store: the store's receiver has no exact
                        // class here, and once SimdKernels' 128-bit stores have made intoArray's type
                        // profile bimorphic, the store intrinsic fails and boxes every vector
                        System.arraycopy(b, src, bp, dst, nr);
                    }
                    zeroLanes(bp, o, NR, nr, kc);
                } else {
                    // b is n × k: column j + q of op(b) is row j + q of b, contiguous over p
                    interleave(b, j * k + pc, k, nr, kc, bp, o, NR);
                }
            }
        }
    }
}
