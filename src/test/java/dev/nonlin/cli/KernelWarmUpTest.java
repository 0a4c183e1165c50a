package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The report of a loop that does not stop allocating. A boxed loop cannot be made on purpose in
 * this JVM, so the test lowers the threshold under what every softmax call allocates anyway (the
 * backend's row scratch, 8 bytes per column): the wait must run out and say so, by name.
 */
class KernelWarmUpTest {

    @Test
    void aLoopThatKeepsAllocatingIsNamedWithWhereToReadWhy() {
        assumeTrue(CpuBackend.simdAvailable(), "the SIMD path (run with --add-modules jdk.incubator.vector)");
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported(), "per-thread allocation counters");
        int rows = 4;
        int cols = 1024;
        float[] x = new float[rows * cols];
        float[] dy = new float[rows * cols];
        float[] out = new float[rows * cols];
        String slow = KernelWarmUp.awaitCompiled(Activation.parse("softmax"), true, x, dy, out, rows, cols, 0.2, 1);
        assertNotNull(slow, "a call that allocates 2 bytes per element passed a threshold of 1");
        assertTrue(slow.startsWith("softmax forward: the SIMD loop still allocated "), slow);
        assertTrue(slow.contains("per call of 4096 elements") && slow.contains("-XX:PerMethodTrapLimit"), slow);
    }
}
