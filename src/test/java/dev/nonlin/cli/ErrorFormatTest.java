package dev.nonlin.cli;

import dev.nonlin.BackendUnavailableException;
import dev.nonlin.Backends;
import dev.nonlin.NonlinException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How errors look: bad input and usage errors alike are one prefixed line and exit 2; a backend
 * failing while it runs is one line and exit 3; a bug is exit 1 with its trace.
 */
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

    /**
     * A backend failing while it runs (a CUDA error, simulated here by the library's own exception)
     * is neither bad input nor a bug in nonlin: one line and exit 3, the trace only with -v. An
     * unavailable backend stays bad input (exit 2): the user chose it.
     */
    @Test
    void aBackendFailingWhileItRunsIsExit3AndOneLine() {
        try {
            AccuracyCommand.backends = name -> {
                throw new NonlinException("cuLaunchKernel: CUDA_ERROR_ILLEGAL_ADDRESS (simulated)");
            };
            Cli.Run r = Cli.run("accuracy", "--samples", "10", "relu");
            assertEquals(Main.BACKEND_FAILED, r.code(), r.toString());
            assertEquals(List.of("nonlin accuracy: cuLaunchKernel: CUDA_ERROR_ILLEGAL_ADDRESS (simulated)"),
                    r.err().lines().toList(), r.toString());
            r = Cli.run("accuracy", "-v", "--samples", "10", "relu");
            assertEquals(Main.BACKEND_FAILED, r.code(), r.toString());
            assertTrue(r.err().contains("\tat "), "-v adds the trace\n" + r);

            AccuracyCommand.backends = name -> {
                throw new BackendUnavailableException("CUDA is not usable here: no driver (simulated)");
            };
            r = Cli.run("accuracy", "--samples", "10", "relu");
            assertEquals(Main.BAD_INPUT, r.code(), r.toString());
            assertEquals(List.of("nonlin accuracy: CUDA is not usable here: no driver (simulated)"),
                    r.err().lines().toList(), r.toString());
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

    /**
     * picocli's usage errors, and those a command throws as ParameterException, look like bad input
     * (one line prefixed with the command) followed by where the usage is, not by the whole usage.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "accuracy --backend cpu --samples -1   | nonlin accuracy: --samples must be >= 0, got -1",
            "accuracy --backend cpu --samples many | nonlin accuracy: Invalid value for option '--samples'",
            "accuracy --backend cpu --range 5:1    | nonlin accuracy: --range: LO must be <= HI, got '5:1'",
            "apply relu                            | nonlin apply: Missing required parameters",
            "--size 0                              | nonlin: --size must be in [1, 2^26], got 0",
            "check --sizes x                       | nonlin check: Invalid value for option '--sizes'"})
    void aUsageErrorIsOnePrefixedLineAndWhereTheUsageIs(String args, String first) {
        Cli.Run r = Cli.run(args.strip().split(" +"));
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        List<String> lines = r.err().lines().toList();
        String who = first.substring(0, first.indexOf(':'));
        assertEquals(2, lines.size(), r.toString());
        assertTrue(lines.get(0).startsWith(first), r.toString());
        assertEquals("try '" + who + " --help'", lines.get(1), r.toString());
        assertFalse(r.err().contains("Usage:"), "no usage dump\n" + r);
        assertEquals("", r.out(), r.toString());
    }

    /** A mistyped option or command keeps picocli's suggestions. */
    @Test
    void aMistypedOptionGetsSuggestions() {
        Cli.Run r = Cli.run("bench", "--sise", "2^6");
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().startsWith("nonlin bench: Unknown option: '--sise'"), r.toString());
        assertTrue(r.err().contains("--sizes"), "suggests --sizes\n" + r);
        assertTrue(r.err().strip().endsWith("try 'nonlin bench --help'"), r.toString());
        assertFalse(r.err().contains("Usage:"), r.toString());

        r = Cli.run("benhc");
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().startsWith("nonlin: Unmatched argument at index 0: 'benhc'"), r.toString());
        assertTrue(r.err().contains("bench"), "suggests bench\n" + r);
        assertTrue(r.err().strip().endsWith("try 'nonlin --help'"), r.toString());
    }
}
