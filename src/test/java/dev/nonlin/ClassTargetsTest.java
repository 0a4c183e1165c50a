package dev.nonlin;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Class targets in an {@link IntTensor}: a target that is neither in [0, cols) nor ignore_index is
 * refused, naming its row and value, before anything is written, as for host arrays. The check
 * works from a summary taken when the ints are copied in; these tests hold it to a plain scan
 * (the host-array check) over many small target vectors, and check that every way of changing
 * the contents keeps it right. {@code CudaClassTargetsTest} runs the same on the GPU.
 */
public class ClassTargetsTest {

    protected Backend backend() {
        return Backends.cpu();
    }

    private static final Loss CE = Loss.softmaxCrossEntropy();
    private static final float POISON = 12345f;

    private static float[] poisoned(int n) {
        float[] a = new float[n];
        Arrays.fill(a, POISON);
        return a;
    }

    private static void refused(String part, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(part), () -> "message '" + e.getMessage() + "' lacks '" + part + "'");
    }

    @Test
    void aBadTargetIsRefusedBeforeAnythingIsWritten() {
        Backend b = backend();
        float[] z = {1, 2, 3, 4};
        try (Tensor tz = b.tensor(z.clone(), 2, 2); IntTensor tg = b.intTensor(new int[] {0, 7});
             Tensor out = b.tensor(poisoned(1), 1, 1); Tensor dz = b.tensor(poisoned(4), 2, 2)) {
            String why = "target[1] (row 1) = 7 is not a class index in [0, 2) nor ignore_index (-100)";
            refused(why, () -> b.lossForward(CE, tz, tg, out));
            refused(why, () -> b.lossBackward(CE, tz, tg, 1.0, dz));
            refused(why, () -> b.lossBackward(CE, tz, tg, 1.0, tz));
            assertArrayEquals(poisoned(1), out.toArray(), "lossOut");
            assertArrayEquals(poisoned(4), dz.toArray(), "dz");
            assertArrayEquals(z, tz.toArray(), "z (dz over z)");
            assertArrayEquals(new int[] {0, 7}, tg.toArray(), "the targets themselves");
        }
    }

    @Test
    void ignoreIndexMayLieOnEitherSideOfTheClasses() {
        Backend b = backend();
        float[] z = {1, 2, 3, 4, 5, 6};
        try (Tensor tz = b.tensor(z, 3, 2); Tensor out = b.allocate(1, 1);
             IntTensor below = b.intTensor(new int[] {-100, 1, -100});
             IntTensor above = b.intTensor(new int[] {5, 0, 1})) {
            b.lossForward(CE, tz, below, out);
            assertEquals((float) b.lossForward(CE, z, new int[] {-100, 1, -100}), out.toArray()[0]);
            Loss ignore5 = Loss.softmaxCrossEntropy(5, 0f);
            b.lossForward(ignore5, tz, above, out);
            assertEquals((float) b.lossForward(ignore5, z, new int[] {5, 0, 1}), out.toArray()[0]);
            refused("target[0] (row 0) = -100 is not a class index in [0, 2) nor ignore_index (5)",
                    () -> b.lossForward(ignore5, tz, below, out));
            refused("target[0] (row 0) = 5 is not a class index in [0, 2) nor ignore_index (-100)",
                    () -> b.lossForward(CE, tz, above, out));
        }
    }

    @Test
    void copyFromIsCheckedAndTheCallersArrayIsCopied() {
        Backend b = backend();
        float[] z = {1, 2, 3, 4};
        int[] classes = {0, 1};
        try (Tensor tz = b.tensor(z, 2, 2); IntTensor tg = b.intTensor(classes); Tensor out = b.allocate(1, 1)) {
            float good = (float) b.lossForward(CE, z, new int[] {0, 1});
            classes[1] = 9;   // the tensor holds a copy: this changes nothing
            b.lossForward(CE, tz, tg, out);
            assertEquals(good, out.toArray()[0]);
            tg.copyFrom(new int[] {-1, 0, 1}, 1);   // from an offset: the -1 before it is not copied
            b.lossForward(CE, tz, tg, out);
            assertEquals((float) b.lossForward(CE, z, new int[] {0, 1}), out.toArray()[0]);
            tg.copyFrom(new int[] {1, 2}, 0);
            refused("target[1] (row 1) = 2 is not a class index in [0, 2)", () -> b.lossForward(CE, tz, tg, out));
            tg.copyFrom(new int[] {1, 0}, 0);
            b.lossForward(CE, tz, tg, out);
            assertEquals((float) b.lossForward(CE, z, new int[] {1, 0}), out.toArray()[0]);
        }
    }

    /**
     * Two threads copying into one tensor at once: whichever copy lands last, the summary must
     * describe it (unsynchronized, one thread's summary could land after the other's copy, and a
     * tensor full of bad targets then passed the check).
     */
    @Test
    void concurrentCopiesLeaveContentsAndSummaryAgreeing() throws Exception {
        Backend b = backend();
        int rows = 1 << 18;
        int[] good = new int[rows];
        int[] bad = new int[rows];
        Arrays.fill(bad, 1_000_000);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try (IntTensor t = b.intTensor(good)) {
            for (int i = 0; i < 40; i++) {
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
                java.util.concurrent.Future<?> g = pool.submit(() -> {
                    start.await();
                    t.copyFrom(good, 0);
                    return null;
                });
                java.util.concurrent.Future<?> w = pool.submit(() -> {
                    start.await();
                    t.copyFrom(bad, 0);
                    return null;
                });
                g.get();
                w.get();
                boolean contentsGood = t.toArray()[0] == 0;
                assertEquals(contentsGood, ((AbstractIntTensor) t).holdsClassesBelow(4, -100), "try " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** An int tensor that counts how often its contents are read back, and can fail a copy in. */
    private static final class Counting extends AbstractIntTensor {
        final int[] data;
        int reads;
        boolean failNextCopy;

        Counting(Backend owner, int n) {
            super(owner, n);
            data = new int[n];
        }

        @Override
        protected void copyFromChecked(int[] src, int srcOffset) {
            System.arraycopy(src, srcOffset, data, 0, data.length / 2);   // half written, then the failure
            if (failNextCopy) {
                failNextCopy = false;
                throw new IllegalStateException("simulated failure mid-copy");
            }
            System.arraycopy(src, srcOffset, data, 0, data.length);
        }

        @Override
        protected void copyToChecked(int[] dst, int dstOffset) {
            reads++;
            System.arraycopy(data, 0, dst, dstOffset, data.length);
        }

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public void close() {
        }
    }

    /**
     * The check reads nothing back for good targets (on CUDA that would be a device read per
     * loss call); it reads them back to name a bad one, and when a failed copy left the contents
     * unknown.
     */
    @Test
    void goodTargetsAreNotReadBackAndAFailedCopyIsReadBack() {
        Backend b = backend();
        Counting t = new Counting(b, 4);
        t.copyFrom(new int[] {0, 1, 2, -100}, 0);
        AbstractBackend.requireClassTargets("target", t, b, "this one", CE, "z.rows()", 4, 3);
        assertEquals(0, t.reads, "good targets were read back");
        t.copyFrom(new int[] {0, 1, 3, 0}, 0);
        refused("target[2] (row 2) = 3", () -> AbstractBackend.requireClassTargets("target", t, b, "this one", CE,
                "z.rows()", 4, 3));
        assertEquals(1, t.reads, "a bad target is read back once, to be named");
        t.failNextCopy = true;
        assertThrows(IllegalStateException.class, () -> t.copyFrom(new int[] {0, 1, 2, 9}, 0));
        // the contents are now {0, 1, 3, 0}'s tail under {0, 1}: unknown to the summary, so read back
        refused("target[2] (row 2) = 3", () -> AbstractBackend.requireClassTargets("target", t, b, "this one", CE,
                "z.rows()", 4, 3));
        assertTrue(t.reads >= 2, "after a failed copy the contents are read back: " + t.reads + " reads in all");
    }

    /** The summary's verdict against a scan, over small vectors of values chosen to sit on every edge. */
    @Test
    void theCheckAgreesWithAScanOfTheTargets() {
        Backend b = backend();
        int[] pool = {Integer.MIN_VALUE, -101, -100, -1, 0, 1, 2, 3, 4, Integer.MAX_VALUE};
        Random r = new Random(Contract.SEED);
        int refusedBoth = 0;
        for (int c = 0; c < 1000; c++) {
            int rows = r.nextInt(7);
            int cols = r.nextInt(5);
            int ignore = pool[r.nextInt(pool.length)];
            int[] target = new int[rows];
            for (int i = 0; i < rows; i++) {   // mostly valid, so that one bad value decides
                double u = r.nextDouble();
                target[i] = u < 0.45 && cols > 0 ? r.nextInt(cols) : u < 0.8 ? ignore : pool[r.nextInt(pool.length)];
            }
            Loss ce = Loss.softmaxCrossEntropy(ignore, 0f);
            float[] z = new float[rows * cols];
            String scan = verdict(() -> b.lossForward(ce, z, 0, target, 0, rows, cols));
            String tensor;
            boolean summary;
            try (Tensor tz = b.tensor(z, rows, cols); IntTensor tg = b.intTensor(target);
                 Tensor out = b.allocate(1, 1)) {
                tensor = verdict(() -> b.lossForward(ce, tz, tg, out));
                // the summary alone, not masked by the scan that names a bad target once it says no
                summary = ((AbstractIntTensor) tg).holdsClassesBelow(cols, ignore);
            }
            String what = ce + " cols " + cols + " targets " + Arrays.toString(target);
            assertEquals(scan.isEmpty(), summary, what);
            assertEquals(scan, tensor, what);
            refusedBoth += scan.isEmpty() ? 0 : 1;
        }
        assertTrue(refusedBoth > 200 && refusedBoth < 800, "both verdicts are exercised: " + refusedBoth + " refused");
    }

    /** "" when the call passes, else the message of its IllegalArgumentException. */
    private static String verdict(Runnable call) {
        try {
            call.run();
            return "";
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
