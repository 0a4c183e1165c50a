package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoTest {

    @Test
    void demoRunsEveryFunctionAndPasses() {
        Cli.Run run = Cli.run("--size", "5000", "--row", "100", "--reps", "2", "--backend", "cpu");
        assertEquals(Main.OK, run.code(), run::toString);
        for (Activation f : Activations.all()) {
            assertTrue(run.out().lines().anyMatch(l -> l.startsWith(f.toString() + " ") && l.endsWith("ok")),
                    () -> "no passing row for " + f + " in:\n" + run);
        }
        assertTrue(run.out().contains("backend: "), run::toString);
        assertTrue(run.out().contains("--backend cpu"), run::toString);
        assertTrue(run.out().contains("all " + Activations.all().size() + " functions pass"), run::toString);
    }

    @Test
    void demoOnAutoSaysWhy() {
        Cli.Run run = Cli.run("--size", "256", "--reps", "1");
        assertEquals(Main.OK, run.code(), run::toString);
        String why = dev.nonlin.Backends.report().override() != null ? "forced by" : "auto: ";
        assertTrue(run.out().contains(why), run::toString);
    }

    @Test
    void demoRejectsBadSize() {
        for (String size : new String[] {"0", "-3", String.valueOf(Main.MAX_DEMO_SIZE + 1), String.valueOf(Integer.MAX_VALUE)}) {
            Cli.Run run = Cli.run("--size", size);
            assertEquals(Main.BAD_INPUT, run.code(), run::toString);
            assertTrue(run.err().contains("--size must be in [1, 2^26], got " + size), run::toString);
        }
    }

    @Test
    void medianOfTimings() {
        assertEquals(2, Demo.median(new double[] {3, 1, 2}));
        assertEquals(2.5, Demo.median(new double[] {4, 1, 3, 2}));
    }
}
