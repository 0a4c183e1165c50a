package dev.nonlin.cuda;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host side of the host-array path ({@link HostCopy}), without a GPU: a direct buffer stands
 * in for the pinned one (the CPU copies into both the same way). Every float must arrive, in
 * place, whatever the number of threads and parts, and nothing around the range may change.
 */
class HostCopyTest {
    private static final int P = HostCopy.MIN_PART;
    /** Sizes around the part boundaries: one part, just enough for two, uneven splits. */
    private static final int[] SIZES = {0, 1, 7, P - 1, P, 2 * P - 1, 2 * P, 2 * P + 1, 3 * P + 5, 4 * P + 3, 9 * P + 11};
    private static final float GUARD = -7.25f;

    private final Random random = new Random(42);

    @AfterEach
    void clearProperty() {
        System.clearProperty(HostCopy.THREADS_PROPERTY);
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2, 3, 4})
    void putAndGetMoveEveryFloatToItsPlace(int threads) {
        HostCopy copy = new HostCopy(threads);
        for (int n : SIZES) {
            for (int off : new int[] {0, 13}) {
                String at = threads + " threads, n = " + n + ", offset " + off;
                float[] src = new float[off + n + 5];
                for (int i = 0; i < src.length; i++) {
                    src[i] = random.nextFloat();
                }
                FloatBuffer pinned = direct(n + 3);
                for (int i = 0; i < pinned.capacity(); i++) {
                    pinned.put(i, GUARD);
                }
                pinned.position(2).limit(n + 3);   // a caller's position and limit stay as they were
                copy.put(pinned, src, off, n);
                assertEquals(2, pinned.position(), at + ": position moved");
                assertEquals(n + 3, pinned.limit(), at + ": limit moved");
                pinned.clear();
                for (int i = 0; i < n; i++) {
                    if (pinned.get(i) != src[off + i]) {
                        throw new AssertionError(at + ": put wrote " + pinned.get(i) + " at " + i + ", expected " + src[off + i]);
                    }
                }
                for (int i = n; i < n + 3; i++) {
                    assertEquals(GUARD, pinned.get(i), at + ": put wrote past the range at " + i);
                }

                float[] back = new float[off + n + 5];
                java.util.Arrays.fill(back, GUARD);
                copy.get(pinned, back, off, n);
                for (int i = 0; i < back.length; i++) {
                    float want = i >= off && i < off + n ? src[i] : GUARD;
                    if (back[i] != want) {
                        throw new AssertionError(at + ": get left " + back[i] + " at " + i + ", expected " + want);
                    }
                }
            }
        }
    }

    @Test
    void partsFollowTheThreadsAndTheMinimumPartSize() {
        HostCopy four = new HostCopy(4);
        assertEquals(1, four.parts(0));
        assertEquals(1, four.parts(2 * P - 1));
        assertEquals(2, four.parts(2 * P));
        assertEquals(4, four.parts(CudaBackend.CHUNK), "a staging chunk splits four ways");
        assertEquals(4, four.parts(100 * P));
        assertEquals(1, new HostCopy(1).parts(100 * P));
    }

    @Test
    void aPartThatFailsFailsTheCopyAfterTheOthersFinish() {
        HostCopy copy = new HostCopy(3);
        FloatBuffer small = direct(4 * P);
        float[] src = new float[9 * P];
        // 9P floats into a 4P buffer: parts 2 and 3 (of 3P each) run past the buffer's limit
        assertThrows(IndexOutOfBoundsException.class, () -> copy.put(small, src, 0, 9 * P));
        assertThrows(IndexOutOfBoundsException.class, () -> copy.get(small, src, 0, 9 * P));
    }

    /**
     * A part that cannot start (no thread for it: "unable to create native thread") fails the
     * copy, but only once the parts already started have finished writing: the caller frees or
     * reuses the buffers as soon as the copy returns.
     */
    @Test
    void aPartThatCannotStartFailsTheCopyAfterTheStartedOnesFinish() {
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        HostCopy copy = new HostCopy(3, r -> {
            if (made.getAndIncrement() > 0) {
                throw new OutOfMemoryError("simulated: unable to create native thread");
            }
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(200);   // the started part is still writing when the next fails to start
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                r.run();
            });
            t.setDaemon(true);
            return t;
        });
        FloatBuffer pinned = direct(3 * P);
        float[] src = new float[3 * P];
        for (int i = 0; i < src.length; i++) {
            src[i] = i + 1;
        }
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> copy.put(pinned, src, 0, 3 * P));
        assertTrue(e.getMessage().contains("simulated"), e.getMessage());
        for (int i = P; i < 2 * P; i++) {   // part 1, started before part 2 failed to start
            assertEquals(src[i], pinned.get(i), "part 1 had finished before the copy returned, at " + i);
        }
    }

    @Test
    void concurrentCopiesShareThePoolSafely() throws Exception {
        HostCopy copy = new HostCopy(3);
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Boolean>> jobs = new ArrayList<>();
            for (int j = 0; j < 8; j++) {
                int n = 3 * P + j * 1001;
                jobs.add(() -> {
                    float[] src = new float[n];
                    for (int i = 0; i < n; i++) {
                        src[i] = i * 0.5f + n;
                    }
                    FloatBuffer pinned = direct(n);
                    float[] back = new float[n];
                    for (int rep = 0; rep < 5; rep++) {
                        copy.put(pinned, src, 0, n);
                        copy.get(pinned, back, 0, n);
                        if (!java.util.Arrays.equals(src, back)) {
                            return false;
                        }
                    }
                    return true;
                });
            }
            for (Future<Boolean> f : callers.invokeAll(jobs)) {
                assertTrue(f.get(), "a concurrent copy lost data");
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void threadsComeFromThePropertyOrTheDefault() {
        System.clearProperty(HostCopy.THREADS_PROPERTY);
        assertEquals(HostCopy.DEFAULT_THREADS, HostCopy.fromProperty().threads());
        System.setProperty(HostCopy.THREADS_PROPERTY, " 3 ");
        assertEquals(3, HostCopy.fromProperty().threads());
        System.setProperty(HostCopy.THREADS_PROPERTY, "1");
        assertEquals(1, HostCopy.fromProperty().threads());
        assertTrue(HostCopy.DEFAULT_THREADS >= 1 && HostCopy.DEFAULT_THREADS <= 4);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"0", "-2", "four", "2.5"})
    void aBadThreadCountNamesThePropertyAndTheValue(String value) {
        System.setProperty(HostCopy.THREADS_PROPERTY, value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, HostCopy::fromProperty);
        assertTrue(e.getMessage().contains(HostCopy.THREADS_PROPERTY) && e.getMessage().contains(value.trim()), e.getMessage());
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
