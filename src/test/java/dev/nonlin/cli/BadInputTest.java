package dev.nonlin.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.nonlin.cli.NpyFixtures.ramp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gives exit code 2, one clear line on stderr that names the file, and no output file. */
class BadInputTest {

    @TempDir
    Path dir;

    static NpyFixtures.Bad[] badFiles() {
        return NpyFixtures.badFiles();
    }

    private Path good(String name, int... shape) throws IOException {
        int n = shape.length == 1 ? shape[0] : shape[0] * shape[1];
        Path p = dir.resolve(name);
        Npy.writeAtomic(p, new Npy.Array(shape, ramp(n)));
        return p;
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static void assertBadInput(Cli.Run run, String... phrases) {
        assertEquals(Main.BAD_INPUT, run.code(), run::toString);
        for (String p : phrases) {
            assertTrue(run.err().contains(p), () -> "expected '" + p + "' in stderr:\n" + run);
        }
        assertFalse(run.err().contains("\tat "), () -> "no stack trace for bad input:\n" + run);
    }

    @ParameterizedTest(name = "apply {0}")
    @MethodSource("badFiles")
    void applyRejectsBadFile(NpyFixtures.Bad bad) throws IOException {
        Path x = NpyFixtures.write(dir.resolve(bad.name() + ".npy"), bad.bytes());
        Cli.Run run = Cli.run("apply", "relu", x.toString(), dir.resolve("y.npy").toString());
        assertBadInput(run, x.toString(), bad.expect());
        assertEquals(List.of(bad.name() + ".npy"), files(), "no output, no temporary file");
    }

    @ParameterizedTest(name = "grad {0}")
    @MethodSource("badFiles")
    void gradRejectsBadDy(NpyFixtures.Bad bad) throws IOException {
        Path x = good("x.npy", 3, 4);
        Path dy = NpyFixtures.write(dir.resolve(bad.name() + ".npy"), bad.bytes());
        Cli.Run run = Cli.run("grad", "tanh", x.toString(), dy.toString(), dir.resolve("dx.npy").toString());
        assertBadInput(run, dy.toString(), bad.expect());
        assertFalse(Files.exists(dir.resolve("dx.npy")));
        assertEquals(2, files().size(), "no output, no temporary file");
    }

    @Test
    void failureLeavesAnExistingOutputAlone() throws IOException {
        Path x = NpyFixtures.write(dir.resolve("x.npy"), NpyFixtures.badFiles()[0].bytes());
        Path y = Files.writeString(dir.resolve("y.npy"), "previous");
        Cli.Run run = Cli.run("apply", "relu", x.toString(), y.toString());
        assertBadInput(run, x.toString());
        assertEquals("previous", Files.readString(y));
    }

    @Test
    void gradRejectsMismatchedShapes() throws IOException {
        Path x = good("x.npy", 3, 4);
        Path dy = good("dy.npy", 12);
        Cli.Run run = Cli.run("grad", "softmax", x.toString(), dy.toString(), dir.resolve("dx.npy").toString());
        assertBadInput(run, dy.toString(), "(12,)", "(3, 4)", "does not match");
        assertFalse(Files.exists(dir.resolve("dx.npy")));

        Path dyT = good("dyT.npy", 4, 3);
        run = Cli.run("grad", "relu", x.toString(), dyT.toString(), dir.resolve("dx.npy").toString());
        assertBadInput(run, "(4, 3)", "does not match");
        assertFalse(Files.exists(dir.resolve("dx.npy")));
    }

    @Test
    void missingInput() {
        Path x = dir.resolve("nope.npy");
        Cli.Run run = Cli.run("apply", "relu", x.toString(), dir.resolve("y.npy").toString());
        assertBadInput(run, x.toString(), "no such file");
        assertFalse(Files.exists(dir.resolve("y.npy")));
    }

    @Test
    void outputDirectoryMissing() throws IOException {
        Path x = good("x.npy", 4);
        Path y = dir.resolve("no").resolve("y.npy");
        Cli.Run run = Cli.run("apply", "relu", x.toString(), y.toString());
        assertBadInput(run, y.toString(), "does not exist");
    }

    @Test
    void unknownSpecIsAUsageError() throws IOException {
        Path x = good("x.npy", 4);
        Cli.Run run = Cli.run("apply", "frobnicate", x.toString(), dir.resolve("y.npy").toString());
        assertBadInput(run, "frobnicate");
        run = Cli.run("apply", "elu(alpha=oops)", x.toString(), dir.resolve("y.npy").toString());
        assertBadInput(run, "alpha");
        assertFalse(Files.exists(dir.resolve("y.npy")));
    }

    @Test
    void preluChannelsMustMatchTheLastAxis() throws IOException {
        Path x = good("x.npy", 2, 5);
        Cli.Run run = Cli.run("apply", "prelu(num_parameters=3)", x.toString(), dir.resolve("y.npy").toString());
        assertBadInput(run, "num_parameters=3");
        assertFalse(Files.exists(dir.resolve("y.npy")));
        run = Cli.run("apply", "prelu(num_parameters=5)", x.toString(), dir.resolve("y.npy").toString());
        assertEquals(Main.OK, run.code(), run::toString);
    }

    @Test
    void preluChannelsMustMatchTheLastAxisInGradToo() throws IOException {
        Path x = good("x.npy", 2, 5);
        Path dy = good("dy.npy", 2, 5);
        Cli.Run run = Cli.run("grad", "prelu(num_parameters=3)", x.toString(), dy.toString(),
                dir.resolve("dx.npy").toString());
        assertBadInput(run, x.toString(), "(2, 5)", "num_parameters=3");
        assertFalse(Files.exists(dir.resolve("dx.npy")));
    }

    @Test
    void unavailableBackendIsAnErrorWithItsReason() throws IOException {
        Path x = good("x.npy", 4);
        String cause = dev.nonlin.Backends.cudaUnavailabilityCause();
        if (cause == null) {
            return;   // CUDA works here: nothing to refuse
        }
        Cli.Run run = Cli.run("apply", "relu", x.toString(), dir.resolve("y.npy").toString(), "--backend", "cuda");
        assertBadInput(run, cause);
        assertFalse(Files.exists(dir.resolve("y.npy")));
        run = Cli.run("--backend", "cuda", "--size", "16");
        assertBadInput(run, cause);
    }

    /** An I/O error is "file: reason" in words, never an exception's class name. */
    @Test
    void ioErrorsAreDescribedInWords() {
        assertEquals("x: already exists", Main.describe(new java.nio.file.FileAlreadyExistsException("x")));
        assertEquals("x: not a directory", Main.describe(new java.nio.file.NotDirectoryException("x")));
        assertEquals("x: no such file", Main.describe(new java.nio.file.NoSuchFileException("x")));
        assertEquals("x: Not a directory",
                Main.describe(new java.nio.file.FileSystemException("x", null, "Not a directory")));
    }

    @Test
    void unknownBackendName() throws IOException {
        Path x = good("x.npy", 4);
        Cli.Run run = Cli.run("apply", "relu", x.toString(), dir.resolve("y.npy").toString(), "--backend", "tpu");
        assertBadInput(run, "tpu", "auto, cpu or cuda");
    }
}
