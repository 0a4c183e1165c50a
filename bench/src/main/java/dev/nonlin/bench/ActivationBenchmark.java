package dev.nonlin.bench;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * How close to memory bandwidth is each CPU path, per function?
 *
 * <p>Roofline: forward moves 8 bytes per element (read x, write y), backward 12 (x, dy, dx).
 * The {@code arraycopy} pseudo-function copies the same array with {@code System.arraycopy}
 * (8 bytes per element): the physical limit measured in the same run. Divide a function's time
 * by the copy's time at the same size for its fraction of bandwidth (forward), or by 1.5× that
 * (backward).
 *
 * <p>Warm-up: the Vector API needs C2 to compile the loops before it is fast (the first few
 * thousand calls run interpreted, boxed vectors), hence 3 warm-up iterations of 1 s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class ActivationBenchmark {

    @Param({"cpu-scalar", "cpu-simd", "cpu-parallel"})
    public String backend;

    @Param({"arraycopy", "relu", "leaky_relu", "hardtanh", "hardswish", "sigmoid", "tanh", "silu", "elu", "selu",
            "gelu", "gelu(approximate=tanh)", "mish", "softplus", "logsigmoid", "softsign"})
    public String function;

    @Param({"16777216"})
    public int size;

    @Param({"forward"})
    public String direction;

    private Backend b;
    private Activation f;
    private boolean copy;
    private boolean forward;
    private float[] x;
    private float[] y;
    private float[] dy;

    @Setup
    public void setup() {
        b = BenchBackends.of(backend);
        copy = function.equals("arraycopy");
        f = copy ? null : Activation.parse(function);
        forward = direction.equals("forward");
        Random r = new Random(42);
        x = new float[size];
        y = new float[size];
        dy = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (r.nextGaussian() * 4);
            dy[i] = (float) r.nextGaussian();
        }
    }

    @Benchmark
    public float[] run() {
        if (copy) {
            System.arraycopy(x, 0, y, 0, size);
        } else if (forward) {
            b.forward(f, x, 0, y, 0, 1, size);
        } else {
            b.backward(f, x, 0, dy, 0, y, 0, 1, size);
        }
        return y;
    }
}
