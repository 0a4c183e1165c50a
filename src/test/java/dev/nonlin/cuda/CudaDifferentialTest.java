package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.Backends;
import dev.nonlin.Contract;
import dev.nonlin.Contract.Worst;
import dev.nonlin.IntTensor;
import dev.nonlin.Loss;
import dev.nonlin.Losses;
import dev.nonlin.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU against CPU, for every catalogue entry × sizes × forward/backward/in place × tensor and
 * host-array paths, under the numerics contract; and every loss of {@link Losses#all()} × shapes
 * (the loss, dz, in place, determinism run to run). Outputs are poisoned with NaN first, so an
 * unwritten element fails. Skipped (not failed) where CUDA is unusable; the reason is printed.
 */
@Tag("gpu")
class CudaDifferentialTest {

    static final int[] SIZES = {0, 1, 31, 32, 33, 1023, 1025, 1_000_003, (1 << 24) + 1};

    @BeforeAll
    static void requireCuda() {
        Assumptions.assumeTrue(CudaSupport.isAvailable(), () -> "CUDA unavailable: " + CudaSupport.unavailabilityCause());
    }

    static Stream<Arguments> cases() {
        return Activations.all().stream().flatMap(f -> IntStream.of(SIZES).mapToObj(n -> Arguments.of(f, n)));
    }

    /** Rows × cols for a size: row-wise functions get rows of 1025 (or fewer), the rest one row. */
    static int[] shape(Activation f, int n) {
        if (!f.rowWise() && !(f instanceof Activation.PRelu)) {
            return new int[] {1, n};
        }
        for (int cols : new int[] {1025, 1023, 33, 31, 1}) {
            if (n % cols == 0 && n > 0) {
                return new int[] {n / cols, cols};
            }
        }
        return new int[] {n == 0 ? 0 : 1, n};
    }

    static float[] inputs(int n, long salt) {
        float[] special = Contract.specialValues();
        float[] r = Contract.randomValues(new Random(Contract.SEED ^ salt), n);
        System.arraycopy(special, 0, r, 0, Math.min(n, special.length));
        return r;
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("cases")
    void gpuMatchesCpu(Activation f, int n) {
        Backend gpu = CudaSupport.backend();
        Backend cpu = Backends.cpu();
        int[] s = shape(f, n);
        int rows = s[0];
        int cols = s[1];
        float[] x = inputs(n, 1);
        float[] dy = inputs(n, 2);
        float[] yCpu = new float[n];
        float[] dxCpu = new float[n];
        cpu.forward(f, x, 0, yCpu, 0, rows, cols);
        cpu.backward(f, x, 0, dy, 0, dxCpu, 0, rows, cols);

        // host arrays, with an offset
        float[] y = poisoned(n + 3);
        gpu.forward(f, x, 0, y, 3, rows, cols);
        compare(f + " forward (float[]) n=" + n, x, Arrays.copyOfRange(y, 3, n + 3), yCpu, null, false);
        float[] dx = poisoned(n);
        gpu.backward(f, x, 0, dy, 0, dx, 0, rows, cols);
        compare(f + " backward (float[]) n=" + n, x, dx, dxCpu, dy, true);
        float[] inPlace = x.clone();
        gpu.forwardInPlace(f, inPlace, 0, rows, cols);
        compare(f + " forward in place n=" + n, x, inPlace, yCpu, null, false);

        // tensors
        try (Tensor tx = gpu.tensor(x, rows, cols); Tensor ty = gpu.tensor(poisoned(n), rows, cols);
             Tensor tdy = gpu.tensor(dy, rows, cols); Tensor tdx = gpu.tensor(poisoned(n), rows, cols)) {
            gpu.forward(f, tx, ty);
            compare(f + " forward (tensor) n=" + n, x, ty.toArray(), yCpu, null, false);
            gpu.backward(f, tx, tdy, tdx);
            compare(f + " backward (tensor) n=" + n, x, tdx.toArray(), dxCpu, dy, true);
            if (f.backwardFromOutput()) {
                float[] dxFromY = new float[n];
                cpu.backwardFromOutput(f, yCpu, 0, dy, 0, dxFromY, 0, rows, cols);
                try (Tensor tyc = gpu.tensor(yCpu, rows, cols)) {
                    gpu.backwardFromOutput(f, tyc, tdy, tdx);
                    compare(f + " backward from output (tensor) n=" + n, yCpu, tdx.toArray(), dxFromY, dy, true);
                }
            }
            gpu.backward(f, tx, tdy, tdy);   // dx == dy in place
            compare(f + " backward in place (tensor) n=" + n, x, tdy.toArray(), dxCpu, dy, true);
        }
    }

    static Stream<Activation> rowWise() {
        return Activations.all().stream().filter(Activation::rowWise);
    }

    /**
     * Rows longer than a staging chunk cannot be pipelined (a chunk holds whole rows): they go
     * through device tensors, and each row comes back whole. Host arrays, in place too.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("rowWise")
    void rowsLongerThanAChunkMatchTheCpu(Activation f) {
        Backend gpu = CudaSupport.backend();
        Backend cpu = Backends.cpu();
        int rows = 2;
        int cols = CudaBackend.CHUNK + 5;
        int n = rows * cols;
        float[] x = inputs(n, 3);
        float[] dy = inputs(n, 4);
        float[] yCpu = new float[n];
        float[] dxCpu = new float[n];
        cpu.forward(f, x, 0, yCpu, 0, rows, cols);
        cpu.backward(f, x, 0, dy, 0, dxCpu, 0, rows, cols);
        float[] y = poisoned(n);
        gpu.forward(f, x, 0, y, 0, rows, cols);
        compare(f + " forward, rows of " + cols, x, y, yCpu, null, false);
        float[] dx = poisoned(n);
        gpu.backward(f, x, 0, dy, 0, dx, 0, rows, cols);
        compare(f + " backward, rows of " + cols, x, dx, dxCpu, dy, true);
        float[] inPlace = x.clone();
        gpu.forwardInPlace(f, inPlace, 0, rows, cols);
        compare(f + " forward in place, rows of " + cols, x, inPlace, yCpu, null, false);
        if (f.backwardFromOutput()) {
            float[] want = new float[n];
            cpu.backwardFromOutput(f, yCpu, 0, dy, 0, want, 0, rows, cols);
            float[] got = dy.clone();
            gpu.backwardFromOutput(f, yCpu, 0, got, 0, got, 0, rows, cols);   // dx over dy
            compare(f + " backward from output in place, rows of " + cols, yCpu, got, want, dy, true);
        }
    }

    private static float[] poisoned(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    /** GPU and CPU each meet the contract, so they may differ by the sum of their bounds. */
    private static void compare(String what, float[] x, float[] got, float[] cpu, float[] dy, boolean backward) {
        Worst w = new Worst();
        for (int i = 0; i < got.length; i++) {
            double e = backward ? Contract.backwardUlps(got[i], cpu[i], 2 * dy[i]) : Contract.ulps(got[i], cpu[i]);
            w.offer(e, i, x[i], cpu[i], got[i]);
        }
        double bound = 2 * (backward ? Contract.BACKWARD_ULPS : Contract.FORWARD_ULPS);
        assertTrue(got.length == 0 || w.err <= bound, () -> w.describe(what));
    }

    @Test
    void preluLearnedAlphaMatchesCpuAndIsDeterministic() {
        Backend gpu = CudaSupport.backend();
        Backend cpu = Backends.cpu();
        int rows = 4097;
        int cols = 33;
        int n = rows * cols;
        float[] x = inputs(n, 3);
        float[] dy = inputs(n, 4);
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(x[i]) || Math.abs(x[i]) > 1e3f) {
                x[i] = 0.5f;
            }
            if (!Float.isFinite(dy[i]) || Math.abs(dy[i]) > 1e3f) {
                dy[i] = 0.25f;
            }
        }
        float[] alpha = new float[cols];
        for (int c = 0; c < cols; c++) {
            alpha[c] = 0.02f * c;
        }
        float[] dxC = new float[n];
        float[] daC = new float[cols];
        cpu.preluBackward(x, 0, alpha, dy, 0, dxC, 0, daC, rows, cols);
        float[] dxG = poisoned(n);
        float[] daG = poisoned(cols);
        gpu.preluBackward(x, 0, alpha, dy, 0, dxG, 0, daG, rows, cols);
        assertArrayEquals(dxC, dxG, "dx");
        for (int c = 0; c < cols; c++) {
            assertEquals(daC[c], daG[c], 1e-5 * Math.max(1, Math.abs(daC[c])), "dα[" + c + "]");
        }
        float[] again = new float[cols];
        gpu.preluBackward(x, 0, alpha, dy, 0, new float[n], 0, again, rows, cols);
        assertArrayEquals(daG, again, "dα is bitwise the same on every run");
    }

    // ------------------------------------------------------------------ losses

    static Stream<Arguments> lossCases() {
        int[][] shapes = {{1, 1}, {3, 5}, {1000, 33}, {7, 1025}, {5, 3000}, {200_003, 10}, {1, 1_000_003}};
        return Losses.all().stream().flatMap(l -> Stream.of(shapes).map(s -> Arguments.of(Losses.atWidth(l, s[1]), s[0], s[1])));
    }

    /** z in the loss's domain, with huge logits (±1e4) and the bce clamps (p = 0, 1) among them. */
    static float[] lossInputs(Loss l, int n, long salt) {
        Random r = new Random(Contract.SEED ^ salt);
        float[] z = new float[n];
        for (int i = 0; i < n; i++) {
            z[i] = l.kind() == Loss.Kind.BCE ? r.nextFloat() : (float) (r.nextGaussian() * 5);
            if (i % 997 == 5) {
                z[i] = l.kind() == Loss.Kind.BCE ? (i % 2 == 0 ? 0f : 1f) : (i % 2 == 0 ? 1e4f : -1e4f);
            }
        }
        return z;
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("lossCases")
    void lossGpuMatchesCpu(Loss l, int rows, int cols) {
        Backend gpu = CudaSupport.backend();
        Backend cpu = Backends.cpu();
        int n = rows * cols;
        Random r = new Random(Contract.SEED ^ n);
        float[] z = lossInputs(l, n, 11);
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = i % 3 == 2 ? r.nextFloat() : i % 3;
        }
        int[] target = new int[rows];
        int ignore = l instanceof Loss.SoftmaxCrossEntropy ce ? ce.ignoreIndex() : 0;
        for (int i = 0; i < rows; i++) {
            target[i] = i % 5 == 4 && rows > 1 ? ignore : r.nextInt(cols);
        }
        double dLoss = 0.75;
        double want = l.classTargets() ? cpu.lossForward(l, z, 0, target, 0, rows, cols) : cpu.lossForward(l, z, 0, t, 0, rows, cols);
        float[] dzWant = new float[n];
        float[] dz = poisoned(n);
        if (l.classTargets()) {
            cpu.lossBackward(l, z, 0, target, 0, dLoss, dzWant, 0, rows, cols);
        } else {
            cpu.lossBackward(l, z, 0, t, 0, dLoss, dzWant, 0, rows, cols);
        }
        // host arrays: the loss in double (another summation order), dz under the backward contract
        double got = l.classTargets() ? gpu.lossForward(l, z, 0, target, 0, rows, cols) : gpu.lossForward(l, z, 0, t, 0, rows, cols);
        assertEquals(want, got, 1e-10 * Math.max(1, Math.abs(want)), l + " loss (float[]) " + rows + "x" + cols);
        if (l.classTargets()) {
            gpu.lossBackward(l, z, 0, target, 0, dLoss, dz, 0, rows, cols);
        } else {
            gpu.lossBackward(l, z, 0, t, 0, dLoss, dz, 0, rows, cols);
        }
        // both compute the same double formula and round once; the slack covers the O(1)-sized terms
        // that cancel in a gradient (σ(z) − t, p − 1/C), times the per-element scale dLoss / divisor
        double slack = Math.abs(dLoss) / (l.reduction() == Loss.Reduction.SUM ? 1 : l.classTargets() ? rows : n);
        compareLoss(l + " dz (float[]) " + rows + "x" + cols, z, dz, dzWant, slack);
        // tensors: the loss stays on the device; dz in place over z too; twice for determinism
        try (Tensor tz = gpu.tensor(z, rows, cols); Tensor tt = gpu.tensor(t, rows, cols); Tensor out = gpu.tensor(poisoned(1), 1, 1);
             Tensor tdz = gpu.tensor(poisoned(n), rows, cols); IntTensor tg = gpu.intTensor(target)) {
            float[] first = null;
            float[] firstDz = null;
            for (int run = 0; run < 2; run++) {
                if (l.classTargets()) {
                    gpu.lossForward(l, tz, tg, out);
                    gpu.lossBackward(l, tz, tg, dLoss, tdz);
                } else {
                    gpu.lossForward(l, tz, tt, out);
                    gpu.lossBackward(l, tz, tt, dLoss, tdz);
                }
                float[] o = out.toArray();
                float[] d = tdz.toArray();
                assertEquals((float) want, o[0], 2 * Math.ulp((float) want) + 1e-10 * Math.abs(want), l + " loss (tensor)");
                compareLoss(l + " dz (tensor)", z, d, dzWant, slack);
                if (first == null) {
                    first = o;
                    firstDz = d;
                } else {
                    assertArrayEquals(first, o, l + " loss is bitwise the same run to run");
                    assertArrayEquals(firstDz, d, l + " dz is bitwise the same run to run");
                }
            }
            if (l.classTargets()) {
                gpu.lossBackward(l, tz, tg, dLoss, tz);
            } else {
                gpu.lossBackward(l, tz, tt, dLoss, tz);
            }
            compareLoss(l + " dz in place (tensor)", z, tz.toArray(), dzWant, slack);
        }
    }

    private static void compareLoss(String what, float[] z, float[] got, float[] cpu, double slack) {
        Worst w = new Worst();
        for (int i = 0; i < got.length; i++) {
            w.offer(Contract.backwardUlps(got[i], cpu[i], slack), i, z[i], cpu[i], got[i]);
        }
        assertTrue(got.length == 0 || w.err <= 2 * Contract.BACKWARD_ULPS, () -> w.describe(what));
    }

    @Test
    void repeatedUseDoesNotGrowMemory() {
        CudaBackend gpu = CudaSupport.backend();
        Activation f = Activation.gelu();
        float[] x = inputs(1 << 20, 5);
        for (int i = 0; i < 3; i++) {   // warm up: staging buffers and the module are allocated once
            try (Tensor t = gpu.tensor(x)) {
                gpu.forward(f, t, t);
            }
            gpu.forward(f, x, new float[x.length]);
        }
        long before = gpu.memoryInfo()[0];
        long inUse = gpu.bytesInUse();
        for (int i = 0; i < 200; i++) {
            try (Tensor t = gpu.tensor(x)) {
                gpu.forward(f, t, t);
            }
            gpu.forward(f, x, new float[x.length]);
        }
        gpu.synchronize();
        assertEquals(inUse, gpu.bytesInUse(), "bytes held by live tensors");
        long after = gpu.memoryInfo()[0];
        assertTrue(before - after < (64L << 20), "free device memory fell by " + (before - after) + " bytes");
    }

    @Test
    void autoChoosesTheGpu() {
        // auto: tensors on the GPU, host arrays by the crossover
        assertEquals("auto", Backends.auto().name(), Backends.report().toString());
        try (dev.nonlin.Tensor t = Backends.auto().allocate(1, 4)) {
            assertEquals("cuda", t.backend().name());
        }
    }
}
