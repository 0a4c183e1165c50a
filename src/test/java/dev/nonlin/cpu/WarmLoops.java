package dev.nonlin.cpu;

import dev.nonlin.Activation;
import dev.nonlin.Activation.Kind;
import dev.nonlin.Activations;
import dev.nonlin.Contract;
import dev.nonlin.Loss;
import dev.nonlin.Losses;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fast-path checks: once C2 has compiled a SIMD loop, a call allocates nothing. An allocating
 * loop means that C2 boxed the vectors (an inlining or intrinsic miss, see SimdKernels' class
 * comment): results stay right but run 5 to 20 times slower, which no accuracy test can see.
 *
 * <p><b>Each catalogue entry is checked in a JVM of its own</b> ({@link #checkInFreshJvm}), which
 * runs {@link #main} for that entry alone. What C2 makes of a loop depends on everything the JVM
 * ran before it: profiles and trap counts of the Vector API's shared methods, which callers got
 * compiled first and what they inlined (SimdKernels' rule 5). In one JVM after the accuracy tests,
 * these checks passed on every run here and failed in CI (softmax, log_softmax and cross-entropy
 * rows forward, gelu_tanh forward, fully boxed after 60 s). A fresh JVM per entry makes the check
 * a property of that function's own code, which is what a change to SimdKernels can break, and
 * the same on every machine. Whether a long-running JVM that ran every loop keeps them all unboxed
 * is a speed property, measured by the benchmarks (JMH with {@code -prof gc}), not asserted here.
 *
 * <p>The child JVM gets this JVM's flags (so {@code -XX:+PrintInlining} reaches it), its class
 * path and its seed; a failure prints the child's command line, to rerun it by hand. Each loop
 * gets up to 60 s to stop allocating ({@code -Dnonlin.test.warmSeconds=N} to change it). Off with
 * {@code -Dnonlin.test.simdFastPath=false}; skipped where C2 does not run.
 */
final class WarmLoops {

    /** 64 rows of 1024, or 2¹⁶ elements: large enough that a boxed loop cannot hide. */
    private static final int N = 1 << 16;
    /** What a warm GEMM call may allocate: the lambda it hands to the row splitter, never a panel. */
    private static final long GEMM_ALLOWED = 128;
    /** Exit status of the child when the JVM cannot run the check (no C2, no counters). */
    private static final int SKIPPED = 3;

    private WarmLoops() {
    }

    enum Family {
        ACTIVATION, CROSS_ENTROPY, ELEMENTWISE_LOSS, GEMM,
        /** SimdKernels' priming against every loop (index ignored; needs --add-opens). */
        OPERATOR_CACHES
    }

    /** The child: {@code WarmLoops FAMILY INDEX} checks one entry of its family's catalogue list. */
    public static void main(String[] args) {
        Family family = Family.valueOf(args[0]);
        int index = Integer.parseInt(args[1]);
        String why = whyNot();
        if (why != null) {
            System.out.println("SKIPPED: " + why);
            System.exit(SKIPPED);
        }
        if (family == Family.OPERATOR_CACHES && unreadableOperatorCaches() != null) {
            System.out.println("SKIPPED: " + unreadableOperatorCaches());
            System.exit(SKIPPED);
        }
        List<String> failures = check(family, index);
        failures.forEach(f -> System.out.println("FAILED: " + f));
        System.out.println(failures.isEmpty() ? "OK" : failures.size() + " failure(s)");
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /**
     * Runs {@code WarmLoops family index} in a new JVM and fails with its output unless every
     * loop it checked allocates nothing once warm.
     */
    static void checkInFreshJvm(Family family, int index, String what) {
        assumeFalse("false".equals(System.getProperty("nonlin.test.simdFastPath")), "-Dnonlin.test.simdFastPath=false");
        String why = whyNot();
        assumeTrue(why == null, why);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Dnonlin.test.seed=")) {
                cmd.add(a);
            }
        }
        cmd.add("-Dnonlin.test.seed=" + Contract.SEED);
        cmd.add("--add-opens=jdk.incubator.vector/jdk.incubator.vector=ALL-UNNAMED");   // OPERATOR_CACHES reads them
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(WarmLoops.class.getName());
        cmd.add(family.name());
        cmd.add(Integer.toString(index));
        String out;
        int status;
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            // read all of it (the child's checks stop themselves, 60 s each at most), then its status
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(what + ": the child JVM did not exit\n" + out);
            }
            status = p.exitValue();
        } catch (IOException e) {
            throw new AssertionError(what + ": could not start " + cmd.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(what + ": interrupted", e);
        }
        assumeTrue(status != SKIPPED, out);
        int st = status;
        assertTrue(status == 0, () -> what + ": exit status " + st + " of the fresh JVM, which printed:\n"
                + tail(out, 6000) + "\nrerun it with: " + String.join(" ", cmd));
    }

    /**
     * This JVM's class path, and the places this class, the library and JUnit were loaded from
     * (a launcher such as JUnit's console loads them from a path of its own).
     */
    private static String classPath() {
        Set<String> parts = new LinkedHashSet<>();
        for (Class<?> c : new Class<?>[] {WarmLoops.class, SimdKernels.class, Activation.class,
                org.junit.jupiter.api.Assertions.class, org.opentest4j.AssertionFailedError.class}) {
            CodeSource src = c.getProtectionDomain().getCodeSource();
            if (src != null && src.getLocation() != null) {
                try {
                    parts.add(Path.of(src.getLocation().toURI()).toString());
                } catch (URISyntaxException | IllegalArgumentException e) {
                    // not a file: java.class.path has to do
                }
            }
        }
        parts.addAll(Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator)));
        parts.remove("");
        return String.join(File.pathSeparator, parts);
    }

    private static String tail(String s, int max) {
        return s.length() <= max ? s : "…" + s.substring(s.length() - max);
    }

    // ================================================================== the checks (in the child)

    private static final SimdKernels SIMD = new SimdKernels();

    /** What the checks do with each call: time it until warm, or just make it. */
    @FunctionalInterface
    private interface Probe {
        void call(String what, long allowed, Runnable call);
    }

    static List<String> check(Family family, int index) {
        List<String> failures = new ArrayList<>();
        if (family == Family.OPERATOR_CACHES) {
            operatorCaches(failures);
            return failures;
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Probe p = (what, allowed, call) -> allocatesAtMost(threads, what, allowed, failures, call);
        switch (family) {
            case ACTIVATION -> activation(p, Activations.all().get(index));
            case CROSS_ENTROPY -> crossEntropy(p, Losses.all().get(index));
            case ELEMENTWISE_LOSS -> elementwiseLoss(p, Losses.all().get(index));
            case GEMM -> gemm(p);
            case OPERATOR_CACHES -> throw new AssertionError("handled above");
        }
        return failures;
    }

    /** Every loop of every catalogue entry, once each. */
    private static void everyLoop(Probe p) {
        for (Loss l : Losses.all()) {
            if (l.classTargets()) {
                crossEntropy(p, l);
            } else {
                elementwiseLoss(p, l);
            }
        }
        gemm(p);
        for (Activation f : Activations.all()) {
            activation(p, f);
        }
    }

    /**
     * SimdKernels' priming (rule 5) fills every operator cache that the loops use: after the
     * first instance, running every loop of every catalogue entry fills no new entry of the
     * Vector API's {@code ImplCache}s (read by reflection, hence the child's --add-opens). A loop
     * that uses an operator the priming did not reach would fill it later, inside compiled code,
     * where the cache miss traps and pushes large loops over C2's trap limit.
     */
    private static void operatorCaches(List<String> failures) {
        new SimdKernels();
        Set<String> primed = filledOperatorCaches();
        if (primed.isEmpty() && !"false".equals(System.getProperty("nonlin.simd.prime"))) {
            failures.add("no operator cache filled after priming: the caches are not where this check looks");
            return;
        }
        everyLoop((what, allowed, call) -> call.run());
        Set<String> after = filledOperatorCaches();
        after.removeAll(primed);
        for (String entry : after) {
            failures.add("operator cache entry " + entry + " was first filled by a loop, not by SimdKernels' priming");
        }
    }

    /** Why this JDK's operator caches cannot be read (another layout, or no --add-opens), or null. */
    private static String unreadableOperatorCaches() {
        try {
            filledOperatorCaches();
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /**
     * "FloatVector.BIN_IMPL[3]" for every filled slot of the ImplCaches of the float, double and
     * long vectors.
     *
     * @throws IllegalStateException when this JDK's fields are not there or not open
     */
    private static Set<String> filledOperatorCaches() {
        Set<String> filled = new TreeSet<>();
        try {
            Class<?> implCache = Class.forName("jdk.incubator.vector.VectorOperators$ImplCache");
            java.lang.reflect.Field cache = implCache.getDeclaredField("cache");
            cache.setAccessible(true);
            for (String v : new String[] {"FloatVector", "DoubleVector", "LongVector"}) {
                for (java.lang.reflect.Field f : Class.forName("jdk.incubator.vector." + v).getDeclaredFields()) {
                    if (f.getType() != implCache || !java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                        continue;
                    }
                    f.setAccessible(true);
                    Object[] slots = (Object[]) cache.get(f.get(null));
                    for (int i = 0; i < slots.length; i++) {
                        if (slots[i] != null) {
                            filled.add(v + "." + f.getName() + "[" + i + "]");
                        }
                    }
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot read the Vector API's operator caches: " + e, e);
        }
        return filled;
    }

    private static void activation(Probe p, Activation f) {
        Kind k = f.kind();
        double p0 = f.p0();
        double p1 = f.p1();
        int n = N;
        float[] x = Contract.randomValues(new Random(Contract.SEED), n);
        float[] dy = SimdKernelsTest.uniforms(new Random(Contract.SEED ^ 1), n);
        float[] y = new float[n];
        float[] dx = new float[n];
        float[] alpha = SimdKernelsTest.uniforms(new Random(Contract.SEED ^ 2), n);
        if (f.rowWise()) {
            // 64 rows of 1024 finite values: the SIMD path, not Rows' special rows
            int cols = 1024;
            float[] xr = SimdKernelsTest.gaussians(new Random(Contract.SEED ^ 3), n);
            double[] tmp = new double[cols];
            p.call(f + " rows forward", 0, () -> {
                for (int r = 0; r < n; r += cols) {
                    SIMD.rowForward(k, xr, r, y, r, cols, tmp);
                }
            });
            p.call(f + " rows backward", 0, () -> {
                for (int r = 0; r < n; r += cols) {
                    SIMD.rowBackward(k, xr, r, dy, r, dx, r, cols, tmp);
                }
            });
            p.call(f + " rows backward from output", 0, () -> {
                for (int r = 0; r < n; r += cols) {
                    SIMD.rowBackwardFromOutput(k, y, r, dy, r, dx, r, cols);
                }
            });
            return;
        }
        p.call(f + " forward", 0, () -> SIMD.forward(k, p0, p1, x, 0, y, 0, n));
        p.call(f + " backward", 0,
                () -> SIMD.backward(k, p0, p1, x, 0, dy, 0, dx, 0, n));
        if (f.backwardFromOutput()) {
            p.call(f + " backward from output", 0,
                    () -> SIMD.backwardFromOutput(k, p0, p1, y, 0, dy, 0, dx, 0, n));
        }
        if (k == Kind.PRELU) {
            p.call(f + " per-channel forward", 0,
                    () -> SIMD.preluForward(x, 0, alpha, y, 0, n));
            p.call(f + " per-channel backward", 0,
                    () -> SIMD.preluBackward(x, 0, alpha, dy, 0, dx, 0, n));
        }
    }

    /** Softmax cross-entropy: 64 rows of 1024 finite logits, and a block of 1638 rows of 10, forward and backward. */
    private static void crossEntropy(Probe p, Loss l) {
        Loss.SoftmaxCrossEntropy ce = (Loss.SoftmaxCrossEntropy) l;
        int cols = 1024;
        int n = N;
        float[] z = SimdKernelsTest.gaussians(new Random(Contract.SEED ^ 3), n);
        float[] dz = new float[n];
        int[] target = new int[n / cols];
        Random r = new Random(Contract.SEED ^ 4);
        for (int i = 0; i < target.length; i++) {
            target[i] = r.nextInt(cols);
        }
        double[] tmp = new double[cols];
        double eps = ce.labelSmoothing();
        int ignore = ce.ignoreIndex();
        p.call(l + " rows forward", 0, () -> {
            for (int row = 0; row < target.length; row++) {
                SIMD.crossEntropyRow(z, row * cols, cols, target[row], ignore, eps, null, 0, 0.0, tmp);
            }
        });
        p.call(l + " rows backward", 0, () -> {
            for (int row = 0; row < target.length; row++) {
                SIMD.crossEntropyRow(z, row * cols, cols, target[row], ignore, eps, dz, row * cols, 0.5, tmp);
            }
        });
        // narrow rows a block at a time (crossEntropyRows), as CpuBackend calls it: 1638 rows of 10
        int narrow = 10;
        int rows = CpuBackend.REDUCE_BLOCK / narrow;
        float[] zb = SimdKernelsTest.gaussians(new Random(Contract.SEED ^ 5), rows * narrow);
        float[] dzb = new float[zb.length];
        int[] tb = new Random(Contract.SEED ^ 6).ints(rows, 0, narrow).toArray();
        double[] tmpb = new double[SIMD.crossEntropyScratch(rows, narrow)];
        p.call(l + " blocks forward", 0,
                () -> SIMD.crossEntropyRows(zb, 0, rows, narrow, tb, 0, ignore, eps, null, 0, 0.0, tmpb));
        p.call(l + " blocks backward", 0,
                () -> SIMD.crossEntropyRows(zb, 0, rows, narrow, tb, 0, ignore, eps, dzb, 0, 0.5, tmpb));
    }

    /** The elementwise losses' sum and gradient loops over 2¹⁶ elements. */
    private static void elementwiseLoss(Probe p, Loss l) {
        Loss.Kind k = l.kind();
        int n = N;
        Random r = new Random(Contract.SEED ^ 5);
        float[] z = SimdKernelsTest.lossInputs(l, r, n);
        float[] t = SimdKernelsTest.lossTargets(r, n);
        float[] w = SimdKernelsTest.lossWeights(l, r, n, true);
        float[] dz = new float[n];
        double[] tmp = new double[Kernels.LOSS_CHUNK];
        p.call(l + " Σℓ", 0, () -> SIMD.lossSum(k, w, 0, z, 0, t, 0, n, tmp));
        p.call(l + " dz", 0, () -> SIMD.lossGradient(k, w, 0, z, 0, t, 0, 0.5, dz, 0, n));
    }

    /**
     * The SIMD GEMM reuses its packing buffers: once warm, a call allocates at most the lambda it
     * hands to the row splitter (a few dozen bytes), never a panel (KiBs), for every transpose and
     * with edge tiles and two k blocks (100 × 37 × 300).
     */
    private static void gemm(Probe p) {
        int m = 100;
        int n = 37;
        int k = 300;
        float[] a = SimdKernelsTest.uniforms(new Random(Contract.SEED), m * k);
        float[] b = SimdKernelsTest.uniforms(new Random(Contract.SEED ^ 1), k * n);
        float[] c = new float[m * n];
        Gemm gemm = SIMD.gemm();
        Gemm.RowSplitter here = (rows, grain, work, body) -> body.run(0, rows);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                p.call("gemm ta=" + ta + " tb=" + tb, GEMM_ALLOWED,
                        () -> gemm.multiply(ta, tb, m, n, k, 1f, a, b, 0.5f, c, here));
            }
        }
    }

    /** Calls until a call allocates at most {@code allowed} bytes, for up to 60 s; records a failure if none did. */
    private static void allocatesAtMost(com.sun.management.ThreadMXBean threads, String what, long allowed,
                                        List<String> failures, Runnable call) {
        long bytes = Long.MAX_VALUE;
        int calls = 0;
        // generous: under load, C2 (a background thread) can take many seconds to get to this loop
        long deadline = System.nanoTime() + Long.getLong("nonlin.test.warmSeconds", 60) * 1_000_000_000L;
        while (bytes > allowed && System.nanoTime() < deadline) {
            long before = threads.getCurrentThreadAllocatedBytes();
            call.run();
            bytes = threads.getCurrentThreadAllocatedBytes() - before;
            calls++;
        }
        if (bytes > allowed) {
            failures.add(what + ": still allocating " + bytes + " bytes per call after " + calls
                    + " calls: C2 boxed the vectors (check with -XX:+UnlockDiagnosticVMOptions"
                    + " -XX:+PrintCompilation -XX:+PrintInlining, see SimdKernels)");
        }
    }

    /** Why this JVM cannot run the check (no C2, no per-thread allocation counters), or null. */
    private static String whyNot() {
        if (!c2Compiles()) {
            return "no C2 in this JVM (-Xint or TieredStopAtLevel < 4)";
        }
        try {
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            if (!(mx instanceof com.sun.management.ThreadMXBean t) || !t.isThreadAllocatedMemorySupported()) {
                return "needs per-thread allocation counters";
            }
        } catch (LinkageError e) {
            return "needs per-thread allocation counters (jdk.management): " + e;
        }
        return null;
    }

    private static boolean c2Compiles() {
        if (ManagementFactory.getCompilationMXBean() == null) {
            return false;   // -Xint
        }
        try {
            HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hs == null || Integer.parseInt(hs.getVMOption("TieredStopAtLevel").getValue()) >= 4
                    || "false".equals(hs.getVMOption("TieredCompilation").getValue());
        } catch (RuntimeException | LinkageError e) {
            return true;   // not HotSpot: let the test speak
        }
    }
}
