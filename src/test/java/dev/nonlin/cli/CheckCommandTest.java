package dev.nonlin.cli;

import dev.nonlin.Activation;
import dev.nonlin.Activations;
import dev.nonlin.cuda.CudaBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** check sets the strict property for its run (a CUDA error must fail it) and leaves it as it found it. */
    @Test
    void checkLeavesTheStrictPropertyAsItFoundIt() {
        String before = System.getProperty(CudaBackend.STRICT_PROPERTY);
        try {
            for (String outside : new String[] {null, "false"}) {
                if (outside == null) {
                    System.clearProperty(CudaBackend.STRICT_PROPERTY);
                } else {
                    System.setProperty(CudaBackend.STRICT_PROPERTY, outside);
                }
                Cli.Run r = Cli.run("check", "--backend", "cpu", "--sizes", "1");
                assertEquals(Main.OK, r.code(), r.toString());
                assertEquals(outside, System.getProperty(CudaBackend.STRICT_PROPERTY));
            }
        } finally {
            if (before == null) {
                System.clearProperty(CudaBackend.STRICT_PROPERTY);
            } else {
                System.setProperty(CudaBackend.STRICT_PROPERTY, before);
            }
        }
    }

    @Test
    void checkOnAnUnavailableBackendIsBadInput() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.nonlin.Backends.cudaUnavailabilityCause() != null);
        Cli.Run r = Cli.run("check", "--backend", "cuda");
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains(dev.nonlin.Backends.cudaUnavailabilityCause()), r.toString());
    }

    /** The hidden --sizes is still input: an empty list, a negative or a huge size is exit 2 before anything runs. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "','        | --sizes: name at least one size",
            "-1         | --sizes: a size must be in [0, 2^24], got -1",
            "1,-5       | got -5",
            "16777217   | got 16777217"})
    void badSizesAreBadInput(String sizes, String expected) {
        Cli.Run r = Cli.run("check", "--backend", "cpu", "--sizes", sizes);
        assertEquals(Main.BAD_INPUT, r.code(), r.toString());
        assertTrue(r.err().contains(expected), r.toString());
        assertFalse(r.err().contains("\tat "), "no stack trace\n" + r);
        assertEquals("", r.out(), "nothing runs\n" + r);
    }

    @Test
    void inputsStartWithTheSpecialValues() {
        float[] x = CheckCommand.inputs(1000, 1);
        assertTrue(Float.isNaN(x[24]) && x[22] == Float.POSITIVE_INFINITY, "special values lead the draws");
    }
}
