package dev.nonlin.cpu;

/**
 * The complementary error function in double, for GELU. Java has no erf.
 *
 * <pre>
 *   erfc(z) = e^(−z²) · erfcx(z),   z ≥ 0,   erfcx(z) = P(t),  t = (z − 4)/(z + 4)
 *   erfc(z) = 2 − erfc(−z),         z &lt; 0   (no cancellation: the result is in [1, 2])
 * </pre>
 *
 * <p>P is one polynomial of degree 21 (Chebyshev interpolation of the scaled function erfcx in
 * 50-digit arithmetic, converted to monomials; {@code ci/gen-erfcx.py} generates the table and
 * {@code cuda/include/nonlin_math.cuh} holds the same one). One polynomial for the whole range
 * means no branches, which suits SIMD lanes and GPU warps. z is clamped to 30, where erfc
 * underflows double anyway; NaN propagates.
 *
 * <p>e^(−z²) takes z² as the exact sum hi + lo (lo from one fma): with z² rounded, e^(−z²) would
 * carry a relative error of z²·2⁻⁵³, 1.5e-14 at z = 13 and 8e-14 at z = 26. With the split,
 * the relative error of erfc is below 1.5e-15 for z ≤ 13 and below 3e-15 up to z = 26.5, where
 * erfc leaves the normal double range (there the polynomial's own error, ~1e-16 absolute against
 * erfcx ≈ 0.02, dominates). {@code ScalarReferenceTest} checks this against 50-digit values over
 * the whole range of the polynomial. A caller's own argument rounding still counts: erfc(−x/√2)
 * would inherit 2z² times the relative error of the rounded −x/√2, 2e-14 at x = −14; GELU
 * therefore goes through {@link #twoPhi}, which forms the Gaussian factor from x.
 */
public final class Erfc {
    private Erfc() {
    }

    /** Centre of the map t = (z − K)/(z + K). */
    public static final double K = 4.0;

    /** Monomial coefficients of P in t, constant term first. */
    static final double[] P = {
            0.13699945762506144,
            -0.25906804876017253,
            0.21871967891825056,
            -0.16425781669723072,
            0.10896317739948265,
            -0.06310781564179457,
            0.03129905650959723,
            -0.012843946006388787,
            0.004060263697521198,
            -0.0007991269820253035,
            -2.1762070982657895e-05,
            7.898387349464188e-05,
            -2.2554989779435195e-05,
            -1.9050222714817373e-06,
            2.9425120241798613e-06,
            -4.056635568059823e-07,
            -2.8151058877876574e-07,
            9.286877001125978e-08,
            2.327422153358488e-08,
            -1.304361065835857e-08,
            -1.3648079797970761e-09,
            1.0747862261442003e-09,
    };

    /** erfc(z) for any double z; NaN gives NaN. */
    public static double erfc(double z) {
        double a = Math.min(Math.abs(z), 30.0);
        double t = (a - K) / (a + K);
        double p = P[P.length - 1];
        for (int i = P.length - 2; i >= 0; i--) {
            p = p * t + P[i];
        }
        // z² = hi + lo exactly; e^(−z²) = e^(−hi)·e^(−lo) = e^(−hi)·(1 − lo) to double precision,
        // since |lo| ≤ 2⁻⁵³·hi < 1e-13 here.
        double hi = a * a;
        double lo = Math.fma(a, a, -hi);
        double r = Math.exp(-hi) * (p - p * lo);
        return z < 0 ? 2.0 - r : r;
    }

    /** |x| beyond this gives e^(−x²/2) = 0 in double (e^−882), as erfc's clamp at 30 does (x = 42.4). */
    static final double TWO_PHI_CLAMP = 42.0;

    /**
     * e^(−x²/2) for |x| ≤ {@link #TWO_PHI_CLAMP} (the callers clamp), with x² taken exactly as
     * hi + lo (lo from one fma): e^(−hi/2)·(1 − lo/2), hi/2 exact. With x² rounded, the result
     * would carry a relative error of up to x²/2·2⁻⁵³ (7.7e-15 at x = 11.8).
     */
    public static double halfSquareExp(double x) {
        double hi = x * x;
        double lo = Math.fma(x, x, -hi);
        return Math.exp(-0.5 * hi) * (1.0 - 0.5 * lo);
    }

    /**
     * 2Φ(x) = erfc(−x/√2) for any double x (NaN gives NaN), for GELU. Not erfc(−x·(1/√2)): the
     * product rounds z, and e^(−z²) turns z's relative error δ into 2z²·δ, 1.8e-14 at x = −11.8
     * (z = 8.35), which showed as a 0.50000015-ULP "error" of correctly rounded float results.
     * Here the polynomial still takes the rounded |z| (erfcx is flat: its relative condition
     * number is below 1), and the Gaussian factor e^(−z²) = e^(−x²/2) comes from x itself
     * ({@link #halfSquareExp}). For x &gt; 0, 2 − erfc(|z|), as in {@link #erfc}.
     */
    public static double twoPhi(double x) {
        double ax = Math.min(Math.abs(x), TWO_PHI_CLAMP);
        double a = ax * Scalar.INV_SQRT2;
        double t = (a - K) / (a + K);
        double p = P[P.length - 1];
        for (int i = P.length - 2; i >= 0; i--) {
            p = p * t + P[i];
        }
        double r = halfSquareExp(ax) * p;
        return x > 0 ? 2.0 - r : r;
    }
}
