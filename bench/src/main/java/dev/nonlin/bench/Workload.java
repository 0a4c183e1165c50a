package dev.nonlin.bench;

import dev.nonlin.Activation;
import dev.nonlin.Backend;
import dev.nonlin.Tensor;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.util.Random;

/**
 * One measured call: a backend, a function (or the {@code arraycopy} roofline), a
 * {@code rows × cols} shape and a direction, with its data allocated up front so that the timed
 * call allocates nothing. Shared by {@link ActivationBenchmark} (one row) and
 * {@link SoftmaxBenchmark} (many rows).
 *
 * <p>{@code arraycopy} is the copy that bounds each backend, moving the same 8 bytes per element
 * as a forward call (one array in, one out), whatever the direction:
 * <ul>
 *   <li>cpu-*: {@code System.arraycopy} (one thread);
 *   <li>cuda-tensor: {@code cuMemcpyDtoD} between two device buffers, then {@code cuCtxSynchronize};
 *   <li>cuda-array: a pinned host-to-device copy and a device-to-host copy of the same size on two
 *       streams at once (PCIe is full duplex, and the library's pipeline overlaps both
 *       directions), then both streams synchronised. The copies into and out of the Java arrays
 *       that the library must also do are left out: this is the link's limit.
 * </ul>
 */
final class Workload implements AutoCloseable {
    static final String ARRAYCOPY = "arraycopy";

    private final Backend b;
    private final Activation f;
    private final boolean copy;
    private final boolean forward;
    private final boolean tensors;
    private final int rows;
    private final int cols;
    private final float[] x;
    private final float[] dy;
    private final float[] y;
    private Tensor tx;
    private Tensor tdy;
    private Tensor ty;
    // the raw copies (arraycopy on cuda-*); null otherwise
    private CudaDirect cuda;
    private CUdeviceptr devA;
    private CUdeviceptr devB;
    private Pointer hostA;
    private Pointer hostB;
    private CUstream up;
    private CUstream down;

    Workload(String backend, String function, int rows, int cols, String direction) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("shape must be at least 1x1, got rows=" + rows + ", cols=" + cols);
        }
        if ((long) rows * cols > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("rows × cols = " + (long) rows * cols + " does not fit in a Java array");
        }
        if (!direction.equals("forward") && !direction.equals("backward")) {
            throw new IllegalArgumentException("direction must be forward or backward, got '" + direction + "'");
        }
        this.b = BenchBackends.of(backend);   // first: an unusable cuda-* fails before any work
        this.rows = rows;
        this.cols = cols;
        this.forward = direction.equals("forward");
        this.copy = function.equals(ARRAYCOPY);
        this.f = copy ? null : Activation.parse(function);
        this.tensors = backend.equals("cuda-tensor");
        int n = rows * cols;
        x = new float[n];
        dy = new float[n];
        y = new float[n];
        Random r = new Random(42);
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 4);
            dy[i] = (float) r.nextGaussian();
        }
        try {
            if (copy && BenchBackends.isCuda(backend)) {
                openRawCopy(backend, (long) n * Float.BYTES);
            } else if (tensors) {
                tx = b.tensor(x, rows, cols);
                tdy = b.tensor(dy, rows, cols);
                ty = b.allocate(rows, cols);
                b.synchronize();
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void openRawCopy(String backend, long bytes) {
        cuda = CudaDirect.open(backend);
        devA = cuda.deviceBuffer(bytes);
        devB = cuda.deviceBuffer(bytes);
        if (backend.equals("cuda-array")) {
            hostA = cuda.pinnedBuffer(bytes);
            hostB = cuda.pinnedBuffer(bytes);
            up = cuda.stream();
            down = cuda.stream();
        }
    }

    /** Before each iteration: JMH may move the benchmark to another thread, and contexts are per thread. */
    void beforeIteration() {
        if (cuda != null) {
            cuda.makeCurrent();
        }
    }

    /** The timed call. Returns the output array so that JMH consumes it. */
    float[] run() {
        if (copy) {
            rawCopy();
        } else if (tensors) {
            if (forward) {
                b.forward(f, tx, ty);
            } else {
                b.backward(f, tx, tdy, ty);
            }
            b.synchronize();   // launches are asynchronous: time the work, not the enqueue
        } else if (forward) {
            b.forward(f, x, 0, y, 0, rows, cols);
        } else {
            b.backward(f, x, 0, dy, 0, y, 0, rows, cols);
        }
        return y;
    }

    private void rawCopy() {
        long bytes = (long) rows * cols * Float.BYTES;
        if (cuda == null) {
            System.arraycopy(x, 0, y, 0, rows * cols);
        } else if (hostA == null) {
            JCudaDriver.cuMemcpyDtoD(devB, devA, bytes);
            JCudaDriver.cuCtxSynchronize();
        } else {
            JCudaDriver.cuMemcpyHtoDAsync(devA, hostA, bytes, up);
            JCudaDriver.cuMemcpyDtoHAsync(hostB, devB, bytes, down);
            JCudaDriver.cuStreamSynchronize(up);
            JCudaDriver.cuStreamSynchronize(down);
        }
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {tx, tdy, ty}) {
            if (t != null) {
                t.close();
            }
        }
        tx = tdy = ty = null;
        if (cuda != null) {
            cuda.close();
            cuda = null;
        }
    }
}
