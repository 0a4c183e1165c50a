package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.Backend;
import dev.nonlin.Backends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nonlin apply} and {@code nonlin grad} through .npy files, for every function of the
 * catalogue, give exactly what the Backend API gives for the same arrays.
 */
class ApplyGradTest {

    @TempDir
    Path dir;

    /** Input layouts: 1-D (one row), 2-D, and float64 on disk. */
    enum Layout {
        ONE_D(new int[] {37}, false),
        TWO_D(new int[] {5, 37}, false),
        TWO_D_FLOAT64(new int[] {4, 9}, true),
        EMPTY(new int[] {0, 8}, false);

        final int[] shape;
        final boolean float64;

        Layout(int[] shape, boolean float64) {
            this.shape = shape;
            this.float64 = float64;
        }

        int size() {
            return shape.length == 1 ? shape[0] : shape[0] * shape[1];
        }
    }

    static Stream<Arguments> cases() {
        return Activations.all().stream().flatMap(f -> Stream.of(Layout.values()).map(l -> Arguments.of(f, l)));
    }

    /** Values that visit tails, kinks and special values, plus random ones (the same each run). */
    static float[] values(int n, long seed) {
        float[] special = {0f, -0f, 1f, -1f, 3f, -3f, 6f, 20f, -20f, 88.7f, -88.7f, 1e4f, -1e4f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE};
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i < special.length ? special[i] : (float) (r.nextGaussian() * 5);
        }
        return a;
    }

    /** Writes x as the layout says; returns the float32 values the CLI will see. */
    static float[] writeInput(Path p, Layout l, float[] x) throws IOException {
        String shape = l.shape.length == 1 ? "(" + l.shape[0] + ",)" : "(" + l.shape[0] + ", " + l.shape[1] + ")";
        if (l.float64) {
            double[] d = new double[x.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = x[i] + (double) Math.ulp(x[i]) / 3;   // not a float: conversion rounds it back to x
            }
            NpyFixtures.write(p, NpyFixtures.npy(1, NpyFixtures.dict("<f8", false, shape), NpyFixtures.f8(d)));
            float[] seen = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                seen[i] = (float) d[i];
            }
            return seen;
        } else {
            Npy.writeAtomic(p, new Npy.Array(l.shape, x));
        }
        return x;
    }

    @ParameterizedTest(name = "apply {0} {1}")
    @MethodSource("cases")
    void applyMatchesTheBackend(Activation f, Layout l) throws IOException {
        float[] x = writeInput(dir.resolve("x.npy"), l, values(l.size(), 1));
        Path y = dir.resolve("y.npy");
        Cli.Run run = Cli.run("apply", f.toString(), dir.resolve("x.npy").toString(), y.toString(), "--backend", "cpu");
        assertEquals(Main.OK, run.code(), run::toString);

        Backend cpu = Backends.cpu();
        int rows = l.shape.length == 1 ? 1 : l.shape[0];
        int cols = l.shape[l.shape.length - 1];
        float[] expected = new float[x.length];
        cpu.forward(f, x, 0, expected, 0, rows, cols);
        Npy.Array got = Npy.read(y);
        assertArrayEquals(l.shape, got.shape());
        assertArrayEquals(expected, got.data(), f + " " + l);
    }

    @ParameterizedTest(name = "grad {0} {1}")
    @MethodSource("cases")
    void gradMatchesTheBackend(Activation f, Layout l) throws IOException {
        float[] x = writeInput(dir.resolve("x.npy"), l, values(l.size(), 2));
        float[] dy = writeInput(dir.resolve("dy.npy"), l, values(l.size(), 3));
        Path dx = dir.resolve("dx.npy");
        Cli.Run run = Cli.run("grad", f.toString(), dir.resolve("x.npy").toString(), dir.resolve("dy.npy").toString(),
                dx.toString(), "--backend", "cpu");
        assertEquals(Main.OK, run.code(), run::toString);

        int rows = l.shape.length == 1 ? 1 : l.shape[0];
        int cols = l.shape[l.shape.length - 1];
        float[] expected = new float[x.length];
        Backends.cpu().backward(f, x, 0, dy, 0, expected, 0, rows, cols);
        Npy.Array got = Npy.read(dx);
        assertArrayEquals(l.shape, got.shape());
        assertArrayEquals(expected, got.data(), f + " " + l);
    }

    @Test
    void defaultBackendIsAuto() throws IOException {
        Activation f = Activation.geluTanh();
        float[] x = writeInput(dir.resolve("x.npy"), Layout.TWO_D, values(Layout.TWO_D.size(), 4));
        Cli.Run run = Cli.run("apply", f.toString(), dir.resolve("x.npy").toString(), dir.resolve("y.npy").toString());
        assertEquals(Main.OK, run.code(), run::toString);
        float[] expected = new float[x.length];
        Backends.auto().forward(f, x, 0, expected, 0, 5, 37);
        assertArrayEquals(expected, Npy.read(dir.resolve("y.npy")).data());
    }

    @Test
    void outputMayReplaceTheInput() throws IOException {
        Path p = dir.resolve("x.npy");
        float[] x = writeInput(p, Layout.ONE_D, values(Layout.ONE_D.size(), 5));
        Cli.Run run = Cli.run("apply", "softmax", p.toString(), p.toString());
        assertEquals(Main.OK, run.code(), run::toString);
        float[] expected = new float[x.length];
        Backends.cpu().forward(Activation.softmax(), x, expected);
        assertArrayEquals(expected, Npy.read(p).data());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file left");
        }
    }

    @Test
    void float64ValuesThatFloatCannotHoldAreCountedInAWarning() throws IOException {
        // 1e300 and -1e39 overflow float, 1e-320 and -1e-50 flush to 0; the rest convert as usual
        double[] d = {1e300, -1e39, 1e-320, -1e-50, 0.0, 1.5, Double.POSITIVE_INFINITY, 3e38};
        Path x = NpyFixtures.write(dir.resolve("x64.npy"),
                NpyFixtures.npy(1, NpyFixtures.dict("<f8", false, "(8,)"), NpyFixtures.f8(d)));
        Path y = dir.resolve("y.npy");
        Cli.Run run = Cli.run("apply", "identity", x.toString(), y.toString(), "--backend", "cpu");
        assertEquals(Main.OK, run.code(), run::toString);
        assertTrue(run.err().contains("nonlin apply: warning: " + x + ": 2 of 8 float64 values are beyond float's range"),
                run::toString);
        assertTrue(run.err().contains("2 of 8 non-zero float64 values are below float's smallest (1.4e-45) and became 0"),
                run::toString);
        assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 0f, 1.5f,
                Float.POSITIVE_INFINITY, 3e38f}, Npy.read(y).data());
        // float64 that float holds: no warning
        Path ok = NpyFixtures.write(dir.resolve("ok64.npy"),
                NpyFixtures.npy(1, NpyFixtures.dict("<f8", false, "(2,)"), NpyFixtures.f8(0.25, -7.0)));
        Cli.Run quiet = Cli.run("grad", "relu", ok.toString(), ok.toString(), dir.resolve("dx.npy").toString(), "--backend", "cpu");
        assertEquals(Main.OK, quiet.code(), quiet::toString);
        assertFalse(quiet.err().contains("warning"), quiet::toString);
    }
}
