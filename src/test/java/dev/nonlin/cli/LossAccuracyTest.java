package dev.nonlin.cli;

import dev.nonlin.Backends;
import dev.nonlin.Loss;
import dev.nonlin.Losses;
import dev.nonlin.cli.Accuracy.Progress;
import dev.nonlin.cpu.LossMath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine of {@code nonlin accuracy --losses}: the CPU meets the bounds, and a broken backend is caught. */
class LossAccuracyTest {

    static List<Loss> catalogue() {
        return Losses.all();
    }

    /** Every catalogued loss on the CPU: L and dz are rounded once from double (≤ 0.5 ULP, a hair more at a midpoint). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void everyLossIsCorrectlyRoundedOnTheCpu(Loss l) {
        LossAccuracy.Measures m = LossAccuracy.measure(Backends.cpu(), l, 20_000, 7, Progress.NONE);
        assertTrue(m.ok(), l + ": " + m.single().err + " " + m.batch().err + " " + m.backward().err);
        assertTrue(m.single().err <= 0.5 + 1e-6, l + " L of one row: " + m.single().err + " at " + m.single().where);
        assertTrue(m.batch().err <= 0.5 + 1e-6, l + " L of a batch: " + m.batch().err + " at " + m.batch().where);
        assertTrue(m.backward().err <= 0.5 + 1e-6, l + " dz: " + m.backward().err + " at " + m.backward().where);
        assertTrue(m.elements()[0] >= 20_000);
    }

    /** 0.5 is a special value of every input stream: elementwise z, bce's p, and a cross-entropy row's drawn entries. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void anInjectedErrorIsFoundAndNamed(Loss l) {
        LossAccuracy.Measures m = LossAccuracy.measure(CorruptingBackend.losses(0.5f, 6, 40), l, 5_000, 7,
                Progress.NONE);
        assertFalse(m.ok(), l.toString());
        // a corrupted L is a single row's or a batch's, wherever 0.5 falls in the calls
        assertTrue(Math.max(m.single().err, m.batch().err) > 4, l + " L: " + m.single().err + ", " + m.batch().err);
        assertTrue(Math.max(m.single().err, m.batch().err) < 7, l + " L moved by 6 ULP: " + m.single().err);
        assertTrue(m.backward().err > 8, l + " dz: " + m.backward().err);
        // (a cross-entropy row's dz moves as a whole: its worst entry need not be the 0.5)
        assertTrue(m.backward().where.contains(l.classTargets() ? "C=" : "z=0.5"), m.backward().where);
    }

    /** The bug the oracle found: log(1 − p) as log of a rounded 1 − p is 0 below p = 2⁻⁵³. */
    @Test
    void referenceKeepsTinyProbabilities() {
        for (java.util.function.DoubleUnaryOperator bce0 : List.<java.util.function.DoubleUnaryOperator>of(
                p -> LossReference.term(Loss.Kind.BCE, 1, p, 0), p -> LossMath.term(Loss.Kind.BCE, 1, p, 0))) {
            assertEquals(1e-20, bce0.applyAsDouble(1e-20), 1e-35);
        }
        assertEquals(100.0, LossMath.term(Loss.Kind.BCE, 1, 0, 1), "PyTorch's clamp");
        assertTrue(Double.isNaN(LossMath.term(Loss.Kind.BCE, 1, 1.5, 0)));
        assertEquals(0.0, LossMath.term(Loss.Kind.BCE_WITH_LOGITS, 2, Double.POSITIVE_INFINITY, 1), "the limit");
    }

    /**
     * The measure's reference (LossMath, which the backends run too) against the oracle written
     * apart from it, over the measure's own input stream, to 2⁻³⁶ relative (plus 2⁻³⁶ of the terms
     * a gradient subtracts, since those differences cancel at their roots): 2¹² times below what a
     * float result can show, and far above the two sums' rounding over rows of 1000 logits.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void theReferenceAgreesWithAnOracleWrittenApart(Loss l) {
        if (l instanceof Loss.SoftmaxCrossEntropy ce) {
            double[] want = new double[1000];
            double[] got = new double[1000];
            for (int r = 0; r < 3_000; r++) {
                int cols = new int[] {1, 2, 3, 7, 33, 1000}[r % 6];
                float[] z = new float[cols];
                int t = LossAccuracy.row(z, 0, cols, r, ce.ignoreIndex(), 7);
                double lw = LossReference.crossEntropyRow(z, 0, cols, t, ce.ignoreIndex(), ce.labelSmoothing(), want);
                double lg = LossMath.crossEntropyRow(z, 0, cols, t, ce.ignoreIndex(), ce.labelSmoothing(), got);
                String at = ce + " row " + r + " " + java.util.Arrays.toString(z) + " t=" + t;
                assertClose(lw, lg, 0, at + " ℓ");
                for (int j = 0; j < cols; j++) {
                    assertClose(want[j], got[j], 1, at + " dz[" + j + "]");
                }
            }
            return;
        }
        float[] w = l.columnWeights();
        for (long i = 0; i < 50_000; i++) {
            float z = LossAccuracy.input(l.kind(), i, 7);
            float t = LossAccuracy.target(l.kind(), i, z, 7);
            double pw = w == null ? l.p0() : w[(int) (i % w.length)];
            String at = l + " z=" + z + " t=" + t + " w=" + pw;
            assertClose(LossReference.term(l.kind(), pw, z, t), LossMath.term(l.kind(), pw, z, t), 0, at + " ℓ");
            assertClose(LossReference.gradient(l.kind(), pw, z, t), LossMath.gradient(l.kind(), pw, z, t),
                    LossAccuracy.terms(l, pw), at + " ∂ℓ/∂z");
        }
    }

    private static void assertClose(double want, double got, double terms, String what) {
        if (Double.isNaN(want) || Double.isInfinite(want)) {
            assertEquals(want, got, what);
            return;
        }
        double d = Math.abs(want - got);
        assertTrue(d <= 0x1p-36 * (Math.max(Math.abs(want), Math.abs(got)) + terms),
                what + ": oracle " + want + ", LossMath " + got);
    }

    /** The cross-entropy reference against the mpmath golden values LossTest holds. */
    @Test
    void crossEntropyReferenceMatchesGoldenValues() {
        double[] g = new double[3];
        double l = LossReference.crossEntropyRow(new float[] {0f, -50f, -100f}, 0, 3, 0, -100, 0, g);
        assertEquals(1.928749847963917782910704e-22, l, 1e-36);
        assertEquals(-1.92874984796391778291089e-22, g[0], 1e-36);
        double a = LossReference.crossEntropyRow(new float[] {1, 2, 3}, 0, 3, 0, -100, 0, null);
        double b = LossReference.crossEntropyRow(new float[] {0.5f, -1, 4}, 0, 3, 2, -100, 0, null);
        assertEquals(1.2219377647845797187, (a + b) / 2, 1e-15);
        double as = LossReference.crossEntropyRow(new float[] {1, 2, 3}, 0, 3, 0, -100, 0.1f, null);
        double bs = LossReference.crossEntropyRow(new float[] {0.5f, -1, 4}, 0, 3, 2, -100, 0.1f, null);
        assertEquals(1.3136044328171861614, (as + bs) / 2, 1e-15);
    }
}
