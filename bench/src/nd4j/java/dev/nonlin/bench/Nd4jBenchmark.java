package dev.nonlin.bench;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.cpu.CpuBackend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.impl.scalar.LeakyReLU;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.api.ops.impl.transforms.any.Assign;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.EluBp;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.HardTanhBp;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.LeakyReLUBp;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.SeluBp;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.SigmoidDerivative;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.SoftPlusBp;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.SoftSignBp;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.TanhDerivative;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.ELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELUDerivative;
import org.nd4j.linalg.api.ops.impl.transforms.strict.HardTanh;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Mish;
import org.nd4j.linalg.api.ops.impl.transforms.strict.MishDerivative;
import org.nd4j.linalg.api.ops.impl.transforms.strict.SELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.SoftPlus;
import org.nd4j.linalg.api.ops.impl.transforms.strict.SoftSign;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Swish;
import org.nd4j.linalg.api.ops.impl.transforms.strict.SwishDerivative;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * How does the CPU path compare with ND4J's CPU backend (nd4j-native 1.0.0-M2.1, libnd4j in C++
 * with its own thread pool) on the same machine? Built only with {@code -Pnd4j}. Run it in the same
 * JMH invocation as {@link ActivationBenchmark}, with the same {@code -p function=... -p size=...},
 * so that both sides see the same machine state:
 * <ul>
 *   <li>{@code threads=1} (ND4J limited to one thread) against {@code cpu-simd};
 *   <li>{@code threads=all} (ND4J's default, one per core) against {@code cpu-parallel}.
 * </ul>
 * The parameter is named {@code threads}, not {@code backend}, so that {@code -p backend=...}
 * for ActivationBenchmark leaves this class alone.
 *
 * <p>Roofline: as in ActivationBenchmark, 8 bytes per element forward and 12 backward; here
 * {@code arraycopy} is ND4J's own copy ({@code Assign}) between its off-heap buffers.
 *
 * <p>What is timed: ND4J's natural form, off-heap {@code INDArray}s created in setup, with the
 * output written into a preallocated array. The op objects are built in setup too and executed
 * again on each call, so the timed method allocates no arrays. Backward is what ND4J's own
 * activation layers run: a fused {@code *Bp}/{@code *Derivative} custom op that takes dy where
 * ND4J has one (sigmoid, tanh, relu, leaky_relu, elu, selu, softplus, hardtanh, softsign), else the
 * derivative op followed by a multiplication by dy, two passes (silu, gelu, mish).
 *
 * <p>Function by function:
 * <ul>
 *   <li>{@code gelu}: ND4J's {@code GELU} is the <em>sigmoid approximation</em>
 *       x·σ(1.702·x), a cheaper function than nonlin's exact (erf) GELU; the comparison flatters
 *       ND4J, and its results differ from the exact GELU by up to about 0.02.
 *   <li>{@code gelu(approximate=tanh)} is not offered: ND4J's {@code PreciseGELU}, meant to be the
 *       tanh form, computes x/2·(1 + tanh(√(2/π)·(x + (0.044715·x)³))), the cube taken of
 *       0.044715·x instead of x, so it is another function (0.034 off at x = −2.14; its derivative
 *       0.15 off at x = −1.16), found by the check below.
 *   <li>{@code silu} is ND4J's {@code Swish} (β = 1), {@code leaky_relu} uses slope 0.01,
 *       {@code elu} α = 1, {@code hardtanh} [−1, 1], {@code softplus} log(1 + eˣ) (nonlin's β = 1,
 *       threshold = 20 differs by less than e⁻²⁰ relative).
 * </ul>
 * Before timing, setup runs the op once and compares it with nonlin's result (or, for the
 * sigmoid-approximate GELU, with that formula in double), and prints the largest difference; a gross
 * difference (an op that is not the function it claims to be) fails the setup, so nothing wrong is
 * timed.
 *
 * <p>Threads: {@code threads=1} calls {@code Nd4j.getEnvironment().setMaxMasterThreads(1)} before
 * the first op. That is the knob that works in this version: libnd4j's elementwise loops split
 * over {@code maxMasterThreads}, while {@code setMaxThreads(1)} changes nothing in 1.0.0-M2.1
 * ({@code maxThreads()} still reports the core count after it; libnd4j's Environment.cpp of that
 * era has its body commented out). {@code OMP_NUM_THREADS=1} would also work, but it is read once per process and JMH's
 * forks inherit the launcher's environment, so it could not vary within one run. Each iteration
 * prints the process's CPU time over wall time and the busiest threads' shares of it, so the run
 * itself shows the split: checked on 2026-11-29 on this project's 2-core machine at 2²² elements,
 * {@code threads=1} put 94–100 % of the ticks on one thread, {@code threads=all} 49–50 % on each of two.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx4g"})
public class Nd4jBenchmark {

    @Param({"1", "all"})
    public String threads;

    @Param({"arraycopy", "relu", "leaky_relu", "hardtanh", "softsign", "sigmoid", "tanh", "silu", "elu", "selu",
            "gelu", "mish", "softplus"})
    public String function;

