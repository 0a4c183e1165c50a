package dev.nonlin.nn;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.Contract;
import dev.nonlin.IntTensor;
import dev.nonlin.Loss;
import dev.nonlin.Optimizer;
import dev.nonlin.Tensor;
import dev.nonlin.cpu.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Dense layers, Sequential and Trainer on the CPU backend. {@link CudaNnTest} runs the same tests
 * on CUDA where it is usable: every test takes its backend from {@link #backend()}.
 */
class NnTest {

    /** The backend under test. */
    Backend backend() {
        return CpuBackend.get();
    }

    static Stream<Activation> activations() {
        return Activations.all().stream();
    }

    private static final Loss MSE = Loss.parse("mse");

    private static float[] gaussian(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (scale * r.nextGaussian());
        }
        return a;
    }

    // ------------------------------------------------------------------ gradients

    /**
     * The whole network's gradients (W, b, PReLU's α, and dx) against central differences of the
     * same network evaluated in double. Every function of the catalogue takes part: a kinked one
     * is differentiable wherever no pre-activation sits at a kink, which the test checks for its
     * fixed seed (a step of 1e-6 in double and a guard band of 1e-4 around every pre-activation).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void gradientsMatchCentralDifferencesInDouble(Activation f) {
        Backend be = backend();
        int batch = 6;
        int in = 3;
        int hidden = 5;
        int out = 4;
        Random r = new Random(20240611L);
        float[] x = gaussian(r, batch * in, 1.0);
        float[] t = gaussian(r, batch * out, 1.0);
        try (Sequential net = Sequential.of(new Dense(be, in, hidden, f, 11), new Dense(be, hidden, out, f, 12));
             Tensor tx = be.tensor(x, batch, in); Tensor tt = be.tensor(t, batch, out);
             Tensor loss = be.allocate(1, 1); Tensor dy = be.allocate(batch, out)) {
            net.inputGradient(true);
            for (Dense l : net.layers()) {
                l.bias().copyFrom(gaussian(r, l.out(), 0.3), 0);     // so that a wrong bias path shows
                if (l.alpha() != null) {
                    l.alpha().copyFrom(gaussian(r, (int) l.alpha().size(), 0.3), 0);
                }
            }
            Tensor y = net.forward(tx);
            be.lossForward(MSE, y, tt, loss);
            be.lossBackward(MSE, y, tt, 1.0, dy);
            float[] dx = net.backward(dy).toArray();

            MlpReference ref = new MlpReference(net);
            double[][] hs = ref.preActivations(x, batch);
            for (int l = 0; l < hs.length; l++) {
                for (double h : hs[l]) {
                    if (ref.jump(l, h, 1e-4) > 1e-2) {
                        fail(f + ": layer " + l + " has a pre-activation " + h + " at a kink of f; this seed cannot "
                                + "check it by differences (choose another)");
                    }
                }
            }
            double[] xd = MlpReference.toDouble(x);
            double l0 = ref.mse(xd, t, batch);
            assertEquals(l0, loss.toArray()[0], 1e-5 * Math.max(1, l0), f + ": loss");

            List<double[]> analytic = new ArrayList<>();
            List<double[]> numeric = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (int l = 0; l < net.layers().size(); l++) {
                Dense d = net.layers().get(l);
                double[][] refs = {ref.w[l], ref.b[l], ref.alpha[l]};
                Tensor[] grads = {d.weightGradient(), d.biasGradient(), d.alpha() == null ? null : d.parameters().get(2).gradient()};
                String[] n = {"w", "b", "alpha"};
                for (int k = 0; k < refs.length; k++) {
                    if (refs[k] != null) {
                        analytic.add(MlpReference.toDouble(grads[k].toArray()));
                        numeric.add(differences(refs[k], () -> ref.mse(xd, t, batch)));
                        names.add("layers[" + l + "]." + n[k]);
                    }
                }
            }
            analytic.add(MlpReference.toDouble(dx));
            numeric.add(differences(xd, () -> ref.mse(xd, t, batch)));
            names.add("dx");

            double scale = 0;
            for (double[] g : numeric) {
                for (double v : g) {
                    scale = Math.max(scale, Math.abs(v));
                }
            }
            for (int p = 0; p < names.size(); p++) {
                double[] a = analytic.get(p);
                double[] e = numeric.get(p);
                for (int i = 0; i < a.length; i++) {
                    // float forward and backward against double: a few float roundings of the largest term
                    double tol = 1e-4 * scale + 1e-4 * Math.abs(e[i]);
                    if (!(Math.abs(a[i] - e[i]) <= tol)) {
                        fail(f + ": " + names.get(p) + "[" + i + "] = " + a[i] + ", central differences give " + e[i]
                                + " (|error| " + Math.abs(a[i] - e[i]) + " > " + tol + ")");
                    }
                }
            }
        }
    }

    /** ∂L/∂θᵢ by central differences with a relative step 1e-6·max(1, |θᵢ|). */
    private static double[] differences(double[] theta, java.util.function.DoubleSupplier loss) {
        return Contract.centralDifferences(theta, loss, v -> 1e-6 * Math.max(1, Math.abs(v)));
    }

    // ------------------------------------------------------------------ training

    static Stream<Arguments> trainingCases() {
        return activations().flatMap(f -> Stream.of(
                Arguments.of(f, Optimizer.sgd(0.005f, 0.9f)), Arguments.of(f, Optimizer.adam(0.01f))));
    }

    /**
     * A student MLP (3 → 24 → 1) learns a teacher of its own activation (3 → 6 → 1, another seed)
     * from 128 seeded samples: 400 full-batch steps cut the MSE at least 50-fold (measured: 90× to
     * 3000×, and ~10¹⁴ for the linear identity net). Softmax and log_softmax are left out for SGD:
     * a hidden softmax over 24 units passes gradients ~24× smaller than its input's, so SGD at the
     * shared learning rate moves it only 2× in 400 steps (Adam rescales the step and does learn it).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("trainingCases")
    void trainingCutsTheLossManyFold(Activation f, Optimizer rule) {
        org.junit.jupiter.api.Assumptions.assumeFalse(rule.kind() == Optimizer.Kind.SGD && f.rowWise(),
                "row-wise hidden activations are trained with Adam only (see the Javadoc)");
        Backend be = backend();
        int batch = 128;
        float[] x = gaussian(new Random(5), batch * 3, 1.0);
        try (Sequential teacher = Sequential.mlp(be, 101, f, Activation.identity(), 3, 6, 1);
             Sequential net = Sequential.mlp(be, 202, f, Activation.identity(), 3, 24, 1);
             Tensor tx = be.tensor(x, batch, 3)) {
            float[] t = teacher.forward(tx).toArray();
            try (Tensor tt = be.tensor(t, batch, 1); Trainer trainer = new Trainer(net, MSE, rule)) {
                trainer.step(tx, tt);
                double first = trainer.loss();
                for (int s = 1; s < 400; s++) {
                    trainer.step(tx, tt);
                }
                double last = trainer.loss();
                assertEquals(400, trainer.steps());
                assertTrue(last * 50 < first, f + " " + rule + ": loss " + first + " → " + last
                        + " (" + first / last + "×, want ≥ 50×)");
            }
        }
    }

    @Test
    void softmaxCrossEntropyWithClassTargetsTrains() {
        Backend be = backend();
        int batch = 90;
        Random r = new Random(3);
        float[] x = new float[batch * 2];
        int[] classes = new int[batch];
        for (int i = 0; i < batch; i++) {
            classes[i] = i % 3;
            double angle = 2 * Math.PI * classes[i] / 3;
            x[2 * i] = (float) (2 * Math.cos(angle) + 0.5 * r.nextGaussian());
            x[2 * i + 1] = (float) (2 * Math.sin(angle) + 0.5 * r.nextGaussian());
        }
        try (Sequential net = Sequential.mlp(be, 9, Activation.tanh(), Activation.identity(), 2, 8, 3);
             Tensor tx = be.tensor(x, batch, 2); IntTensor tc = be.intTensor(classes);
             Trainer trainer = new Trainer(net, Loss.parse("softmax_cross_entropy"), Optimizer.adam(0.05f))) {
            trainer.step(tx, tc);
            double first = trainer.loss();
            for (int s = 0; s < 100; s++) {
                trainer.step(tx, tc);
            }
            assertTrue(trainer.loss() * 10 < first, first + " → " + trainer.loss());
        }
    }

    // ------------------------------------------------------------------ shapes, seeds, lifetimes

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void theSameSeedGivesTheSameLayerAndTheOutputFollowsTheBatchSize(Activation f) {
        Backend be = backend();
        try (Dense a = new Dense(be, 4, 3, f, 77); Dense b = new Dense(be, 4, 3, f, 77); Dense c = new Dense(be, 4, 3, f, 78);
             Tensor x6 = be.tensor(gaussian(new Random(1), 24, 1), 6, 4);
             Tensor x2 = be.tensor(gaussian(new Random(2), 8, 1), 2, 4)) {
            assertArrayEquals(a.weight().toArray(), b.weight().toArray());
            assertTrue(!java.util.Arrays.equals(a.weight().toArray(), c.weight().toArray()));
            assertEquals(Init.defaultFor(f), a.init());
            Tensor y6 = a.forward(x6);
            assertEquals(6, y6.rows());
            assertEquals(3, y6.cols());
            assertTrue(y6 == a.forward(x6), "the output tensor is reused for the same batch size");
            Tensor y2 = a.forward(x2);
            assertEquals(2, y2.rows());
            assertTrue(y6.isClosed(), "the old output is freed when the batch size changes");
            assertTrue(a.backward(be.allocate(2, 3)) != null);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void theDefaultInitialisationHasItsStandardDeviation(Activation f) {
        Init init = Init.defaultFor(f);
        float[] w = init.sample(400, 100, new Random(4));
        double s = 0;
        for (float v : w) {
            s += (double) v * v;
        }
        double std = Math.sqrt(s / w.length);
        assertEquals(init.std(400, 100), std, 0.02 * init.std(400, 100), f + " " + init);
        Init expected = switch (f.kind()) {
            case SELU -> Init.LECUN;
            case SIGMOID, TANH, IDENTITY, SOFTSIGN, HARDTANH, HARDSIGMOID, LOGSIGMOID, SOFTMAX, LOG_SOFTMAX -> Init.XAVIER;
            default -> Init.HE;
        };
        assertEquals(expected, init, f.toString());
    }

    @Test
    void closeFreesEveryTensorOfTheNetworkAndTheTrainer() {
        Backend be = backend();
        Sequential net = Sequential.mlp(be, 1, Activation.prelu(1, 0.25f), Activation.softmax(), 2, 4, 3);
        Trainer trainer = new Trainer(net, Loss.parse("mse"), Optimizer.adam(0.01f));
        List<Tensor> owned = new ArrayList<>();
        try (Tensor x = be.tensor(new float[] {1, 2, 3, 4}, 2, 2); Tensor t = be.allocate(2, 3)) {
            trainer.step(x, t);
            for (Dense l : net.layers()) {
                owned.addAll(l.owned());
            }
            for (Parameter p : net.parameters()) {
                owned.add(p.value());
                owned.add(p.gradient());
            }
            owned.add(trainer.lossTensor());
            trainer.close();
            net.close();
            net.close();                    // idempotent
            for (Tensor o : owned) {
                assertTrue(o.isClosed(), o + " is still open");
            }
            assertTrue(!x.isClosed(), "the caller's input is not the network's to close");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.forward(x));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> net.layers().get(0).backward(t));
            assertThrows(IllegalStateException.class, () -> trainer.step(x, t));
        }
    }

    // ------------------------------------------------------------------ bad arguments

    private static void throwsNaming(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should name " + p);
        }
    }

    @Test
    void layersThatDoNotFitTogetherAreRejectedByName() {
        Backend be = backend();
        try (Dense a = new Dense(be, 2, 32, Activation.relu(), 1); Dense b = new Dense(be, 16, 2, Activation.relu(), 2)) {
            throwsNaming(() -> Sequential.of(a, b), "layers[1].in() (16)", "layers[0].out() (32)");
            throwsNaming(() -> new Sequential(List.of()), "layers");
            throwsNaming(() -> Sequential.mlp(be, 1, Activation.relu(), Activation.relu(), 2), "widths", "[2]");
        }
    }

    @Test
    void aWrongInputWidthOrGradientShapeIsRejectedByName() {
        Backend be = backend();
        try (Sequential net = Sequential.mlp(be, 1, Activation.relu(), Activation.identity(), 2, 8, 1);
             Tensor x3 = be.allocate(5, 3); Tensor x2 = be.allocate(5, 2); Tensor dy = be.allocate(4, 1);
             Tensor t = be.allocate(5, 1); IntTensor classes = be.intTensor(new int[5])) {
            throwsNaming(() -> net.forward(x3), "x.cols() (3)", "in (2)");
            throwsNaming(() -> net.forward(null), "x must not be null");
            IllegalStateException early = assertThrows(IllegalStateException.class, () -> net.backward(dy));
            assertTrue(early.getMessage().contains("before forward"), early.getMessage());
            net.forward(x2);
            throwsNaming(() -> net.backward(dy), "dy is 4 × 1", "5 × 1");
            assertNull(net.backward(t), "the first layer computes no dx unless asked");
            try (Trainer trainer = new Trainer(net, MSE, Optimizer.sgd(0.1f))) {
                throwsNaming(() -> trainer.step(x2, classes), "mse", "IntTensor");
                throwsNaming(() -> trainer.rule(Optimizer.adam(0.1f)), "adam");
            }
        }
    }

    @Test
    void badLayerArgumentsAreRejectedByName() {
        Backend be = backend();
        throwsNaming(() -> new Dense(be, 0, 3, Activation.relu(), 1), "in", "0");
        throwsNaming(() -> new Dense(be, 3, -1, Activation.relu(), 1), "out", "-1");
        throwsNaming(() -> new Dense(null, 3, 3, Activation.relu(), 1), "backend");
        throwsNaming(() -> new Dense(be, 3, 3, null, 1), "f (the activation)");
        throwsNaming(() -> new Dense(be, 3, 3, Activation.relu(), null, 1), "init");
        throwsNaming(() -> new Dense(be, 3, 4, Activation.prelu(3, 0.25f), 1), "num_parameters (3)", "width (4)");
        try (Sequential net = Sequential.mlp(be, 1, Activation.relu(), Activation.identity(), 2, 1)) {
            throwsNaming(() -> new Trainer(net, null, Optimizer.sgd(0.1f)), "loss");
            throwsNaming(() -> new Trainer(net, MSE, null), "rule");
            throwsNaming(() -> new Trainer(net, Loss.bceWithLogits(new float[] {1f, 2f}), Optimizer.sgd(0.1f)),
                    "pos_weight has 2 weights", "1 outputs");
        }
    }

    // ------------------------------------------------------------------ nothing changes before a throw

    /** Every tensor the layer owns, in {@link Dense#owned()}'s order, copied to the host. */
    private static List<float[]> contents(Dense l) {
        List<float[]> all = new ArrayList<>();
        for (Tensor t : l.owned()) {
            all.add(t.toArray());
        }
        return all;
    }

    private static void assertUnchanged(List<float[]> before, Dense l, String what) {
        List<float[]> after = contents(l);
        assertEquals(before.size(), after.size(), what + ": the layer's tensors changed in number");
        for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(before.get(i), after.get(i), what + ": owned()[" + i + "] changed");
        }
    }

    /**
     * Bad input to forward and backward throws before the layer writes or reallocates anything:
     * the gradients (dW, db, dα), dz, the output and the saved x stay as they were, and the output
     * tensor the caller holds stays open. The fused, row-wise and PReLU paths write in different
     * orders, hence the whole catalogue.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void badInputLeavesTheLayerAsItWas(Activation f) {
        Backend be = backend();
        Random r = new Random(8);
        try (Dense l = new Dense(be, 2, 3, f, 5);
             Tensor x = be.tensor(gaussian(r, 4, 1), 2, 2); Tensor dy = be.tensor(gaussian(r, 6, 1), 2, 3);
             Tensor x5 = be.tensor(gaussian(r, 10, 1), 5, 2); Tensor closed = be.allocate(2, 3);
             Tensor closedX = be.allocate(5, 2); Tensor foreign = CpuBackend.scalar().allocate(2, 3);
             Tensor foreignX = CpuBackend.scalar().allocate(5, 2)) {
            closed.close();
            closedX.close();
            Tensor y = l.forward(x);
            l.backward(dy);
            List<float[]> before = contents(l);

            throwsNaming(() -> l.backward(closed), "dy is closed");
            assertUnchanged(before, l, f + " backward(closed dy)");
            throwsNaming(() -> l.backward(foreign), "dy belongs to ", "not to the layer's");
            assertUnchanged(before, l, f + " backward(foreign dy)");
            throwsNaming(() -> l.backward(l.weightGradient()), "dy must not be the layer's dW");   // dW is 2 × 3 too
            assertUnchanged(before, l, f + " backward(dW)");

            throwsNaming(() -> l.forward(closedX), "x is closed", "5 × 2");
            throwsNaming(() -> l.forward(foreignX), "x belongs to ", "not to the layer's");
            throwsNaming(() -> l.forward(null), "x must not be null");
            assertTrue(!y.isClosed(), f + ": a rejected x of another batch size must not free the output");
            assertTrue(y == l.output(), f + ": the output tensor is the same");
            assertUnchanged(before, l, f + " forward(bad x)");

            // x still saved: the same backward again gives the same gradients
            l.backward(dy);
            assertUnchanged(before, l, f + " backward after the rejected calls");

            x.close();
            try (Tensor dy2 = be.tensor(gaussian(r, 6, 2), 2, 3)) {    // another dy: a write would show
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.backward(dy2));
                assertTrue(e.getMessage().contains("x (the input of the last forward, 2 × 2) was closed"), e.getMessage());
            }
            assertUnchanged(before, l, f + " backward with x closed");
            assertTrue(l.forward(x5) != null);
        }
    }

    @Test
    void aNetworkWhoseInputWasClosedWritesNoGradientBeforeItThrows() {
        Backend be = backend();
        try (Sequential net = Sequential.mlp(be, 3, Activation.tanh(), Activation.identity(), 2, 4, 3);
             Tensor dy = be.tensor(gaussian(new Random(1), 6, 1), 2, 3);
             Tensor dy2 = be.tensor(gaussian(new Random(12), 6, 1), 2, 3)) {
            Tensor x = be.tensor(gaussian(new Random(2), 4, 1), 2, 2);
            net.forward(x);
            net.backward(dy);
            List<float[]> last = contents(net.layers().get(1));
            x.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.backward(dy2));
            assertTrue(e.getMessage().contains("layers[0]") && e.getMessage().contains("was closed"), e.getMessage());
            assertUnchanged(last, net.layers().get(1), "the last layer");
        }
    }

    @Test
    void trainerChecksXAndTheTargetBeforeTheForwardPass() {
        Backend be = backend();
        try (Sequential net = Sequential.mlp(be, 4, Activation.relu(), Activation.identity(), 2, 5, 3);
             Tensor x = be.tensor(gaussian(new Random(3), 8, 1), 4, 2); Tensor x6 = be.allocate(6, 2);
             Tensor t42 = be.allocate(4, 2); Tensor t = be.allocate(4, 3); Tensor closed = be.allocate(4, 3);
             Tensor foreign = CpuBackend.scalar().allocate(4, 3); IntTensor c3 = be.intTensor(new int[3]);
             IntTensor bad = be.intTensor(new int[] {0, 2, 3, 1});
             Trainer mse = new Trainer(net, MSE, Optimizer.adam(0.1f));
             Trainer ce = new Trainer(net, Loss.parse("softmax_cross_entropy"), Optimizer.adam(0.1f))) {
            closed.close();
            mse.step(x, t);
            Tensor y = net.layers().get(1).output();
            List<List<float[]>> before = new ArrayList<>();
            for (Dense l : net.layers()) {
                before.add(contents(l));
            }
            throwsNaming(() -> mse.step(x, t42), "target is 4 × 2", "output for x is 4 × 3");
            throwsNaming(() -> mse.step(x6, t), "target is 4 × 3", "6 × 3");
            throwsNaming(() -> mse.step(x, closed), "target is closed");
            throwsNaming(() -> mse.step(x, foreign), "target belongs to ", "not to the network's");
            throwsNaming(() -> mse.step(x, (Tensor) null), "target must not be null");
            throwsNaming(() -> mse.step(null, t), "x must not be null");
            throwsNaming(() -> mse.step(t, t), "x.cols() (3)", "input width (2)");
            throwsNaming(() -> ce.step(x, c3), "target.size() (3)", "x.rows() (4)");
            throwsNaming(() -> ce.step(x, bad), "target[2] (row 2) = 3 is not a class index in [0, 3)");
            throwsNaming(() -> ce.step(x, (IntTensor) null), "target must not be null");
            assertTrue(!y.isClosed(), "a rejected x of another batch size must not free the output");
            for (int i = 0; i < net.layers().size(); i++) {
                assertUnchanged(before.get(i), net.layers().get(i), "layers[" + i + "]");
            }
            assertEquals(1, mse.steps());
            assertEquals(0, ce.steps());
        }
    }

    // ------------------------------------------------------------------ sizes

    @Test
    void aLayerTooLargeForOneJavaArrayIsRejectedByName() {
        Backend be = backend();
        throwsNaming(() -> new Dense(be, 65536, 65536, Activation.relu(), 1),
                "in × out (65536 × 65536 = 4294967296)", "largest Java array");
        throwsNaming(() -> new Dense(be, Integer.MAX_VALUE, 1, Activation.relu(), 1),
                "in × out (2147483647 × 1 = 2147483647)");
    }

    static Stream<Init> inits() {
        return Stream.of(Init.values());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inits")
    void badInitArgumentsAreRejectedByName(Init init) {
        throwsNaming(() -> init.sample(-1, 3, new Random(1)), "fanIn", "-1");
        throwsNaming(() -> init.sample(2, 0, new Random(1)), "fanOut", "0");
        throwsNaming(() -> init.sample(2, 3, null), "rng must not be null");
        throwsNaming(() -> init.sample(65536, 65536, new Random(1)), "fanIn × fanOut (65536 × 65536 = 4294967296)");
        throwsNaming(() -> init.std(0, 5), "fanIn", "0");
        throwsNaming(() -> init.std(5, -1), "fanOut", "-1");
        double s = init.std(Integer.MAX_VALUE, Integer.MAX_VALUE);
        assertTrue(s > 0 && Double.isFinite(s), init + ": σ at the largest fans is " + s);
    }

    // ------------------------------------------------------------------ aliasing

    @Test
    void aLayerTwiceInOneNetworkIsRejectedByPosition() {
        Backend be = backend();
        try (Dense a = new Dense(be, 3, 3, Activation.tanh(), 7); Dense b = new Dense(be, 3, 3, Activation.tanh(), 8);
             Tensor x = be.tensor(gaussian(new Random(4), 6, 1), 2, 3)) {
            throwsNaming(() -> Sequential.of(a, a), "layers[1] is layers[0] again");
            throwsNaming(() -> Sequential.of(a, b, a), "layers[2] is layers[0] again");
            throwsNaming(() -> new Sequential(List.of(b, a, a)), "layers[2] is layers[1] again");
            a.forward(x);
            assertTrue(a.backward(be.allocate(2, 3)) != null, "a rejected network must not turn off the layer's dx");
        }
    }

    @Test
    void aLayersOwnTensorIsRejectedAsInputAndTheSavedInputSurvives() {
        Backend be = backend();
        try (Dense l = new Dense(be, 3, 3, Activation.tanh(), 7);
             Tensor x = be.tensor(gaussian(new Random(5), 6, 1), 2, 3);
             Tensor dy = be.tensor(gaussian(new Random(6), 6, 1), 2, 3)) {
            l.forward(x);
            l.backward(dy);
            List<float[]> before = contents(l);
            throwsNaming(() -> l.forward(l.output()), "x must not be a tensor of this layer", "y (its output)");
            throwsNaming(() -> l.forward(l.weight()), "x must not be a tensor of this layer", "w");
            assertUnchanged(before, l, "forward(own tensor)");
            l.backward(dy);
            assertUnchanged(before, l, "backward after the rejected forward");
        }
        try (Sequential net = Sequential.mlp(be, 2, Activation.tanh(), Activation.identity(), 2, 3, 2);
             Tensor x = be.tensor(gaussian(new Random(7), 6, 1), 3, 2)) {
            net.forward(x);
            throwsNaming(() -> net.forward(net.layers().get(1).output()), "layers[1].y");
            throwsNaming(() -> net.backward(net.layers().get(1).weightGradient()), "dy must not be layers[1].dW");
        }
    }

    // ------------------------------------------------------------------ lifecycle

    @Test
    void updateNeedsABackwardPassAndCountsOnlyStepsItApplies() {
        Backend be = backend();
        try (Sequential net = Sequential.mlp(be, 6, Activation.relu(), Activation.identity(), 2, 4, 1);
             Tensor x = be.tensor(gaussian(new Random(9), 8, 1), 4, 2); Tensor t = be.allocate(4, 1);
             Tensor loss = be.allocate(1, 1); Tensor dy = be.allocate(4, 1)) {
            Trainer trainer = new Trainer(net, MSE, Optimizer.adam(0.1f));
            float[] w = net.layers().get(0).weight().toArray();
            IllegalStateException e = assertThrows(IllegalStateException.class, trainer::update);
            assertTrue(e.getMessage().contains("update() needs a backward pass"), e.getMessage());
            assertEquals(0, trainer.steps());
            assertArrayEquals(w, net.layers().get(0).weight().toArray(), "no step without gradients");

            Tensor y = net.forward(x);
            be.lossBackward(MSE, y, t, 1.0, dy);
            net.backward(dy);
            trainer.update();
            assertEquals(1, trainer.steps());
            assertThrows(IllegalStateException.class, trainer::update, "the same gradients twice");
            assertEquals(1, trainer.steps());
            e = assertThrows(IllegalStateException.class, trainer::loss);
            assertTrue(e.getMessage().contains("only update() has run"), e.getMessage());

            trainer.step(x, t);
            assertEquals(2, trainer.steps());
            assertTrue(Double.isFinite(trainer.loss()));

            net.forward(x);
            net.backward(dy);
            net.close();
            e = assertThrows(IllegalStateException.class, trainer::update);
            assertTrue(e.getMessage().contains("network is closed"), e.getMessage());
            assertEquals(2, trainer.steps(), "a failed update is not a step");

            trainer.close();
            assertThrows(IllegalStateException.class, trainer::lossTensor);
            assertThrows(IllegalStateException.class, () -> trainer.rule(Optimizer.adam(0.01f)));
            assertThrows(IllegalStateException.class, trainer::loss);
            assertEquals(2, trainer.steps());
        }
    }

    /** A loop of forward, the loss's gradient, backward and update() is exactly {@link Trainer#step}. */
    @Test
    void aHandWrittenLoopWithUpdateMatchesStep() {
        Backend be = backend();
        float[] xs = gaussian(new Random(10), 12, 1);
        float[] ts = gaussian(new Random(11), 6, 1);
        try (Sequential a = Sequential.mlp(be, 12, Activation.gelu(), Activation.identity(), 2, 5, 1);
             Sequential b = Sequential.mlp(be, 12, Activation.gelu(), Activation.identity(), 2, 5, 1);
             Tensor x = be.tensor(xs, 6, 2); Tensor t = be.tensor(ts, 6, 1); Tensor dy = be.allocate(6, 1);
             Trainer ta = new Trainer(a, MSE, Optimizer.adam(0.05f)); Trainer tb = new Trainer(b, MSE, Optimizer.adam(0.05f))) {
            for (int s = 0; s < 3; s++) {
                ta.step(x, t);
                Tensor y = b.forward(x);
                be.lossBackward(MSE, y, t, 1.0, dy);
                b.backward(dy);
                tb.update();
            }
            assertEquals(3, tb.steps());
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(a.layers().get(i).weight().toArray(), b.layers().get(i).weight().toArray());
            }
        }
    }

    static Stream<Arguments> tensorAccessors() {
        return Stream.of(
                Arguments.of("weight", (java.util.function.Function<Dense, Tensor>) Dense::weight),
                Arguments.of("bias", (java.util.function.Function<Dense, Tensor>) Dense::bias),
                Arguments.of("weightGradient", (java.util.function.Function<Dense, Tensor>) Dense::weightGradient),
                Arguments.of("biasGradient", (java.util.function.Function<Dense, Tensor>) Dense::biasGradient),
                Arguments.of("alpha", (java.util.function.Function<Dense, Tensor>) Dense::alpha),
                Arguments.of("output", (java.util.function.Function<Dense, Tensor>) Dense::output));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tensorAccessors")
    void aClosedLayerHandsOutNoTensor(String name, java.util.function.Function<Dense, Tensor> accessor) {
        Backend be = backend();
        Dense l = new Dense(be, 2, 3, Activation.prelu(3, 0.25f), 1);
        try (Tensor x = be.allocate(4, 2)) {
            l.forward(x);
            assertTrue(accessor.apply(l) != null, name);
            l.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> accessor.apply(l), name);
            assertTrue(e.getMessage().contains("the layer is closed"), e.getMessage());
            assertEquals(2, l.in(), "the shape stays readable");
            assertEquals(3, l.out());
        }
    }
}
