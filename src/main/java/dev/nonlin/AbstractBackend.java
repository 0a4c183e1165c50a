package dev.nonlin;

import java.lang.ref.Reference;

/**
 * Argument checking shared by every backend. The public methods validate everything (null,
 * ranges, shapes, in-place aliasing, tensor ownership) before any output is touched, then call
 * the protected methods, which may assume valid input and {@code rows × cols > 0}.
 *
 * <p>Each public method that takes tensors keeps them reachable until it returns
 * ({@link Reference#reachabilityFence}), as do the tensors' own copies: a CUDA tensor that the
 * caller has dropped ({@code b.tensor(x, r, c).toArray()}) has a {@link java.lang.ref.Cleaner}
 * that would otherwise be free to release its device memory while the call still enqueues work
 * on it, the JIT being allowed to treat an object as dead after its last field read.
 */
public abstract class AbstractBackend implements Backend {

    // ------------------------------------------------------------------ what backends implement

    protected abstract void forwardArray(Activation f, float[] x, int xOffset, float[] y, int yOffset,
                                         int rows, int cols);

    protected abstract void backwardArray(Activation f, float[] x, int xOffset, float[] dy, int dyOffset,
                                          float[] dx, int dxOffset, int rows, int cols);

    protected abstract void backwardFromOutputArray(Activation f, float[] y, int yOffset, float[] dy,
                                                    int dyOffset, float[] dx, int dxOffset, int rows, int cols);

    protected abstract void preluForwardArray(float[] x, int xOffset, float[] alpha, float[] y, int yOffset,
                                              int rows, int cols);

    protected abstract void preluBackwardArray(float[] x, int xOffset, float[] alpha, float[] dy, int dyOffset,
                                               float[] dx, int dxOffset, float[] dAlpha, int rows, int cols);

    protected abstract Tensor allocateChecked(long rows, long cols);

    protected abstract Tensor tensorChecked(float[] data, long rows, long cols);

    protected abstract void copyTensor(Tensor x, Tensor y);

    protected abstract void forwardTensor(Activation f, Tensor x, Tensor y);

    protected abstract void backwardTensor(Activation f, Tensor x, Tensor dy, Tensor dx);

    protected abstract void backwardFromOutputTensor(Activation f, Tensor y, Tensor dy, Tensor dx);

    protected abstract void preluForwardTensor(Tensor x, Tensor alpha, Tensor y);

    protected abstract void preluBackwardTensor(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha);

    protected abstract double lossForwardArray(Loss loss, float[] z, int zOffset, float[] t, int tOffset,
                                               int rows, int cols);

    protected abstract double lossForwardArray(Loss loss, float[] z, int zOffset, int[] target, int targetOffset,
                                               int rows, int cols);

    protected abstract void lossBackwardArray(Loss loss, float[] z, int zOffset, float[] t, int tOffset, double dLoss,
                                              float[] dz, int dzOffset, int rows, int cols);

    protected abstract void lossBackwardArray(Loss loss, float[] z, int zOffset, int[] target, int targetOffset,
                                              double dLoss, float[] dz, int dzOffset, int rows, int cols);

    /** A new int tensor of {@code size} ints, contents unset ({@link #intTensor} copies the data in). */
    protected abstract AbstractIntTensor newIntTensor(int size);

    protected abstract void lossForwardTensor(Loss loss, Tensor z, Tensor t, Tensor lossOut);

    protected abstract void lossForwardTensor(Loss loss, Tensor z, IntTensor target, Tensor lossOut);

    protected abstract void lossBackwardTensor(Loss loss, Tensor z, Tensor t, double dLoss, Tensor dz);

    protected abstract void lossBackwardTensor(Loss loss, Tensor z, IntTensor target, double dLoss, Tensor dz);

    /** Shapes checked; m, n, k > 0 (an empty product with k = 0 is handled here). */
    protected abstract void matmulTensor(Tensor a, Transpose ta, Tensor b, Transpose tb, float alpha, float beta,
                                         Tensor c);

    protected abstract void biasActivationForwardTensor(Activation f, Tensor z, Tensor bias, Tensor y);

    protected abstract void biasActivationBackwardTensor(Activation f, Tensor z, Tensor bias, Tensor dy, Tensor dz,
                                                         Tensor dBias);

    /** w.size() > 0; m and v are present exactly as the rule needs. */
    protected abstract void optimizerStepTensor(Optimizer rule, long step, Tensor w, Tensor g, Tensor m, Tensor v);

