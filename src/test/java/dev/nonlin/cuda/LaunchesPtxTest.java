package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Loss;
import dev.nonlin.Losses;
import dev.nonlin.Optimizer;
import dev.nonlin.Transpose;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every launch the CUDA backend can make, held against the PTX in the jar without a GPU: the
 * kernel exists in the module the launch names, and the parameter block has the {@code .entry}'s
 * types and count (a short or mistyped block reads garbage or crashes the JVM, DESIGN.md §6).
 * Driven by the whole catalogue (activations, losses, optimizers), so a new entry is checked the
 * moment it is added; and the other way round, every kernel in the PTX has a launch, so a kernel
 * without a Java path shows. Skipped when the build had no nvcc.
 */
class LaunchesPtxTest {

    private static final CUdeviceptr P = new CUdeviceptr();
    /** SM counts: a small GPU, an L4-sized one, an H200, and more SMs than any grid here wants. */
    private static final int[] SMS = {1, 58, 132, 100_000};
    /** rows × cols: one element, a long row (elementwise chunks, block-per-row softmax), a ragged small shape. */
    private static final long[][] SHAPES = {{1, 1}, {1, 1_000_003}, {3, 37}, {4096, 2048}};

    @BeforeAll
    static void needsPtx() {
        PtxEntries.assumePtx();
    }

    static List<Activation> activations() {
        return Activations.all();
    }

    static List<Loss> losses() {
        return Losses.all();
    }

    /** Forward, backward and (where the function allows it) backward from the output, at every shape. */
    static List<Launch> activationLaunches(Activation f, int sms) {
        List<Launch> out = new ArrayList<>();
        for (long[] s : SHAPES) {
            out.add(Launches.forward(sms, f, P, P, s[0], s[1]));
            out.add(Launches.backward(sms, f, P, P, P, s[0], s[1]));
            if (f.backwardFromOutput()) {
                out.add(Launches.backwardFromOutput(sms, f, P, P, P, s[0], s[1]));
            }
            if (!f.rowWise()) {
                long chunk = s[0] * s[1];
                int grid = CudaAccuracy.checkGrid(sms, chunk);
                out.add(CudaAccuracy.forwardCheck(grid, f, P, 0, chunk, P, P));
                out.add(CudaAccuracy.backwardCheck(grid, f, P, P, 0, chunk, P, P));
            }
        }
        return out;
    }

    /** A loss's launches at every shape (per-column weights repeated to the width). */
    static List<Launch> lossLaunches(Loss catalogued, int sms) {
        List<Launch> out = new ArrayList<>();
        for (long[] s : SHAPES) {
            long n = s[0] * s[1];
            Loss l = Losses.atWidth(catalogued, (int) s[1]);
            if (l instanceof Loss.SoftmaxCrossEntropy ce) {
                out.add(LossLaunches.crossEntropyRows(sms, ce, P, P, s[0], s[1], P, null, 0.0, null));
                out.add(LossLaunches.crossEntropyRows(sms, ce, P, P, s[0], s[1], null, P, 1.0, P));
                out.add(LossLaunches.sumPartial(sms, P, P, s[0]));
                out.addAll(LossLaunches.count(sms, ce, P, s[0], P));
                out.add(LossLaunches.finish(P, LossLaunches.chunks(s[0]), P, 1.0, P, P));
            } else {
                CUdeviceptr weights = l.columnWeights() == null ? null : P;
                out.add(LossLaunches.partialSums(sms, l, P, P, P, n, s[1], weights));
                out.add(LossLaunches.backward(sms, l, P, P, P, n, 0.5, weights, s[1]));
                out.add(LossLaunches.finish(P, LossLaunches.chunks(n), null, n, P, null));
            }
        }
        return out;
    }

    /** PReLU with a learned α, one α and one per channel. */
    static List<Launch> preluLaunches(int sms) {
        List<Launch> out = new ArrayList<>();
        for (long[] s : SHAPES) {
            for (long nAlpha : new long[] {1, s[1]}) {
                out.add(RowLaunches.preluForward(sms, P, P, nAlpha, P, s[0], s[1]));
                out.addAll(RowLaunches.preluBackward(sms, P, P, nAlpha, P, P, P, P, s[0], s[1]));
            }
        }
        return out;
    }

