package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.cpu.CpuBackend;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Waits until C2's code for a function's SIMD loop is in place, so that what the CLI times is
 * the compiled loop. Until then (interpreted, then C1) a Vector API loop boxes every vector and
 * runs 10 to 500 times slower; a fixed count of warm-up calls starts C2's compile, but on a busy
 * machine the compile can finish seconds later (relu at 2¹⁶ elements once came out 500 times
 * slower than at 2²⁰ in {@code nonlin bench}, sigmoid's backward 15 times slower in the demo).
 *
 * <p>The sign is the allocation counter: a boxed loop allocates a vector object and its array for
 * every operation, 16 bytes an element and more, while compiled code allocates only the backend's
 * per-call objects (a row scratch of 8 bytes per column at most). So the warm-up calls the
 * one-thread CPU path on {@value #ELEMENTS} elements until a call allocates under
 * {@value #BOXED_BYTES_PER_ELEMENT} bytes an element. A loop still allocating at the deadline is
 * one that C2 left boxed for good (SimdKernels' rule 5): the caller reports it rather than hiding
 * it in the figures. Nothing to wait for on the scalar path, and nothing to go by without
 * per-thread allocation counters (a runtime without jdk.management).
 */
final class KernelWarmUp {

    /** Elements per call of the check. */
    static final int ELEMENTS = 4096;
    /** Bytes per element from which a call counts as boxed. */
    static final int BOXED_BYTES_PER_ELEMENT = 12;

    private static final Backend ONE_THREAD = CpuBackend.simdAvailable() ? CpuBackend.simd(false) : null;

    private KernelWarmUp() {
    }

    /**
     * Calls {@code f} ({@code forward} or backward) on the one-thread SIMD path, on
     * {@value #ELEMENTS} elements in the given shape, until a call allocates under
     * {@value #BOXED_BYTES_PER_ELEMENT} bytes an element or {@code seconds} have passed; x, dy
     * and out hold at least rows × cols elements.
     *
     * @return null when the loop runs compiled (or there is nothing to check), else one line
     *         saying that it is still boxed, with where to read why
     */
    static String awaitCompiled(Activation f, boolean forward, float[] x, float[] dy, float[] out, int rows, int cols,
                                double seconds) {
        return awaitCompiled(f, forward, x, dy, out, rows, cols, seconds, BOXED_BYTES_PER_ELEMENT);
    }

    /** {@link #awaitCompiled} with another threshold, in bytes per element (tests). */
    static String awaitCompiled(Activation f, boolean forward, float[] x, float[] dy, float[] out, int rows, int cols,
                                double seconds, int boxedBytesPerElement) {
        if (ONE_THREAD == null || !AllocationCounter.COUNTS) {
            return null;
        }
        Runnable call = forward ? () -> ONE_THREAD.forward(f, x, 0, out, 0, rows, cols)
                : () -> ONE_THREAD.backward(f, x, 0, dy, 0, out, 0, rows, cols);
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long boxed = (long) boxedBytesPerElement * rows * cols;
        long bytes;
        do {
            long before = AllocationCounter.bytes();
            call.run();
            bytes = AllocationCounter.bytes() - before;
        } while (bytes >= boxed && System.nanoTime() < deadline);
        if (bytes < boxed) {
            return null;
        }
        return String.format(Locale.ROOT, "%s %s: the SIMD loop still allocated %d bytes per call of %d elements"
                + " after %.0f s: C2 left its vectors boxed, so the cpu figures are of the slow path"
                + " (see README, \"Speed\": -XX:PerMethodTrapLimit)",
                f, forward ? "forward" : "backward", bytes, rows * cols, seconds);
    }

    /** The calling thread's allocated bytes, where the JVM counts them. */
    private static final class AllocationCounter {
        private static final java.lang.management.ThreadMXBean MX = ManagementFactory.getThreadMXBean();
        static final boolean COUNTS = counts();

        private static boolean counts() {
            try {
                return MX instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported()
                        && t.isThreadAllocatedMemoryEnabled();
            } catch (LinkageError e) {
                return false;   // a runtime without jdk.management
            }
        }

        static long bytes() {
            return ((com.sun.management.ThreadMXBean) MX).getCurrentThreadAllocatedBytes();
        }
    }
}
