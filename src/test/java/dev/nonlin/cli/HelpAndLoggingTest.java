package dev.nonlin.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HelpAndLoggingTest {

    @ParameterizedTest(name = "{0} --help")
    @ValueSource(strings = {"", "info", "list", "apply", "grad"})
    void helpEverywhere(String command) {
        Cli.Run run = command.isEmpty() ? Cli.run("--help") : Cli.run(command, "--help");
        assertEquals(Main.OK, run.code(), run::toString);
        assertTrue(run.out().contains("Usage: nonlin"), run::toString);
        assertTrue(run.out().contains("--verbose"), run::toString);
    }

    @Test
    void topLevelHelpListsCommandsAndExitCodes() {
        Cli.Run run = Cli.run("--help");
        for (String s : new String[] {"info", "list", "apply", "grad", "Exit codes", "--backend"}) {
            assertTrue(run.out().contains(s), () -> s + " missing:\n" + run);
        }
        assertTrue(!run.out().contains("--size"), "--size is hidden");
    }

    @Test
    void unknownCommandOrOptionIsAUsageError() {
        assertEquals(Main.BAD_INPUT, Cli.run("frobnicate").code());
        assertEquals(Main.BAD_INPUT, Cli.run("list", "--format", "yaml").code());
        assertEquals(Main.BAD_INPUT, Cli.run("apply", "relu").code());
    }

    @Test
    void libraryLogIsQuietUnlessVerbose() {
        assertEquals(Main.OK, Cli.run("info").code());
        assertEquals(Level.WARNING, Logging.level());
        assertEquals(Main.OK, Cli.run("info", "--verbose").code());
        assertEquals(Level.FINE, Logging.level());
        assertEquals(Main.OK, Cli.run("info").code());
        assertEquals(Level.WARNING, Logging.level());
    }
}
