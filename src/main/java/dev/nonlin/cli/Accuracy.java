package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Backend;

import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

/**
 * What {@code nonlin accuracy} measures, and how: each function's worst error in ULP against the
 * float64 reference ({@link Reference}), forward, backward at dy = 1 and backward at a random dy,
 * over every float input or over a sample.
 *
 * <ul>
 *   <li>The values under test come from the backend's own float[] path, so the check sees what
 *       users run (the SIMD path when it is on). Inputs are processed in chunks of
 *       {@value #CHUNK} on every core, each worker with buffers of its own: nothing is allocated
 *       per element. Chunks this small stay below the CPU backend's own split threshold, so the
 *       backend runs each one on the calling worker.
 *   <li>The measure is {@link Ulp}: forward {@link Ulp#ulps}, backward {@link Ulp#backwardUlps}
 *       (ULPs beyond the slack 2⁻²³·|dy|; for softmax and log_softmax |dy| is the row's Σ|dy_j|,
 *       as the contract says, since their Jacobian mixes the row).
 *   <li>The random dy of element i is {@link #randomDy}(seed, i), counter-based, so a seed gives
 *       every element the same dy on every backend, thread count and chunking.
 *   <li>The worst element is the largest error, ties to the smallest index (the bit pattern in
 *       exhaustive runs, the position otherwise): a total order, so the answer does not depend on
 *       the order in which chunks finish. {@code cuda/include/nonlin_accuracy.cuh} implements the
 *       same ULP measure, dy and order for the device, bit for bit.
 * </ul>
 */
public final class Accuracy {
    private Accuracy() {
    }

    /** Elements per chunk of work. */
    static final int CHUNK = 1 << 16;
    /** Every float bit pattern. */
    static final long ALL_BITS = 1L << 32;
    /** Row lengths of the row-wise check: one element, warp and vector widths and their neighbours, long rows. */
    static final int[] ROW_LENGTHS = {1, 2, 3, 7, 32, 33, 1000, 1025, 4097};
    /** Elements of the row-wise check in exhaustive mode, where 2³² inputs mean nothing for a row. */
    static final long EXHAUSTIVE_ROW_SAMPLES = 1L << 24;