    /** The dense module's launches (DenseLaunchesTest checks their geometry). */
    static List<Launch> denseLaunches(int sms) {
        List<Launch> out = new ArrayList<>();
        for (Transpose ta : Transpose.values()) {
            for (Transpose tb : Transpose.values()) {
                out.add(DenseLaunches.sgemm(sms, ta, tb, 4096, 4096, 7, 1f, P, P, 0f, P));
                out.add(DenseLaunches.sgemm(sms, ta, tb, 64, 64, 7, 1f, P, P, 0f, P));
            }
        }
        DenseKernelsHostTest.epilogues().forEach(f -> {
            out.add(DenseLaunches.biasForward(sms, f, P, P, P, 100, 37));
            out.addAll(DenseLaunches.biasBackward(sms, f, P, P, P, P, P, P, 100, 37));
        });
        out.add(DenseLaunches.optimizerStep(sms, Optimizer.sgd(0.1f), 1, P, P, null, null, 1000));
        out.add(DenseLaunches.optimizerStep(sms, Optimizer.adam(1e-3f), 3, P, P, P, P, 1000));
        out.add(DenseLaunches.scale(sms, P, 1000, 0f));
        return out;
    }

    /** Everything above, plus the accuracy tool's input kernels, on a device with {@code sms} SMs. */
    static List<Launch> everyLaunch(int sms) {
        List<Launch> out = new ArrayList<>();
        activations().forEach(f -> out.addAll(activationLaunches(f, sms)));
        losses().forEach(l -> out.addAll(lossLaunches(l, sms)));
        out.addAll(preluLaunches(sms));
        out.addAll(denseLaunches(sms));
        out.add(CudaAccuracy.inputs(sms, P, 0, 1L << 26));
        out.add(CudaAccuracy.randomDy(sms, P, 0, 1L << 26, 42));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void everyActivationLaunchMatchesItsKernel(Activation f) {
        activationLaunches(f, 132).forEach(PtxEntries::assertMatches);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    void everyLossLaunchMatchesItsKernel(Loss l) {
        lossLaunches(l, 132).forEach(PtxEntries::assertMatches);
    }

    @Test
    void preluAndToolLaunchesMatchTheirKernels() {
        preluLaunches(132).forEach(PtxEntries::assertMatches);
        PtxEntries.assertMatches(CudaAccuracy.inputs(132, P, 0, 1L << 26));
        PtxEntries.assertMatches(CudaAccuracy.randomDy(132, P, 0, 1L << 26, 42));
        for (String k : CudaAccuracy.KERNELS) {
            assertTrue(PtxEntries.of(CudaAccuracy.MODULE).containsKey(k), k);
        }
    }

    /** The other direction: no kernel in the PTX is left without a Java launch (dead code, or a missing path). */
    @Test
    void everyKernelInThePtxIsLaunched() {
        Set<String> launched = everyLaunch(132).stream().map(l -> l.module() + "/" + l.kernel())
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> inPtx = new TreeSet<>();
        for (String m : Stream.concat(CudaDevice.MODULES.stream(), CudaDevice.LAZY_MODULES.stream()).toList()) {
            PtxEntries.of(m).keySet().forEach(k -> inPtx.add(m + "/" + k));
        }
        // CudaDevice caches kernels by name alone
        assertEquals(inPtx.size(), inPtx.stream().map(k -> k.substring(k.indexOf('/') + 1)).distinct().count(),
                "kernel names repeated across modules: " + inPtx);
        Set<String> unlaunched = new TreeSet<>(inPtx);
        unlaunched.removeAll(launched);
        assertEquals(Set.of(), unlaunched, "kernels in the PTX that no launch uses");
        assertTrue(inPtx.containsAll(launched));
    }

    /**
     * The kernels' launch rules, all at once: the row kernels need a multiple of 32 threads, the
     * reductions a power of two, the accuracy checks at most 256. And nothing but the grid may
     * depend on the device: the reductions' chunking fixes their order of summation, so the
     * parameter blocks (and block sizes) must be the same on every GPU, or a loss or dα would
     * differ from one device to another. (The SGEMM tile is a speed choice per device; both
     * tiles compute the same bits.)
     */
    @Test
    void blocksFollowTheLaunchRulesAndOnlyGridsDependOnTheDevice() {
        IntFunction<List<String>> blocks = sms -> everyLaunch(sms).stream()
                .map(l -> l.module() + "/" + l.kernel().replaceAll("^sgemm_\\d+x\\d+", "sgemm_<tile>") + " threads " + l.threads() + " " + l.args().types() + " "
                        + l.args().longs())
                .toList();
        List<String> reference = blocks.apply(SMS[0]);
        for (int sms : SMS) {
            assertEquals(reference, blocks.apply(sms), "parameter blocks on a device with " + sms + " SMs");
            for (Launch l : everyLaunch(sms)) {
                int t = l.threads();
                assertTrue(Integer.bitCount(t) == 1 && t >= 32 && t <= 256, l.kernel() + ": block of " + t);
                assertTrue(l.grid() >= 1, l.kernel() + ": grid " + l.grid());
            }
        }
    }
}
