package dev.nonlin.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The {@code --out DIR} of bench and explore: made before the run, so that a bad path costs no run. */
final class OutputDirectory {
    private OutputDirectory() {
    }

    /**
     * Creates {@code dir} and its parents, or says in one line why it cannot be a directory:
     * "--out x: exists and is not a directory", "--out a/b: a is not a directory",
     * "--out d: cannot create: /abs/d: permission denied" (as {@link Main#describe}).
     *
     * @throws UserError naming the option and the path
     */
    static void create(String option, Path dir) {
        String what = option + " " + dir + ": ";
        // The first part of the path that exists must be a directory (createDirectories would
        // only say "Not a directory" about the path, or name an exception class).
        Path abs = dir.toAbsolutePath().normalize();
        for (Path p = abs; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new UserError(what + (p.equals(abs) ? "exists and is not a directory" : p + " is not a directory"));
                }
                break;
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError(what + "cannot create: " + Main.describe(e));
        }
    }
}
