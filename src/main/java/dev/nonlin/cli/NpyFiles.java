package dev.nonlin.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The commands' file handling: {@link Npy} plus messages that name the file and the argument. */
final class NpyFiles {
    private NpyFiles() {
    }

    /**
     * Reads an input; every failure becomes a {@link UserError} that names the file. Values that
     * float64 → float32 turned into ±∞ or ±0 are counted in one line on {@code warn}, prefixed
     * with the command: the run goes on with them, but the user should know.
     */
    static Npy.Array read(Path file, String argument, java.io.PrintWriter warn, String command) {
        if (Files.isDirectory(file)) {
            throw new UserError(file + ": is a directory (" + argument + " must be an .npy file)");
        }
        try {
            Npy.Loaded l = Npy.load(file);
            int n = l.array().data().length;
            if (l.overflowed() > 0) {
                warn.printf("nonlin %s: warning: %s: %d of %d float64 values are beyond float's range (±3.4028235e38) "
                        + "and became ±Infinity%n", command, file, l.overflowed(), n);
            }
            if (l.flushedToZero() > 0) {
                warn.printf("nonlin %s: warning: %s: %d of %d non-zero float64 values are below float's smallest "
                        + "(1.4e-45) and became 0%n", command, file, l.flushedToZero(), n);
            }
            return l.array();
        } catch (Npy.FormatException e) {
            throw new UserError(e.getMessage());
        } catch (IOException e) {
            throw new UserError("cannot read " + argument + ": " + Main.describe(e));
        }
    }

    /** Writes an output all or nothing; every failure becomes a {@link UserError} that names the file. */
    static void write(Path file, Npy.Array a) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UserError(file + ": cannot write: directory " + dir + " does not exist");
        }
        if (Files.isDirectory(file)) {
            throw new UserError(file + ": cannot write: is a directory");
        }
        try {
            Npy.writeAtomic(file, a);
        } catch (AtomicFile.WriteFailed e) {
            throw new UserError(e.getMessage());        // names the file and the root cause
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + Main.describe(e));
        }
    }
}