    /** c = beta·c over the whole tensor (beta = 0 writes zeros): matmul with k = 0. c.size() > 0. */
    protected abstract void scaleTensor(float beta, Tensor c);

    // ------------------------------------------------------------------ host arrays

    @Override
    public final void forward(Activation f, float[] x, int xOffset, float[] y, int yOffset, int rows, int cols) {
        int n = count(rows, cols);
        activation(f, cols);
        range("x", x, xOffset, n);
        range("y", y, yOffset, n);
        aliasing("x", x, xOffset, "y", y, yOffset, n);
        if (n > 0) {
            forwardArray(f, x, xOffset, y, yOffset, rows, cols);
        }
    }

    @Override
    public final void backward(Activation f, float[] x, int xOffset, float[] dy, int dyOffset,
                               float[] dx, int dxOffset, int rows, int cols) {
        int n = count(rows, cols);
        activation(f, cols);
        range("x", x, xOffset, n);
        range("dy", dy, dyOffset, n);
        range("dx", dx, dxOffset, n);
        aliasing("dy", dy, dyOffset, "dx", dx, dxOffset, n);
        aliasing("x", x, xOffset, "dx", dx, dxOffset, n);
        if (n > 0) {
            backwardArray(f, x, xOffset, dy, dyOffset, dx, dxOffset, rows, cols);
        }
    }

    @Override
    public final void backwardFromOutput(Activation f, float[] y, int yOffset, float[] dy, int dyOffset,
                                         float[] dx, int dxOffset, int rows, int cols) {
        int n = count(rows, cols);
        activation(f, cols);
        fromOutput(f);
        range("y", y, yOffset, n);
        range("dy", dy, dyOffset, n);
        range("dx", dx, dxOffset, n);
        aliasing("dy", dy, dyOffset, "dx", dx, dxOffset, n);
        aliasing("y", y, yOffset, "dx", dx, dxOffset, n);
        if (n > 0) {
            backwardFromOutputArray(f, y, yOffset, dy, dyOffset, dx, dxOffset, rows, cols);
        }
    }

    @Override
    public final void preluForward(float[] x, int xOffset, float[] alpha, float[] y, int yOffset, int rows, int cols) {
        int n = count(rows, cols);
        range("x", x, xOffset, n);
        alpha("alpha", alpha, cols);
        range("y", y, yOffset, n);
        aliasing("x", x, xOffset, "y", y, yOffset, n);
        notIntoAlpha("y", y, yOffset, n, alpha);
        if (n > 0) {
            preluForwardArray(x, xOffset, alpha, y, yOffset, rows, cols);
        }
    }

    @Override
    public final void preluBackward(float[] x, int xOffset, float[] alpha, float[] dy, int dyOffset,
                                    float[] dx, int dxOffset, float[] dAlpha, int rows, int cols) {
        int n = count(rows, cols);
        range("x", x, xOffset, n);
        alpha("alpha", alpha, cols);
        range("dy", dy, dyOffset, n);
        range("dx", dx, dxOffset, n);
        if (dAlpha == null) {
            throw new IllegalArgumentException("dAlpha must not be null");
        }
        if (dAlpha.length != alpha.length) {
            throw new IllegalArgumentException("dAlpha.length (" + dAlpha.length
                    + ") must equal alpha.length (" + alpha.length + ")");
        }
        if (dAlpha == alpha || dAlpha == x || dAlpha == dy || dAlpha == dx) {
            throw new IllegalArgumentException("dAlpha must not share an array with alpha, x, dy or dx");
        }
        aliasing("dy", dy, dyOffset, "dx", dx, dxOffset, n);
        aliasing("x", x, xOffset, "dx", dx, dxOffset, n);
        notIntoAlpha("dx", dx, dxOffset, n, alpha);
        if (n == 0) {
            java.util.Arrays.fill(dAlpha, 0f);
            return;
        }
        preluBackwardArray(x, xOffset, alpha, dy, dyOffset, dx, dxOffset, dAlpha, rows, cols);
    }

    // ------------------------------------------------------------------ tensors

    @Override
    public final Tensor allocate(long rows, long cols) {
        shape(rows, cols);
        return allocateChecked(rows, cols);
    }

    @Override
    public final Tensor tensor(float[] data, long rows, long cols) {
        if (data == null) {
            throw new IllegalArgumentException("data must not be null");
        }
        shape(rows, cols);
        if (rows * cols != data.length) {
            throw new IllegalArgumentException("rows × cols (" + rows + " × " + cols + " = " + rows * cols
                    + ") must equal data.length (" + data.length + ")");
        }
        return tensorChecked(data, rows, cols);
    }

