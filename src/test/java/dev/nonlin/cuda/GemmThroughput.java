package dev.nonlin.cuda;

import dev.nonlin.Tensor;
import dev.nonlin.Transpose;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * How fast is CUDA's matmul on each SGEMM path? Run by ci/gpu-check.sh on a GPU machine (not a
 * unit test): n × n × n products (default 4096³) through nonlin's tiled kernel and, where
 * JCublas loads, cuBLAS, for each transpose pair the dense layer uses (nn forward, tn for dW, nt
 * for dx), timed on the device ({@link CudaBackend#deviceSeconds}, median of 5 after a warm-up).
 *
 * <p>Roofline: 2n³ flops per product; an H200 has about 67 TFLOP/s of FP32 FMA without tensor
 * cores (132 SMs × 128 lanes × 2 × 1.98 GHz), and cuBLAS SGEMM reaches roughly 70–80 % of that.
 *
 * <pre>java -cp ... dev.nonlin.cuda.GemmThroughput [n=4096] [out.csv]</pre>
 */
public final class GemmThroughput {
    private GemmThroughput() {
    }

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        Path csv = args.length > 1 ? Path.of(args[1]) : null;
        CudaBackend gpu = CudaSupport.backend();
        System.out.println(gpu.description());
        StringBuilder out = new StringBuilder("path,ops,n,seconds,GFLOP_per_s\n");
        float[] data = new float[n * n];
        for (int i = 0; i < data.length; i++) {
            data[i] = (i % 17 - 8) / 8f;
        }
        try (Tensor a = gpu.tensor(data, n, n); Tensor b = gpu.tensor(data, n, n); Tensor c = gpu.allocate(n, n)) {
            for (GemmPath.Request path : new GemmPath.Request[] {GemmPath.Request.NONLIN, GemmPath.Request.CUBLAS}) {
                gpu.useGemm(path);
                if (path == GemmPath.Request.CUBLAS && Cublas.libraryUnavailabilityCause() != null) {
                    System.out.println("cuBLAS: not measured: " + gpu.gemmDescription());
                    continue;
                }
                for (Transpose[] ops : new Transpose[][] {{Transpose.N, Transpose.N}, {Transpose.T, Transpose.N},
                        {Transpose.N, Transpose.T}}) {
                    double[] t = new double[5];
                    gpu.matmul(a, ops[0], b, ops[1], c);   // warm-up (and cuBLAS's own set-up)
                    for (int i = 0; i < t.length; i++) {
                        t[i] = gpu.deviceSeconds(() -> gpu.matmul(a, ops[0], b, ops[1], c));
                    }
                    Arrays.sort(t);
                    double s = t[t.length / 2];
                    double gflops = 2.0 * n * n * n / s / 1e9;
                    String name = ops[0].name().toLowerCase(Locale.ROOT) + ops[1].name().toLowerCase(Locale.ROOT);
                    System.out.printf(Locale.ROOT, "SGEMM %-6s %s %d^3: %8.3f ms %9.1f GFLOP/s  (%s)%n", path, name, n,
                            s * 1e3, gflops, gpu.gemmDescription());
                    out.append(String.format(Locale.ROOT, "%s,%s,%d,%.6e,%.1f%n", path, name, n, s, gflops));
                }
            }
        } finally {
            gpu.useGemm(GemmPath.Request.fromProperty());
        }
        if (csv != null) {
            Files.writeString(csv, out);
        }
    }
}
