package dev.nonlin.cpu;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import dev.nonlin.Activations;
import dev.nonlin.Loss;
import dev.nonlin.Losses;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.D2F;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.FMA;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LE;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.NE;

/**
 * The SIMD path on {@code jdk.incubator.vector}: {@link Scalar}'s formulas, lane by lane.
 *
 * <p>Loaded by reflection through {@link SimdSupport}, so that a JVM without the module never
 * touches a Vector API class.
 *
 * <p>Two kinds of loop:
 * <ul>
 *   <li><b>Piecewise-linear functions</b> (relu, leaky_relu, prelu, hardtanh, relu6, hardsigmoid,
 *       hardswish, identity, and softsign's forward) run in float lanes of the preferred width, at
 *       memory speed. All but softsign are correctly rounded: hardsigmoid and hardswish carry
 *       x + 3 and their division by 6 exactly enough (see there). softsign's x/(1 + |x|) rounds
 *       twice (≤ 1.5 ULP); a corrected form tried in session 7 cost a third of the speed and went
 *       wrong above |x| = 2²⁴.
 *   <li><b>Transcendental functions</b> convert float lanes to double lanes (a float vector of half
 *       the preferred bit size widens to a preferred double vector with the same lane count),
 *       evaluate Scalar's double formula with the vector {@link #exp} and {@link #expm1} below
 *       (and erfc's polynomial and a log1p series inline), and round once to float. These agree
 *       with {@code Math.exp} etc. to a few 1e-16, so the float result is within ½ ULP plus a
 *       hair of the exact one. {@code VectorOperators.EXP/LOG/TANH} are not used: JDK 17
 *       promises neither their accuracy nor their speed.
 *   <li><b>Row-wise functions</b> (softmax, log_softmax), one row per call: the max in float
 *       lanes, e^(x − m) and the row sums in double lanes with the same exp, then one rounding
 *       (see the section "softmax, log_softmax"). Special rows (NaN, ±∞ max) go to {@link Rows}.
 * </ul>
 *
 * <p>Every loop runs to {@code species.loopBound(n)} and returns how far it got; the caller
 * finishes the tail with Scalar's loop, so any n and any offsets work. The switch on the kind
 * is outside the loops, and each loop is a method of its own (a shared loop taking a lambda
 * would become megamorphic and box its vectors). Vector MIN/MAX follow {@code Math.min/max}
 * (NaN wins); compare + blend passes NaN through too, since every comparison with NaN is false.
 *
 * <p><b>Keeping C2 on the fast path (JDK 17).</b> A vector stays in a register only while C2
 * inlines everything that touches it and intrinsifies every operation on it. Otherwise it is
 * boxed: the results stay right, but the loop allocates and runs 5 to 20 times slower, silently.
 * Each rule below fixed such a case measured here:
 * <ol>
 *   <li>C2 refuses to inline one of our methods past 325 bytes of bytecode (FreqInlineSize), or
 *       once the compilation has created 18000 IR nodes (NodeCountInliningCutoff, fixed in
 *       product builds), which the Vector API reaches after 35 to 45 operations, about one exp.
 *       (Its own methods are {@code @ForceInline} and always inline.) So the building blocks
 *       {@link #exp} and {@link #expm1} call nothing of ours and stay under 325 bytes (hence the
 *       chained polynomials, written twice), and a function's vector form calls one building
 *       block, first, then only the Vector API. gelu (erfc and exp) and softplus (exp and
 *       log1p) need two, so their second is written out in their loop, which has no size limit.
 *   <li>Loops store through the Vector API directly, not through a helper: a store comes last.
 *   <li>A non-constant scalar (α, β, bounds) is broadcast before the loop, with
 *       {@code DoubleVector.broadcast} itself: broadcast inside the loop, it left swish's
 *       vectors boxed; broadcast through a helper of ours, which runs once per call and so is
 *       not inlined, the vector's exact class was lost and every operation on it fell back.
 *   <li>exp does one double-to-long and one long-to-double reinterpretation: a second
 *       long-to-double one in the same compilation missed its intrinsic. ({@link #log} does two
 *       long-to-double ones and has not boxed so far; WarmLoops watches it.)
 *   <li>Loops can spoil each other: what ran before in the JVM changes how C2 compiles the rest.
 *       The mechanism, found with {@code -XX:+LogCompilation}: C2 adds up the class_check trap
 *       counts of every method it inlines into one compilation, once per inlining (the
 *       {@code ccount} of an {@code <observe trap='class_check'>}), and past PerMethodTrapLimit
 *       (100) it gives every profiled call on a vector a real virtual call for other classes; the
 *       vector must then exist as an object, and the loop boxes for good. The traps were in
 *       {@code VectorOperators.ImplCache.find}, which a loop inlines once per operation (40 times
 *       in gelu_tanh's): each element type fills its operator cache lazily, and an operator used
 *       for the first time inside compiled code takes the miss path there, meets another
 *       supplier class and traps. Four traps (the per-bytecode limit) times 40 inlinings, and
 *       every large loop compiled afterwards boxed: gelu, gelu_tanh and swish after LossTest
 *       here, and most likely softmax's, log_softmax's and cross-entropy's rows and gelu_tanh
 *       forward in CI (not reproduced here, so not confirmed). So
 *       the first instance runs every loop once, before anything is compiled ({@link #prime}),
 *       and WarmLoops checks that no loop fills a cache entry after that. Measured, LossTest then
 *       every activation's loops in one JVM: boxed in 1 of 3 runs before, 0 of 4 after (with
 *       session 4's narrow cross-entropy experiment, 6 of 9 before, 0 of 9 after).
 *       {@code -XX:PerMethodTrapLimit=10000} also prevents it (0 of 4), for traps from elsewhere
 *       (another library's vector code). An fma of two vector operands accumulating a sum (mse's
 *       loss, run first) once boxed gelu and mish as well; a multiply and an add did not.
 * </ol>
 * SimdKernelsTest checks that every warm loop allocates nothing, each function in a JVM of its own
 * (WarmLoops), so that the check is about the function's own code and the same on every machine;
 * {@code nonlin bench} and the demo, which run every function in one JVM, name a loop still boxed
 * after its warm-up. To see why a loop allocates, run with
 * {@code -XX:+UnlockDiagnosticVMOptions -XX:+PrintCompilation -XX:+PrintInlining} (look for
 * "NodeCountInliningCutoff" or "hot method too big" at level 4) or {@code -XX:+LogCompilation}
 * (a {@code VectorSupport} {@code <late_inline>} not followed by its {@code <intrinsic>}).
 */
final class SimdKernels implements Kernels {

    /** Float lanes for the piecewise-linear functions. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Double lanes for the transcendental functions. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Long lanes of D's shape, for exp's exponent-field arithmetic. */
    private static final VectorSpecies<Long> L = VectorSpecies.of(long.class, D.vectorShape());
    /** Float lanes that widen to exactly one {@link #D} vector (half its bit size). */
    private static final VectorSpecies<Float> FD =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

    /**
     * Whether the double lanes pay here: a preferred double vector of at least 256 bits, so that
     * its float half is a 128-bit vector. With 128-bit vectors (SSE only, or
     * -XX:MaxVectorSize=16) the float half is 64 bits, whose widening C2 on x86 does not
     * intrinsify: the double-lane loops then ran four times slower than the scalar loop, so
     * those functions go to the scalar loop, and the piecewise-linear ones keep their lanes.
     * aarch64 with NEON (128 bits) is no exception: Debian's JDK 17 for arm64 under qemu
     * (neoverse-n1, session 8) failed to intrinsify VectorSupport::convert and others in these
     * loops (-XX:+PrintIntrinsics), and with them forced on, sigmoid ran at 226 ns per element
     * against the scalar loop's 211 (emulated, so only the ratio and the failed intrinsics count).
     */
    private static final boolean DOUBLE_LANES = FD.vectorBitSize() >= 128;

    private static final double SELU_LAMBDA = Scalar.SELU_LAMBDA;
    private static final double SELU_LAMBDA_ALPHA = Scalar.SELU_LAMBDA * Scalar.SELU_ALPHA;

    /**
     * Throws {@link UnsupportedOperationException} when the Vector API has no real SIMD here
     * (a preferred width under 128 bits: its Java fallback would be slower than the scalar loop).
     */
    SimdKernels() {
        if (F.vectorBitSize() < 128 || FD.length() != D.length()) {
            throw new UnsupportedOperationException("preferred vector width " + F.vectorBitSize()
                    + " bits is too narrow for the SIMD kernels");
        }
        if (!"false".equals(System.getProperty("nonlin.simd.prime")) && PRIMED.compareAndSet(false, true)) {
            prime(this);
        }
    }

    /** Whether {@link #prime} has run in this JVM. */
    private static final AtomicBoolean PRIMED = new AtomicBoolean();

