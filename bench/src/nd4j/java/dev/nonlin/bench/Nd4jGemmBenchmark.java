package dev.nonlin.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
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

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * How does {@code GemmBenchmark}'s CPU matmul compare with ND4J's (nd4j-native 1.0.0-M2.1, whose
 * {@code Nd4j.gemm} calls OpenBLAS 0.3.19's sgemm: hand-written assembly kernels per
 * microarchitecture)? Built only with {@code -Pnd4j}; run in the same JMH invocation as
 * GemmBenchmark with the same {@code -p shape=...}:
 * <ul>
 *   <li>{@code threads=1} ({@code Nd4j.factory().blas().setMaxThreads(1)}, which calls
 *       {@code openblas_set_num_threads}) against {@code cpu-simd};
 *   <li>{@code threads=all} (OpenBLAS's default, one per core) against {@code cpu-parallel}.
 * </ul>
 * The same a and b as GemmBenchmark ({@link GemmShape}, seed 42), as off-heap c-order
 * {@code INDArray}s made in setup, c preallocated: {@code Nd4j.gemm(a, b, c, false, false, 1, 0)}
 * allocates nothing per call. Setup spot-checks c against float64 like GemmBenchmark. Each
 * iteration prints CPU over wall time and the busiest threads' shares, as {@link Nd4jBenchmark}
 * does, so the run shows how many threads OpenBLAS used.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx4g"})
public class Nd4jGemmBenchmark {

    @Param({"1", "all"})
    public String threads;

    @Param({"256x256x256", "512x512x512", "1024x1024x1024", "256x2x64", "256x64x64", "4096x784x256"})
    public String shape;

    private INDArray a;
    private INDArray b;
    private INDArray c;
    private final Nd4jBenchmark.IterationClock clock = new Nd4jBenchmark.IterationClock();

    @Setup
    public void setup() {
        if (!threads.equals("1") && !threads.equals("all")) {
            throw new IllegalArgumentException("threads must be 1 or all, got '" + threads + "'");
        }
        GemmShape s = new GemmShape(shape, "NN");
        if (threads.equals("1")) {
            Nd4j.factory().blas().setMaxThreads(1);
        }
        a = Nd4j.create(s.a.clone(), new long[] {s.m, s.k}, 'c');
        b = Nd4j.create(s.b.clone(), new long[] {s.k, s.n}, 'c');
        c = Nd4j.create(DataType.FLOAT, s.m, s.n);
        run();
        s.check("nd4j threads=" + threads, c.data().asFloat());   // c-order m × n: the buffer is c row by row
        System.out.printf(Locale.ROOT, "nd4j gemm: blas %s, maxThreads=%d%n", Nd4j.factory().blas().getBlasVendor(),
                Nd4j.factory().blas().getMaxThreads());
    }

    @Setup(Level.Iteration)
    public void startClock() {
        clock.start();
    }

    @TearDown(Level.Iteration)
    public void stopClock() {
        clock.stop();
    }

    @TearDown
    public void tearDown() {
        for (INDArray x : new INDArray[] {a, b, c}) {
            if (x != null) {
                x.close();
            }
        }
    }

    @Benchmark
    public INDArray run() {
        return Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
    }
}
