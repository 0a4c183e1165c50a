package dev.nonlin;

import dev.nonlin.cpu.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** PReLU with a learned α: forward, dx, and a deterministic dα. */
class PReluTest {

    static List<Backend> backends() {
        return List.of(CpuBackend.scalar(), CpuBackend.get());
    }

    @ParameterizedTest(name = "cols = {0}")
    @ValueSource(ints = {1, 3, 16, 1000})
    void perChannelAlphaMatchesTheDefinition(int cols) {
        Random r = new Random(Contract.SEED);
        int rows = 300_000 / cols + 3;
        int n = rows * cols;
        float[] x = new float[n];
        float[] dy = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
            dy[i] = (float) r.nextGaussian();
        }
        x[0] = 0f;
        x[1] = Float.NaN;
        float[] alpha = new float[cols];
        for (int c = 0; c < cols; c++) {
            alpha[c] = 0.01f * c - 0.2f;
        }
        double[] dAlphaExact = new double[cols];
        for (int i = 0; i < n; i++) {
            if (!(x[i] > 0)) {
                dAlphaExact[i % cols] += (double) x[i] * dy[i];
            }
        }
        float[] firstDAlpha = null;
        for (Backend b : backends()) {
            float[] y = new float[n];
            float[] dx = new float[n];
            float[] dAlpha = new float[cols];
            b.preluForward(x, 0, alpha, y, 0, rows, cols);
            b.preluBackward(x, 0, alpha, dy, 0, dx, 0, dAlpha, rows, cols);
            for (int i = 0; i < n; i++) {
                float a = alpha[i % cols];
                float ey = x[i] > 0 ? x[i] : a * x[i];
                float edx = x[i] > 0 ? dy[i] : (Float.isNaN(x[i]) ? Float.NaN : dy[i] * a);
                if (Float.isNaN(x[i])) {
                    assertEquals(Float.NaN, y[i], "NaN in, NaN out");
                    assertEquals(Float.NaN, dx[i], "NaN in, NaN out");
                    continue;
                }
                assertEquals(ey, y[i], Math.ulp(ey), b + " y[" + i + "]");
                assertEquals(edx, dx[i], Math.ulp(edx), b + " dx[" + i + "] at x = " + x[i]);
            }
            for (int c = 0; c < cols; c++) {
                if (c == 1 % cols) {
                    continue;   // the channel with the NaN input: dα is NaN
                }
                assertEquals(dAlphaExact[c], dAlpha[c], 1e-6 * Math.max(1, Math.abs(dAlphaExact[c])), b + " dα[" + c + "]");
            }
            assertEquals(Float.NaN, dAlpha[1 % cols], "NaN in x gives NaN in its channel's dα");
            if (firstDAlpha == null) {
                firstDAlpha = dAlpha;
            } else {
                assertArrayEquals(firstDAlpha, dAlpha, "dα is bitwise identical on every path and thread count");
            }
        }
    }

    @Test
    void singleAlphaSumsOverEverything() {
        Backend b = Backends.cpu();
        float[] x = {1, -2, 0, -4};
        float[] dy = {1, 1, 1, 0.5f};
        float[] dx = new float[4];
        float[] dAlpha = {99};
        b.preluBackward(x, 0, new float[] {0.25f}, dy, 0, dx, 0, dAlpha, 2, 2);
        assertArrayEquals(new float[] {1, 0.25f, 0.25f, 0.125f}, dx);
        assertEquals(-4f, dAlpha[0]);
        float[] y = new float[4];
        b.preluForward(x, 0, new float[] {0.25f}, y, 0, 2, 2);
        assertArrayEquals(new float[] {1, -0.5f, 0, -1}, y);
    }

    @Test
    void emptyInputGivesZeroGradient() {
        float[] dAlpha = {7, 7};
        Backends.cpu().preluBackward(new float[0], 0, new float[2], new float[0], 0, new float[0], 0, dAlpha, 0, 2);
        assertArrayEquals(new float[] {0, 0}, dAlpha);
    }
}
