package dev.nonlin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationSpecTest {

    static List<Activation> all() {
        return Activations.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void parseAndToStringRoundTrip(Activation f) {
        assertEquals(f, Activation.parse(f.toString()));
        assertEquals(f.toString(), Activation.parse(f.toString()).toString());
    }

    @Test
    void everyKindIsInTheCatalogue() {
        for (Activation.Kind k : Activation.Kind.values()) {
            assertTrue(Activations.all().stream().anyMatch(f -> f.kind() == k), k + " missing from Activations.all()");
        }
    }

    @Test
    void everyGrammarNameParses() {
        for (String name : Activation.grammar().keySet()) {
            assertEquals(name.equals("swish") ? "silu" : name, Activation.parse(name).name());
        }
    }

    @Test
    void defaultsFollowPyTorch() {
        assertEquals(new Activation.LeakyRelu(0.01f), Activation.parse("leaky_relu"));
        assertEquals(new Activation.Elu(1f), Activation.parse("elu"));
        assertEquals(new Activation.Softplus(1f, 20f), Activation.parse("softplus"));
        assertEquals(new Activation.Hardtanh(-1f, 1f), Activation.parse("hardtanh"));
        assertEquals(new Activation.PRelu(1, 0.25f), Activation.parse("prelu"));
        assertEquals(Activation.Kind.GELU, Activation.parse("gelu").kind());
    }

    @Test
    void aliasesAndWhitespace() {
        assertEquals(Activation.silu(), Activation.parse("swish(beta=1)"));
        assertEquals("silu", Activation.parse("swish(beta=1.0)").toString());
        assertEquals(Activation.leakyRelu(0.2f), Activation.parse("leaky_relu(alpha=0.2)"));
        assertEquals(Activation.leakyRelu(0.2f), Activation.parse("  Leaky_ReLU ( negative_slope = 0.2 ) "));
        assertEquals(Activation.geluTanh(), Activation.parse("gelu(approximate=tanh)"));
        assertEquals(Activation.gelu(), Activation.parse("gelu()"));
    }

    @Test
    void unknownNameListsTheCatalogue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Activation.parse("relu7"));
        assertTrue(e.getMessage().contains("relu7"), e.getMessage());
        assertTrue(e.getMessage().contains("leaky_relu") && e.getMessage().contains("log_softmax"), e.getMessage());
    }

    @Test
    void unknownKeyListsTheAllowedKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Activation.parse("elu(beta=2)"));
        assertTrue(e.getMessage().contains("beta") && e.getMessage().contains("alpha"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Activation.parse("relu(alpha=2)"));
        assertTrue(e.getMessage().contains("none"), e.getMessage());
    }

    @Test
    void badValuesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Activation.parse("gelu(approximate=fast)"));
        assertTrue(e.getMessage().contains("fast") && e.getMessage().contains("tanh"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Activation.parse("elu(alpha=abc)"));
        assertTrue(e.getMessage().contains("alpha") && e.getMessage().contains("abc"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Activation.parse("prelu(num_parameters=2.5)"));
        assertTrue(e.getMessage().contains("num_parameters"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"softplus(beta=0)", "softplus(beta=-1)", "celu(alpha=0)", "elu(alpha=NaN)",
            "leaky_relu(negative_slope=Infinity)", "hardtanh(min_val=1,max_val=-1)", "prelu(num_parameters=0)",
            "swish(beta=NaN)", "softplus(threshold=NaN)"})
    void outOfDomainParametersAreRejected(String spec) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Activation.parse(spec));
        assertFalse(e.getMessage().isBlank());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "elu(alpha=1", "elu(alpha)", "elu(alpha=1,alpha=2)", "leaky_relu(alpha=0.1,negative_slope=0.1)"})
    void malformedSpecsAreRejected(String spec) {
        assertThrows(IllegalArgumentException.class, () -> Activation.parse(spec));
    }

    @Test
    void nullSpecIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Activation.parse(null));
    }

    @Test
    void backwardFromOutputWhereInvertible() {
        assertTrue(Activation.parse("leaky_relu(negative_slope=0.1)").backwardFromOutput());
        assertFalse(Activation.parse("leaky_relu(negative_slope=-0.1)").backwardFromOutput());
        assertFalse(Activation.parse("elu(alpha=-1)").backwardFromOutput());
        assertTrue(Activation.parse("selu").backwardFromOutput());
        assertFalse(Activation.parse("gelu").backwardFromOutput());
    }
}
