package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import dev.nonlin.Activations;
import dev.nonlin.Contract;
import dev.nonlin.Contract.Worst;
import dev.nonlin.Loss;
import dev.nonlin.Losses;
import dev.nonlin.cpu.LossMath;
import dev.nonlin.cli.Accuracy;
import dev.nonlin.cli.Ulp;
import dev.nonlin.cpu.Rows;
import dev.nonlin.cpu.Scalar;
import dev.nonlin.cuda.HostBuild.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA kernels' math, checked on the host (DESIGN.md § 4.2): {@code cuda/test/host_driver.cpp}
 * includes {@code cuda/include/nonlin_math.cuh}, the header every kernel includes, and is built
 * with g++ (or another host compiler, or nvcc) through the header's {@code __host__ __device__}
 * shim. It evaluates exactly what the kernels store for each element (double math, one rounding
 * to float), and this test compares that with the Java float64 reference ({@link Scalar},
 * {@link Rows}) under the numerics contract, for every catalogue entry: special values, seeded
 * random draws (uniform in [−20, 20], in [−200, 200] and random bit patterns), special dy, and
 * row-wise inputs with the special rows. Skipped (not failed) when no compiler is found.
 */
class KernelMathHostTest {

    private static final Path SOURCE = Path.of("cuda", "test", "host_driver.cpp");
    private static final Path INCLUDE = Path.of("cuda", "include");
    private static final Path EMULATOR = Path.of("cuda", "test", "kernel_emu.cpp");

    private static Path dir;
    private static Path driver;
    private static String compilerMissing;
    /** The emulator build, started in the background while the driver tests run; null without g++/clang++. */
    private static Process emulatorBuild;
    private static List<String> emulatorCommand;

