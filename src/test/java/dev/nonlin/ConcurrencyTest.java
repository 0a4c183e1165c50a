package dev.nonlin;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** One backend instance, many threads at once, every function: each thread gets the single-thread answer. */
class ConcurrencyTest {

    @Test
    void manyThreadsOnOneBackend() throws Exception {
        Backend b = Backends.auto();
        List<Activation> all = Activations.all();
        int n = 140_007;  // above the transcendental functions' parallel threshold, so those calls also split
        float[] x = Contract.randomValues(new Random(Contract.SEED), n);
        float[] dy = Contract.randomValues(new Random(Contract.SEED + 1), n);
        List<float[]> expectedY = new ArrayList<>();
        List<float[]> expectedDx = new ArrayList<>();
        for (Activation f : all) {
            float[] y = new float[n];
            float[] dx = new float[n];
            b.forward(f, x, 0, y, 0, 7, n / 7);
            b.backward(f, x, 0, dy, 0, dx, 0, 7, n / 7);
            expectedY.add(y);
            expectedDx.add(dx);
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int shift = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < all.size(); i++) {
                        int j = (i + shift) % all.size();
                        Activation f = all.get(j);
                        float[] y = new float[n];
                        float[] dx = new float[n];
                        b.forward(f, x, 0, y, 0, 7, n / 7);
                        b.backward(f, x, 0, dy, 0, dx, 0, 7, n / 7);
                        assertArrayEquals(expectedY.get(j), y, f + " forward from thread " + shift);
                        assertArrayEquals(expectedDx.get(j), dx, f + " backward from thread " + shift);
                    }
                    return null;
                }));
            }
            for (Future<?> fu : futures) {
                fu.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