    @Param({"1024", "4096", "16384", "65536", "262144", "1048576", "4194304", "16777216", "67108864"})
    public int size;

    @Param({"forward", "backward"})
    public String direction;

    /** The functions this class maps to ND4J ops. */
    static final List<String> FUNCTIONS = List.of("arraycopy", "relu", "leaky_relu", "hardtanh", "softsign", "sigmoid",
            "tanh", "silu", "elu", "selu", "gelu", "mish", "softplus");

    private INDArray x;
    private INDArray dy;
    private INDArray y;
    private Object[] ops;
    private final IterationClock clock = new IterationClock();

    @Setup
    public void setup() {
        if (!threads.equals("1") && !threads.equals("all")) {
            throw new IllegalArgumentException("threads must be 1 or all, got '" + threads + "'");
        }
        if (!FUNCTIONS.contains(function)) {
            throw new IllegalArgumentException("function '" + function + "' has no ND4J op here; expected one of " + FUNCTIONS);
        }
        if (!direction.equals("forward") && !direction.equals("backward")) {
            throw new IllegalArgumentException("direction must be forward or backward, got '" + direction + "'");
        }
        if (size < 1) {
            throw new IllegalArgumentException("size must be at least 1, got " + size);
        }
        if (threads.equals("1")) {
            // Before the first op. Only maxMasterThreads takes effect in this version (class Javadoc).
            Nd4j.getEnvironment().setMaxMasterThreads(1);
        }
        boolean forward = direction.equals("forward");
        // The same data as ActivationBenchmark (Workload): seed 42, x ~ N(0, 4²), dy ~ N(0, 1).
        float[] hx = new float[size];
        float[] hdy = new float[size];
        Random r = new Random(42);
        for (int i = 0; i < size; i++) {
            hx[i] = (float) (r.nextGaussian() * 4);
            hdy[i] = (float) r.nextGaussian();
        }
        x = Nd4j.createFromArray(hx);
        dy = Nd4j.createFromArray(hdy);
        y = Nd4j.create(DataType.FLOAT, size);
        ops = forward ? forwardOps() : backwardOps();
        run();
        check(hx, hdy, forward);
        System.out.printf(Locale.ROOT, "%nnd4j %s %s: maxThreads=%d, maxMasterThreads=%d%n", function, direction,
                Nd4j.getEnvironment().maxThreads(), Nd4j.getEnvironment().maxMasterThreads());
    }

    private Object[] forwardOps() {
        return switch (function) {
            case "arraycopy" -> new Object[] {new Assign(x, y)};
            case "relu" -> new Object[] {new RectifiedLinear(x, y, 0.0)};
            case "leaky_relu" -> new Object[] {new LeakyReLU(x, y, 0.01)};
            case "hardtanh" -> new Object[] {new HardTanh(x, y)};
            case "softsign" -> new Object[] {new SoftSign(x, y)};
            case "sigmoid" -> new Object[] {new Sigmoid(x, y)};
            case "tanh" -> new Object[] {new Tanh(x, y)};
            case "silu" -> new Object[] {new Swish(x, y)};
            case "elu" -> new Object[] {new ELU(x, y, 1.0)};
            case "selu" -> new Object[] {new SELU(x, y)};
            case "gelu" -> new Object[] {new GELU(x, y)};
            case "mish" -> new Object[] {new Mish(x, y)};
            case "softplus" -> new Object[] {new SoftPlus(x, y)};
            default -> throw new IllegalArgumentException("function '" + function + "' has no ND4J op here");
        };
    }

    private Object[] backwardOps() {
        return switch (function) {
            case "arraycopy" -> new Object[] {new Assign(x, y)};
            case "relu" -> new Object[] {new RectifiedLinearDerivative(x, dy, y)};
            case "leaky_relu" -> new Object[] {new LeakyReLUBp(x, dy, y, 0.01)};
            case "hardtanh" -> new Object[] {new HardTanhBp(x, dy, y)};
            case "softsign" -> new Object[] {new SoftSignBp(x, dy, y)};
            case "sigmoid" -> new Object[] {new SigmoidDerivative(x, dy, y)};
            case "tanh" -> new Object[] {new TanhDerivative(x, dy, y)};
            case "elu" -> new Object[] {new EluBp(x, dy, y, 1.0)};
            case "selu" -> new Object[] {new SeluBp(x, dy, y)};
            case "softplus" -> new Object[] {new SoftPlusBp(x, dy, y)};
            // No fused op: f'(x) into y, then y *= dy, as ND4J's ActivationSwish/GELU/Mish do.
            case "silu" -> new Object[] {new SwishDerivative(x, y), new MulOp(y, dy, y)};
            case "gelu" -> new Object[] {new GELUDerivative(x, y), new MulOp(y, dy, y)};
            case "mish" -> new Object[] {new MishDerivative(x, y), new MulOp(y, dy, y)};
            default -> throw new IllegalArgumentException("function '" + function + "' has no ND4J op here");
        };
    }

