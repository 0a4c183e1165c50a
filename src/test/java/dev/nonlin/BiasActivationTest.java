package dev.nonlin;

import dev.nonlin.cpu.CpuBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static dev.nonlin.DenseChecks.filled;
import static dev.nonlin.DenseChecks.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dense layer's epilogue, {@link Backend#biasActivationForward} and
 * {@link Backend#biasActivationBackward}, for every catalogue entry on every CPU path: the
 * elementwise functions against the float64 reference of f(float(z + bias)) under the contract,
 * dBias against a double column sum, in place, the same dBias bits on every thread count, and
 * empty shapes. Row-wise functions and prelu (with its learned α) cannot be fused and must say so.
 */
class BiasActivationTest {

    static final int[][] SHAPES = {{1, 1}, {3, 5}, {17, 33}, {1000, 131}};

    static Stream<Arguments> cases() {
        return Activations.all().stream().flatMap(f -> DenseChecks.cpuBackends().stream().map(b -> Arguments.of(f, b)));
    }

    static List<Activation> all() {
        return Activations.all();
    }

    /** What the epilogue accepts: the elementwise functions with fixed parameters. */
    static boolean fusable(Activation f) {
        return !f.rowWise() && f.kind() != Activation.Kind.PRELU;
    }

    private static float[] nans(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void withinContractAndInPlace(Activation f, Backend b) {
        if (!fusable(f)) {
            rejectsUnfusable(f, b);
            return;
        }
        for (int[] shape : SHAPES) {
            int rows = shape[0];
            int cols = shape[1];
            long seed = Contract.SEED + rows * 31L + cols;
            float[] z = DenseChecks.epilogueInputs(seed, rows, cols);
            float[] bias = DenseChecks.biases(seed + 1, cols);
            float[] dy = DenseChecks.gaussian(seed + 2, rows * cols, 1);
            try (Tensor zt = b.tensor(z.clone(), rows, cols);
                 Tensor bt = b.tensor(bias.clone(), 1, cols);
                 Tensor yt = b.tensor(nans(rows * cols), rows, cols);
                 Tensor dyt = b.tensor(dy.clone(), rows, cols);
                 Tensor dzt = b.tensor(nans(rows * cols), rows, cols);
                 Tensor dbt = b.tensor(nans(cols), cols, 1)) {
                b.biasActivationForward(f, zt, bt, yt);
                float[] y = yt.toArray();
                DenseChecks.checkBiasForward(f, z, bias, rows, cols, y, b.toString());
                b.biasActivationBackward(f, zt, bt, dyt, dzt, dbt);
                float[] dz = dzt.toArray();
                float[] dBias = dbt.toArray();
                DenseChecks.checkBiasBackward(f, z, bias, dy, rows, cols, dz, dBias, b.toString());
                assertArrayEquals(z, zt.toArray(), "z is not modified");
                assertArrayEquals(dy, dyt.toArray(), "dy is not modified when dz is its own tensor");

                // in place: dz = dy (backward first, while z is intact), then y = z
                dbt.copyFrom(nans(cols), 0);
                b.biasActivationBackward(f, zt, bt, dyt, dyt, dbt);
                assertArrayEquals(dz, dyt.toArray(), f + " backward with dz == dy, " + rows + "×" + cols + " on " + b);
                assertArrayEquals(dBias, dbt.toArray(), f + " dBias with dz == dy on " + b);
                b.biasActivationForward(f, zt, bt, zt);
                assertArrayEquals(y, zt.toArray(), f + " forward with y == z, " + rows + "×" + cols + " on " + b);
            }
        }
    }

    /** Row-wise functions and prelu throw, naming the function, before writing anything. */
    private static void rejectsUnfusable(Activation f, Backend b) {
        try (Tensor z = b.tensor(new float[] {1, -2, 3, -4, 5, -6}, 2, 3);
             Tensor bias = b.tensor(new float[] {0.5f, 0, -1}, 3, 1);
             Tensor y = b.tensor(nans(6), 2, 3);
             Tensor dz = b.tensor(nans(6), 2, 3);
             Tensor dBias = b.tensor(nans(3), 3, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.biasActivationForward(f, z, bias, y));
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> b.biasActivationBackward(f, z, bias, z, dz, dBias));
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            for (Tensor t : new Tensor[] {y, dz, dBias}) {
                for (float v : t.toArray()) {
                    assertTrue(Float.isNaN(v), f + ": an output was written before the check");
                }
            }
        }
    }

    /**
     * dBias (and dz) bitwise the same on one thread and split across threads, for shapes with
     * many row blocks (40 000 × 3) and wide rows (1000 × 131).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void dBiasIsTheSameOnEveryThreadCount(Activation f) {
        Assumptions.assumeTrue(fusable(f), "not fusable: covered by withinContractAndInPlace");
        Assumptions.assumeTrue(CpuBackend.simdAvailable(), "needs the Vector API for a parallel SIMD backend");
        List<Backend> variants = List.of(CpuBackend.simd(false), DenseChecks.splitting(1), DenseChecks.splitting(1000),
                CpuBackend.get());
        for (int[] shape : new int[][] {{40_000, 3}, {1000, 131}}) {
            int rows = shape[0];
            int cols = shape[1];
            float[] z = DenseChecks.gaussian(Contract.SEED ^ rows, rows * cols, 3);
            float[] bias = DenseChecks.biases(Contract.SEED, cols);
            float[] dy = DenseChecks.gaussian(Contract.SEED ^ cols, rows * cols, 1);
            float[] dz1 = null;
            float[] db1 = null;
            for (Backend b : variants) {
                try (Tensor zt = b.tensor(z, rows, cols);
                     Tensor bt = b.tensor(bias, cols, 1);
                     Tensor dyt = b.tensor(dy, rows, cols);
                     Tensor dzt = b.allocate(rows, cols);
                     Tensor dbt = b.allocate(1, cols)) {
                    b.biasActivationBackward(f, zt, bt, dyt, dzt, dbt);
                    if (dz1 == null) {
                        dz1 = dzt.toArray();
                        db1 = dbt.toArray();
                    } else {
                        assertArrayEquals(dz1, dzt.toArray(), f + " dz, " + rows + "×" + cols + " on " + b);
                        assertArrayEquals(db1, dbt.toArray(), f + " dBias, " + rows + "×" + cols + " on " + b);
                    }
                }
            }
        }
    }

    @Test
    void emptyShapes() {
        Activation f = Activation.gelu();
        for (Backend b : DenseChecks.cpuBackends()) {
            // no rows: y stays empty, dBias is the empty sum, 0
            Tensor z = b.allocate(0, 4);
            Tensor dBias = b.tensor(nans(4), 1, 4);
            Tensor bias = b.tensor(new float[] {1, 2, 3, 4}, 1, 4);
            b.biasActivationForward(f, z, bias, b.allocate(0, 4));
            b.biasActivationBackward(f, z, bias, b.allocate(0, 4), b.allocate(0, 4), dBias);
            assertArrayEquals(new float[4], dBias.toArray(), "no rows: dBias = 0 on " + b);
            // no columns: no bias either
            Tensor z0 = b.allocate(5, 0);
            b.biasActivationForward(f, z0, b.allocate(0, 0), b.allocate(5, 0));
            b.biasActivationBackward(f, z0, b.allocate(0, 0), b.allocate(5, 0), b.allocate(5, 0), b.allocate(0, 0));
        }
    }

    // ------------------------------------------------------------------ arguments

    private final Backend b = CpuBackend.get();
    private final Activation relu = Activation.relu();

    @Test
    void badArgumentsAreNamedAndNothingIsWritten() {
        Tensor z = filled(b, 2, 3);
        Tensor bias = filled(b, 1, 3);
        Tensor y = filled(b, 2, 3);
        Tensor dy = filled(b, 2, 3);
        Tensor dz = filled(b, 2, 3);
        Tensor dBias = filled(b, 3, 1);
        rejects("f (the activation) must not be null", () -> b.biasActivationForward(null, z, bias, y), y);
        rejects("z must not be null", () -> b.biasActivationForward(relu, null, bias, y), y);
        rejects("bias.size() (4) must equal z.cols() (3)", () -> b.biasActivationForward(relu, z, filled(b, 1, 4), y), y);
        rejects("y is 3 × 2 but z is 2 × 3", () -> b.biasActivationForward(relu, z, bias, filled(b, 3, 2)), y);
        Tensor square = filled(b, 3, 3);
        Tensor squareBias = filled(b, 3, 1);
        Tensor row = filled(b, 1, 3);
        Tensor rowBias = filled(b, 1, 3);
        rejects("y must not be bias", () -> b.biasActivationForward(relu, row, rowBias, rowBias), rowBias);
        rejects("y belongs to another cpu backend instance", () -> b.biasActivationForward(relu, z, bias,
                CpuBackend.scalar().allocate(2, 3)), y);
        rejects("dBias.size() (2) must equal z.cols() (3)",
                () -> b.biasActivationBackward(relu, z, bias, dy, dz, filled(b, 2, 1)), dz);
        rejects("dz is 2 × 2 but z is 2 × 3", () -> b.biasActivationBackward(relu, z, bias, dy, filled(b, 2, 2), dBias),
                dBias);
        Tensor rowDz = filled(b, 1, 3);
        rejects("dBias must be a tensor of its own", () -> b.biasActivationBackward(relu, row, rowBias, filled(b, 1, 3),
                rowDz, rowDz), rowDz);
        rejects("dz must not be z", () -> b.biasActivationBackward(relu, z, bias, dy, z, dBias), z, dBias);
        rejects("dBias must be a tensor of its own", () -> b.biasActivationBackward(relu, square, squareBias, square,
                filled(b, 3, 3), squareBias), squareBias);
        Tensor closed = filled(b, 2, 3);
        closed.close();
        rejects("dy is closed", () -> b.biasActivationBackward(relu, z, bias, closed, dz, dBias), dz, dBias);
    }
}
