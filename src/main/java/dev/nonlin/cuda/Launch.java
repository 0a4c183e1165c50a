package dev.nonlin.cuda;

/**
 * One kernel launch, described but not yet enqueued: the PTX module that defines the kernel
 * ({@link CudaDevice#MODULES} or {@link CudaDevice#LAZY_MODULES}), its name, a one-dimensional
 * grid and block, and the parameter block. The launch builders ({@link Launches},
 * {@link RowLaunches}, {@link LossLaunches}, {@link DenseLaunches}, {@link CudaAccuracy}) are plain
 * functions of their arguments and the device's SM count, so LaunchesPtxTest checks every one
 * against the PTX without a GPU; {@link CudaBackend#run} enqueues it. No kernel here uses dynamic
 * shared memory.
 */
record Launch(String module, String kernel, int grid, int threads, KernelArgs args) {
    Launch {
        if (grid < 1 || threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("launch " + kernel + ": grid " + grid + ", block " + threads);
        }
    }
}
