package dev.nonlin;

import dev.nonlin.cpu.CpuBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The tensor path gives the same results as the array path, for the whole catalogue. */
class TensorTest {

    static List<Activation> all() {
        return Activations.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void tensorPathEqualsArrayPath(Activation f) {
        Backend b = Backends.cpu();
        int rows = 37;
        int cols = 65;
        float[] x = Contract.randomValues(new Random(Contract.SEED), rows * cols);
        float[] dy = Contract.randomValues(new Random(Contract.SEED + 1), rows * cols);
        float[] y = new float[x.length];
        float[] dx = new float[x.length];
        b.forward(f, x, 0, y, 0, rows, cols);
        b.backward(f, x, 0, dy, 0, dx, 0, rows, cols);
        try (Tensor tx = b.tensor(x.clone(), rows, cols);
             Tensor ty = b.allocate(rows, cols);
             Tensor tdy = b.tensor(dy.clone(), rows, cols);
             Tensor tdx = b.allocate(rows, cols)) {
            b.forward(f, tx, ty);
            b.backward(f, tx, tdy, tdx);
            assertArrayEquals(y, ty.toArray(), f + " forward");
            assertArrayEquals(dx, tdx.toArray(), f + " backward");
            if (f.backwardFromOutput()) {
                float[] dx2 = new float[x.length];
                b.backwardFromOutput(f, y, 0, dy, 0, dx2, 0, rows, cols);
                b.backwardFromOutput(f, ty, tdy, tdx);
                assertArrayEquals(dx2, tdx.toArray(), f + " backward from output");
            }
            b.forward(f, tx, tx);   // in place
            assertArrayEquals(y, tx.toArray(), f + " forward in place");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void cpuTensorsWrapWithoutCopying(Activation f) {
        Backend b = CpuBackend.get();
        float[] data = {-1, 0.5f, 2};
        try (Tensor t = b.tensor(data)) {
            assertSame(b, t.backend());
            b.forward(f, t, t);
            float[] expected = {-1, 0.5f, 2};
            b.forwardInPlace(f, expected);
            assertArrayEquals(expected, data, "the wrapped array holds the result");
        }
    }

    @org.junit.jupiter.api.Test
    void copyCopiesAndChecksBeforeWriting() {
        Backend b = Backends.cpu();
        try (Tensor x = b.tensor(new float[] {1, -2, 3, 4, 5, 6}, 2, 3); Tensor y = b.allocate(2, 3);
             Tensor z = b.allocate(3, 2); Tensor empty = b.allocate(0, 3)) {
            b.copy(x, y);
            assertArrayEquals(x.toArray(), y.toArray());
            b.copy(x, x);
            b.copy(empty, b.allocate(0, 3));
            float[] before = z.toArray();
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> b.copy(x, z));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("2") && e.getMessage().contains("3"),
                    e.getMessage());
            assertArrayEquals(before, z.toArray(), "nothing written");
            try (Tensor foreign = CpuBackend.scalar().allocate(2, 3)) {
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> b.copy(x, foreign));
            }
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> b.copy(null, y));
        }
    }
}
