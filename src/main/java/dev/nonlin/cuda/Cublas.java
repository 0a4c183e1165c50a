package dev.nonlin.cuda;

import dev.nonlin.Transpose;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasOperation;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;

/**
 * cuBLAS through JCublas: one handle, bound to the backend's tensor stream, and row-major SGEMM
 * on it. The owner ({@link GemmPath}, owned by the backend) closes it, which destroys the handle.
 *
 * <p>JCublas's native library ({@code libJCublas2}) needs CUDA 12's {@code libcublas.so.12}
 * (versioned symbols: CUDA 13's library does not do). Where it is missing, JCublas2's static
 * initialiser throws {@link UnsatisfiedLinkError} once and {@link NoClassDefFoundError} after,
 * as JCudaDriver's does (DESIGN.md §6), so the library is probed once per JVM and the cause
 * kept ({@link #libraryUnavailabilityCause()}); no JCublas class is touched before that.
 */
final class Cublas implements AutoCloseable {

    /** Whether JCublas's natives loaded in this JVM; decided by the first touch, once. */
    private static final class Library {
        static final String CAUSE = load();

        private static String load() {
            try {
                JCublas2.setExceptionsEnabled(false);   // status codes, checked below with context
                return null;
            } catch (LinkageError e) {
                return CudaSupport.linkCause(e.getMessage());
            } catch (RuntimeException e) {
                return "JCublas failed to initialise: " + e;
            }
        }
    }

    /** Why JCublas's natives do not load here (one line), or null when they do. */
    static String libraryUnavailabilityCause() {
        return Library.CAUSE;
    }

    /** The JCublas version on the classpath, e.g. "12.6.0". */
    static String jcublasVersion() {
        return CudaSupport.artifactVersion("jcublas");
    }

    private final cublasHandle handle = new cublasHandle();
    /** cuBLAS handles are not for concurrent use from several host threads; calls only enqueue. */
    private final Object lock = new Object();
    /** cublasGetVersion, e.g. 120604; set before the instance is handed out. */
    private int version;
    private boolean closed;

    private Cublas() {
    }

    /**
     * Creates a handle on the device's (current) primary context, bound to the legacy default
     * stream, where every tensor operation of the backend runs.
     *
     * @throws IllegalStateException when JCublas's natives do not load (the message is the cause)
     * @throws CudaError when cuBLAS refuses (no device memory for its workspace, say)
     */
    static Cublas open(CudaDevice dev) {
        String cause = Library.CAUSE;
        if (cause != null) {
            throw new IllegalStateException(cause);
        }
        dev.makeCurrent();
        Cublas c = new Cublas();
        check(JCublas2.cublasCreate(c.handle), "cublasCreate");
        try {
            // A cudaStream_t with a null pointer is stream 0, the legacy default stream.
            check(JCublas2.cublasSetStream(c.handle, new cudaStream_t()), "cublasSetStream");
            // FP32 all the way: DEFAULT_MATH never uses TF32 tensor cores for SGEMM.
            check(JCublas2.cublasSetMathMode(c.handle, cublasMath.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
            int[] v = new int[1];
            check(JCublas2.cublasGetVersion(c.handle, v), "cublasGetVersion");
            c.version = v[0];
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Row-major {@code C = alpha·op(A)·op(B) + beta·C} (m × n) through column-major cuBLAS: a
     * row-major matrix is its transpose column-major, and Cᵀ = op(B)ᵀ·op(A)ᵀ, so cuBLAS gets B
     * first, m and n swapped, and each operand's row length as its leading dimension. With
     * beta = 0, cuBLAS does not read C (BLAS semantics).
     */
    void sgemm(Transpose ta, Transpose tb, int m, int n, int k, float alpha, CUdeviceptr a, CUdeviceptr b, float beta,
               CUdeviceptr c) {
        int lda = ta == Transpose.N ? k : m;   // the row length of a as stored
        int ldb = tb == Transpose.N ? n : k;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("cuBLAS handle already destroyed");
            }
            check(JCublas2.cublasSgemm(handle, op(tb), op(ta), n, m, k, Pointer.to(new float[] {alpha}), b, ldb, a, lda,
                    Pointer.to(new float[] {beta}), c, n), "cublasSgemm");
        }
    }

    private static int op(Transpose t) {
        return t == Transpose.N ? cublasOperation.CUBLAS_OP_N : cublasOperation.CUBLAS_OP_T;
    }

    private static void check(int status, String operation) {
        if (status != cublasStatus.CUBLAS_STATUS_SUCCESS) {
            throw new CudaError(operation, cublasStatus.stringFor(status), false, null);
        }
    }

    /** "cuBLAS 12.6.4", from cublasGetVersion. */
    String describe() {
        return "cuBLAS " + version / 10000 + "." + version % 10000 / 100 + "." + version % 100;
    }

    /** Destroys the handle (idempotent). */
    @Override
    public void close() {
        synchronized (lock) {
            if (!closed) {
                closed = true;
                JCublas2.cublasDestroy(handle);
            }
        }
    }
}
