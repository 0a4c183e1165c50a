package dev.nonlin.cpu;

import dev.nonlin.AbstractBackend;
import dev.nonlin.AbstractIntTensor;
import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import dev.nonlin.BackendUnavailableException;
import dev.nonlin.IntTensor;
import dev.nonlin.Loss;
import dev.nonlin.Optimizer;
import dev.nonlin.Tensor;
import dev.nonlin.Transpose;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The CPU backend: the SIMD kernels when the JVM has the Vector API (else the scalar reference),
 * with large arrays split across cores on a fork/join pool of its own.
 *
 * <p>Instances are immutable and stateless, hence safe for concurrent use.
 */
public final class CpuBackend extends AbstractBackend {

    /**
     * Work is split across threads once {@code elements × cost} reaches this, where the cost is 1
     * for piecewise-linear functions and {@link #TRANSCENDENTAL_COST} for the rest. Measured with JMH
     * ({@code ParallelThresholdBenchmark}, bench/RESULTS.md) on 2 cores: a split costs ~30–40 µs of
     * fork/join wake-up, relu (bandwidth-bound) gains only from about 4M elements, gelu from about
     * 100K. Override with {@code -Dnonlin.cpu.parallelThreshold=N} (in the same units).
     */
    public static final int DEFAULT_PARALLEL_THRESHOLD = 1 << 22;

    /** Relative cost per element of a function that evaluates exp, log or erfc (in double lanes). */
    static final int TRANSCENDENTAL_COST = 32;

    /** Elements per task for the deterministic dα reduction; fixed so that results never depend on threads. */
    static final int REDUCE_BLOCK = 1 << 14;

    private static final CpuBackend DEFAULT = new CpuBackend(
            SimdSupport.kernels() != null ? SimdSupport.kernels() : ScalarKernels.INSTANCE,
            Runtime.getRuntime().availableProcessors() > 1);

    /**
     * {@code -Dnonlin.cpu.gemm=plain} runs matmul through the plain loop even where the SIMD
     * micro-kernel could run (read when a backend is made; for comparisons).
     */
    public static final String GEMM_PROPERTY = "nonlin.cpu.gemm";

    private final Kernels kernels;
    private final boolean parallel;
    private final int threshold;
    private final Gemm gemm;
    /** Why matmul takes the plain loop, or null when it takes the micro-kernel. */
    private final String plainGemmReason;

    private CpuBackend(Kernels kernels, boolean parallel) {
        this.kernels = kernels;
        this.parallel = parallel;
        this.threshold = Math.max(1, Integer.getInteger("nonlin.cpu.parallelThreshold", DEFAULT_PARALLEL_THRESHOLD));
        String forced = System.getProperty(GEMM_PROPERTY);
        if ("plain".equals(forced)) {
            gemm = ScalarGemm.INSTANCE;
        } else {
            gemm = kernels.gemm();
        }
        if (gemm != ScalarGemm.INSTANCE) {
            plainGemmReason = null;
        } else if ("plain".equals(forced)) {
            plainGemmReason = "forced by -D" + GEMM_PROPERTY + "=plain";
        } else if (SimdSupport.kernels() == null) {
            plainGemmReason = "SIMD off: " + SimdSupport.unavailabilityCause();
        } else {
            plainGemmReason = "the scalar reference backend";
        }
    }

    /** The default CPU backend: SIMD if available, threads if there is more than one core. */
    public static CpuBackend get() {
        return DEFAULT;
    }

    /** The scalar reference on the calling thread only. */
    public static CpuBackend scalar() {
        return new CpuBackend(ScalarKernels.INSTANCE, false);
    }

    /**
     * The SIMD kernels, on the calling thread only ({@code parallel == false}) or split across cores.
     *
     * @throws BackendUnavailableException when the JVM lacks {@code jdk.incubator.vector}
     */
    public static CpuBackend simd(boolean parallel) {
        if (SimdSupport.kernels() == null) {
            throw new BackendUnavailableException("CPU SIMD path unavailable: " + SimdSupport.unavailabilityCause());
        }
        return new CpuBackend(SimdSupport.kernels(), parallel);
    }

    /** Whether the Vector API path can run in this JVM. */
    public static boolean simdAvailable() {
        return SimdSupport.kernels() != null;
    }

