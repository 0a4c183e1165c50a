package dev.nonlin.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Output locations are checked before a run: a directory that cannot take a file fails in
 * seconds, naming the option and the user's path (not a temporary file), and a directory the run
 * made is not left behind empty.
 */
class OutputDirectoryTest {
    @TempDir
    Path dir;

    /**
     * A directory in which no file can be created, without root-only tricks (root ignores
     * permissions): its absolute path is so long that any file in it passes PATH_MAX (4096 bytes on
     * Linux), while the directory itself stays below it.
     */
    private Path fullPath(int length) throws IOException {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "PATH_MAX of Linux");
        Path p = dir.toAbsolutePath();
        while (p.toString().length() + 1 < length) {
            int n = Math.min(200, length - p.toString().length() - 1);
            p = p.resolve("d".repeat(n));
        }
        Files.createDirectories(p);
        assertEquals(length, p.toString().length());
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"bench", "explore"})
    void anOutDirectoryThatCannotTakeAFileFailsBeforeTheRunAndIsNotLeftBehind(String command) throws IOException {
        Path parent = fullPath(4070);
        Path out = parent.resolve("out");     // 4074 bytes: can be made, but no file fits in it
        Cli.Run r = command.equals("bench")
                ? Cli.run("bench", "relu", "--quick", "--paths", "cpu", "--no-progress", "--out", out.toString())
                : Cli.run("explore", "--quick", "--backend", "cpu", "--out", out.toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().startsWith("nonlin " + command + ": --out " + out + ": cannot write in " + out
                + ": File name too long"), r.toString());
        assertEquals(1, r.err().lines().count(), r.toString());
        assertEquals("", r.out(), "nothing ran\n" + r);
        assertFalse(Files.exists(out), "the directory this run made is removed again");
        assertTrue(Files.isDirectory(parent), "and only that one");
    }

    @Test
    void aCsvDirectoryThatCannotTakeAFileFailsBeforeTheRun() throws IOException {
        Path csv = fullPath(4070).resolve("a.csv");
        Cli.Run r = Cli.run("accuracy", "relu", "--samples", "10", "--backend", "cpu", "--csv", csv.toString());
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains("--csv " + csv + ": cannot write in " + csv.getParent() + ": File name too long"),
                r.toString());
        assertEquals("", r.out(), "nothing ran\n" + r);
    }

    @Test
    void onlyTheEmptyDirectoriesThisRunMadeAreRemoved() throws IOException {
        Path a = Files.createDirectory(dir.resolve("a"));
        OutputDirectory d = OutputDirectory.create("--out", a.resolve("b/c"));
        assertTrue(Files.isDirectory(a.resolve("b/c")));
        d.removeIfUnused();
        assertFalse(Files.exists(a.resolve("b")), "b and c were made by the run");
        assertTrue(Files.isDirectory(a), "a was there before");

        OutputDirectory again = OutputDirectory.create("--out", a.resolve("b/c"));
        Files.writeString(a.resolve("b/c/bench.csv"), "x");
        again.removeIfUnused();
        assertTrue(Files.exists(a.resolve("b/c/bench.csv")), "a directory with a file in it stays");

        OutputDirectory existing = OutputDirectory.create("--out", a);
        Files.delete(a.resolve("b/c/bench.csv"));
        Files.delete(a.resolve("b/c"));
        Files.delete(a.resolve("b"));
        existing.removeIfUnused();
        assertTrue(Files.isDirectory(a), "an existing --out is never removed, even empty");
    }
}
