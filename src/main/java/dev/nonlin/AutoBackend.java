package dev.nonlin;

import dev.nonlin.Activation.Family;

import java.util.function.Supplier;

/**
 * What {@link Backends#auto()} returns when a GPU is usable: host arrays go to the CPU or the GPU
 * by size, per function family ({@link Crossover}); tensors are made on the GPU, and an operation
 * on tensors runs on the backend that owns them, so device data never moves behind the caller's
 * back. Once the GPU is taken out of service (a sticky CUDA error, {@code broken} answers
 * non-null), everything new goes to the CPU.
 *
 * <p>Argument checks are the delegates' own: both are {@link AbstractBackend}s, which check
 * everything before writing anything.
 */
final class AutoBackend implements Backend {
    private final Backend cpu;
    private final Backend gpu;
    private final Crossover crossover;
    private final Supplier<String> broken;

    /**
     * @param broken why the GPU stopped serving, or null while it is healthy
     */
    AutoBackend(Backend cpu, Backend gpu, Crossover crossover, Supplier<String> broken) {
        this.cpu = cpu;
        this.gpu = gpu;
        this.crossover = crossover;
        this.broken = broken;
    }

    Crossover crossover() {
        return crossover;
    }

    @Override
    public String name() {
        return "auto";
    }

    @Override
    public String description() {
        return "auto: host arrays to " + gpu.name() + " from " + crossover + " elements, else " + cpu.name()
                + "; tensors on " + gpu.name() + " [" + gpu.description() + "] [" + cpu.description() + "]";
    }

    @Override
    public String toString() {
        return description();
    }

    /** The backend for a host-array call of {@code rows × cols} elements of {@code family}. */
    Backend forArrays(Family family, long rows, long cols) {
        if (broken.get() != null || rows < 0 || cols < 0) {
            return cpu;            // the CPU's own checks report negative shapes
        }
        return crossover.gpu(family, rows * cols) ? gpu : cpu;
    }

    private Backend forArrays(Activation f, int rows, int cols) {
        return f == null ? cpu : forArrays(f.kind().family(), rows, cols);
    }

    /** Where new tensors live. */
    private Backend home() {
        return broken.get() != null ? cpu : gpu;
    }

    private Backend owner(Tensor t) {
        return t == null ? home() : t.backend();
    }

    // ------------------------------------------------------------------ host arrays

    @Override
    public void forward(Activation f, float[] x, int xOffset, float[] y, int yOffset, int rows, int cols) {
        forArrays(f, rows, cols).forward(f, x, xOffset, y, yOffset, rows, cols);
    }

    @Override
    public void backward(Activation f, float[] x, int xOffset, float[] dy, int dyOffset,
                         float[] dx, int dxOffset, int rows, int cols) {
        forArrays(f, rows, cols).backward(f, x, xOffset, dy, dyOffset, dx, dxOffset, rows, cols);
    }

    @Override
    public void backwardFromOutput(Activation f, float[] y, int yOffset, float[] dy, int dyOffset,
                                   float[] dx, int dxOffset, int rows, int cols) {
        forArrays(f, rows, cols).backwardFromOutput(f, y, yOffset, dy, dyOffset, dx, dxOffset, rows, cols);
    }

    @Override
    public void preluForward(float[] x, int xOffset, float[] alpha, float[] y, int yOffset, int rows, int cols) {
        forArrays(Family.PIECEWISE, rows, cols).preluForward(x, xOffset, alpha, y, yOffset, rows, cols);
    }

    @Override
    public void preluBackward(float[] x, int xOffset, float[] alpha, float[] dy, int dyOffset,
                              float[] dx, int dxOffset, float[] dAlpha, int rows, int cols) {
        forArrays(Family.PIECEWISE, rows, cols)
                .preluBackward(x, xOffset, alpha, dy, dyOffset, dx, dxOffset, dAlpha, rows, cols);
    }

    // ------------------------------------------------------------------ losses

    /** A loss's cost family: mse is piecewise, the row-wise cross-entropy row-wise, the rest transcendental. */
    private Backend forArrays(Loss loss, int rows, int cols) {
        if (loss == null) {
            return cpu;
        }
        Family f = switch (loss.kind()) {
            case MSE -> Family.PIECEWISE;
            case BCE, BCE_WITH_LOGITS -> Family.TRANSCENDENTAL;
            case SOFTMAX_CROSS_ENTROPY -> Family.ROW_WISE;
        };
        return forArrays(f, rows, cols);
    }