    /**
     * Runs every loop once, on one vector's worth of data, when the first instance is made:
     * every function forward and backward (and from its output), the per-channel PReLU, the
     * rows, every loss (cross-entropy row by row and a block at a time) and the GEMM with each
     * transpose. The point is the Vector API's operator caches (one
     * {@code VectorOperators.ImplCache} per element type and operator kind, filled lazily the
     * first time each operator is used). A first use inside compiled code takes the cache's
     * miss path, meets another supplier class there and traps (class_check, in
     * {@code ImplCache.find}, which a loop inlines once per operation); four such traps and every
     * large loop compiled afterwards was over C2's trap limit and boxed (rule 5). Filled here,
     * before anything is compiled, the miss path is never taken in compiled code. It takes about
     * 0.3 s, once per JVM (most of it the Vector API's own start-up, which the first calls would
     * pay anyway); the results are thrown away. {@code -Dnonlin.simd.prime=false} skips it.
     */
    private static void prime(SimdKernels k) {
        int n = F.length();
        float[] x = new float[n];
        float[] dy = new float[n];
        float[] t = new float[n];
        float[] w = new float[n];
        float[] y = new float[n];
        float[] dx = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i % 7 - 3) * 0.75f;   // both signs, zero, up to ±2.25: every branch of the piecewise functions
            dy[i] = 1 - (i % 3) * 0.5f;
            t[i] = (i % 3) * 0.5f;        // targets, and bce's probabilities, in [0, 1]
            w[i] = 1 + (i % 2);
        }
        double[] tmp = new double[Math.max(n, LOSS_CHUNK)];
        for (Activation f : Activations.all()) {
            Kind kind = f.kind();
            if (kind.rowWise()) {
                k.rowForward(kind, x, 0, y, 0, n, tmp);
                k.rowBackward(kind, x, 0, dy, 0, dx, 0, n, tmp);
                k.rowBackwardFromOutput(kind, y, 0, dy, 0, dx, 0, n);
                continue;
            }
            k.forward(kind, f.p0(), f.p1(), x, 0, y, 0, n);
            k.backward(kind, f.p0(), f.p1(), x, 0, dy, 0, dx, 0, n);
            if (f.backwardFromOutput()) {
                k.backwardFromOutput(kind, f.p0(), f.p1(), y, 0, dy, 0, dx, 0, n);
            }
            if (kind == Kind.PRELU) {
                k.preluForward(x, 0, w, y, 0, n);
                k.preluBackward(x, 0, w, dy, 0, dx, 0, n);
            }
        }
        for (Loss l : Losses.all()) {
            if (l instanceof Loss.SoftmaxCrossEntropy ce) {
                k.crossEntropyRow(x, 0, n, 1, ce.ignoreIndex(), ce.labelSmoothing(), null, 0, 0.0, tmp);
                k.crossEntropyRow(x, 0, n, 1, ce.ignoreIndex(), ce.labelSmoothing(), dx, 0, 1.0, tmp);
                // narrow rows a block at a time: n/2 rows of 2 classes
                int[] target = new int[n / 2];
                double[] block = new double[k.crossEntropyScratch(n / 2, 2)];
                k.crossEntropyRows(x, 0, n / 2, 2, target, 0, ce.ignoreIndex(), ce.labelSmoothing(), null, 0, 0.0, block);
                k.crossEntropyRows(x, 0, n / 2, 2, target, 0, ce.ignoreIndex(), ce.labelSmoothing(), dx, 0, 1.0, block);
            } else {
                float[] z = l.kind() == Loss.Kind.BCE ? t : x;
                k.lossSum(l.kind(), w, 0, z, 0, t, 0, n, tmp);
                k.lossGradient(l.kind(), w, 0, z, 0, t, 0, 1.0, dx, 0, n);
            }
        }
        Gemm gemm = k.gemm();
        Gemm.RowSplitter here = (rows, grain, work, body) -> body.run(0, rows);
        int m = 8;
        int c = 2 * F.length() + 1;   // full panels and an edge
        int kk = 8;
        float[] a = Arrays.copyOf(x, m * kk);
        float[] b = Arrays.copyOf(dy, Math.max(kk * c, n));
        float[] out = new float[m * c];
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                gemm.multiply(ta, tb, m, c, kk, 1f, a, b, 0.5f, out, here);
            }
        }
    }

    @Override
    public String description() {
        return "SIMD (Vector API, " + F.vectorBitSize() + "-bit: " + F.length() + " float / "
                + D.length() + " double lanes" + (DOUBLE_LANES ? ")" : "; transcendental functions scalar)");
    }

    @Override
    public Gemm gemm() {
        return SimdGemm.INSTANCE;
    }

    /** The functions computed in double lanes (all of softsign's backward, for one). */
    private static boolean inDoubleLanes(Kind k) {
        return switch (k) {
            case SIGMOID, TANH, ELU, SELU, CELU, GELU, GELU_TANH, SWISH, MISH, SOFTPLUS, SOFTSIGN, LOGSIGMOID -> true;
            case RELU, LEAKY_RELU, PRELU, HARDTANH, RELU6, HARDSIGMOID, HARDSWISH, IDENTITY,
                    SOFTMAX, LOG_SOFTMAX -> false;
        };
    }

    // ================================================================== dispatch

    @Override
    public void forward(Kind k, double p0, double p1, float[] x, int xo, float[] y, int yo, int n) {
        if (!DOUBLE_LANES && inDoubleLanes(k)) {
            Scalar.forward(k, p0, p1, x, xo, y, yo, n);
            return;
        }
        int done = switch (k) {
            case SIGMOID -> sigmoidForward(x, xo, y, yo, n);
            case TANH -> tanhForward(x, xo, y, yo, n);
            case RELU -> reluForward(x, xo, y, yo, n);
            case LEAKY_RELU, PRELU -> leakyForward((float) p0, x, xo, y, yo, n);
            case ELU -> eluForward(1.0, p0, 1.0, x, xo, y, yo, n);
            case SELU -> eluForward(SELU_LAMBDA, SELU_LAMBDA_ALPHA, 1.0, x, xo, y, yo, n);
            case CELU -> eluForward(1.0, p0, 1.0 / p0, x, xo, y, yo, n);
            // gelu's loop serves both directions: y = m·(Φ(c) + w·c·e^(−c²/2)), m = max(x, −40), w = 0.
            case GELU -> geluLoop(x, xo, x, xo, -Scalar.GELU_CLAMP, 0.0, y, yo, n);
            case GELU_TANH -> geluTanhForward(x, xo, y, yo, n);
            // β = 0 is the degenerate x/2 (with Scalar's own NaN/∞ rules): left to the scalar loop.
            case SWISH -> p0 == 0 ? 0 : swishForward(p0, x, xo, y, yo, n);
            case MISH -> mishForward(x, xo, y, yo, n);
            case SOFTPLUS -> softplusForward(p0, p1, x, xo, y, yo, n);
            case HARDTANH -> clampForward((float) p0, (float) p1, x, xo, y, yo, n);
            case RELU6 -> clampForward(0f, 6f, x, xo, y, yo, n);
            case HARDSIGMOID -> hardsigmoidForward(x, xo, y, yo, n);
            case HARDSWISH -> hardswishForward(x, xo, y, yo, n);
            case SOFTSIGN -> softsignForward(x, xo, y, yo, n);
            // log σ(x) = −softplus(−x) = (max(z, 0) + log1p(e^−|z|))/β at β = −1 and no threshold:
            // the same operations as Scalar's min(x, 0) − log1p(e^−|x|), negated exactly.
            case LOGSIGMOID -> softplusForward(-1.0, Double.POSITIVE_INFINITY, x, xo, y, yo, n);
            case IDENTITY -> {
                System.arraycopy(x, xo, y, yo, n);
                yield n;
            }
            case SOFTMAX, LOG_SOFTMAX -> throw rowWise(k);
        };
        Scalar.forward(k, p0, p1, x, xo + done, y, yo + done, n - done);
    }

    @Override
    public void backward(Kind k, double p0, double p1, float[] x, int xo, float[] dy, int dyo,
                         float[] dx, int dxo, int n) {
        if (!DOUBLE_LANES && inDoubleLanes(k)) {
            Scalar.backward(k, p0, p1, x, xo, dy, dyo, dx, dxo, n);
            return;
        }
        int done = switch (k) {
            case SIGMOID -> sigmoidBackward(x, xo, dy, dyo, dx, dxo, n);
            case TANH -> tanhBackward(x, xo, dy, dyo, dx, dxo, n);
            case RELU -> reluBackward(x, xo, dy, dyo, dx, dxo, n);
            case LEAKY_RELU, PRELU -> leakyBackward((float) p0, x, xo, dy, dyo, dx, dxo, n);
            case ELU -> eluBackward(1.0, p0, 1.0, x, xo, dy, dyo, dx, dxo, n);
            case SELU -> eluBackward(SELU_LAMBDA, SELU_LAMBDA_ALPHA, 1.0, x, xo, dy, dyo, dx, dxo, n);
            case CELU -> eluBackward(1.0, 1.0, 1.0 / p0, x, xo, dy, dyo, dx, dxo, n);
            // dx = dy·(Φ(c) + c·φ(c)): gelu's loop with m = dy (max(dy, −∞) = dy) and w = 1/√(2π).
            case GELU -> geluLoop(x, xo, dy, dyo, Double.NEGATIVE_INFINITY, Scalar.INV_SQRT_2PI,
                    dx, dxo, n);
            case GELU_TANH -> geluTanhBackward(x, xo, dy, dyo, dx, dxo, n);
            case SWISH -> p0 == 0 ? 0 : swishBackward(p0, x, xo, dy, dyo, dx, dxo, n);
            case MISH -> mishBackward(x, xo, dy, dyo, dx, dxo, n);
            case SOFTPLUS -> softplusBackward(p0, p1, x, xo, dy, dyo, dx, dxo, n);
            case HARDTANH -> insideBackward((float) p0, (float) p1, 1f, x, xo, dy, dyo, dx, dxo, n);
            case RELU6 -> insideBackward(0f, 6f, 1f, x, xo, dy, dyo, dx, dxo, n);
            case HARDSIGMOID -> insideBackward(-3f, 3f, 1f / 6f, x, xo, dy, dyo, dx, dxo, n);
            case HARDSWISH -> hardswishBackward(x, xo, dy, dyo, dx, dxo, n);
            case SOFTSIGN -> softsignBackward(x, xo, dy, dyo, dx, dxo, n);
            case LOGSIGMOID -> softplusBackward(-1.0, Double.POSITIVE_INFINITY, x, xo, dy, dyo, dx, dxo, n);
            case IDENTITY -> identityBackward(x, xo, dy, dyo, dx, dxo, n);
            case SOFTMAX, LOG_SOFTMAX -> throw rowWise(k);
        };
        Scalar.backward(k, p0, p1, x, xo + done, dy, dyo + done, dx, dxo + done, n - done);
    }

    @Override
    public void backwardFromOutput(Kind k, double p0, double p1, float[] y, int yo, float[] dy, int dyo,
                                   float[] dx, int dxo, int n) {
        if (!DOUBLE_LANES && inDoubleLanes(k)) {
            Scalar.backwardFromOutput(k, p0, p1, y, yo, dy, dyo, dx, dxo, n);
            return;
        }
        int done = switch (k) {
            case SIGMOID -> sigmoidFromOutput(y, yo, dy, dyo, dx, dxo, n);
            case TANH -> tanhFromOutput(y, yo, dy, dyo, dx, dxo, n);
            // relu, leaky_relu (slope > 0) and identity: f'(x) is the same expression in y.
            case RELU -> reluBackward(y, yo, dy, dyo, dx, dxo, n);
            case LEAKY_RELU -> leakyBackward((float) p0, y, yo, dy, dyo, dx, dxo, n);
            case IDENTITY -> identityBackward(y, yo, dy, dyo, dx, dxo, n);
            case ELU -> eluFromOutput(1.0, 1.0, p0, y, yo, dy, dyo, dx, dxo, n);
            case SELU -> eluFromOutput(SELU_LAMBDA, 1.0, SELU_LAMBDA_ALPHA, y, yo, dy, dyo, dx, dxo, n);
            case CELU -> eluFromOutput(1.0, 1.0 / p0, 1.0, y, yo, dy, dyo, dx, dxo, n);
            case PRELU, GELU, GELU_TANH, SWISH, MISH, SOFTPLUS, HARDTANH, RELU6, HARDSIGMOID, HARDSWISH,
                    SOFTSIGN, LOGSIGMOID, SOFTMAX, LOG_SOFTMAX ->
                    throw new IllegalArgumentException(k + " has no backward from the output");
        };
        Scalar.backwardFromOutput(k, p0, p1, y, yo + done, dy, dyo + done, dx, dxo + done, n - done);
    }

    @Override
    public void preluForward(float[] x, int xo, float[] alpha, float[] y, int yo, int n) {
        int i = preluForwardLoop(x, xo, alpha, y, yo, n);
        for (; i < n; i++) {
            y[yo + i] = (float) Scalar.forward(Kind.PRELU, alpha[i], 0, x[xo + i]);
        }
    }

    @Override
    public void preluBackward(float[] x, int xo, float[] alpha, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = preluBackwardLoop(x, xo, alpha, dy, dyo, dx, dxo, n);
        for (; i < n; i++) {
            dx[dxo + i] = (float) (dy[dyo + i] * Scalar.derivative(Kind.PRELU, alpha[i], 0, x[xo + i]));
        }
    }

    private static IllegalArgumentException rowWise(Kind k) {
        return new IllegalArgumentException(k + " is row-wise; use the row methods");
    }

    // ================================================================== softmax, log_softmax: dispatch

    @Override
    public void rowForward(Kind k, float[] x, int xo, float[] y, int yo, int n, double[] tmp) {
        boolean log = isLog(k);
        float m = DOUBLE_LANES ? rowMax(x, xo, n) : Float.NaN;
        double r = Float.isFinite(m) ? expRow(x, xo, m, tmp, n) : Double.NaN;
        if (Double.isNaN(r)) {
            // NaN anywhere, +∞ entries, all −∞, n = 0, or no double lanes: Rows' special rows
            Rows.forward(k, x, xo, y, yo, n, tmp);
            return;
        }
        int i;
        if (log) {
            double l = Math.log1p(r);
            i = logSoftmaxLoop(x, xo, m, l, y, yo, n);
            for (; i < n; i++) {
                y[yo + i] = (float) (((double) x[xo + i] - m) - l);
            }
        } else {
            double inv = 1.0 / (1.0 + r);
            i = scaleLoop(tmp, inv, y, yo, n);
            for (; i < n; i++) {
                y[yo + i] = (float) (tmp[i] * inv);
            }
        }
    }

    @Override
    public void rowBackward(Kind k, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n,
                            double[] tmp) {
        boolean log = isLog(k);
        float m = DOUBLE_LANES ? rowMax(x, xo, n) : Float.NaN;
        double r = Float.isFinite(m) ? expRow(x, xo, m, tmp, n) : Double.NaN;
        if (Double.isNaN(r)) {
            Rows.backward(k, x, xo, dy, dyo, dx, dxo, n, tmp);
            return;
        }
        double inv = 1.0 / (1.0 + r);
        int i;
        if (log) {
            // e^y = e^(x − m)/(1 + r): from tmp, instead of Rows' exp of the rounded y
            double s = sumRow(dy, dyo, 0.0, n);
            i = logSoftmaxGradLoop(tmp, inv, s, dy, dyo, dx, dxo, n);
            for (; i < n; i++) {
                dx[dxo + i] = (float) (dy[dyo + i] - tmp[i] * inv * s);
            }
        } else {
            double dot = scaleDotRow(tmp, inv, dy, dyo, n);   // tmp becomes y
            i = softmaxGradLoop(tmp, dot, dy, dyo, dx, dxo, n);
            for (; i < n; i++) {
                dx[dxo + i] = (float) (tmp[i] * (dy[dyo + i] - dot));
            }
        }
    }

    /** Rows.backwardFromOutput in double lanes; IEEE arithmetic alone gives its special values. */
    @Override
    public void rowBackwardFromOutput(Kind k, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        boolean log = isLog(k);
        if (!DOUBLE_LANES) {
            Rows.backwardFromOutput(k, y, yo, dy, dyo, dx, dxo, n);
            return;
        }
        int i;
        if (log) {
            double s = sumRow(dy, dyo, 0.0, n);
            i = logSoftmaxGradFromOutputLoop(y, yo, s, dy, dyo, dx, dxo, n);
            for (; i < n; i++) {
                dx[dxo + i] = (float) (dy[dyo + i] - Math.exp(y[yo + i]) * s);
            }
        } else {
            double dot = dotRow(dy, dyo, y, yo, n);
            i = softmaxGradFromOutputLoop(y, yo, dot, dy, dyo, dx, dxo, n);
            for (; i < n; i++) {
                dx[dxo + i] = (float) (y[yo + i] * (dy[dyo + i] - dot));
            }
        }
    }

    // ================================================================== softmax cross-entropy: dispatch

    /**
     * LossMath.crossEntropyRow with softmax's passes: m in float lanes ({@link #rowMax}), e^(z − m)
     * into tmp with c and s in double lanes ({@link #expRow}, so r = (c − 1) + s as LossMath's,
     * only summed in another fixed order), Σ(z_j − m) in double lanes when ε &gt; 0, ℓ from
     * LossMath.ceLoss itself, and the gradient in lanes from tmp. Ignored rows, bad targets and
     * rows whose max is NaN or ±∞ (and everything without double lanes) are LossMath's own.
     * dz may be z: every read of z comes before the gradient pass, which reads only tmp.
     */
    @Override
    public double crossEntropyRow(float[] z, int zo, int cols, int target, int ignoreIndex, double eps,
                                  float[] dz, int dzo, double scale, double[] tmp) {
        float m = DOUBLE_LANES && target != ignoreIndex && target >= 0 && target < cols
                ? rowMax(z, zo, cols) : Float.NaN;
        if (!Float.isFinite(m)) {
            return LossMath.crossEntropyRow(z, zo, cols, target, ignoreIndex, eps, dz, dzo, scale);
        }
        double r = expRow(z, zo, m, tmp, cols);
        double zt = z[zo + target];
        double sumZm = eps == 0 ? 0.0 : sumRow(z, zo, m, cols);   // ceLoss weighs it by ε/C: 0 then
        double loss = LossMath.ceLoss(m, r, zt - m, sumZm, eps, cols);
        if (dz != null) {
            double k = 1.0 / (1.0 + r);
            double u = eps / cols;
            int i = crossEntropyGradLoop(tmp, k, u, scale, dz, dzo, cols);
            for (; i < cols; i++) {
                dz[dzo + i] = (float) (scale * (tmp[i] * k - u));
            }
            // the target's own gradient (−r·k + ε − ε/C when it is a maximal entry), LossMath's
            dz[dzo + target] = (float) (scale * LossMath.ceGradient(zt, m, k, r, true, zt == m, eps, cols));
        }
        return loss;
    }

    /** Widest rows that {@link #crossEntropyRows} takes a block at a time; wider ones go row by row. */
    private static final int CE_NARROW = 64;

    /** n rounded up to a multiple of the double lane count. */
    private static int padD(int n) {
        return (n + D.length() - 1) / D.length() * D.length();
    }

    /** Rows of one pass of {@link #crossEntropyRows}: about LOSS_CHUNK logits, so the scratch stays in L1. */
    private static int ceChunkRows(int cols) {
        return Math.max(1, LOSS_CHUNK / cols);
    }

    @Override
    public int crossEntropyScratch(int rows, int cols) {
        if (!DOUBLE_LANES || cols > CE_NARROW) {
            return cols;
        }
        int chunk = Math.min(rows, ceChunkRows(cols));
        return 2 * padD(chunk * cols) + 4 * padD(chunk);
    }

    /**
     * Narrow rows (cols ≤ {@link #CE_NARROW}), chunks of about LOSS_CHUNK logits at a time, so
     * that the per-row work of {@link #crossEntropyRow} (lane folds, scalar tails, a native
     * Math.log1p) is shared: LossMath.crossEntropyRow's passes over all the chunk's rows, each a
     * loop of its own.
     * <ol>
     *   <li>per row, m = max z (Math.max, as LossMath), and z − m (exact in double) into e;
     *       rows with an ignored or bad target, or a max that is NaN or ±∞, get e = 0;
     *   <li>in double lanes over the chunk ({@link #ceExpPass}): ceExpTerm's e^(z − m), 0 at
     *       the max, and ceIsMax's count, so that the next pass has no branch;
     *   <li>per row, c, s and r = (c − 1) + s in LossMath's order, Σ(z_j − m) when ε &gt; 0, and z_t;
     *   <li>with dz ({@link #crossEntropyChunkGradient}): per row, the unscaled gradient in place
     *       of e, e·k − ε/C as {@link #crossEntropyGradLoop}, the target's from LossMath.ceGradient
     *       (and ceGradient's NaN for a row whose max is NaN or ±∞); dz = scale·gradient rounded
     *       once, in lanes over the chunk ({@link #scaleLoop}); then the rows with an ignored or
     *       bad target through LossMath.crossEntropyRow, which fills their dz (0 or NaN) without
     *       reading z;
     *   <li>log1p(r) of every row in double lanes ({@link #log1pPass}), on a copy of the r's at the
     *       front of tmp (e is spent);
     *   <li>per row, ℓ from LossMath.ceLossFromLog1p (LossMath.crossEntropyRow itself for an
     *       ignored or bad target, which reads no z), added in row order.
     * </ol>
     * dz may be z: every read of a chunk's z comes before its dz is written (pass 4). tmp layout:
     * e and the count (each padded), then per row m, r (the gradient's, and log1p's input once
     * copied to the front), z_t and Σ(z_j − m), each padded to the lane count.
     */
    @Override
    public double crossEntropyRows(float[] z, int zo, int rows, int cols, int[] target, int to, int ignoreIndex,
                                   double eps, float[] dz, int dzo, double scale, double[] tmp) {
        if (!DOUBLE_LANES || cols > CE_NARROW) {
            // wide rows one by one, as CpuBackend did before the block path (not through the
            // interface's default loop: 4096 × 1000 backward ran 10-15 % slower on one core that way)
            double s = 0;
            for (int i = 0; i < rows; i++) {
                s += crossEntropyRow(z, zo + i * cols, cols, target[to + i], ignoreIndex, eps,
                        dz, dz == null ? 0 : dzo + i * cols, scale, tmp);
            }
            return s;
        }
        double loss = 0;
        int chunk = ceChunkRows(cols);
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            loss = crossEntropyChunk(loss, z, zo + r0 * cols, Math.min(chunk, rows - r0), cols, target, to + r0,
                    ignoreIndex, eps, dz, dzo + r0 * cols, scale, tmp);
        }
        return loss;
    }

    /** {@link #crossEntropyRows}' passes over one chunk of rows; returns {@code loss} plus their ℓ, in row order. */
    private static double crossEntropyChunk(double loss, float[] z, int zo, int rows, int cols, int[] target, int to,
                                            int ignoreIndex, double eps, float[] dz, int dzo, double scale,
                                            double[] tmp) {
        int n = rows * cols;
        int pr = padD(rows);
        int co = padD(n);
        int mo = 2 * co;
        int lo = mo + pr;
        int zto = lo + pr;
        int so = zto + pr;
        // 1: m and z − m
        for (int i = 0; i < rows; i++) {
            int t = target[to + i];
            int zi = zo + i * cols;
            int ei = i * cols;
            float m = Float.NaN;
            if (t != ignoreIndex && t >= 0 && t < cols) {
                m = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < cols; j++) {
                    m = Math.max(m, z[zi + j]);
                }
            }
            tmp[mo + i] = m;
            if (Float.isFinite(m)) {
                for (int j = 0; j < cols; j++) {
                    tmp[ei + j] = (double) z[zi + j] - m;
                }
            } else {
                java.util.Arrays.fill(tmp, ei, ei + cols, 0.0);
            }
        }
        java.util.Arrays.fill(tmp, n, co, 0.0);
        // 2: e^(z − m), 0 at the max, and the max's count
        ceExpPass(tmp, co, co);
        // 3: r, z_t, Σ(z_j − m)
        for (int i = 0; i < rows; i++) {
            double m = tmp[mo + i];
            double r = 0.0;
            if (Double.isFinite(m)) {
                int zi = zo + i * cols;
                int ei = i * cols;
                double c = 0;
                double sum = 0;
                for (int j = 0; j < cols; j++) {
                    c += tmp[co + ei + j];   // LossMath.ceIsMax, from the lanes
                    sum += tmp[ei + j];      // LossMath.ceExpTerm, with the lanes' exp
                }
                double sumZm = 0;
                if (eps != 0) {   // ceLoss weighs it by ε/C: 0 then
                    for (int j = 0; j < cols; j++) {
                        sumZm += z[zi + j] - m;
                    }
                }
                r = (c - 1.0) + sum;
                tmp[zto + i] = z[zi + target[to + i]];
                tmp[so + i] = sumZm;
            }
            tmp[lo + i] = r;
        }
        java.util.Arrays.fill(tmp, lo + rows, lo + pr, 0.0);
        if (dz != null) {
            crossEntropyChunkGradient(z, zo, rows, cols, target, to, ignoreIndex, eps, dz, dzo, scale, tmp,
                    co, mo, lo, zto);
        }
        // 5: log1p(r), moved to the front of tmp (e is spent)
        System.arraycopy(tmp, lo, tmp, 0, pr);
        log1pPass(tmp, pr);
        // 6: ℓ (an ignored or bad target reads no z, which dz may have overwritten by now)
        for (int i = 0; i < rows; i++) {
            int t = target[to + i];
            if (t == ignoreIndex || t < 0 || t >= cols) {
                loss += LossMath.crossEntropyRow(z, zo + i * cols, cols, t, ignoreIndex, eps, null, 0, scale);
            } else {
                double m = tmp[mo + i];
                loss += LossMath.ceLossFromLog1p(m, tmp[i], tmp[zto + i] - m, tmp[so + i], eps, cols);
            }
        }
        return loss;
    }

    /**
     * {@link #crossEntropyRows}' pass 4, for dz (a method of its own, so that C2 compiles the
     * loss-only calls and these apart), on {@link #crossEntropyChunk}'s tmp (co, mo, ro, zto: where
     * its count, m, r and z_t start): the unscaled
     * gradient in place of e, then dz, then the ignored and bad targets.
     */
    private static void crossEntropyChunkGradient(float[] z, int zo, int rows, int cols, int[] target, int to,
                                                  int ignoreIndex, double eps, float[] dz, int dzo, double scale,
                                                  double[] tmp, int co, int mo, int ro, int zto) {
        int n = rows * cols;
        double u = eps / cols;
        for (int i = 0; i < rows; i++) {
            int t = target[to + i];
            if (t == ignoreIndex || t < 0 || t >= cols) {
                continue;
            }
            double m = tmp[mo + i];
            int ei = i * cols;
            if (Double.isFinite(m)) {
                double r = tmp[ro + i];
                double zt = tmp[zto + i];
                double k = 1.0 / (1.0 + r);
                for (int j = 0; j < cols; j++) {
                    tmp[ei + j] = (tmp[ei + j] + tmp[co + ei + j]) * k - u;   // e^(z_j − m) = 1 at the max
                }
                tmp[ei + t] = LossMath.ceGradient(zt, m, k, r, true, zt == m, eps, cols);
            } else {
                java.util.Arrays.fill(tmp, ei, ei + cols, LossMath.ceGradient(0, m, 0, 0, false, false, eps, cols));
            }
        }
        // dz = scale·gradient
        int i = scaleLoop(tmp, scale, dz, dzo, n);
        for (; i < n; i++) {
            dz[dzo + i] = (float) (tmp[i] * scale);
        }
        // ignored and bad targets
        for (int row = 0; row < rows; row++) {
            int t = target[to + row];
            if (t == ignoreIndex || t < 0 || t >= cols) {
                LossMath.crossEntropyRow(z, zo + row * cols, cols, t, ignoreIndex, eps, dz, dzo + row * cols, scale);
            }
        }
    }

    // ================================================================== elementwise losses: dispatch

    /**
     * LossMath.term in double lanes, summed in chunks of LOSS_CHUNK elements: each chunk's lane
     * accumulators folded lane 0 first (as the rows), the chunk sums added in order, then the
     * scalar tail (LossMath.term itself): an order fixed by n. bce takes two logs and
     * bce_with_logits an exp and a log per element: two building blocks, so passes over a chunk
     * through tmp, at most one building block each (rule 1). bce_with_logits takes three: with
     * the log in the pass that also loads z, t and w, C2 stopped inlining it and boxed 40 bytes
     * an element.
     */
    @Override
    public double lossSum(Loss.Kind k, float[] w, int wo, float[] z, int zo, float[] t, int to, int n, double[] tmp) {
        if (!DOUBLE_LANES) {
            return ScalarKernels.INSTANCE.lossSum(k, w, wo, z, zo, t, to, n, tmp);
        }
        double s = 0;
        int i = 0;
        for (int end = FD.loopBound(n), len; i < end; i += len) {
            len = Math.min(LOSS_CHUNK, end - i);   // a multiple of the lane count
            switch (k) {
                case MSE -> s += mseSum(z, zo + i, t, to + i, len);
                case BCE -> {
                    bceLogPass(z, zo + i, tmp, len);
                    s += bceSum(tmp, z, zo + i, t, to + i, len);
                }
                case BCE_WITH_LOGITS -> {
                    expNegAbsPass(z, zo + i, tmp, len);
                    log1pPass(tmp, len);
                    s += bceWithLogitsSum(tmp, w, wo + i, z, zo + i, t, to + i, len);
                }
                case SOFTMAX_CROSS_ENTROPY -> throw new IllegalArgumentException(k + " is row-wise; use crossEntropyRow");
            }
        }
        for (; i < n; i++) {
            s += LossMath.term(k, w == null ? 0.0 : w[wo + i], z[zo + i], t[to + i]);
        }
        return s;
    }

    @Override
    public void lossGradient(Loss.Kind k, float[] w, int wo, float[] z, int zo, float[] t, int to, double scale,
                             float[] dz, int dzo, int n) {
        int i = !DOUBLE_LANES ? 0 : switch (k) {
            case MSE -> mseGradLoop(z, zo, t, to, scale, dz, dzo, n);
            case BCE -> bceGradLoop(z, zo, t, to, scale, dz, dzo, n);
            case BCE_WITH_LOGITS -> bceWithLogitsGradLoop(w, wo, z, zo, t, to, scale, dz, dzo, n);
            case SOFTMAX_CROSS_ENTROPY -> throw new IllegalArgumentException(k + " is row-wise; use crossEntropyRow");
        };
        for (; i < n; i++) {
            dz[dzo + i] = (float) (scale * LossMath.gradient(k, w == null ? 0.0 : w[wo + i], z[zo + i], t[to + i]));
        }
    }

    private static boolean isLog(Kind k) {
        if (!k.rowWise()) {
            throw new IllegalArgumentException(k + " is elementwise; use forward/backward");
        }
        return k == Kind.LOG_SOFTMAX;
    }

    // ================================================================== loads

    private static FloatVector loadF(float[] a, int i) {
        return FloatVector.fromArray(F, a, i);
    }

    /** Widens FD.length() floats to one double vector (exact). */
    private static DoubleVector loadD(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(FD, a, i).convertShape(VectorOperators.F2D, D, 0);
    }

    // Stores are written out in each loop, ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(..),
    // one rounding to nearest (rule 2 in the class comment).

    // ================================================================== exp, expm1 and log in double

    /**
     * exp's argument range. Below −746 the argument is raised to −746, where e^x rounds to 0 as
     * Math.exp's does below −745.14. The top is the caller's business (they all have it already,
     * or clamp with one min): exp overflows to ∞ by itself from 709.78, and is exact up to 746
     * (k ≤ 1076 still fits the two exponent factors).
     */
    private static final double EXP_LO = -746.0;
    private static final double EXP_HI = 746.0;
    /**
     * expm1's top (k ≤ 1023, so that 2^k is finite; callers clamp). Above it expm1 gives e^709 − 1
     * instead of up to e^709.78 or ∞; the only caller with a positive argument is celu with
     * α &lt; 0, whose α·expm1(x/α) then overflows float for any float α all the same.
     */
    private static final double EXPM1_HI = 709.0;
    private static final double LOG2E = 1.4426950408889634;
    /** ln 2 split for Cody–Waite: hi is the double nearest ln 2, lo the rest (k·lo stays tiny). */
    private static final double LN2_HI = 0x1.62e42fefa39efp-1;
    private static final double LN2_LO = 0x1.abc9e3b39803fp-56;
    /** 1.5·2^52: adding it rounds a double of magnitude &lt; 2^51 to an integer, left in the low bits. */
    private static final double SHIFTER = 0x1.8p52;
    /** Raw bits of SHIFTER less the exponent bias: (bits of SHIFTER + j) − this = j + 1023. */
    private static final long SHIFTER_BITS_LESS_BIAS = Double.doubleToRawLongBits(SHIFTER) - 1023;
    /**
     * Taylor coefficients 1/j! of e^r = 1 + r·Q(r), Q to r^11/12!. For |r| ≤ ln2/2 the first
     * omitted term, r^12/13!, is 1.7e-16 of e^r and 4.9e-16 of e^r − 1.
     */
    private static final double T2 = 1.0 / 2, T3 = 1.0 / 6, T4 = 1.0 / 24, T5 = 1.0 / 120, T6 = 1.0 / 720,
            T7 = 1.0 / 5040, T8 = 1.0 / 40320, T9 = 1.0 / 362880, T10 = 1.0 / 3628800,
            T11 = 1.0 / 39916800, T12 = 1.0 / 479001600;

    /**
     * e^x for x ≤ {@link #EXP_HI} or NaN, Math.exp's counterpart. Cody–Waite reduction
     * x = k·ln2 + r with k = round(x·log2 e) (the "shifter" rounding: x·log2 e + 1.5·2^52),
     * |r| ≤ ln2/2; then e^r·2^k with 2^k = s·s·(1 + k − 2j), s = 2^j, j = ⌊k/2⌋, so that subnormal
     * results (k down to −1077) and the top binade (k = 1024) come out right without a branch.
     * j is rounded out of k/2 − ¼ by the same shifter, which leaves it in the low bits; one shift
     * moves it to the exponent field (one reinterpretation each way: rule 4). e^r − 1 is its
     * Taylor polynomial, split into even and odd powers: two chains of half the latency. NaN
     * propagates.
     */
    private static DoubleVector exp(DoubleVector x) {
        DoubleVector xc = x.blend(EXP_LO, x.compare(LT, EXP_LO));   // NaN fails the test and stays
        DoubleVector kf = xc.lanewise(FMA, LOG2E, SHIFTER).sub(SHIFTER);
        DoubleVector r = kf.lanewise(FMA, -LN2_LO, kf.lanewise(FMA, -LN2_HI, xc));
        DoubleVector jd = kf.lanewise(FMA, 0.5, -0.25).add(SHIFTER);   // 1.5·2^52 + j
        DoubleVector f = kf.add(1.0).sub(jd.sub(SHIFTER).mul(2.0));   // 1 + k − 2j ∈ {1, 2}
        DoubleVector s = (DoubleVector) ((LongVector) jd.reinterpretShape(L, 0)).sub(SHIFTER_BITS_LESS_BIAS)
                .lanewise(LSHL, 52).reinterpretShape(D, 0);   // 2^j
        DoubleVector r2 = r.mul(r);
        DoubleVector q = r2.lanewise(FMA, T12, T10).lanewise(FMA, r2, T8).lanewise(FMA, r2, T6)
                .lanewise(FMA, r2, T4).lanewise(FMA, r2, T2).mul(r).add(r2.lanewise(FMA, T11, T9)
                .lanewise(FMA, r2, T7).lanewise(FMA, r2, T5).lanewise(FMA, r2, T3).lanewise(FMA, r2, 1.0));
        return q.lanewise(FMA, r, 1.0).mul(s).mul(s.mul(f));
    }

    /**
     * e^x − 1 for x ≤ {@link #EXPM1_HI} or NaN, without exp(x) − 1's cancellation near 0. Same
     * reduction and polynomial as {@link #exp} (repeated: rule 1), then
     * e^x − 1 = 2^k·(e^r − 1) + (2^k − 1) in one fma. For k = 0 that is e^r − 1 itself, to full
     * relative precision; for k ≠ 0, |x| &gt; ln2/2 and nothing cancels.
     */
    private static DoubleVector expm1(DoubleVector x) {
        DoubleVector xc = x.blend(EXP_LO, x.compare(LT, EXP_LO));
        DoubleVector kf = xc.lanewise(FMA, LOG2E, SHIFTER).sub(SHIFTER);
        DoubleVector r = kf.lanewise(FMA, -LN2_LO, kf.lanewise(FMA, -LN2_HI, xc));
        DoubleVector jd = kf.lanewise(FMA, 0.5, -0.25).add(SHIFTER);   // 1.5·2^52 + j
        DoubleVector f = kf.add(1.0).sub(jd.sub(SHIFTER).mul(2.0));   // 1 + k − 2j ∈ {1, 2}
        DoubleVector s = (DoubleVector) ((LongVector) jd.reinterpretShape(L, 0)).sub(SHIFTER_BITS_LESS_BIAS)
                .lanewise(LSHL, 52).reinterpretShape(D, 0);   // 2^j
        DoubleVector r2 = r.mul(r);
        DoubleVector q = r2.lanewise(FMA, T12, T10).lanewise(FMA, r2, T8).lanewise(FMA, r2, T6)
                .lanewise(FMA, r2, T4).lanewise(FMA, r2, T2).mul(r).add(r2.lanewise(FMA, T11, T9)
                .lanewise(FMA, r2, T7).lanewise(FMA, r2, T5).lanewise(FMA, r2, T3).lanewise(FMA, r2, 1.0));
        DoubleVector twoK = s.mul(s).mul(f);
        return twoK.lanewise(FMA, q.mul(r), twoK.sub(1.0));
    }

    /**
     * atanh(s)/s = Σ w^j/(2j + 1), w = s², to j = 9: the series of softplus's log1p and of
     * {@link #log}. For |s| ≤ 3 − 2√2 ≈ 0.1716 it leaves out less than s^20/21 ≈ 2.3e-17 relative.
     */
    private static final double A3 = 1.0 / 3, A5 = 1.0 / 5, A7 = 1.0 / 7, A9 = 1.0 / 9, A11 = 1.0 / 11,
            A13 = 1.0 / 13, A15 = 1.0 / 15, A17 = 1.0 / 17, A19 = 1.0 / 19;
    /** Raw bits of √½: k = (bits(x) − this) &gt;&gt; 52 (arithmetic) gives x·2^−k ∈ [√½, √2). */
    private static final long LOG_REDUCE_BITS = Double.doubleToRawLongBits(0x1.6a09e667f3bcdp-1);
    /** Raw bits of SHIFTER: (these + k) read as a double is SHIFTER + k, for integers |k| &lt; 2^51. */
    private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);

    /**
     * ln x for x ≥ 2^−1022, 0 (−∞), +∞ (+∞), and NaN or x &lt; 0 (NaN): Math.log's counterpart
     * for the values the losses take the log of (floats, and 1 minus a float, never a subnormal
     * double). x = 2^k·m with m ∈ [√½, √2), read off the bits (one double-to-long
     * reinterpretation; m and k come back through one long-to-double reinterpretation each,
     * k as SHIFTER + k); ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 3 − 2√2, with m − 1 exact
     * (Sterbenz); then k·ln2 + ln m with ln 2 split as in {@link #exp}. About 1e-16 relative.
     * Calls nothing of ours (rule 1), as exp.
     */
    private static DoubleVector log(DoubleVector x) {
        LongVector bits = (LongVector) x.reinterpretShape(L, 0);
        LongVector k = bits.sub(LOG_REDUCE_BITS).lanewise(ASHR, 52);
        DoubleVector m = (DoubleVector) bits.sub(k.lanewise(LSHL, 52)).reinterpretShape(D, 0);
        DoubleVector kf = ((DoubleVector) k.add(SHIFTER_BITS).reinterpretShape(D, 0)).sub(SHIFTER);
        DoubleVector s = m.sub(1.0).div(m.add(1.0));
        DoubleVector w = s.mul(s);
        DoubleVector w2 = w.mul(w);
        DoubleVector ae = w2.lanewise(FMA, A17, A13).lanewise(FMA, w2, A9).lanewise(FMA, w2, A5).lanewise(FMA, w2, 1.0);
        DoubleVector ao = w2.lanewise(FMA, A19, A15).lanewise(FMA, w2, A11).lanewise(FMA, w2, A7).lanewise(FMA, w2, A3);
        DoubleVector lm = ao.lanewise(FMA, w, ae).mul(s.add(s));
        DoubleVector r = kf.lanewise(FMA, LN2_HI, kf.lanewise(FMA, LN2_LO, lm));
        return r.blend(Double.POSITIVE_INFINITY, x.compare(EQ, Double.POSITIVE_INFINITY))
                .blend(Double.NEGATIVE_INFINITY, x.compare(EQ, 0.0))
                .blend(Double.NaN, x.compare(GE, 0.0).not());
    }

    // ================================================================== sigmoid, tanh

    /** Scalar.sigmoid: e = e^−|z|; z ≥ 0 ? 1/(1+e) : e/(1+e). NaN z gives e/(1+e) = NaN. */
    private static DoubleVector sigmoid(DoubleVector z) {
        DoubleVector e = exp(z.abs().neg());
        return e.blend(1.0, z.compare(GE, 0.0)).div(e.add(1.0));
    }

    /** Scalar.sigmoidPrime: e/(1+e)², e = e^−|z|, no 1 − σ cancellation in the tails. */
    private static DoubleVector sigmoidPrime(DoubleVector z) {
        DoubleVector e = exp(z.abs().neg());
        DoubleVector d = e.add(1.0);
        return e.div(d.mul(d));
    }

    private static int sigmoidForward(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = sigmoid(loadD(x, xo + i));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(y, yo + i);
        }
        return i;
    }

    private static int sigmoidBackward(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);
            DoubleVector v = g.mul(sigmoidPrime(loadD(x, xo + i)));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    /** Scalar.derivativeFromOutput SIGMOID: y(1 − y), exact-ish in double for a float y. */
    private static int sigmoidFromOutput(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);
            DoubleVector u = loadD(y, yo + i);
            DoubleVector v = g.mul(u.mul(DoubleVector.broadcast(D, 1.0).sub(u)));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    /**
     * Scalar.forward TANH (Math.tanh there): tanh|x| = −m/(2 + m), m = expm1(−2|x|) ∈ [−1, 0], with
     * x's sign. expm1, not exp, so small |x| keeps full relative precision; 2 + m ≥ 1 never cancels.
     */
    private static DoubleVector tanh(DoubleVector x) {
        DoubleVector m = expm1(x.abs().mul(-2.0));
        DoubleVector t = m.neg().div(m.add(2.0));
        return t.blend(t.neg(), x.compare(LT, 0.0));
    }

    /** Scalar.derivative TANH: 4e/(1+e)², e = e^−2|x|. */
    private static DoubleVector tanhPrime(DoubleVector x) {
        DoubleVector e = exp(x.abs().mul(-2.0));
        DoubleVector d = e.add(1.0);
        return e.mul(4.0).div(d.mul(d));
    }

    private static int tanhForward(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = tanh(loadD(x, xo + i));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(y, yo + i);
        }
        return i;
    }

    private static int tanhBackward(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);
            DoubleVector v = g.mul(tanhPrime(loadD(x, xo + i)));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    /** Scalar.derivativeFromOutput TANH: 1 − y², exact in double for a float y. */
    private static int tanhFromOutput(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);
            DoubleVector u = loadD(y, yo + i);
            DoubleVector v = g.mul(u.neg().lanewise(FMA, u, 1.0));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    // ================================================================== elu, selu, celu

    /**
     * The ELU family, Scalar.forward ELU/SELU/CELU: x &gt; 0 ? s·x : a·expm1(c·x), with
     * (s, a, c) = (1, α, 1) for elu, (λ, λα, 1) for selu, (1, α, 1/α) for celu.
     * NaN fails x &gt; 0 and propagates through expm1.
     */
    private static DoubleVector elu(DoubleVector x, DoubleVector s, DoubleVector a, DoubleVector c) {
        DoubleVector m = expm1(x.mul(c).min(EXPM1_HI));
        return m.mul(a).blend(x.mul(s), x.compare(GT, 0.0));
    }

    /**
     * Scalar.derivative ELU/SELU/CELU: x &gt; 0 ? s : b·e^(c·x), with (s, b, c) = (1, α, 1) for elu,
     * (λ, λα, 1) for selu, (1, 1, 1/α) for celu.
     */
    private static DoubleVector eluPrime(DoubleVector x, DoubleVector s, DoubleVector b, DoubleVector c) {
        DoubleVector e = exp(x.mul(c).min(EXP_HI));
        return e.mul(b).blend(s, x.compare(GT, 0.0));
    }

    private static int eluForward(double s, double a, double c, float[] x, int xo, float[] y, int yo, int n) {
        DoubleVector sv = DoubleVector.broadcast(D, s);
        DoubleVector av = DoubleVector.broadcast(D, a);
        DoubleVector cv = DoubleVector.broadcast(D, c);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = elu(loadD(x, xo + i), sv, av, cv);
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(y, yo + i);
        }
        return i;
    }

    private static int eluBackward(double s, double b, double c, float[] x, int xo, float[] dy, int dyo,
                                   float[] dx, int dxo, int n) {
        DoubleVector sv = DoubleVector.broadcast(D, s);
        DoubleVector bv = DoubleVector.broadcast(D, b);
        DoubleVector cv = DoubleVector.broadcast(D, c);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);
            DoubleVector v = g.mul(eluPrime(loadD(x, xo + i), sv, bv, cv));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    /**
     * Scalar.derivativeFromOutput ELU/SELU/CELU: y &gt; 0 ? s : c·y + b, with (s, c, b) = (1, 1, α),
     * (λ, 1, λα), (1, 1/α, 1).
     */
    private static int eluFromOutput(double s, double c, double b, float[] y, int yo, float[] dy, int dyo,
                                     float[] dx, int dxo, int n) {
        DoubleVector sv = DoubleVector.broadcast(D, s);
        DoubleVector cv = DoubleVector.broadcast(D, c);
        DoubleVector bv = DoubleVector.broadcast(D, b);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);
            DoubleVector u = loadD(y, yo + i);
            DoubleVector v = g.mul(u.lanewise(FMA, cv, bv).blend(sv, u.compare(GT, 0.0)));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    // ================================================================== gelu

    private static final double GELU_CLAMP = Scalar.GELU_CLAMP;
    private static final double INV_SQRT2 = Scalar.INV_SQRT2;
    private static final double ERFC_K = Erfc.K;
    /** Erfc.P as constants, so that C2 folds them into the fma chain. */
    private static final double P0 = Erfc.P[0], P1 = Erfc.P[1], P2 = Erfc.P[2], P3 = Erfc.P[3],
            P4 = Erfc.P[4], P5 = Erfc.P[5], P6 = Erfc.P[6], P7 = Erfc.P[7], P8 = Erfc.P[8],
            P9 = Erfc.P[9], P10 = Erfc.P[10], P11 = Erfc.P[11], P12 = Erfc.P[12], P13 = Erfc.P[13],
            P14 = Erfc.P[14], P15 = Erfc.P[15], P16 = Erfc.P[16], P17 = Erfc.P[17], P18 = Erfc.P[18],
            P19 = Erfc.P[19], P20 = Erfc.P[20], P21 = Erfc.P[21];

    static {
        if (Erfc.P.length != 22) {
            throw new AssertionError("Erfc.P changed length; update SimdKernels.geluLoop");
        }
    }

    /**
     * GELU(erf), both directions: out = m·(Φ(c) + w·c·g), c = clamp(x, ±40), g = e^(−c²/2), with
     * <pre>
     *   forward:   m = max(x, −40) (from the m array = x, lo = −40), w = 0        → Scalar.forward GELU
     *   backward:  m = dy          (lo = −∞, max(dy, −∞) = dy),     w = 1/√(2π)  → dy·Scalar.derivative
     * </pre>
     * Φ(c) = ½·erfc(−c/√2) as in Erfc.twoPhi: erfc(|z|) = e^(−z²)·P((|z| − 4)/(|z| + 4)),
     * z = −c/√2, and 2 − erfc(|z|) for z &lt; 0 (no cancellation: the result is in [1, 2]).
     * e^(−z²) = e^(−c²/2) is g, shared with the density, with c² taken exactly (s + sl, one fma)
     * as Erfc.halfSquareExp takes it: rounded, it would move g by up to ~1e-14 relative where
     * GELU's float result is not yet 0 (|c| ≤ 14); the correction costs no second exp.
     * The forward evaluates Φ at min(c, 40),
     * where it is 1 in double, so that x = +∞ gives ∞·1. The degree-21 polynomial is written out
     * here, after the exp call, rather than in a helper of its own (rule 1), as even and odd
     * parts: two chains of half the latency.
     */
    private static int geluLoop(float[] x, int xo, float[] m, int mo, double lo, double w, float[] out, int oo,
                                int n) {
        DoubleVector lov = DoubleVector.broadcast(D, lo);
        DoubleVector wv = DoubleVector.broadcast(D, w);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector c = loadD(x, xo + i).max(-GELU_CLAMP).min(GELU_CLAMP);
            DoubleVector mv = loadD(m, mo + i).max(lov);
            // c² = s + sl exactly (sl from one fma), as Erfc.halfSquareExp: e^(−c²/2) = e^(−s/2)·(1 − sl/2)
            DoubleVector s = c.mul(c);
            DoubleVector sl = c.lanewise(FMA, c, s.neg());
            DoubleVector g = exp(s.mul(-0.5)).mul(sl.lanewise(FMA, -0.5, 1.0));
            DoubleVector a = c.abs().mul(INV_SQRT2);
            DoubleVector t = a.sub(ERFC_K).div(a.add(ERFC_K));
            // P(t) = E(t²) + t·O(t²): two independent Horner chains of half the depth.
            DoubleVector t2 = t.mul(t);
            DoubleVector pe = t2.lanewise(FMA, P20, P18).lanewise(FMA, t2, P16).lanewise(FMA, t2, P14)
                    .lanewise(FMA, t2, P12).lanewise(FMA, t2, P10).lanewise(FMA, t2, P8).lanewise(FMA, t2, P6)
                    .lanewise(FMA, t2, P4).lanewise(FMA, t2, P2).lanewise(FMA, t2, P0);
            DoubleVector po = t2.lanewise(FMA, P21, P19).lanewise(FMA, t2, P17).lanewise(FMA, t2, P15)
                    .lanewise(FMA, t2, P13).lanewise(FMA, t2, P11).lanewise(FMA, t2, P9).lanewise(FMA, t2, P7)
                    .lanewise(FMA, t2, P5).lanewise(FMA, t2, P3).lanewise(FMA, t2, P1);
            DoubleVector p = po.lanewise(FMA, t, pe);
            DoubleVector r = g.mul(p);
            DoubleVector erfc = r.blend(DoubleVector.broadcast(D, 2.0).sub(r), c.compare(GT, 0.0));
            DoubleVector v = mv.mul(erfc.lanewise(FMA, 0.5, c.mul(g).mul(wv)));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(out, oo + i);
        }
        return i;
    }

    private static final double GELU_TANH_CLAMP = Scalar.GELU_TANH_CLAMP;
    private static final double SQRT_2_OVER_PI = Scalar.SQRT_2_OVER_PI;
    private static final double GELU_TANH_C = Scalar.GELU_TANH_C;

    /** Scalar.forward GELU_TANH: c·σ(2u), u = √(2/π)(c + 0.044715c³), c = max(x, −20); σ as in sigmoid. */
    private static DoubleVector geluTanh(DoubleVector x) {
        DoubleVector c = x.max(-GELU_TANH_CLAMP);
        DoubleVector z = c.mul(c).mul(c).mul(GELU_TANH_C).add(c).mul(2.0 * SQRT_2_OVER_PI);
        DoubleVector e = exp(z.abs().neg());
        DoubleVector s = e.blend(1.0, z.compare(GE, 0.0)).div(e.add(1.0));
        return c.mul(s);
    }

    /**
     * Scalar.derivative GELU_TANH: σ(2u) + c·σ'(2u)·2u', c = clamp(x, ±20). σ and σ' share one
     * e = e^−|2u| and one reciprocal.
     */
    private static DoubleVector geluTanhPrime(DoubleVector x) {
        DoubleVector c = x.max(-GELU_TANH_CLAMP).min(GELU_TANH_CLAMP);
        DoubleVector c2 = c.mul(c);
        DoubleVector z = c2.mul(c).mul(GELU_TANH_C).add(c).mul(2.0 * SQRT_2_OVER_PI);
        DoubleVector e = exp(z.abs().neg());
        DoubleVector du2 = c2.lanewise(FMA, 3.0 * GELU_TANH_C, 1.0).mul(2.0 * SQRT_2_OVER_PI);
        DoubleVector inv = DoubleVector.broadcast(D, 1.0).div(e.add(1.0));
        DoubleVector s = e.blend(1.0, z.compare(GE, 0.0)).mul(inv);
        DoubleVector ds = e.mul(inv).mul(inv);
        return c.mul(ds).mul(du2).add(s);
    }

    private static int geluTanhForward(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = geluTanh(loadD(x, xo + i));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(y, yo + i);
        }
        return i;
    }

    private static int geluTanhBackward(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);
            DoubleVector v = g.mul(geluTanhPrime(loadD(x, xo + i)));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    // ================================================================== swish, mish

    /** Scalar.forward SWISH (β ≠ 0): x·σ(βx), and 0 where σ underflows to 0 (so −∞ gives 0, not NaN). */
    private static DoubleVector swish(DoubleVector x, DoubleVector beta) {
        DoubleVector z = x.mul(beta);
        DoubleVector e = exp(z.abs().neg());
        DoubleVector s = e.blend(1.0, z.compare(GE, 0.0)).div(e.add(1.0));
        return x.mul(s).blend(0.0, s.compare(EQ, 0.0));
    }

    /**
     * Scalar.derivative SWISH (β ≠ 0): σ(z) + (σ'(z) = 0 ? 0 : z·σ'(z)), z = βx; σ and σ' share
     * one e = e^−|z| and one reciprocal.
     */
    private static DoubleVector swishPrime(DoubleVector x, DoubleVector beta) {
        DoubleVector z = x.mul(beta);
        DoubleVector e = exp(z.abs().neg());
        DoubleVector inv = DoubleVector.broadcast(D, 1.0).div(e.add(1.0));
        DoubleVector s = e.blend(1.0, z.compare(GE, 0.0)).mul(inv);
        DoubleVector ds = e.mul(inv).mul(inv);
        return z.mul(ds).blend(0.0, ds.compare(EQ, 0.0)).add(s);
    }

    private static int swishForward(double beta, float[] x, int xo, float[] y, int yo, int n) {
        DoubleVector b = DoubleVector.broadcast(D, beta);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = swish(loadD(x, xo + i), b);
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(y, yo + i);
        }
        return i;
    }

    private static int swishBackward(double beta, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo,
                                     int n) {
        DoubleVector b = DoubleVector.broadcast(D, beta);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);
            DoubleVector v = g.mul(swishPrime(loadD(x, xo + i), b));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    private static final double MISH_CLAMP = Scalar.MISH_CLAMP;

    /** Scalar.forward MISH: x·t, t = a/(a + 2), a = n(n + 2), n = e^min(x, 350); 0 where t = 0. */
    private static DoubleVector mish(DoubleVector x) {
        DoubleVector nn = exp(x.min(MISH_CLAMP));
        DoubleVector a = nn.add(2.0).mul(nn);
        DoubleVector t = a.div(a.add(2.0));
        return x.mul(t).blend(0.0, t.compare(EQ, 0.0));
    }

    /**
     * Scalar.derivative MISH: t + (q = 0 ? 0 : x·q), q = σ(x)·(2/d)(1 + t), d = a + 2; 1 above 350.
     * σ(x) = n/(1 + n) from the same n = e^x (exact in real arithmetic for either sign, and
     * accurate in double for n ∈ [0, e^350]): one exp instead of Scalar's two.
     */
    private static DoubleVector mishPrime(DoubleVector x) {
        DoubleVector nn = exp(x.min(MISH_CLAMP));
        DoubleVector a = nn.add(2.0).mul(nn);
        DoubleVector inv = DoubleVector.broadcast(D, 1.0).div(a.add(2.0));
        DoubleVector t = a.mul(inv);
        DoubleVector sech2 = inv.mul(2.0).mul(t.add(1.0));
        DoubleVector q = nn.div(nn.add(1.0)).mul(sech2);
        return x.mul(q).blend(0.0, q.compare(EQ, 0.0)).add(t).blend(1.0, x.compare(GT, MISH_CLAMP));
    }

    private static int mishForward(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = mish(loadD(x, xo + i));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(y, yo + i);
        }
        return i;
    }

    private static int mishBackward(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);
            DoubleVector v = g.mul(mishPrime(loadD(x, xo + i)));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    // ================================================================== softplus, logsigmoid

    private static final double LN2 = 0.6931471805599453;
    private static final double SQRT2_MINUS_1 = 0.41421356237309503;

    /**
     * Scalar.forward SOFTPLUS: z = βx; z &gt; threshold ? x : (max(z, 0) + log1p(u))/β, u = e^−|z|;
     * with β = −1 and threshold +∞, Scalar.forward LOGSIGMOID (see forward). × 1/β instead of ÷ β:
     * one double rounding apart, and exact for β = −1.
     * <p>log1p(u) for u ∈ [0, 1], written out after the exp call (rule 1): 2·atanh(s) with
     * s = u/(2 + u) for u ≤ √2 − 1; above, 1 + u = 2m and log1p(u) = ln 2 + 2·atanh((u − 1)/(u + 3)).
     * Either way |s| ≤ 3 − 2√2 ≈ 0.1716, s is formed from u directly (never from a rounded 1 + u, so
     * tiny u keeps every digit), and the atanh series to s^19/19 leaves out less than
     * s^20/21 ≈ 2.3e-17 relative. NaN propagates.
     */
    private static int softplusForward(double beta, double threshold, float[] x, int xo, float[] y, int yo, int n) {
        DoubleVector b = DoubleVector.broadcast(D, beta);
        DoubleVector invB = DoubleVector.broadcast(D, 1.0 / beta);
        DoubleVector thr = DoubleVector.broadcast(D, threshold);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = loadD(x, xo + i);
            DoubleVector z = v.mul(b);
            DoubleVector u = exp(z.abs().neg());
            VectorMask<Double> big = u.compare(GT, SQRT2_MINUS_1);
            DoubleVector s = u.blend(u.sub(1.0), big).div(u.add(DoubleVector.broadcast(D, 2.0).blend(3.0, big)));
            // atanh(s)/s = Σ w^j/(2j + 1), w = s², j ≤ 9, as even and odd powers of w: two short chains.
            DoubleVector w = s.mul(s);
            DoubleVector w2 = w.mul(w);
            DoubleVector ae = w2.lanewise(FMA, A17, A13).lanewise(FMA, w2, A9)
                    .lanewise(FMA, w2, A5).lanewise(FMA, w2, 1.0);
            DoubleVector ao = w2.lanewise(FMA, A19, A15).lanewise(FMA, w2, A11)
                    .lanewise(FMA, w2, A7).lanewise(FMA, w2, A3);
            DoubleVector atanh = ao.lanewise(FMA, w, ae).mul(s);
            DoubleVector log1p = atanh.lanewise(FMA, 2.0, DoubleVector.zero(D).blend(LN2, big));
            DoubleVector r = z.blend(0.0, z.compare(LT, 0.0)).add(log1p).mul(invB).blend(v, z.compare(GT, thr));
            ((FloatVector) r.convertShape(D2F, FD, 0)).intoArray(y, yo + i);
        }
        return i;
    }

    /** Scalar.derivative SOFTPLUS: z &gt; threshold ? 1 : σ(z), z = βx; LOGSIGMOID's σ(−x) at β = −1. */
    private static DoubleVector softplusPrime(DoubleVector x, DoubleVector beta, DoubleVector threshold) {
        DoubleVector z = x.mul(beta);
        DoubleVector e = exp(z.abs().neg());
        DoubleVector s = e.blend(1.0, z.compare(GE, 0.0)).div(e.add(1.0));
        return s.blend(1.0, z.compare(GT, threshold));
    }

    private static int softplusBackward(double beta, double threshold, float[] x, int xo, float[] dy, int dyo,
                                        float[] dx, int dxo, int n) {
        DoubleVector b = DoubleVector.broadcast(D, beta);
        DoubleVector thr = DoubleVector.broadcast(D, threshold);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);
            DoubleVector v = g.mul(softplusPrime(loadD(x, xo + i), b, thr));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    // ================================================================== softsign

    /** |x| beyond this gives softsign = ±1 in float; clamping there turns ±∞ into ±1 instead of ∞/∞. */
    private static final float SOFTSIGN_CLAMP = 0x1p30f;

    /** Scalar.forward SOFTSIGN: x/(1 + |x|), in float: two roundings, ≤ 2 ULP. */
    private static FloatVector softsign(FloatVector x) {
        FloatVector c = x.blend(SOFTSIGN_CLAMP, x.compare(GT, SOFTSIGN_CLAMP))
                .blend(-SOFTSIGN_CLAMP, x.compare(LT, -SOFTSIGN_CLAMP));
        return c.div(c.abs().add(1f));
    }

    private static int softsignForward(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            softsign(loadF(x, xo + i)).intoArray(y, yo + i);
        }
        return i;
    }

    /**
     * Scalar.derivative SOFTSIGN: dy/(1 + |x|)², in double: in float, (1 + |x|)² overflows for
     * |x| &gt; 1.8e19 and would turn dy = ∞ into ∞/∞ = NaN where Scalar gives ∞.
     */
    private static int softsignBackward(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);
            DoubleVector d = loadD(x, xo + i).abs().add(1.0);
            DoubleVector v = g.div(d.mul(d));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    // ================================================================== softmax, log_softmax: loops

    /*
     * Rows.forwardDouble's formulas, one row per call: the max in float lanes, then e^(x − m) in
     * double lanes (x − m is exact in double; the same exp as the elementwise functions) into tmp,
     * summed in double lanes, then the scaled or shifted output, rounded once to float.
     * Bookkeeping differs from Rows in one place: rather than leave out the first argmax, the
     * lanes leave out every entry equal to m (each e^0 = 1 exactly) and count them, and
     * r = Σ_{x_j ≠ m} e^(x_j − m) + (count − 1), the same r in exact arithmetic, and as exact as
     * Rows' when r is tiny (log1p(r) for the dominant entry).
     * Reductions run in a fixed order that depends only on n: lane accumulators, folded lane 0
     * first, then the scalar tail. Not {@code reduceLanes(ADD)}: the Vector API leaves its order,
     * and so its rounding, to the implementation (C2, the interpreter, the next JDK). A row is
     * never split across threads, so the result does not depend on the thread count or the call.
     * The fold is written out in each loop rather than in a helper: after exp, a call to a
     * helper of ours hit NodeCountInliningCutoff (rule 1) and boxed the accumulators, 128 bytes a
     * row; the Vector API's own lane() is force-inlined.
     * The reductions return a value, so each finishes its own tail (Math.exp there); the output
     * loops return how far they got, as elsewhere here.
     */

    /** The row's max in float lanes: NaN if any entry is NaN (MAX is Math.max's), −∞ for n = 0. */
    private static float rowMax(float[] x, int xo, int n) {
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            acc = acc.max(loadF(x, xo + i));
        }
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            m = Math.max(m, x[xo + i]);
        }
        return m;
    }

    /**
     * {@code tmp[i] = e^(x_i − m)} for a finite m, and r as above. NaN entries (were max to miss
     * one) fail x = m and make r NaN, which the callers send to Rows.
     */
    private static double expRow(float[] x, int xo, float m, double[] tmp, int n) {
        DoubleVector mv = DoubleVector.broadcast(D, m);
        DoubleVector zero = DoubleVector.zero(D);
        DoubleVector acc = zero;
        DoubleVector top = zero;
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector d = loadD(x, xo + i).sub(mv);
            DoubleVector e = exp(d);   // −∞ gives exp(−746) = 0
            e.intoArray(tmp, i);
            VectorMask<Double> atMax = d.compare(EQ, 0.0);
            acc = acc.add(e.blend(0.0, atMax));
            top = top.add(zero.blend(1.0, atMax));
        }
        double r = acc.lane(0);
        for (int j = 1; j < D.length(); j++) {
            r += acc.lane(j);
        }
        double c = top.lane(0);
        for (int j = 1; j < D.length(); j++) {
            c += top.lane(j);
        }
        for (; i < n; i++) {
            double d = (double) x[xo + i] - m;
            double e = Math.exp(d);
            tmp[i] = e;
            if (d == 0) {
                c++;
            } else {
                r += e;
            }
        }
        return r + (c - 1);
    }

    /**
     * Σ (a_i − shift) in double lanes, in the fixed order above: Σ dy for log_softmax (shift 0,
     * which changes no bits), Σ (z_j − m) for cross-entropy's label smoothing.
     */
    private static double sumRow(float[] a, int ao, double shift, int n) {
        DoubleVector sv = DoubleVector.broadcast(D, shift);
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            acc = acc.add(loadD(a, ao + i).sub(sv));
        }
        double s = acc.lane(0);
        for (int j = 1; j < D.length(); j++) {
            s += acc.lane(j);
        }
        for (; i < n; i++) {
            s += (double) a[ao + i] - shift;
        }
        return s;
    }

    /** Σ dy·y over float arrays in double lanes (each product exact in double), fixed order. */
    private static double dotRow(float[] dy, int dyo, float[] y, int yo, int n) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            acc = loadD(dy, dyo + i).lanewise(FMA, loadD(y, yo + i), acc);
        }
        double s = acc.lane(0);
        for (int j = 1; j < D.length(); j++) {
            s += acc.lane(j);
        }
        for (; i < n; i++) {
            s += (double) dy[dyo + i] * y[yo + i];
        }
        return s;
    }

    /** {@code tmp[i] *= inv} (e becomes y, in double) and returns Σ dy·y, fixed order. */
    private static double scaleDotRow(double[] tmp, double inv, float[] dy, int dyo, int n) {
        DoubleVector iv = DoubleVector.broadcast(D, inv);
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector y = DoubleVector.fromArray(D, tmp, i).mul(iv);
            y.intoArray(tmp, i);
            acc = loadD(dy, dyo + i).lanewise(FMA, y, acc);
        }
        double s = acc.lane(0);
        for (int j = 1; j < D.length(); j++) {
            s += acc.lane(j);
        }
        for (; i < n; i++) {
            double y = tmp[i] * inv;
            tmp[i] = y;
            s += dy[dyo + i] * y;
        }
        return s;
    }

    /**
     * Softmax cross-entropy's gradient for every j ≠ t, LossMath.ceGradient's p_j − ε/C with
     * p_j = e^(z_j − m)·k, times scale, rounded once; e from tmp. The caller overwrites the target's.
     */
    private static int crossEntropyGradLoop(double[] e, double k, double u, double scale, float[] dz, int dzo,
                                            int n) {
        DoubleVector kv = DoubleVector.broadcast(D, k);
        DoubleVector uv = DoubleVector.broadcast(D, u);
        DoubleVector sv = DoubleVector.broadcast(D, scale);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = DoubleVector.fromArray(D, e, i).mul(kv).sub(uv).mul(sv);
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dz, dzo + i);
        }
        return i;
    }

    /**
     * Cross-entropy's block pass over d = z − m ≤ 0, n a multiple of the lane count: in place,
     * LossMath.ceExpTerm's e^d where d &lt; 0 and 0 at the max (d = 0), and at {@code co + i}
     * LossMath.ceIsMax's 1 or 0, so that the rows' sums need no branch.
     */
    private static void ceExpPass(double[] d, int co, int n) {
        DoubleVector zero = DoubleVector.zero(D);
        for (int i = 0; i < n; i += D.length()) {
            DoubleVector dv = DoubleVector.fromArray(D, d, i);
            DoubleVector e = exp(dv);
            VectorMask<Double> atMax = dv.compare(EQ, 0.0);
            e.blend(0.0, atMax).intoArray(d, i);
            zero.blend(1.0, atMax).intoArray(d, co + i);
        }
    }

    /** softmax: y = e·inv, rounded once. */
    private static int scaleLoop(double[] e, double inv, float[] y, int yo, int n) {
        DoubleVector iv = DoubleVector.broadcast(D, inv);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = DoubleVector.fromArray(D, e, i).mul(iv);
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(y, yo + i);
        }
        return i;
    }

    /** log_softmax: y = (x − m) − log1p(r), Rows' expression. Reads x[i] before writing y[i]: in place is fine. */
    private static int logSoftmaxLoop(float[] x, int xo, double m, double l, float[] y, int yo, int n) {
        DoubleVector mv = DoubleVector.broadcast(D, m);
        DoubleVector lv = DoubleVector.broadcast(D, l);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = loadD(x, xo + i).sub(mv).sub(lv);
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(y, yo + i);
        }
        return i;
    }

    /** softmax backward: dx = y ⊙ (dy − Σ dy ⊙ y), y in double (tmp). */
    private static int softmaxGradLoop(double[] y, double dot, float[] dy, int dyo, float[] dx, int dxo, int n) {
        DoubleVector dv = DoubleVector.broadcast(D, dot);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = DoubleVector.fromArray(D, y, i).mul(loadD(dy, dyo + i).sub(dv));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    /** log_softmax backward: dx = dy − e^y·Σdy, e^y = e·inv from tmp. */
    private static int logSoftmaxGradLoop(double[] e, double inv, double s, float[] dy, int dyo, float[] dx, int dxo,
                                          int n) {
        DoubleVector iv = DoubleVector.broadcast(D, inv);
        DoubleVector sv = DoubleVector.broadcast(D, s);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = loadD(dy, dyo + i).sub(DoubleVector.fromArray(D, e, i).mul(iv).mul(sv));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    /** softmax backward from a float y: dx = y·(dy − dot), Rows.backwardFromOutput's expression. */
    private static int softmaxGradFromOutputLoop(float[] y, int yo, double dot, float[] dy, int dyo, float[] dx,
                                                 int dxo, int n) {
        DoubleVector dv = DoubleVector.broadcast(D, dot);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = loadD(y, yo + i).mul(loadD(dy, dyo + i).sub(dv));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    /**
     * log_softmax backward from a float y: dx = dy − e^y·s. y is clamped to {@link #EXP_HI}
     * (exp's domain; e^746 is ∞ as Math.exp's is); NaN passes min and exp.
     */
    private static int logSoftmaxGradFromOutputLoop(float[] y, int yo, double s, float[] dy, int dyo, float[] dx,
                                                    int dxo, int n) {
        DoubleVector sv = DoubleVector.broadcast(D, s);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector g = loadD(dy, dyo + i);   // before exp: after it, loadD was not inlined (rule 1)
            DoubleVector e = exp(loadD(y, yo + i).min(EXP_HI));
            DoubleVector v = g.sub(e.mul(sv));
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dx, dxo + i);
        }
        return i;
    }

    // ================================================================== elementwise losses: loops

    /*
     * LossMath.term and LossMath.gradient lane by lane, for mse, bce and bce_with_logits. The sums
     * run over n, a multiple of the lane count (the dispatch finishes the tail), and fold their
     * lanes lane 0 first, written out in each loop (see the rows' comment). Loads come before the
     * building block (exp or log) in each loop, as in logSoftmaxGradFromOutputLoop (rule 1).
     */

    private static final double BCE_LOG_MIN = LossMath.BCE_LOG_MIN;
    private static final double BCE_GRAD_EPS = LossMath.BCE_GRAD_EPS;

    /**
     * LossMath.term MSE: Σ (z − t)², the difference exact in double. A multiply and an add, not
     * {@code d.lanewise(FMA, d, acc)}: with that fma, when this loop was the first to run in the
     * JVM, C2 later compiled gelu's forward and mish's backward loops with their vectors boxed
     * (rule 5).
     */
    private static double mseSum(float[] z, int zo, float[] t, int to, int n) {
        DoubleVector acc = DoubleVector.zero(D);
        for (int i = 0; i < n; i += FD.length()) {
            DoubleVector d = loadD(z, zo + i).sub(loadD(t, to + i));
            acc = acc.add(d.mul(d));
        }
        double s = acc.lane(0);
        for (int j = 1; j < D.length(); j++) {
            s += acc.lane(j);
        }
        return s;
    }

    /** LossMath.term BCE, first pass: lp = max(log p, −100) into tmp. */
    private static void bceLogPass(float[] z, int zo, double[] lp, int n) {
        for (int i = 0; i < n; i += FD.length()) {
            log(loadD(z, zo + i)).max(BCE_LOG_MIN).intoArray(lp, i);
        }
    }

    /**
     * LossMath.term BCE, second pass: Σ −(t·lp + (1 − t)·max(log(1 − p), −100)). A p outside [0, 1]
     * makes one of the logs NaN (MAX keeps NaN), so the term is NaN, as LossMath's. log(1 − p) is
     * LossMath.log1mp: log q plus q's rounding error over q.
     */
    private static double bceSum(double[] lp, float[] z, int zo, float[] t, int to, int n) {
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        DoubleVector acc = DoubleVector.zero(D);
        for (int i = 0; i < n; i += FD.length()) {
            DoubleVector tv = loadD(t, to + i);
            DoubleVector p = loadD(z, zo + i);
            DoubleVector q = one.sub(p);
            DoubleVector e = one.sub(q).sub(p);
            DoubleVector lq = log(q).add(e.div(q.max(Double.MIN_NORMAL))).max(BCE_LOG_MIN);
            acc = acc.add(tv.mul(DoubleVector.fromArray(D, lp, i)).add(one.sub(tv).mul(lq)).neg());
        }
        double s = acc.lane(0);
        for (int j = 1; j < D.length(); j++) {
            s += acc.lane(j);
        }
        return s;
    }

    /** LossMath.term BCE_WITH_LOGITS, first pass: u = e^−|z| into tmp (0 at z = ±∞, NaN for NaN). */
    private static void expNegAbsPass(float[] z, int zo, double[] u, int n) {
        for (int i = 0; i < n; i += FD.length()) {
            exp(loadD(z, zo + i).abs().neg()).intoArray(u, i);
        }
    }

    /**
     * LossMath.term BCE_WITH_LOGITS, second pass (and cross-entropy's log1p(r) of a block of rows):
     * {@code u[0..n)} = log1p(u) in place, for u ≥ 0 below 2^52 (or NaN):
     * ln(1 + u) + (u − ((1 + u) − 1))/(1 + u), the rounding error of 1 + u put back, so a tiny u
     * keeps every digit. (1 + u) − 1 is exact (for u ≥ 1, 1 + u is a multiple of its ULP ≤ 1 and
     * the difference is at least half of it), and so is u − ((1 + u) − 1) (Sterbenz for u ≥ 1,
     * the classic two-sum for u ≤ 1). n is a multiple of the lane count.
     */
    private static void log1pPass(double[] u, int n) {
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        for (int i = 0; i < n; i += FD.length()) {
            DoubleVector uv = DoubleVector.fromArray(D, u, i);
            DoubleVector a = uv.add(one);
            log(a).add(uv.sub(a.sub(one)).div(a)).intoArray(u, i);
        }
    }

    /**
     * LossMath.term BCE_WITH_LOGITS, third pass: Σ weighted(w·t, softplus(−z)) + weighted(1 − t,
     * softplus(z)), softplus(±z) = max(±z, 0) + log1p(e^−|z|) with the log1p from the second
     * pass, and weighted(c, v) = c == 0 ? 0 : c·v.
     */
    private static double bceWithLogitsSum(double[] log1p, float[] w, int wo, float[] z, int zo, float[] t, int to,
                                           int n) {
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        DoubleVector acc = DoubleVector.zero(D);
        for (int i = 0; i < n; i += FD.length()) {
            DoubleVector zv = loadD(z, zo + i);
            DoubleVector tv = loadD(t, to + i);
            DoubleVector wt = loadD(w, wo + i).mul(tv);
            DoubleVector l = DoubleVector.fromArray(D, log1p, i);
            DoubleVector spMinus = zv.neg().max(0.0).add(l);
            DoubleVector spPlus = zv.max(0.0).add(l);
            DoubleVector ct = one.sub(tv);
            acc = acc.add(wt.mul(spMinus).blend(0.0, wt.compare(EQ, 0.0))
                    .add(ct.mul(spPlus).blend(0.0, ct.compare(EQ, 0.0))));
        }
        double s = acc.lane(0);
        for (int j = 1; j < D.length(); j++) {
            s += acc.lane(j);
        }
        return s;
    }

    /** LossMath.gradient MSE: scale·2(z − t), rounded once. */
    private static int mseGradLoop(float[] z, int zo, float[] t, int to, double scale, float[] dz, int dzo, int n) {
        DoubleVector sv = DoubleVector.broadcast(D, scale);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector v = loadD(z, zo + i).sub(loadD(t, to + i)).mul(2.0).mul(sv);
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dz, dzo + i);
        }
        return i;
    }

    /** LossMath.gradient BCE: scale·(p − t)/max(p(1 − p), 1e-12), NaN for p outside [0, 1] (or NaN). */
    private static int bceGradLoop(float[] z, int zo, float[] t, int to, double scale, float[] dz, int dzo, int n) {
        DoubleVector sv = DoubleVector.broadcast(D, scale);
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector p = loadD(z, zo + i);
            DoubleVector g = p.sub(loadD(t, to + i)).div(p.mul(one.sub(p)).max(BCE_GRAD_EPS));
            VectorMask<Double> inside = p.compare(GE, 0.0).and(p.compare(LE, 1.0));
            DoubleVector v = g.blend(Double.NaN, inside.not()).mul(sv);
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dz, dzo + i);
        }
        return i;
    }

    /**
     * LossMath.gradient BCE_WITH_LOGITS: scale·((1 − t)·σ(z) − w·t·σ(−z)), σ(±z) as Scalar.sigmoid
     * from one e = e^−|z|: σ(z) = (z ≥ 0 ? 1 : e)/(1 + e), σ(−z) = (z ≤ 0 ? 1 : e)/(1 + e).
     */
    private static int bceWithLogitsGradLoop(float[] w, int wo, float[] z, int zo, float[] t, int to, double scale,
                                             float[] dz, int dzo, int n) {
        DoubleVector sv = DoubleVector.broadcast(D, scale);
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        int i = 0;
        for (int end = FD.loopBound(n); i < end; i += FD.length()) {
            DoubleVector zv = loadD(z, zo + i);
            DoubleVector tv = loadD(t, to + i);
            DoubleVector wt = loadD(w, wo + i).mul(tv);
            DoubleVector e = exp(zv.abs().neg());
            DoubleVector d = e.add(one);
            DoubleVector sPlus = e.blend(one, zv.compare(GE, 0.0)).div(d);
            DoubleVector sMinus = e.blend(one, zv.compare(LE, 0.0)).div(d);
            DoubleVector v = one.sub(tv).mul(sPlus).sub(wt.mul(sMinus)).mul(sv);
            ((FloatVector) v.convertShape(D2F, FD, 0)).intoArray(dz, dzo + i);
        }
        return i;
    }

    // ================================================================== piecewise linear, float lanes

    /** {@code a} where x is a number, x (NaN) where it is NaN: Scalar.keepNaN. */
    private static FloatVector keepNaN(FloatVector x, FloatVector a) {
        return a.blend(x, x.compare(NE, x));
    }

    /** Scalar.forward RELU: max(x, 0), NaN-propagating like Math.max. */
    private static int reluForward(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            loadF(x, xo + i).max(0f).intoArray(y, yo + i);
        }
        return i;
    }

    /** Scalar.derivative RELU: dy·step(x), step = 1 for x &gt; 0, 0 for x ≤ 0, NaN for NaN. */
    private static int reluBackward(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        FloatVector zero = FloatVector.zero(F);
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector v = loadF(x, xo + i);
            FloatVector step = keepNaN(v, zero.blend(1f, v.compare(GT, 0f)));
            loadF(dy, dyo + i).mul(step).intoArray(dx, dxo + i);
        }
        return i;
    }

    /**
     * Scalar.forward LEAKY_RELU/PRELU: x &gt; 0 ? x : a·x. The float product a·x is the correctly
     * rounded exact product, as is Scalar's double product rounded to float: bit-identical.
     */
    private static FloatVector leaky(FloatVector x, FloatVector a) {
        return x.mul(a).blend(x, x.compare(GT, 0f));
    }

    /** Scalar.derivative LEAKY_RELU/PRELU: x &gt; 0 ? 1 : keepNaN(x, a). */
    private static FloatVector leakyPrime(FloatVector x, FloatVector a) {
        return keepNaN(x, a.blend(1f, x.compare(GT, 0f)));
    }

    private static int leakyForward(float slope, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector a = FloatVector.broadcast(F, slope);
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            leaky(loadF(x, xo + i), a).intoArray(y, yo + i);
        }
        return i;
    }

    // The per-channel PReLU loops live in methods of their own, as every other loop here does: with
    // the scalar tail (Scalar.derivative's big switch) in the same method, C2 on JDK 25 (and JDK 17
    // under load) stopped inlining leakyPrime and boxed a vector per iteration.
    private static int preluForwardLoop(float[] x, int xo, float[] alpha, float[] y, int yo, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            leaky(loadF(x, xo + i), loadF(alpha, i)).intoArray(y, yo + i);
        }
        return i;
    }

    private static int preluBackwardLoop(float[] x, int xo, float[] alpha, float[] dy, int dyo, float[] dx, int dxo,
                                         int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            loadF(dy, dyo + i).mul(leakyPrime(loadF(x, xo + i), loadF(alpha, i))).intoArray(dx, dxo + i);
        }
        return i;
    }

    private static int leakyBackward(float slope, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo,
                                     int n) {
        int i = 0;
        FloatVector a = FloatVector.broadcast(F, slope);
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            loadF(dy, dyo + i).mul(leakyPrime(loadF(x, xo + i), a)).intoArray(dx, dxo + i);
        }
        return i;
    }

    /** Scalar.clamp: x &lt; lo ? lo : (x &gt; hi ? hi : x); NaN fails both tests and passes through. */
    private static int clampForward(float lo, float hi, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector lov = FloatVector.broadcast(F, lo);
        FloatVector hiv = FloatVector.broadcast(F, hi);
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector v = loadF(x, xo + i);
            v.blend(hiv, v.compare(GT, hiv)).blend(lov, v.compare(LT, lov)).intoArray(y, yo + i);
        }
        return i;
    }

    /** Scalar.insideOpen: dy·v on (lo, hi), dy·0 at and beyond the bounds, NaN for NaN. */
    private static int insideBackward(float lo, float hi, float v, float[] x, int xo, float[] dy, int dyo,
                                      float[] dx, int dxo, int n) {
        FloatVector lov = FloatVector.broadcast(F, lo);
        FloatVector hiv = FloatVector.broadcast(F, hi);
        FloatVector vv = FloatVector.broadcast(F, v);
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector u = loadF(x, xo + i);
            VectorMask<Float> inside = u.compare(GT, lov).and(u.compare(LT, hiv));
            FloatVector d = keepNaN(u, zero.blend(vv, inside));
            loadF(dy, dyo + i).mul(d).intoArray(dx, dxo + i);
        }
        return i;
    }

    private static final float SIXTH = 1f / 6f;

    /*
     * hardsigmoid and hardswish, correctly rounded in float lanes: x + 3 is carried exactly as
     * s + e (Fast2Sum; |3| ≥ |x| wherever the middle branch is used), and the division by 6 is
     * q = a·(1/6) followed by one correction, q + (a − 6q + tail)·(1/6), where a − 6q is exact in
     * one fma and the tail holds what a lost. The correction is about an ULP, so its own
     * rounding (and 1/6's) moves the result by ~2⁻²⁴ ULP. In plain float the two or three
     * roundings were up to 1.0 and 1.9 ULP.
     */

    /** (a + tail)/6 for a tail below a's ULP: q = a·(1/6), then q + (a − 6q + tail)·(1/6). */
    private static FloatVector sixth(FloatVector a, FloatVector tail) {
        FloatVector q = a.mul(SIXTH);
        return q.lanewise(FMA, -6f, a).add(tail).lanewise(FMA, SIXTH, q);
    }

    /** Scalar.forward HARDSIGMOID: x ≤ −3 ? 0 : (x ≥ 3 ? 1 : (x + 3)/6). */
    private static int hardsigmoidForward(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector v = loadF(x, xo + i);
            FloatVector s = v.add(3f);
            FloatVector e = v.sub(s.sub(3f));
            sixth(s, e).blend(1f, v.compare(GE, 3f)).blend(0f, v.compare(LE, -3f)).intoArray(y, yo + i);
        }
        return i;
    }

    /** Scalar.forward HARDSWISH: x ≤ −3 ? 0 : (x ≥ 3 ? x : x(x + 3)/6); x(s + e) = p + t, t from two fmas. */
    private static int hardswishForward(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector v = loadF(x, xo + i);
            FloatVector s = v.add(3f);
            FloatVector e = v.sub(s.sub(3f));
            FloatVector p = v.mul(s);
            FloatVector t = v.lanewise(FMA, e, v.lanewise(FMA, s, p.neg()));
            sixth(p, t).blend(v, v.compare(GE, 3f)).blend(0f, v.compare(LE, -3f)).intoArray(y, yo + i);
        }
        return i;
    }

    /**
     * Scalar.derivative HARDSWISH: x &lt; −3 ? 0 : (x ≤ 3 ? x/3 + ½ : keepNaN(x, 1)), the middle as
     * (x + 1.5)/3 so that the root at −1.5 is exact.
     */
    private static int hardswishBackward(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector v = loadF(x, xo + i);
            FloatVector d = v.add(1.5f).div(3f).blend(1f, v.compare(GT, 3f)).blend(0f, v.compare(LT, -3f));
            // NaN fails every comparison, so d is already (NaN + 1.5)/3 = NaN.
            loadF(dy, dyo + i).mul(d).intoArray(dx, dxo + i);
        }
        return i;
    }

    /** Scalar.derivative IDENTITY: dy·keepNaN(x, 1). */
    private static int identityBackward(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            loadF(dy, dyo + i).mul(keepNaN(loadF(x, xo + i), one)).intoArray(dx, dxo + i);
        }
        return i;
    }
}
