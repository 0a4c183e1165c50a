package dev.nonlin.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-built .npy bytes, good and bad, independent of {@link Npy}'s writer. */
final class NpyFixtures {
    private NpyFixtures() {
    }

    /** A file with the given header dict, version and data bytes; the header padded as numpy does. */
    static byte[] npy(int major, String dict, byte[] data) {
        int pre = major == 1 ? 10 : 12;
        int len = dict.length() + 1;
        int total = (pre + len + 63) / 64 * 64;
        String header = dict + " ".repeat(total - pre - len) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) header.length());
        } else {
            b.putInt(header.length());
        }
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        b.put(data);
        return b.array();
    }

    static String dict(String descr, boolean fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape
                + ", }";
    }

    static byte[] f4(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static byte[] f8(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v) {
            b.putDouble(d);
        }
        return b.array();
    }

    static float[] ramp(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i * 0.5f - 3f;
        }
        return a;
    }

    static Path write(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
        return file;
    }

    /** A bad file: its name, its bytes, and a phrase the error message must contain. */
    record Bad(String name, byte[] bytes, String expect) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Every kind of bad file the reader must reject. */
    static Bad[] badFiles() {
        byte[] good = f4(ramp(12));
        byte[] full = npy(1, dict("<f4", false, "(3, 4)"), good);
        byte[] lyingHeaderLen = full.clone();
        lyingHeaderLen[8] = (byte) 0xff;   // header_len 0xff76: past the end of the file
        lyingHeaderLen[9] = (byte) 0xff;
        byte[] badVersion = full.clone();
        badVersion[6] = 4;
        byte[] badMagic = full.clone();
        badMagic[1] = 'X';
        return new Bad[] {
                new Bad("truncated-data", npy(1, dict("<f4", false, "(3, 4)"), f4(ramp(10))), "truncated"),
                new Bad("trailing-data", npy(1, dict("<f4", false, "(3, 4)"), f4(ramp(13))), "trailing data"),
                new Bad("header-lies-about-shape", npy(1, dict("<f4", false, "(1000,)"), good), "1000"),
                new Bad("header-length-past-eof", lyingHeaderLen, "truncated"),
                new Bad("int32", npy(1, dict("<i4", false, "(3, 4)"), good), "int32"),
                new Bad("int64", npy(1, dict("<i8", false, "(6,)"), good), "int64"),
                new Bad("float16", npy(1, dict("<f2", false, "(24,)"), good), "float16"),
                new Bad("big-endian-f4", npy(1, dict(">f4", false, "(3, 4)"), good), "big-endian"),
                new Bad("big-endian-f8", npy(1, dict(">f8", false, "(6,)"), good), "big-endian"),
                new Bad("fortran-order", npy(1, dict("<f4", true, "(3, 4)"), good), "Fortran"),
                new Bad("3-d", npy(1, dict("<f4", false, "(1, 3, 4)"), good), "3-D"),
                new Bad("0-d", npy(1, dict("<f4", false, "()"), f4(1f)), "0-D"),
                new Bad("bad-magic", badMagic, "not a .npy file"),
                new Bad("text-file", "x,y\n1,2\n".getBytes(StandardCharsets.US_ASCII), "not a .npy file"),
                new Bad("empty-file", new byte[0], "not a .npy file"),
                new Bad("short-preamble", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, "truncated"),
                new Bad("version-4", badVersion, "version 4.0"),
                new Bad("missing-shape", npy(1, "{'descr': '<f4', 'fortran_order': False, }", good), "shape"),
                new Bad("extra-key", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (12,), 'x': 'y'}",
                        good), "unexpected header key 'x'"),
                new Bad("not-a-dict", npy(1, "descr=<f4 shape=12", good), "malformed header"),
                new Bad("structured-dtype", npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (12,), }",
                        good), "structured"),
                new Bad("negative-dim", npy(1, dict("<f4", false, "(-12,)"), good), "malformed header"),
        };
    }
}
