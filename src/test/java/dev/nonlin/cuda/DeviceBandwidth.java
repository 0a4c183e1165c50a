package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.Backends;
import dev.nonlin.Tensor;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * How close to memory bandwidth is each kernel on data that stays on the device, and what does
 * the host-array path cost? Run by ci/gpu-check.sh on a GPU machine (not a unit test).
 *
 * <p>Roofline: forward moves 8 bytes per element, backward 12; the limit is a device-to-device
 * copy (8 bytes per element: read + write) measured in the same run. Each figure is the median
 * of several timed calls, each synchronised.
 *
 * <p>The host-array path also crosses the CPU twice per element ({@link HostCopy}); its copy
 * speed with one thread and with the backend's threads is printed beside the link's, and
 * {@code host} as the third argument runs the host-array part alone (gpu-check runs it again
 * with {@code -Dnonlin.cuda.copyThreads=1}, so that one run shows what the threads buy).
 *
 * <pre>java -cp ... dev.nonlin.cuda.DeviceBandwidth [log2(n)=28] [out.csv] [host]</pre>
 */
public final class DeviceBandwidth {
    private DeviceBandwidth() {
    }

    public static void main(String[] args) throws IOException {
        int log2 = args.length > 0 ? Integer.parseInt(args[0]) : 28;
        Path csv = args.length > 1 ? Path.of(args[1]) : null;
        boolean hostOnly = args.length > 2 && args[2].equals("host");
        CudaBackend gpu = CudaSupport.backend();
        long n = 1L << log2;
        System.out.printf(Locale.ROOT, "%s%nn = 2^%d = %d floats (%.2f GiB per tensor)%n", gpu.description(), log2, n,
                n * 4.0 / (1L << 30));
        StringBuilder out = new StringBuilder("function,direction,path,n,seconds,GB_per_s,fraction_of_copy\n");
        if (!hostOnly) {
            tensors(gpu, n, out);
        }
        hostArrays(gpu, out);
        if (csv != null) {
            Files.writeString(csv, out);
        }
        try (PrintWriter w = new PrintWriter(System.out)) {
            w.flush();
        }
    }

    /** Every catalogue entry on device tensors of n elements, against a device-to-device copy. */
    private static void tensors(CudaBackend gpu, long n, StringBuilder out) {
        try (Tensor x = gpu.allocate(1, n); Tensor y = gpu.allocate(1, n); Tensor dy = gpu.allocate(1, n)) {
            double copy = median(7, () -> {
                gpu.copy(x, y);
                gpu.synchronize();
            });
            double copyGBs = 8.0 * n / copy / 1e9;
            System.out.printf(Locale.ROOT, "%-36s %-8s %10.3f ms %8.1f GB/s%n", "device-to-device copy", "", copy * 1e3, copyGBs);
            out.append(String.format(Locale.ROOT, "copy,,tensor,%d,%.6e,%.1f,1.0%n", n, copy, copyGBs));
            for (Activation f : Activations.all()) {
                long rows = f.rowWise() ? n / 1024 : 1;
                long cols = f.rowWise() ? 1024 : n;
                try (Tensor a = f.rowWise() ? gpu.allocate(rows, cols) : null) {
                    Tensor fx = f.rowWise() ? a : x;
                    Tensor fy = f.rowWise() ? gpu.allocate(rows, cols) : y;
                    Tensor fdy = f.rowWise() ? gpu.allocate(rows, cols) : dy;
                    try {
                        double tf = median(5, () -> {
                            gpu.forward(f, fx, fy);
                            gpu.synchronize();
                        });
                        double tb = median(5, () -> {
                            gpu.backward(f, fx, fdy, fy);
                            gpu.synchronize();
                        });
                        double gf = 8.0 * n / tf / 1e9;
                        double gb = 12.0 * n / tb / 1e9;
                        System.out.printf(Locale.ROOT, "%-36s forward  %10.3f ms %8.1f GB/s %5.0f %%   backward %10.3f ms %8.1f GB/s %5.0f %%%n",
                                f, tf * 1e3, gf, 100 * gf / copyGBs, tb * 1e3, gb, 100 * gb / copyGBs);
                        out.append(String.format(Locale.ROOT, "\"%s\",forward,tensor,%d,%.6e,%.1f,%.3f%n", f, n, tf, gf, gf / copyGBs));
                        out.append(String.format(Locale.ROOT, "\"%s\",backward,tensor,%d,%.6e,%.1f,%.3f%n", f, n, tb, gb, gb / copyGBs));
                    } finally {
                        if (f.rowWise()) {
                            fy.close();
                            fdy.close();
                        }
                    }
                }
            }
        }
    }

