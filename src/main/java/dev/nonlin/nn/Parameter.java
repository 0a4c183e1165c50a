package dev.nonlin.nn;

import dev.nonlin.Tensor;

/**
 * A trainable tensor and its gradient, both owned by a layer. The gradient is overwritten (not
 * accumulated) by each backward pass.
 *
 * @param name     where it lives, e.g. {@code "w"}, or {@code "layers[1].b"} as {@link Sequential} names it
 * @param value    the parameter; an optimiser updates it in place
 * @param gradient ∂L/∂value from the last backward pass, same shape
 */
public record Parameter(String name, Tensor value, Tensor gradient) {
}
