package dev.nonlin.nn;

import dev.nonlin.AbstractBackend;
import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.Tensor;
import dev.nonlin.Transpose;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A fully connected layer {@code y = f(x·W + b)} on one {@link Backend}: W is {@code in × out},
 * b is {@code 1 × out}, x is {@code batch × in}, one sample per row. The layer owns W, b, their
 * gradients and its working tensors, all on the backend (device memory on CUDA), and frees them
 * in {@link #close()}.
 *
 * <p><b>Forward.</b> {@code z = x·W} ({@link Backend#matmul}), then one fused epilogue
 * {@code y = f(z + b)} ({@link Backend#biasActivationForward}) for elementwise f. Row-wise
 * functions (softmax, log_softmax) and PReLU cannot be fused: the layer runs the identity epilogue
 * {@code h = z + b} and then {@link Backend#forward} or {@link Backend#preluForward}. PReLU's α is
 * a parameter of the layer ({@code num_parameters} = 1 or {@code out} values, starting at
 * {@code init}) and is trained like W and b.
 *
 * <p><b>Backward.</b> {@code dz = dy·f'(z + b)} and {@code db = Σ_rows dz} in one fused pass
 * ({@link Backend#biasActivationBackward}), {@code dW = xᵀ·dz}, and {@code dx = dz·Wᵀ} unless
 * {@link #inputGradient(boolean)} turned it off (the first layer of a network needs no dx).
 *
 * <p><b>Lifetimes.</b> {@link #forward} returns the layer's own output tensor, reused across calls
 * and reallocated only when the batch size changes: do not close it, and copy it if it must
 * outlive the next forward. The layer keeps a reference to x for the backward pass, so x must not
 * change or be closed in between. Not safe for concurrent use (a layer holds one batch's state).
 * After {@link #close()} the accessors that hand out a tensor ({@link #weight()}, {@link #output()},
 * ...) throw {@link IllegalStateException}, like every other method; the shape and the activation
 * stay readable.
 *
 * <p><b>Checks.</b> {@code forward} and {@code backward} check their argument (and backward the
 * saved x) before anything is written or reallocated: a call that throws for bad input leaves the
 * output, the gradients and the saved input as they were.
 *
 * <p><b>Size.</b> At most {@code Integer.MAX_VALUE − 8} weights ({@code in × out}), on every
 * backend: W is drawn on the host into one {@code float[]} and then copied to the backend, so even
 * a CUDA layer whose W would fit in device memory is bounded by Java's array limit.
 */
public final class Dense implements AutoCloseable {
    private final Backend backend;
    private final int in;
    private final int out;
    private final Activation f;
    private final Init init;
    /** Whether f runs inside the bias epilogue; otherwise after it, on h. */
    private final boolean fused;

    private final Tensor w;
    private final Tensor b;
    private final Tensor dW;
    private final Tensor dB;
    /** PReLU only: α (1 or {@code out} values) and dα; null otherwise. */
    private final Tensor alpha;
    private final Tensor dAlpha;

    /** Per batch: z = x·W, h = z + b (unfused only), y, dz, dx. */
    private Tensor z;
    private Tensor h;
    private Tensor y;
    private Tensor dz;
    private Tensor dx;
    private long batch = -1;

    private Tensor x;
    private boolean inputGradient = true;
    private boolean closed;
    /** Backward passes completed: {@link Trainer#update()} refuses to step on gradients no backward wrote. */
    private long backwardPasses;

    /** A layer with the usual initialisation for {@code f} ({@link Init#defaultFor}). */
    public Dense(Backend backend, int in, int out, Activation f, long seed) {
        this(backend, in, out, f, Init.defaultFor(f), seed);
    }

    /**
     * @param backend where the parameters live and the work runs
     * @param in      input width (≥ 1)
     * @param out     output width, the number of units (≥ 1); {@code in × out} at most
     *                {@code Integer.MAX_VALUE − 8} (see "Size" above)
     * @param f       the activation; PReLU needs {@code num_parameters} 1 or {@code out}
     * @param init    how W is drawn (b starts at 0)
     * @param seed    seed of W's draw: the same seed gives the same layer
     */
    public Dense(Backend backend, int in, int out, Activation f, Init init, long seed) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        if (in < 1) {
            throw new IllegalArgumentException("in (the input width) must be >= 1, got " + in);
        }
        if (out < 1) {
            throw new IllegalArgumentException("out (the number of units) must be >= 1, got " + out);
        }
        if ((long) in * out > Init.MAX_WEIGHTS) {
            throw new IllegalArgumentException("in × out (" + in + " × " + out + " = " + (long) in * out
                    + ") exceeds the largest Java array (" + Init.MAX_WEIGHTS + " elements): W is drawn into a float[]");
        }
        if (f == null) {
            throw new IllegalArgumentException("f (the activation) must not be null");
        }
        if (init == null) {
            throw new IllegalArgumentException("init must not be null");
        }
        if (f instanceof Activation.PRelu p && p.numParameters() != 1 && p.numParameters() != out) {
            throw new IllegalArgumentException(f + ": num_parameters (" + p.numParameters()
                    + ") must be 1 or the layer's width (" + out + ")");
        }
        this.backend = backend;
        this.in = in;
        this.out = out;
        this.f = f;
        this.init = init;
        this.fused = !f.rowWise() && f.kind() != Activation.Kind.PRELU;
        List<Tensor> made = new ArrayList<>();
        try {
            w = keep(made, backend.tensor(init.sample(in, out, new Random(seed)), in, out));
            b = keep(made, backend.allocate(1, out));
            dW = keep(made, backend.allocate(in, out));
            dB = keep(made, backend.allocate(1, out));
            if (f instanceof Activation.PRelu p) {
                float[] a = new float[p.numParameters()];
                java.util.Arrays.fill(a, p.init());
                alpha = keep(made, backend.tensor(a, 1, a.length));
                dAlpha = keep(made, backend.allocate(1, a.length));
            } else {
                alpha = null;
                dAlpha = null;
            }
        } catch (RuntimeException e) {
            made.forEach(Tensor::close);
            throw e;
        }
    }

    private static Tensor keep(List<Tensor> made, Tensor t) {
        made.add(t);
        return t;
    }

    /**
     * {@code y = f(x·W + b)}.
     *
     * @param x {@code batch × in}, an open tensor of this layer's backend, not one of the layer's own
     *          (not its {@link #output()}: forward would overwrite the input that backward needs);
     *          kept until {@link #backward}
     * @return the layer's output, {@code batch × out}: owned by the layer, valid until the next
     *         forward with another batch size or {@link #close()}
     */
    public Tensor forward(Tensor x) {
        open();
        // All of x's checks come first: reshape() below closes the previous output, which the caller may hold.
        AbstractBackend.requireOwned("x", x, home(), "the layer's");
        if (x.cols() != in) {
            throw new IllegalArgumentException("x.cols() (" + x.cols() + ") must equal the layer's input width in ("
                    + in + "): x is " + x.rows() + " × " + x.cols());
        }
        String own = tensorName(x);
        if (own != null) {
            throw new IllegalArgumentException("x must not be a tensor of this layer, got its " + own
                    + ": the layer overwrites its tensors, and backward needs x as forward saw it; pass a copy");
        }
        reshape(x.rows());
        backend.matmul(x, Transpose.N, w, Transpose.N, z);
        if (fused) {
            backend.biasActivationForward(f, z, b, y);
        } else {
            backend.biasActivationForward(Activation.identity(), z, b, h);
            if (alpha != null) {
                backend.preluForward(h, alpha, y);
            } else {
                backend.forward(f, h, y);
            }
        }
        this.x = x;
        return y;
    }

    /**
     * Gradients from {@code dy = ∂L/∂y}: fills dW, db (and dα for PReLU) and returns
     * {@code dx = ∂L/∂x}.
     *
     * @param dy {@code batch × out}, same batch as the last forward, an open tensor of this layer's
     *           backend and none of the gradients the layer writes; not modified
     * @return dx ({@code batch × in}, owned by the layer), or null when the input gradient is off
     */
    public Tensor backward(Tensor dy) {
        // Everything is checked before the first write: the fused pass below writes dz and db before
        // the matmul would notice a closed x, leaving gradients that disagree with each other.
        readyForBackward();
        AbstractBackend.requireOwned("dy", dy, home(), "the layer's");
        if (dy.rows() != batch || dy.cols() != out) {
            throw new IllegalArgumentException("dy is " + dy.rows() + " × " + dy.cols() + " but the layer's output is "
                    + batch + " × " + out);
        }
        String own = gradientName(dy);
        if (own != null) {
            throw new IllegalArgumentException("dy must not be the layer's " + own + ", which backward overwrites; pass a copy");
        }
        if (fused) {
            backend.biasActivationBackward(f, z, b, dy, dz, dB);
        } else {
            if (alpha != null) {
                backend.preluBackward(h, alpha, dy, dz, dAlpha);
            } else {
                backend.backward(f, h, dy, dz);
            }
            backend.biasActivationBackward(Activation.identity(), z, b, dz, dz, dB);
        }
        backend.matmul(x, Transpose.T, dz, Transpose.N, dW);
        if (inputGradient) {
            if (dx == null) {
                dx = backend.allocate(batch, in);    // lazily: a first layer never needs it
            }
            backend.matmul(dz, Transpose.N, w, Transpose.T, dx);
        }
        backwardPasses++;
        return inputGradient ? dx : null;
    }

    /** Whether {@link #backward} computes dx (default true); the first layer of a network can skip it. */
    public Dense inputGradient(boolean on) {
        open();
        this.inputGradient = on;
        return this;
    }

    /** W, b (and PReLU's α) with their gradients. */
    public List<Parameter> parameters() {
        open();
        List<Parameter> p = new ArrayList<>(3);
        p.add(new Parameter("w", w, dW));
        p.add(new Parameter("b", b, dB));
        if (alpha != null) {
            p.add(new Parameter("alpha", alpha, dAlpha));
        }
        return p;
    }

    private void reshape(long rows) {
        if (rows == batch) {
            return;
        }
        closeBatch();
        z = backend.allocate(rows, out);
        h = fused ? null : backend.allocate(rows, out);
        y = backend.allocate(rows, out);
        dz = backend.allocate(rows, out);
        batch = rows;
        x = null;
    }

    private void closeBatch() {
        for (Tensor t : new Tensor[] {z, h, y, dz, dx}) {
            if (t != null) {
                t.close();
            }
        }
        z = h = y = dz = dx = null;
        batch = -1;
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("the layer is closed");
        }
    }

    /**
     * The backend that holds the layer's tensors, against which x and dy are checked (before
     * anything is written, naming them as the caller does). Not {@link #backend()} itself: under
     * {@code auto} that is the router, and the tensors belong to the backend it made them on.
     */
    Backend home() {
        return w.backend();
    }

    /** Which of the layer's tensors t is ({@code "y (its output)"}, {@code "w"}, ...), or null if none. */
    String tensorName(Tensor t) {
        return nameOf(t, false);
    }

    /** Which of the tensors backward writes t is ({@code "dz"}, {@code "dW"}, ...), or null if none. */
    String gradientName(Tensor t) {
        return nameOf(t, true);
    }

    /** The gradients come first, so that {@code gradientsOnly} is a prefix of the same table. */
    private String nameOf(Tensor t, boolean gradientsOnly) {
        Tensor[] all = {dW, dB, dAlpha, dz, dx, w, b, alpha, z, h, y};
        String[] names = {"dW", "dB", "dAlpha", "dz", "dx", "w", "b", "alpha", "z", "h", "y (its output)"};
        for (int i = 0; i < (gradientsOnly ? 5 : all.length); i++) {
            if (all[i] != null && all[i] == t) {
                return names[i];
            }
        }
        return null;
    }

    /**
     * The lifecycle checks of {@link #backward}: open, a forward since the last change of batch size,
     * and its x still open. {@link Sequential#backward} runs them on every layer before the first
     * layer writes anything.
     */
    void readyForBackward() {
        open();
        if (x == null) {
            throw new IllegalStateException("backward before forward: the layer has no input to differentiate at");
        }
        if (x.isClosed()) {
            throw new IllegalStateException("x (the input of the last forward, " + x.rows() + " × " + x.cols()
                    + ") was closed before backward: keep it open until backward has run");
        }
    }

    /** Rows of the last forward's batch, or −1 before the first. */
    long batch() {
        return batch;
    }

    /** Backward passes completed so far; see {@link Trainer#update()}. */
    long backwardPasses() {
        return backwardPasses;
    }

    boolean isClosed() {
        return closed;
    }

    public Backend backend() { return backend; }
    public int in() { return in; }
    public int out() { return out; }
    public Activation activation() { return f; }
    public Init init() { return init; }
    /** W ({@code in × out}); the accessors below throw {@link IllegalStateException} once the layer is closed. */
    public Tensor weight() { open(); return w; }
    public Tensor bias() { open(); return b; }
    public Tensor weightGradient() { open(); return dW; }
    public Tensor biasGradient() { open(); return dB; }
    /** PReLU's α (1 or {@code out} values), or null for other activations. */
    public Tensor alpha() { open(); return alpha; }
    /** The output of the last forward, or null before the first. */
    public Tensor output() { open(); return y; }

    /** The tensors the layer owns right now (parameters, gradients, working tensors). */
    List<Tensor> owned() {
        List<Tensor> all = new ArrayList<>();
        for (Tensor t : new Tensor[] {w, b, dW, dB, alpha, dAlpha, z, h, y, dz, dx}) {
            if (t != null) {
                all.add(t);
            }
        }
        return all;
    }

    /** Frees every tensor the layer owns. Idempotent; the layer cannot be used afterwards. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeBatch();
        for (Tensor t : new Tensor[] {w, b, dW, dB, alpha, dAlpha}) {
            if (t != null) {
                t.close();
            }
        }
        x = null;
    }

    @Override
    public String toString() {
        return "Dense(" + in + " → " + out + ", " + f + ", " + init + ")";
    }
}