    /**
     * ND4J's result against nonlin's (or the sigmoid-approximate GELU's formula), over every
     * element: prints the largest difference, and fails on a gross one.
     */
    private void check(float[] hx, float[] hdy, boolean forward) {
        float[] got = y.toFloatVector();
        float[] want = new float[size];
        if (function.equals("arraycopy")) {
            want = hx;
        } else if (function.equals("gelu")) {
            for (int i = 0; i < size; i++) {
                double v = hx[i];
                double s = 1 / (1 + Math.exp(-1.702 * v));
                want[i] = (float) (forward ? v * s : hdy[i] * (s + 1.702 * v * s * (1 - s)));
            }
        } else {
            Backend cpu = CpuBackend.simd(true);
            Activation f = Activation.parse(function.equals("leaky_relu") ? "leaky_relu(negative_slope=0.01)" : function);
            if (forward) {
                cpu.forward(f, hx, 0, want, 0, 1, size);
            } else {
                cpu.backward(f, hx, 0, hdy, 0, want, 0, 1, size);
            }
        }
        double worst = 0;
        int at = 0;
        for (int i = 0; i < size; i++) {
            double e = Math.abs((double) got[i] - want[i]) / (1 + Math.abs(want[i]));
            if (!(e <= worst)) {   // NaN counts as worst
                worst = e;
                at = i;
                if (Double.isNaN(e)) {
                    break;
                }
            }
        }
        String line = String.format(Locale.ROOT, "nd4j %s %s: largest |nd4j − reference| / (1 + |reference|) = %.3g"
                + " at x = %s (nd4j %s, reference %s)", function, direction, worst, hx[at], got[at], want[at]);
        System.out.println();
        System.out.println(line);
        if (!(worst <= 1e-3)) {
            throw new IllegalStateException(line + ": not the same function, so not timed");
        }
    }

    @Setup(Level.Iteration)
    public void startClock() {
        clock.start();
    }

    @TearDown(Level.Iteration)
    public void stopClock() {
        clock.stop();
    }

    /**
     * Prints how an iteration's CPU time was spread: process CPU over wall time, and the shares of
     * the busiest threads (native ones included). On a machine shared with other work cpu/wall drops
     * below the thread count, but the shares still say how many threads did the work.
     */
    static final class IterationClock {
        private long cpu0;
        private long wall0;
        private Map<String, Long> threads0;

        void start() {
            cpu0 = processCpuNanos();
            wall0 = System.nanoTime();
            threads0 = ThreadTimes.read();
        }

        void stop() {
            long cpu = processCpuNanos() - cpu0;
            long wall = System.nanoTime() - wall0;
            if (cpu0 >= 0 && wall > 0) {
                System.out.printf(Locale.ROOT, " [cpu/wall %.2f; %s]", (double) cpu / wall,
                        ThreadTimes.busiest(threads0, ThreadTimes.read()));
            }
        }

        /** CPU time of the whole process (every thread, native ones too), or -1 where the JVM does not tell. */
        private static long processCpuNanos() {
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
                return os.getProcessCpuTime();
            }
            return -1;
        }
    }

    /** Per-thread CPU ticks from /proc/self/task (Linux); empty elsewhere. */
    static final class ThreadTimes {
        private ThreadTimes() {
        }

        static Map<String, Long> read() {
            Map<String, Long> ticks = new HashMap<>();
            File[] tasks = new File("/proc/self/task").listFiles();
            if (tasks == null) {
                return ticks;
            }
            for (File t : tasks) {
                try {
                    String stat = Files.readString(new File(t, "stat").toPath());
                    // fields after the command name, which is in parentheses and may hold spaces:
                    // state is field 3, utime 14, stime 15
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.put(t.getName(), Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
            return ticks;
        }

        /** "threads: 97% 2% 1%": the three largest shares of the CPU ticks spent between two readings. */
        static String busiest(Map<String, Long> before, Map<String, Long> after) {
            List<Long> d = new ArrayList<>();
            long total = 0;
            for (Map.Entry<String, Long> e : after.entrySet()) {
                long v = e.getValue() - before.getOrDefault(e.getKey(), 0L);
                if (v > 0) {
                    d.add(v);
                    total += v;
                }
            }
            if (total == 0) {
                return "threads: no ticks";
            }
            d.sort(Comparator.reverseOrder());
            StringBuilder b = new StringBuilder("threads:");
            for (int i = 0; i < Math.min(3, d.size()); i++) {
                b.append(' ').append(Math.round(100.0 * d.get(i) / total)).append('%');
            }
            return b.toString();
        }
    }

    @TearDown
    public void tearDown() {
        for (INDArray a : new INDArray[] {x, dy, y}) {
            if (a != null) {
                a.close();
            }
        }
    }

    @Benchmark
    public INDArray run() {
        for (Object op : ops) {
            if (op instanceof CustomOp c) {
                Nd4j.exec(c);
            } else {
                Nd4j.exec((Op) op);
            }
        }
        return y;
    }
}
