package dev.nonlin.cuda;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host toolchain of the kernel tests ({@link KernelMathHostTest}, {@link DenseKernelsHostTest}):
 * finding a C++ compiler, and running the programs they build. Host builds are strict IEEE, as
 * Java is: no fast-math, and {@code -ffp-contract=off} so that g++ never fuses a multiply-add
 * that the kernels keep apart (the kernels write their fmas explicitly).
 */
final class HostBuild {
    private HostBuild() {
    }

    /** The repository root (Maven's basedir, else the working directory). */
    static Path base() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    }

    /** g++, c++ or clang++, whichever is found first on the PATH; null when none is. */
    static String cxx() {
        for (String cxx : new String[] {"g++", "c++", "clang++"}) {
            if (onPath(cxx)) {
                return cxx;
            }
        }
        return null;
    }

    static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }

    record Run(int code, String output) {
    }

    /** Runs a command to its end (or kills it after the timeout: code -1), output and errors together. */
    static Run run(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Run(-1, "timed out: " + String.join(" ", cmd));
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Arrays as one little-endian float32 file's bytes, one after the other. */
    static byte[] floats(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] p : parts) {
            for (float v : p) {
                b.putFloat(v);
            }
        }
        return b.array();
    }

    static float[] readFloats(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] a = new float[b.remaining() / 4];
        for (int i = 0; i < a.length; i++) {
            a[i] = b.getFloat();
        }
        return a;
    }

    /** A float as the host programs take it on the command line: its bits, in hex. */
    static String hex(float v) {
        return Integer.toHexString(Float.floatToRawIntBits(v));
    }
}