    /** Why the SIMD path is off, or null when it is on. */
    public static String simdUnavailabilityCause() {
        return SimdSupport.unavailabilityCause();
    }

    /** Worker threads used for large arrays (1 when not parallel). */
    public int threads() {
        return parallel ? Pool.POOL.getParallelism() : 1;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "cpu: " + kernels.description() + ", " + threads() + " thread" + (threads() == 1 ? "" : "s")
                + (parallel ? " (splits from " + threshold + " elements, " + threshold / TRANSCENDENTAL_COST
                        + " for transcendental functions)" : "");
    }

    /**
     * Which SGEMM {@link #matmul} runs: the SIMD micro-kernel with its tile shape, or the plain
     * loop and why.
     */
    public String gemmDescription() {
        return gemm.description() + (plainGemmReason == null ? "" : " (" + plainGemmReason + ")") + ", "
                + threads() + " thread" + (threads() == 1 ? "" : "s")
                + (parallel ? " (splits rows of c from " + threshold + " multiply-adds)" : "");
    }

    @Override
    public String toString() {
        return description();
    }

    // ------------------------------------------------------------------ host arrays

    @Override
    protected void forwardArray(Activation f, float[] x, int xo, float[] y, int yo, int rows, int cols) {
        Kind k = f.kind();
        if (k.rowWise()) {
            forEachRows(rows, cols, cost(k), (r0, r1) -> {
                double[] tmp = new double[cols];
                for (int r = r0; r < r1; r++) {
                    kernels.rowForward(k, x, xo + r * cols, y, yo + r * cols, cols, tmp);
                }
            });
        } else {
            double p0 = f.p0();
            double p1 = f.p1();
            forEach(rows * cols, cost(k), (i0, i1) -> kernels.forward(k, p0, p1, x, xo + i0, y, yo + i0, i1 - i0));
        }
    }

    @Override
    protected void backwardArray(Activation f, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo,
                                 int rows, int cols) {
        Kind k = f.kind();
        if (k.rowWise()) {
            forEachRows(rows, cols, cost(k), (r0, r1) -> {
                double[] tmp = new double[cols];
                for (int r = r0; r < r1; r++) {
                    kernels.rowBackward(k, x, xo + r * cols, dy, dyo + r * cols, dx, dxo + r * cols, cols, tmp);
                }
            });
        } else {
            double p0 = f.p0();
            double p1 = f.p1();
            forEach(rows * cols, cost(k), (i0, i1) ->
                    kernels.backward(k, p0, p1, x, xo + i0, dy, dyo + i0, dx, dxo + i0, i1 - i0));
        }
    }

