package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.Backends;
import dev.nonlin.cli.Accuracy.Measures;
import dev.nonlin.cli.Accuracy.Progress;
import dev.nonlin.cli.Accuracy.Sampling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine of {@code nonlin accuracy}: inputs, the measure, the worst element, chunking. */
class AccuracyTest {

    static List<Activation> catalogue() {
        return Activations.all();
    }

    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    /**
     * Every function on the CPU, on a small sample: within the contract, with the error of each
     * measure where the code's design puts it: correctly rounded (≤ 0.5 ULP, plus a hair where the
     * double result lies within ~1e-7 ULP of a midpoint), except softsign's two float roundings
     * (≤ 1.5 ULP).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void everyFunctionMeetsTheContractOnTheCpu(Activation f) {
        Sampling s = new Sampling(-128f, 128f, 20_000, 5);
        Measures m = f.rowWise() ? Accuracy.rows(Backends.cpu(), f, s, THREADS, Progress.NONE)
                : Accuracy.sampled(Backends.cpu(), f, s, THREADS, Progress.NONE);
        assertTrue(m.ok(), f + ": forward " + m.forward().err + ", backward " + m.backwardUnitDy().err + ", "
                + m.backwardRandomDy().err);
        double bound = f.kind() == Activation.Kind.SOFTSIGN ? 1.5 : 0.5 + 1e-6;
        assertTrue(m.forward().err <= bound, f + " forward " + m.forward().err + " at " + m.forward().x);
        assertTrue(m.backwardUnitDy().any() && m.backwardRandomDy().any());
    }

    @Test
    void anInjectedForwardErrorIsFoundWithItsInput() {
        float bad = Float.intBitsToFloat(0x3f800123);   // 1.0000347
        Backend b = CorruptingBackend.of(bad, 6, 0);
        Measures m = Accuracy.exhaustive(b, Activation.parse("gelu"), 0x3f800000L, 0x3f810000L, 1, THREADS,
                Progress.NONE);
        assertFalse(m.ok());
        assertEquals(0x3f800123L, m.forward().index);
        assertEquals(bad, m.forward().x);
        assertTrue(m.forward().err > 5.4 && m.forward().err < 6.6, "6 floats away: " + m.forward().err);
        assertTrue(m.backwardUnitDy().err == 0 && m.backwardRandomDy().err == 0, "backward untouched");
    }

    @Test
    void anInjectedBackwardErrorIsFoundAtBothDy() {
        float bad = -2.5f;
        Backend b = CorruptingBackend.of(bad, 0, 100);
        // every sample is −2.5 in the range [−2.5, −2.5]; the special values come first
        Measures m = Accuracy.sampled(b, Activation.parse("silu"), new Sampling(bad, bad, 10, 2), THREADS,
                Progress.NONE);
        assertFalse(m.ok());
        assertTrue(m.forward().err <= 0.5, "forward untouched: " + m.forward().err);
        assertEquals(bad, m.backwardUnitDy().x);
        assertEquals(1f, m.backwardUnitDy().dy);
        assertEquals(Accuracy.SPECIAL.length, m.backwardUnitDy().index, "ties go to the first such input");
        // silu'(−2.5) ≈ −0.0994: 100 floats are 7.5e-7, less the slack 2^-23 that leaves ≈ 84 ULP
        assertTrue(m.backwardUnitDy().err > 80 && m.backwardUnitDy().err < 88, "" + m.backwardUnitDy().err);
        assertEquals(bad, m.backwardRandomDy().x);
        assertEquals(Accuracy.randomDy(2, m.backwardRandomDy().index), m.backwardRandomDy().dy,
                "the dy reported is the one that element got");
    }

    @Test
    void nanThatBecomesANumberIsAnInfiniteError() {
        Backend b = CorruptingBackend.of(Float.intBitsToFloat(0x7fc00000), 1, 1);
        // the canonical NaN is one of the bit patterns in [0x7fc00000, 0x7fc00100)
        Measures m = Accuracy.exhaustive(b, Activation.parse("relu"), 0x7fbfff00L, 0x7fc00100L, 1, THREADS,
                Progress.NONE);
        assertEquals(Double.POSITIVE_INFINITY, m.forward().err);
        assertEquals(0x7fc00000L, m.forward().index);
        assertEquals(Double.POSITIVE_INFINITY, m.backwardUnitDy().err);
        assertFalse(m.ok());
    }

    @Test
    void rowWiseErrorsAreFound() {
        // Rows start with the special values as rows of length 1: softmax of [3] is 1.
        Backend b = CorruptingBackend.of(3f, 8, 0);
        Measures m = Accuracy.rows(b, Activation.softmax(), new Sampling(-10f, 10f, 5000, 3), THREADS, Progress.NONE);
        assertFalse(m.ok());
        assertEquals(3f, m.forward().x);
        assertTrue(m.forward().err >= 7.5, "8 floats away: " + m.forward().err);
    }

    /** The answer is a function of the inputs: thread count and chunk order do not change it. */
    @Test
    void theWorstElementDoesNotDependOnThreads() {
        Activation f = Activation.parse("softsign");   // two float roundings: errors up to 1.5 ULP, many distinct
        long a = 0x3f000000L;
        long e = a + 6 * Accuracy.CHUNK + 123;   // a partial last chunk
        Measures one = Accuracy.exhaustive(Backends.cpu(), f, a, e, 9, 1, Progress.NONE);
        Measures many = Accuracy.exhaustive(Backends.cpu(), f, a, e, 9, 4, Progress.NONE);
        for (int k = 0; k < 3; k++) {
            Accuracy.Worst x = k == 0 ? one.forward() : k == 1 ? one.backwardUnitDy() : one.backwardRandomDy();
            Accuracy.Worst y = k == 0 ? many.forward() : k == 1 ? many.backwardUnitDy() : many.backwardRandomDy();
            assertEquals(x.err, y.err, "measure " + k);
            assertEquals(x.index, y.index, "measure " + k);
        }
        assertTrue(one.forward().err > 0.5, "softsign's float-lane error shows: " + one.forward().err);
    }

