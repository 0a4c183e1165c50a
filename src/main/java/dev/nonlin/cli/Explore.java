package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.IntTensor;
import dev.nonlin.Loss;
import dev.nonlin.Optimizer;
import dev.nonlin.Tensor;
import dev.nonlin.nn.Dense;
import dev.nonlin.nn.Sequential;
import dev.nonlin.nn.Trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * The experiments behind {@code nonlin explore}: small networks trained with {@link dev.nonlin.nn}
 * on generated, seeded data, and what they measure. Each section returns a record of numbers; the
 * report ({@link ExploreReport}) draws and explains them, and the claims table compares them with
 * what the functions' shapes predict.
 *
 * <p>Independent runs (one per activation) go to a thread pool: the backend is safe for concurrent
 * use, every run has its own network and seed, so the results do not depend on the thread count.
 */
final class Explore {

    /** The hidden activations of sections 1, 2 and 5, in the order they are shown. */
    static final List<String> FUNCTIONS = List.of(
            "identity", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "mish", "tanh", "sigmoid");
    /** The functions of the dying-ReLU run. */
    static final List<String> DYING = List.of("relu", "leaky_relu", "elu");

    /**
     * How much work each section does; {@link #of(boolean)} gives the default and the quick sizes.
     *
     * @param spiralTrain  training points of the two-class spiral (half per class)
     * @param spiralTest   held-out points, drawn with another seed
     * @param width        hidden width of the spiral MLP (2 → width → width → 2)
     * @param spiralSteps  full-batch Adam steps on the spiral
     * @param deepWidth    width of the 20-layer net
     * @param deepBatch    its batch (spiral points)
     * @param deepSteps    steps between the two gradient measurements
     * @param dyingWidth   hidden width of the dying-ReLU net (3 hidden layers)
     * @param dyingSteps   its SGD steps at the high learning rate
     * @param outputSteps  steps of each output-layer task
     */
    record Sizes(int spiralTrain, int spiralTest, int width, int spiralSteps, int deepWidth, int deepBatch,
                 int deepSteps, int dyingWidth, int dyingSteps, int outputSteps) {
        static Sizes of(boolean quick) {
            return quick
                    ? new Sizes(300, 300, 24, 400, 24, 128, 30, 48, 150, 300)
                    : new Sizes(400, 400, 32, 1500, 32, 256, 100, 64, 400, 800);
        }
    }

    /** Depth of the vanishing-gradient net (dense layers, the output layer included). */
    static final int DEPTH = 20;
    /** The spiral's learning rate (Adam), divided by 5 for the last 30 % of the steps. */
    static final float SPIRAL_LR = 0.01f;
    /** The deep net's learning rate (Adam). */
    static final float DEEP_LR = 1e-3f;
    /**
     * The dying-ReLU run: Adam at 5× the spiral's learning rate. Adam's first steps move every
     * weight by about lr whatever its gradient, so a large lr throws many biases far below zero at
     * once. (Plain SGD at a high lr mostly diverges instead: it did not kill units here.)
     */
    static final float HIGH_LR = 0.05f;
    /** The same net at an ordinary learning rate, for contrast. */
    static final float NORMAL_LR = 0.005f;
    /** Decision pictures: the grid evaluated over [−EXTENT, EXTENT]². */
    static final double EXTENT = 1.25;
    static final int GRID = 96;

    private final Backend backend;
    private final Sizes sizes;
    private final long seed;
    private final ExecutorService pool;

    Explore(Backend backend, Sizes sizes, long seed, ExecutorService pool) {
        this.backend = backend;
        this.sizes = sizes;
        this.seed = seed;
        this.pool = pool;
    }

    Sizes sizes() {
        return sizes;
    }

    // ------------------------------------------------------------------ data

    /**
     * Points with class labels (classification) or float targets (regression), {@code rows × cols}.
     *
     * @param classes one class per row, or null for regression
     * @param targets one float per row, or null for classification
     */
    record Data(float[] x, int rows, int cols, int[] classes, float[] targets, int classCount) {
        /** The targets as floats: the regression target, or the class as 0/1 (binary tasks). */
        float[] floatTargets() {
            if (targets != null) {
                return targets;
            }
            float[] t = new float[rows];
            for (int i = 0; i < rows; i++) {
                t[i] = classes[i];
            }
            return t;
        }
    }

