package dev.nonlin.cli;

import dev.nonlin.Backends;
import dev.nonlin.Loss;
import dev.nonlin.Losses;
import dev.nonlin.cli.Accuracy.Progress;
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

    /** The bug this measurement found: log(1 − p) as log of a rounded 1 − p is 0 below p = 2⁻⁵³. */
    @Test
    void referenceKeepsTinyProbabilities() {
        assertEquals(1e-20, LossReference.term(Loss.Kind.BCE, 1, 1e-20, 0), 1e-35);
        assertEquals(100.0, LossReference.term(Loss.Kind.BCE, 1, 0, 1), "PyTorch's clamp");
        assertTrue(Double.isNaN(LossReference.term(Loss.Kind.BCE, 1, 1.5, 0)));
        assertEquals(0.0, LossReference.term(Loss.Kind.BCE_WITH_LOGITS, 2, Double.POSITIVE_INFINITY, 1), "the limit");
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
