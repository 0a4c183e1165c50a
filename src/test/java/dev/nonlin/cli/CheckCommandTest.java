package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckCommandTest {

    @Test
    void checkPassesEveryFunctionOnTheCpu() {
        Cli.Run r = Cli.run("check", "--backend", "cpu", "--sizes", "0,1,31,33,1025,4099");
        assertEquals(Main.OK, r.code(), r.toString());
        for (Activation f : Activations.all()) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(f.toString() + " ") && l.endsWith("pass")),
                    f + " missing or failing:\n" + r);
        }
        assertTrue(r.out().contains("all " + Activations.all().size() + " functions pass"), r.toString());
    }

    @Test
    void checkOnAnUnavailableBackendIsBadInput() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.nonlin.Backends.cudaUnavailabilityCause() != null);
        Cli.Run r = Cli.run("check", "--backend", "cuda");
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains(dev.nonlin.Backends.cudaUnavailabilityCause()), r.toString());
    }

    @Test
    void inputsStartWithTheSpecialValues() {
        float[] x = CheckCommand.inputs(1000, 1);
        assertTrue(Float.isNaN(x[24]) && x[22] == Float.POSITIVE_INFINITY, "special values lead the draws");
    }
}
