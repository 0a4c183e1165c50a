package dev.nonlin.bench;

import dev.nonlin.Backend;
import dev.nonlin.cpu.CpuBackend;

/** The backend {@code @Param} names shared by the benchmarks. */
final class BenchBackends {
    private BenchBackends() {
    }

    static Backend of(String name) {
        return switch (name) {
            case "cpu-scalar" -> CpuBackend.scalar();
            case "cpu-simd" -> CpuBackend.simd(false);
            case "cpu-parallel" -> CpuBackend.simd(true);
            default -> throw new IllegalArgumentException("unknown backend " + name
                    + "; expected cpu-scalar, cpu-simd or cpu-parallel");
        };
    }
}
