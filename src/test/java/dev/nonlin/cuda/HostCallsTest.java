package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.NonlinException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU fallback of CudaBackend's host-array calls, without a GPU: a "GPU part" that writes
 * chunks of y = x + 1 in place, in order, and fails after some of them, as the pipeline's drain
 * or a download would. The CPU must finish exactly the rest (never compute f(f(x)) from an
 * element the GPU already overwrote), or the error must propagate.
 */
class HostCallsTest {

    private static final int N = 10;
    private static final int CHUNK = 4;
    private final List<String> fellBack = new ArrayList<>();
    /** The build sets strict for every test (pom.xml); these tests set it themselves. */
    private String strict;

    @BeforeEach
    void notStrict() {
        strict = System.clearProperty(CudaBackend.STRICT_PROPERTY);
    }

    @AfterEach
    void restoreStrict() {
        if (strict == null) {
            System.clearProperty(CudaBackend.STRICT_PROPERTY);
        } else {
            System.setProperty(CudaBackend.STRICT_PROPERTY, strict);
        }
    }

    private static CudaError error(boolean sticky) {
        return new CudaError("cuStreamSynchronize", sticky ? "CUDA_ERROR_ILLEGAL_ADDRESS" : "CUDA_ERROR_OUT_OF_MEMORY",
                sticky, null);
    }

    /** x + 1 over a in place, a chunk at a time, recording each written chunk; throws once `chunks` are written. */
    private static HostCalls.GpuPart<Void> gpuPlusOne(float[] a, int chunks) {
        return w -> {
            for (int off = 0; off < N; off += CHUNK) {
                if (off / CHUNK == chunks) {
                    throw error(false);
                }
                for (int i = off; i < Math.min(N, off + CHUNK); i++) {
                    a[i] += 1;
                }
                w.upTo = Math.min(N, off + CHUNK);
            }
            return null;
        };
    }

    private static HostCalls.CpuPart<Void> cpuPlusOne(float[] a, List<Long> calls) {
        return from -> {
            calls.add(from);
            for (int i = (int) from; i < N; i++) {
                a[i] += 1;
            }
            return null;
        };
    }

    private static float[] iota() {
        float[] a = new float[N];
        for (int i = 0; i < N; i++) {
            a[i] = i;
        }
        return a;
    }

    private static float[] iotaPlusOne() {
        float[] a = iota();
        for (int i = 0; i < N; i++) {
            a[i] += 1;
        }
        return a;
    }

    private <T> T run(boolean resumable, boolean aliased, HostCalls.GpuPart<T> gpu, HostCalls.CpuPart<T> cpu) {
        return HostCalls.run("forward test", null, resumable, aliased, gpu, cpu, (what, e) -> fellBack.add(what));
    }

    @Test
    void aGpuThatSucceedsLeavesTheCpuOut() {
        float[] a = iota();
        List<Long> cpu = new ArrayList<>();
        run(true, true, gpuPlusOne(a, Integer.MAX_VALUE), cpuPlusOne(a, cpu));
        assertArrayEquals(iotaPlusOne(), a);
        assertEquals(List.of(), cpu);
        assertEquals(List.of(), fellBack);
    }

    @Test
    void aResumableCallFinishesOnlyWhatTheGpuDidNotWrite() {
        for (int chunks = 0; chunks <= 2; chunks++) {
            float[] a = iota();
            List<Long> cpu = new ArrayList<>();
            fellBack.clear();
            run(true, true, gpuPlusOne(a, chunks), cpuPlusOne(a, cpu));
            assertArrayEquals(iotaPlusOne(), a, "in place, after " + chunks + " chunks on the GPU");
            assertEquals(List.of((long) chunks * CHUNK), cpu);
            assertEquals(List.of("forward test"), fellBack);
        }
    }

    @Test
    void aCallThatCannotResumeStartsOverUnlessItsOutputIsAnInputAndPartlyWritten() {
        // nothing written yet: the CPU does the whole call, aliased or not
        float[] a = iota();
        List<Long> cpu = new ArrayList<>();
        run(false, true, gpuPlusOne(a, 0), cpuPlusOne(a, cpu));
        assertArrayEquals(iotaPlusOne(), a);
        assertEquals(List.of(0L), cpu);

        // partly written into a separate output: the CPU redoes all of it from intact input
        float[] x = iota();
        float[] y = new float[N];
        List<Long> cpu2 = new ArrayList<>();
        run(false, false, w -> {
            System.arraycopy(iotaPlusOne(), 0, y, 0, CHUNK);
            w.upTo = CHUNK;
            throw error(false);
        }, from -> {
            cpu2.add(from);
            for (int i = 0; i < N; i++) {
                y[i] = x[i] + 1;
            }
            return null;
        });
        assertArrayEquals(iotaPlusOne(), y);
        assertEquals(List.of(0L), cpu2);

        // partly written in place: the CPU would read results as input, so the error propagates
        float[] b = iota();
        List<Long> cpu3 = new ArrayList<>();
        fellBack.clear();
        CudaError e = assertThrows(CudaError.class, () -> run(false, true, gpuPlusOne(b, 1), cpuPlusOne(b, cpu3)));
        assertTrue(e.getMessage().contains("partly written"), e.getMessage());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.result());
        assertEquals(List.of(), cpu3);
        assertEquals(List.of(), fellBack);
    }

    @Test
    void strictPropagatesTheErrorAndRefusesABackendOutOfService() {
        System.setProperty(CudaBackend.STRICT_PROPERTY, "true");
        float[] a = iota();
        List<Long> cpu = new ArrayList<>();
        CudaError thrown = error(true);
        CudaError e = assertThrows(CudaError.class, () -> run(true, false, w -> {
            throw thrown;
        }, cpuPlusOne(a, cpu)));
        assertSame(thrown, e);
        NonlinException out = assertThrows(NonlinException.class, () -> HostCalls.run("backward relu", "earlier failure",
                true, false, w -> null, cpuPlusOne(a, cpu), (what, x) -> fellBack.add(what)));
        assertTrue(out.getMessage().contains("out of service (earlier failure)"), out.getMessage());
        assertEquals(List.of(), cpu);
        assertEquals(List.of(), fellBack);
    }

    @Test
    void aBackendOutOfServiceComputesOnTheCpuWithoutTouchingTheGpu() {
        float[] a = iota();
        List<Long> cpu = new ArrayList<>();
        HostCalls.run("forward relu", "earlier failure", true, false, w -> {
            throw new AssertionError("the GPU part ran");
        }, cpuPlusOne(a, cpu), (what, e) -> fellBack.add(what));
        assertArrayEquals(iotaPlusOne(), a);
        assertEquals(List.of(0L), cpu);
    }

    @Test
    void theRestOfAPipelinedCallIsWholeRowsOrAFlatRange() {
        List<int[]> calls = new ArrayList<>();
        HostCalls.rest(Activation.softmax(), 3 * 7, 5, 7, (o, r, c) -> calls.add(new int[] {o, r, c}));
        HostCalls.rest(Activation.relu(), 13, 5, 7, (o, r, c) -> calls.add(new int[] {o, r, c}));
        HostCalls.rest(Activation.relu(), 35, 5, 7, (o, r, c) -> calls.add(new int[] {o, r, c}));
        assertEquals("[[21, 2, 7], [13, 1, 22]]", Arrays.deepToString(calls.toArray()));
        assertThrows(IllegalStateException.class, () -> HostCalls.rest(Activation.softmax(), 3, 5, 7, (o, r, c) -> {
        }));
    }
}
