package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.Backends;
import dev.nonlin.Tensor;

/**
 * The CPU backend, except that it moves chosen results by a chosen number of ULPs (bit patterns,
 * so "5" means five floats away; a NaN result becomes 0): a backend that breaks the contract on purpose, to prove that
 * the accuracy check notices, names the input and fails. Only the host-array paths that
 * {@code nonlin accuracy} uses are supported.
 */
final class CorruptingBackend implements Backend {
    private final Backend cpu = Backends.cpu();
    private final float badX;
    private final int forwardUlps;
    private final int backwardUlps;

    /**
     * @param badX         the input whose results are moved (compared by bits, so NaN works)
     * @param forwardUlps  how far y moves there
     * @param backwardUlps how far dx moves there (at every dy)
     */
    CorruptingBackend(float badX, int forwardUlps, int backwardUlps) {
        this.badX = badX;
        this.forwardUlps = forwardUlps;
        this.backwardUlps = backwardUlps;
    }

    private boolean bad(float x) {
        return Float.floatToRawIntBits(x) == Float.floatToRawIntBits(badX);
    }

    /** v moved by ulps floats; a NaN becomes 0 (a backend that loses NaN). */
    private static float move(float v, int ulps) {
        return Float.isNaN(v) ? 0f : Float.intBitsToFloat(Float.floatToRawIntBits(v) + ulps);
    }

    @Override
    public String name() {
        return "corrupting-cpu";
    }

    @Override
    public String description() {
        return "the CPU, moving f(" + badX + ") by " + forwardUlps + " ULP and f'(" + badX + ")·dy by " + backwardUlps;
    }

    @Override
    public void forward(Activation f, float[] x, int xo, float[] y, int yo, int rows, int cols) {
        cpu.forward(f, x, xo, y, yo, rows, cols);
        for (int i = 0; i < rows * cols; i++) {
            if (bad(x[xo + i])) {
                y[yo + i] = move(y[yo + i], forwardUlps);
            }
        }
    }

    @Override
    public void backward(Activation f, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int rows,
                         int cols) {
        cpu.backward(f, x, xo, dy, dyo, dx, dxo, rows, cols);
        for (int i = 0; i < rows * cols; i++) {
            if (bad(x[xo + i])) {
                dx[dxo + i] = move(dx[dxo + i], backwardUlps);
            }
        }
    }

    @Override
    public void backwardFromOutput(Activation f, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo,
                                   int rows, int cols) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void preluForward(float[] x, int xo, float[] alpha, float[] y, int yo, int rows, int cols) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void preluBackward(float[] x, int xo, float[] alpha, float[] dy, int dyo, float[] dx, int dxo,
                              float[] dAlpha, int rows, int cols) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Tensor allocate(long rows, long cols) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Tensor tensor(float[] data, long rows, long cols) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void forward(Activation f, Tensor x, Tensor y) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void backward(Activation f, Tensor x, Tensor dy, Tensor dx) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void backwardFromOutput(Activation f, Tensor y, Tensor dy, Tensor dx) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void preluForward(Tensor x, Tensor alpha, Tensor y) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void preluBackward(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha) {
        throw new UnsupportedOperationException();
    }
}
