package dev.nonlin.bench;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.Tensor;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What do host↔device copies and a kernel launch cost on this machine? These are the numbers that
 * explain where the GPU starts to pay for host arrays ({@code cuda-array} against {@code cpu-*} in
 * {@link ActivationBenchmark}): a host-array call costs at least one launch plus
 * {@code 4·n / upload bandwidth} (overlapped with {@code 4·n / download bandwidth}), against the
 * CPU's {@code 8·n / copy bandwidth} or its compute time.
 *
 * <ul>
 *   <li>{@code copy}: one copy of {@code size} floats in one direction, then
 *       {@code cuCtxSynchronize}. Bandwidth = {@code 4·size} bytes ÷ time. The roofline is the
 *       link's nominal rate per direction (PCIe 4.0 ×16: 32 GB/s, 5.0 ×16: 64 GB/s, before
 *       protocol overhead); what it really gives on a machine is this benchmark's answer.
 *       <ul>
 *         <li>{@code pageable}: from or into a Java {@code float[]} through
 *             {@code Pointer.to(float[])}. JCuda pins the array with
 *             {@code GetPrimitiveArrayCritical} for the length of the call, which stalls the
 *             garbage collector meanwhile (DESIGN.md §6); the driver then copies through its own
 *             staging buffer. This is what a naive JCuda program gets, and why the library does
 *             not use it.
 *         <li>{@code pinned}: from or into {@code cuMemAllocHost} memory, which the copy engine
 *             reads directly: the link's speed, and the limit of the library's staged path.
 *       </ul>
 *   <li>{@code launch}: a forward call (relu) on a 1-element device tensor through the library, then
 *       {@code synchronize()}: the fixed cost of one call that keeps its data on the device.
 *   <li>{@code synchronize}: an empty {@code cuCtxSynchronize}, the floor under every CUDA
 *       measurement here (each synchronises once).
 * </ul>
 *
 * <p>Without a usable GPU every combination fails in setup with the probe's reason; JCuda is
 * touched only after the library's probe has said yes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx4g"})
public class TransferBenchmark {

    /** One copy's buffers. */
    @State(Scope.Thread)
    public static class Copy {
        @Param({"host-to-device", "device-to-host"})
        public String direction;

        @Param({"pageable", "pinned"})
        public String memory;

        @Param({"65536", "262144", "1048576", "4194304", "16777216", "67108864"})
        public int size;

        private CudaDirect cuda;
        private boolean up;
        private long bytes;
        private CUdeviceptr device;
        private Pointer host;
        private float[] heap;

        @Setup
        public void setup() {
            if (!direction.equals("host-to-device") && !direction.equals("device-to-host")) {
                throw new IllegalArgumentException("direction must be host-to-device or device-to-host, got '" + direction + "'");
            }
            if (!memory.equals("pageable") && !memory.equals("pinned")) {
                throw new IllegalArgumentException("memory must be pageable or pinned, got '" + memory + "'");
            }
            if (size < 1) {
                throw new IllegalArgumentException("size must be at least 1, got " + size);
            }
            up = direction.equals("host-to-device");
            bytes = (long) size * Float.BYTES;
            cuda = CudaDirect.open("TransferBenchmark");
            device = cuda.deviceBuffer(bytes);
            if (memory.equals("pinned")) {
                host = cuda.pinnedBuffer(bytes);
            } else {
                heap = new float[size];
                java.util.Arrays.fill(heap, 1f);   // touch every page, so none is first faulted in inside a copy
                host = Pointer.to(heap);
            }
        }

        @Setup(Level.Iteration)
        public void beforeIteration() {
            cuda.makeCurrent();
        }

        @TearDown
        public void tearDown() {
            if (cuda != null) {
                cuda.close();
            }
        }

        void run() {
            if (up) {
                JCudaDriver.cuMemcpyHtoD(device, host, bytes);
            } else {
                JCudaDriver.cuMemcpyDtoH(host, device, bytes);
            }
            // A host-to-device copy from pageable memory may return once the driver has staged the
            // data, before it reaches the device; synchronise so that every variant times the same thing.
            JCudaDriver.cuCtxSynchronize();
        }
    }

    /** The library's CUDA backend and a 1-element device tensor. */
    @State(Scope.Thread)
    public static class Latency {
        private Backend cuda;
        private CudaDirect raw;
        private Tensor one;
        private final Activation relu = Activation.parse("relu");

        @Setup
        public void setup() {
            cuda = BenchBackends.cuda("TransferBenchmark");
            raw = CudaDirect.open("TransferBenchmark");
            one = cuda.tensor(new float[] {1f});
        }

        @Setup(Level.Iteration)
        public void beforeIteration() {
            raw.makeCurrent();   // for the bare cuCtxSynchronize; the library makes it current itself
        }

        @TearDown
        public void tearDown() {
            if (one != null) {
                one.close();
            }
            if (raw != null) {
                raw.close();
            }
        }
    }

    @Benchmark
    public void copy(Copy c) {
        c.run();
    }

    @Benchmark
    public void launch(Latency l) {
        l.cuda.forward(l.relu, l.one, l.one);
        l.cuda.synchronize();
    }

    @Benchmark
    public void synchronize(Latency l) {
        JCudaDriver.cuCtxSynchronize();
    }
}
