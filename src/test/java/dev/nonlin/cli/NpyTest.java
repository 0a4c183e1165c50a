package dev.nonlin.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.nonlin.cli.NpyFixtures.dict;
import static dev.nonlin.cli.NpyFixtures.f4;
import static dev.nonlin.cli.NpyFixtures.f8;
import static dev.nonlin.cli.NpyFixtures.npy;
import static dev.nonlin.cli.NpyFixtures.ramp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {

    @TempDir
    Path dir;

    static Stream<int[]> shapes() {
        return Stream.of(new int[] {1}, new int[] {7}, new int[] {3, 4}, new int[] {1, 5}, new int[] {5, 1},
                new int[] {0}, new int[] {0, 3}, new int[] {3, 0}, new int[] {300, 1000});
    }

    @ParameterizedTest(name = "shape {0}")
    @MethodSource("shapes")
    void roundTrip(int[] shape) throws IOException {
        int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] data = ramp(n);
        if (n > 3) {
            data[0] = Float.NaN;
            data[1] = Float.NEGATIVE_INFINITY;
            data[2] = -0f;
            data[3] = Float.MIN_VALUE;
        }
        Path p = dir.resolve("a.npy");
        Npy.writeAtomic(p, new Npy.Array(shape, data));
        Npy.Array back = Npy.read(p);
        assertArrayEquals(shape, back.shape());
        assertArrayEquals(data, back.data());   // compares bit patterns: NaN and -0 included
        assertEquals(0, (Files.size(p) - n * 4L) % 64, "data starts at a multiple of 64");
    }

    /** The exact bytes np.save writes for np.zeros((3, 4), np.float32) (numpy 1.x and 2.x). */
    @Test
    void headerMatchesNumpy() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Npy.write(b, new Npy.Array(new int[] {3, 4}, new float[12]));
        byte[] bytes = b.toByteArray();
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
        String header = dict + " ".repeat(128 - 10 - dict.length() - 1) + "\n";
        assertEquals((byte) 0x93, bytes[0]);
        assertEquals("NUMPY", new String(bytes, 1, 5, StandardCharsets.ISO_8859_1));
        assertEquals(1, bytes[6]);
        assertEquals(0, bytes[7]);
        assertEquals(118, (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8);
        assertEquals(header, new String(bytes, 10, 118, StandardCharsets.ISO_8859_1));
        assertEquals(128 + 48, bytes.length);
        assertEquals("(7,)", new Npy.Array(new int[] {7}, new float[7]).shapeString());
    }

    @Test
    void float64IsRoundedToFloat32() throws IOException {
        double[] v = {0.1, -1e-300, 1e300, Math.PI, Double.NaN, Double.NEGATIVE_INFINITY};
        Path p = NpyFixtures.write(dir.resolve("d.npy"), npy(1, dict("<f8", false, "(2, 3)"), f8(v)));
        Npy.Array a = Npy.read(p);
        assertArrayEquals(new int[] {2, 3}, a.shape());
        float[] expected = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            expected[i] = (float) v[i];
        }
        assertArrayEquals(expected, a.data());
        assertEquals(2, a.rows());
        assertEquals(3, a.cols());
    }

    @Test
    void acceptsOtherSpellingsNumpyAllows() throws IOException {
        float[] v = ramp(6);
        // Version 2.0 (4-byte header length), double quotes, no trailing comma, Python 2 longs,
        // descr without a byte-order character, and '|' / '='.
        List<byte[]> files = List.of(
                npy(2, dict("<f4", false, "(2, 3)"), f4(v)),
                npy(3, dict("<f4", false, "(2, 3)"), f4(v)),
                npy(1, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}", f4(v)),
                npy(1, "{'shape': (2L, 3L), 'fortran_order': False, 'descr': '<f4'}", f4(v)),
                npy(1, dict("f4", false, "(2, 3)"), f4(v)),
                npy(1, dict("|f4", false, "(2, 3)"), f4(v)),
                npy(1, dict("=f4", false, "(2, 3)"), f4(v)));
        for (int i = 0; i < files.size(); i++) {
            Npy.Array a = Npy.read(NpyFixtures.write(dir.resolve("v" + i + ".npy"), files.get(i)));
            assertArrayEquals(new int[] {2, 3}, a.shape(), "file " + i);
            assertArrayEquals(v, a.data(), "file " + i);
        }
    }

    @Test
    void oneDimensionalIsOneRow() {
        Npy.Array a = Npy.Array.of(new float[5]);
        assertEquals(1, a.rows());
        assertEquals(5, a.cols());
        assertThrows(IllegalArgumentException.class, () -> new Npy.Array(new int[] {2, 3}, new float[5]));
        assertThrows(IllegalArgumentException.class, () -> new Npy.Array(new int[] {1, 1, 1}, new float[1]));
    }

    static NpyFixtures.Bad[] badFiles() {
        return NpyFixtures.badFiles();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void badFileIsRejectedWithItsNameAndProblem(NpyFixtures.Bad bad) throws IOException {
        Path p = NpyFixtures.write(dir.resolve(bad.name() + ".npy"), bad.bytes());
        Npy.FormatException e = assertThrows(Npy.FormatException.class, () -> Npy.read(p));
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(bad.expect()), "expected '" + bad.expect() + "' in: " + e.getMessage());
    }

    @Test
    void failedWriteLeavesNothingBehind() throws IOException {
        Path target = dir.resolve("sub").resolve("y.npy");   // the directory does not exist
        assertThrows(IOException.class, () -> Npy.writeAtomic(target, Npy.Array.of(new float[3])));
        assertFalse(Files.exists(target));
        Path existing = Files.writeString(dir.resolve("old.npy"), "old");
        Npy.writeAtomic(existing, Npy.Array.of(new float[] {1, 2}));
        assertArrayEquals(new float[] {1, 2}, Npy.read(existing).data());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("old.npy"), s.map(q -> q.getFileName().toString()).collect(Collectors.toList()),
                    "no temporary file left");
        }
    }
}