    @Override
    public final void copy(Tensor x, Tensor y) {
        try {
            own("x", x);
            own("y", y);
            sameShape("x", x, "y", y);
            if (x != y && x.size() > 0) {
                copyTensor(x, y);
            }
        } finally {
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(y);
        }
    }

    @Override
    public final void forward(Activation f, Tensor x, Tensor y) {
        try {
            own("x", x);
            own("y", y);
            sameShape("x", x, "y", y);
            activation(f, x.cols());
            if (x.size() > 0) {
                forwardTensor(f, x, y);
            }
        } finally {
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(y);
        }
    }

    @Override
    public final void backward(Activation f, Tensor x, Tensor dy, Tensor dx) {
        try {
            own("x", x);
            own("dy", dy);
            own("dx", dx);
            sameShape("x", x, "dy", dy);
            sameShape("x", x, "dx", dx);
            activation(f, x.cols());
            if (x.size() > 0) {
                backwardTensor(f, x, dy, dx);
            }
        } finally {
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(dy);
            Reference.reachabilityFence(dx);
        }
    }

    @Override
    public final void backwardFromOutput(Activation f, Tensor y, Tensor dy, Tensor dx) {
        try {
            own("y", y);
            own("dy", dy);
            own("dx", dx);
            sameShape("y", y, "dy", dy);
            sameShape("y", y, "dx", dx);
            activation(f, y.cols());
            fromOutput(f);
            if (y.size() > 0) {
                backwardFromOutputTensor(f, y, dy, dx);
            }
        } finally {
            Reference.reachabilityFence(y);
            Reference.reachabilityFence(dy);
            Reference.reachabilityFence(dx);
        }
    }

    @Override
    public final void preluForward(Tensor x, Tensor alpha, Tensor y) {
        try {
            own("x", x);
            own("alpha", alpha);
            own("y", y);
            sameShape("x", x, "y", y);
            alphaTensor(alpha, x.cols());
            if (sameStorage(alpha, y)) {
                throw new IllegalArgumentException("y must not be alpha");
            }
            if (x.size() > 0) {
                preluForwardTensor(x, alpha, y);
            }
        } finally {
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(alpha);
            Reference.reachabilityFence(y);
        }
    }

    @Override
    public final void preluBackward(Tensor x, Tensor alpha, Tensor dy, Tensor dx, Tensor dAlpha) {
        try {
            own("x", x);
            own("alpha", alpha);
            own("dy", dy);
            own("dx", dx);
            own("dAlpha", dAlpha);
            sameShape("x", x, "dy", dy);
            sameShape("x", x, "dx", dx);
            alphaTensor(alpha, x.cols());
            if (dAlpha.size() != alpha.size()) {
                throw new IllegalArgumentException("dAlpha.size() (" + dAlpha.size()
                        + ") must equal alpha.size() (" + alpha.size() + ")");
            }
            if (sameStorage(dAlpha, alpha) || sameStorage(dAlpha, x) || sameStorage(dAlpha, dy) || sameStorage(dAlpha, dx)
                    || sameStorage(alpha, dx)) {
                throw new IllegalArgumentException("dAlpha must be a tensor of its own, and dx must not be alpha");
            }
            preluBackwardTensor(x, alpha, dy, dx, dAlpha);
        } finally {
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(alpha);
            Reference.reachabilityFence(dy);
            Reference.reachabilityFence(dx);
            Reference.reachabilityFence(dAlpha);
        }
    }

    // ------------------------------------------------------------------ losses

    /** The loss of nothing: a mean over 0 elements is 0/0 (NaN, as PyTorch), a sum is 0. */
    protected static double emptyLoss(Loss loss) {
        return loss.reduction() == Loss.Reduction.MEAN ? Double.NaN : 0.0;
    }

    @Override
    public final double lossForward(Loss loss, float[] z, int zOffset, float[] t, int tOffset, int rows, int cols) {
        int n = count(rows, cols);
        floatTargets(loss, cols);
        range("z", z, zOffset, n);
        range("t", t, tOffset, n);
        return n == 0 ? emptyLoss(loss) : lossForwardArray(loss, z, zOffset, t, tOffset, rows, cols);
    }

    @Override
    public final double lossForward(Loss loss, float[] z, int zOffset, int[] target, int targetOffset, int rows, int cols) {
        int n = count(rows, cols);
        classTargets(loss);
        range("z", z, zOffset, n);
        targets(loss, target, targetOffset, rows, cols);
        return n == 0 ? emptyLoss(loss) : lossForwardArray(loss, z, zOffset, target, targetOffset, rows, cols);
    }

