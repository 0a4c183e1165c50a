package dev.nonlin;

import dev.nonlin.cpu.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * auto's dispatch, with two CPU backends standing in for the CPU and the GPU (each behind a
 * proxy that records the calls it serves), so that it runs without a GPU.
 */
class AutoBackendTest {
    /** A backend that records the methods called on it and delegates them. */
    static final class Recorder {
        final List<String> calls = new ArrayList<>();
        final Backend backend;

        Recorder(Backend target) {
            backend = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                    (proxy, m, args) -> {
                        if (!m.isDefault()) {
                            calls.add(m.getName());
                        }
                        try {
                            return m.isDefault() ? java.lang.reflect.InvocationHandler.invokeDefault(proxy, m, args)
                                    : m.invoke(target, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    private final Recorder cpu = new Recorder(CpuBackend.scalar());
    private final Recorder gpu = new Recorder(CpuBackend.get());
    private final AtomicReference<String> broken = new AtomicReference<>();
    private final Crossover crossover = Crossover.parse("piecewise=never,transcendental=1000,row_wise=2^12",
            Crossover.uniform(0, "test"));
    private final AutoBackend auto = new AutoBackend(cpu.backend, gpu.backend, crossover, broken::get);

    static List<Activation> catalogue() {
        return Activations.all();
    }

    /** Every function goes where its family's crossover says, and gives the same result as the CPU. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void hostArraysGoWhereTheCrossoverSays(Activation f) {
        org.junit.jupiter.api.Assumptions.assumeFalse(f.kind() == Activation.Kind.PRELU,
                "prelu has its own entry points: preluIsPiecewise");
        long from = crossover.elements(f.kind().family());
        for (int n : new int[] {999, 1000, 4096, 5000}) {
            int cols = f.rowWise() ? 8 : n;
            int rows = n / cols;
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (i % 41 - 20) / 4f;
            }
            float[] y = new float[n];
            float[] expected = new float[n];
            cpu.calls.clear();
            gpu.calls.clear();
            auto.forward(f, x, 0, y, 0, rows, cols);
            CpuBackend.scalar().forward(f, x, 0, expected, 0, rows, cols);
            boolean toGpu = (long) rows * cols >= from;
            assertEquals(toGpu ? List.of() : List.of("forward"), cpu.calls, f + " n=" + n);
            assertEquals(toGpu ? List.of("forward") : List.of(), gpu.calls, f + " n=" + n);
            if (!toGpu) {
                assertArrayEquals(expected, y, f + " n=" + n);
            }
            auto.backward(f, x, 0, y, 0, new float[n], 0, rows, cols);
            assertTrue((toGpu ? gpu : cpu).calls.contains("backward"), f + " n=" + n);
            assertTrue(!(toGpu ? cpu : gpu).calls.contains("backward"), f + " n=" + n);
        }
    }

    @Test
    void preluIsPiecewise() {
        float[] x = new float[1 << 20];
        auto.preluForward(x, 0, new float[] {0.25f}, new float[x.length], 0, 1, x.length);
        assertEquals(List.of("preluForward"), cpu.calls);
        assertEquals(List.of(), gpu.calls);
    }

    @Test
    void tensorsLiveOnTheGpuAndOperationsFollowTheirOwner() {
        try (Tensor t = auto.tensor(new float[] {-1, 2}, 1, 2); Tensor u = auto.allocate(1, 2)) {
            assertSame(CpuBackend.get(), t.backend());      // the stand-in GPU's tensors
            auto.forward(Activation.relu(), t, u);
            auto.copy(t, u);
            assertTrue(gpu.calls.containsAll(List.of("tensor", "allocate")), gpu.calls.toString());
            assertEquals(List.of(), cpu.calls);
            assertArrayEquals(new float[] {-1, 2}, u.toArray());
        }
        // a tensor of the CPU backend stays with it
        Backend scalar = CpuBackend.scalar();
        try (Tensor t = scalar.tensor(new float[] {-1, 2}, 1, 2); Tensor u = scalar.allocate(1, 2)) {
            auto.forward(Activation.relu(), t, u);
            assertArrayEquals(new float[] {0, 2}, u.toArray());
        }
    }

    @Test
    void aBrokenGpuSendsEverythingToTheCpu() {
        broken.set("CUDA_ERROR_ILLEGAL_ADDRESS in a test");
        float[] x = new float[1 << 16];
        auto.forward(Activation.gelu(), x, 0, new float[x.length], 0, 1, x.length);
        try (Tensor t = auto.allocate(1, 4)) {
            assertTrue(cpu.calls.containsAll(List.of("forward", "allocate")), cpu.calls.toString());
        }
        assertEquals(List.of(), gpu.calls);
    }

    @Test
    void badArgumentsAreTheDelegatesMessages() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> auto.forward(Activation.relu(), new float[4], 0, new float[4], 0, -1, 4));
        assertTrue(e.getMessage().contains("rows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> auto.forward(null, new float[4], 0, new float[4], 0, 1, 4));
        assertTrue(e.getMessage().contains("activation"), e.getMessage());
    }

    /**
     * A network on {@code auto} (what Backends.auto() gives on a GPU machine, and the README's
     * example): its inputs are auto's tensors, which belong to the backend auto made them on, not
     * to auto itself. The nn checks must accept them, and still refuse another backend's.
     */
    @Test
    void aNetworkOnAutoTrainsOnAutosTensorsAndRefusesOthers() {
        float[] points = {-2, -1, -1, 0, 0, 1, 1, 2, 2, -2, -1, 1};
        try (dev.nonlin.nn.Sequential net = dev.nonlin.nn.Sequential.mlp(auto, 7, Activation.tanh(), Activation.identity(),
                2, 4, 2);
             Tensor x = auto.tensor(points, 6, 2); IntTensor t = auto.intTensor(new int[] {0, 1, 0, 1, 0, 1});
             dev.nonlin.nn.Trainer trainer = new dev.nonlin.nn.Trainer(net, Loss.parse("softmax_cross_entropy"),
                     Optimizer.adam(0.05f));
             Tensor other = CpuBackend.scalar().tensor(points, 6, 2)) {
            trainer.step(x, t);
            double first = trainer.loss();
            for (int i = 0; i < 20; i++) {
                trainer.step(x, t);
            }
            assertTrue(trainer.loss() < first, "trains: " + first + " -> " + trainer.loss());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.step(other, t));
            assertTrue(e.getMessage().startsWith("x belongs to another cpu backend instance"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> net.forward(other));
            assertTrue(e.getMessage().contains("not to the layer's"), e.getMessage());
        }
    }
}
