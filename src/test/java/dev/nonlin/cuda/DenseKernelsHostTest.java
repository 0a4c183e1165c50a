package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.Contract;
import dev.nonlin.Contract.Worst;
import dev.nonlin.Optimizer;
import dev.nonlin.Tensor;
import dev.nonlin.Transpose;
import dev.nonlin.cpu.CpuBackend;
import dev.nonlin.cpu.Scalar;
import dev.nonlin.cuda.HostBuild.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernels of {@code cuda/dense.cu} without a GPU: {@code cuda/test/dense_emu.cpp} runs them
 * on the CPU through {@code cuda/test/cuda_host_emu.h} (the device's arithmetic, fmas and
 * roundings included), and this test compares what they write with the Java CPU backend
 * ({@link CpuBackend#get()}) and a float64 reference:
 * <ul>
 *   <li>SGEMM, all four transposes, shapes from 1 × 1 × 1 to several tiles with odd edges,
 *       beta = 0 over a NaN-poisoned C (which must not leak) and beta ≠ 0;
 *   <li>the fused bias+activation epilogue, forward and backward, for every elementwise entry
 *       of {@link Activations#all()} that the epilogue accepts, with dBias the same bits for
 *       every grid (checked inside the emulator);
 *   <li>SGD and Adam steps, bit for bit against the CPU backend;
 *   <li>the scale (beta·c, beta = 0 writing zeros over NaN).
 * </ul>
 * The emulator also checks, on its own, that every grid and both SGEMM tiles give the same bits
 * and that nothing outside the outputs is written. Skipped (not failed) without g++ or clang++.
 */
class DenseKernelsHostTest {

    private static final Path SOURCE = Path.of("cuda", "test", "dense_emu.cpp");
    private static final Path INCLUDE = Path.of("cuda", "include");

    private static Path dir;
    private static Path emulator;
    private static String missing;

    private final Backend cpu = CpuBackend.get();

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        String cxx = HostBuild.cxx();
        if (cxx == null) {
            missing = "no host C++ compiler (g++, c++, clang++) on PATH";
            return;
        }
        Path base = HostBuild.base();
        dir = Files.createTempDirectory("nonlin-dense-emu");
        emulator = dir.resolve("dense_emu");
        List<String> cmd = List.of(cxx, "-std=c++20", "-O1", "-pthread", "-ffp-contract=off",
                "-I", base.resolve(INCLUDE).toString(), base.resolve(SOURCE).toString(), "-o", emulator.toString());
        Run r = HostBuild.run(cmd, 300);
        assertEquals(0, r.code(), () -> "compiling the dense emulator failed: " + String.join(" ", cmd) + "\n" + r.output());
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Runs the emulator on {@code input}; returns what it wrote. A self-check failure fails the test. */
    private static float[] emulate(String tag, float[] input, String... args) throws IOException, InterruptedException {
        assumeTrue(missing == null, missing);
        Path in = Files.write(dir.resolve(tag + ".in"), HostBuild.floats(input));
        Path out = dir.resolve(tag + ".out");
        List<String> cmd = new ArrayList<>();
        cmd.add(emulator.toString());
        cmd.addAll(List.of(args));
        cmd.add(in.toString());
        cmd.add(out.toString());
        Run r = HostBuild.run(cmd, 300);
        assertEquals(0, r.code(), () -> "dense emulator: " + String.join(" ", cmd) + "\n" + r.output());
        return HostBuild.readFloats(out);
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] all = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    private static boolean sameBits(float a, float b) {
        return Float.floatToIntBits(a) == Float.floatToIntBits(b);   // all NaNs alike
    }

    // ------------------------------------------------------------------ SGEMM

    /** m, n, k: ones, single rows and columns, sizes around the tiles (64, 128) and BK = 8. */
    private static final int[][] SHAPES = {{1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {31, 33, 17}, {33, 31, 8}, {130, 67, 9},
            {64, 129, 40}, {2, 200, 1}};

    static Stream<Arguments> gemmCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Transpose ta : Transpose.values()) {
            for (Transpose tb : Transpose.values()) {
                for (int[] s : SHAPES) {
                    cases.add(Arguments.of(ta, tb, s[0], s[1], s[2], 1f, 0f));
                    cases.add(Arguments.of(ta, tb, s[0], s[1], s[2], -1.5f, 0.25f));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}{1} m={2} n={3} k={4} alpha={5} beta={6}")
    @MethodSource("gemmCases")
    void sgemmMatchesTheCpu(Transpose ta, Transpose tb, int m, int n, int k, float alpha, float beta) throws Exception {
        Random r = new Random(Contract.SEED ^ (m * 1_000_003L + n * 1009L + k) ^ ta.ordinal() ^ (tb.ordinal() << 1));
        float[] a = gaussian(r, m * k, 1);
        float[] b = gaussian(r, k * n, 1);
        float[] c = beta == 0f ? nan(m * n) : gaussian(r, m * n, 1);
        String ops = ta.name().toLowerCase() + tb.name().toLowerCase();
        float[] got = emulate("gemm-" + ops + "-" + m + "-" + n + "-" + k, concat(a, b, c), "gemm", ops,
                String.valueOf(m), String.valueOf(n), String.valueOf(k), HostBuild.hex(alpha), HostBuild.hex(beta));
        assertEquals(m * n, got.length);
        float[] fromCpu;
        try (Tensor ta1 = cpu.tensor(a, ta == Transpose.N ? m : k, ta == Transpose.N ? k : m);
             Tensor tb1 = cpu.tensor(b, tb == Transpose.N ? k : n, tb == Transpose.N ? n : k);
             Tensor tc = cpu.tensor(c.clone(), m, n)) {
            cpu.matmul(ta1, ta, tb1, tb, alpha, beta, tc);
            fromCpu = tc.toArray();
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double exact = 0;
                double mag = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta == Transpose.N ? a[i * k + p] : a[p * m + i];
                    double y = tb == Transpose.N ? b[p * n + j] : b[j * k + p];
                    exact += x * y;
                    mag += Math.abs(x * y);
                }
                double cij = beta == 0f ? 0 : c[i * n + j];
                exact = alpha * exact + beta * cij;
                // each result: float sums of k products, then alpha and beta: (k + 2)·2⁻²³ relative to the magnitudes
                double bound = (k + 2) * 0x1p-23 * (Math.abs(alpha) * mag + Math.abs(beta * cij)) + Float.MIN_VALUE;
                float g = got[i * n + j];
                float h = fromCpu[i * n + j];
                String at = ops + " " + m + "×" + n + "×" + k + " at (" + i + ", " + j + "): ";
                assertTrue(Math.abs(g - exact) <= bound, at + "kernel " + g + ", exact " + exact + ", bound " + bound
                        + " (seed " + Contract.SEED + ")");
                assertTrue(Math.abs(g - h) <= 2 * bound, at + "kernel " + g + ", CPU backend " + h);
            }
        }
    }

    /** A NaN in op(A) reaches its row of C (and only it), as on the CPU; an ∞ gives ∞ or NaN there. */
    @Test
    void sgemmPropagatesNanAndInfinityLikeTheCpu() throws Exception {
        int m = 9;
        int n = 70;
        int k = 13;
        Random r = new Random(Contract.SEED);
        float[] a = gaussian(r, m * k, 1);
        float[] b = gaussian(r, k * n, 1);
        a[2 * k + 5] = Float.NaN;
        a[6 * k + 1] = Float.POSITIVE_INFINITY;
        float[] got = emulate("gemm-special", concat(a, b, new float[m * n]), "gemm", "nn", String.valueOf(m),
                String.valueOf(n), String.valueOf(k), HostBuild.hex(1f), HostBuild.hex(0f));
        float[] fromCpu;
        try (Tensor ta = cpu.tensor(a, m, k); Tensor tb = cpu.tensor(b, k, n); Tensor tc = cpu.allocate(m, n)) {
            cpu.matmul(ta, Transpose.N, tb, Transpose.N, tc);
            fromCpu = tc.toArray();
        }
        for (int i = 0; i < m * n; i++) {
            int row = i / n;
            assertEquals(row == 2 || row == 6, !Float.isFinite(got[i]), "element " + i + ": " + got[i]);
            assertEquals(Float.isNaN(fromCpu[i]), Float.isNaN(got[i]), "element " + i + ": kernel " + got[i]
                    + ", CPU " + fromCpu[i]);
        }
    }

    private static float[] nan(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    // ------------------------------------------------------------------ bias + activation

    /** The catalogue entries that the epilogue takes: elementwise, without a learned α (AbstractBackend's rule). */
    static Stream<Activation> epilogues() {
        return Activations.all().stream().filter(f -> !f.rowWise() && f.kind() != Kind.PRELU);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("epilogues")
    void biasEpilogueMatchesTheCpu(Activation f) throws Exception {
        int rows = 70;   // three chunks of DenseLaunches.BIAS_ROWS_PER_CHUNK (32) rows, the last one short
        int cols = 37;   // rows·cols = 2590: the float4 body and a tail of 2
        int n = rows * cols;
        Random r = new Random(Contract.SEED ^ f.hashCode());
        float[] z = Contract.randomValues(r, n);
        float[] special = Contract.specialValues();
        System.arraycopy(special, 0, z, 0, special.length);
        float[] bias = gaussian(r, cols, 2);
        bias[3] = 0f;
        bias[5] = -0f;
        float[] dy = gaussian(r, n, 1);
        float[] got = emulate("bias-" + f.kind().kernelName() + "-" + Integer.toHexString(f.hashCode()),
                concat(z, bias, dy), "bias", String.valueOf(f.kind().ordinal()), HostBuild.hex(f.p0()),
                HostBuild.hex(f.p1()), String.valueOf(rows), String.valueOf(cols),
                String.valueOf(DenseLaunches.BIAS_ROWS_PER_CHUNK));
        assertEquals(2 * n + cols, got.length);
        float[][] fromCpu = cpuEpilogue(f, z, bias, dy, rows, cols);
        float[] yCpu = fromCpu[0];
        float[] dzCpu = fromCpu[1];
        float[] dBiasCpu = fromCpu[2];
        Worst fw = new Worst();
        Worst bw = new Worst();
        Worst fc = new Worst();
        Worst bc = new Worst();
        double[] exactDb = new double[cols];
        double[] magDb = new double[cols];
        for (int i = 0; i < n; i++) {
            float h = z[i] + bias[i % cols];   // rounded to float, as both backends do
            double ey = Scalar.forward(f.kind(), f.p0(), f.p1(), h);
            double edz = dy[i] * Scalar.derivative(f.kind(), f.p0(), f.p1(), h);
            fw.offer(Contract.ulps(got[i], ey), i, h, ey, got[i]);
            fc.offer(Contract.ulps(yCpu[i], ey), i, h, ey, yCpu[i]);
            bw.offer(Contract.backwardUlps(got[n + i], edz, dy[i]), i, h, edz, got[n + i]);
            bc.offer(Contract.backwardUlps(dzCpu[i], edz, dy[i]), i, h, edz, dzCpu[i]);
            exactDb[i % cols] += edz;
            magDb[i % cols] += Math.abs(edz) + Math.abs(dy[i]);
        }
        assertTrue(fw.err <= Contract.FORWARD_ULPS, () -> fw.describe(f + " bias forward (kernel; input shown is z + bias)"));
        assertTrue(fc.err <= Contract.FORWARD_ULPS, () -> fc.describe(f + " bias forward (CPU backend)"));
        assertTrue(bw.err <= Contract.BACKWARD_ULPS, () -> bw.describe(f + " bias backward dz (kernel)"));
        assertTrue(bc.err <= Contract.BACKWARD_ULPS, () -> bc.describe(f + " bias backward dz (CPU backend)"));
        // dBias: each dz within 8 ULP + 2⁻²³·|dy| of exact, summed: slack of 8·2⁻²³ of Σ(|dz| + |dy|)
        Worst dw = new Worst();
        for (int c = 0; c < cols; c++) {
            float g = got[2 * n + c];
            dw.offer(Contract.backwardUlps(g, exactDb[c], 8 * magDb[c]), c, bias[c], exactDb[c], g);
            dw.offer(Contract.backwardUlps(dBiasCpu[c], exactDb[c], 8 * magDb[c]), c, bias[c], exactDb[c], dBiasCpu[c]);
            assertEquals(Float.isNaN(dBiasCpu[c]), Float.isNaN(g), "dBias NaN-ness of column " + c);
        }
        assertTrue(dw.err <= Contract.BACKWARD_ULPS, () -> dw.describe(f + " dBias (input shown is the bias)"));
    }

    /** The CPU backend's epilogue, forward and backward: {y, dz, dBias}. */
    static float[][] cpuEpilogue(Activation f, float[] z, float[] bias, float[] dy, int rows, int cols) {
        Backend cpu = CpuBackend.get();
        try (Tensor tz = cpu.tensor(z, rows, cols); Tensor tb = cpu.tensor(bias, 1, cols); Tensor ty = cpu.allocate(rows, cols);
             Tensor tdy = cpu.tensor(dy, rows, cols); Tensor tdz = cpu.allocate(rows, cols); Tensor tdb = cpu.allocate(1, cols)) {
            cpu.biasActivationForward(f, tz, tb, ty);
            cpu.biasActivationBackward(f, tz, tb, tdy, tdz, tdb);
            return new float[][] {ty.toArray(), tdz.toArray(), tdb.toArray()};
        }
    }

    // ------------------------------------------------------------------ optimizers

    static Stream<Arguments> optimizers() {
        List<Arguments> cases = new ArrayList<>();
        Optimizer[] rules = {Optimizer.sgd(0.1f), Optimizer.sgd(0.05f, 0.9f), new Optimizer.Sgd(0.01f, 0.5f, 1e-3f),
                new Optimizer.Sgd(0.3f, 0f, 0.02f), Optimizer.adam(1e-3f), new Optimizer.Adam(0.01f, 0.8f, 0.99f, 1e-6f, 0.1f)};
        for (Optimizer o : rules) {
            for (long step : new long[] {1, 2, 1000}) {
                cases.add(Arguments.of(o, step));
            }
        }
        return cases.stream();
    }

    /** The optimizer kernels' bits are the CPU backend's (same float operations, uncontracted). */
    @ParameterizedTest(name = "{0} step {1}")
    @MethodSource("optimizers")
    void optimizerStepIsBitwiseTheCpus(Optimizer rule, long step) throws Exception {
        int n = 1029;
        Random r = new Random(Contract.SEED ^ rule.hashCode() ^ step);
        float[] w = Contract.randomValues(r, n);
        float[] g = gaussian(r, n, 3);
        float[] special = Contract.specialValues();
        System.arraycopy(special, 0, w, 0, special.length);
        System.arraycopy(special, 0, g, special.length, special.length);
        g[0] = Float.NaN;
        float[] m = gaussian(r, n, 0.1);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Math.abs((float) (r.nextGaussian() * 0.01));
        }
        int states = rule.stateTensors();
        float[] in;
        String[] args;
        if (rule instanceof Optimizer.Sgd s) {
            in = states == 1 ? concat(w, g, m) : concat(w, g);
            args = new String[] {"sgd", HostBuild.hex(s.lr()), HostBuild.hex(s.momentum()), HostBuild.hex(s.weightDecay()),
                    String.valueOf(states)};
        } else {
            Optimizer.Adam a = (Optimizer.Adam) rule;
            // the host's bias corrections, as DenseLaunches computes them
            float c1 = (float) (1.0 - Math.pow(a.beta1(), step));
            float c2 = (float) (1.0 - Math.pow(a.beta2(), step));
            in = concat(w, g, m, v);
            args = new String[] {"adam", HostBuild.hex(a.lr()), HostBuild.hex(a.beta1()), HostBuild.hex(a.beta2()),
                    HostBuild.hex(a.eps()), HostBuild.hex(a.weightDecay()), HostBuild.hex(c1), HostBuild.hex(c2)};
        }
        float[] got = emulate("opt-" + Integer.toHexString(rule.hashCode()) + "-" + step, in, args);
        assertEquals((1 + states) * n, got.length);
        float[][] want = new float[1 + states][];
        try (Tensor tw = cpu.tensor(w.clone(), 1, n); Tensor tg = cpu.tensor(g, 1, n);
             Tensor tm = states >= 1 ? cpu.tensor(m.clone(), 1, n) : null;
             Tensor tv = states == 2 ? cpu.tensor(v.clone(), 1, n) : null) {
            cpu.optimizerStep(rule, step, tw, tg, tm, tv);
            want[0] = tw.toArray();
            if (tm != null) {
                want[1] = tm.toArray();
            }
            if (tv != null) {
                want[2] = tv.toArray();
            }
        }
        String[] names = {"w", "m", "v"};
        for (int s = 0; s <= states; s++) {
            for (int i = 0; i < n; i++) {
                float gi = got[s * n + i];
                float wi = want[s][i];
                int e = i;
                int t = s;
                assertTrue(sameBits(gi, wi), () -> rule + " step " + step + ": " + names[t] + "[" + e + "] kernel " + gi
                        + ", CPU backend " + wi + " (w " + w[e] + ", g " + g[e] + ", seed " + Contract.SEED + ")");
            }
        }
    }

    // ------------------------------------------------------------------ scale

    @Test
    void scaleWritesBetaTimesCAndZerosForBetaZero() throws Exception {
        float[] c = Contract.specialValues();
        float[] zeros = emulate("scale-0", c, "scale", HostBuild.hex(0f));
        float[] half = emulate("scale-half", c, "scale", HostBuild.hex(-0.5f));
        for (int i = 0; i < c.length; i++) {
            assertEquals(0f, zeros[i], "beta = 0 over " + c[i]);
            assertTrue(sameBits(-0.5f * c[i], half[i]), "beta = -0.5 over " + c[i] + ": " + half[i]);
        }
    }
}
