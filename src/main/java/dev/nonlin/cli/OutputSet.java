package dev.nonlin.cli;

import dev.nonlin.cli.AtomicFile.Pending;
import dev.nonlin.cli.AtomicFile.WriteFailed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The files of one run of {@code bench} or {@code explore}, written as one unit, so that a
 * directory never holds a mix of two runs. Everything is rendered before (the content is bytes);
 * {@link #write} writes every file to a temporary file beside it ({@link AtomicFile#prepare}) and
 * moves them into place only when all are written. If one cannot be written, the temporary files
 * are deleted and the previous run's files stay as they were. Files of a previous run that this run
 * does not produce ({@link #remove}: a chart that could not be drawn) are deleted after the moves.
 */
final class OutputSet {
    private final Path dir;
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final Set<String> removed = new LinkedHashSet<>();

    /** @param dir where the files go; it exists (see {@link OutputDirectory}) */
    OutputSet(Path dir) {
        this.dir = dir;
    }

    /** A file of this run, by name in the directory. */
    OutputSet add(String name, byte[] content) {
        files.put(name, content);
        removed.remove(name);
        return this;
    }

    /** A text file of this run, in UTF-8. */
    OutputSet add(String name, String text) {
        return add(name, text.getBytes(StandardCharsets.UTF_8));
    }

    /** A file this run does not produce: a previous run's copy is deleted when the set is written. */
    OutputSet remove(String name) {
        if (!files.containsKey(name)) {
            removed.add(name);
        }
        return this;
    }

    /** The names of the files written, in the order they were added. */
    List<String> names() {
        return List.copyOf(files.keySet());
    }

    /**
     * Writes every file, then moves them all into place, then deletes the removed ones.
     *
     * @throws WriteFailed naming the file that failed and why; when it fails before the moves (a
     *                     full disk, a directory in a file's place), no file was replaced, and
     *                     the message says so
     */
    void write() throws IOException {
        List<Pending> ready = new ArrayList<>();
        try {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                ready.add(AtomicFile.prepare(dir.resolve(f.getKey()), s -> s.write(f.getValue())));
            }
        } catch (IOException e) {
            throw new WriteFailed(e.getMessage() + discard(ready, e) + "; no file in " + dir + " was replaced", e);
        } catch (RuntimeException | Error e) {
            discard(ready, e);
            throw e;
        }
        // A rename in one directory fails only in odd cases (the directory made read-only meanwhile);
        // then say which files are already this run's.
        List<String> moved = new ArrayList<>();
        for (int i = 0; i < ready.size(); i++) {
            try {
                ready.get(i).commit();
            } catch (IOException e) {
                throw new WriteFailed(e.getMessage() + discard(ready.subList(i + 1, ready.size()), e)
                        + (moved.isEmpty() ? "; no file in " + dir + " was replaced"
                        : "; already replaced: " + String.join(", ", moved)), e);
            }
            moved.add(ready.get(i).file().getFileName().toString());
        }
        for (String name : removed) {
            Path p = dir.resolve(name);
            // a directory by that name is not a previous run's file
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new WriteFailed(p + ": cannot remove the previous run's file: " + AtomicFile.rootCause(e, null), e);
            }
        }
    }

    private static String discard(List<Pending> ready, Throwable why) {
        StringBuilder left = new StringBuilder();
        for (Pending p : ready) {
            String l = p.discard(why);
            if (l != null) {
                left.append(l);
            }
        }
        return left.toString();
    }
}