    @Override
    public final void lossBackward(Loss loss, float[] z, int zOffset, float[] t, int tOffset, double dLoss,
                                   float[] dz, int dzOffset, int rows, int cols) {
        int n = count(rows, cols);
        floatTargets(loss, cols);
        range("z", z, zOffset, n);
        range("t", t, tOffset, n);
        range("dz", dz, dzOffset, n);
        aliasing("z", z, zOffset, "dz", dz, dzOffset, n);
        aliasing("t", t, tOffset, "dz", dz, dzOffset, n);
        if (n > 0) {
            lossBackwardArray(loss, z, zOffset, t, tOffset, dLoss, dz, dzOffset, rows, cols);
        }
    }

    @Override
    public final void lossBackward(Loss loss, float[] z, int zOffset, int[] target, int targetOffset, double dLoss,
                                   float[] dz, int dzOffset, int rows, int cols) {
        int n = count(rows, cols);
        classTargets(loss);
        range("z", z, zOffset, n);
        targets(loss, target, targetOffset, rows, cols);
        range("dz", dz, dzOffset, n);
        aliasing("z", z, zOffset, "dz", dz, dzOffset, n);
        if (n > 0) {
            lossBackwardArray(loss, z, zOffset, target, targetOffset, dLoss, dz, dzOffset, rows, cols);
        }
    }

    @Override
    public final IntTensor intTensor(int[] data) {
        if (data == null) {
            throw new IllegalArgumentException("data must not be null");
        }
        return filled(newIntTensor(data.length), t -> t.copyFrom(data, 0));
    }

