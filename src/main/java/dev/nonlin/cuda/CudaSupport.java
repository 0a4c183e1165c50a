package dev.nonlin.cuda;

import dev.nonlin.Activation;
import dev.nonlin.BackendUnavailableException;
import dev.nonlin.Tensor;
import dev.nonlin.cpu.Scalar;
import jcuda.CudaException;
import jcuda.driver.JCudaDriver;

import java.lang.System.Logger.Level;

/**
 * Is CUDA usable here? The probe runs once and keeps the first missing piece as the cause:
 * JCuda's native library (needs the NVIDIA driver's {@code libcuda.so.1}), {@code cuInit}, a
 * device, PTX in the jar, the modules loading on this driver, and a self-test against the CPU.
 *
 * <p>JCuda's classes are touched only here and in the backend this probe hands out: on a machine
 * without {@code libcuda.so.1}, JCuda's static initialiser throws {@link UnsatisfiedLinkError}
 * once and {@link NoClassDefFoundError} ever after, so the error is caught once and cached.
 */
public final class CudaSupport {
    private CudaSupport() {
    }

    /** The device ordinal to use: {@code -Dnonlin.cuda.device=N}, default 0. */
    public static final String DEVICE_PROPERTY = "nonlin.cuda.device";

    private static final class Probe {
        static final CudaBackend BACKEND;
        static final String CAUSE;

        static {
            CudaBackend b = null;
            String cause;
            try {
                b = probe();
                cause = null;
            } catch (Throwable t) {   // anything at all: a probe never takes the caller down
                cause = t instanceof ProbeFailure ? t.getMessage() : "CUDA probe failed: " + t;
            }
            BACKEND = b;
            CAUSE = cause;
            if (cause != null) {
                System.getLogger("dev.nonlin").log(Level.DEBUG, "nonlin: CUDA unavailable: {0}", cause);
            }
        }
    }

    /**
     * The JCuda version on the classpath (read from its Maven metadata, without loading JCuda's
     * natives), e.g. "12.6.0", or "unknown".
     */
    public static String jcudaVersion() {
        return artifactVersion("jcuda");
    }

    /** The version of an org.jcuda artifact on the classpath (jcuda, jcublas), or "unknown". */
    static String artifactVersion(String artifactId) {
        try (java.io.InputStream in = CudaSupport.class.getResourceAsStream(
                "/META-INF/maven/org.jcuda/" + artifactId + "/pom.properties")) {
            if (in == null) {
                return "unknown";
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /** Whether the CUDA backend passed its probe. */
    public static boolean isAvailable() {
        return Probe.BACKEND != null;
    }

    /** Why CUDA is unusable, or null when it is usable. */
    public static String unavailabilityCause() {
        return Probe.CAUSE;
    }

    /** The CUDA backend. @throws BackendUnavailableException with the cause when unusable */
    public static CudaBackend backend() {
        if (Probe.BACKEND == null) {
            throw new BackendUnavailableException("cuda backend unavailable: " + Probe.CAUSE);
        }
        return Probe.BACKEND;
    }

    private static final class ProbeFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProbeFailure(String message) {
            super(message, null, false, false);
        }
    }

    /** Said after an earlier failure, so that a jar without PTX is never a surprise later. */
    private static String noPtxToo() {
        return CudaDevice.hasPtx() ? "" : "; also, " + NO_PTX;
    }

    static final String NO_PTX = "no PTX in this build (nvcc was not found when the jar was built)";

    private static CudaBackend probe() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
        } catch (LinkageError e) {
            throw new ProbeFailure("JCuda's driver library did not load: " + linkCause(e.getMessage()) + noPtxToo());
        }
        try {
            JCudaDriver.cuInit(0);
        } catch (CudaException e) {
            throw new ProbeFailure("cuInit failed: " + e.getMessage() + noPtxToo());
        }
        int[] count = new int[1];
        JCudaDriver.cuDeviceGetCount(count);
        if (count[0] == 0) {
            throw new ProbeFailure("no CUDA device" + noPtxToo());
        }
        int ordinal = Integer.getInteger(DEVICE_PROPERTY, 0);
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new ProbeFailure(DEVICE_PROPERTY + " = " + ordinal + ", but there are " + count[0] + " device(s)");
        }
        if (!CudaDevice.hasPtx()) {
            throw new ProbeFailure(NO_PTX);
        }
        CudaDevice dev;
        try {
            dev = new CudaDevice(ordinal);
        } catch (IllegalStateException | CudaError e) {
            throw new ProbeFailure(e.getMessage());
        }
        CudaBackend b = new CudaBackend(dev);
        selfTest(b);
        return b;
    }

    /**
     * JCuda's message holds two nested stack traces (loading from java.library.path, then from the
     * jar); the line that names the missing piece is the jar attempt's, e.g. "libcuda.so.1: cannot
     * open shared object file".
     */
    static String linkCause(String message) {
        if (message == null) {
            return "no message";
        }
        String best = null;
        for (String line : message.split("\n")) {
            String l = line.strip();
            if (l.startsWith("java.lang.UnsatisfiedLinkError:")) {
                best = l.substring("java.lang.UnsatisfiedLinkError:".length()).strip();
            }
        }
        if (best == null) {
            return message.lines().findFirst().orElse(message).strip();
        }
        int so = best.indexOf(".so: ");
        if (so >= 0 && best.startsWith("/")) {
            best = best.substring(so + ".so: ".length());   // drop the temp path of JCuda's own library
        }
        if (best.contains("libcuda.so")) {
            best += " (no NVIDIA driver on this machine)";
        }
        return best;
    }

    /** A small vector through one elementwise and one row-wise kernel, against the float64 reference. */
    private static void selfTest(CudaBackend b) {
        int n = 4099;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i - n / 2) / 97f;
        }
        Activation f = Activation.gelu();
        float[] y = new float[n];
        try (Tensor tx = b.tensor(x); Tensor ty = b.allocate(1, n)) {
            b.forward(f, tx, ty);
            ty.copyTo(y, 0);
        } catch (RuntimeException e) {
            throw new ProbeFailure("self-test failed to run: " + e.getMessage());
        }
        for (int i = 0; i < n; i++) {
            float exact = (float) Scalar.forward(f.kind(), f.p0(), f.p1(), x[i]);
            if (Math.abs(y[i] - exact) > 4 * Math.ulp(exact)) {
                throw new ProbeFailure("self-test failed: gelu(" + x[i] + ") = " + y[i] + " on the GPU, "
                        + exact + " on the CPU");
            }
        }
    }
}
