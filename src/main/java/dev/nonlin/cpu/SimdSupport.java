package dev.nonlin.cpu;

import java.lang.System.Logger.Level;

/**
 * Loads the SIMD kernels only when the JVM can run them, and remembers why not otherwise
 * (the "native if available, else Java" pattern, with the cause kept for {@code nonlin info}).
 *
 * <p>{@code jdk.incubator.vector} is not in the default module graph: the JVM needs
 * {@code --add-modules jdk.incubator.vector}. Touching a Vector API class without it throws
 * {@code NoClassDefFoundError}, so {@code SimdKernels} is loaded by reflection, once.
 */
final class SimdSupport {
    private SimdSupport() {
    }

    private static final Kernels KERNELS;
    private static final String REASON;

    static {
        Kernels k = null;
        String reason;
        if (Boolean.getBoolean("nonlin.simd.disable")) {
            reason = "disabled by -Dnonlin.simd.disable=true";
        } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            reason = "jdk.incubator.vector is not in the module graph (run java with --add-modules jdk.incubator.vector)";
        } else {
            try {
                k = (Kernels) Class.forName("dev.nonlin.cpu.SimdKernels").getDeclaredConstructor().newInstance();
                reason = null;
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                reason = "SIMD kernels failed to load: " + cause;
            }
        }
        KERNELS = k;
        REASON = reason;
        if (reason != null) {
            System.getLogger("dev.nonlin").log(Level.INFO, "nonlin: CPU SIMD path off, using the scalar path: {0}", reason);
        }
    }

    /** The SIMD kernels, or null. */
    static Kernels kernels() {
        return KERNELS;
    }

    /** Why the SIMD path is off, or null when it is on. */
    static String unavailabilityCause() {
        return REASON;
    }
}
