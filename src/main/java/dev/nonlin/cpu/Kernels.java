package dev.nonlin.cpu;

import dev.nonlin.Activation.Kind;
import dev.nonlin.Loss;

/**
 * Elementwise loops over float arrays, one implementation per instruction set: {@link ScalarKernels}
 * (the reference) and {@code SimdKernels} (the Vector API, loaded only when the JVM has it).
 * Arguments are already validated; n ≥ 0. The elementwise methods refuse the row-wise functions
 * (softmax, log_softmax), which have methods of their own, one row per call: the scalar reference
 * runs {@link Rows}. The losses' kernels compute {@link LossMath}'s terms and gradients; the
 * scalar reference calls LossMath itself.
 */
interface Kernels {

    /** Which path this is, for {@code nonlin info}. */
    String description();

    /** The SGEMM of this instruction set. */
    Gemm gemm();

    void forward(Kind k, double p0, double p1, float[] x, int xo, float[] y, int yo, int n);

    void backward(Kind k, double p0, double p1, float[] x, int xo, float[] dy, int dyo,
                  float[] dx, int dxo, int n);

    void backwardFromOutput(Kind k, double p0, double p1, float[] y, int yo, float[] dy, int dyo,
                            float[] dx, int dxo, int n);

    /**
     * One row of softmax or log_softmax ({@code k} row-wise): {@code y[yo..yo+n)} from
     * {@code x[xo..xo+n)}. {@code y} may be {@code x} (same offset). {@code tmp} is scratch of at
     * least n doubles, reused across rows.
     */
    void rowForward(Kind k, float[] x, int xo, float[] y, int yo, int n, double[] tmp);

    /**
     * One row's Jacobian-vector product from x: {@code dx} from x and dy. {@code dx} may be
     * {@code dy} or {@code x} (same offset). {@code tmp} as for {@link #rowForward}.
     */
    void rowBackward(Kind k, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n, double[] tmp);

    /** One row's Jacobian-vector product from the output y. {@code dx} may be {@code dy} or {@code y}. */
    void rowBackwardFromOutput(Kind k, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int n);

    /**
     * One row of softmax cross-entropy, {@link LossMath#crossEntropyRow}'s contract: returns ℓ of
     * the row {@code z[zo..zo+cols)} with class index {@code target} (0 when it is
     * {@code ignoreIndex}, NaN when it is not a class), and when {@code dz} is not null writes
     * {@code dz = scale·∂ℓ/∂z} (0 for an ignored row, NaN for a bad target). {@code dz} may be
     * {@code z} at the same offset. {@code tmp} is scratch of at least cols doubles, reused across
     * rows.
     */
    double crossEntropyRow(float[] z, int zo, int cols, int target, int ignoreIndex, double eps,
                           float[] dz, int dzo, double scale, double[] tmp);

    /**
     * Rows {@code [0, rows)} of softmax cross-entropy at once, each as {@link #crossEntropyRow}
     * (row i: {@code z[zo + i·cols ..]}, target {@code target[to + i]}, dz at {@code dzo + i·cols}
     * when dz is not null; dz may be z at the same offset); returns Σℓ added in row order.
     * {@code tmp} holds at least {@link #crossEntropyScratch}{@code (rows, cols)} doubles. This
     * default calls crossEntropyRow row by row.
     */
    default double crossEntropyRows(float[] z, int zo, int rows, int cols, int[] target, int to, int ignoreIndex,
                                    double eps, float[] dz, int dzo, double scale, double[] tmp) {
        double s = 0;
        for (int i = 0; i < rows; i++) {
            s += crossEntropyRow(z, zo + i * cols, cols, target[to + i], ignoreIndex, eps,
                    dz, dzo + i * cols, scale, tmp);
        }
        return s;
    }

    /** Doubles of scratch that {@link #crossEntropyRows} needs for {@code rows} rows of {@code cols}. */
    default int crossEntropyScratch(int rows, int cols) {
        return cols;
    }

    /** Doubles of scratch that {@link #lossSum} needs: the length of the chunks it sums through it. */
    int LOSS_CHUNK = 1024;

    /**
     * Σℓ over the elements {@code i ∈ [0, n)} of an elementwise loss (mse, bce, bce_with_logits):
     * {@link LossMath#term}{@code (k, w[wo + i], z[zo + i], t[to + i])}, summed in double in an
     * order that depends on n alone (so the caller's fixed blocks make the total deterministic).
     * {@code w} holds each element's pos_weight for bce_with_logits; the others ignore it (null is
     * fine). {@code tmp} is scratch of at least {@code min(n, LOSS_CHUNK)} doubles.
     */
    double lossSum(Loss.Kind k, float[] w, int wo, float[] z, int zo, float[] t, int to, int n, double[] tmp);

    /**
     * {@code dz[dzo + i] = (float) (scale · LossMath.gradient(k, w[wo + i], z[zo + i], t[to + i]))}
     * for an elementwise loss, one rounding; {@code w} as for {@link #lossSum}. dz may be z or t
     * (same offset).
     */
    void lossGradient(Loss.Kind k, float[] w, int wo, float[] z, int zo, float[] t, int to, double scale,
                      float[] dz, int dzo, int n);

    /** One row of PReLU with α per column ({@code alpha.length == n}). */
    void preluForward(float[] x, int xo, float[] alpha, float[] y, int yo, int n);

    /** One row of PReLU's dx with α per column; dα is reduced by the caller. */
    void preluBackward(float[] x, int xo, float[] alpha, float[] dy, int dyo, float[] dx, int dxo, int n);
}
