package dev.nonlin;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Laws that hold for softmax and log_softmax whatever the implementation. */
class SoftmaxLawsTest {
    private final Backend b = Backends.cpu();

    /** Multiples of 1/64 in [−16, 16]: shifting by 32 keeps every input exact. */
    private static float[] grid(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (r.nextInt(2049) - 1024) / 64f;
        }
        return x;
    }

    @Test
    void rowsSumToOne() {
        int rows = 50;
        for (int cols : new int[] {1, 2, 10, 1000, 10_000}) {
            float[] x = grid(rows * cols, Contract.SEED + cols);
            float[] y = new float[x.length];
            b.forward(Activation.softmax(), x, 0, y, 0, rows, cols);
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    float v = y[r * cols + c];
                    assertTrue(v >= 0 && v <= 1, "probabilities lie in [0, 1]");
                    s += v;
                }
                assertEquals(1.0, s, 4e-7 + cols * 0x1p-24, "row " + r + " of " + cols + " sums to 1 (seed " + Contract.SEED + ")");
            }
        }
    }

    @Test
    void shiftInvariance() {
        int rows = 20;
        int cols = 300;
        float[] x = grid(rows * cols, Contract.SEED);
        float[] shifted = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            shifted[i] = x[i] + 32f;
        }
        for (Activation f : new Activation[] {Activation.softmax(), Activation.logSoftmax()}) {
            float[] y = new float[x.length];
            float[] z = new float[x.length];
            b.forward(f, x, 0, y, 0, rows, cols);
            b.forward(f, shifted, 0, z, 0, rows, cols);
            assertArrayEquals(y, z, f + " is invariant under x + c");
        }
    }

    @Test
    void logSoftmaxIsTheLogOfSoftmax() {
        float[] x = grid(1000, Contract.SEED);
        float[] p = new float[x.length];
        float[] l = new float[x.length];
        b.forward(Activation.softmax(), x, p);
        b.forward(Activation.logSoftmax(), x, l);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Math.log(p[i]), l[i], 4 * Math.ulp(l[i]) + 1e-6 * Math.abs(l[i]));
        }
    }

    @Test
    void dominantEntryKeepsItsTinyLogProbability() {
        float[] y = new float[3];
        b.forward(Activation.logSoftmax(), new float[] {0f, -50f, -100f}, y);
        // −log1p(e^−50 + e^−100) = −1.9287498479639178e-22; log(1 + r) would give 0
        assertEquals(-1.9287498479639178e-22f, y[0], Math.ulp(1.9287498479639178e-22f));
    }

    @Test
    void specialRows() {
        float inf = Float.POSITIVE_INFINITY;
        float[] y = new float[3];
        b.forward(Activation.softmax(), new float[] {-inf, -inf, -inf}, y);
        assertArrayEquals(new float[] {0, 0, 0}, y, "a row of all −∞ gives zeros (safe softmax)");
        b.forward(Activation.logSoftmax(), new float[] {-inf, -inf, -inf}, y);
        assertArrayEquals(new float[] {-inf, -inf, -inf}, y);
        b.forward(Activation.softmax(), new float[] {-inf, 0f, 0f}, y);
        assertArrayEquals(new float[] {0, 0.5f, 0.5f}, y, "−∞ has probability 0");
        b.forward(Activation.softmax(), new float[] {inf, 1f, inf}, y);
        assertArrayEquals(new float[] {0.5f, 0, 0.5f}, y, "+∞ entries share the mass");
        b.forward(Activation.softmax(), new float[] {1f, Float.NaN, 2f}, y);
        for (float v : y) {
            assertTrue(Float.isNaN(v), "NaN makes its row NaN");
        }
    }
}