    @Override
    public double lossForward(Loss loss, float[] z, int zOffset, float[] t, int tOffset, int rows, int cols) {
        return forArrays(loss, rows, cols).lossForward(loss, z, zOffset, t, tOffset, rows, cols);
    }

    @Override
    public double lossForward(Loss loss, float[] z, int zOffset, int[] target, int targetOffset, int rows, int cols) {
        return forArrays(loss, rows, cols).lossForward(loss, z, zOffset, target, targetOffset, rows, cols);
    }

    @Override
    public void lossBackward(Loss loss, float[] z, int zOffset, float[] t, int tOffset, double dLoss,
                             float[] dz, int dzOffset, int rows, int cols) {
        forArrays(loss, rows, cols).lossBackward(loss, z, zOffset, t, tOffset, dLoss, dz, dzOffset, rows, cols);
    }

    @Override
    public void lossBackward(Loss loss, float[] z, int zOffset, int[] target, int targetOffset, double dLoss,
                             float[] dz, int dzOffset, int rows, int cols) {
        forArrays(loss, rows, cols).lossBackward(loss, z, zOffset, target, targetOffset, dLoss, dz, dzOffset, rows, cols);
    }

    // ------------------------------------------------------------------ tensors

    @Override
    public void synchronize() {
        gpu.synchronize();
    }

    @Override
    public Tensor allocate(long rows, long cols) {
        return home().allocate(rows, cols);
    }

    @Override
    public Tensor tensor(float[] data, long rows, long cols) {
        return home().tensor(data, rows, cols);
    }

    @Override
    public void copy(Tensor x, Tensor y) {
        owner(x).copy(x, y);
    }

    @Override
    public void forward(Activation f, Tensor x, Tensor y) {
        owner(x).forward(f, x, y);
    }

    @Override
    public void backward(Activation f, Tensor x, Tensor dy, Tensor dx) {
        owner(x).backward(f, x, dy, dx);
    }

    @Override
    public void backwardFromOutput(Activation f, Tensor y, Tensor dy, Tensor dx) {
        owner(y).backwardFromOutput(f, y, dy, dx);
    }

    @Override
    public void preluForward(Tensor x, Tensor alpha, Tensor y) {
        owner(x).preluForward(x, alpha, y);
    }

    @Override
    public void preluBackward(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha) {
        owner(x).preluBackward(x, alpha, dy, dx, dAlpha);
    }

    @Override
    public IntTensor intTensor(int[] data) {
        return home().intTensor(data);
    }

    @Override
    public void lossForward(Loss loss, Tensor z, Tensor t, Tensor lossOut) {
        owner(z).lossForward(loss, z, t, lossOut);
    }

    @Override
    public void lossForward(Loss loss, Tensor z, IntTensor target, Tensor lossOut) {
        owner(z).lossForward(loss, z, target, lossOut);
    }

    @Override
    public void lossBackward(Loss loss, Tensor z, Tensor t, double dLoss, Tensor dz) {
        owner(z).lossBackward(loss, z, t, dLoss, dz);
    }

    @Override
    public void lossBackward(Loss loss, Tensor z, IntTensor target, double dLoss, Tensor dz) {
        owner(z).lossBackward(loss, z, target, dLoss, dz);
    }

    @Override
    public void matmul(Tensor a, Transpose ta, Tensor b, Transpose tb, float alpha, float beta, Tensor c) {
        owner(c).matmul(a, ta, b, tb, alpha, beta, c);
    }

    @Override
    public void biasActivationForward(Activation f, Tensor z, Tensor bias, Tensor y) {
        owner(z).biasActivationForward(f, z, bias, y);
    }

    @Override
    public void biasActivationBackward(Activation f, Tensor z, Tensor bias, Tensor dy, Tensor dz, Tensor dBias) {
        owner(z).biasActivationBackward(f, z, bias, dy, dz, dBias);
    }

    @Override
    public void optimizerStep(Optimizer rule, long step, Tensor w, Tensor g, Tensor m, Tensor v) {
        owner(w).optimizerStep(rule, step, w, g, m, v);
    }
}
