package dev.nonlin.cli;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An output directory of a run ({@code --out DIR} of bench and explore, the calibration file's
 * directory): made, and checked to take a file, before the run, so that a bad or unwritable path
 * costs no run; removed again if the run fails and the directory is still empty.
 */
final class OutputDirectory {
    private final Path dir;
    /** The outermost directory this run made, or null. */
    private final Path made;

    private OutputDirectory(Path dir, Path made) {
        this.dir = dir;
        this.made = made;
    }

    /**
     * Creates {@code dir} and its parents, and writes and deletes a temporary file in it, or says in
     * one line why it cannot take the run's files: "--out x: exists and is not a directory",
     * "--out a/b: a is not a directory", "--out d: cannot create: /abs/d: permission denied" (as
     * {@link Main#describe}), "--out d: cannot write in d: permission denied".
     *
     * @param option the option, or what the directory is for, that messages name
     * @throws UserError naming the option and the path
     */
    static OutputDirectory create(String option, Path dir) {
        String what = option + " " + dir + ": ";
        // The first part of the path that exists must be a directory (createDirectories would
        // only say "Not a directory" about the path, or name an exception class).
        Path abs = dir.toAbsolutePath().normalize();
        Path made = null;
        for (Path p = abs; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new UserError(what + (p.equals(abs) ? "exists and is not a directory" : p + " is not a directory"));
                }
                break;
            }
            made = p;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError(what + "cannot create: " + Main.describe(e));
        }
        OutputDirectory d = new OutputDirectory(abs, made);
        try {
            probe(what, dir);
        } catch (UserError e) {
            d.removeIfUnused();
            throw e;
        }
        return d;
    }

    /**
     * Checks that a file can be created in the existing directory {@code dir}.
     *
     * @param what the start of the message, e.g. "--csv out/a.csv: "
     * @throws UserError "WHAT cannot write in DIR: reason"
     */
    static void probe(String what, Path dir) {
        try {
            AtomicFile.probe(dir);
        } catch (IOException e) {
            throw new UserError(what + "cannot write in " + dir + ": "
                    + (e instanceof FileSystemException f ? Main.reason(f) : Main.describe(e)));
        }
    }

    /**
     * Deletes the directories that {@link #create} made, innermost first, while they are empty:
     * a failed run leaves no empty {@code --out} behind. Never touches a directory that was there.
     */
    void removeIfUnused() {
        if (made == null) {
            return;
        }
        for (Path p = dir; p != null && p.startsWith(made); p = p.getParent()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                return;     // not empty (or not ours to delete): keep it and what is above it
            }
        }
    }
}
