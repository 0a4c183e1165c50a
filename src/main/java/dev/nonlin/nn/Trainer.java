package dev.nonlin.nn;

import dev.nonlin.AbstractBackend;
import dev.nonlin.Backend;
import dev.nonlin.IntTensor;
import dev.nonlin.Loss;
import dev.nonlin.Optimizer;
import dev.nonlin.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * One training step of a {@link Sequential}: forward, the loss (into a 1 × 1 tensor that stays on
 * the backend), its gradient, backward, and an optimiser update of every parameter.
 *
 * <p>Holds the optimiser's state per parameter ({@link Optimizer#stateTensors()} tensors shaped
 * like it, zero at the start) and the step counter t that Adam's bias correction needs. The loss
 * is read back only when asked for ({@link #loss()}), so a loop on the GPU can read it every N
 * steps. Closing the trainer frees its own tensors, not the network; afterwards every method but
 * {@link #steps()} and {@link #rule()} throws {@link IllegalStateException}.
 *
 * <p>{@link #step} checks x and the target before the forward pass, so a bad argument leaves the
 * network, its gradients and the optimiser state as they were.
 *
 * <p>Not safe for concurrent use: it holds the optimiser state and drives one network, which
 * holds one batch's state.
 */
public final class Trainer implements AutoCloseable {
    private final Sequential net;
    private final Loss loss;
    private Optimizer rule;
    private final List<Slot> slots = new ArrayList<>();
    private final Tensor lossValue;
    private Tensor dOutput;
    private long steps;
    /** Whether a {@link #step} has written {@link #lossValue} (a bare {@link #update()} writes none). */
    private boolean hasLoss;
    /** Each layer's {@link Dense#backwardPasses()} at the last update: a gradient no backward wrote is stale. */
    private final long[] seenBackward;
    private boolean closed;

    /** A parameter with its optimiser state. */
    private record Slot(Parameter p, Tensor m, Tensor v) {
    }

    /**
     * @param net  the network to train (not owned)
     * @param loss applied to the network's output (logits for bce_with_logits and softmax_cross_entropy)
     * @param rule the update rule; {@link #rule(Optimizer)} may change its learning rate later
     */
    public Trainer(Sequential net, Loss loss, Optimizer rule) {
        if (net == null) {
            throw new IllegalArgumentException("net must not be null");
        }
        if (loss == null) {
            throw new IllegalArgumentException("loss must not be null");
        }
        if (rule == null) {
            throw new IllegalArgumentException("rule (the optimizer) must not be null");
        }
        float[] w = loss.columnWeights();
        if (w != null && w.length != net.outputWidth()) {
            throw new IllegalArgumentException(loss.name() + ": pos_weight has " + w.length
                    + " weights (one per class) but the network has " + net.outputWidth() + " outputs");
        }
        this.net = net;
        this.loss = loss;
        this.rule = rule;
        // 0: any backward so far counts for the first update, one before the trainer existed too
        this.seenBackward = new long[net.layers().size()];
        Backend b = net.backend();
        lossValue = b.allocate(1, 1);
        try {
            for (Parameter p : net.parameters()) {
                Tensor m = rule.stateTensors() >= 1 ? b.allocate(p.value().rows(), p.value().cols()) : null;
                Tensor v = rule.stateTensors() >= 2 ? b.allocate(p.value().rows(), p.value().cols()) : null;
                slots.add(new Slot(p, m, v));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** One step against float targets (mse, bce, bce_with_logits): {@code target} is shaped like the output. */
    public void step(Tensor x, Tensor target) {
        open();
        if (loss.classTargets()) {
            throw new IllegalArgumentException(loss + " takes class targets: pass an IntTensor, not a Tensor");
        }
        Backend b = net.backend();
        input(x);
        AbstractBackend.requireOwned("target", target, net.home(), "the network's");
        if (target.rows() != x.rows() || target.cols() != net.outputWidth()) {
            throw new IllegalArgumentException("target is " + target.rows() + " × " + target.cols()
                    + " but the network's output for x is " + x.rows() + " × " + net.outputWidth());
        }
        step(x, (y, dy) -> {
            b.lossForward(loss, y, target, lossValue);
            b.lossBackward(loss, y, target, 1.0, dy);
        });
    }

    /** One step against one class index per row (softmax_cross_entropy). */
    public void step(Tensor x, IntTensor target) {
        open();
        if (!loss.classTargets()) {
            throw new IllegalArgumentException(loss + " takes float targets shaped like the output, not an IntTensor");
        }
        Backend b = net.backend();
        input(x);
        AbstractBackend.requireClassTargets("target", target, net.home(), "the network's", loss, "x.rows()",
                x.rows(), net.outputWidth());
        step(x, (y, dy) -> {
            b.lossForward(loss, y, target, lossValue);
            b.lossBackward(loss, y, target, 1.0, dy);
        });
    }

    /**
     * x's checks, made here so that they come before the target's (whose shape they use) and so
     * that x's width is named against the network; the first layer checks the rest.
     */
    private void input(Tensor x) {
        net.open();
        AbstractBackend.requireOwned("x", x, net.home(), "the network's");
        if (x.cols() != net.inputWidth()) {
            throw new IllegalArgumentException("x.cols() (" + x.cols() + ") must equal the network's input width ("
                    + net.inputWidth() + "): x is " + x.rows() + " × " + x.cols());
        }
    }

    /** Forward, {@code lossAndGradient(y, dy)} (the loss into its tensor, ∂L/∂y into dy), backward, update. */
    private void step(Tensor x, BiConsumer<Tensor, Tensor> lossAndGradient) {
        Tensor y = net.forward(x);
        Tensor dy = gradientBuffer(y);
        lossAndGradient.accept(y, dy);
        hasLoss = true;
        net.backward(dy);
        update();
    }

    /**
     * Applies the rule to every parameter with the gradient of the last backward pass, and counts
     * the step once it has been applied. {@link #step} calls it; call it yourself after your own
     * {@code net.backward}.
     *
     * @throws IllegalStateException if the trainer or the network is closed, or a layer has had no
     *         backward pass since the last update: its gradients would be stale (or, before the
     *         first backward, zero), and the step would move the parameters, and Adam's t, for nothing
     */
    public void update() {
        open();
        net.open();
        List<Dense> layers = net.layers();
        for (int i = 0; i < layers.size(); i++) {
            Dense l = layers.get(i);
            if (l.isClosed()) {
                throw new IllegalStateException("layers[" + i + "] is closed");
            }
            if (l.backwardPasses() == seenBackward[i]) {
                throw new IllegalStateException("update() needs a backward pass since the last update, but layers["
                        + i + "] has had none: call net.backward(dy) first, or use step()");
            }
        }
        long t = steps + 1;
        for (Slot s : slots) {
            net.backend().optimizerStep(rule, t, s.p.value(), s.p.gradient(), s.m, s.v);
        }
        steps = t;
        for (int i = 0; i < layers.size(); i++) {
            seenBackward[i] = layers.get(i).backwardPasses();
        }
    }

    /**
     * The loss of the last {@link #step} (before its update); reads the 1 × 1 tensor back.
     *
     * @throws IllegalStateException before the first step (an {@link #update()} alone computes no loss)
     */
    public double loss() {
        open();
        if (!hasLoss) {
            throw new IllegalStateException("no step yet: loss() reports the loss that step() computed, and "
                    + (steps == 0 ? "none has run" : "only update() has run"));
        }
        return lossValue.toArray()[0];
    }

    /** The loss as a 1 × 1 tensor on the backend, without reading it back (0 before the first step). */
    public Tensor lossTensor() {
        open();
        return lossValue;
    }

    /** Steps taken so far (the t of the last update). */
    public long steps() {
        return steps;
    }

    public Optimizer rule() {
        return rule;
    }

    /**
     * Changes the rule, e.g. {@code rule(rule().withLr(lr / 10))} for a schedule. The state is
     * kept, so the new rule must be of the same kind and keep as many state tensors.
     */
    public void rule(Optimizer next) {
        open();
        if (next == null || next.kind() != rule.kind() || next.stateTensors() != rule.stateTensors()) {
            throw new IllegalArgumentException("rule must be of the same kind with as many state tensors as " + rule
                    + ", got " + next);
        }
        this.rule = next;
    }

    private Tensor gradientBuffer(Tensor y) {
        if (dOutput == null || dOutput.rows() != y.rows() || dOutput.cols() != y.cols()) {
            if (dOutput != null) {
                dOutput.close();
            }
            dOutput = net.backend().allocate(y.rows(), y.cols());
        }
        return dOutput;
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("the trainer is closed");
        }
    }

    /** Frees the optimiser state, the loss and its gradient (not the network). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Slot s : slots) {
            if (s.m != null) {
                s.m.close();
            }
            if (s.v != null) {
                s.v.close();
            }
        }
        if (dOutput != null) {
            dOutput.close();
        }
        if (lossValue != null) {
            lossValue.close();
        }
    }
}