    @BeforeAll
    static void buildDriver() throws IOException, InterruptedException {
        Path base = HostBuild.base();
        Path source = base.resolve(SOURCE);
        assertTrue(Files.isRegularFile(source), "missing " + source);
        List<String> cmd = compileCommand(base.resolve(INCLUDE), source);
        if (cmd == null) {
            compilerMissing = "no host C++ compiler (g++, c++, clang++) or nvcc on PATH";
            return;
        }
        dir = Files.createTempDirectory("nonlin-kernel-math");
        driver = dir.resolve("host_driver");
        cmd.add(driver.toString());
        if (!cmd.get(0).equals("nvcc")) {
            // the emulator needs C++20 <barrier> and threads; it compiles while the driver tests run
            emulatorCommand = new ArrayList<>(List.of(cmd.get(0), "-std=c++20", "-O1", "-pthread", "-ffp-contract=off",
                    "-I", base.resolve(INCLUDE).toString(), base.resolve(EMULATOR).toString(),
                    "-o", dir.resolve("kernel_emu").toString()));
            emulatorBuild = new ProcessBuilder(emulatorCommand).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("kernel_emu.log").toFile()).start();
        }
        Run r = run(cmd, 180);
        assertEquals(0, r.code(), () -> "compiling the host driver failed: " + String.join(" ", cmd) + "\n" + r.output());
    }

    @AfterAll
    static void cleanUp() throws IOException, InterruptedException {
        if (emulatorBuild != null && emulatorBuild.isAlive()) {
            emulatorBuild.destroyForcibly().waitFor();
        }
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A host C++ compiler (strict IEEE, see HostBuild), else nvcc. */
    private static List<String> compileCommand(Path include, Path source) {
        String cxx = HostBuild.cxx();
        if (cxx != null) {
            return new ArrayList<>(List.of(cxx, "-std=c++17", "-O2", "-ffp-contract=off",
                    "-I", include.toString(), source.toString(), "-o"));
        }
        if (HostBuild.onPath("nvcc")) {
            return new ArrayList<>(List.of("nvcc", "-std=c++17", "-O2", "-x", "cu",
                    "-I", include.toString(), source.toString(), "-o"));
        }
        return null;
    }

    private static Run run(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        return HostBuild.run(cmd, timeoutSeconds);
    }

    private static String driver(String... args) throws IOException, InterruptedException {
        assumeTrue(compilerMissing == null, compilerMissing);
        List<String> cmd = new ArrayList<>();
        cmd.add(driver.toString());
        cmd.addAll(List.of(args));
        Run r = run(cmd, 120);
        assertEquals(0, r.code(), () -> "host driver failed: " + String.join(" ", cmd) + "\n" + r.output());
        return r.output();
    }

    // ------------------------------------------------------------------ the list and the table

    /** The header's op codes are Kind's ordinals, with the kernel names and from-output flags Java expects. */
    @Test
    void opCodesFollowKind() throws Exception {
        String[] lines = driver("ops").strip().split("\n");
        Kind[] kinds = Kind.values();
        assertEquals(kinds.length, lines.length, "one op code per Kind");
        Set<Kind> fromOutput = EnumSet.noneOf(Kind.class);
        for (Activation f : Activations.all()) {
            if (f.backwardFromOutput()) {
                fromOutput.add(f.kind());
            }
        }
        for (Kind k : kinds) {
            String[] w = lines[k.ordinal()].strip().split(" ");
            assertEquals(String.valueOf(k.ordinal()), w[0], "op code of " + k);
            assertEquals(k.name(), w[1], "op code " + k.ordinal());
            assertEquals(k.kernelName(), w[2], "kernel name of " + k);
            assertEquals(fromOutput.contains(k) ? "1" : "0", w[3], "backward_from_output kernel of " + k);
        }
    }

    /** nonlin_math.cuh's erfcx table is {@code dev.nonlin.cpu.Erfc.P}, bit for bit. */
    @Test
    void erfcxTableMatchesJava() throws Exception {
        Field f = Class.forName("dev.nonlin.cpu.Erfc").getDeclaredField("P");
        f.setAccessible(true);
        double[] java = (double[]) f.get(null);
        String[] lines = driver("erfcx").strip().split("\n");
        assertEquals(java.length, lines.length, "erfcx table length");
        for (int i = 0; i < java.length; i++) {
            assertEquals(Double.doubleToRawLongBits(java[i]), Long.parseUnsignedLong(lines[i].strip(), 16),
                    "erfcx coefficient " + i + ": Java " + java[i]);
        }
    }

    // ------------------------------------------------------------------ what `nonlin accuracy` measures on the device

    /**
     * nonlin_accuracy.cuh's ulp_error and backward_ulp_error are {@link Ulp#ulps} and
     * {@link Ulp#backwardUlps}, bit for bit: around every kind of float (zeros, subnormals,
     * binade edges, MAX and the overflow boundary, ±∞, NaN), with exact values a fraction of an
     * ULP and many ULPs away, and dy from 0 to ∞. So the device's errors are Java's errors.
     */
    @Test
    void ulpMeasureMatchesJava() throws Exception {
        assumeTrue(compilerMissing == null, compilerMissing);
        float[] gots = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 3 * Float.MIN_VALUE, Float.MIN_NORMAL,
                Math.nextDown(Float.MIN_NORMAL), 1f, Math.nextDown(1f), Math.nextUp(1f), -2f, 0.1f, 1e-30f, 1e30f,
                Float.MAX_VALUE, -Float.MAX_VALUE, Math.nextDown(Float.MAX_VALUE), Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN, 123.456f, -7.5e-39f};
        double[] offsets = {0, 0.25, 0.5, 0.75, 1, 3.5, -0.3, -1, 1e6, -1e-300};
        float[] dys = {1f, 0f, 0.5f, 3e5f, Float.MIN_VALUE, Float.POSITIVE_INFINITY, Float.NaN, -2f};
        List<Object[]> cases = new ArrayList<>();
        Random r = new Random(Contract.SEED);
        for (float got : gots) {
            double ulp = Float.isFinite(got) ? Math.ulp(got) : 1;
            for (double off : offsets) {
                for (float dy : dys) {
                    cases.add(new Object[] {got, got + off * ulp, dy});
                }
            }
            cases.add(new Object[] {got, Double.NaN, 1f});
            cases.add(new Object[] {got, Double.POSITIVE_INFINITY, 1f});
            cases.add(new Object[] {got, Double.NEGATIVE_INFINITY, 1f});
            cases.add(new Object[] {got, 3.4028235677973366e38, 1f});   // rounds to +∞ as a float
            cases.add(new Object[] {got, 3.4028235677973362e38, 1f});   // rounds to MAX_VALUE
        }
        for (int i = 0; i < 20_000; i++) {
            float got = Float.intBitsToFloat(r.nextInt());
            double exact = Float.isFinite(got) ? got * (1 + r.nextGaussian() * 1e-6) : r.nextGaussian();
            cases.add(new Object[] {got, exact, (float) (r.nextGaussian() * 10)});
        }
        ByteBuffer in = ByteBuffer.allocate(16 * cases.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (Object[] c : cases) {
            in.putFloat((Float) c[0]).putDouble((Double) c[1]).putFloat((Float) c[2]);
        }
        Path inFile = dir.resolve("ulp.in");
        Path outFile = dir.resolve("ulp.out");
        Files.write(inFile, in.array());
        driver("ulp", inFile.toString(), outFile.toString());
        ByteBuffer out = ByteBuffer.wrap(Files.readAllBytes(outFile)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(16L * cases.size(), out.capacity(), "two doubles per case");
        for (Object[] c : cases) {
            float got = (Float) c[0];
            double exact = (Double) c[1];
            float dy = (Float) c[2];
            double u = out.getDouble();
            double bu = out.getDouble();
            String what = "got " + got + ", exact " + exact + ", dy " + dy;
            assertEquals(Double.doubleToLongBits(Ulp.ulps(got, exact)), Double.doubleToLongBits(u), "ulps: " + what);
            assertEquals(Double.doubleToLongBits(Ulp.backwardUlps(got, exact, dy)), Double.doubleToLongBits(bu),
                    "backwardUlps: " + what);
        }
    }

    /** The device's random dy (accuracy_dy) is {@link Accuracy#randomDy}, bit for bit, for any seed and index. */
    @Test
    void randomDyMatchesJava() throws Exception {
        for (long seed : new long[] {1, 0, -1, 0x1234567890abcdefL, Contract.SEED}) {
            long start = seed == Contract.SEED ? (1L << 32) - 500 : 0;
            String[] lines = driver("dy", String.format(Locale.ROOT, "%016x", seed), Long.toString(start), "1000")
                    .strip().split("\n");
            assertEquals(1000, lines.length);
            for (int i = 0; i < lines.length; i++) {
                float java = Accuracy.randomDy(seed, start + i);
                assertEquals(Float.floatToRawIntBits(java), (int) Long.parseLong(lines[i].strip(), 16),
                        "dy(seed " + seed + ", index " + (start + i) + ")");
            }
        }
    }

    /**
     * The kernels themselves (cuda/pointwise.cu, softmax.cu, prelu.cu), run on the CPU through
     * cuda/test/cuda_host_emu.h: grid-stride loops, the float4 path and its tail, misaligned
     * pointers, in place, warp- and block-per-row softmax, the dα reductions and their
     * determinism. See cuda/test/kernel_emu.cpp.
     */
    @Test
    void kernelsOnTheHostEmulator() throws Exception {
        assumeTrue(compilerMissing == null, compilerMissing);
        assumeTrue(emulatorBuild != null, "the emulator needs g++ or clang++ (C++20), not nvcc");
        assertTrue(emulatorBuild.waitFor(300, TimeUnit.SECONDS), "emulator build timed out");
        assertEquals(0, emulatorBuild.exitValue(), () -> "compiling the kernel emulator failed: "
                + String.join(" ", emulatorCommand) + "\n" + readLog(dir.resolve("kernel_emu.log")));
        Run r = run(List.of(dir.resolve("kernel_emu").toString()), 300);
        String tail = r.output().lines().reduce((a, b) -> b).orElse("");
        System.out.println("kernel emulator: " + tail);
        assertEquals(0, r.code(), () -> "kernels on the host emulator:\n" + r.output());
    }

    private static String readLog(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    // ------------------------------------------------------------------ every catalogue entry

    static Stream<Activation> catalogue() {
        return Activations.all().stream();
    }

    /** Kinks, clamps and thresholds of the formulas, on top of Contract.specialValues(). */
    private static final float[] EDGES = {3f, 6f, 2.9999998f, 3.0000002f, 5.9999995f, 40f, 41f, 20f, 21f, 350f, 351f,
            10f, 10.000001f, 9.999999f, 12.9f, 13.2f, 0.1f, 1e-30f, 1e-38f, 103f, 104f, 745f, 0.5f, 1.5f, 2.5f};

    /** Special values (with both signs of the edges), then random draws: one input vector for every function. */
    private static float[] inputs(long salt) {
        List<Float> v = new ArrayList<>();
        for (float s : Contract.specialValues()) {
            v.add(s);
        }
        for (float e : EDGES) {
            v.add(e);
            v.add(-e);
        }
        float[] r = Contract.randomValues(new Random(Contract.SEED ^ salt), 120_000);
        float[] a = new float[v.size() + r.length];
        for (int i = 0; i < v.size(); i++) {
            a[i] = v.get(i);
        }
        System.arraycopy(r, 0, a, v.size(), r.length);
        return a;
    }

    /** dy: Gaussian, except for a block of special dy (0, ±∞, NaN, ±MAX, subnormal) against the special x. */
    private static float[] dys(float[] x, long salt) {
        Random r = new Random(Contract.SEED ^ salt);
        float[] dy = new float[x.length];
        for (int i = 0; i < dy.length; i++) {
            dy[i] = (float) r.nextGaussian();
        }
        return dy;
    }

    private static final float[] SPECIAL_DY = {0f, -0f, 1f, -1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.NaN, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, 1e-30f};

    /** Every special x against every special dy. */
    private static void addSpecialDy(List<float[]> pairs) {
        for (float x : Contract.specialValues()) {
            for (float dy : SPECIAL_DY) {
                pairs.add(new float[] {x, dy});
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void kernelMathMeetsTheContract(Activation f) throws Exception {
        assumeTrue(compilerMissing == null, compilerMissing);
        if (f.rowWise()) {
            rowWise(f);
        } else {
            elementwise(f);
        }
    }

    private static void elementwise(Activation f) throws Exception {
        float[] xs = inputs(f.kind().ordinal());
        float[] gs = dys(xs, 31L * f.kind().ordinal() + 1);
        List<float[]> extra = new ArrayList<>();
        addSpecialDy(extra);
        int n = xs.length + extra.size();
        float[] x = new float[n];
        float[] dy = new float[n];
        System.arraycopy(xs, 0, x, 0, xs.length);
        System.arraycopy(gs, 0, dy, 0, gs.length);
        for (int i = 0; i < extra.size(); i++) {
            x[xs.length + i] = extra.get(i)[0];
            dy[xs.length + i] = extra.get(i)[1];
        }
        float[] pairs = new float[2 * n];
        for (int i = 0; i < n; i++) {
            pairs[2 * i] = x[i];
            pairs[2 * i + 1] = dy[i];
        }
        Path in = Files.write(dir.resolve(f.kind().kernelName() + "-" + f.hashCode() + ".in"), HostBuild.floats(pairs));
        Path out = dir.resolve(f.kind().kernelName() + "-" + f.hashCode() + ".out");
        driver("pointwise", String.valueOf(f.kind().ordinal()), HostBuild.hex(f.p0()), HostBuild.hex(f.p1()), in.toString(), out.toString());
        float[] r = HostBuild.readFloats(out);
        assertEquals(3 * n, r.length, "driver output length");

        Kind k = f.kind();
        double p0 = f.p0();
        double p1 = f.p1();
        Worst fw = new Worst();
        Worst bw = new Worst();
        Worst bo = new Worst();
        int differ = 0;
        for (int i = 0; i < n; i++) {
            float y = r[3 * i];
            float dx = r[3 * i + 1];
            double ey = Scalar.forward(k, p0, p1, x[i]);
            fw.offer(Contract.ulps(y, ey), i, x[i], ey, y);
            if (Float.floatToIntBits(y) != Float.floatToIntBits((float) ey)) {
                differ++;
            }
            double edx = dy[i] * Scalar.derivative(k, p0, p1, x[i]);
            bw.offer(Contract.backwardUlps(dx, edx, dy[i]), i, x[i], edx, dx);
            if (f.backwardFromOutput()) {
                // the reference is the derivative written in y, at the y the kernel math produced
                float dxo = r[3 * i + 2];
                double edxo = dy[i] * Scalar.derivativeFromOutput(k, p0, p1, y);
                bo.offer(Contract.backwardUlps(dxo, edxo, dy[i]), i, y, edxo, dxo);
            }
        }
        summary(f, fw, bw, f.backwardFromOutput() ? bo : null);
        System.out.printf(Locale.ROOT, "kernel math %-40s forward differs from Java's (float) reference in %d of %d elements%n",
                f, differ, n);
        assertTrue(fw.err <= Contract.FORWARD_ULPS, () -> fw.describe(f + " kernel-math forward"));
        assertTrue(bw.err <= Contract.BACKWARD_ULPS, () -> bw.describe(f + " kernel-math backward (dy at index)"));
        if (f.backwardFromOutput()) {
            assertTrue(bo.err <= Contract.BACKWARD_ULPS, () -> bo.describe(f + " kernel-math backward from output (input shown is y)"));
        }
    }

    private static void summary(Activation f, Worst fw, Worst bw, Worst bo) {
        System.out.printf(Locale.ROOT, "kernel math %-40s forward %.2f ULP (x=%s)  backward %.2f ULP (x=%s)%s%n",
                f, fw.err, fw.input, bw.err, bw.input,
                bo == null ? "" : String.format(Locale.ROOT, "  from output %.2f ULP (y=%s)", bo.err, bo.input));
    }

    // ------------------------------------------------------------------ row-wise

    /** Ordinary rows of many lengths and the special rows (±∞, NaN, all −∞, ties, huge spread, subnormals). */
    private static List<float[]> rows(long salt) {
        Random r = new Random(Contract.SEED ^ salt);
        List<float[]> rows = new ArrayList<>();
        for (int len : new int[] {1, 2, 3, 7, 16, 31, 32, 33, 100, 257, 1000, 4099}) {
            for (double scale : new double[] {1, 10, 100}) {
                float[] row = new float[len];
                for (int i = 0; i < len; i++) {
                    row[i] = (float) (r.nextGaussian() * scale);
                }
                rows.add(row);
            }
        }
        float[] wide = Contract.randomValues(r, 513);   // includes random bit patterns: NaN, ±∞, huge
        rows.add(wide);
        float inf = Float.POSITIVE_INFINITY;
        float nan = Float.NaN;
        rows.add(new float[] {0f, -50f, -100f});                     // log_softmax(0) ≈ −2e-22: the log1p
        rows.add(new float[] {0f, -20f, -20f, -20f});
        rows.add(new float[] {1e4f, -1e4f, 0f, 3f});
        rows.add(new float[] {-inf});
        rows.add(new float[] {-inf, -inf, -inf});                   // safe softmax
        rows.add(new float[] {-inf, 1f, 2f});
        rows.add(new float[] {inf});
        rows.add(new float[] {inf, 1f, inf});
        rows.add(new float[] {inf, -inf, 3f});
        rows.add(new float[] {1f, nan, 2f});
        rows.add(new float[] {nan});
        rows.add(new float[] {inf, nan});
        rows.add(new float[] {Float.MAX_VALUE, -Float.MAX_VALUE, 0f});
        rows.add(new float[] {88.7f, 88.7f, 88.7f});                // ties at the max
        rows.add(new float[] {5f, 5f, 4f, -3f});
        rows.add(new float[] {Float.MIN_VALUE, -Float.MIN_VALUE, 0f, 1e-40f});
        rows.add(new float[] {-1e30f, -1e30f, -1e30f - 1e24f});
        rows.add(new float[] {});
        return rows;
    }

    private static void rowWise(Activation f) throws Exception {
        Kind k = f.kind();
        List<float[]> rows = rows(k.ordinal());
        List<float[]> dys = new ArrayList<>();
        Random r = new Random(Contract.SEED ^ (97L * k.ordinal()));
        int words = 0;
        for (float[] row : rows) {
            float[] dy = new float[row.length];
            for (int i = 0; i < dy.length; i++) {
                dy[i] = (float) r.nextGaussian();
            }
            dys.add(dy);
            words += 1 + 2 * row.length;
        }
        ByteBuffer b = ByteBuffer.allocate(4 * words).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < rows.size(); j++) {
            b.putInt(rows.get(j).length);
            for (float v : rows.get(j)) {
                b.putFloat(v);
            }
            for (float v : dys.get(j)) {
                b.putFloat(v);
            }
        }
        Path in = Files.write(dir.resolve(k.kernelName() + ".rows.in"), b.array());
        Path out = dir.resolve(k.kernelName() + ".rows.out");
        driver("rows", String.valueOf(k.ordinal()), in.toString(), out.toString());
        float[] res = HostBuild.readFloats(out);
        assertEquals(3 * (words - rows.size()) / 2, res.length, "driver output length");

        Worst fw = new Worst();
        Worst bw = new Worst();
        Worst bo = new Worst();
        int at = 0;
        for (int j = 0; j < rows.size(); j++) {
            float[] x = rows.get(j);
            float[] dy = dys.get(j);
            int n = x.length;
            double[] ey = Contract.forwardRow(f, x, 0, n);
            double[] edx = Contract.backwardRow(f, x, 0, dy, 0, n);
            // Jacobian rows mix the whole row, so the contract's |dy| is the row's L1 norm Σ|dy_j|
            // (as CpuContractTest).
            double l1 = 0;
            for (float v : dy) {
                l1 += Math.abs(v);
            }
            float[] y = new float[n];
            for (int i = 0; i < n; i++) {
                y[i] = res[at + 3 * i];
            }
            double[] edxo = backwardFromOutputRow(k, y, dy);
            for (int i = 0; i < n; i++) {
                int e = at / 3 + i;
                fw.offer(Contract.ulps(y[i], ey[i]), e, x[i], ey[i], y[i]);
                bw.offer(Contract.backwardUlps(res[at + 3 * i + 1], edx[i], l1), e, x[i], edx[i], res[at + 3 * i + 1]);
                bo.offer(Contract.backwardUlps(res[at + 3 * i + 2], edxo[i], l1), e, y[i], edxo[i], res[at + 3 * i + 2]);
            }
            at += 3 * n;
        }
        summary(f, fw, bw, bo);
        assertTrue(fw.err <= Contract.FORWARD_ULPS, () -> fw.describe(f + " kernel-math forward (index over all rows)"));
        assertTrue(bw.err <= Contract.BACKWARD_ULPS, () -> bw.describe(f + " kernel-math backward"));
        assertTrue(bo.err <= Contract.BACKWARD_ULPS, () -> bo.describe(f + " kernel-math backward from output (input shown is y)"));
    }

    /** Rows' backward from the float output y, in double (dev.nonlin.cpu.Rows.backwardFromOutput). */
    private static double[] backwardFromOutputRow(Kind k, float[] y, float[] dy) {
        int n = y.length;
        double[] dx = new double[n];
        double red = 0;
        for (int i = 0; i < n; i++) {
            red += k == Kind.SOFTMAX ? (double) dy[i] * y[i] : dy[i];
        }
        for (int i = 0; i < n; i++) {
            dx[i] = k == Kind.SOFTMAX ? y[i] * (dy[i] - red) : dy[i] - Math.exp(y[i]) * red;
        }
        return dx;
    }

    // ------------------------------------------------------------------ losses

    /** The header's loss op codes are Loss.Kind's ordinals, with the kernel names Java derives. */
    @Test
    void lossOpCodesFollowKind() throws Exception {
        String[] lines = driver("loss_ops").strip().split("\n");
        Loss.Kind[] kinds = Loss.Kind.values();
        assertEquals(kinds.length, lines.length, "one loss op code per Loss.Kind");
        for (Loss.Kind k : kinds) {
            String[] w = lines[k.ordinal()].strip().split(" ");
            assertEquals(String.valueOf(k.ordinal()), w[0], "op code of " + k);
            assertEquals(k.name(), w[1], "op code " + k.ordinal());
            assertEquals(k.kernelName(), w[2], "kernel name of " + k);
        }
    }

    static Stream<Loss> losses() {
        return Losses.all().stream();
    }

    /**
     * Equal within a few double ULPs, or 1e-15 absolute where the result is a difference of terms
     * of order 1 (glibc's and Java's log/exp may differ by one ULP), or both NaN, or equal
     * infinities.
     */
    private static boolean closeDouble(double got, double want) {
        if (Double.isNaN(want) || Double.isNaN(got) || Double.isInfinite(want) || Double.isInfinite(got)) {
            return Double.compare(got, want) == 0 || (Double.isNaN(got) && Double.isNaN(want));
        }
        double d = Math.abs(got - want);
        return d <= 4 * Math.ulp(Math.max(Math.abs(got), Math.abs(want))) || d <= 1e-15;
    }

    /** Equal within a few double ULPs, with no absolute floor. */
    private static boolean closeRelative(double got, double want) {
        return Math.abs(got - want) <= 4 * Math.ulp(Math.max(Math.abs(got), Math.abs(want)));
    }

    private static double[] readDoubles(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        double[] a = new double[b.remaining() / 8];
        for (int i = 0; i < a.length; i++) {
            a[i] = b.getDouble();
        }
        return a;
    }

    /**
     * nonlin_math.cuh's loss math against {@link LossMath}: ℓ and ∂ℓ/∂z per element for the
     * elementwise losses (special z × hard, soft and NaN targets, and random draws), and whole
     * rows (loss and gradient) for softmax cross-entropy, special rows included.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    void lossMathMatchesJava(Loss l) throws Exception {
        assumeTrue(compilerMissing == null, compilerMissing);
        if (l.classTargets()) {
            crossEntropyRows((Loss.SoftmaxCrossEntropy) l);
            return;
        }
        List<float[]> pairs = new ArrayList<>();
        float[] targets = {0f, 1f, 0.5f, 0.1f, Float.NaN};
        float[] zs = l.kind() == Loss.Kind.BCE
                ? new float[] {0f, 1f, 0.5f, 1e-30f, 1e-45f, 0.999999f, 1e-8f, 0.3f, 1.5f, -0.5f, Float.NaN}
                : Contract.specialValues();
        for (float z : zs) {
            for (float t : targets) {
                pairs.add(new float[] {z, t});
            }
        }
        Random r = new Random(Contract.SEED ^ l.hashCode());
        for (int i = 0; i < 20_000; i++) {
            float z = l.kind() == Loss.Kind.BCE ? r.nextFloat() : (float) (r.nextGaussian() * 30);
            pairs.add(new float[] {z, i % 3 == 2 ? r.nextFloat() : i % 3});
        }
        float[] in = new float[2 * pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            in[2 * i] = pairs.get(i)[0];
            in[2 * i + 1] = pairs.get(i)[1];
        }
        String tag = "loss-" + l.kind().kernelName() + "-" + Integer.toHexString(l.hashCode());
        Path inFile = Files.write(dir.resolve(tag + ".in"), HostBuild.floats(in));
        Path out = dir.resolve(tag + ".out");
        // per-column weights reach this math one at a time (losses.cu picks w[i % cols]): take one
        float p0 = l.columnWeights() == null ? l.p0() : l.columnWeights()[1];
        driver("loss", String.valueOf(l.kind().ordinal()), HostBuild.hex(p0), inFile.toString(), out.toString());
        double[] res = readDoubles(out);
        assertEquals(2 * pairs.size(), res.length, "driver output length");
        for (int i = 0; i < pairs.size(); i++) {
            float z = pairs.get(i)[0];
            float t = pairs.get(i)[1];
            double term = LossMath.term(l.kind(), p0, z, t);
            double grad = LossMath.gradient(l.kind(), p0, z, t);
            // bce's loss at t = 0 is −log(1 − p), about p for a tiny p: nothing cancels, so no
            // absolute floor (it hid a kernel that rounded 1 − p and returned 0 there)
            boolean tinyLoss = l.kind() == Loss.Kind.BCE && t == 0 && z > 0 && z < 1e-6f;
            boolean termOk = tinyLoss ? closeRelative(res[2 * i], term) : closeDouble(res[2 * i], term);
            if (!termOk || !closeDouble(res[2 * i + 1], grad)) {
                fail(l + " at z = " + z + ", t = " + t + ": kernel math ℓ = " + res[2 * i] + ", ∂ℓ/∂z = " + res[2 * i + 1]
                        + "; Java " + term + ", " + grad + " (seed " + Contract.SEED + ")");
            }
        }
    }

    private void crossEntropyRows(Loss.SoftmaxCrossEntropy l) throws Exception {
        Random r = new Random(Contract.SEED ^ l.hashCode());
        List<float[]> rows = new ArrayList<>();
        List<Integer> targets = new ArrayList<>();
        for (int len : new int[] {1, 2, 3, 10, 33, 1000, 2049}) {
            for (int k = 0; k < 4; k++) {
                float[] row = new float[len];
                for (int i = 0; i < len; i++) {
                    row[i] = (float) (r.nextGaussian() * (k == 3 ? 100 : 3));
                }
                rows.add(row);
                targets.add(k == 2 ? l.ignoreIndex() : r.nextInt(len));
            }
        }
        float inf = Float.POSITIVE_INFINITY;
        float[][] special = {{0f, -50f, -100f}, {1e4f, -1e4f, 0f}, {-inf, 1f, 2f}, {1f, Float.NaN}, {inf, 1f}, {-inf, -inf},
                {5f, 5f, 5f}, {88.7f, -88.7f}, {0f}};
        int[] specialTargets = {0, 1, 0, 0, 0, 1, 2, 1, 0};
        for (int i = 0; i < special.length; i++) {
            rows.add(special[i]);
            targets.add(specialTargets[i]);
        }
        rows.add(new float[] {1f, 2f});
        targets.add(5);   // a bad target: NaN row (reached through tensors only)
        int words = 0;
        for (float[] row : rows) {
            words += 2 + row.length;
        }
        ByteBuffer b = ByteBuffer.allocate(4 * words).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < rows.size(); j++) {
            b.putInt(rows.get(j).length).putInt(targets.get(j));
            for (float v : rows.get(j)) {
                b.putFloat(v);
            }
        }
        String tag = "ce-" + Integer.toHexString(l.hashCode());
        Path in = Files.write(dir.resolve(tag + ".in"), b.array());
        Path out = dir.resolve(tag + ".out");
        driver("ce", String.valueOf(l.ignoreIndex()), HostBuild.hex(l.labelSmoothing()), in.toString(), out.toString());
        double[] res = readDoubles(out);
        int at = 0;
        for (int j = 0; j < rows.size(); j++) {
            float[] z = rows.get(j);
            float[] dz = new float[z.length];
            double loss = LossMath.crossEntropyRow(z, 0, z.length, targets.get(j), l.ignoreIndex(), l.labelSmoothing(),
                    dz, 0, 1.0);
            String what = l + " row " + j + " " + java.util.Arrays.toString(z.length > 8 ? java.util.Arrays.copyOf(z, 8) : z)
                    + " target " + targets.get(j);
            if (!closeDouble(res[at], loss)) {
                // the kernel and Java sum the row in the same order here; only exp/log1p may differ
                assertTrue(Math.abs(res[at] - loss) <= 1e-14 * Math.max(1, Math.abs(loss)),
                        what + ": kernel math ℓ = " + res[at] + ", Java " + loss);
            }
            for (int i = 0; i < z.length; i++) {
                float got = (float) res[at + 1 + i];
                boolean ok = Float.compare(got, dz[i]) == 0 || Math.abs(got - dz[i]) <= Math.ulp(dz[i]);
                int e = i;
                assertTrue(ok, () -> what + ": dz[" + e + "] kernel math " + got + ", Java " + dz[e]);
            }
            at += 1 + z.length;
        }
        assertEquals(res.length, at, "driver output length");
    }

    // ------------------------------------------------------------------ PReLU with α per channel

    /** y, dx and dα with α per column (or one α), as cuda/prelu.cu computes them per element and per sum. */
    @ParameterizedTest(name = "rows={0} cols={1} nalpha={2}")
    @CsvSource({"1,1,1", "3,7,7", "3,7,1", "64,33,33", "1000,5,5", "1000,5,1", "2,1000,1000"})
    void preluPerChannel(int rows, int cols, int nalpha) throws Exception {
        assumeTrue(compilerMissing == null, compilerMissing);
        Random r = new Random(Contract.SEED ^ (rows * 31L + cols + nalpha));
        int n = rows * cols;
        float[] alpha = new float[nalpha];
        for (int a = 0; a < nalpha; a++) {
            alpha[a] = a % 5 == 0 ? 0.25f : (float) (r.nextGaussian() * 0.5);
        }
        float[] x = Contract.randomValues(r, n);
        float[] dy = new float[n];
        for (int i = 0; i < n; i++) {
            dy[i] = (float) r.nextGaussian();
        }
        float[] special = Contract.specialValues();
        for (int i = 0; i < Math.min(n, special.length); i++) {
            x[(int) ((long) i * 7919 % n)] = special[i];
        }
        float[] all = new float[nalpha + 2 * n];
        System.arraycopy(alpha, 0, all, 0, nalpha);
        System.arraycopy(x, 0, all, nalpha, n);
        System.arraycopy(dy, 0, all, nalpha + n, n);
        String tag = "prelu-" + rows + "x" + cols + "-" + nalpha;
        Path in = Files.write(dir.resolve(tag + ".in"), HostBuild.floats(all));
        Path out = dir.resolve(tag + ".out");
        driver("prelu", String.valueOf(rows), String.valueOf(cols), String.valueOf(nalpha), in.toString(), out.toString());
        float[] res = HostBuild.readFloats(out);
        assertEquals(2 * n + nalpha, res.length, "driver output length");

        Worst fw = new Worst();
        Worst bw = new Worst();
        double[] da = new double[nalpha];
        double[] daAbs = new double[nalpha];
        for (int i = 0; i < n; i++) {
            int a = nalpha == 1 ? 0 : i % cols;
            double ey = Scalar.forward(Kind.PRELU, alpha[a], 0, x[i]);
            fw.offer(Contract.ulps(res[i], ey), i, x[i], ey, res[i]);
            double edx = dy[i] * Scalar.derivative(Kind.PRELU, alpha[a], 0, x[i]);
            bw.offer(Contract.backwardUlps(res[n + i], edx, dy[i]), i, x[i], edx, res[n + i]);
            if (!(x[i] > 0)) {
                da[a] += (double) x[i] * dy[i];
                daAbs[a] += Math.abs((double) x[i] * dy[i]);
            }
        }
        Worst dw = new Worst();
        for (int a = 0; a < nalpha; a++) {
            float got = res[2 * n + a];
            // summation order is not part of the contract: the slack is 2⁻²³ of Σ|terms|
            dw.offer(Contract.backwardUlps(got, da[a], daAbs[a]), a, alpha[a], da[a], got);
        }
        assertTrue(fw.err <= Contract.FORWARD_ULPS, () -> fw.describe("prelu per channel forward"));
        assertTrue(bw.err <= Contract.BACKWARD_ULPS, () -> bw.describe("prelu per channel dx"));
        assertTrue(dw.err <= Contract.BACKWARD_ULPS, () -> dw.describe("prelu dα (input shown is α)"));
    }
}
