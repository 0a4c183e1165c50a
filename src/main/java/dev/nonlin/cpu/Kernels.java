package dev.nonlin.cpu;

import dev.nonlin.Activation.Kind;

/**
 * Elementwise loops over float arrays, one implementation per instruction set: {@link ScalarKernels}
 * (the reference) and {@code SimdKernels} (the Vector API, loaded only when the JVM has it).
 * Arguments are already validated; n ≥ 0. Row-wise functions are not elementwise and go through
 * {@link Rows}.
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

    /** One row of PReLU with α per column ({@code alpha.length == n}). */
    void preluForward(float[] x, int xo, float[] alpha, float[] y, int yo, int n);

    /** One row of PReLU's dx with α per column; dα is reduced by the caller. */
    void preluBackward(float[] x, int xo, float[] alpha, float[] dy, int dyo, float[] dx, int dxo, int n);
}
