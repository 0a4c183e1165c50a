package dev.nonlin.cli;

/**
 * Errors in units in the last place (ULP) of float, against an exact (float64) value: the units
 * of the numerics contract (DESIGN.md § 3).
 *
 * <pre>
 *   forward:   ulps(y, exact)            ≤ 4
 *   backward:  backwardUlps(dx, exact, dy) ≤ 8,  i.e. |dx − exact| ≤ 8 ulp + 2⁻²³·|dy|
 * </pre>
 *
 * <p>The ULP is that of the exact value rounded to float, {@code Math.ulp((float) exact)}, so an
 * error of 0.5 is a correctly rounded result. Where the exact value rounds past
 * {@code Float.MAX_VALUE} the ULP of {@code MAX_VALUE} is used.
 */
public final class Ulp {
    private Ulp() {
    }

    /** The contract's forward bound. */
    public static final double FORWARD_ULPS = 4;
    /** The contract's backward bound, beyond the absolute slack. */
    public static final double BACKWARD_ULPS = 8;
    /** The backward absolute slack per unit of |dy|: it covers roots of f', where no ULP bound can hold. */
    public static final double BACKWARD_SLACK = 0x1p-23;

    /**
     * {@code |got − exact| / ulp((float) exact)}. NaN against NaN and an infinity against the
     * same infinity are 0, and so is an infinity where the exact value rounds to it (overflow is
     * correct rounding); NaN against a number, or an infinity against anything else, is +∞.
     */
    public static double ulps(float got, double exact) {
        if (Double.isNaN(exact) || Float.isNaN(got)) {
            return Double.isNaN(exact) && Float.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
        }
        if (Double.isInfinite(exact) || Float.isInfinite(got)) {
            return got == (float) exact ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.abs(got - exact) / ulpOf(exact);
    }

    /**
     * The backward error in the contract's units: ULPs beyond the absolute slack
     * {@code 2⁻²³·|dy|}, 0 when the error is within the slack. Special values as {@link #ulps}.
     */
    public static double backwardUlps(float got, double exact, double dy) {
        double u = ulps(got, exact);
        if (u == 0 || Double.isInfinite(u)) {
            return u;
        }
        double err = Math.abs(got - exact);
        double slack = BACKWARD_SLACK * Math.abs(dy);
        return err <= slack ? 0 : (err - slack) / ulpOf(exact);
    }

    /**
     * The contract's |dy| for one row of a row-wise function (softmax, log_softmax): the row's
     * Σ|dy_j|, because the Jacobian mixes the row and every dx_i carries rounding from every dy_j.
     * Pass it as {@code dy} to {@link #backwardUlps} for each element of the row.
     */
    public static double rowDy(float[] dy, int offset, int cols) {
        double l1 = 0;
        for (int j = 0; j < cols; j++) {
            l1 += Math.abs(dy[offset + j]);
        }
        return l1;
    }

    /** Whether a forward error meets the contract. NaN never does. */
    public static boolean forwardOk(double ulps) {
        return ulps <= FORWARD_ULPS;
    }

    /** Whether a {@link #backwardUlps} error meets the contract. NaN never does. */
    public static boolean backwardOk(double ulps) {
        return ulps <= BACKWARD_ULPS;
    }

    /** The largest forward error over {@code got[i]} against {@code exact[i]}. */
    public static double maxUlps(float[] got, double[] exact) {
        if (got.length != exact.length) {
            throw new IllegalArgumentException("got.length (" + got.length + ") != exact.length (" + exact.length + ")");
        }
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, ulps(got[i], exact[i]));
        }
        return worst;
    }

    /** The ULP of float at {@code exact}: {@code Math.ulp((float) exact)}, capped at that of MAX_VALUE. */
    public static double ulpOf(double exact) {
        float rounded = (float) exact;
        return Float.isInfinite(rounded) ? Math.ulp(Float.MAX_VALUE) : Math.ulp(rounded);
    }
}