    /**
     * {@code t} after {@code fill} has written it; if the fill fails, t is closed (its memory
     * freed) before the failure propagates, so that a failed {@code tensor(data)} leaks nothing.
     */
    protected static <T extends AutoCloseable> T filled(T t, java.util.function.Consumer<T> fill) {
        try {
            fill.accept(t);
        } catch (RuntimeException | Error e) {
            try {
                t.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return t;
    }

    @Override
    public final void lossForward(Loss loss, Tensor z, Tensor t, Tensor lossOut) {
        try {
            lossNotNull(loss);
            own("z", z);
            floatTargets(loss, z.cols());
            own("t", t);
            sameShape("z", z, "t", t);
            lossOut(lossOut, z, t);
            if (z.size() == 0) {
                lossOut.copyFrom(new float[] {(float) emptyLoss(loss)}, 0);
            } else {
                lossForwardTensor(loss, z, t, lossOut);
            }
        } finally {
            Reference.reachabilityFence(z);
            Reference.reachabilityFence(t);
            Reference.reachabilityFence(lossOut);
        }
    }

    @Override
    public final void lossForward(Loss loss, Tensor z, IntTensor target, Tensor lossOut) {
        try {
            classTargets(loss);
            own("z", z);
            requireClassTargets("target", target, this, "this one", loss, "z.rows()", z.rows(), z.cols());
            lossOut(lossOut, z, null);
            if (z.size() == 0) {
                lossOut.copyFrom(new float[] {(float) emptyLoss(loss)}, 0);
            } else {
                lossForwardTensor(loss, z, target, lossOut);
            }
        } finally {
            Reference.reachabilityFence(z);
            Reference.reachabilityFence(target);
            Reference.reachabilityFence(lossOut);
        }
    }

    @Override
    public final void lossBackward(Loss loss, Tensor z, Tensor t, double dLoss, Tensor dz) {
        try {
            lossNotNull(loss);
            own("z", z);
            floatTargets(loss, z.cols());
            own("t", t);
            own("dz", dz);
            sameShape("z", z, "t", t);
            sameShape("z", z, "dz", dz);
            if (z.size() > 0) {
                lossBackwardTensor(loss, z, t, dLoss, dz);
            }
        } finally {
            Reference.reachabilityFence(z);
            Reference.reachabilityFence(t);
            Reference.reachabilityFence(dz);
        }
    }

    @Override
    public final void lossBackward(Loss loss, Tensor z, IntTensor target, double dLoss, Tensor dz) {
        try {
            classTargets(loss);
            own("z", z);
            requireClassTargets("target", target, this, "this one", loss, "z.rows()", z.rows(), z.cols());
            own("dz", dz);
            sameShape("z", z, "dz", dz);
            if (z.size() > 0) {
                lossBackwardTensor(loss, z, target, dLoss, dz);
            }
        } finally {
            Reference.reachabilityFence(z);
            Reference.reachabilityFence(target);
            Reference.reachabilityFence(dz);
        }
    }

    // ------------------------------------------------------------------ dense layers and training

    @Override
    public final void matmul(Tensor a, Transpose ta, Tensor b, Transpose tb, float alpha, float beta, Tensor c) {
        try {
            own("a", a);
            own("b", b);
            own("c", c);
            transpose("ta", ta);
            transpose("tb", tb);
            long m = ta.rows(a);
            long k = ta.cols(a);
            if (tb.rows(b) != k) {
                throw new IllegalArgumentException("op(a) is " + m + " × " + k + " (a is " + a.rows() + " × " + a.cols()
                        + ", " + ta + ") but op(b) is " + tb.rows(b) + " × " + tb.cols(b) + " (b is " + b.rows() + " × "
                        + b.cols() + ", " + tb + "): the inner dimensions must agree");
            }
            long n = tb.cols(b);
            if (c.rows() != m || c.cols() != n) {
                throw new IllegalArgumentException("c is " + c.rows() + " × " + c.cols() + " but op(a)·op(b) is " + m
                        + " × " + n);
            }
            if (sameStorage(c, a) || sameStorage(c, b)) {
                throw new IllegalArgumentException("c must be a tensor of its own, not " + (sameStorage(c, a) ? "a" : "b")
                        + " (nor share its data)");
            }
            if (m > Integer.MAX_VALUE || n > Integer.MAX_VALUE || k > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("matmul dimensions must each fit in an int: m = " + m + ", n = " + n
                        + ", k = " + k);
            }
            if (m == 0 || n == 0) {
                return;
            }
            if (k == 0 || alpha == 0f) {
                scaleTensor(beta, c);
                return;
            }
            matmulTensor(a, ta, b, tb, alpha, beta, c);
        } finally {
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(c);
        }
    }

    @Override
    public final void biasActivationForward(Activation f, Tensor z, Tensor bias, Tensor y) {
        try {
            elementwise(f);
            own("z", z);
            own("bias", bias);
            own("y", y);
            sameShape("z", z, "y", y);
            bias(bias, z);
            if (sameStorage(bias, y)) {
                throw new IllegalArgumentException("y must not be bias");
            }
            if (z.size() > 0) {
                biasActivationForwardTensor(f, z, bias, y);
            }
        } finally {
            Reference.reachabilityFence(z);
            Reference.reachabilityFence(bias);
            Reference.reachabilityFence(y);
        }
    }

    @Override
    public final void biasActivationBackward(Activation f, Tensor z, Tensor bias, Tensor dy, Tensor dz,
                                             Tensor dBias) {
        try {
            elementwise(f);
            own("z", z);
            own("bias", bias);
            own("dy", dy);
            own("dz", dz);
            own("dBias", dBias);
            sameShape("z", z, "dy", dy);
            sameShape("z", z, "dz", dz);
            bias(bias, z);
            if (dBias.size() != z.cols()) {
                throw new IllegalArgumentException("dBias.size() (" + dBias.size() + ") must equal z.cols() ("
                        + z.cols() + ")");
            }
            if (sameStorage(dBias, z) || sameStorage(dBias, bias) || sameStorage(dBias, dy) || sameStorage(dBias, dz)
                    || sameStorage(dz, bias) || sameStorage(dz, z)) {
                throw new IllegalArgumentException("dBias must be a tensor of its own, and dz must not be z or bias"
                        + " (dz may be dy)");
            }
            if (z.size() == 0) {
                if (dBias.size() > 0) {
                    scaleTensor(0f, dBias);    // the column sums of no rows
                }
                return;
            }
            biasActivationBackwardTensor(f, z, bias, dy, dz, dBias);
        } finally {
            Reference.reachabilityFence(z);
            Reference.reachabilityFence(bias);
            Reference.reachabilityFence(dy);
            Reference.reachabilityFence(dz);
            Reference.reachabilityFence(dBias);
        }
    }

    @Override
    public final void optimizerStep(Optimizer rule, long step, Tensor w, Tensor g, Tensor m, Tensor v) {
        try {
            if (rule == null) {
                throw new IllegalArgumentException("rule (the optimizer) must not be null");
            }
            if (step < 1) {
                throw new IllegalArgumentException("step must be >= 1 (the first step is 1), got " + step);
            }
            own("w", w);
            own("g", g);
            sameShape("w", w, "g", g);
            int states = rule.stateTensors();
            state(rule, "m", m, states >= 1, w);
            state(rule, "v", v, states >= 2, w);
            Tensor[] all = {w, g, m, v};
            String[] names = {"w", "g", "m", "v"};
            for (int i = 0; i < all.length; i++) {
                for (int j = i + 1; j < all.length; j++) {
                    if (all[i] != null && all[j] != null && sameStorage(all[i], all[j])) {
                        throw new IllegalArgumentException(names[j] + " must not be " + names[i]
                                + ": w, g and the state tensors must be distinct tensors");
                    }
                }
            }
            if (w.size() > 0) {
                optimizerStepTensor(rule, step, w, g, m, v);
            }
        } finally {
            Reference.reachabilityFence(w);
            Reference.reachabilityFence(g);
            Reference.reachabilityFence(m);
            Reference.reachabilityFence(v);
        }
    }

    private void state(Optimizer rule, String name, Tensor t, boolean needed, Tensor w) {
        if (!needed) {
            if (t != null) {
                throw new IllegalArgumentException(name + " must be null: " + rule + " keeps " + rule.stateTensors()
                        + " state tensor(s)");
            }
            return;
        }
        if (t == null) {
            throw new IllegalArgumentException(name + " must not be null: " + rule + " keeps " + rule.stateTensors()
                    + " state tensor(s)");
        }
        own(name, t);
        sameShape("w", w, name, t);
    }

    private static void transpose(String name, Transpose t) {
        if (t == null) {
            throw new IllegalArgumentException(name + " must be Transpose.N or Transpose.T, got null");
        }
    }

    private static void elementwise(Activation f) {
        if (f == null) {
            throw new IllegalArgumentException("f (the activation) must not be null");
        }
        if (f.kind().rowWise() || f.kind() == Activation.Kind.PRELU) {
            throw new IllegalArgumentException(f + " is not elementwise with fixed parameters, so it cannot be fused"
                    + " into the bias epilogue: run biasActivationForward(identity, ...) and then "
                    + (f.kind() == Activation.Kind.PRELU ? "preluForward" : "forward(" + f + ", ...)"));
        }
    }

    private static void bias(Tensor bias, Tensor z) {
        if (bias.size() != z.cols()) {
            throw new IllegalArgumentException("bias.size() (" + bias.size() + ") must equal z.cols() (" + z.cols()
                    + "): one bias per column");
        }
    }

    // ------------------------------------------------------------------ checks

    /** rows × cols as an int, for host arrays. */
    protected static int count(int rows, int cols) {
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        }
        if (cols < 0) {
            throw new IllegalArgumentException("cols must be >= 0, got " + cols);
        }
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("rows × cols (" + rows + " × " + cols + " = " + n
                    + ") exceeds the largest Java array");
        }
        return (int) n;
    }