    /**
     * Inputs every sampled run checks before its random ones: signed zeros, subnormals, tiny
     * values, the kinks and clamps of the formulas (±3, 6, 20, 40, 350), where exp and the
     * results underflow or overflow float (±88.7, ±103.9), huge values, ±MAX, ±∞ and NaN.
     */
    static final float[] SPECIAL = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -1e-40f, Float.MIN_NORMAL,
            -Float.MIN_NORMAL, 1e-8f, -1e-8f, 0.5f, -0.5f, 1f, -1f, 2f, -2f, 3f, -3f, 6f, -6f, 10f, -10f, 20f, -20f,
            40f, -40f, 88.7f, -88.7f, 103.9f, -103.9f, 350f, -350f, 1e4f, -1e4f, 1e30f, -1e30f, Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};

    // ------------------------------------------------------------------ the random dy (shared with CUDA)

    /** splitmix64's golden-ratio increment. */
    static final long GAMMA = 0x9E3779B97F4A7C15L;

    /** splitmix64's finaliser (Steele, Lea, Flood 2014; Stafford's variant 13): a bijective 64-bit mix. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The random dy of element {@code index}: a random sign, one of the 16 binades [2⁻⁸, 2⁸) and 23
     * random mantissa bits, all from one hash of (seed, index). Magnitudes are log-uniform over
     * four decades around 1, so that products neither overflow nor vanish and the ULP measure sees
     * rounding rather than range. The same function is {@code accuracy_dy} in
     * {@code cuda/include/nonlin_accuracy.cuh}.
     */
    public static float randomDy(long seed, long index) {
        long h = mix64(seed + index * GAMMA);
        int sign = (int) (h >>> 63) << 31;
        int exponent = 119 + (int) ((h >>> 23) & 15);   // biased: 2^-8 .. 2^7
        int mantissa = (int) (h & 0x7FFFFF);
        return Float.intBitsToFloat(sign | exponent << 23 | mantissa);
    }

    // ------------------------------------------------------------------ results

    /** The worst element of one measure: the largest error, ties to the smallest index. err −1: nothing checked. */
    static final class Worst {
        double err = -1;
        long index = Long.MAX_VALUE;
        float x = Float.NaN;
        float dy = Float.NaN;

        void offer(double e, long i, float x, float dy) {
            if (e > err || (e == err && i < index)) {
                err = e;
                index = i;
                this.x = x;
                this.dy = dy;
            }
        }

        void merge(Worst o) {
            offer(o.err, o.index, o.x, o.dy);
        }

        /** Whether any element was checked. */
        boolean any() {
            return err >= 0;
        }

        /** Whether the worst error is above 0, so that "where" means something. */
        boolean nonZero() {
            return err > 0;
        }

        static Worst of(double err, long index, float x, float dy) {
            Worst w = new Worst();
            w.err = err;
            w.index = index;
            w.x = x;
            w.dy = dy;
            return w;
        }
    }

    /** The three measures of one function. */
    record Measures(Worst forward, Worst backwardUnitDy, Worst backwardRandomDy) {
        static Measures empty() {
            return new Measures(new Worst(), new Worst(), new Worst());
        }

        void merge(Measures o) {
            forward.merge(o.forward);
            backwardUnitDy.merge(o.backwardUnitDy);
            backwardRandomDy.merge(o.backwardRandomDy);
        }

        /** Whether all three meet the contract (and something was checked). */
        boolean ok() {
            return forward.any() && Ulp.forwardOk(forward.err) && Ulp.backwardOk(backwardUnitDy.err)
                    && Ulp.backwardOk(backwardRandomDy.err);
        }
    }

    /** Reports how many of the inputs are done; called about twice a second from the calling thread. */
    @FunctionalInterface
    interface Progress {
        void update(long done, long total);

        Progress NONE = (done, total) -> { };
    }

    // ------------------------------------------------------------------ sampled inputs

    /**
     * Where sampled inputs come from: the {@link #SPECIAL} values first, then {@code samples}
     * draws in [lo, hi], alternately uniform in value (the bulk of the range) and uniform over
     * the float bit patterns in the range (every binade equally, down to the subnormals). With an
     * infinite bound only the bit-uniform draws make sense, and every draw is one. Input i is a
     * pure function of (seed, i), so chunks can be drawn in parallel and in any order.
     */
    record Sampling(float lo, float hi, long samples, long seed) {
        Sampling {
            if (!(lo <= hi)) {
                throw new IllegalArgumentException("lo (" + lo + ") must be <= hi (" + hi + ")");
            }
            if (samples < 0) {
                throw new IllegalArgumentException("samples must be >= 0, got " + samples);
            }
        }

        /** Special values plus samples. */
        long total() {
            return SPECIAL.length + samples;
        }

        float input(long i) {
            if (i < SPECIAL.length) {
                return SPECIAL[(int) i];
            }
            long h = mix64(mix64(seed ^ 0x5DEECE66DL) + i * GAMMA);
            boolean linear = (i & 1) == 0 && Float.isFinite(lo) && Float.isFinite(hi);
            if (linear) {
                double t = (h >>> 11) * 0x1p-53;   // [0, 1)
                float v = (float) (lo + (hi - (double) lo) * t);
                return Math.min(hi, Math.max(lo, v));
            }
            long a = ordinal(lo);
            long span = ordinal(hi) - a + 1;   // ≤ 2^32 − 2^24 + 1: no overflow
            return fromOrdinal(a + Long.remainderUnsigned(h, span));
        }

        /** Floats in value order as consecutive integers; −0 and +0 share 0. */
        static long ordinal(float f) {
            int b = Float.floatToRawIntBits(f);
            return b >= 0 ? b : -(long) (b & 0x7FFFFFFF);
        }

        static float fromOrdinal(long o) {
            return o >= 0 ? Float.intBitsToFloat((int) o) : -Float.intBitsToFloat((int) -o);
        }
    }

    // ------------------------------------------------------------------ elementwise

    /** One worker's buffers, reused for every chunk it takes. */
    static final class Buffers {
        final float[] x;
        final float[] y;
        final float[] dy;
        final float[] dx;
        final double[] d;
        final double[] rowY;
        final double[] rowDx;

        Buffers(int n, int longestRow) {
            x = new float[n];
            y = new float[n];
            dy = new float[n];
            dx = new float[n];
            d = new double[n];
            rowY = new double[longestRow];
            rowDx = new double[longestRow];
        }
    }

    /**
     * Checks {@code buf.x[0..n)}, elementwise, where element i has index {@code base + i} (its
     * bit pattern in exhaustive runs): forward, backward at dy = 1, backward at the random dy.
     * Outputs are poisoned with NaN first, so an element the backend fails to write shows.
     */
    static void checkElementwise(Backend b, Activation f, Buffers buf, int n, long base, long seed, Measures m) {
        float[] x = buf.x;
        float[] y = buf.y;
        float[] dy = buf.dy;
        float[] dx = buf.dx;
        double[] d = buf.d;
        Arrays.fill(y, 0, n, Float.NaN);
        b.forward(f, x, 0, y, 0, 1, n);
        for (int i = 0; i < n; i++) {
            m.forward.offer(Ulp.ulps(y[i], Reference.forward(f, x[i])), base + i, x[i], Float.NaN);
            d[i] = Reference.derivative(f, x[i]);   // kept for both backward checks
        }
        Arrays.fill(dy, 0, n, 1f);
        Arrays.fill(dx, 0, n, Float.NaN);
        b.backward(f, x, 0, dy, 0, dx, 0, 1, n);
        for (int i = 0; i < n; i++) {
            m.backwardUnitDy.offer(Ulp.backwardUlps(dx[i], d[i], 1.0), base + i, x[i], 1f);
        }
        for (int i = 0; i < n; i++) {
            dy[i] = randomDy(seed, base + i);
        }
        Arrays.fill(dx, 0, n, Float.NaN);
        b.backward(f, x, 0, dy, 0, dx, 0, 1, n);
        for (int i = 0; i < n; i++) {
            double g = dy[i];
            m.backwardRandomDy.offer(Ulp.backwardUlps(dx[i], g * d[i], g), base + i, x[i], dy[i]);
        }
    }

    /**
     * Every bit pattern in [start, end) through f, on every core. (The whole float line is
     * [0, 2³²).) NaN patterns must give NaN, ±∞ the limits: {@link Ulp} scores anything else as
     * an infinite error.
     */
    static Measures exhaustive(Backend b, Activation f, long start, long end, long seed, int threads, Progress p) {
        requireElementwise(f);
        if (start < 0 || end > ALL_BITS || start > end) {
            throw new IllegalArgumentException("bit range [" + start + ", " + end + ") is not within [0, 2^32)");
        }
        long total = end - start;
        long chunks = (total + CHUNK - 1) / CHUNK;
        return parallel(chunks, total, threads, p, (c, buf, m) -> {
            long base = start + c * CHUNK;
            int n = (int) Math.min(CHUNK, end - base);
            for (int i = 0; i < n; i++) {
                buf.x[i] = Float.intBitsToFloat((int) (base + i));
            }
            checkElementwise(b, f, buf, n, base, seed, m);
            return n;
        });
    }

    /** The special values and the samples of {@code s} through f, on every core. */
    static Measures sampled(Backend b, Activation f, Sampling s, int threads, Progress p) {
        requireElementwise(f);
        long total = s.total();
        long chunks = (total + CHUNK - 1) / CHUNK;
        return parallel(chunks, total, threads, p, (c, buf, m) -> {
            long base = c * CHUNK;
            int n = (int) Math.min(CHUNK, total - base);
            for (int i = 0; i < n; i++) {
                buf.x[i] = s.input(base + i);
            }
            checkElementwise(b, f, buf, n, base, s.seed(), m);
            return n;
        });
    }

    private static void requireElementwise(Activation f) {
        if (f.rowWise()) {
            throw new IllegalArgumentException(f + " is row-wise: use rows()");
        }
    }

    // ------------------------------------------------------------------ row-wise

    /** A run of {@code rows} rows of {@code cols}, whose first element has index {@code first}. */
    record Batch(int rows, int cols, long first) {
    }

    /**
     * The row-wise plan for about {@code s.samples()} elements (at least one row of each length):
     * for each of {@link #ROW_LENGTHS}, an equal share of the elements, in batches of at most
     * {@value #CHUNK} elements. The inputs are {@code s.input(i)} in order, so the special values
     * come first and, as rows of length 1, each is a row of its own.
     */
    static Batch[] rowPlan(Sampling s) {
        java.util.List<Batch> plan = new java.util.ArrayList<>();
        long share = s.total() / ROW_LENGTHS.length;
        long next = 0;
        for (int cols : ROW_LENGTHS) {
            long rows = Math.max(1, share / cols);
            int perBatch = Math.max(1, CHUNK / cols);
            for (long r = 0; r < rows; r += perBatch) {
                int k = (int) Math.min(perBatch, rows - r);
                plan.add(new Batch(k, cols, next));
                next += (long) k * cols;
            }
        }
        return plan.toArray(new Batch[0]);
    }

    /** Elements in a plan. */
    static long elements(Batch[] plan) {
        long n = 0;
        for (Batch bt : plan) {
            n += (long) bt.rows() * bt.cols();
        }
        return n;
    }

    /**
     * Softmax or log_softmax over the rows of {@link #rowPlan}: forward against
     * {@link Reference#forwardRow}, backward at dy = 1 and at the random dy against
     * {@link Reference#backwardRow}, with the row's Σ|dy| as the contract's |dy|.
     */
    static Measures rows(Backend b, Activation f, Sampling s, int threads, Progress p) {
        if (!f.rowWise()) {
            throw new IllegalArgumentException(f + " is elementwise: use sampled() or exhaustive()");
        }
        Batch[] plan = rowPlan(s);
        long total = elements(plan);
        return parallel(plan.length, total, threads, p, (c, buf, m) -> {
            Batch bt = plan[(int) c];
            int cols = bt.cols();
            int n = bt.rows() * cols;
            float[] x = buf.x;
            for (int i = 0; i < n; i++) {
                x[i] = s.input(bt.first() + i);
            }
            Arrays.fill(buf.y, 0, n, Float.NaN);
            b.forward(f, x, 0, buf.y, 0, bt.rows(), cols);
            for (int r = 0; r < bt.rows(); r++) {
                int o = r * cols;
                Reference.forwardRow(f, x, o, buf.rowY, cols);
                for (int j = 0; j < cols; j++) {
                    m.forward.offer(Ulp.ulps(buf.y[o + j], buf.rowY[j]), bt.first() + o + j, x[o + j], Float.NaN);
                }
            }
            for (int pass = 0; pass < 2; pass++) {
                Worst w = pass == 0 ? m.backwardUnitDy : m.backwardRandomDy;
                for (int i = 0; i < n; i++) {
                    buf.dy[i] = pass == 0 ? 1f : randomDy(s.seed(), bt.first() + i);
                }
                Arrays.fill(buf.dx, 0, n, Float.NaN);
                b.backward(f, x, 0, buf.dy, 0, buf.dx, 0, bt.rows(), cols);
                for (int r = 0; r < bt.rows(); r++) {
                    int o = r * cols;
                    Reference.forwardRow(f, x, o, buf.rowY, cols);
                    Reference.backwardRow(f, buf.rowY, buf.dy, o, buf.rowDx, cols);
                    double l1 = Ulp.rowDy(buf.dy, o, cols);
                    for (int j = 0; j < cols; j++) {
                        w.offer(Ulp.backwardUlps(buf.dx[o + j], buf.rowDx[j], l1), bt.first() + o + j, x[o + j],
                                buf.dy[o + j]);
                    }
                }
            }
            return n;
        });
    }

    // ------------------------------------------------------------------ on every core

    /** One chunk of work: fills and checks chunk c, offering to m; returns the inputs it checked. */
    @FunctionalInterface
    interface Chunk {
        int run(long c, Buffers buf, Measures m);
    }

    /**
     * Runs chunks [0, chunks) on a pool of {@code threads} workers, each with buffers of its own,
     * while the calling thread reports progress. An exception in any chunk stops the run and is
     * rethrown as it was.
     */
    static Measures parallel(long chunks, long total, int threads, Progress progress, Chunk chunk) {
        Measures result = Measures.empty();
        int longestRow = Arrays.stream(ROW_LENGTHS).max().orElse(1);
        ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(() -> new Buffers(Math.max(CHUNK, longestRow),
                longestRow));
        AtomicLong done = new AtomicLong();
        ForkJoinPool pool = new ForkJoinPool(Math.max(1, threads));
        try {
            // A parallel stream started inside a pool's task runs on that pool's workers.
            ForkJoinTask<?> task = pool.submit(() -> LongStream.range(0, chunks).parallel().forEach(c -> {
                Measures local = Measures.empty();
                int n = chunk.run(c, buffers.get(), local);
                synchronized (result) {
                    result.merge(local);
                }
                done.addAndGet(n);
            }));
            while (true) {
                try {
                    task.get(500, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    progress.update(done.get(), total);
                }
            }
            progress.update(done.get(), total);
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } finally {
            pool.shutdownNow();
        }
    }
}