    /**
     * A spiral of {@code arms} interleaved arms, one class per arm, each turning 1.75 times from
     * radius 0.1 to 1, with Gaussian noise of σ = 0.03 on each coordinate. No straight line (or
     * plane, for three classes) separates the arms, which is the point.
     */
    static Data spiral(int n, int arms, long seed) {
        Random r = new Random(seed);
        float[] x = new float[2 * n];
        int[] c = new int[n];
        double turns = 1.75;
        for (int i = 0; i < n; i++) {
            int arm = i % arms;
            double s = r.nextDouble();                          // position along the arm
            double radius = 0.1 + 0.9 * s;
            double angle = s * turns * 2 * Math.PI + arm * 2 * Math.PI / arms;
            x[2 * i] = (float) (radius * Math.cos(angle) + 0.03 * r.nextGaussian());
            x[2 * i + 1] = (float) (radius * Math.sin(angle) + 0.03 * r.nextGaussian());
            c[i] = arm;
        }
        return new Data(x, n, 2, c, null, arms);
    }

    /** Regression: t = sin(3x) + 0.3x on x ∈ [−1, 1], with noise σ = 0.05. */
    static Data wave(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            double v = 2 * r.nextDouble() - 1;
            x[i] = (float) v;
            t[i] = (float) (Math.sin(3 * v) + 0.3 * v + 0.05 * r.nextGaussian());
        }
        return new Data(x, n, 1, null, t, 0);
    }

    /** The grid of the decision pictures, row by row from the top (y = +EXTENT) down. */
    static float[] grid() {
        float[] g = new float[2 * GRID * GRID];
        for (int row = 0; row < GRID; row++) {
            for (int col = 0; col < GRID; col++) {
                int i = row * GRID + col;
                g[2 * i] = (float) (-EXTENT + 2 * EXTENT * (col + 0.5) / GRID);
                g[2 * i + 1] = (float) (EXTENT - 2 * EXTENT * (row + 0.5) / GRID);
            }
        }
        return g;
    }

    // ------------------------------------------------------------------ helpers

    /** The runs of {@code each} over {@code items}, on the pool, in order. */
    private <T, R> List<R> parallel(List<T> items, Function<T, R> each) {
        List<Future<R>> fs = new ArrayList<>();
        for (T t : items) {
            fs.add(pool.submit(() -> each.apply(t)));
        }
        List<R> out = new ArrayList<>();
        try {
            for (Future<R> f : fs) {
                out.add(f.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
        return out;
    }

    private long seed(int section, int run) {
        return seed * 1_000_003L + section * 1_009L + run;
    }

    /** Fraction of rows whose largest output is the row's class. */
    static double accuracy(float[] logits, int[] classes, int cols) {
        int right = 0;
        for (int i = 0; i < classes.length; i++) {
            int best = 0;
            for (int c = 1; c < cols; c++) {
                if (logits[i * cols + c] > logits[i * cols + best]) {
                    best = c;
                }
            }
            if (cols == 1) {
                best = logits[i] > 0 ? 1 : 0;        // one logit: class 1 where σ(z) > ½
            }
            right += best == classes[i] ? 1 : 0;
        }
        return classes.length == 0 ? Double.NaN : (double) right / classes.length;
    }

    /** The network's output for host data (copied, so the caller may keep it). */
    private float[] predict(Sequential net, float[] x, int rows, int cols) {
        try (Tensor t = backend.tensor(x, rows, cols)) {
            return net.forward(t).toArray();
        }
    }

    /** Frobenius norm, in double. */
    static double norm(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    /**
     * What the hidden layers did on one batch, after {@code net.forward} of it: the range and
     * moments of their outputs, and which units are dead.
     *
     * @param min         least output of any hidden unit
     * @param max         greatest
     * @param mean        mean output over units and rows
     * @param rms         root mean square output
     * @param noGradient  share of hidden units whose f'(h) is 0 on every row: no gradient reaches
     *                    their weights, whatever the loss, so they cannot learn from this data
     * @param neverActive share of hidden units with h ≤ 0 on every row (their input never passes
     *                    the kink; for relu this is the same as noGradient)
     */
    record Units(double min, double max, double mean, double rms, double noGradient, double neverActive) {
    }

    /** {@link Units} of every hidden layer of {@code net} on input {@code x} (host copy). */
    Units units(Sequential net, float[] x, int rows) {
        List<Dense> layers = net.layers();
        float[] a = x;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        double sq = 0;
        long count = 0;
        int units = 0;
        int noGradient = 0;
        int neverActive = 0;
        try (Tensor t = backend.tensor(x, rows, net.inputWidth())) {
            net.forward(t);
            for (int l = 0; l + 1 < layers.size(); l++) {
                Dense d = layers.get(l);
                float[] h = affine(a, rows, d);
                float[] y = d.output().toArray();
                float[] ones = new float[h.length];
                java.util.Arrays.fill(ones, 1f);
                float[] slope = new float[h.length];
                backend.backward(d.activation(), h, 0, ones, 0, slope, 0, rows, d.out());
                for (int u = 0; u < d.out(); u++) {
                    boolean flows = false;
                    boolean active = false;
                    for (int r = 0; r < rows; r++) {
                        flows |= slope[r * d.out() + u] != 0f;
                        active |= h[r * d.out() + u] > 0f;
                    }
                    noGradient += flows ? 0 : 1;
                    neverActive += active ? 0 : 1;
                }
                for (float v : y) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                    sum += v;
                    sq += (double) v * v;
                }
                count += y.length;
                units += d.out();
                a = y;
            }
        }
        return new Units(min, max, sum / count, Math.sqrt(sq / count), (double) noGradient / units,
                (double) neverActive / units);
    }

    /** h = a·W + b of one layer on the host (accumulated in double, rounded once). */
    static float[] affine(float[] a, int rows, Dense d) {
        float[] w = d.weight().toArray();
        float[] b = d.bias().toArray();
        int in = d.in();
        int out = d.out();
        float[] h = new float[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < out; c++) {
                double s = b[c];
                for (int k = 0; k < in; k++) {
                    s += (double) a[r * in + k] * w[k * out + c];
                }
                h[r * out + c] = (float) s;
            }
        }
        return h;
    }

    // ------------------------------------------------------------------ 1. why non-linearity

    /**
     * One activation trained on the spiral.
     *
     * @param accuracy held-out accuracy
     * @param loss     final training loss
     * @param grid     p(class 1) over the {@link #GRID}² picture grid
     * @param units    its hidden layers on the held-out points
     */
    record SpiralRun(Activation f, double accuracy, double loss, float[] grid, Units units) {
    }

    /**
     * The trained linear net collapses to one affine map x·W + c.
     *
     * @param w        W₁·W₂·W₃, 2 × 2, row-major
     * @param c        (b₁·W₂ + b₂)·W₃ + b₃
     * @param maxDiff  max |net(x) − (x·W + c)| over the held-out points
     * @param maxOut   max |net(x)|, for scale
     * @param accuracy the single matrix's accuracy (the same as the net's)
     */
    record Collapse(double[] w, double[] c, double maxDiff, double maxOut, double accuracy) {
    }

    record Nonlinearity(Data train, Data test, List<SpiralRun> runs, Collapse collapse) {
        SpiralRun run(String f) {
            Activation a = Activation.parse(f);
            return runs.stream().filter(r -> r.f.equals(a)).findFirst().orElseThrow();
        }
    }

    Nonlinearity nonlinearity() {
        Data train = spiral(sizes.spiralTrain, 2, seed(1, 0));
        Data test = spiral(sizes.spiralTest, 2, seed(1, 1));
        List<Activation> fs = FUNCTIONS.stream().map(Activation::parse).toList();
        Collapse[] collapse = new Collapse[1];
        List<SpiralRun> runs = parallel(fs, f -> {
            try (Sequential net = Sequential.mlp(backend, seed(1, 2), f, Activation.identity(), 2, sizes.width,
                    sizes.width, 2)) {
                double loss = trainClasses(net, train, sizes.spiralSteps, SPIRAL_LR);
                float[] logits = predict(net, test.x, test.rows, 2);
                double acc = accuracy(logits, test.classes, 2);
                float[] g = predict(net, grid(), GRID * GRID, 2);
                float[] p = new float[GRID * GRID];
                for (int i = 0; i < p.length; i++) {
                    p[i] = (float) (1 / (1 + Math.exp(g[2 * i] - g[2 * i + 1])));    // softmax of two logits
                }
                if (f.kind() == Activation.Kind.IDENTITY) {
                    collapse[0] = collapse(net, test, logits);
                }
                return new SpiralRun(f, acc, loss, p, units(net, test.x, test.rows));
            }
        });
        return new Nonlinearity(train, test, runs, collapse[0]);
    }

    /** Full-batch Adam on class targets; returns the last loss. */
    private double trainClasses(Sequential net, Data d, int steps, float lr) {
        try (Tensor x = backend.tensor(d.x, d.rows, d.cols); IntTensor t = backend.intTensor(d.classes);
             Trainer tr = new Trainer(net, Loss.parse("softmax_cross_entropy"), Optimizer.adam(lr))) {
            for (int s = 0; s < steps; s++) {
                if (s == steps * 7 / 10) {
                    tr.rule(tr.rule().withLr(lr / 5));
                }
                tr.step(x, t);
            }
            return tr.loss();
        }
    }

    private static Collapse collapse(Sequential net, Data test, float[] logits) {
        double[] w = null;
        double[] c = null;
        int cols = 0;
        for (Dense d : net.layers()) {
            double[] wl = toDouble(d.weight().toArray());
            double[] bl = toDouble(d.bias().toArray());
            if (w == null) {
                w = wl;
                c = bl;
            } else {
                w = multiply(w, d.in(), wl, d.out());
                c = multiply(c, d.in(), wl, d.out());
                for (int j = 0; j < c.length; j++) {
                    c[j] += bl[j];
                }
            }
            cols = d.out();
        }
        double maxDiff = 0;
        double maxOut = 0;
        float[] single = new float[logits.length];
        for (int r = 0; r < test.rows; r++) {
            for (int j = 0; j < cols; j++) {
                double v = c[j];
                for (int k = 0; k < test.cols; k++) {
                    v += test.x[r * test.cols + k] * w[k * cols + j];
                }
                single[r * cols + j] = (float) v;
                maxDiff = Math.max(maxDiff, Math.abs(v - logits[r * cols + j]));
                maxOut = Math.max(maxOut, Math.abs(logits[r * cols + j]));
            }
        }
        return new Collapse(w, c, maxDiff, maxOut, accuracy(single, test.classes, cols));
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** (m × k)·(k × n) in double; m is a.length / k. */
    private static double[] multiply(double[] a, int k, double[] b, int n) {
        int m = a.length / k;
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += a[i * k + p] * b[p * n + j];
                }
            }
        }
        return c;
    }

    // ------------------------------------------------------------------ 2. vanishing gradients

    /**
     * ‖dW‖ (Frobenius) of each of the {@link #DEPTH} layers, input side first, at initialisation
     * and after {@code deepSteps} Adam steps.
     */
    record DeepRun(Activation f, double[] atInit, double[] after, Units units) {
        /** ‖dW₁‖ / ‖dW_L‖ at initialisation: ≪ 1 when the gradient fades toward the input. */
        double ratio() {
            return atInit[0] / atInit[atInit.length - 1];
        }
    }

    List<DeepRun> vanishing() {
        Data d = spiral(sizes.deepBatch, 2, seed(2, 0));
        int[] widths = new int[DEPTH + 1];
        java.util.Arrays.fill(widths, sizes.deepWidth);
        widths[0] = 2;
        widths[DEPTH] = 2;
        List<Activation> fs = FUNCTIONS.stream().map(Activation::parse).toList();
        return parallel(fs, f -> {
            try (Sequential net = Sequential.mlp(backend, seed(2, 1), f, Activation.identity(), widths);
                 Tensor x = backend.tensor(d.x, d.rows, d.cols); IntTensor t = backend.intTensor(d.classes);
                 Trainer tr = new Trainer(net, Loss.parse("softmax_cross_entropy"), Optimizer.adam(DEEP_LR))) {
                Units u = units(net, d.x, d.rows);
                // The gradients that step() leaves in the layers are those of its forward pass, at the
                // parameters before its update: the first step's are the gradients at initialisation.
                tr.step(x, t);
                double[] init = norms(net);
                for (int s = 1; s < sizes.deepSteps; s++) {
                    tr.step(x, t);
                }
                tr.step(x, t);
                return new DeepRun(f, init, norms(net), u);
            }
        });
    }

    private static double[] norms(Sequential net) {
        return net.layers().stream().mapToDouble(l -> norm(l.weightGradient().toArray())).toArray();
    }

    // ------------------------------------------------------------------ 3. dying ReLU

    /**
     * Dead units over training, measured every few steps on the training points: the share of
     * hidden units that get no gradient on any point ({@link Units#noGradient}: dead for good, they
     * cannot come back) and the share whose input is ≤ 0 on every point ({@link Units#neverActive}:
     * pushed below the kink, which for leaky_relu and elu still passes a gradient).
     */
    record DyingRun(Activation f, float lr, int[] steps, double[] dead, double[] neverActive, double accuracy) {
        double lastDead() {
            return dead[dead.length - 1];
        }

        double lastNeverActive() {
            return neverActive[neverActive.length - 1];
        }
    }

    List<DyingRun> dying() {
        Data train = spiral(sizes.spiralTrain, 2, seed(3, 0));
        Data test = spiral(sizes.spiralTest, 2, seed(3, 1));
        List<Object[]> cases = new ArrayList<>();
        for (String f : DYING) {
            cases.add(new Object[] {Activation.parse(f), HIGH_LR});
        }
        cases.add(new Object[] {Activation.relu(), NORMAL_LR});
        return parallel(cases, c -> {
            Activation f = (Activation) c[0];
            float lr = (Float) c[1];
            int w = sizes.dyingWidth;
            int every = Math.max(1, sizes.dyingSteps / 40);
            List<Integer> steps = new ArrayList<>();
            List<Double> dead = new ArrayList<>();
            List<Double> never = new ArrayList<>();
            try (Sequential net = Sequential.mlp(backend, seed(3, 2), f, Activation.identity(), 2, w, w, w, 2);
                 Tensor x = backend.tensor(train.x, train.rows, 2); IntTensor t = backend.intTensor(train.classes);
                 Trainer tr = new Trainer(net, Loss.parse("softmax_cross_entropy"), Optimizer.adam(lr))) {
                for (int s = 0; s <= sizes.dyingSteps; s++) {
                    if (s % every == 0) {
                        steps.add(s);
                        Units u = units(net, train.x, train.rows);
                        dead.add(u.noGradient());
                        never.add(u.neverActive());
                    }
                    if (s < sizes.dyingSteps) {
                        tr.step(x, t);
                    }
                }
                double acc = accuracy(predict(net, test.x, test.rows, 2), test.classes, 2);
                return new DyingRun(f, lr, steps.stream().mapToInt(Integer::intValue).toArray(),
                        dead.stream().mapToDouble(Double::doubleValue).toArray(),
                        never.stream().mapToDouble(Double::doubleValue).toArray(), acc);
            }
        });
    }

    // ------------------------------------------------------------------ 4. output layers

    /**
     * One output layer with the loss that goes with it, on a task of its kind.
     *
     * @param curve    training loss every {@code every} steps
     * @param metric   held-out accuracy (classification) or R² (regression)
     * @param baseline the metric of a constant guess (chance, or R² = 0)
     */
    record OutputRun(String task, String head, Loss loss, int every, double[] curve, String metricName,
                     double metric, double baseline) {
    }

    List<OutputRun> outputs() {
        record Task(String task, String head, Loss loss, Data train, Data test, int outputs) {
        }
        int n = sizes.spiralTrain;
        List<Task> tasks = List.of(
                new Task("binary: two-arm spiral", "sigmoid + binary cross-entropy (bce_with_logits on the logit)",
                        Loss.parse("bce_with_logits"), spiral(n, 2, seed(4, 0)), spiral(n, 2, seed(4, 1)), 1),
                new Task("multi-class: three-arm spiral", "softmax + cross-entropy (softmax_cross_entropy on the logits)",
                        Loss.parse("softmax_cross_entropy"), spiral(n, 3, seed(4, 2)), spiral(n, 3, seed(4, 3)), 3),
                new Task("regression: sin(3x) + 0.3x", "linear + mean squared error (mse)",
                        Loss.parse("mse"), wave(n, seed(4, 4)), wave(n, seed(4, 5)), 1));
        int every = Math.max(1, sizes.outputSteps / 100);
        return parallel(tasks, k -> {
            int w = sizes.width;
            try (Sequential net = Sequential.mlp(backend, seed(4, 6), Activation.relu(), Activation.identity(),
                    k.train.cols, w, w, k.outputs);
                 Tensor x = backend.tensor(k.train.x, k.train.rows, k.train.cols);
                 Trainer tr = new Trainer(net, k.loss, Optimizer.adam(SPIRAL_LR))) {
                List<Double> curve = new ArrayList<>();
                IntTensor classes = k.loss.classTargets() ? backend.intTensor(k.train.classes) : null;
                Tensor targets = k.loss.classTargets() ? null : backend.tensor(k.train.floatTargets(), k.train.rows, 1);
                try {
                    for (int s = 0; s < sizes.outputSteps; s++) {
                        if (s == sizes.outputSteps * 7 / 10) {
                            tr.rule(tr.rule().withLr(SPIRAL_LR / 5));
                        }
                        if (classes != null) {
                            tr.step(x, classes);
                        } else {
                            tr.step(x, targets);
                        }
                        if (s % every == 0 || s == sizes.outputSteps - 1) {
                            curve.add(tr.loss());
                        }
                    }
                } finally {
                    if (classes != null) {
                        classes.close();
                    }
                    if (targets != null) {
                        targets.close();
                    }
                }
                float[] out = predict(net, k.test.x, k.test.rows, k.test.cols);
                double metric;
                double baseline;
                String name;
                if (k.test.classes != null) {
                    metric = accuracy(out, k.test.classes, k.outputs);
                    baseline = 1.0 / k.test.classCount;
                    name = "accuracy";
                } else {
                    metric = rSquared(out, k.test.targets);
                    baseline = 0;
                    name = "R²";
                }
                return new OutputRun(k.task, k.head, k.loss, every, curve.stream().mapToDouble(Double::doubleValue).toArray(),
                        name, metric, baseline);
            }
        });
    }

    /** 1 − Σ(y − t)² / Σ(t − mean t)². */
    static double rSquared(float[] y, float[] t) {
        double mean = 0;
        for (float v : t) {
            mean += v;
        }
        mean /= t.length;
        double res = 0;
        double tot = 0;
        for (int i = 0; i < t.length; i++) {
            res += (y[i] - t[i]) * (double) (y[i] - t[i]);
            tot += (t[i] - mean) * (t[i] - mean);
        }
        return 1 - res / tot;
    }

    // ------------------------------------------------------------------ 5. the claims, measured

    /**
     * What tutorials say about a hidden activation: the usual comparison table. Typed here because
     * a claim is not a measurement; {@link #claims} sets the runs' measurements beside it and
     * computes where they disagree.
     */
    record Textbook(boolean zeroCentred, boolean vanishing, boolean deadNeurons) {
        static Textbook of(Activation f) {
            return switch (f.kind()) {
                // σ: outputs in (0, 1), mean ½; σ' ≤ ¼ shrinks every layer's gradient
                case SIGMOID, HARDSIGMOID, LOGSIGMOID, SOFTPLUS -> new Textbook(false, f.kind() == Activation.Kind.SIGMOID, false);
                // tanh: odd, so centred; saturates on both sides
                case TANH, HARDTANH, SOFTSIGN -> new Textbook(true, true, false);
                // relu: never negative; f' = 0 for x < 0, so a unit pushed there for good is dead
                case RELU, RELU6 -> new Textbook(false, false, true);
                // leaky_relu "fixes" both: it takes negative values and always passes a gradient
                case LEAKY_RELU, PRELU -> new Textbook(true, false, false);
                // elu pushes mean activations toward 0 (Clevert et al. 2015); selu keeps mean 0 and
                // variance 1 by construction (Klambauer et al. 2017)
                case ELU, CELU, SELU -> new Textbook(true, false, false);
                // the smooth rectifiers: mostly positive, never exactly flat
                case GELU, GELU_TANH, SWISH, MISH, HARDSWISH -> new Textbook(false, false, false);
                case IDENTITY -> new Textbook(true, false, false);
                case SOFTMAX, LOG_SOFTMAX -> new Textbook(false, false, false);
            };
        }
    }

    /** A unit's mean output within this share of its RMS counts as zero-centred. */
    static final double CENTRED = 0.2;
    /** ‖dW₁‖/‖dW_L‖ below this at initialisation counts as a vanishing gradient. */
    static final double VANISHES = 0.01;
    /** At least this share of hidden units without any gradient counts as dying. */
    static final double DYING_SHARE = 0.05;

    /**
     * One row of the comparison table.
     *
     * @param range        the formula's range (as {@code nonlin list} measures it on the reference)
     * @param observed     [least, greatest] hidden output seen in sections 1 and 2
     * @param inRange      whether {@code observed} lies within {@code range}
     * @param centring     |mean| / rms of the hidden outputs of the 20-layer net at initialisation
     * @param rms          their root mean square: how far into f's non-linear parts the signal reaches
     * @param ratio        ‖dW₁‖/‖dW₂₀‖ of that net at initialisation
     * @param dead         the largest share of hidden units without gradient in any run of f
     *                     (section 1 trained, section 2 at initialisation, section 3 at the end)
     */
    record Claim(Activation f, Textbook textbook, String range, double[] observed, boolean inRange,
                 double centring, double rms, double ratio, double dead) {
        boolean centred() {
            return centring <= CENTRED;
        }

        boolean vanishes() {
            return ratio < VANISHES;
        }

        boolean dies() {
            return dead >= DYING_SHARE;
        }

        /** The properties where the measurement and the textbook disagree, by name. */
        List<String> disagreements() {
            List<String> d = new ArrayList<>();
            if (!inRange) {
                d.add("range");
            }
            if (centred() != textbook.zeroCentred) {
                d.add("zero-centred");
            }
            if (vanishes() != textbook.vanishing) {
                d.add("vanishing");
            }
            if (dies() != textbook.deadNeurons) {
                d.add("dead neurons");
            }
            return d;
        }
    }

    static List<Claim> claims(Nonlinearity n, List<DeepRun> deep, List<DyingRun> dying) {
        List<Claim> out = new ArrayList<>();
        for (SpiralRun s : n.runs()) {
            Activation f = s.f;
            DeepRun d = deep.stream().filter(r -> r.f.equals(f)).findFirst().orElseThrow();
            Catalogue.Properties p = Catalogue.measure(f);
            double lo = Math.min(s.units.min(), d.units.min());
            double hi = Math.max(s.units.max(), d.units.max());
            double slack = 1e-6 * Math.max(1, Math.max(Math.abs(lo), Math.abs(hi)));
            boolean in = lo >= p.min() - slack && hi <= p.max() + slack;
            double dead = Math.max(s.units.noGradient(), d.units.noGradient());
            for (DyingRun r : dying) {
                if (r.f.equals(f)) {
                    dead = Math.max(dead, r.lastDead());
                }
            }
            double centring = Math.abs(d.units.mean()) / d.units.rms();
            out.add(new Claim(f, Textbook.of(f), p.range(), new double[] {lo, hi}, in, centring, d.units.rms(),
                    d.ratio(), dead));
        }
        return out;
    }
}
