package dev.nonlin.cpu;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.Contract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The fork/join split gives bitwise the same results as one thread, at every threshold down to 1
 * (where every array splits, into pieces as small as the chunking allows).
 */
class ParallelSplitTest {

    @AfterAll
    static void clear() {
        System.clearProperty("nonlin.cpu.parallelThreshold");
    }

    static List<Activation> all() {
        return Activations.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void splitEqualsSingleThread(Activation f) {
        Assumptions.assumeTrue(CpuBackend.simdAvailable(), "needs the Vector API");
        Backend one = CpuBackend.simd(false);
        for (int threshold : new int[] {1, 2, 3, 100}) {
            System.setProperty("nonlin.cpu.parallelThreshold", Integer.toString(threshold));
            Backend split = CpuBackend.simd(true);
            for (int[] shape : new int[][] {{1, 1}, {1, 5}, {3, 7}, {1, 1000}, {97, 65}}) {
                int rows = shape[0];
                int cols = shape[1];
                int n = rows * cols;
                float[] x = Contract.randomValues(new Random(Contract.SEED + n), n);
                float[] dy = Contract.randomValues(new Random(Contract.SEED - n), n);
                float[] a = new float[n];
                float[] b = new float[n];
                one.forward(f, x, 0, a, 0, rows, cols);
                split.forward(f, x, 0, b, 0, rows, cols);
                assertArrayEquals(a, b, f + " forward, threshold " + threshold + ", " + rows + "×" + cols);
                one.backward(f, x, 0, dy, 0, a, 0, rows, cols);
                split.backward(f, x, 0, dy, 0, b, 0, rows, cols);
                assertArrayEquals(a, b, f + " backward, threshold " + threshold + ", " + rows + "×" + cols);
                if (f.backwardFromOutput()) {
                    float[] y = new float[n];
                    one.forward(f, x, 0, y, 0, rows, cols);
                    one.backwardFromOutput(f, y, 0, dy, 0, a, 0, rows, cols);
                    split.backwardFromOutput(f, y, 0, dy, 0, b, 0, rows, cols);
                    assertArrayEquals(a, b, f + " backward from output, threshold " + threshold + ", " + rows + "×" + cols);
                }
                float[] alpha = new float[cols];
                java.util.Arrays.fill(alpha, 0.3f);
                float[] da = new float[cols];
                float[] db = new float[cols];
                one.preluBackward(x, 0, alpha, dy, 0, a, 0, da, rows, cols);
                split.preluBackward(x, 0, alpha, dy, 0, b, 0, db, rows, cols);
                assertArrayEquals(a, b, "prelu dx, threshold " + threshold);
                assertArrayEquals(da, db, "prelu dα, threshold " + threshold);
            }
        }
    }
}
