package dev.nonlin.cuda;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUjit_option;
import jcuda.driver.CUmodule;
import jcuda.driver.JITOptions;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One GPU: its primary context, the loaded PTX modules and a cache of kernel handles.
 *
 * <p>Contexts are per thread in the driver API, and pools or virtual threads move work between OS
 * threads, so every public GPU entry calls {@link #makeCurrent()} first.
 */
final class CudaDevice {

    /** The PTX modules the backend loads when it opens the device, one per {@code cuda/*.cu}. */
    static final List<String> MODULES = List.of("pointwise", "softmax", "prelu", "losses");
    /**
     * Modules loaded on first use: the dense layer's (its SGEMM variants take the driver's JIT
     * about 8 s, twice the rest together, and users who only run activations should not wait for
     * them) and the tools' ({@code nonlin accuracy}). The driver JIT-compiles a module when it
     * loads it (and caches the result on disk), so only the first use pays.
     */
    static final List<String> LAZY_MODULES = List.of("dense", "accuracy");
    /** Where the build puts them. */
    static final String PTX_DIR = "/dev/nonlin/cuda/ptx/";

    final CUdevice device = new CUdevice();
    final CUcontext context = new CUcontext();
    final int ordinal;
    final String name;
    final int ccMajor;
    final int ccMinor;
    final int smCount;
    final long totalMemory;
    final int driverVersion;
    /** Which PTX variant loaded, e.g. "pointwise.ptx (ISA 9.0)". */
    final String loaded;

    /** Filled by the constructor, never changed after: read without locks. */
    private final Map<String, CUmodule> modules = new LinkedHashMap<>();
    /** Lazy modules loaded so far (guarded by this). */
    private final Map<String, CUmodule> lazyModules = new LinkedHashMap<>();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();

    /** Opens device {@code ordinal} and loads every module; throws with the reason on failure. */
    CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        int[] v = new int[1];
        Cuda.call("cuDriverGetVersion", () -> JCudaDriver.cuDriverGetVersion(v));
        driverVersion = v[0];
        Cuda.call("cuDeviceGet " + ordinal, () -> JCudaDriver.cuDeviceGet(device, ordinal));
        byte[] nameBytes = new byte[256];
        Cuda.call("cuDeviceGetName", () -> JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, device));
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) {
            len++;
        }
        name = new String(nameBytes, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
        ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        smCount = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        long[] mem = new long[1];
        Cuda.call("cuDeviceTotalMem", () -> JCudaDriver.cuDeviceTotalMem(mem, device));
        totalMemory = mem[0];
        Cuda.call("cuDevicePrimaryCtxRetain", () -> JCudaDriver.cuDevicePrimaryCtxRetain(context, device));
        makeCurrent();
        List<String> variants = new ArrayList<>();
        for (String m : MODULES) {
            variants.add(load(m, modules));
        }
        loaded = String.join(", ", variants);
    }

    private int attribute(int attr) {
        int[] a = new int[1];
        Cuda.call("cuDeviceGetAttribute " + attr, () -> JCudaDriver.cuDeviceGetAttribute(a, attr, device));
        return a[0];
    }

    /** Makes the primary context current on the calling thread. */
    void makeCurrent() {
        Cuda.call("cuCtxSetCurrent", () -> JCudaDriver.cuCtxSetCurrent(context));
    }

    /** {@link #makeCurrent()} for clean-ups after an error: a failure is logged ({@link Cuda#quietly}). */
    void makeCurrentQuietly() {
        Cuda.quietly("cuCtxSetCurrent", () -> JCudaDriver.cuCtxSetCurrent(context));
    }

    /**
     * Loads one module. The build ships the PTX that nvcc wrote ({@code name.ptx}, ISA 9.0: CUDA 13
     * drivers) and, where it could, a copy with its {@code .version} lowered for CUDA 12 drivers
     * ({@code name.cuda12.ptx}); the driver version picks the order, and every failure's JIT log is
     * kept for the reason.
     */
    private String load(String module, Map<String, CUmodule> into) {
        List<String> candidates = driverVersion >= 13000
                ? List.of(module + ".ptx", module + ".cuda12.ptx")
                : List.of(module + ".cuda12.ptx", module + ".ptx");
        List<String> failures = new ArrayList<>();
        for (String file : candidates) {
            byte[] ptx = resource(file);
            if (ptx == null) {
                continue;
            }
            ByteBuffer direct = ByteBuffer.allocateDirect(ptx.length + 1);   // NUL-terminated, outside the heap
            direct.put(ptx).put((byte) 0).flip();
            CUmodule m = new CUmodule();
            // First without JIT options: the plain path that JCuda's samples use. Only if it fails,
            // once more with an error-log buffer, to capture why (JCuda calls its JITOptions
            // support preliminary, so it stays off the path that normally runs).
            String failure = loadModule(m, direct, new JITOptions());
            if (failure != null) {
                JITOptions jit = new JITOptions();
                jit.putBytes(CUjit_option.CU_JIT_ERROR_LOG_BUFFER, new byte[8192]);
                jit.putInt(CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, 8192);
                String again;
                try {
                    again = loadModule(m, direct, jit);
                } catch (RuntimeException | LinkageError e) {
                    again = failure;
                }
                if (again != null) {
                    failures.add(file + ": " + failure + jitLog(jit));
                    continue;
                }
            }
            into.put(module, m);
            return file + " (ISA " + isa(ptx) + ")";
        }
        if (failures.isEmpty()) {
            throw new IllegalStateException("no PTX in this build (" + PTX_DIR + module
                    + ".ptx is missing: nvcc was not found when the jar was built)");
        }
        throw new IllegalStateException("PTX module " + module + " does not load on driver "
                + versionString(driverVersion) + ": " + String.join("; ", failures));
    }

    /** Loads a module; null on success, else the CUresult name. */
    private static String loadModule(CUmodule m, ByteBuffer ptx, JITOptions jit) {
        try {
            int r = JCudaDriver.cuModuleLoadDataJIT(m, Pointer.to(ptx), jit);
            return r == jcuda.driver.CUresult.CUDA_SUCCESS ? null : jcuda.driver.CUresult.stringFor(r);
        } catch (jcuda.CudaException e) {
            return e.getMessage();
        }
    }

    private static String jitLog(JITOptions jit) {
        try {
            String log = jit.getString(CUjit_option.CU_JIT_ERROR_LOG_BUFFER);
            return log == null || log.isBlank() ? "" : " (JIT log: " + log.strip() + ")";
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** The {@code .version} line of a PTX file. */
    static String isa(byte[] ptx) {
        String head = new String(ptx, 0, Math.min(ptx.length, 4096), java.nio.charset.StandardCharsets.US_ASCII);
        for (String line : head.split("\n")) {
            String l = line.strip();
            if (l.startsWith(".version")) {
                return l.substring(".version".length()).strip();
            }
        }
        return "?";
    }

    static byte[] resource(String file) {
        try (InputStream in = CudaDevice.class.getResourceAsStream(PTX_DIR + file)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    /** Whether the jar carries any PTX at all. */
    static boolean hasPtx() {
        return CudaDevice.class.getResource(PTX_DIR + MODULES.get(0) + ".ptx") != null;
    }

    /**
     * A kernel of a module, looked up once. A lazy module ({@link #LAZY_MODULES}) is loaded on
     * first use; the caller has made the context current.
     *
     * @throws IllegalArgumentException when {@code module} is none of ours
     * @throws IllegalStateException    when a lazy module is not in the jar or does not load here
     * @throws CudaError                when the module has no such kernel
     */
    CUfunction function(String module, String kernel) {
        CUfunction f = functions.get(kernel);   // kernel names are unique across modules (LaunchesPtxTest)
        if (f != null) {
            return f;
        }
        CUmodule m;
        if (MODULES.contains(module)) {
            m = modules.get(module);
        } else if (LAZY_MODULES.contains(module)) {
            synchronized (this) {
                if (!lazyModules.containsKey(module)) {
                    load(module, lazyModules);
                }
                m = lazyModules.get(module);
            }
        } else {
            throw new IllegalArgumentException("no PTX module " + module + " (kernel " + kernel + ")");
        }
        CUfunction g = new CUfunction();
        Cuda.call("cuModuleGetFunction " + module + "/" + kernel, () -> JCudaDriver.cuModuleGetFunction(g, m, kernel));
        functions.put(kernel, g);
        return g;
    }

    static String versionString(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }

    String describe() {
        return String.format(Locale.ROOT, "%s (sm_%d%d, %d SMs, %.1f GiB), driver %s, PTX %s",
                name, ccMajor, ccMinor, smCount, totalMemory / (1024.0 * 1024 * 1024), versionString(driverVersion), loaded);
    }
}
