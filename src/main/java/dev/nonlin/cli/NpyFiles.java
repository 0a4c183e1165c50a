package dev.nonlin.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The commands' file handling: {@link Npy} plus messages that name the file and the argument. */
final class NpyFiles {
    private NpyFiles() {
    }

    /** Reads an input; every failure becomes a {@link UserError} that names the file. */
    static Npy.Array read(Path file, String argument) {
        if (Files.isDirectory(file)) {
            throw new UserError(file + ": is a directory (" + argument + " must be an .npy file)");
        }
        try {
            return Npy.read(file);
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
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + Main.describe(e));
        }
    }
}
