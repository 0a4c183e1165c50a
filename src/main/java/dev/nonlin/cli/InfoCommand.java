package dev.nonlin.cli;

import dev.nonlin.Backend;
import dev.nonlin.Backends;
import dev.nonlin.cpu.CpuBackend;
import dev.nonlin.cuda.CudaBackend;
import dev.nonlin.cuda.CudaSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.Callable;

/**
 * {@code nonlin info}: the JVM, the CPU path (SIMD or not, and why), the CPU GEMM (micro-kernel or
 * plain loop, and why), threads, every backend, and CUDA's SGEMM (cuBLAS or our tiled kernel, and why).
 */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Show the Java runtime, whether the CPU SIMD path is on (and its width, or why not), "
                + "the CPU matmul path (the SIMD micro-kernel and its tile, or the plain loop and why), the threads, "
                + "every backend with its availability or the reason it is unavailable, and the SGEMM that CUDA's "
                + "matmul runs (cuBLAS or nonlin's tiled kernel, and why).",
                "Set NONLIN_BACKEND or -Dnonlin.backend to auto|cpu|cuda to force a choice, and "
                + "-Dnonlin.cuda.gemm to auto|cublas|nonlin to force the CUDA SGEMM."})
final class InfoCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        common.apply();
        PrintWriter out = spec.commandLine().getOut();
        Runtime rt = Runtime.getRuntime();
        line(out, "nonlin", Main.Version.version());
        line(out, "java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        line(out, "os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch") + ", " + rt.availableProcessors() + " cores, max heap "
                + rt.maxMemory() / (1 << 20) + " MiB");
        CpuBackend cpu = CpuBackend.get();
        if (CpuBackend.simdAvailable()) {
            line(out, "simd", "on" + preferredWidth());
        } else {
            line(out, "simd", "off: " + CpuBackend.simdUnavailabilityCause());
        }
        line(out, "threads", cpu.threads() + " (fork/join pool for large arrays)");
        line(out, "cpu", cpu.description());
        line(out, "cpu gemm", cpu.gemmDescription());

        Backends.Report report = Backends.report();
        line(out, "auto", report.chosen() + " (" + report.reason() + ")");
        line(out, "forced", report.override() != null ? report.override()
                : "no (set NONLIN_BACKEND or -D" + Backends.PROPERTY + " to auto|cpu|cuda)");
        String effective;
        try {
            Backend b = Backends.auto();
            effective = b.description();
        } catch (RuntimeException e) {
            // A forced backend that cannot run: auto() throws, and info says so instead of failing.
            effective = "error: " + e.getMessage();
        }
        line(out, "using", effective);
        line(out, "jcuda", CudaSupport.jcudaVersion() + " (driver API; built against CUDA "
                + CudaSupport.jcudaVersion().replaceAll("^(\\d+\\.\\d+).*", "$1") + " headers)");
        if (CudaSupport.isAvailable()) {
            CudaBackend gpu = CudaSupport.backend();
            long[] mem = gpu.memoryInfo();
            line(out, "gpu", gpu.description());
            line(out, "memory", String.format(java.util.Locale.ROOT, "%.2f GiB free of %.2f GiB; nonlin tensors hold %d bytes",
                    mem[0] / (double) (1L << 30), mem[1] / (double) (1L << 30), gpu.bytesInUse()));
            if (gpu.brokenReason() != null) {
                line(out, "gpu", "out of service: " + gpu.brokenReason());
            }
            line(out, "gpu gemm", gemm(gpu));
            line(out, "gpu errors", Boolean.getBoolean(CudaBackend.STRICT_PROPERTY)
                    ? "a CUDA error fails the host-array call (" + CudaBackend.STRICT_PROPERTY + ")"
                    : "a host-array call that meets a CUDA error finishes on the CPU (-D" + CudaBackend.STRICT_PROPERTY
                            + "=true: fail instead)");
            line(out, "gpu copies", gpu.copyThreads() + " thread(s) copy host arrays to and from pinned memory (-D"
                    + "nonlin.cuda.copyThreads=N)");
            dev.nonlin.Crossover c = Backends.crossover();
            if (c != null) {
                for (dev.nonlin.Activation.Family f : dev.nonlin.Activation.Family.values()) {
                    line(out, "crossover", String.format(java.util.Locale.ROOT, "%-14s host arrays to the GPU from %s elements (%s)",
                            f.key(), dev.nonlin.Crossover.format(c.elements(f)), c.source(f)));
                }
            }
        } else {
            line(out, "gpu", "none usable: " + CudaSupport.unavailabilityCause());
            line(out, "gpu gemm", "CUDA path not probed: CUDA is unusable (matmul runs on the CPU)");
            line(out, "crossover", "none: without a GPU, auto runs everything on the CPU");
        }
        out.println("backends:");
        for (Backends.Availability a : report.backends()) {
            out.printf("  %-5s %s%s%n", a.name(), a.available() ? "available" : "unavailable",
                    a.detail() == null || a.detail().isEmpty() ? "" : ": " + a.detail());
        }
        out.flush();
        return Main.OK;
    }

    /** The CUDA matmul path and why (probing cuBLAS if nothing has yet); a bad -D value is said, not thrown. */
    private static String gemm(CudaBackend gpu) {
        try {
            return gpu.gemmDescription();
        } catch (RuntimeException e) {
            return "error: " + e.getMessage();
        }
    }

    private static void line(PrintWriter out, String key, String value) {
        out.printf("%-10s %s%n", key + ":", value);
    }

    /**
     * The JVM's preferred float vector width, read by reflection so that this class loads on a JVM
     * without {@code jdk.incubator.vector}; empty when it cannot be read.
     */
    static String preferredWidth() {
        try {
            Class<?> floatVector = Class.forName("jdk.incubator.vector.FloatVector");
            Field f = floatVector.getField("SPECIES_PREFERRED");
            Object species = f.get(null);
            Class<?> vs = Class.forName("jdk.incubator.vector.VectorSpecies");
            Method length = vs.getMethod("length");
            Method bits = vs.getMethod("vectorBitSize");
            return ", preferred vector " + bits.invoke(species) + " bits (" + length.invoke(species) + " floats)";
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return "";
        }
    }
}
