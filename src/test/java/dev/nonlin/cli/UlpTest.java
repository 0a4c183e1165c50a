package dev.nonlin.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UlpTest {

    @Test
    void distances() {
        assertEquals(0, Ulp.ulps(1f, 1.0));
        assertEquals(1, Ulp.ulps(Math.nextUp(1f), 1.0));
        assertEquals(2, Ulp.ulps(Math.nextDown(Math.nextDown(-3f)), -3.0));
        assertEquals(0.5, Ulp.ulps(1f, 1.0 + Math.ulp(1f) / 2.0), 1e-12);
        assertEquals(0.25, Ulp.ulps(1f, 1.0 + Math.ulp(1f) / 4.0), 1e-12);
        // Measured in the ULP of the exact value: just below 1 the spacing is half that, so 0.5.
        assertEquals(0.5, Ulp.ulps(Math.nextDown(1f), 1.0), 1e-12);
        assertEquals(1, Ulp.ulps(Float.MIN_VALUE, 0.0));
        assertEquals(0, Ulp.ulps(-0f, 0.0));
    }

    @Test
    void specialValues() {
        assertEquals(0, Ulp.ulps(Float.NaN, Double.NaN));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.ulps(Float.NaN, 1.0));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.ulps(1f, Double.NaN));
        assertEquals(0, Ulp.ulps(Float.POSITIVE_INFINITY, Double.POSITIVE_INFINITY));
        assertEquals(0, Ulp.ulps(Float.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.ulps(Float.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.ulps(Float.MAX_VALUE, Double.POSITIVE_INFINITY));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.ulps(Float.POSITIVE_INFINITY, 1.0));
        // Overflow is correct rounding: an exact value that rounds to +∞ and got +∞ is no error.
        assertEquals(0, Ulp.ulps(Float.POSITIVE_INFINITY, 3.6e38));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.ulps(Float.POSITIVE_INFINITY, 3.3e38));
        // An exact value past the float range is measured in MAX_VALUE's ULP.
        assertEquals(1, Ulp.ulps(Float.MAX_VALUE, Float.MAX_VALUE + (double) Math.ulp(Float.MAX_VALUE)), 1e-12);
    }

    @Test
    void backwardSlack() {
        // |got − exact| = 2^-23 with dy = 1: entirely within the slack.
        assertEquals(0, Ulp.backwardUlps(0x1p-23f, 0.0, 1.0));
        // Twice the slack at 1: the excess is 2^-23 = 1 ULP of 1.
        assertEquals(1, Ulp.backwardUlps(1f + 0x1p-22f, 1.0, 1.0), 1e-12);
        assertEquals(2, Ulp.backwardUlps(1f + 0x1p-22f, 1.0, 0.0), 1e-12);
        assertEquals(0, Ulp.backwardUlps(Float.NaN, Double.NaN, 1.0));
        assertEquals(Double.POSITIVE_INFINITY, Ulp.backwardUlps(Float.NaN, 0.0, 1.0));
        assertTrue(Ulp.forwardOk(4));
        assertFalse(Ulp.forwardOk(4.01));
        assertTrue(Ulp.backwardOk(8));
        assertFalse(Ulp.backwardOk(Double.POSITIVE_INFINITY));
        assertEquals(1, Ulp.maxUlps(new float[] {1f, Math.nextUp(2f)}, new double[] {1.0, 2.0}));
    }
}