    protected static void shape(long rows, long cols) {
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        }
        if (cols < 0) {
            throw new IllegalArgumentException("cols must be >= 0, got " + cols);
        }
        if (cols != 0 && rows > Long.MAX_VALUE / cols) {
            throw new IllegalArgumentException("rows × cols overflows: " + rows + " × " + cols);
        }
    }

    private static void activation(Activation f, long cols) {
        if (f == null) {
            throw new IllegalArgumentException("f (the activation) must not be null");
        }
        if (f instanceof Activation.PRelu p && p.numParameters() != 1 && p.numParameters() != cols) {
            throw new IllegalArgumentException("prelu(num_parameters=" + p.numParameters()
                    + ") needs cols == " + p.numParameters() + " (channels along the last axis), got cols = " + cols);
        }
    }

    private static void fromOutput(Activation f) {
        if (!f.backwardFromOutput()) {
            throw new IllegalArgumentException(f + " has no backward from the output (it is not invertible"
                    + " there); use backward(f, x, dy, dx)");
        }
    }

    private static void lossNotNull(Loss loss) {
        if (loss == null) {
            throw new IllegalArgumentException("loss must not be null");
        }
    }

    /** A loss with float targets, whose per-column weights (if any) match z's {@code cols}. */
    private static void floatTargets(Loss loss, long cols) {
        lossNotNull(loss);
        if (loss.classTargets()) {
            throw new IllegalArgumentException(loss + " takes class targets (int[] or IntTensor, one per row), not float targets");
        }
        float[] w = loss.columnWeights();
        if (w != null && w.length != cols) {
            throw new IllegalArgumentException(loss.name() + ": pos_weight has " + w.length
                    + " weights (one per class, i.e. per column) but z has " + cols + " columns");
        }
    }

    private static void classTargets(Loss loss) {
        lossNotNull(loss);
        if (!loss.classTargets()) {
            throw new IllegalArgumentException(loss + " takes float targets shaped like z, not class indices");
        }
    }

    /** rows class indices from targetOffset, each in [0, cols) or the loss's ignore_index. */
    private static void targets(Loss loss, int[] target, int targetOffset, int rows, int cols) {
        targets("target", loss, target, targetOffset, rows, cols);
    }

    private static void targets(String name, Loss loss, int[] target, int targetOffset, int rows, int cols) {
        if (target == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (targetOffset < 0 || targetOffset > target.length) {
            throw new IllegalArgumentException("targetOffset (" + targetOffset + ") is out of range for target.length "
                    + target.length);
        }
        if (rows > target.length - targetOffset) {
            throw new IllegalArgumentException("target has " + (target.length - targetOffset) + " elements from offset "
                    + targetOffset + ", but rows = " + rows + " (one class index per row)");
        }
        int ignore = ((Loss.SoftmaxCrossEntropy) loss).ignoreIndex();
        for (int r = 0; r < rows; r++) {
            int v = target[targetOffset + r];
            if (v != ignore && (v < 0 || v >= cols)) {
                throw new IllegalArgumentException(name + "[" + (targetOffset + r) + "] (row " + r + ") = " + v
                        + " is not a class index in [0, " + cols + ") nor ignore_index (" + ignore + ")");
            }
        }
    }

    /**
     * The checks on class targets for {@code rows × cols} logits: owned by {@code owner} and open
     * (see {@link #requireOwned(String, IntTensor, Backend, String)}, which {@code whose} is for), one per row, and each a class
     * index in [0, cols) or the loss's ignore_index. The last costs O(1) and reads nothing from a
     * device (each int tensor keeps a summary of what was copied in); only when it fails are the
     * targets read back, to name the first bad one as the host-array calls do. Public so that
     * {@code dev.nonlin.nn} checks before its forward pass.
     *
     * @param loss     a loss with class targets (softmax_cross_entropy)
     * @param rowsName how the message names the row count, e.g. "z.rows()", "x.rows()"
     */
    public static void requireClassTargets(String name, IntTensor target, Backend owner, String whose, Loss loss,
                                           String rowsName, long rows, long cols) {
        requireOwned(name, target, owner, whose);
        if (target.size() != rows) {
            throw new IllegalArgumentException(name + ".size() (" + target.size() + ") must equal " + rowsName + " ("
                    + rows + "): one class index per row");
        }
        if (!(loss instanceof Loss.SoftmaxCrossEntropy ce)) {
            throw new IllegalArgumentException(loss + " takes float targets shaped like z, not class indices");
        }
        if (!((AbstractIntTensor) target).holdsClassesBelow(cols, ce.ignoreIndex())) {
            int[] a = target.toArray();
            targets(name, loss, a, 0, a.length, (int) Math.min(cols, Integer.MAX_VALUE));
        }
    }

    private void lossOut(Tensor lossOut, Tensor z, Tensor t) {
        own("lossOut", lossOut);
        if (lossOut.size() != 1) {
            throw new IllegalArgumentException("lossOut must hold one element, got " + lossOut.rows() + " × "
                    + lossOut.cols());
        }
        if (sameStorage(lossOut, z) || (t != null && sameStorage(lossOut, t))) {
            throw new IllegalArgumentException("lossOut must be a tensor of its own, not z or t");
        }
    }

    private static void range(String name, float[] a, int offset, int n) {
        if (a == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (offset < 0 || offset > a.length) {
            throw new IllegalArgumentException(name + "Offset (" + offset + ") is out of range for "
                    + name + ".length " + a.length);
        }
        if (n > a.length - offset) {
            throw new IllegalArgumentException(name + " has " + (a.length - offset) + " elements from offset "
                    + offset + ", but rows × cols = " + n);
        }
    }

    private static void alpha(String name, float[] alpha, int cols) {
        if (alpha == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (alpha.length != 1 && alpha.length != cols) {
            throw new IllegalArgumentException(name + ".length must be 1 or cols (" + cols + "), got "
                    + alpha.length);
        }
    }

    private static void alphaTensor(Tensor alpha, long cols) {
        if (alpha.size() != 1 && alpha.size() != cols) {
            throw new IllegalArgumentException("alpha.size() must be 1 or cols (" + cols + "), got " + alpha.size());
        }
    }

    /** In place (same array, same offset) is fine; any other overlap is rejected. */
    private static void aliasing(String an, float[] a, int ao, String bn, float[] b, int bo, int n) {
        if (ao != bo && overlaps(a, ao, b, bo, n)) {
            throw new IllegalArgumentException(an + " [" + ao + ", " + (ao + n) + ") and " + bn + " [" + bo + ", "
                    + (bo + n) + ") overlap; use the same offset for in place, or disjoint ranges");
        }
    }

    /**
     * PReLU's α is read for every row while the output is written, so the output must not be
     * written over it (the tensor versions refuse y == alpha and dx == alpha the same way). α is a
     * whole array of 1 or cols floats, so this is the case of one row written into α's array.
     */
    private static void notIntoAlpha(String name, float[] out, int offset, int n, float[] alpha) {
        if (out == alpha && n > 0 && offset < alpha.length) {
            throw new IllegalArgumentException(name + " [" + offset + ", " + (offset + n) + ") overlaps alpha [0, "
                    + alpha.length + ") in the same array; alpha must stay unchanged while " + name + " is written");
        }
    }

    /**
     * Whether two ranges of n elements share elements of one array: in place (the same offset,
     * which the argument checks allow) or overlapping (which they refuse).
     */
    protected static boolean overlaps(float[] a, int ao, float[] b, int bo, long n) {
        return a == b && ao < bo + n && bo < ao + n;
    }

    /**
     * Whether two tensors of this backend hold the same data: the same tensor, or (on the CPU,
     * whose tensors may wrap a caller's array) two tensors over one array. The checks that a
     * tensor is "of its own" use this, not {@code ==}.
     */
    protected boolean sameStorage(Tensor p, Tensor q) {
        return p == q;
    }

    private void own(String name, Tensor t) {
        requireOwned(name, t, this, "this one");
    }

    /**
     * The checks every tensor argument of a backend gets: not null, made by a nonlin backend, by
     * {@code owner} itself, and open; a failure throws {@link IllegalArgumentException} naming the
     * argument. Public so that code built on backends ({@code dev.nonlin.nn}) makes the same checks,
     * worded the same way, before it writes anything, under its own argument names.
     *
     * @param owner the backend the tensor must belong to: a concrete one (what
     *              {@link Tensor#backend()} returns), not {@code auto}, which routes to its tensors' owners
     * @param whose how the message names the owner, e.g. "this one", "the layer's"
     */
    public static void requireOwned(String name, Tensor t, Backend owner, String whose) {
        if (t == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (!(t instanceof AbstractTensor) || t.backend() != owner) {
            throw new IllegalArgumentException(foreign(name, t, t.backend(), owner, whose));
        }
        if (t.isClosed()) {
            throw new IllegalArgumentException(name + " is closed (" + t.rows() + " × " + t.cols() + ")");
        }
    }

    /** {@link #requireOwned(String, Tensor, Backend, String)} for class targets. */
    public static void requireOwned(String name, IntTensor t, Backend owner, String whose) {
        if (t == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (!(t instanceof AbstractIntTensor) || t.backend() != owner) {
            throw new IllegalArgumentException(foreign(name, t, t.backend(), owner, whose));
        }
        if (t.isClosed()) {
            throw new IllegalArgumentException(name + " is closed (" + t.size() + " classes)");
        }
    }

    /**
     * Why a tensor is not owner's: made by another backend (named so that two instances of one
     * kind, say two CPU backends, can be told apart), or not made by a nonlin backend at all.
     */
    private static String foreign(String name, Object t, Backend tOwner, Backend owner, String whose) {
        if (!(t instanceof AbstractTensor) && !(t instanceof AbstractIntTensor)) {
            return name + " is a " + t.getClass().getName() + ", not a tensor made by a nonlin backend "
                    + "(use the backend's allocate, tensor or intTensor)";
        }
        String theirs = tOwner != null && tOwner.name().equals(owner.name())
                ? "another " + owner.name() + " backend instance (" + tOwner.description() + ")"
                : "backend " + (tOwner == null ? "null" : tOwner.description());
        return name + " belongs to " + theirs + ", not to " + whose + " (" + owner.description() + ")";
    }

    private static void sameShape(String an, Tensor a, String bn, Tensor b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException(bn + " is " + b.rows() + " × " + b.cols() + " but " + an + " is "
                    + a.rows() + " × " + a.cols());
        }
    }
}
