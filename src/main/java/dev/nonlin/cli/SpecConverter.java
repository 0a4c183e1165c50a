package dev.nonlin.cli;

import dev.nonlin.Activation;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** SPEC arguments: {@code gelu(approximate=tanh)} and friends, through {@link Activation#parse}. */
final class SpecConverter implements ITypeConverter<Activation> {
    @Override
    public Activation convert(String value) {
        try {
            return Activation.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage() + " (`nonlin list` shows the catalogue)");
        }
    }
}
