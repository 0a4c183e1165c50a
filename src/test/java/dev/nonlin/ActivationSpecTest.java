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
    void everyListedAliasParsesToTheFunctionItNames() {
        // the list that the unknown-name error shows: each "alias = name" must hold
        for (String pair : SpecParser.ALIASES.split(", (?![^(]*\\))")) {
            String[] an = pair.replace("…", "0.2").split(" = ");
            assertEquals(2, an.length, pair);
            assertEquals(Activation.parse(an[1]), Activation.parse(an[0]), pair);
        }
        for (String pair : SpecParser.LOSS_ALIASES.split(", ")) {
            String[] an = pair.split(" = ");
            assertEquals(Loss.parse(an[1]), Loss.parse(an[0]), pair);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Activation.parse("relu7"));
        assertTrue(e.getMessage().contains("log_sigmoid = logsigmoid"), e.getMessage());
        IllegalArgumentException l = assertThrows(IllegalArgumentException.class, () -> Loss.parse("huber"));
        assertTrue(l.getMessage().contains("cross_entropy = softmax_cross_entropy"), l.getMessage());
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
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
            "leaky_relu(negative_slope=0.2f)|must be a number, got '0.2f'",
            "leaky_relu(negative_slope=0.2d)|must be a number, got '0.2d'",
            "leaky_relu(negative_slope=0x1p-2)|must be a number, got '0x1p-2'",
            "elu(alpha=1.)|",
            "leaky_relu(negative_slope=1e-50)|negative_slope = 1e-50 rounds to 0 in float",
            "celu(alpha=1e-46)|alpha = 1e-46 rounds to 0 in float",
            "elu(alpha=1e39)|alpha = 1e39 is beyond float's range",
            "bce_with_logits(pos_weight=[1,2e-60])|pos_weight[1] = 2e-60 rounds to 0"})
    void numbersAreDecimalsThatFloatCanHold(String spec, String message) {
        if (message == null) {   // accepted: "1." is a decimal
            assertEquals(new Activation.Elu(1f), Activation.parse(spec));
            return;
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> { if (spec.startsWith("bce")) { Loss.parse(spec); } else { Activation.parse(spec); } });
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void zeroAndNegativeZeroAndSubnormalsStayNumbers() {
        assertEquals(new Activation.LeakyRelu(0f), Activation.parse("leaky_relu(negative_slope=0.0e5)"));
        assertEquals(new Activation.LeakyRelu(-0.25f), Activation.parse("leaky_relu(negative_slope=-.25)"));
        assertEquals(new Activation.LeakyRelu(1e-40f), Activation.parse("leaky_relu(negative_slope=1e-40)"));
        assertEquals(new Activation.LeakyRelu(0.5f), Activation.parse("leaky_relu(negative_slope=+5E-1)"));
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
