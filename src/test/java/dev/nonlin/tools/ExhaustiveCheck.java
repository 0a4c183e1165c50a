package dev.nonlin.tools;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.cli.Ulp;
import dev.nonlin.cpu.CpuBackend;
import dev.nonlin.cpu.Scalar;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * Every one of the 2³² float inputs through a CPU path, against the float64 reference: the
 * contract says "for every float input", and this checks it rather than sampling. Not a unit test
 * (minutes per function on 2 cores); run by hand:
 *
 * <pre>java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:... \
 *     dev.nonlin.tools.ExhaustiveCheck gelu mish ...</pre>
 *
 * Prints, per function, the worst forward error and backward error (dy = 1) in ULP, and where.
 */
public final class ExhaustiveCheck {
    private ExhaustiveCheck() {
    }

    public static void main(String[] args) {
        Backend b = CpuBackend.simd(false);
        for (String spec : args) {
            Activation f = Activation.parse(spec);
            long t0 = System.nanoTime();
            int chunk = 1 << 20;
            int chunks = (int) ((1L << 32) / chunk);
            AtomicInteger done = new AtomicInteger();
            double[] worst = IntStream.range(0, chunks).parallel().mapToObj(c -> {
                float[] x = new float[chunk];
                float[] y = new float[chunk];
                float[] dy = new float[chunk];
                float[] dx = new float[chunk];
                java.util.Arrays.fill(dy, 1f);
                long base = (long) c * chunk;
                for (int i = 0; i < chunk; i++) {
                    x[i] = Float.intBitsToFloat((int) (base + i));
                }
                b.forward(f, x, 0, y, 0, 1, chunk);
                b.backward(f, x, 0, dy, 0, dx, 0, 1, chunk);
                double[] w = {0, 0, 0, 0};   // fwd err, its input bits, bwd err, its input bits
                for (int i = 0; i < chunk; i++) {
                    double ef = Ulp.ulps(y[i], Scalar.forward(f.kind(), f.p0(), f.p1(), x[i]));
                    if (ef > w[0]) {
                        w[0] = ef;
                        w[1] = Float.floatToRawIntBits(x[i]);
                    }
                    double eb = Ulp.backwardUlps(dx[i], Scalar.derivative(f.kind(), f.p0(), f.p1(), x[i]), 1.0);
                    if (eb > w[2]) {
                        w[2] = eb;
                        w[3] = Float.floatToRawIntBits(x[i]);
                    }
                }
                done.incrementAndGet();
                return w;
            }).reduce(new double[] {0, 0, 0, 0}, (a, c) -> new double[] {
                    Math.max(a[0], c[0]), c[0] > a[0] ? c[1] : a[1], Math.max(a[2], c[2]), c[2] > a[2] ? c[3] : a[3]});
            System.out.printf(Locale.ROOT, "%-36s forward %.2f ULP (at %s)  backward %.2f ULP (at %s)  [%.0f s, all 2^32 inputs]%n",
                    f, worst[0], Float.intBitsToFloat((int) worst[1]), worst[2], Float.intBitsToFloat((int) worst[3]),
                    (System.nanoTime() - t0) / 1e9);
        }
    }
}
