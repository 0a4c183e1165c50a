package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.Optimizer;
import dev.nonlin.Transpose;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The launches of {@link DenseLaunches} against {@code dense.ptx}, without a GPU: every kernel
 * name that Java derives exists, and its parameter block has the types and the count of the
 * {@code .entry} (a short or mistyped block reads garbage or crashes the JVM, DESIGN.md §6).
 * Skipped when the build had no nvcc.
 */
class DenseLaunchesTest {

    private static final int H200_SMS = 132;
    private static final CUdeviceptr P = new CUdeviceptr();

    @BeforeAll
    static void needsPtx() {
        PtxEntries.assumePtx();
    }

    private static void matchesPtx(Launch l) {
        assertEquals(DenseLaunches.MODULE, l.module());
        PtxEntries.assertMatches(l);
        assertEquals(l.kernel().startsWith("sgemm_") ? DenseLaunches.GEMM_THREADS : CudaBackend.THREADS, l.threads());
    }

    @Test
    void everySgemmLaunchHasItsKernel() {
        for (Transpose ta : Transpose.values()) {
            for (Transpose tb : Transpose.values()) {
                // 4096 × 4096: 1024 large tiles; 4096 × 256: 64 large tiles < 132 SMs, so 64 × 64
                Launch large = DenseLaunches.sgemm(H200_SMS, ta, tb, 4096, 4096, 7, 1f, P, P, 0f, P);
                Launch small = DenseLaunches.sgemm(H200_SMS, ta, tb, 4096, 256, 784, 1f, P, P, 0f, P);
                assertEquals(DenseLaunches.gemmKernel(128, ta, tb), large.kernel());
                assertEquals(1024, large.grid());
                assertEquals(DenseLaunches.gemmKernel(64, ta, tb), small.kernel());
                assertEquals(64 * 4, small.grid());
                matchesPtx(large);
                matchesPtx(small);
            }
        }
        assertEquals("sgemm_64x64_tn_f32", DenseLaunches.gemmKernel(64, Transpose.T, Transpose.N));
        assertEquals(1, DenseLaunches.sgemm(H200_SMS, Transpose.N, Transpose.N, 1, 1, 1, 1f, P, P, 0f, P).grid());
    }

    static Stream<Activation> epilogues() {
        return DenseKernelsHostTest.epilogues();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("epilogues")
    void everyEpilogueLaunchHasItsKernel(Activation f) {
        matchesPtx(DenseLaunches.biasForward(H200_SMS, f, P, P, P, 100, 37));
        List<Launch> backward = DenseLaunches.biasBackward(H200_SMS, f, P, P, P, P, P, P, 100, 37);
        assertEquals(2, backward.size());
        backward.forEach(DenseLaunchesTest::matchesPtx);
    }

    @Test
    void optimizerAndScaleLaunchesHaveTheirKernels() {
        matchesPtx(DenseLaunches.optimizerStep(H200_SMS, Optimizer.sgd(0.1f), 1, P, P, null, null, 1000));
        matchesPtx(DenseLaunches.optimizerStep(H200_SMS, Optimizer.sgd(0.1f, 0.9f), 1, P, P, P, null, 1000));
        matchesPtx(DenseLaunches.optimizerStep(H200_SMS, Optimizer.adam(1e-3f), 3, P, P, P, P, 1000));
        matchesPtx(DenseLaunches.scale(H200_SMS, P, 1000, 0f));
    }

    /** dBias's partials depend on the shape only (chunks of 32 rows), never on the device: the order of its sums is fixed. */
    @Test
    void biasPartialsDependOnTheShapeOnly() {
        assertEquals(4 * 37, DenseLaunches.biasPartials(100, 37));
        assertEquals(37, DenseLaunches.biasPartials(1, 37));
        for (int sms : new int[] {1, 46, 132}) {
            List<Launch> l = DenseLaunches.biasBackward(sms, Activation.relu(), P, P, P, P, P, P, 100, 37);
            assertEquals(List.of(100L, 37L, DenseLaunches.BIAS_ROWS_PER_CHUNK), longs(l.get(0)), "rows, cols, rows per chunk");
        }
    }

    /** The long long parameters of a launch, in order (read back from its block: the seam keeps them). */
    private static List<Long> longs(Launch l) {
        return l.args().longs();
    }
}
