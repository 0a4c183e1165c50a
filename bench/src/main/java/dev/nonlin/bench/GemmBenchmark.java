package dev.nonlin.bench;

import dev.nonlin.Backend;
import dev.nonlin.Tensor;
import dev.nonlin.Transpose;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * How fast is {@link Backend#matmul}: the SIMD micro-kernel against the plain loop it replaced, on
 * one thread and on all of them, and (with {@code -Pnd4j}, {@code Nd4jGemmBenchmark}) against
 * OpenBLAS inside ND4J?
 *
 * <p>Roofline: compute. A call does 2mnk flops ({@link GemmShape#flops()}); GFLOP/s is that over
 * the time. One AVX2 core with two FMA pipes peaks at 2 × 8 lanes × 2 flops = 32 flops per cycle
 * (about 100 GFLOP/s at 3 GHz). Memory matters only for thin shapes (k = 2, where each c element
 * gets 2 multiply-adds for one write).
 *
 * <p>Backends: {@link BenchBackends}' {@code cpu-scalar} (the plain loop, one thread: "before"),
 * {@code cpu-simd} (the micro-kernel, one thread), {@code cpu-parallel} (the micro-kernel, rows of
 * c split across the cores from 2²² multiply-adds), {@code cuda-tensor} (tensors on the device,
 * synchronised inside the call; fails in setup without a GPU, or while CUDA matmul is not
 * implemented), and {@code cpu-plain-parallel}, this class's own: the plain loop split across
 * the cores ({@code -Dnonlin.cpu.gemm=plain}), the "before" on all threads.
 *
 * <p>Shapes are {@code m×k×n}: cubes, and a dense layer's batch × inputs × outputs (an MLP on 2-D
 * points: 256×2×64 and 256×64×64; MNIST's first layer: 4096×784×256). Setup spot-checks the result
 * against float64 before anything is timed. Warm-up: the micro-kernel must be compiled by C2
 * before it is fast, and under load that takes seconds, hence 3 warm-up iterations of 2 s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx4g"})
public class GemmBenchmark {

    @Param({"cpu-scalar", "cpu-plain-parallel", "cpu-simd", "cpu-parallel", "cuda-tensor"})
    public String backend;

    @Param({"256x256x256", "512x512x512", "1024x1024x1024", "256x2x64", "256x64x64", "4096x784x256"})
    public String shape;

    @Param({"NN"})
    public String op;

    private Backend b;
    private Tensor a;
    private Tensor bt;
    private Tensor c;
    private Transpose ta;
    private Transpose tb;

    @Setup
    public void setup() {
        GemmShape s = new GemmShape(shape, op);
        b = backend.equals("cpu-plain-parallel") ? plainParallel() : BenchBackends.of(backend);
        ta = s.ta ? Transpose.T : Transpose.N;
        tb = s.tb ? Transpose.T : Transpose.N;
        a = b.tensor(s.a.clone(), s.aRows(), s.aCols());
        bt = b.tensor(s.b.clone(), s.bRows(), s.bCols());
        c = b.allocate(s.m, s.n);
        run();
        s.check(backend, c.toArray());
    }

    /** The plain loop on every core: the property is read when a backend is made. */
    private static Backend plainParallel() {
        System.setProperty(CpuBackend.GEMM_PROPERTY, "plain");
        try {
            return CpuBackend.simd(true);
        } finally {
            System.clearProperty(CpuBackend.GEMM_PROPERTY);
        }
    }

    @TearDown
    public void tearDown() {
        for (Tensor t : new Tensor[] {a, bt, c}) {
            if (t != null) {
                t.close();
            }
        }
    }

    @Benchmark
    public Tensor run() {
        b.matmul(a, ta, bt, tb, c);
        b.synchronize();   // CUDA launches are asynchronous: time the work, not the enqueue
        return c;
    }
}