    /** float[] in, float[] out at 2^26, against pinned copies both ways at once and the CPU backend. */
    private static void hostArrays(CudaBackend gpu, StringBuilder out) {
        int m = 1 << 26;
        float[] hx = new float[m];
        float[] hy = new float[m];
        for (int i = 0; i < m; i++) {
            hx[i] = (i % 2001 - 1000) / 100f;
        }
        // the PCIe limit: pinned copies of the same size, both directions at once, as the
        // pipeline overlaps them (CudaBackend.pinnedLinkSeconds, what `nonlin bench` uses too)
        long bytes = (long) m * Float.BYTES;
        double limit = gpu.pinnedLinkSeconds(m, m, 5);
        System.out.printf(Locale.ROOT, "pinned copies 2^26 floats, both directions at once: %.1f GB/s each way%n",
                bytes / limit / 1e9);
        out.append(String.format(Locale.ROOT, "pinned_link,,copy,%d,%.6e,%.1f,%n", m, limit, bytes / limit / 1e9));
        // the CPU side of the same path: 4 MiB chunks of a 2^26 array into a direct buffer and back
        float[] big = new float[m];
        java.nio.FloatBuffer buf = java.nio.ByteBuffer.allocateDirect(CudaBackend.CHUNK * Float.BYTES)
                .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
        for (int threads : new int[] {1, gpu.copyThreads()}) {
            HostCopy c = new HostCopy(threads);
            double put = median(3, () -> {
                for (int o = 0; o < m; o += CudaBackend.CHUNK) {
                    c.put(buf, big, o, CudaBackend.CHUNK);
                }
            });
            double get = median(3, () -> {
                for (int o = 0; o < m; o += CudaBackend.CHUNK) {
                    c.get(buf, big, o, CudaBackend.CHUNK);
                }
            });
            System.out.printf(Locale.ROOT, "host copies, %d thread(s): float[] to pinned %.1f GB/s, pinned to float[] %.1f GB/s%n",
                    threads, bytes / put / 1e9, bytes / get / 1e9);
            out.append(String.format(Locale.ROOT, "host_copy_up,,%d threads,%d,%.6e,%.1f,%n", threads, m, put, bytes / put / 1e9));
            out.append(String.format(Locale.ROOT, "host_copy_down,,%d threads,%d,%.6e,%.1f,%n", threads, m, get, bytes / get / 1e9));
        }
        Backend cpu = Backends.cpu();
        for (String spec : new String[] {"relu", "gelu", "softmax"}) {
            Activation f = Activation.parse(spec);
            int cols = f.rowWise() ? 1024 : m;
            int rows = m / cols;
            double tg = median(3, () -> gpu.forward(f, hx, 0, hy, 0, rows, cols));
            double tc = median(3, () -> cpu.forward(f, hx, 0, hy, 0, rows, cols));
            System.out.printf(Locale.ROOT, "%-12s float[] 2^26, %d copy thread(s): gpu %8.1f ms (%3.0f %% of the pinned-copy limit), "
                            + "cpu %8.1f ms, gpu/cpu speed %.2f×%n",
                    spec, gpu.copyThreads(), tg * 1e3, 100 * limit / tg, tc * 1e3, tc / tg);
            out.append(String.format(Locale.ROOT, "\"%s\",forward,float[] %d copy threads,%d,%.6e,%.1f,%.3f%n", spec,
                    gpu.copyThreads(), m, tg, 8.0 * m / tg / 1e9, limit / tg));
            out.append(String.format(Locale.ROOT, "\"%s\",forward,cpu float[],%d,%.6e,%.1f,%n", spec, m, tc, 8.0 * m / tc / 1e9));
        }
    }

    private static double median(int reps, Runnable r) {
        r.run();   // warm up: module JIT, staging buffers
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long a = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - a) / 1e9;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }
}
