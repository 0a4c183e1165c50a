package dev.nonlin.bench;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.cpu.CpuBackend;
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
 * Where does splitting an array across cores start to pay? This sets
 * {@code CpuBackend.DEFAULT_PARALLEL_THRESHOLD}.
 *
 * <p>{@code cpu-parallel} is measured with the threshold forced to 1 (so it always splits) against
 * {@code cpu-simd} on one thread, for a cheap function (relu: bandwidth-bound, where the split's
 * fixed cost of a few microseconds matters most) and an expensive one (gelu). The crossover is the
 * smallest size where the split is faster.
 *
 * <p>Roofline: a split divides the time by the core count at best, minus its fixed cost (waking
 * the pool's workers). Compute-bound gelu can approach that; relu is bound by memory bandwidth,
 * which the cores share, so it gains only what one core's copy leaves of the bus unused.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Dnonlin.cpu.parallelThreshold=1"})
public class ParallelThresholdBenchmark {

    @Param({"cpu-simd", "cpu-parallel"})
    public String backend;

    @Param({"relu", "gelu"})
    public String function;

    @Param({"4096", "16384", "65536", "262144", "1048576"})
    public int size;

    private Backend b;
    private Activation f;
    private float[] x;
    private float[] y;

    @Setup
    public void setup() {
        b = backend.equals("cpu-simd") ? CpuBackend.simd(false) : CpuBackend.simd(true);
        f = Activation.parse(function);
        Random r = new Random(42);
        x = new float[size];
        y = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (r.nextGaussian() * 4);
        }
    }

    @Benchmark
    public float[] run() {
        b.forward(f, x, 0, y, 0, 1, size);
        return y;
    }
}
