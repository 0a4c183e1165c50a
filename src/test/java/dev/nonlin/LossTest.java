package dev.nonlin;

import dev.nonlin.cpu.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The losses on the CPU, catalogue-driven ({@link Losses#all()}, so a new loss is tested by being
 * listed): against an independent naive float64 reference (and PyTorch's own formula for label
 * smoothing), gradients against central finite differences of that reference in double,
 * reductions, special values, golden values (mpmath, 40 digits), determinism across thread
 * counts, and the tensor path.
 */
class LossTest {

    static List<Backend> backends() {
        return List.of(CpuBackend.scalar(), CpuBackend.get());
    }

    static Stream<Loss> catalogue() {
        return Losses.all().stream();
    }

    static Stream<Arguments> catalogueAndShapes() {
        return Losses.all().stream().flatMap(l -> Stream.of(new int[] {1, 1}, new int[] {3, 5}, new int[] {17, 33},
                new int[] {40, 1000}).map(s -> Arguments.of(Losses.atWidth(l, s[1]), s[0], s[1])));
    }

    // ------------------------------------------------------------------ inputs in each loss's domain

    /** z in the loss's domain: probabilities for bce, moderate logits/predictions for the rest. */
    static float[] inputs(Loss l, Random r, int n) {
        float[] z = new float[n];
        for (int i = 0; i < n; i++) {
            z[i] = l.kind() == Loss.Kind.BCE ? 0.02f + 0.96f * r.nextFloat() : (float) (r.nextGaussian() * 3);
        }
        return z;
    }

    /** Float targets in [0, 1] (hard and soft), or class indices with a few ignored rows. */
    static float[] floatTargets(Random r, int n) {
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = switch (i % 3) {
                case 0 -> 0f;
                case 1 -> 1f;
                default -> r.nextFloat();
            };
        }
        return t;
    }

    static int[] classTargets(Loss l, Random r, int rows, int cols) {
        int ignore = ((Loss.SoftmaxCrossEntropy) l).ignoreIndex();
        int[] t = new int[rows];
        for (int i = 0; i < rows; i++) {
            t[i] = i % 4 == 3 ? ignore : r.nextInt(cols);
            if (t[i] == ignore && rows == 1) {
                t[i] = cols - 1 == ignore ? 0 : cols - 1;   // keep one counted row
            }
        }
        return t;
    }

    // ------------------------------------------------------------------ the naive reference, in double

    /** L by the textbook formulas in double (not the stable forms), for inputs in the domain. */
    static double naive(Loss l, double[] z, float[] t, int[] target, int rows, int cols) {
        double sum = 0;
        double count = 0;
        switch (l.kind()) {
            case MSE -> {
                for (int i = 0; i < z.length; i++) {
                    sum += (z[i] - t[i]) * (z[i] - t[i]);
                }
                count = z.length;
            }
            case BCE -> {
                for (int i = 0; i < z.length; i++) {
                    sum += -(t[i] * Math.log(z[i]) + (1 - t[i]) * Math.log(1 - z[i]));
                }
                count = z.length;
            }
            case BCE_WITH_LOGITS -> {
                float[] pw = ((Loss.BceWithLogits) l).posWeight();   // one weight, or one per column
                for (int i = 0; i < z.length; i++) {
                    double w = pw[pw.length == 1 ? 0 : i % cols];
                    // 1 − σ(z) as σ(−z): 1 − s cancels for z ≫ 0 (at z ≈ 13.6 a finite-difference
                    // step of this reference lost 5 digits and failed the gradient test)
                    double s = 1 / (1 + Math.exp(-z[i]));
                    double q = 1 / (1 + Math.exp(z[i]));
                    sum += -(w * t[i] * Math.log(s) + (1 - t[i]) * Math.log(q));
                }
                count = z.length;
            }
            case SOFTMAX_CROSS_ENTROPY -> {
                // PyTorch's cross_entropy_loss_label_smoothing (LossNLL.cpp), literally:
                //   (1 − ε)·nll_loss(mean) + (ε/C)·Σ_rows(−Σ_c log p)/count
                Loss.SoftmaxCrossEntropy ce = (Loss.SoftmaxCrossEntropy) l;
                double eps = ce.labelSmoothing();
                double nll = 0;
                double smooth = 0;
                for (int r = 0; r < rows; r++) {
                    if (target[r] == ce.ignoreIndex()) {
                        continue;
                    }
                    double se = 0;
                    for (int c = 0; c < cols; c++) {
                        se += Math.exp(z[r * cols + c]);
                    }
                    double lse = Math.log(se);
                    nll += lse - z[r * cols + target[r]];
                    for (int c = 0; c < cols; c++) {
                        smooth += lse - z[r * cols + c];
                    }
                    count++;
                }
                sum = (1 - eps) * nll + eps / cols * smooth;
            }
        }
        return l.reduction() == Loss.Reduction.MEAN ? sum / count : sum;
    }

    static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    static double forward(Backend b, Loss l, float[] z, float[] t, int[] target, int rows, int cols) {
        return l.classTargets() ? b.lossForward(l, z, 0, target, 0, rows, cols) : b.lossForward(l, z, 0, t, 0, rows, cols);
    }

    static void backward(Backend b, Loss l, float[] z, float[] t, int[] target, double dLoss, float[] dz, int rows,
                         int cols) {
        if (l.classTargets()) {
            b.lossBackward(l, z, 0, target, 0, dLoss, dz, 0, rows, cols);
        } else {
            b.lossBackward(l, z, 0, t, 0, dLoss, dz, 0, rows, cols);
        }
    }

    // ------------------------------------------------------------------ spec

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void specRoundTrips(Loss l) {
        assertEquals(l, Loss.parse(l.toString()));
        assertEquals(l.toString(), Loss.parse(l.toString()).toString());
        Loss other = l.withReduction(l.reduction() == Loss.Reduction.MEAN ? Loss.Reduction.SUM : Loss.Reduction.MEAN);
        assertTrue(!other.equals(l), "the reduction is part of the loss's identity");
    }

    @Test
    void specsFromTheIssueAndPyTorchAliases() {
        assertEquals(new Loss.BceWithLogits(2f, Loss.Reduction.SUM), Loss.parse("bce_with_logits(pos_weight=2,reduction=sum)"));
        assertEquals(new Loss.SoftmaxCrossEntropy(-100, 0.1f, Loss.Reduction.MEAN),
                Loss.parse("softmax_cross_entropy(ignore_index=-100,label_smoothing=0.1)"));
        assertEquals(Loss.softmaxCrossEntropy(), Loss.parse(" cross_entropy "));
        assertEquals(Loss.mse(), Loss.parse("mse_loss"));
        assertEquals(Loss.bce(), Loss.parse("binary_cross_entropy(reduction=MEAN)"));
        assertEquals(Loss.bceWithLogits(), Loss.parse("binary_cross_entropy_with_logits()"));
        Loss perClass = Loss.parse("bce_with_logits(pos_weight=[1, 2.5 ,0],reduction=sum)");
        assertEquals(new Loss.BceWithLogits(new float[] {1f, 2.5f, 0f}, Loss.Reduction.SUM), perClass);
        assertEquals("bce_with_logits(pos_weight=[1.0,2.5,0.0],reduction=sum)", perClass.toString());
        assertArrayEquals(new float[] {1f, 2.5f, 0f}, perClass.columnWeights());
        assertTrue(Float.isNaN(perClass.p0()), "no single weight");
        assertEquals(Loss.bceWithLogits(2f), Loss.parse("bce_with_logits(pos_weight=[2])"), "one weight in a list is the scalar form");
        float[] mine = {1f, 2f};
        Loss copied = Loss.bceWithLogits(mine);
        mine[0] = 9f;
        ((Loss.BceWithLogits) copied).posWeight()[1] = 9f;
        assertEquals("bce_with_logits(pos_weight=[1.0,2.0],reduction=mean)", copied.toString(), "weights are copied in and out");
        assertEquals("mse(reduction=mean)", Loss.mse().toString());
        assertEquals("softmax_cross_entropy(ignore_index=-100,label_smoothing=0.0,reduction=mean)",
                Loss.softmaxCrossEntropy().toString());
    }

    @Test
    void badSpecsSayWhy() {
        assertMessage("reduction must be mean or sum, got 'none'", () -> Loss.parse("mse(reduction=none)"));
        assertMessage("label_smoothing must be in [0, 1], got 1.5", () -> Loss.parse("cross_entropy(label_smoothing=1.5)"));
        assertMessage("label_smoothing must be in [0, 1], got NaN", () -> Loss.parse("cross_entropy(label_smoothing=NaN)"));
        assertMessage("pos_weight must be finite and >= 0, got -1.0", () -> Loss.parse("bce_with_logits(pos_weight=-1)"));
        assertMessage("unknown key(s) [pos_weight] for bce", () -> Loss.parse("bce(pos_weight=2)"));
        assertMessage("pos_weight[1] must be finite and >= 0, got -2.0", () -> Loss.parse("bce_with_logits(pos_weight=[1,-2])"));
        assertMessage("pos_weight[2] must be a number, got 'x'", () -> Loss.parse("bce_with_logits(pos_weight=[1,2,x])"));
        assertMessage("pos_weight is an empty list", () -> Loss.parse("bce_with_logits(pos_weight=[])"));
        assertMessage("missing ']'", () -> Loss.parse("bce_with_logits(pos_weight=[1,2)"));
        assertMessage("']' without '['", () -> Loss.parse("bce_with_logits(pos_weight=1])"));
        assertMessage("must be a number or a list [a,b,...] of numbers, got '[1,[2]]'",
                () -> Loss.parse("bce_with_logits(pos_weight=[1,[2]])"));
        assertMessage("pos_weight must hold one weight or one per class, got none",
                () -> Loss.bceWithLogits(new float[0]));
        assertMessage("unknown loss 'huber'", () -> Loss.parse("huber"));
        assertMessage("ignore_index must be an integer, got '1.5'", () -> Loss.parse("cross_entropy(ignore_index=1.5)"));
        assertMessage("reduction must be mean or sum, got null", () -> new Loss.Mse(null));
    }

    static void assertMessage(String part, Runnable r) {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains(part), () -> "message '" + e.getMessage() + "' lacks '" + part + "'");
            return;
        }
        throw new AssertionError("no IllegalArgumentException; expected one saying '" + part + "'");
    }

    // ------------------------------------------------------------------ against the reference

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("catalogueAndShapes")
    void forwardMatchesTheNaiveReference(Loss l, int rows, int cols) {
        Random r = new Random(Contract.SEED ^ l.hashCode() ^ rows);
        int n = rows * cols;
        float[] z = inputs(l, r, n);
        float[] t = floatTargets(r, n);
        int[] target = l.classTargets() ? classTargets(l, r, rows, cols) : null;
        double want = naive(l, widen(z), t, target, rows, cols);
        for (Backend b : backends()) {
            double got = forward(b, l, z, t, target, rows, cols);
            assertEquals(want, got, 1e-12 * Math.max(1, Math.abs(want)), () -> b + " " + l + " seed " + Contract.SEED);
        }
    }

    /**
     * dz against central finite differences of the naive reference in double (h = 1e-6·max(1, |z|)
     * for an element, 3e-5 for a row), with an upstream gradient that is not 1, away
     * from the clamps; the tolerance adds the quotient's rounding error to 1e-6 relative.
     */
    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("catalogueAndShapes")
    void gradientMatchesFiniteDifferences(Loss l, int rows, int cols) {
        if ((long) rows * cols > 2000) {
            return;   // the finite differences cost n reference evaluations each
        }
        Random r = new Random(Contract.SEED ^ l.hashCode() ^ (31L * rows));
        int n = rows * cols;
        float[] z = inputs(l, r, n);
        float[] t = floatTargets(r, n);
        int[] target = l.classTargets() ? classTargets(l, r, rows, cols) : null;
        double dLoss = -1.75;
        // ∂L/∂z_i touches only z_i's element (or its row): differentiate that piece alone, so the
        // rounding of a large total does not swamp a small derivative; then apply the reduction.
        double divisor = l.reduction() == Loss.Reduction.SUM ? 1
                : l.classTargets() ? Arrays.stream(target).filter(v -> v != ((Loss.SoftmaxCrossEntropy) l).ignoreIndex()).count()
                : n;
        double[] fd = new double[n];
        double[] fdError = new double[n];
        double scale = 0;
        for (int i = 0; i < n; i++) {
            Loss piece = elementLoss(l, i % cols);
            int row = i / cols;
            int from = l.classTargets() ? row * cols : i;
            int len = l.classTargets() ? cols : 1;
            double[] zd = widen(Arrays.copyOfRange(z, from, from + len));
            float[] td = Arrays.copyOfRange(t, from, from + len);
            int[] tg = l.classTargets() ? new int[] {target[row]} : null;
            int j = i - from;
            // a row's loss (softmax cross-entropy) sums ~len terms, so its rounding is ~len times an
            // element's: a larger step there keeps the quotient's rounding error below the
            // tolerance, and its truncation error (h²/6·|ℓ‴|, |ℓ‴| ≤ 0.1 for a row) too
            double h = len == 1 ? 1e-6 * Math.max(1, Math.abs(zd[j])) : 3e-5;   // a row's ℓ is shift-invariant
            double keep = zd[j];
            zd[j] = keep + h;
            double up = naive(piece, zd, td, tg, 1, len);
            zd[j] = keep - h;
            double down = naive(piece, zd, td, tg, 1, len);
            fd[i] = dLoss * (up - down) / (2 * h) / divisor;
            // the reference's own rounding (about len double roundings of its size per evaluation),
            // magnified by the difference quotient
            fdError[i] = Math.abs(dLoss / divisor) * 0x1p-52 * len * (Math.abs(up) + Math.abs(down)) / (2 * h);
            scale = Math.max(scale, Math.abs(fd[i]));
        }
        for (Backend b : backends()) {
            float[] dz = new float[n];
            Arrays.fill(dz, Float.NaN);
            backward(b, l, z, t, target, dLoss, dz, rows, cols);
            for (int i = 0; i < n; i++) {
                double tol = 1e-6 * Math.max(Math.abs(fd[i]), 1e-3 * scale) + fdError[i] + 1e-9;
                assertEquals(fd[i], dz[i], tol, b + " " + l + " dz[" + i + "] at z = " + z[i] + ", seed " + Contract.SEED);
            }
        }
    }

    /**
     * The loss of one element (or, for class targets, one row) of column {@code c}, summed: a
     * per-column weight becomes that column's single weight.
     */
    static Loss elementLoss(Loss l, int c) {
        float[] w = l.columnWeights();
        return w == null || l.classTargets() ? l.withReduction(Loss.Reduction.SUM)
                : new Loss.BceWithLogits(w[c], Loss.Reduction.SUM);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void sumIsTheMeanTimesItsDivisor(Loss catalogued) {
        int rows = 13;
        int cols = 7;
        Loss l = Losses.atWidth(catalogued, cols);
        Random r = new Random(Contract.SEED ^ l.hashCode());
        float[] z = inputs(l, r, rows * cols);
        float[] t = floatTargets(r, rows * cols);
        int[] target = l.classTargets() ? classTargets(l, r, rows, cols) : null;
        Backend b = Backends.cpu();
        double mean = forward(b, l.withReduction(Loss.Reduction.MEAN), z, t, target, rows, cols);
        double sum = forward(b, l.withReduction(Loss.Reduction.SUM), z, t, target, rows, cols);
        double divisor = l.classTargets() ? Arrays.stream(target).filter(v -> v != ((Loss.SoftmaxCrossEntropy) l).ignoreIndex()).count()
                : rows * cols;
        assertEquals(sum, mean * divisor, 1e-12 * Math.abs(sum));
        float[] dMean = new float[rows * cols];
        float[] dSum = new float[rows * cols];
        backward(b, l.withReduction(Loss.Reduction.MEAN), z, t, target, divisor, dMean, rows, cols);
        backward(b, l.withReduction(Loss.Reduction.SUM), z, t, target, 1.0, dSum, rows, cols);
        for (int i = 0; i < dSum.length; i++) {
            assertEquals(dSum[i], dMean[i], 2 * Math.ulp(dSum[i]), l + " dz[" + i + "]: mean with dLoss = divisor is sum");
        }
    }

    /**
     * The default CPU path (SIMD where the JVM has it) on the calling thread only: the scalar
     * reference and the SIMD path compute exp and sum rows differently, so each is compared with
     * itself across thread counts, not with the other bit for bit.
     */
    static Backend oneThread() {
        return CpuBackend.simdAvailable() ? CpuBackend.simd(false) : CpuBackend.scalar();
    }

    /** Fixed blocks summed in a fixed order: bitwise the same loss on one thread and on all of them. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void deterministicAcrossThreadCounts(Loss catalogued) {
        // rows of 5 for the elementwise losses: the blocks and the thread split cut rows, so a
        // per-column weight must follow the column across block boundaries
        int cols = catalogued.classTargets() ? 1000 : 5;
        int rows = catalogued.classTargets() ? 3000 : 600_000;
        Loss l = Losses.atWidth(catalogued, cols);
        Random r = new Random(Contract.SEED ^ 7 ^ l.hashCode());
        int n = rows * cols;
        float[] z = inputs(l, r, n);
        float[] t = l.classTargets() ? null : floatTargets(r, n);
        int[] target = l.classTargets() ? classTargets(l, r, rows, cols) : null;
        double one = forward(oneThread(), l, z, t, target, rows, cols);
        double all = forward(CpuBackend.get(), l, z, t, target, rows, cols);
        double again = forward(CpuBackend.get(), l, z, t, target, rows, cols);
        assertEquals(Double.doubleToRawLongBits(one), Double.doubleToRawLongBits(all), l + ": 1 thread vs " + CpuBackend.get().threads());
        assertEquals(Double.doubleToRawLongBits(all), Double.doubleToRawLongBits(again), l + ": run to run");
        float[] dz1 = new float[n];
        float[] dzN = new float[n];
        backward(oneThread(), l, z, t, target, 1.0, dz1, rows, cols);
        backward(CpuBackend.get(), l, z, t, target, 1.0, dzN, rows, cols);
        assertArrayEquals(dz1, dzN, l + " dz");
    }

    // ------------------------------------------------------------------ golden values (mpmath, 40 digits)

    @Test
    void goldenValues() {
        Backend b = Backends.cpu();
        // bce_with_logits(pos_weight=2.5): z = [−3, 0.5, 12], t = [0, 1, 0.25]
        float[] z = {-3f, 0.5f, 12f};
        float[] t = {0f, 1f, 0.25f};
        Loss bwl = Loss.bceWithLogits(2.5f);
        assertEquals(3.4112627534300135478, b.lossForward(bwl, z, t), 1e-15);
        float[] dz = new float[3];
        b.lossBackward(bwl, z, t, dz);
        assertArrayEquals(new float[] {(float) 0.015808624392522260293, (float) -0.31461722399845452947,
                (float) 0.24999718391997398492}, dz);
        // bce_with_logits(pos_weight=[2.5, 1, 0.5]) per column over 2 rows of 3, mean over 6
        Loss perClass = Loss.bceWithLogits(new float[] {2.5f, 1f, 0.5f});
        float[] z2 = {-3f, 0.5f, 12f, -1f, 2f, 0f};
        float[] t2 = {0f, 1f, 0.25f, 1f, 0.5f, 1f};
        assertEquals(2.379887588673607332018585022687637455221, b.lossForward(perClass, z2, 0, t2, 0, 2, 3), 1e-15);
        float[] dz2 = new float[6];
        b.lossBackward(perClass, z2, 0, t2, 0, 1.0, dz2, 0, 2, 3);
        assertArrayEquals(new float[] {(float) 0.00790431219626113014647469196195870023103,
                (float) -0.06292344479969090589351657237574858687445, (float) 0.1249991039745371770203171038175690047625,
                (float) -0.3046077410958353663546496840924317809855, (float) 0.0634661796629804073432881902170661325344,
                (float) -0.04166666666666666666666666666666666666667}, dz2);
        // bce: p = [0.1, 0.7, 0.999], t = [0, 1, 0.3]
        assertEquals(1.7659244165828946585, b.lossForward(Loss.bce(), new float[] {0.1f, 0.7f, 0.999f},
                new float[] {0f, 1f, 0.3f}), 1e-15);
        // cross-entropy, rows [1, 2, 3] → 0, [0.5, −1, 4] → 2, [9, 9, 9] ignored
        float[] logits = {1, 2, 3, 0.5f, -1, 4, 9, 9, 9};
        int[] target = {0, 2, -100};
        assertEquals(1.2219377647845797187, b.lossForward(Loss.softmaxCrossEntropy(), logits, target), 1e-15);
        assertEquals(1.3136044328171861614, b.lossForward(Loss.softmaxCrossEntropy(-100, 0.1f), logits, target), 1e-15);
        // a dominant class: ℓ = log(1 + e^−50 + e^−100) = 1.9287e-22, kept by log1p (log would give 0)
        float[] dom = {0f, -50f, -100f};
        assertEquals(1.928749847963917782910704e-22, b.lossForward(Loss.softmaxCrossEntropy(), dom, new int[] {0}), 1e-36);
        float[] g = new float[3];
        b.lossBackward(Loss.softmaxCrossEntropy(), dom, new int[] {0}, g);
        assertEquals((float) -1.92874984796391778291089e-22, g[0], "p_t − 1 without cancellation");
    }

    // ------------------------------------------------------------------ special values

    @Test
    void bceClampsLikePyTorch() {
        Backend b = Backends.cpu();
        Loss sum = Loss.parse("bce(reduction=sum)");
        assertEquals(0.0, b.lossForward(sum, new float[] {0f, 1f}, new float[] {0f, 1f}));
        assertEquals(200.0, b.lossForward(sum, new float[] {0f, 1f}, new float[] {1f, 0f}), "log clamped at −100");
        float[] dz = new float[4];
        b.lossBackward(sum, new float[] {0f, 1f, 0f, 1f}, new float[] {1f, 0f, 0f, 1f}, dz);
        assertArrayEquals(new float[] {-1e12f, 1e12f, 0f, 0f}, dz, "(p − t)/max(p(1 − p), 1e-12)");
        // log(1 − p) keeps a p too small for 1 − p in double: ℓ(p, 0) = −log(1 − p) = p + p²/2 + …
        for (Backend be : backends()) {
            for (float p : new float[] {1e-20f, 1.3839828e-17f, 0x1p-40f, 3e-9f}) {
                double want = -Math.log1p(-(double) p);
                float[] many = new float[37];   // SIMD lanes and the scalar tail
                java.util.Arrays.fill(many, p);
                assertEquals(want, be.lossForward(sum, new float[] {p}, new float[] {0f}), 1e-15 * want, be + " p = " + p);
                assertEquals(37 * want, be.lossForward(sum, many, new float[37]), 1e-14 * 37 * want, be + " 37 × p = " + p);
            }
        }
        assertTrue(Double.isNaN(b.lossForward(sum, new float[] {1.5f}, new float[] {0f})), "p > 1 is NaN");
        assertTrue(Double.isNaN(b.lossForward(sum, new float[] {-0.5f}, new float[] {0f})), "p < 0 is NaN");
        b.lossBackward(sum, new float[] {1.5f, Float.NaN}, new float[] {0f, 0f}, dz = new float[2]);
        assertTrue(Float.isNaN(dz[0]) && Float.isNaN(dz[1]));
    }

    @Test
    void bceWithLogitsIsStableAtHugeAndInfiniteLogits() {
        Backend b = Backends.cpu();
        Loss sum = Loss.parse("bce_with_logits(reduction=sum)");
        assertEquals(0.0, b.lossForward(sum, new float[] {1e4f, -1e4f}, new float[] {1f, 0f}));
        assertEquals(2e4, b.lossForward(sum, new float[] {1e4f, -1e4f}, new float[] {0f, 1f}));
        assertEquals(0.0, b.lossForward(sum, new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY},
                new float[] {1f, 0f}), "the limit (PyTorch: NaN)");
        assertEquals(Double.POSITIVE_INFINITY, b.lossForward(sum, new float[] {Float.POSITIVE_INFINITY}, new float[] {0f}));
        assertTrue(Double.isNaN(b.lossForward(sum, new float[] {Float.NaN}, new float[] {0f})));
        assertTrue(Double.isNaN(b.lossForward(sum, new float[] {1f}, new float[] {Float.NaN})));
        // z = 40, t = 1: σ(z) − t would be 0 in double; the exact form keeps −e^−40
        float[] dz = new float[4];
        b.lossBackward(sum, new float[] {40f, -40f, 1e4f, Float.POSITIVE_INFINITY}, new float[] {1f, 0f, 0f, 1f}, dz);
        assertEquals((float) -Math.exp(-40), dz[0]);
        assertEquals((float) Math.exp(-40), dz[1]);
        assertEquals(1f, dz[2]);
        assertEquals(0f, dz[3]);
    }

    @Test
    void crossEntropySpecialRows() {
        Backend b = Backends.cpu();
        Loss sum = Loss.parse("softmax_cross_entropy(reduction=sum)");
        assertEquals(2e4, b.lossForward(sum, new float[] {1e4f, -1e4f, 0f}, new int[] {1}), 1e-9);
        assertEquals(0.0, b.lossForward(sum, new float[] {1e4f, -1e4f, 0f}, new int[] {0}));
        assertEquals(Double.POSITIVE_INFINITY, b.lossForward(sum, new float[] {Float.NEGATIVE_INFINITY, 1f}, new int[] {0}));
        assertTrue(Double.isNaN(b.lossForward(sum, new float[] {Float.NaN, 1f}, new int[] {1})), "NaN in the row");
        assertTrue(Double.isNaN(b.lossForward(sum, new float[] {Float.POSITIVE_INFINITY, 1f}, new int[] {0})), "+∞ max: NaN, as PyTorch");
        // an ignored row is ignored even when it holds NaN
        assertEquals(0.0, b.lossForward(sum, new float[] {Float.NaN, 1f, 0f, 0f}, new int[] {-100, 0}) - Math.log(2), 1e-15);
        float[] dz = new float[4];
        b.lossBackward(sum, new float[] {Float.NaN, 1f, 0f, 0f}, new int[] {-100, 0}, dz);
        assertArrayEquals(new float[] {0f, 0f, -0.5f, 0.5f}, dz);
        // label smoothing: Σ_c dz = 0 for a counted row (p sums to 1, the smoothed one-hot too)
        Loss ls = Loss.parse("softmax_cross_entropy(label_smoothing=0.3,reduction=sum)");
        float[] g = new float[5];
        b.lossBackward(ls, new float[] {1, 2, 3, 4, 5}, new int[] {2}, g);
        double s = 0;
        for (float v : g) {
            s += v;
        }
        assertEquals(0.0, s, 1e-6);
    }

    @Test
    void allIgnoredMeanIsNaNAsPyTorchAndTheGradientIsZero() {
        Backend b = Backends.cpu();
        float[] z = {1, 2, 3, 4};
        int[] target = {-100, -100};
        assertTrue(Double.isNaN(b.lossForward(Loss.softmaxCrossEntropy(), z, target)));
        assertEquals(0.0, b.lossForward(Loss.parse("cross_entropy(reduction=sum)"), z, target));
        float[] dz = {9, 9, 9, 9};
        b.lossBackward(Loss.softmaxCrossEntropy(), z, target, dz);
        assertArrayEquals(new float[4], dz);
        // the mean divides by the counted rows only
        double one = b.lossForward(Loss.softmaxCrossEntropy(), new float[] {1, 2}, new int[] {0});
        assertEquals(one, b.lossForward(Loss.softmaxCrossEntropy(), new float[] {1, 2, 3, 4}, new int[] {0, -100}), 0.0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void emptyInputs(Loss catalogued) {
        Loss l = Losses.atWidth(catalogued, 5);
        Backend b = Backends.cpu();
        double want = l.reduction() == Loss.Reduction.MEAN ? Double.NaN : 0.0;
        double got = l.classTargets() ? b.lossForward(l, new float[0], 0, new int[0], 0, 0, 5)
                : b.lossForward(l, new float[0], 0, new float[0], 0, 0, 5);
        assertEquals(want, got, "0/0 for a mean, as PyTorch");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void nanPropagates(Loss catalogued) {
        Loss l = Losses.atWidth(catalogued, 3);
        Backend b = Backends.cpu();
        float[] z = {0.5f, Float.NaN, 0.25f};
        float[] dz = new float[3];
        if (l.classTargets()) {
            assertTrue(Double.isNaN(b.lossForward(l, z, new int[] {1})));
            b.lossBackward(l, z, new int[] {1}, dz);
            assertTrue(Float.isNaN(dz[0]) && Float.isNaN(dz[1]) && Float.isNaN(dz[2]), Arrays.toString(dz));
        } else {
            float[] t = {0f, 1f, 0.5f};
            assertTrue(Double.isNaN(b.lossForward(l, z, t)));
            b.lossBackward(l, z, t, dz);
            assertTrue(!Float.isNaN(dz[0]) && Float.isNaN(dz[1]) && !Float.isNaN(dz[2]), Arrays.toString(dz));
        }
    }

    // ------------------------------------------------------------------ tensors (CPU)

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void tensorsMatchArrays(Loss catalogued) {
        Backend b = Backends.cpu();
        int rows = 9;
        int cols = 6;
        Loss l = Losses.atWidth(catalogued, cols);
        Random r = new Random(Contract.SEED ^ 3 ^ l.hashCode());
        float[] z = inputs(l, r, rows * cols);
        float[] t = floatTargets(r, rows * cols);
        int[] target = l.classTargets() ? classTargets(l, r, rows, cols) : null;
        double want = forward(b, l, z, t, target, rows, cols);
        float[] dzWant = new float[rows * cols];
        backward(b, l, z, t, target, 0.5, dzWant, rows, cols);
        try (Tensor tz = b.tensor(z.clone(), rows, cols); Tensor tt = b.tensor(t, rows, cols);
             Tensor out = b.allocate(1, 1); Tensor tdz = b.allocate(rows, cols);
             IntTensor tg = b.intTensor(target == null ? new int[rows] : target)) {
            if (l.classTargets()) {
                b.lossForward(l, tz, tg, out);
                b.lossBackward(l, tz, tg, 0.5, tdz);
            } else {
                b.lossForward(l, tz, tt, out);
                b.lossBackward(l, tz, tt, 0.5, tdz);
            }
            assertEquals((float) want, out.toArray()[0]);
            assertArrayEquals(dzWant, tdz.toArray());
            // in place: dz over z
            if (l.classTargets()) {
                b.lossBackward(l, tz, tg, 0.5, tz);
            } else {
                b.lossBackward(l, tz, tt, 0.5, tz);
            }
            assertArrayEquals(dzWant, tz.toArray(), "dz == z");
        }
    }
}
