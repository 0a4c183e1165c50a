package dev.nonlin.bench;

import dev.nonlin.Backend;
import dev.nonlin.Loss;
import dev.nonlin.cpu.CpuBackend;

import java.util.Locale;
import java.util.Random;

/**
 * How fast are the CPU losses, on one thread and on every core? Softmax cross-entropy forward and
 * backward over 4096 × 1000 and 65536 × 10 logits, bce_with_logits over 2²² elements (1024
 * columns), each timed best-of-N in one JVM (N = 15 by default, after 5 warm-up calls), on the
 * default CPU path split across cores ({@code cpu}) and on the calling thread ({@code cpu-1t}).
 *
 * <p>Roofline: the losses read z (and t) once forward, and backward also write dz, so 4–12 bytes
 * per element; at ~10 GB/s per core that is 0.4–1.2 ns per element, while one exp per element in
 * double lanes costs about 3 ns on one core here: they are compute-bound.
 *
 * <p>Not JMH: it runs as a single source file against any nonlin jar, so that the code before and
 * after a change can be timed back to back on a noisy machine:
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp target/nonlin.jar \
 *       bench/src/main/java/dev/nonlin/bench/LossTiming.java [N]
 * </pre>
 */
public final class LossTiming {

    private LossTiming() {
    }

    public static void main(String[] args) {
        int best = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        Backend[] paths = {CpuBackend.simd(false), CpuBackend.get()};
        String[] names = {"cpu-1t", "cpu (" + CpuBackend.get().threads() + " threads)"};
        System.out.println(CpuBackend.get().description());
        for (int p = 0; p < paths.length; p++) {
            Backend b = paths[p];
            crossEntropy(b, names[p], 4096, 1000, best);
            crossEntropy(b, names[p], 65536, 10, best);
            bceWithLogits(b, names[p], 4096, 1024, best);
        }
    }

    private static void crossEntropy(Backend b, String path, int rows, int cols, int best) {
        Random r = new Random(1);
        float[] z = new float[rows * cols];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (r.nextGaussian() * 3);
        }
        int[] target = new int[rows];
        for (int i = 0; i < rows; i++) {
            target[i] = r.nextInt(cols);
        }
        float[] dz = new float[z.length];
        Loss l = Loss.softmaxCrossEntropy();
        report(path, "softmax_cross_entropy forward", rows, cols,
                time(best, () -> b.lossForward(l, z, 0, target, 0, rows, cols)));
        report(path, "softmax_cross_entropy backward", rows, cols,
                time(best, () -> b.lossBackward(l, z, 0, target, 0, 1.0, dz, 0, rows, cols)));
    }

    private static void bceWithLogits(Backend b, String path, int rows, int cols, int best) {
        Random r = new Random(2);
        float[] z = new float[rows * cols];
        float[] t = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (r.nextGaussian() * 3);
            t[i] = r.nextInt(2);
        }
        float[] dz = new float[z.length];
        Loss l = Loss.bceWithLogits();
        report(path, "bce_with_logits forward", rows, cols, time(best, () -> b.lossForward(l, z, 0, t, 0, rows, cols)));
        report(path, "bce_with_logits backward", rows, cols,
                time(best, () -> b.lossBackward(l, z, 0, t, 0, 1.0, dz, 0, rows, cols)));
    }

    /** The fastest of {@code best} calls after 5 warm-up calls, in nanoseconds. */
    private static long time(int best, Runnable call) {
        for (int i = 0; i < 5; i++) {
            call.run();
        }
        long min = Long.MAX_VALUE;
        for (int i = 0; i < best; i++) {
            long t0 = System.nanoTime();
            call.run();
            min = Math.min(min, System.nanoTime() - t0);
        }
        return min;
    }

    private static void report(String path, String what, int rows, int cols, long ns) {
        long n = (long) rows * cols;
        System.out.printf(Locale.ROOT, "%-18s %-32s %6d x %-5d %9.3f ms %8.1f Melem/s%n", path, what, rows, cols,
                ns / 1e6, n * 1e3 / ns);
    }
}