    @Override
    protected void backwardFromOutputArray(Activation f, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo,
                                           int rows, int cols) {
        Kind k = f.kind();
        if (k.rowWise()) {
            forEachRows(rows, cols, cost(k), (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    kernels.rowBackwardFromOutput(k, y, yo + r * cols, dy, dyo + r * cols, dx, dxo + r * cols, cols);
                }
            });
        } else {
            double p0 = f.p0();
            double p1 = f.p1();
            forEach(rows * cols, cost(k), (i0, i1) ->
                    kernels.backwardFromOutput(k, p0, p1, y, yo + i0, dy, dyo + i0, dx, dxo + i0, i1 - i0));
        }
    }

    @Override
    protected void preluForwardArray(float[] x, int xo, float[] alpha, float[] y, int yo, int rows, int cols) {
        if (alpha.length == 1) {
            double a = alpha[0];
            forEach(rows * cols, 1, (i0, i1) -> kernels.forward(Kind.PRELU, a, 0, x, xo + i0, y, yo + i0, i1 - i0));
        } else {
            forEachRows(rows, cols, 1, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    kernels.preluForward(x, xo + r * cols, alpha, y, yo + r * cols, cols);
                }
            });
        }
    }

    /**
     * dα is summed in double over fixed blocks (of {@link #REDUCE_BLOCK} elements, or of whole
     * rows), and the block sums are added in block order: the same result for any thread count.
     * Each block reads x and dy before writing dx, so dx may be dy or x.
     */
    @Override
    protected void preluBackwardArray(float[] x, int xo, float[] alpha, float[] dy, int dyo, float[] dx, int dxo,
                                      float[] dAlpha, int rows, int cols) {
        int n = rows * cols;
        if (alpha.length == 1) {
            double a = alpha[0];
            int blocks = (n + REDUCE_BLOCK - 1) / REDUCE_BLOCK;
            double[] partial = new double[blocks];
            forEachBlock(blocks, n, b -> {
                int i0 = b * REDUCE_BLOCK;
                int len = Math.min(REDUCE_BLOCK, n - i0);
                double s = 0;
                for (int i = 0; i < len; i++) {
                    float v = x[xo + i0 + i];
                    if (!(v > 0)) {
                        s += (double) v * dy[dyo + i0 + i];
                    }
                }
                partial[b] = s;
                kernels.backward(Kind.PRELU, a, 0, x, xo + i0, dy, dyo + i0, dx, dxo + i0, len);
            });
            double s = 0;
            for (double p : partial) {
                s += p;
            }
            dAlpha[0] = (float) s;
        } else {
            columnSums(rows, cols, n, dAlpha, (r0, r1, s) -> {
                for (int r = r0; r < r1; r++) {
                    int xr = xo + r * cols;
                    int dyr = dyo + r * cols;
                    for (int c = 0; c < cols; c++) {
                        float v = x[xr + c];
                        if (!(v > 0)) {
                            s[c] += (double) v * dy[dyr + c];
                        }
                    }
                }
                // dx after the block's sums are read: dx may be x or dy
                for (int r = r0; r < r1; r++) {
                    kernels.preluBackward(x, xo + r * cols, alpha, dy, dyo + r * cols, dx, dxo + r * cols, cols);
                }
            });
        }
    }

    @FunctionalInterface
    private interface ColumnBlock {
        /** Rows [r0, r1): writes its outputs and adds its column terms into s (cols doubles, zeroed). */
        void run(int r0, int r1, double[] s);
    }

    /**
     * The deterministic column reduction that PReLU's per-channel dα and the dense layer's dBias
     * share: blocks of {@code REDUCE_BLOCK / cols} rows (fixed, whatever the threads) each fill
     * their own partial sums in double, and the partials are added in block order into {@code out}.
     */
    private void columnSums(int rows, int cols, long work, float[] out, ColumnBlock body) {
        int rowsPerBlock = Math.max(1, REDUCE_BLOCK / cols);
        int blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
        double[][] partial = new double[blocks][];
        forEachBlock(blocks, work, b -> {
            double[] s = new double[cols];
            int r0 = b * rowsPerBlock;
            body.run(r0, Math.min(rows, r0 + rowsPerBlock), s);
            partial[b] = s;
        });
        for (int c = 0; c < cols; c++) {
            double s = 0;
            for (double[] p : partial) {
                s += p[c];
            }
            out[c] = (float) s;
        }
    }

    // ------------------------------------------------------------------ losses

    /**
     * Work units per element of a loss: mse is a subtraction and a product; the others take an
     * exp and a log1p (or two) per element, like the transcendental activations.
     */
    static int cost(Loss.Kind k) {
        return k == Loss.Kind.MSE ? 1 : TRANSCENDENTAL_COST;
    }

    /**
     * Σℓ over fixed blocks of {@link #REDUCE_BLOCK} elements, each summed in double by the
     * kernels in an order fixed by its length ({@link Kernels#lossSum}: index order in the scalar
     * reference, lanes then their fold in SIMD), the block sums then added in block order: the
     * same bits on every run and for any thread count (the blocks do not depend on the split).
     */
    @Override
    protected double lossForwardArray(Loss loss, float[] z, int zo, float[] t, int to, int rows, int cols) {
        int n = rows * cols;
        Loss.Kind k = loss.kind();
        int period = loss.columnWeights() == null ? 1 : cols;
        float[] w = weightTile(loss, period);
        int blocks = (n + REDUCE_BLOCK - 1) / REDUCE_BLOCK;
        double[] partial = new double[blocks];
        forEachBlock(blocks, (long) n * cost(k), b -> {
            int i0 = b * REDUCE_BLOCK;
            int len = Math.min(REDUCE_BLOCK, n - i0);
            partial[b] = kernels.lossSum(k, w, i0 % period, z, zo + i0, t, to + i0, len,
                    new double[Kernels.LOSS_CHUNK]);
        });
        double s = 0;
        for (double p : partial) {
            s += p;
        }
        return loss.reduction() == Loss.Reduction.MEAN ? s / n : s;
    }

    /** Row losses summed per fixed block of rows, then in block order; mean over non-ignored rows. */
    @Override
    protected double lossForwardArray(Loss loss, float[] z, int zo, int[] target, int to, int rows, int cols) {
        Loss.SoftmaxCrossEntropy ce = (Loss.SoftmaxCrossEntropy) loss;
        double s = crossEntropy(ce, z, zo, target, to, rows, cols, null, 0, 0.0);
        return loss.reduction() == Loss.Reduction.MEAN ? s / counted(ce, target, to, rows) : s;
    }

    @Override
    protected void lossBackwardArray(Loss loss, float[] z, int zo, float[] t, int to, double dLoss,
                                     float[] dz, int dzo, int rows, int cols) {
        int n = rows * cols;
        Loss.Kind k = loss.kind();
        int period = loss.columnWeights() == null ? 1 : cols;
        float[] w = weightTile(loss, period);
        double scale = loss.reduction() == Loss.Reduction.MEAN ? dLoss / n : dLoss;
        // each element is read, then written, at the same index: dz may be z or t; the kernel
        // calls cover at most REDUCE_BLOCK elements, the span of the weight tile
        forEach(n, cost(k), (i0, i1) -> {
            for (int i = i0, len; i < i1; i += len) {
                len = Math.min(REDUCE_BLOCK, i1 - i);
                kernels.lossGradient(k, w, i % period, z, zo + i, t, to + i, scale, dz, dzo + i, len);
            }
        });
    }

    /**
     * bce_with_logits's pos_weight as the kernels read it, one weight per element: element i of
     * the loss reads {@code tile[i % period + j]} in a kernel call that starts at i, for the call's
     * j-th element (calls span at most REDUCE_BLOCK elements). {@code period} is cols for one
     * weight per column ({@code tile[c] = w[c % cols]}), 1 for one weight. Null for the other
     * losses, which have no weight. The last tile is kept (it is only read), so that a training
     * loop calling with the same loss and width fills its 64 KiB once, not on every call.
     */
    private float[] weightTile(Loss loss, int period) {
        if (loss.kind() != Loss.Kind.BCE_WITH_LOGITS) {
            return null;
        }
        WeightTile last = lastWeightTile.get();
        if (last != null && last.period() == period && last.loss().equals(loss)) {
            return last.tile();
        }
        float[] w = loss.columnWeights();
        float[] tile = new float[period - 1 + REDUCE_BLOCK];
        if (w == null) {
            java.util.Arrays.fill(tile, loss.p0());
        } else {
            for (int j = 0; j < tile.length; j++) {
                tile[j] = w[j % period];
            }
        }
        lastWeightTile.set(new WeightTile(loss, period, tile));
        return tile;
    }

    /** A filled weight tile and what it was filled for. */
    private record WeightTile(Loss loss, int period, float[] tile) {
    }

    /** The last weight tile handed to the kernels (read-only once published). */
    private final AtomicReference<WeightTile> lastWeightTile = new AtomicReference<>();

    @Override
    protected void lossBackwardArray(Loss loss, float[] z, int zo, int[] target, int to, double dLoss,
                                     float[] dz, int dzo, int rows, int cols) {
        Loss.SoftmaxCrossEntropy ce = (Loss.SoftmaxCrossEntropy) loss;
        double scale = loss.reduction() == Loss.Reduction.MEAN ? dLoss / counted(ce, target, to, rows) : dLoss;
        crossEntropy(ce, z, zo, target, to, rows, cols, dz, dzo, scale);
    }

    /** Rows whose target is not ignore_index: the mean's divisor (PyTorch's). */
    private static double counted(Loss.SoftmaxCrossEntropy ce, int[] target, int to, int rows) {
        long c = 0;
        for (int r = 0; r < rows; r++) {
            if (target[to + r] != ce.ignoreIndex()) {
                c++;
            }
        }
        return c;
    }

    /**
     * Every row through the kernels' {@link Kernels#crossEntropyRows}, one block of rows per call
     * (LossMath's rows, or their SIMD form), writing dz when it is not null; returns Σℓ, summed over fixed blocks of rows in block
     * order (a row is never split, so neither the blocks nor the rows depend on the threads).
     */
    private double crossEntropy(Loss.SoftmaxCrossEntropy ce, float[] z, int zo, int[] target, int to, int rows,
                                  int cols, float[] dz, int dzo, double scale) {
        int rowsPerBlock = Math.max(1, REDUCE_BLOCK / Math.max(1, cols));
        int blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
        double[] partial = new double[blocks];
        int ignore = ce.ignoreIndex();
        double eps = ce.labelSmoothing();
        forEachBlock(blocks, (long) rows * cols * TRANSCENDENTAL_COST, b -> {
            int r0 = b * rowsPerBlock;
            int r1 = Math.min(rows, r0 + rowsPerBlock);
            double[] tmp = new double[kernels.crossEntropyScratch(r1 - r0, cols)];
            partial[b] = kernels.crossEntropyRows(z, zo + r0 * cols, r1 - r0, cols, target, to + r0, ignore, eps,
                    dz, dzo + r0 * cols, scale, tmp);
        });
        double s = 0;
        for (double p : partial) {
            s += p;
        }
        return s;
    }

    @Override
    protected AbstractIntTensor newIntTensor(int size) {
        return new CpuIntTensor(this, new int[size]);
    }

    @Override
    protected void lossForwardTensor(Loss loss, Tensor z, Tensor t, Tensor lossOut) {
        a(lossOut)[0] = (float) lossForwardArray(loss, a(z), 0, a(t), 0, (int) z.rows(), (int) z.cols());
    }

    @Override
    protected void lossForwardTensor(Loss loss, Tensor z, IntTensor target, Tensor lossOut) {
        Loss.SoftmaxCrossEntropy ce = (Loss.SoftmaxCrossEntropy) loss;
        int[] tg = ((CpuIntTensor) target).data;
        int rows = (int) z.rows();
        double s = crossEntropy(ce, a(z), 0, tg, 0, rows, (int) z.cols(), null, 0, 0.0);
        double l = loss.reduction() == Loss.Reduction.MEAN ? s / counted(ce, tg, 0, rows) : s;
        a(lossOut)[0] = (float) l;
    }

    @Override
    protected void lossBackwardTensor(Loss loss, Tensor z, Tensor t, double dLoss, Tensor dz) {
        lossBackwardArray(loss, a(z), 0, a(t), 0, dLoss, a(dz), 0, (int) z.rows(), (int) z.cols());
    }

    @Override
    protected void lossBackwardTensor(Loss loss, Tensor z, IntTensor target, double dLoss, Tensor dz) {
        lossBackwardArray(loss, a(z), 0, ((CpuIntTensor) target).data, 0, dLoss, a(dz), 0, (int) z.rows(),
                (int) z.cols());
    }

    // ------------------------------------------------------------------ tensors

    @Override
    protected Tensor allocateChecked(long rows, long cols) {
        long n = rows * cols;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a CPU tensor holds at most " + (Integer.MAX_VALUE - 8)
                    + " elements, got rows × cols = " + n);
        }
        return new CpuTensor(this, new float[(int) n], rows, cols);
    }

    @Override
    protected Tensor tensorChecked(float[] data, long rows, long cols) {
        return new CpuTensor(this, data, rows, cols);
    }

    @Override
    protected void copyTensor(Tensor x, Tensor y) {
        float[] a = ((CpuTensor) x).data;
        System.arraycopy(a, 0, ((CpuTensor) y).data, 0, a.length);
    }

    @Override
    protected void forwardTensor(Activation f, Tensor x, Tensor y) {
        forwardArray(f, a(x), 0, a(y), 0, (int) x.rows(), (int) x.cols());
    }

    @Override
    protected void backwardTensor(Activation f, Tensor x, Tensor dy, Tensor dx) {
        backwardArray(f, a(x), 0, a(dy), 0, a(dx), 0, (int) x.rows(), (int) x.cols());
    }

    @Override
    protected void backwardFromOutputTensor(Activation f, Tensor y, Tensor dy, Tensor dx) {
        backwardFromOutputArray(f, a(y), 0, a(dy), 0, a(dx), 0, (int) y.rows(), (int) y.cols());
    }

    @Override
    protected void preluForwardTensor(Tensor x, Tensor alpha, Tensor y) {
        preluForwardArray(a(x), 0, a(alpha), a(y), 0, (int) x.rows(), (int) x.cols());
    }

    @Override
    protected void preluBackwardTensor(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha) {
        if (x.size() == 0) {
            java.util.Arrays.fill(a(dAlpha), 0f);    // the sum over no elements (cols may be 0 here)
            return;
        }
        preluBackwardArray(a(x), 0, a(alpha), a(dy), 0, a(dx), 0, a(dAlpha), (int) x.rows(), (int) x.cols());
    }

    // ------------------------------------------------------------------ dense layers and training

    @Override
    protected void matmulTensor(Tensor a, Transpose ta, Tensor b, Transpose tb, float alpha, float beta, Tensor c) {
        int m = (int) c.rows();
        int n = (int) c.cols();
        int k = (int) ta.cols(a);
        // split when m·n·k multiply-adds reach the threshold: 2²² take ~0.12 ms in the micro-kernel
        // (~35 G multiply-adds/s per core here), three times a split's cost of 30–40 µs, and ~3 ms
        // in the plain loop; each element's k order never depends on the split
        gemm.multiply(ta == Transpose.T, tb == Transpose.T, m, n, k, alpha, a(a), a(b), beta, a(c),
                this::forEachRowBlock);
    }

    @Override
    protected void scaleTensor(float beta, Tensor c) {
        float[] cv = a(c);
        if (beta == 0f) {
            java.util.Arrays.fill(cv, 0f);
        } else {
            for (int i = 0; i < cv.length; i++) {
                cv[i] *= beta;
            }
        }
    }

    @Override
    protected void biasActivationForwardTensor(Activation f, Tensor z, Tensor bias, Tensor y) {
        Kind k = f.kind();
        int rows = (int) z.rows();
        int cols = (int) z.cols();
        float[] zv = a(z);
        float[] bv = a(bias);
        float[] yv = a(y);
        double p0 = f.p0();
        double p1 = f.p1();
        forEachRows(rows, cols, cost(k), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * cols;
                for (int c = 0; c < cols; c++) {
                    yv[o + c] = zv[o + c] + bv[c];    // z + bias rounded to float, as the CUDA epilogue does
                }
            }
            // one kernel call over the whole block of rows (contiguous), not one per row: narrow layers
            // would otherwise pay the call's fixed cost every few elements
            kernels.forward(k, p0, p1, yv, r0 * cols, yv, r0 * cols, (r1 - r0) * cols);
        });
    }

    @Override
    protected void biasActivationBackwardTensor(Activation f, Tensor z, Tensor bias, Tensor dy, Tensor dz,
                                                Tensor dBias) {
        Kind k = f.kind();
        int rows = (int) z.rows();
        int cols = (int) z.cols();
        float[] zv = a(z);
        float[] bv = a(bias);
        float[] dyv = a(dy);
        float[] dzv = a(dz);
        double p0 = f.p0();
        double p1 = f.p1();
        columnSums(rows, cols, (long) rows * cols * cost(k), a(dBias), (r0, r1, s) -> {
            int o = r0 * cols;
            int n = (r1 - r0) * cols;
            float[] h = new float[n];    // z + bias for the block (dz may be dy, so not written into dz first)
            for (int r = r0; r < r1; r++) {
                int ro = r * cols - o;
                for (int c = 0; c < cols; c++) {
                    h[ro + c] = zv[o + ro + c] + bv[c];
                }
            }
            kernels.backward(k, p0, p1, h, 0, dyv, o, dzv, o, n);
            for (int i = 0; i < n; i += cols) {
                for (int c = 0; c < cols; c++) {
                    s[c] += dzv[o + i + c];
                }
            }
        });
    }

    @Override
    protected void optimizerStepTensor(Optimizer rule, long step, Tensor w, Tensor g, Tensor m, Tensor v) {
        float[] wv = a(w);
        float[] gv = a(g);
        float[] mv = m == null ? null : a(m);
        float[] vv = v == null ? null : a(v);
        forEach(wv.length, rule.kind() == Optimizer.Kind.ADAM ? 4 : 1,
                (i0, i1) -> OptimizerMath.step(rule, step, wv, gv, mv, vv, i0, i1));
    }

    private static float[] a(Tensor t) {
        return ((CpuTensor) t).data;
    }

    /** CPU tensors may wrap the caller's arrays: two tensors over one array are one storage. */
    @Override
    protected boolean sameStorage(Tensor p, Tensor q) {
        return p == q || a(p) == a(q);
    }

    // ------------------------------------------------------------------ threading

    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    @FunctionalInterface
    private interface Block {
        void run(int block);
    }

    /** Work units per element of one function: see {@link #DEFAULT_PARALLEL_THRESHOLD}. */
    static int cost(Kind k) {
        return k.family() == Activation.Family.PIECEWISE ? 1 : TRANSCENDENTAL_COST;
    }

    private boolean split(long work) {
        return parallel && work >= threshold && Pool.POOL.getParallelism() > 1;
    }

    /** Runs body over [0, n) in chunks, on the pool when n × cost is large. Chunks are multiples of 64. */
    private void forEach(int n, int cost, Range body) {
        long work = (long) n * cost;
        if (!split(work)) {
            body.run(0, n);
            return;
        }
        // at most 4 tasks per thread, and none with much less than half the threshold's work
        int parts = (int) Math.min(Pool.POOL.getParallelism() * 4L, Math.max(2, work / Math.max(1, threshold / 2)));
        int chunk = ((n + parts - 1) / parts + 63) & ~63;
        List<RecursiveAction> tasks = new ArrayList<>();
        for (int i = 0; i < n; i += chunk) {
            int from = i;
            int to = Math.min(n, i + chunk);
            tasks.add(action(() -> body.run(from, to)));
        }
        run(tasks);
    }

    /** Runs body over row ranges of [0, rows), on the pool when rows × cols is large. */
    private void forEachRows(int rows, int cols, int cost, Range body) {
        forEachRowBlock(rows, 1, (long) rows * cols * cost, body);
    }

    /** Runs body over ranges of [0, rows) that start at multiples of grain, on the pool when work is large. */
    private void forEachRowBlock(int rows, int grain, long work, Range body) {
        long blocks = ((long) rows + grain - 1) / grain;
        if (!split(work) || blocks < 2) {
            body.run(0, rows);
            return;
        }
        long parts = Math.min(blocks, Pool.POOL.getParallelism() * 4L);
        long chunk = (blocks + parts - 1) / parts * grain;
        List<RecursiveAction> tasks = new ArrayList<>();
        for (long r = 0; r < rows; r += chunk) {
            int from = (int) r;
            int to = (int) Math.min(rows, r + chunk);
            tasks.add(action(() -> body.run(from, to)));
        }
        run(tasks);
    }

    /** Runs body for each block index, on the pool when the total work is large. */
    private void forEachBlock(int blocks, long work, Block body) {
        if (!split(work) || blocks < 2) {
            for (int b = 0; b < blocks; b++) {
                body.run(b);
            }
            return;
        }
        int parts = Math.min(blocks, Pool.POOL.getParallelism() * 4);
        int chunk = (blocks + parts - 1) / parts;
        List<RecursiveAction> tasks = new ArrayList<>();
        for (int b = 0; b < blocks; b += chunk) {
            int from = b;
            int to = Math.min(blocks, b + chunk);
            tasks.add(action(() -> {
                for (int i = from; i < to; i++) {
                    body.run(i);
                }
            }));
        }
        run(tasks);
    }

    private static RecursiveAction action(Runnable r) {
        return new RecursiveAction() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void compute() {
                r.run();
            }
        };
    }

    private static void run(List<RecursiveAction> tasks) {
        RecursiveAction root = action(() -> RecursiveAction.invokeAll(tasks));
        if (inOwnPool()) {
            root.invoke();
        } else {
            Pool.POOL.invoke(root);
        }
    }

    private static boolean inOwnPool() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == Pool.POOL;
    }

    /** The pool, created on first use: daemon threads, one per core. */
    private static final class Pool {
        /** Names threads in creation order (a new worker's getPoolIndex() is not assigned yet: all were 0). */
        private static final java.util.concurrent.atomic.AtomicInteger MADE = new java.util.concurrent.atomic.AtomicInteger();
        static final ForkJoinPool POOL = new ForkJoinPool(
                Runtime.getRuntime().availableProcessors(),
                pool -> {
                    ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                    t.setName("nonlin-cpu-" + MADE.getAndIncrement());
                    t.setDaemon(true);
                    return t;
                },
                null, false);
    }
}
