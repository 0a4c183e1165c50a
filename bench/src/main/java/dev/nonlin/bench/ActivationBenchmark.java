package dev.nonlin.bench;

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

import java.util.concurrent.TimeUnit;

/**
 * How close to its memory-bandwidth limit is each backend, per elementwise function, size and
 * direction? And, across backends at one size: where does the GPU start to pay?
 *
 * <p>Roofline: forward moves 8 bytes per element (read x, write y), backward 12 (read x and dy,
 * write dx). The {@code arraycopy} pseudo-function is each backend's copy of 8 bytes per element,
 * measured in the same run (see {@link Workload}): {@code System.arraycopy} on the CPU, a
 * device-to-device copy for {@code cuda-tensor}, overlapped pinned host↔device copies for
 * {@code cuda-array}. A function's fraction of bandwidth is the copy's time over its time at the
 * same size (forward), or 1.5 × that (backward; for {@code cuda-array} backward uploads two arrays
 * and downloads one, so its limit is about 2 × the copy's time on a symmetric link).
 *
 * <p>Backends are {@link BenchBackends}' names. The {@code cuda-*} combinations fail in setup with
 * the probe's reason where CUDA cannot run; JMH reports them and goes on. Sizes run from 2¹⁰ to 2²⁶
 * in steps of 4×; restrict any parameter on the command line, e.g.
 * {@code -p size=16777216 -p backend=cpu-simd,cpu-parallel}.
 *
 * <p>Warm-up: the Vector API needs C2 to compile the loops before it is fast (the first few
 * thousand calls run interpreted, boxed vectors), hence 3 warm-up iterations of 1 s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx4g"})
public class ActivationBenchmark {

    @Param({"cpu-scalar", "cpu-simd", "cpu-parallel", "cuda-tensor", "cuda-array"})
    public String backend;

    @Param({"arraycopy", "relu", "leaky_relu", "hardtanh", "hardswish", "sigmoid", "tanh", "silu", "elu", "selu",
            "gelu", "gelu(approximate=tanh)", "mish", "softplus", "logsigmoid", "softsign"})
    public String function;

    @Param({"1024", "4096", "16384", "65536", "262144", "1048576", "4194304", "16777216", "67108864"})
    public int size;

    @Param({"forward", "backward"})
    public String direction;

    private Workload w;

    @Setup
    public void setup() {
        w = new Workload(backend, function, 1, size, direction);
    }

    @Setup(Level.Iteration)
    public void beforeIteration() {
        w.beforeIteration();
    }

    @TearDown
    public void tearDown() {
        if (w != null) {
            w.close();
        }
    }

    @Benchmark
    public float[] run() {
        return w.run();
    }
}
