package dev.nonlin.cpu;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.Contract;
import dev.nonlin.Contract.Worst;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The numerics contract through the public Backend API, for every catalogue entry on every CPU
 * path: special values and random draws against the float64 reference. The default backend is
 * run on arrays large enough to be split across threads.
 */
class CpuContractTest {

    static List<Backend> backends() {
        List<Backend> b = new ArrayList<>();
        b.add(CpuBackend.scalar());
        b.add(CpuBackend.get());
        return b;
    }

    static Stream<Arguments> cases() {
        return backends().stream().flatMap(b -> Activations.all().stream().map(f -> Arguments.of(b, f)));
    }

    /** Special values first, then random draws; 300 003 elements, so the default backend splits the transcendental functions. */
    static float[] inputs(long salt) {
        float[] s = Contract.specialValues();
        float[] r = Contract.randomValues(new Random(Contract.SEED ^ salt), 300_003);
        float[] a = new float[s.length + r.length];
        System.arraycopy(s, 0, a, 0, s.length);
        System.arraycopy(r, 0, a, s.length, r.length);
        return a;
    }

    static float[] dys(int n, long salt) {
        Random r = new Random(Contract.SEED ^ salt);
        float[] dy = new float[n];
        for (int i = 0; i < n; i++) {
            dy[i] = (float) r.nextGaussian();
        }
        return dy;
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void forwardWithinFourUlps(Backend b, Activation f) {
        if (f.rowWise()) {
            rowWiseForward(b, f);
            return;
        }
        float[] x = inputs(1);
        float[] y = new float[x.length + 5];
        java.util.Arrays.fill(y, Float.NaN);
        b.forward(f, x, 0, y, 5, 1, x.length);
        Worst w = new Worst();
        for (int i = 0; i < x.length; i++) {
            double exact = Contract.forward(f, x[i]);
            w.offer(Contract.ulps(y[5 + i], exact), i, x[i], exact, y[5 + i]);
        }
        assertTrue(w.err <= Contract.FORWARD_ULPS, () -> w.describe(f + " forward on " + b));
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void backwardWithinContract(Backend b, Activation f) {
        if (f.rowWise()) {
            rowWiseBackward(b, f);
            return;
        }
        float[] x = inputs(2);
        float[] dy = dys(x.length, 3);
        float[] dx = new float[x.length];
        java.util.Arrays.fill(dx, Float.NaN);
        b.backward(f, x, dy, dx);
        Worst w = new Worst();
        for (int i = 0; i < x.length; i++) {
            double exact = Contract.backward(f, x[i], dy[i]);
            w.offer(Contract.backwardUlps(dx[i], exact, dy[i]), i, x[i], exact, dx[i]);
        }
        assertTrue(w.err <= Contract.BACKWARD_ULPS, () -> w.describe(f + " backward on " + b));
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void backwardFromOutputMatchesBackwardFromInput(Backend b, Activation f) {
        if (!f.backwardFromOutput() || f.rowWise()) {
            return;   // row-wise ones are covered in rowWiseBackward
        }
        float[] x = inputs(4);
        float[] y = new float[x.length];
        b.forward(f, x, y);
        float[] dy = dys(x.length, 5);
        float[] dx = new float[x.length];
        b.backwardFromOutput(f, y, dy, dx);
        Worst w = new Worst();
        for (int i = 0; i < x.length; i++) {
            // the reference is the derivative written in y, at the y the backend produced
            double exact = dy[i] * Scalar.derivativeFromOutput(f.kind(), f.p0(), f.p1(), y[i]);
            w.offer(Contract.backwardUlps(dx[i], exact, dy[i]), i, x[i], exact, dx[i]);
        }
        assertTrue(w.err <= Contract.BACKWARD_ULPS, () -> w.describe(f + " backward from output on " + b));
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void inPlaceEqualsOutOfPlace(Backend b, Activation f) {
        int cols = 97;
        int rows = 1031;
        float[] x = Contract.randomValues(new Random(Contract.SEED ^ 6), rows * cols);
        float[] y = new float[x.length];
        b.forward(f, x, 0, y, 0, rows, cols);
        float[] z = x.clone();
        b.forwardInPlace(f, z, 0, rows, cols);
        org.junit.jupiter.api.Assertions.assertArrayEquals(y, z, f + " in place");
        float[] dy = dys(x.length, 7);
        float[] dx = new float[x.length];
        b.backward(f, x, 0, dy, 0, dx, 0, rows, cols);
        float[] d = dy.clone();
        b.backward(f, x, 0, d, 0, d, 0, rows, cols);
        org.junit.jupiter.api.Assertions.assertArrayEquals(dx, d, f + " backward in place");
    }

    // ------------------------------------------------------------------ row-wise

    /** Rows of ordinary values and special rows (±∞, NaN, all −∞, huge spread). */
    static float[][] rows() {
        Random r = new Random(Contract.SEED ^ 11);
        List<float[]> rows = new ArrayList<>();
        for (int len : new int[] {1, 2, 3, 7, 16, 33, 257, 4099}) {
            float[] row = new float[len];
            for (int i = 0; i < len; i++) {
                row[i] = (float) (r.nextGaussian() * 10);
            }
            rows.add(row);
        }
        float inf = Float.POSITIVE_INFINITY;
        rows.add(new float[] {0f, -50f, -100f});                     // log_softmax(0) ≈ −2e-22
        rows.add(new float[] {1e4f, -1e4f, 0f, 3f});
        rows.add(new float[] {-inf, -inf, -inf});                   // safe softmax
        rows.add(new float[] {-inf, 1f, 2f});
        rows.add(new float[] {inf, 1f, inf});
        rows.add(new float[] {1f, Float.NaN, 2f});
        rows.add(new float[] {Float.MAX_VALUE, -Float.MAX_VALUE, 0f});
        rows.add(new float[] {88.7f, 88.7f, 88.7f});
        return rows.toArray(new float[0][]);
    }

    private static void rowWiseForward(Backend b, Activation f) {
        for (float[] row : rows()) {
            float[] y = new float[row.length];
            b.forward(f, row, y);
            double[] exact = Contract.forwardRow(f, row, 0, row.length);
            Worst w = new Worst();
            for (int i = 0; i < row.length; i++) {
                w.offer(Contract.ulps(y[i], exact[i]), i, row[i], exact[i], y[i]);
            }
            assertTrue(w.err <= Contract.FORWARD_ULPS, () -> w.describe(f + " forward, row of " + row.length));
        }
    }

    private static void rowWiseBackward(Backend b, Activation f) {
        for (float[] row : rows()) {
            float[] dy = dys(row.length, row.length);
            float[] dx = new float[row.length];
            b.backward(f, row, dy, dx);
            double[] exact = Contract.backwardRow(f, row, 0, dy, 0, row.length);
            // Jacobian rows mix the whole row, so the contract's |dy| is the row's L1 norm Σ|dy_j|.
            double l1 = dev.nonlin.cli.Ulp.rowDy(dy, 0, dy.length);
            Worst w = new Worst();
            for (int i = 0; i < row.length; i++) {
                w.offer(Contract.backwardUlps(dx[i], exact[i], l1), i, row[i], exact[i], dx[i]);
            }
            assertTrue(w.err <= Contract.BACKWARD_ULPS, () -> w.describe(f + " backward, row of " + row.length));
            // from the output: same result up to the contract
            float[] y = new float[row.length];
            b.forward(f, row, y);
            float[] dx2 = new float[row.length];
            b.backwardFromOutput(f, y, dy, dx2);
            Worst w2 = new Worst();
            for (int i = 0; i < row.length; i++) {
                w2.offer(Contract.backwardUlps(dx2[i], exact[i], l1), i, row[i], exact[i], dx2[i]);
            }
            assertTrue(w2.err <= Contract.BACKWARD_ULPS || hasNonFinite(row),
                    () -> w2.describe(f + " backward from output, row of " + row.length));
        }
    }

    private static boolean hasNonFinite(float[] row) {
        for (float v : row) {
            if (!Float.isFinite(v)) {
                return true;
            }
        }
        return false;
    }
}
