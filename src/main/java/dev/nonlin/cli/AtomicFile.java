package dev.nonlin.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Files written all or nothing, so that a failed command leaves no half-written output.
 *
 * <p>A file goes to a temporary file beside it, {@code .nonlin-<random>.tmp} (short, so that any
 * valid file name can be written), is forced to the disk, takes the POSIX permissions (and, where
 * the process may, the owner) of the file it replaces, and is then moved over it. An existing
 * target is resolved first, so that a symbolic link is written through, not replaced by a file. A
 * target that exists and is not a regular file (a character device such as {@code /dev/stdout}, a
 * FIFO) cannot be replaced and is written straight. Temporary files in flight are deleted by a
 * shutdown hook when the JVM ends on a signal (Ctrl-C, {@code kill}); a temporary file that cannot
 * be deleted after a failure is named in the error.
 */
final class AtomicFile {
    private AtomicFile() {
    }

    /** Writes the file's content to a stream. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * A file that could not be written. The message names the file as the user gave it and the
     * root cause ("out/bench.png: cannot write: No space left on device", not ImageIO's
     * "I/O error writing PNG file!"); the original exception is the cause.
     */
    static final class WriteFailed extends IOException {
        private static final long serialVersionUID = 1L;

        WriteFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Writes {@code content} into a temporary file in {@code file}'s directory, then moves it over
     * {@code file} (atomically where the file system can). On any error the temporary file is
     * deleted and {@code file} is left as it was.
     *
     * @throws WriteFailed naming {@code file} and the root cause
     */
    static void write(Path file, Content content) throws IOException {
        prepare(file, content).commit();
    }

