package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.Backends;
import dev.nonlin.Tensor;
import dev.nonlin.cpu.CpuBackend;
import dev.nonlin.cuda.CudaBackend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * The measurements behind {@code nonlin bench}: every function × direction × size × path, each
 * the median of repeated timed runs after a warm-up, next to the physical limit of its path
 * measured in the same run at the same size.
 *
 * <p>Timing: a run is {@code k} back-to-back calls, with {@code k} chosen so that a run lasts at
 * least {@link Settings#minRunSeconds}; the median over {@link Settings#reps} runs, divided by
 * {@code k}, is the time per call. Device tensors are timed with CUDA events (the kernel alone,
 * {@link CudaBackend#deviceSeconds}); everything else with the wall clock, transfers included.
 */
final class BenchSweep {

    /** What is measured, and against which limit. */
    enum Path {
        /** The default CPU backend: SIMD and threads (what {@code Backends.cpu()} gives). */
        CPU("cpu", "arraycopy"),
        /** One core: SIMD on the calling thread (scalar when the JVM lacks the Vector API). */
        CPU_1T("cpu-1t", "arraycopy"),
        /** Data resident on the GPU, kernel time from CUDA events. */
        CUDA_TENSOR("cuda-tensor", "device copy"),
        /** float[] in, float[] out on the GPU, every transfer included (wall clock). */
        CUDA_ARRAY("cuda-array", "pinned link"),
        /** {@code Backends.auto()} on host arrays: whichever of the CPU and the GPU the crossover picks. */
        AUTO("auto", null);

        final String key;
        final String limit;

        Path(String key, String limit) {
            this.key = key;
            this.limit = limit;
        }

        boolean gpu() {
            return this == CUDA_TENSOR || this == CUDA_ARRAY;
        }

        static Path of(String key) {
            for (Path p : values()) {
                if (p.key.equals(key)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("--paths: unknown path '" + key
                    + "'; expected cpu, cpu-1t, cuda-tensor, cuda-array or auto");
        }
    }

    /**
     * One measured point.
     *
     * @param seconds      median time per call
     * @param limitSeconds the time the path's physical limit needs to move the same bytes (NaN for auto)
     */
    record Point(String function, boolean forward, long rows, long cols, Path path, double seconds,
                 double limitSeconds) {
        long size() {
            return rows * cols;
        }

        /** Bytes an activation moves per element: read x, write y (8); or read x and dy, write dx (12). */
        double bytes() {
            return size() * (forward ? 8.0 : 12.0);
        }

        double elementsPerSecond() {
            return size() / seconds;
        }

        double gigabytesPerSecond() {
            return bytes() / seconds / 1e9;
        }

        /** The fraction of the limit reached, in percent (NaN when the path has no limit). */
        double percentOfLimit() {
            return 100 * limitSeconds / seconds;
        }

        String direction() {
            return forward ? "forward" : "backward";
        }
    }

    /**
     * How long to measure.
     *
     * @param jitSeconds    warm-up per function, direction and path before its sweep: the Vector
     *                      API is hundreds of times slower until C2 has compiled the loops, which
     *                      takes thousands of calls, far more than one point's warm-up
     * @param warmSeconds   warm-up per point (caches, clocks, the GPU's staging buffers)
     * @param minRunSeconds the shortest timed run: short calls are repeated back to back
     */
    record Settings(int reps, double minRunSeconds, double warmSeconds, double jitSeconds, int cols, long seed) {
    }

    private final Settings settings;
    private final Map<String, Double> limits = new HashMap<>();
    private final Backend cpu = Backends.cpu();
    private final Backend cpu1 = CpuBackend.simdAvailable() ? CpuBackend.simd(false) : CpuBackend.scalar();
    private final CudaBackend gpu;
    private final Backend auto;

    /**
     * @param gpu  the CUDA backend, or null when there is none
     * @param auto what {@code Backends.auto()} gives (measured only when it differs from the CPU)
     */
    BenchSweep(Settings settings, CudaBackend gpu, Backend auto) {
        this.settings = settings;
        this.gpu = gpu;
        this.auto = auto;
    }

    /** The shape of a call of {@code n} elements: one row, or rows of {@link Settings#cols} for row-wise functions. */
    long[] shape(Activation f, long n) {
        if (!f.rowWise()) {
            return new long[] {1, n};
        }
        long cols = Math.min(n, settings.cols());
        return new long[] {Math.max(1, n / cols), cols};
    }

    /**
     * Measures {@code f} at every size on every path.
     *
     * @param step called once per measured point, for the progress bar
     */
    List<Point> run(Activation f, boolean forward, long[] sizes, List<Path> paths, IntConsumer step) {
        long max = Arrays.stream(sizes).max().orElse(0);
        Random r = new Random(settings.seed());
        float[] x = new float[(int) max];
        float[] dy = new float[(int) max];
        float[] out = new float[(int) max];
        for (int i = 0; i < max; i++) {
            x[i] = (float) (r.nextGaussian() * 4);
            dy[i] = (float) r.nextGaussian();
        }
        List<Point> points = new ArrayList<>();
        boolean cpuWarm = false;
        for (Path p : paths) {
            boolean cpuPath = p == Path.CPU || p == Path.CPU_1T;
            if (!(cpuPath && cpuWarm)) {          // cpu and cpu-1t run the same kernels on small calls
                jitWarmUp(p, f, forward, x, dy, out, max);
            }
            if (cpuPath && !cpuWarm) {
                awaitCompiledKernel(f, forward, x, dy, out, max);
            }
            cpuWarm |= cpuPath;
        }
        for (long n : sizes) {
            long[] shape = shape(f, n);
            int rows = (int) shape[0];
            int cols = (int) shape[1];
            for (Path p : paths) {
                double t = call(p, f, forward, x, dy, out, rows, cols, settings.warmSeconds());
                points.add(new Point(f.toString(), forward, rows, cols, p, t, limit(p, forward, (long) rows * cols, x, out)));
                step.accept(1);
            }
        }
        return points;
    }

    // ------------------------------------------------------------------ the paths

    /**
     * Gets the path's code compiled before anything is timed. C2 compiles a Vector API kernel only
     * after thousands of calls, and until then (interpreted, then C1) it runs 100× slower or worse:
     * gelu on 256 elements took ~3000 calls and 1.5 s to reach its speed here. Many tiny calls
     * (64 elements) get there in a fraction of that, and every size later runs the same compiled
     * kernel. Capped at {@link Settings#jitSeconds}.
     */
    private void jitWarmUp(Path p, Activation f, boolean forward, float[] x, float[] dy, float[] out, long max) {
        long[] shape = shape(f, Math.min(max, 64));
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        long deadline = System.nanoTime() + (long) (settings.jitSeconds() * 1e9);
        if (p == Path.CUDA_TENSOR) {
            try (Tensor tx = gpu.tensor(Arrays.copyOf(x, rows * cols), rows, cols);
                 Tensor tdy = gpu.tensor(Arrays.copyOf(dy, rows * cols), rows, cols);
                 Tensor ty = gpu.allocate(rows, cols)) {
                for (int i = 0; i < JIT_CALLS && System.nanoTime() < deadline; i++) {
                    if (forward) {
                        gpu.forward(f, tx, ty);
                    } else {
                        gpu.backward(f, tx, tdy, ty);
                    }
                }
                gpu.synchronize();
            }
            return;
        }
        Backend b = switch (p) {
            case CPU -> cpu;
            case CPU_1T -> cpu1;
            case CUDA_ARRAY -> gpu;
            default -> auto;
        };
        for (int i = 0; i < JIT_CALLS && System.nanoTime() < deadline; i++) {
            if (forward) {
                b.forward(f, x, 0, out, 0, rows, cols);
            } else {
                b.backward(f, x, 0, dy, 0, out, 0, rows, cols);
            }
        }
    }

    /** Calls of the JIT warm-up: past C2's thresholds (Tier4InvocationThreshold is 5000, and each call loops). */
    private static final int JIT_CALLS = 8_000;

    /** What {@link #awaitCompiledKernel} found still boxed, one line each. */
    private final List<String> slowKernels = new ArrayList<>();

    /** What {@link #awaitCompiledKernel} found still boxed, one line each; empty when all ran compiled. */
    List<String> slowKernels() {
        return List.copyOf(slowKernels);
    }

    /**
     * Waits for C2's code for the CPU loop ({@link KernelWarmUp}), up to 5 × {@link Settings#jitSeconds}:
     * the call count of {@link #jitWarmUp} starts the compile, but a point timed before it
     * finished measured the interpreted loop. A loop still boxed then goes to {@link #slowKernels}.
     */
    private void awaitCompiledKernel(Activation f, boolean forward, float[] x, float[] dy, float[] out, long max) {
        if (max < KernelWarmUp.ELEMENTS) {
            return;
        }
        long[] shape = shape(f, KernelWarmUp.ELEMENTS);
        String slow = KernelWarmUp.awaitCompiled(f, forward, x, dy, out, (int) shape[0], (int) shape[1],
                5 * settings.jitSeconds());
        if (slow != null) {
            slowKernels.add(slow);
        }
    }

    /** Seconds per call of f on path p, after {@code warm} seconds of warm-up. */
    private double call(Path p, Activation f, boolean forward, float[] x, float[] dy, float[] out, int rows, int cols,
                        double warm) {
        return switch (p) {
            case CPU -> hostArrays(cpu, f, forward, x, dy, out, rows, cols, warm);
            case CPU_1T -> hostArrays(cpu1, f, forward, x, dy, out, rows, cols, warm);
            case CUDA_ARRAY -> hostArrays(gpu, f, forward, x, dy, out, rows, cols, warm);
            case AUTO -> hostArrays(auto, f, forward, x, dy, out, rows, cols, warm);
            case CUDA_TENSOR -> deviceTensors(f, forward, x, dy, rows, cols, warm);
        };
    }

    private double hostArrays(Backend b, Activation f, boolean forward, float[] x, float[] dy, float[] out,
                              int rows, int cols, double warm) {
        if (forward) {
            return wallSeconds(() -> b.forward(f, x, 0, out, 0, rows, cols), warm);
        }
        return wallSeconds(() -> b.backward(f, x, 0, dy, 0, out, 0, rows, cols), warm);
    }

    private double deviceTensors(Activation f, boolean forward, float[] x, float[] dy, int rows, int cols,
                                 double warm) {
        int n = rows * cols;
        try (Tensor tx = gpu.tensor(Arrays.copyOf(x, n), rows, cols);
             Tensor tdy = gpu.tensor(Arrays.copyOf(dy, n), rows, cols);
             Tensor ty = gpu.allocate(rows, cols)) {
            Runnable call = forward ? () -> gpu.forward(f, tx, ty) : () -> gpu.backward(f, tx, tdy, ty);
            return deviceSeconds(call, warm);
        }
    }

    // ------------------------------------------------------------------ the limits

    /** The time the path's limit takes for the bytes of one call, measured once per size and direction. */
    private double limit(Path p, boolean forward, long n, float[] x, float[] out) {
        if (p.limit == null) {
            return Double.NaN;
        }
        String key = p.limit + "/" + forward + "/" + n;
        Double cached = limits.get(key);
        if (cached != null) {
            return cached;
        }
        // the copy moves 8 bytes per element; backward moves 12: scale by 1.5
        double scale = forward ? 1.0 : 1.5;
        double t = switch (p) {
            case CPU, CPU_1T -> scale * wallSeconds(() -> System.arraycopy(x, 0, out, 0, (int) n), settings.warmSeconds());
            case CUDA_TENSOR -> {
                try (Tensor a = gpu.allocate(1, n); Tensor b = gpu.allocate(1, n)) {
                    yield scale * deviceSeconds(() -> gpu.copy(a, b), settings.warmSeconds());
                }
            }
            // both directions at once, as the pipeline overlaps them: n up and n down (forward),
            // 2n up and n down (backward)
            case CUDA_ARRAY -> gpu.pinnedLinkSeconds(forward ? n : 2 * n, n, settings.reps());
            case AUTO -> Double.NaN;
        };
        limits.put(key, t);
        return t;
    }

    // ------------------------------------------------------------------ timing

    /** Seconds per call by the wall clock (host-array calls return with their output in place). */
    private double wallSeconds(Runnable call, double warm) {
        return seconds(warm, k -> {
            long t0 = System.nanoTime();
            for (int i = 0; i < k; i++) {
                call.run();
            }
            return (System.nanoTime() - t0) / 1e9;
        });
    }

    /** Seconds per call of device time (CUDA events around k calls). */
    private double deviceSeconds(Runnable call, double warm) {
        return seconds(warm, k -> gpu.deviceSeconds(() -> {
            for (int i = 0; i < k; i++) {
                call.run();
            }
        }));
    }

    @FunctionalInterface
    interface Run {
        /** Seconds for k calls. */
        double seconds(int k);
    }

    /**
     * Warm-up: runs of growing length (each aimed at an eighth of {@code warmSeconds},
     * re-estimated from the run before, so that a slow first call in cold code does not fix the
     * count) until that much time has passed and at least 3 runs were made. Then the median of
     * {@link Settings#reps} runs of k calls each, per call.
     */
    double seconds(double warmSeconds, Run run) {
        int k = 1;
        double warm = 0;
        double perCall = Double.NaN;
        for (int runs = 0; warm < warmSeconds || runs < 3; runs++) {
            double t = run.seconds(k);
            perCall = t / k;
            warm += t;
            k = callsFor(perCall, warmSeconds / 8);
        }
        k = callsFor(perCall, settings.minRunSeconds());
        double[] t = new double[settings.reps()];
        for (int i = 0; i < t.length; i++) {
            t[i] = run.seconds(k) / k;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    private static int callsFor(double perCall, double target) {
        if (!(perCall > 0)) {
            return 1000;
        }
        return (int) Math.max(1, Math.min(1_000_000, Math.ceil(target / perCall)));
    }
}
