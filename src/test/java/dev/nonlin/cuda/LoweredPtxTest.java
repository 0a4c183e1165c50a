package dev.nonlin.cuda;

import jcuda.nvptxcompiler.JNvPTXCompiler;
import jcuda.nvptxcompiler.nvPTXCompilerHandle;
import jcuda.nvptxcompiler.nvPTXCompileResult;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels for CUDA 12 drivers, compiled without a GPU: JCuda ships the CUDA 12.0 PTX compiler
 * (nvPTXCompiler, the same one a 12.0 driver's JIT is built from) as a JNI library. Every lowered
 * module ({@code *.cuda12.ptx}: the backend's and the tools') must compile for every architecture
 * that compiler knows, and the PTX that nvcc 13 wrote (ISA 9.0) must be rejected: that is the
 * failure a CUDA 12 driver would report, and why the lowered copies exist.
 */
class LoweredPtxTest {

    @BeforeAll
    static void compilerLoads() {
        Assumptions.assumeTrue(CudaDevice.hasPtx(), "no PTX in this build (nvcc absent)");
        try {
            JNvPTXCompiler.setExceptionsEnabled(false);
            int[] major = new int[1];
            int[] minor = new int[1];
            JNvPTXCompiler.nvPTXCompilerGetVersion(major, minor);
        } catch (LinkageError e) {
            Assumptions.abort("JCuda's nvPTXCompiler library does not load here: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    static Stream<Arguments> cases() {
        return Stream.concat(CudaDevice.MODULES.stream(), CudaDevice.LAZY_MODULES.stream())
                .flatMap(m -> Stream.of("sm_75", "sm_80", "sm_86", "sm_89", "sm_90")
                .map(arch -> Arguments.of(m, arch)));
    }

    @ParameterizedTest(name = "{0}.cuda12.ptx for {1}")
    @MethodSource("cases")
    void loweredPtxCompilesWithTheCuda12Compiler(String module, String arch) {
        String log = compile(CudaDevice.resource(module + ".cuda12.ptx"), arch);
        assertEquals("", log, module + ".cuda12.ptx for " + arch);
    }

    @ParameterizedTest(name = "{0}.ptx for {1}")
    @MethodSource("cases")
    void nvcc13PtxIsRejectedByTheCuda12Compiler(String module, String arch) {
        byte[] ptx = CudaDevice.resource(module + ".ptx");
        assertTrue(CudaDevice.isa(ptx).startsWith("9."), "nvcc 13 writes ISA 9.x");
        String log = compile(ptx, arch);
        assertNotEquals("", log, "the CUDA 12.0 compiler should reject ISA " + CudaDevice.isa(ptx));
    }

    /** Compiles PTX to a cubin; returns "" on success, else the result and the error log. */
    static String compile(byte[] ptx, String arch) {
        byte[] z = new byte[ptx.length + 1];
        System.arraycopy(ptx, 0, z, 0, ptx.length);
        nvPTXCompilerHandle h = new nvPTXCompilerHandle();
        int r = JNvPTXCompiler.nvPTXCompilerCreate(h, ptx.length, z);
        if (r != nvPTXCompileResult.NVPTXCOMPILE_SUCCESS) {
            return "create: " + nvPTXCompileResult.stringFor(r);
        }
        try {
            r = JNvPTXCompiler.nvPTXCompilerCompile(h, 1, new String[] {"--gpu-name=" + arch});
            if (r == nvPTXCompileResult.NVPTXCOMPILE_SUCCESS) {
                long[] size = new long[1];
                JNvPTXCompiler.nvPTXCompilerGetCompiledProgramSize(h, size);
                return size[0] > 0 ? "" : "empty cubin";
            }
            long[] n = new long[1];
            JNvPTXCompiler.nvPTXCompilerGetErrorLogSize(h, n);
            byte[] log = new byte[(int) Math.max(1, n[0])];
            JNvPTXCompiler.nvPTXCompilerGetErrorLog(h, log);
            return nvPTXCompileResult.stringFor(r) + ": " + new String(log, StandardCharsets.UTF_8).strip();
        } finally {
            JNvPTXCompiler.nvPTXCompilerDestroy(h);
        }
    }
}
