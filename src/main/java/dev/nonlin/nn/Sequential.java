package dev.nonlin.nn;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Dense layers applied in order: {@code y = layer_n(... layer_1(x))}. Owns its layers: {@link #close()}
 * frees every tensor of every layer.
 *
 * <p>The first layer computes no input gradient unless {@link #inputGradient(boolean)} asks for it,
 * since training never needs ∂L/∂x.
 *
 * <p>Not safe for concurrent use: like its layers, it holds one batch's state. Train or run one
 * network per thread.
 */
public final class Sequential implements AutoCloseable {
    private final List<Dense> layers;
    private boolean closed;

    /**
     * @param layers at least one; each layer's {@code in} must equal the previous layer's {@code out},
     *               all must live on the same backend, and no layer may appear twice (a layer holds
     *               one batch's input and activations, so a second use would overwrite what the
     *               first one's backward needs)
     */
    public Sequential(List<Dense> layers) {
        if (layers == null || layers.isEmpty()) {
            throw new IllegalArgumentException("layers must hold at least one layer, got " + layers);
        }
        for (int i = 0; i < layers.size(); i++) {
            Dense l = layers.get(i);
            if (l == null) {
                throw new IllegalArgumentException("layers[" + i + "] must not be null");
            }
            for (int j = 0; j < i; j++) {
                if (layers.get(j) == l) {
                    throw new IllegalArgumentException("layers[" + i + "] is layers[" + j + "] again (" + l
                            + "): a layer holds one batch's state, so each position needs a Dense of its own");
                }
            }
            if (i == 0) {
                continue;
            }
            Dense prev = layers.get(i - 1);
            if (l.in() != prev.out()) {
                throw new IllegalArgumentException("layers[" + i + "].in() (" + l.in() + ") must equal layers["
                        + (i - 1) + "].out() (" + prev.out() + "): " + prev + " cannot feed " + l);
            }
            if (l.backend() != layers.get(0).backend()) {
                throw new IllegalArgumentException("layers[" + i + "] is on " + l.backend().name() + " but layers[0] on "
                        + layers.get(0).backend().name() + ": all layers must share one backend");
            }
        }
        this.layers = List.copyOf(layers);
        this.layers.get(0).inputGradient(false);
    }

    /** {@link #Sequential(List)} of the given layers. */
    public static Sequential of(Dense... layers) {
        return new Sequential(layers == null ? null : java.util.Arrays.asList(layers));
    }

    /**
     * A multi-layer perceptron: {@code widths = {in, h₁, ..., out}} gives {@code widths.length − 1}
     * dense layers, {@code hidden} after every layer but the last and {@code output} after the last,
     * each initialised as {@link Init#defaultFor} its activation. Layer i is seeded with a value
     * derived from {@code seed} and i.
     */
    public static Sequential mlp(Backend backend, long seed, Activation hidden, Activation output, int... widths) {
        if (widths == null || widths.length < 2) {
            throw new IllegalArgumentException("widths must give the input width and at least one layer width, got "
                    + (widths == null ? "null" : java.util.Arrays.toString(widths)));
        }
        List<Dense> made = new ArrayList<>();
        try {
            for (int i = 0; i + 1 < widths.length; i++) {
                Activation f = i + 2 == widths.length ? output : hidden;
                made.add(new Dense(backend, widths[i], widths[i + 1], f, layerSeed(seed, i)));
            }
            return new Sequential(made);
        } catch (RuntimeException e) {
            made.forEach(Dense::close);
            throw e;
        }
    }

    /** A seed per layer: neighbouring seeds and layers must not give correlated draws. */
    static long layerSeed(long seed, int layer) {
        long z = seed + 0x9E3779B97F4A7C15L * (layer + 1);     // SplitMix64's finaliser
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The network's output for {@code x} ({@code batch × in}); owned by the last layer. x must not
     * be a tensor of one of the layers (such as a layer's output): the forward would overwrite it.
     */
    public Tensor forward(Tensor x) {
        open();
        for (int i = 0; i < layers.size(); i++) {
            String own = layers.get(i).tensorName(x);
            if (own != null) {
                throw new IllegalArgumentException("x must not be a tensor of the network, got layers[" + i + "]."
                        + own + ": the layers overwrite their tensors, and backward needs x as forward saw it; pass a copy");
            }
        }
        Tensor t = x;
        for (Dense l : layers) {
            t = l.forward(t);
        }
        return t;
    }

    /**
     * Backpropagates {@code dy = ∂L/∂output} through every layer, filling each layer's gradients.
     *
     * @param dy ∂L/∂output; not modified, so it must not be one of the gradients a layer writes
     * @return ∂L/∂x when {@link #inputGradient(boolean)} is on, else null
     */
    public Tensor backward(Tensor dy) {
        open();
        // Each layer checks its own arguments, but the last layer writes its gradients before the
        // first one would find its x closed: check every layer's state and dy up front.
        Dense last = layers.get(layers.size() - 1);
        for (int i = 0; i < layers.size(); i++) {
            Dense l = layers.get(i);
            try {
                l.readyForBackward();
            } catch (IllegalStateException e) {
                throw new IllegalStateException("layers[" + i + "]: " + e.getMessage(), e);
            }
            if (l.batch() != last.batch()) {
                throw new IllegalStateException("layers[" + i + "] last ran forward on " + l.batch()
                        + " rows but layers[" + (layers.size() - 1) + "] on " + last.batch()
                        + ": run forward on the network before backward");
            }
        }
        for (int i = 0; i < layers.size(); i++) {
            String own = dy == null ? null : layers.get(i).gradientName(dy);
            if (own != null) {
                throw new IllegalArgumentException("dy must not be layers[" + i + "]." + own
                        + ", which backward overwrites; pass a copy");
            }
        }
        Tensor g = dy;
        for (int i = layers.size() - 1; i >= 0; i--) {
            g = layers.get(i).backward(g);
        }
        return g;
    }

    /** Whether {@link #backward} returns ∂L/∂x (default false). */
    public Sequential inputGradient(boolean on) {
        open();
        layers.get(0).inputGradient(on);
        return this;
    }

    /** Every layer's parameters, named {@code layers[i].w}, {@code layers[i].b} (and {@code layers[i].alpha}). */
    public List<Parameter> parameters() {
        open();
        List<Parameter> all = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            for (Parameter p : layers.get(i).parameters()) {
                all.add(new Parameter("layers[" + i + "]." + p.name(), p.value(), p.gradient()));
            }
        }
        return all;
    }

    /** The layers, in order (unmodifiable). */
    public List<Dense> layers() {
        return layers;
    }

    public Backend backend() {
        return layers.get(0).backend();
    }

    /** Where the layers' tensors live ({@link Dense#home()}): inputs and targets are checked against it. */
    Backend home() {
        return layers.get(0).home();
    }

    public int inputWidth() {
        return layers.get(0).in();
    }

    public int outputWidth() {
        return layers.get(layers.size() - 1).out();
    }

    /** Throws {@link IllegalStateException} once closed; {@link Trainer} checks with it too. */
    void open() {
        if (closed) {
            throw new IllegalStateException("the network is closed");
        }
    }

    /** Closes every layer. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Dense l : layers) {
            l.close();
        }
    }

    @Override
    public String toString() {
        return "Sequential" + layers;
    }
}
