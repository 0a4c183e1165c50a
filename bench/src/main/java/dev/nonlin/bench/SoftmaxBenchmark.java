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
 * How close to memory bandwidth are the row-wise functions (softmax, log_softmax), and how does
 * the row shape change that, on each backend?
 *
 * <p>Roofline: the same bytes as an elementwise function, 8 per element forward (read x, write
 * y) and 12 backward (read x and dy, write dx), reached only when a row stays in cache between
 * the passes over it (max, then the sum of exponentials, then the store; backward adds Σ dy·y).
 * A row that no cache holds (1 × 2²⁰ floats is 4 MiB) is read from memory on every pass, so its
 * limit is a multiple of the copy's time. Short rows (4096 × 256) stress the per-row overhead: the
 * horizontal reductions on the CPU; on the GPU, rows up to 1024 columns get a warp each, longer
 * ones a block each. {@code arraycopy} gives each backend's copy at the same element count (see
 * {@link Workload}).
 *
 * <p>Shapes are {@code ROWSxCOLS}. The default set holds 2²⁰ elements each, in five row lengths,
 * plus two shapes of 2²⁴ elements that no cache holds. Restrict with {@code -p shape=4096x256}.
 * The {@code cuda-*} backends fail in setup with the probe's reason where CUDA cannot run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx4g"})
public class SoftmaxBenchmark {

    @Param({"cpu-scalar", "cpu-simd", "cpu-parallel", "cuda-tensor", "cuda-array"})
    public String backend;

    @Param({"arraycopy", "softmax", "log_softmax"})
    public String function;

    @Param({"4096x256", "1024x1024", "256x4096", "64x16384", "1x1048576", "65536x256", "4096x4096"})
    public String shape;

    @Param({"forward", "backward"})
    public String direction;

    private Workload w;

    @Setup
    public void setup() {
        int[] rc = parseShape(shape);
        w = new Workload(backend, function, rc[0], rc[1], direction);
    }

    /** {@code "4096x256"} as {rows, cols}. */
    static int[] parseShape(String shape) {
        String[] parts = shape == null ? new String[0] : shape.strip().toLowerCase(java.util.Locale.ROOT).split("x");
        if (parts.length == 2) {
            try {
                int rows = Integer.parseInt(parts[0].strip());
                int cols = Integer.parseInt(parts[1].strip());
                if (rows > 0 && cols > 0) {
                    return new int[] {rows, cols};
                }
            } catch (NumberFormatException ignored) {
                // reported below, with the value
            }
        }
        throw new IllegalArgumentException("shape must be ROWSxCOLS with both positive, e.g. 4096x256; got '" + shape + "'");
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