    @Test
    void progressReachesTheTotal() {
        AtomicLong last = new AtomicLong(-1);
        long total = 3L * Accuracy.CHUNK + 7;
        Accuracy.exhaustive(Backends.cpu(), Activation.relu(), 0, total, 1, THREADS, (done, t) -> {
            assertEquals(total, t);
            assertTrue(done >= last.get(), "progress only grows");
            last.set(done);
        });
        assertEquals(total, last.get());
    }

    // ------------------------------------------------------------------ inputs

    @Test
    void samplesStayInTheRangeAndReachEveryBinade() {
        Sampling s = new Sampling(-1f, 1e-3f, 200_000, 4);
        Set<Integer> exponents = new HashSet<>();
        boolean subnormal = false;
        for (long i = Accuracy.SPECIAL.length; i < s.total(); i++) {
            float x = s.input(i);
            assertTrue(x >= -1f && x <= 1e-3f, "sample " + i + " = " + x);
            exponents.add(Math.getExponent(x));
            subnormal |= x != 0 && Math.abs(x) < Float.MIN_NORMAL;
        }
        assertTrue(subnormal, "bit-uniform draws reach the subnormals");
        assertTrue(exponents.size() > 100, "binades seen: " + exponents.size());
        assertEquals(s.input(12_345), new Sampling(-1f, 1e-3f, 200_000, 4).input(12_345), "a function of (seed, i)");
    }

    @Test
    void infiniteBoundsGiveEveryFloatButNaN() {
        Sampling s = new Sampling(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 100_000, 1);
        boolean huge = false;
        boolean tiny = false;
        for (long i = Accuracy.SPECIAL.length; i < s.total(); i++) {
            float x = s.input(i);
            assertFalse(Float.isNaN(x));
            huge |= Math.abs(x) > 1e30f;
            tiny |= Math.abs(x) < 1e-30f;
        }
        assertTrue(huge && tiny);
        Sampling point = new Sampling(2.5f, 2.5f, 10, 1);
        assertEquals(2.5f, point.input(Accuracy.SPECIAL.length + 3));
        assertEquals(2.5f, point.input(Accuracy.SPECIAL.length + 4));
        assertThrows(IllegalArgumentException.class, () -> new Sampling(1f, 0f, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> new Sampling(0f, 1f, -1, 1));
    }

    @Test
    void randomDyCoversBothSignsAndSixteenBinades() {
        Set<Integer> exponents = new HashSet<>();
        int negative = 0;
        for (long i = 0; i < 10_000; i++) {
            float dy = Accuracy.randomDy(7, i);
            float a = Math.abs(dy);
            assertTrue(a >= 0x1p-8f && a < 0x1p8f, "dy " + dy);
            exponents.add(Math.getExponent(dy));
            negative += dy < 0 ? 1 : 0;
        }
        assertEquals(16, exponents.size());
        assertTrue(negative > 4_500 && negative < 5_500, "negative: " + negative);
        assertEquals(Accuracy.randomDy(7, 99), Accuracy.randomDy(7, 99));
        assertTrue(Accuracy.randomDy(7, 99) != Accuracy.randomDy(8, 99), "the seed matters");
    }

    @Test
    void rowPlanCoversEveryLengthWithinTheBudget() {
        Sampling s = new Sampling(-1f, 1f, 1 << 20, 1);
        Accuracy.Batch[] plan = Accuracy.rowPlan(s);
        Set<Integer> lengths = new HashSet<>();
        long next = 0;
        for (Accuracy.Batch bt : plan) {
            lengths.add(bt.cols());
            assertEquals(next, bt.first(), "batches are consecutive");
            assertTrue((long) bt.rows() * bt.cols() <= Accuracy.CHUNK, "a batch fits the buffers");
            next += (long) bt.rows() * bt.cols();
        }
        assertEquals(Accuracy.ROW_LENGTHS.length, lengths.size());
        long n = Accuracy.elements(plan);
        assertTrue(n > s.total() * 0.95 && n <= s.total(), "elements " + n + " of " + s.total());
    }

    @Test
    void rowWiseAndElementwiseAreNotMixedUp() {
        Sampling s = new Sampling(-1f, 1f, 10, 1);
        assertThrows(IllegalArgumentException.class,
                () -> Accuracy.sampled(Backends.cpu(), Activation.softmax(), s, 1, Progress.NONE));
        assertThrows(IllegalArgumentException.class,
                () -> Accuracy.rows(Backends.cpu(), Activation.relu(), s, 1, Progress.NONE));
        assertThrows(IllegalArgumentException.class,
                () -> Accuracy.exhaustive(Backends.cpu(), Activation.relu(), 5, 1L << 33, 1, 1, Progress.NONE));
    }
}