    /**
     * Writes {@code content} where {@code file} will be, without replacing {@code file} yet: the
     * first half of {@link #write}, for {@link OutputSet}, which moves a run's files into place
     * only when all of them are written. A device or FIFO is written straight here.
     *
     * @throws WriteFailed naming {@code file} and the root cause; no temporary file is left
     *                     (or the message says where it was left)
     */
    static Pending prepare(Path file, Content content) throws IOException {
        Path abs = file.toAbsolutePath();
        Path target = abs;
        PosixFileAttributes like = null;
        try {
            if (Files.isDirectory(abs)) {
                throw new WriteFailed(file + ": cannot write: is a directory", null);
            }
            if (Files.exists(abs)) {
                if (!Files.isRegularFile(abs)) {
                    // a device or a FIFO (/dev/stdout to a pipe): there is nothing to replace
                    try (OutputStream out = Files.newOutputStream(abs, StandardOpenOption.WRITE)) {
                        content.writeTo(out);
                    }
                    return new Pending(file, abs, null);
                }
                target = abs.toRealPath();          // through symbolic links: the link stays a link
                like = attributes(target);
            } else if (Files.isSymbolicLink(abs)) {
                target = danglingTarget(abs);       // a link to a file not made yet: make that file
            }
        } catch (WriteFailed e) {
            throw e;
        } catch (IOException e) {
            throw new WriteFailed(file + ": cannot write: " + rootCause(e, null), e);
        }
        Path tmp = temporary(target.getParent());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16)) {
                content.writeTo(out);
                out.flush();
                ch.force(true);   // on the disk before the rename, or a crash can leave an empty file by the name
            }
            if (like != null) {
                copyAttributes(like, tmp);
            }
            return new Pending(file, target, tmp);
        } catch (IOException e) {
            WriteFailed w = new WriteFailed(file + ": cannot write: " + rootCause(e, tmp), e);
            String left = deleteTemporary(tmp, e);
            throw left == null ? w : new WriteFailed(w.getMessage() + left, e);
        } catch (RuntimeException | Error e) {
            deleteTemporary(tmp, e);
            throw e;
        }
    }

    /**
     * Creates and deletes a temporary file in {@code dir}: whether a run can write its output
     * there, found out before the run rather than after it.
     *
     * @throws IOException the reason, e.g. {@code AccessDeniedException}
     */
    static void probe(Path dir) throws IOException {
        Path tmp = temporary(dir.toAbsolutePath());
        try {
            Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } finally {
                InFlight.FILES.remove(tmp);
            }
        }
    }

    /**
     * A file written to its temporary file (or straight, for a device) that is not in place yet.
     *
     * @param file   as the user gave it, for messages
     * @param target where it goes (through symbolic links)
     * @param tmp    the temporary file, or null when written straight
     */
    record Pending(Path file, Path target, Path tmp) {

        /**
         * Moves the temporary file over the target.
         *
         * @throws WriteFailed naming the file; the temporary file is deleted (or named)
         */
        void commit() throws IOException {
            if (tmp == null) {
                return;
            }
            try {
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                WriteFailed w = new WriteFailed(file + ": cannot move into place: " + rootCause(e, tmp), e);
                String left = deleteTemporary(tmp, e);
                throw left == null ? w : new WriteFailed(w.getMessage() + left, e);
            }
            InFlight.FILES.remove(tmp);
            syncDirectory(target.getParent());
        }

        /**
         * Deletes the temporary file, because another file of the same run failed ({@code why}).
         *
         * @return null, or "; the temporary file ... was left: reason" when it cannot be deleted (the
         *         failure is also added to {@code why} as suppressed)
         */
        String discard(Throwable why) {
            return tmp == null ? null : deleteTemporary(tmp, why);
        }
    }

    // ------------------------------------------------------------------ pieces

    /**
     * Where a dangling symbolic link points (following a chain of links, as the OS would), so
     * that writing "to the link" creates its target and the link stays a link.
     */
    private static Path danglingTarget(Path link) throws IOException {
        Path p = link;
        for (int hops = 0; Files.isSymbolicLink(p); hops++) {
            if (hops == 40) {
                throw new java.nio.file.FileSystemException(link.toString(), null, "too many levels of symbolic links");
            }
            p = p.toAbsolutePath().getParent().resolve(Files.readSymbolicLink(p));
        }
        return p.toAbsolutePath().normalize();
    }

    /** Temporary files not yet moved or deleted: what the shutdown hook deletes. */
    private static final class InFlight {
        static final Set<Path> FILES = ConcurrentHashMap.newKeySet();

        static {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(InFlight::deleteAll, "nonlin-temporary-files"));
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: nothing will be left to clean
            }
        }

        static void deleteAll() {
            for (Path p : FILES) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // the JVM is ending: nothing to report to
                }
            }
        }
    }

    /** A fresh name, registered with the shutdown hook before the file exists. */
    private static Path temporary(Path dir) {
        // A name of our own rather than Files.createTempFile, whose 0600 mode the result would keep.
        Path tmp = dir.resolve(String.format(".nonlin-%016x.tmp", ThreadLocalRandom.current().nextLong()));
        InFlight.FILES.add(tmp);
        return tmp;
    }

    /**
     * Deletes a temporary file after {@code why}.
     *
     * @return null, or "; the temporary file T was left: reason" (the delete's failure is added to
     *         {@code why} as suppressed)
     */
    private static String deleteTemporary(Path tmp, Throwable why) {
        try {
            Files.deleteIfExists(tmp);
            InFlight.FILES.remove(tmp);
            return null;
        } catch (IOException e) {
            why.addSuppressed(e);
            return "; the temporary file " + tmp + " was left: "
                    + (e instanceof FileSystemException f ? Main.reason(f) : e.getMessage());
        }
    }

    private static PosixFileAttributes attributes(Path file) throws IOException {
        PosixFileAttributeView v = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        return v != null ? v.readAttributes() : null;
    }

    /** The replaced file's permissions, and its owner and group where this process may give them. */
    private static void copyAttributes(PosixFileAttributes like, Path tmp) throws IOException {
        PosixFileAttributeView v = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
        PosixFileAttributes now = v.readAttributes();
        try {
            if (!now.owner().equals(like.owner())) {
                v.setOwner(like.owner());
            }
            if (!now.group().equals(like.group())) {
                v.setGroup(like.group());
            }
        } catch (IOException e) {
            // only root may give a file away (and a user only to their own groups): it stays ours
        }
        // after the owner: chown may clear set-id bits
        v.setPermissions(like.permissions());
    }

    /** So that the rename itself survives a crash; not every file system can sync a directory. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            // best effort: the data itself was forced before the move
        }
    }

    /**
     * The innermost cause, in words: ImageIO and others wrap the real error ("No space left on
     * device") in their own. A failure of the temporary file {@code tmp} is told without its name
     * (the user never asked for that file), as the reason and the directory.
     */
    static String rootCause(Throwable e, Path tmp) {
        Throwable r = e;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        if (r instanceof FileSystemException f && tmp != null && tmp.toString().equals(f.getFile())) {
            return Main.reason(f) + " (in " + tmp.getParent() + ")";
        }
        if (r instanceof IOException io) {
            return Main.describe(io);
        }
        return r.getMessage() != null ? r.getMessage() : r.toString();
    }
}
