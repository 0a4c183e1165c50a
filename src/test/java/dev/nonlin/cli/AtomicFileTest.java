package dev.nonlin.cli;

import dev.nonlin.cli.AtomicFile.WriteFailed;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.IIOException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link AtomicFile} and {@link OutputSet}: all or nothing, and what the output path is stays what it was. */
class AtomicFileTest {
    @TempDir
    Path dir;

    static List<Path> temporaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).collect(Collectors.toList());
        }
    }

    private static AtomicFile.Content text(String s) {
        return out -> out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    /** NAME_MAX is 255 bytes: the temporary name must not grow with the target's (it was the name plus 22). */
    @Test
    void aLongValidFileNameCanBeWritten() throws IOException {
        Path f = dir.resolve("y".repeat(247) + ".npy");
        AtomicFile.write(f, text("new"));
        assertEquals("new", Files.readString(f));
        assertEquals(List.of(), temporaries(dir));
    }

    @Test
    void aSymbolicLinkIsWrittenThroughAndStaysALink() throws IOException {
        Path target = Files.writeString(dir.resolve("target.txt"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.txt"), target.getFileName());
        AtomicFile.write(link, text("new"));
        assertTrue(Files.isSymbolicLink(link), "the link was replaced by a file");
        assertEquals("new", Files.readString(target));
        assertEquals(List.of(), temporaries(dir));
    }

    /** A link to a file not made yet (and a link to that link) makes the file: the links stay links. */
    @Test
    void aDanglingSymbolicLinkMakesItsTargetAndStaysALink() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        Path target = sub.resolve("later.txt");
        Path link = Files.createSymbolicLink(dir.resolve("dangling.txt"), Path.of("sub", "later.txt"));
        Path linkToLink = Files.createSymbolicLink(dir.resolve("chain.txt"), link.getFileName());
        AtomicFile.write(linkToLink, text("made"));
        assertTrue(Files.isSymbolicLink(link) && Files.isSymbolicLink(linkToLink), "a link was replaced by a file");
        assertEquals("made", Files.readString(target));
        assertEquals(List.of(), temporaries(dir));
        assertEquals(List.of(), temporaries(sub));
    }

    @Test
    void aReplacedFileKeepsItsPermissions() throws IOException {
        Path f = Files.writeString(dir.resolve("private.txt"), "old");
        Assumptions.assumeTrue(Files.getFileStore(f).supportsFileAttributeView("posix"));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        AtomicFile.write(f, text("new"));
        assertEquals("new", Files.readString(f));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));

        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-x---"));
        AtomicFile.write(f, text("newer"));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    /** A FIFO (like /dev/stdout into a pipe) cannot be replaced: it is written straight. */
    @Test
    void aFifoIsWrittenStraightNotReplaced() throws Exception {
        Path fifo = dir.resolve("pipe");
        try {
            Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
            Assumptions.assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo");
        } catch (IOException e) {
            Assumptions.abort("no mkfifo: " + e);
        }
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        try {
            AtomicFile.write(fifo, text("through the pipe"));
            assertEquals("through the pipe", new String(read.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        } finally {
            read.cancel(true);
        }
        assertFalse(Files.isRegularFile(fifo), "the FIFO was replaced by a regular file");
        assertEquals(List.of(), temporaries(dir));
    }

    /** ImageIO's "I/O error writing PNG file!" hides the real cause, which the message must give. */
    @Test
    void aFailedWriteNamesTheFileAndTheRootCauseAndLeavesTheOldFile() throws IOException {
        Path f = Files.writeString(dir.resolve("bench.png"), "old");
        WriteFailed e = assertThrows(WriteFailed.class, () -> AtomicFile.write(f, out -> {
            out.write(new byte[100_000]);
            throw new IIOException("I/O error writing PNG file!", new IOException("No space left on device"));
        }));
        assertEquals(f + ": cannot write: No space left on device", e.getMessage());
        assertEquals("old", Files.readString(f));
        assertEquals(List.of(), temporaries(dir));
    }

    /**
     * A temporary file that cannot be deleted after a failure: the delete's exception is added to
     * the original as suppressed, and the message says the file was left, and where. (Simulated:
     * the content replaces its own temporary file with a non-empty directory, then fails.)
     */
    @Test
    void aTemporaryFileThatCannotBeDeletedIsNamedAndTheDeleteIsSuppressed() throws IOException {
        Path f = dir.resolve("y.npy");
        IOException boom = new IOException("boom");
        WriteFailed e = assertThrows(WriteFailed.class, () -> AtomicFile.write(f, out -> {
            Path tmp = temporaries(dir).get(0);
            Files.delete(tmp);
            Files.createDirectory(tmp);
            Files.writeString(tmp.resolve("inside"), "x");
            throw boom;
        }));
        Path tmp = temporaries(dir).get(0);
        assertEquals(f + ": cannot write: boom; the temporary file " + tmp + " was left: directory not empty",
                e.getMessage());
        assertEquals(boom, e.getCause());
        assertEquals(1, boom.getSuppressed().length, "the failed delete, as suppressed");
        assertFalse(Files.exists(f));
    }

    /** Ctrl-C or kill during a write: the shutdown hook deletes the temporary file. */
    @Test
    void aSignalDuringAWriteLeavesNoTemporaryFile() throws Exception {
        Path f = Files.writeString(dir.resolve("y.npy"), "old");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                SlowWriter.class.getName(), f.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    return r.readLine();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }).get(60, TimeUnit.SECONDS);
            assertEquals("writing", line);
            assertEquals(1, temporaries(dir).size(), "the write is under way");
            p.destroy();    // SIGTERM
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(143, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
        assertEquals(List.of(), temporaries(dir));
        assertEquals("old", Files.readString(f));
    }

    /** Writes 1 MiB into its argument's temporary file, says so, and waits to be killed. */
    static final class SlowWriter {
        public static void main(String[] args) throws IOException {
            AtomicFile.write(Path.of(args[0]), out -> {
                out.write(new byte[1 << 20]);
                out.flush();
                System.out.println("writing");
                System.out.flush();
                try {
                    Thread.sleep(120_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    // ------------------------------------------------------------------ OutputSet

    /** A directory where a file of the set must go: the files before it are not replaced either. */
    @Test
    void aSetWithAFileThatCannotBeWrittenReplacesNone() throws IOException {
        Files.writeString(dir.resolve("a.csv"), "old a");
        Files.createDirectories(dir.resolve("b.json").resolve("sub"));
        Files.writeString(dir.resolve("c.png"), "old c");
        OutputSet set = new OutputSet(dir).add("a.csv", "new a").add("b.json", "new b").remove("c.png");
        WriteFailed e = assertThrows(WriteFailed.class, set::write);
        assertEquals(dir.resolve("b.json") + ": cannot write: is a directory; no file in " + dir + " was replaced",
                e.getMessage());
        assertEquals("old a", Files.readString(dir.resolve("a.csv")));
        assertEquals("old c", Files.readString(dir.resolve("c.png")), "a removed file goes only with a written set");
        assertEquals(List.of(), temporaries(dir));
    }

    @Test
    void aWrittenSetReplacesEveryFileAndRemovesThePreviousRunsOthers() throws IOException {
        Files.writeString(dir.resolve("a.csv"), "old a");
        Files.writeString(dir.resolve("c.png"), "old c");
        Files.createDirectory(dir.resolve("d.png"));
        OutputSet set = new OutputSet(dir).add("a.csv", "new a").add("b.json", new byte[] {1, 2})
                .remove("c.png").remove("d.png").remove("e.png");
        set.write();
        assertEquals("new a", Files.readString(dir.resolve("a.csv")));
        assertArrayEquals(new byte[] {1, 2}, Files.readAllBytes(dir.resolve("b.json")));
        assertFalse(Files.exists(dir.resolve("c.png")), "the previous run's c.png");
        assertTrue(Files.isDirectory(dir.resolve("d.png")), "a directory is no previous run's file");
        assertEquals(List.of("a.csv", "b.json"), set.names());
        assertEquals(List.of(), temporaries(dir));
    }
}
