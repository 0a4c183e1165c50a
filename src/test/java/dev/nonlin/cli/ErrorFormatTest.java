package dev.nonlin.cli;

import dev.nonlin.Backends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How errors look: bad input is one prefixed line and exit 2; a bug is exit 1 with its stack trace. */
class ErrorFormatTest {

    @TempDir
    Path dir;

    /** An IllegalArgumentException that no command turned into bad input is a bug: it must not look like one. */
    @Test
    void anIllegalArgumentExceptionFromACommandIsAnInternalError() {
        try {
            AccuracyCommand.backends = name -> {
                throw new IllegalArgumentException("simulated bug");
            };
            Cli.Run r = Cli.run("accuracy", "--samples", "10", "relu");
            assertEquals(Main.FAILED, r.code(), r.toString());
            assertTrue(r.err().contains("nonlin accuracy: internal error: java.lang.IllegalArgumentException: simulated bug"),
                    r.toString());
            assertTrue(r.err().contains("\tat "), "a bug shows its stack trace\n" + r);
        } finally {
            AccuracyCommand.backends = BackendChoice::resolve;
        }
    }

    /** A bad -Dnonlin.backend (or NONLIN_BACKEND) is still bad input, and bench finds it before it makes --out. */
    @Test
    void aBadForcedBackendIsBadInput() {
        String before = System.getProperty(Backends.PROPERTY);
        try {
            System.setProperty(Backends.PROPERTY, "tpu");
            Cli.Run r = Cli.run("check", "--sizes", "1");
            assertEquals(Main.BAD_INPUT, r.code(), r.toString());
            assertTrue(r.err().contains("must be auto, cpu or cuda, got 'tpu'"), r.toString());
            assertFalse(r.err().contains("\tat "), r.toString());

            Path out = dir.resolve("never");
            r = Cli.run("bench", "relu", "--sizes", "2^6", "--reps", "1", "--paths", "cpu", "--out", out.toString(),
                    "--no-progress");
            assertEquals(Main.BAD_INPUT, r.code(), r.toString());
            assertTrue(r.err().contains("must be auto, cpu or cuda, got 'tpu'"), r.toString());
            assertFalse(r.err().contains("\tat "), r.toString());
            assertFalse(Files.exists(out), "--out not created");
        } finally {
            if (before == null) {
                System.clearProperty(Backends.PROPERTY);
            } else {
                System.setProperty(Backends.PROPERTY, before);
            }
        }
    }
}
