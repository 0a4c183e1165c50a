package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.Contract;
import dev.nonlin.Contract.Worst;
import dev.nonlin.Optimizer;
import dev.nonlin.Tensor;
import dev.nonlin.Transpose;
import dev.nonlin.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dense layer and training on the GPU against the CPU backend ({@link CpuBackend#get()}):
 * matmul (all transposes; shapes with 1, 31, 33, 1025 and the MNIST-sized layer 4096 × 784 × 256
 * with its two backward products; each SGEMM path: nonlin's tiled kernel, and cuBLAS where
 * JCublas loads), the bias+activation epilogues over the whole catalogue, dBias bit for bit
 * from call to call, and SGD/Adam steps bit for bit. Outputs are poisoned with NaN first, so an
 * unwritten element fails. Skipped (not failed) where CUDA is unusable.
 */
@Tag("gpu")
class CudaDenseDifferentialTest {

    private static CudaBackend gpu;
    private static final Backend CPU = CpuBackend.get();

    @BeforeAll
    static void requireCuda() {
        Assumptions.assumeTrue(CudaSupport.isAvailable(), () -> "CUDA unavailable: " + CudaSupport.unavailabilityCause());
        gpu = CudaSupport.backend();
        System.out.println("CUDA matmul path: " + gpu.gemmDescription());
    }

    @AfterAll
    static void restoreThePath() {
        if (gpu != null) {
            gpu.useGemm(GemmPath.Request.fromProperty());
        }
    }

    // ------------------------------------------------------------------ matmul

    /** m, n, k. */
    private static final int[][] SHAPES = {{1, 1, 1}, {1, 33, 31}, {31, 1, 33}, {31, 33, 1025}, {1025, 31, 33},
            {33, 1025, 1}, {257, 129, 64}};

    static Stream<Arguments> gemmCases() {
        List<Arguments> cases = new ArrayList<>();
        for (GemmPath.Request path : List.of(GemmPath.Request.NONLIN, GemmPath.Request.CUBLAS)) {
            for (Transpose ta : Transpose.values()) {
                for (Transpose tb : Transpose.values()) {
                    for (int[] s : SHAPES) {
                        cases.add(Arguments.of(path, ta, tb, s[0], s[1], s[2], 1f, 0f));
                    }
                    cases.add(Arguments.of(path, ta, tb, 31, 33, 1025, -0.5f, 2f));
                }
            }
            // the dense layer x·W (4096 × 784 → 256) and its backward products dW = xᵀ·dz, dx = dz·Wᵀ
            cases.add(Arguments.of(path, Transpose.N, Transpose.N, 4096, 256, 784, 1f, 0f));
            cases.add(Arguments.of(path, Transpose.T, Transpose.N, 784, 256, 4096, 1f, 0f));
            cases.add(Arguments.of(path, Transpose.N, Transpose.T, 4096, 784, 256, 1f, 0f));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}{2} m={3} n={4} k={5} alpha={6} beta={7}")
    @MethodSource("gemmCases")
    void matmulMatchesTheCpu(GemmPath.Request path, Transpose ta, Transpose tb, int m, int n, int k, float alpha,
                             float beta) {
        if (path == GemmPath.Request.CUBLAS) {
            Assumptions.assumeTrue(Cublas.libraryUnavailabilityCause() == null,
                    () -> "cuBLAS unusable: " + Cublas.libraryUnavailabilityCause());
        }
        gpu.useGemm(path);
        Random r = new Random(Contract.SEED ^ ((long) m * 31 + n) * 31 + k);
        int ar = ta == Transpose.N ? m : k;
        int ac = ta == Transpose.N ? k : m;
        int br = tb == Transpose.N ? k : n;
        int bc = tb == Transpose.N ? n : k;
        float[] a = gaussian(r, m * k);
        float[] b = gaussian(r, k * n);
        float[] c = beta == 0f ? nan(m * n) : gaussian(r, m * n);
        float[] want;
        float[] magnitude;
        try (Tensor ca = CPU.tensor(a, ar, ac); Tensor cb = CPU.tensor(b, br, bc); Tensor cc = CPU.tensor(c.clone(), m, n);
             Tensor aa = CPU.tensor(abs(a), ar, ac); Tensor ab = CPU.tensor(abs(b), br, bc); Tensor mag = CPU.allocate(m, n)) {
            CPU.matmul(ca, ta, cb, tb, alpha, beta, cc);
            CPU.matmul(aa, ta, ab, tb, mag);   // Σ|a||b|, for the rounding bound
            want = cc.toArray();
            magnitude = mag.toArray();
        }
        float[] got;
        try (Tensor ga = gpu.tensor(a, ar, ac); Tensor gb = gpu.tensor(b, br, bc); Tensor gc = gpu.tensor(c.clone(), m, n)) {
            gpu.matmul(ga, ta, gb, tb, alpha, beta, gc);
            got = gc.toArray();
        }
        for (int i = 0; i < m * n; i++) {
            double cij = beta == 0f ? 0 : c[i];
            // both backends within (k + 2)·2⁻²³ of the magnitudes, so within twice that of each other
            double bound = 2 * (k + 2) * 0x1p-23 * (Math.abs(alpha) * magnitude[i] + Math.abs(beta * cij)) + Float.MIN_VALUE;
            int e = i;
            assertTrue(Math.abs(got[i] - want[i]) <= bound, () -> path + " " + ta + tb + " " + m + "×" + n + "×" + k
                    + " at (" + e / n + ", " + e % n + "): GPU " + got[e] + ", CPU " + want[e] + ", bound " + bound
                    + " (seed " + Contract.SEED + ")");
        }
    }

    /** k = 0 (an empty product) scales c: beta = 0 writes zeros over NaN, else beta·c. */
    @Test
    void emptyProductScalesC() {
        gpu.useGemm(GemmPath.Request.NONLIN);
        float[] c = Contract.specialValues();
        try (Tensor a = gpu.allocate(1, 0); Tensor b = gpu.allocate(0, c.length); Tensor gc = gpu.tensor(c.clone(), 1, c.length)) {
            gpu.matmul(a, Transpose.N, b, Transpose.N, 1f, 0f, gc);
            float[] zeros = gc.toArray();
            for (float v : zeros) {
                assertEquals(0f, v);
            }
            gc.copyFrom(c, 0);
            gpu.matmul(a, Transpose.N, b, Transpose.N, 1f, -2f, gc);
            float[] scaled = gc.toArray();
            for (int i = 0; i < c.length; i++) {
                assertEquals(Float.floatToIntBits(-2f * c[i]), Float.floatToIntBits(scaled[i]), "-2 · " + c[i]);
            }
        }
    }

    // ------------------------------------------------------------------ bias + activation

    static Stream<Arguments> epilogueCases() {
        return DenseKernelsHostTest.epilogues().flatMap(f -> Stream.of(Arguments.of(f, 1, 1), Arguments.of(f, 1025, 257)));
    }

    @ParameterizedTest(name = "{0} {1}×{2}")
    @MethodSource("epilogueCases")
    void biasEpilogueMatchesTheCpu(Activation f, int rows, int cols) {
        int n = rows * cols;
        Random r = new Random(Contract.SEED ^ f.hashCode() ^ n);
        float[] z = CudaDifferentialTest.inputs(n, 11);
        float[] bias = gaussian(r, cols);
        float[] dy = gaussian(r, n);
        float[][] fromCpu = DenseKernelsHostTest.cpuEpilogue(f, z, bias, dy, rows, cols);
        float[] yC = fromCpu[0];
        float[] dzC = fromCpu[1];
        float[] dbC = fromCpu[2];
        // clones: a backend may wrap the arrays (the CPU's do), and the in-place calls below overwrite them
        try (Tensor tz = gpu.tensor(z.clone(), rows, cols); Tensor tb = gpu.tensor(bias, 1, cols);
             Tensor ty = gpu.tensor(nan(n), rows, cols); Tensor tdy = gpu.tensor(dy.clone(), rows, cols);
             Tensor tdz = gpu.tensor(nan(n), rows, cols); Tensor tdb = gpu.tensor(nan(cols), 1, cols)) {
            gpu.biasActivationForward(f, tz, tb, ty);
            compare(f + " bias forward " + rows + "×" + cols, z, ty.toArray(), yC, null, 2 * Contract.FORWARD_ULPS);
            gpu.biasActivationBackward(f, tz, tb, tdy, tdz, tdb);
            compare(f + " bias backward dz", z, tdz.toArray(), dzC, dy, 2 * Contract.BACKWARD_ULPS);
            float[] db = tdb.toArray();
            double[] mag = new double[cols];
            for (int i = 0; i < n; i++) {
                mag[i % cols] += Math.abs(dzC[i]) + Math.abs(dy[i]);
            }
            Worst w = new Worst();
            for (int c = 0; c < cols; c++) {
                w.offer(Contract.backwardUlps(db[c], dbC[c], 16 * mag[c]), c, bias[c], dbC[c], db[c]);
            }
            assertTrue(w.err <= 2 * Contract.BACKWARD_ULPS, () -> w.describe(f + " dBias (input shown is the bias)"));
            // in place: y over z, then dz over dy
            gpu.biasActivationForward(f, tz, tb, tz);
            compare(f + " bias forward in place", z, tz.toArray(), yC, null, 2 * Contract.FORWARD_ULPS);
            tz.copyFrom(z, 0);
            gpu.biasActivationBackward(f, tz, tb, tdy, tdy, tdb);
            compare(f + " bias backward in place (dz over dy)", z, tdy.toArray(), dzC, dy, 2 * Contract.BACKWARD_ULPS);
        }
    }

    /** dBias is the same bits on every call, before and after the scratch buffer grows. */
    @Test
    void dBiasIsBitwiseDeterministic() {
        int rows = 4099;
        int cols = 257;
        int n = rows * cols;
        Random r = new Random(Contract.SEED);
        Activation f = Activation.gelu();
        float[] z = gaussian(r, n);
        float[] bias = gaussian(r, cols);
        float[] dy = gaussian(r, n);
        try (Tensor tz = gpu.tensor(z, rows, cols); Tensor tb = gpu.tensor(bias, 1, cols); Tensor tdy = gpu.tensor(dy, rows, cols);
             Tensor tdz = gpu.allocate(rows, cols); Tensor tdb = gpu.allocate(1, cols)) {
            gpu.biasActivationBackward(f, tz, tb, tdy, tdz, tdb);
            float[] first = tdb.toArray();
            for (int run = 0; run < 3; run++) {
                if (run == 1) {
                    // a larger call in between grows the scratch buffer
                    try (Tensor bz = gpu.allocate(8 * rows, cols); Tensor bdz = gpu.allocate(8 * rows, cols)) {
                        gpu.biasActivationBackward(f, bz, tb, bz, bdz, tdb);
                    }
                }
                gpu.biasActivationBackward(f, tz, tb, tdy, tdz, tdb);
                float[] again = tdb.toArray();
                for (int c = 0; c < cols; c++) {
                    assertEquals(Float.floatToRawIntBits(first[c]), Float.floatToRawIntBits(again[c]),
                            "dBias[" + c + "] on call " + (run + 2));
                }
            }
        }
    }

    // ------------------------------------------------------------------ optimizers

    static Stream<Optimizer> optimizers() {
        return Stream.of(Optimizer.sgd(0.1f), Optimizer.sgd(0.05f, 0.9f), new Optimizer.Sgd(0.01f, 0.5f, 1e-3f),
                Optimizer.adam(1e-3f), new Optimizer.Adam(0.01f, 0.8f, 0.99f, 1e-6f, 0.1f));
    }

    /** Five steps, state carried, bit for bit against the CPU backend. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void optimizerStepsAreBitwiseTheCpus(Optimizer rule) {
        int n = 100_003;
        Random r = new Random(Contract.SEED ^ rule.hashCode());
        float[] w0 = CudaDifferentialTest.inputs(n, 21);
        int states = rule.stateTensors();
        try (Tensor cw = CPU.tensor(w0.clone(), 1, n); Tensor gw = gpu.tensor(w0, 1, n);
             Tensor cm = states >= 1 ? CPU.allocate(1, n) : null; Tensor gm = states >= 1 ? gpu.allocate(1, n) : null;
             Tensor cv = states == 2 ? CPU.allocate(1, n) : null; Tensor gv = states == 2 ? gpu.allocate(1, n) : null) {
            for (long step = 1; step <= 5; step++) {
                float[] g = gaussian(r, n);
                try (Tensor cg = CPU.tensor(g, 1, n); Tensor gg = gpu.tensor(g, 1, n)) {
                    CPU.optimizerStep(rule, step, cw, cg, cm, cv);
                    gpu.optimizerStep(rule, step, gw, gg, gm, gv);
                }
                bitwise(rule + " step " + step + " w", cw.toArray(), gw.toArray());
                if (cm != null) {
                    bitwise(rule + " step " + step + " m", cm.toArray(), gm.toArray());
                }
                if (cv != null) {
                    bitwise(rule + " step " + step + " v", cv.toArray(), gv.toArray());
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void bitwise(String what, float[] want, float[] got) {
        for (int i = 0; i < want.length; i++) {
            int e = i;
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]),
                    () -> what + "[" + e + "]: CPU " + want[e] + ", GPU " + got[e]);
        }
    }

    /** GPU against CPU: each within the contract of the exact value, so within twice it of each other. */
    private static void compare(String what, float[] z, float[] got, float[] cpu, float[] dy, double bound) {
        Worst w = new Worst();
        for (int i = 0; i < got.length; i++) {
            double e = dy == null ? Contract.ulps(got[i], cpu[i]) : Contract.backwardUlps(got[i], cpu[i], 2 * dy[i]);
            w.offer(e, i, z[i], cpu[i], got[i]);
        }
        assertTrue(w.err <= bound, () -> w.describe(what));
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    private static float[] abs(float[] a) {
        float[] b = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Math.abs(a[i]);
        }
        return b;
    }

    private static float[] nan(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }
}
