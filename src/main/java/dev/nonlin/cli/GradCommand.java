package dev.nonlin.cli;

import dev.nonlin.Activation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code nonlin grad SPEC X.npy DY.npy DX.npy}: dx = dy·f'(x) through .npy files. */
@Command(name = "grad", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Compute the backward pass dx = dy·f'(x) (the Jacobian-vector product for softmax and "
                + "log_softmax) and write dx as float32 .npy.",
                "x and dy: float32 or float64, little-endian, C order, 1-D or 2-D, of the same shape.",
                "DX.npy is written to a temporary file beside it and moved into place: a failed or interrupted (Ctrl-C) run "
                        + "leaves an existing DX.npy as it was and no partial file; only kill -9 or a crash can leave a "
                        + "hidden .nonlin-*.tmp. A symbolic link is written through, an existing file keeps its "
                        + "permissions, and a device or pipe (/dev/stdout) is written straight."})
final class GradCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SPEC", converter = SpecConverter.class,
            description = "The function, e.g. relu, gelu(approximate=tanh).")
    Activation f;

    @Parameters(index = "1", paramLabel = "X.npy", description = "The forward input x.")
    Path x;

    @Parameters(index = "2", paramLabel = "DY.npy", description = "The gradient of the loss with respect to y.")
    Path dy;

    @Parameters(index = "3", paramLabel = "DX.npy", description = "Output: the gradient with respect to x.")
    Path dx;

    @Option(names = "--backend", paramLabel = BackendChoice.VALUES,
            description = "Backend (default: auto, or NONLIN_BACKEND / -Dnonlin.backend).")
    String backend;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        common.apply();
        Npy.Array xa = NpyFiles.read(x, "X", spec.commandLine().getErr(), spec.name());
        Npy.Array dya = NpyFiles.read(dy, "DY", spec.commandLine().getErr(), spec.name());
        if (!Arrays.equals(xa.shape(), dya.shape())) {
            throw new UserError(dy + ": shape " + dya.shapeString() + " does not match the shape "
                    + xa.shapeString() + " of " + x);
        }
        BackendChoice choice = BackendChoice.resolve(backend);
        float[] dxa = new float[xa.data().length];
        try {
            choice.backend().backward(f, xa.data(), 0, dya.data(), 0, dxa, 0, xa.rows(), xa.cols());
        } catch (IllegalArgumentException e) {
            // the spec against the file's shape, e.g. prelu(num_parameters=3) on 5 columns
            throw new UserError(x + " " + xa.shapeString() + ": " + e.getMessage());
        }
        NpyFiles.write(dx, new Npy.Array(xa.shape(), dxa));
        if (common.verbose) {
            spec.commandLine().getErr().printf("%s %s: %s %s -> %s on %s (%s)%n", spec.name(), f, x, xa.shapeString(),
                    dx, choice.backend().name(), choice.why());
        }
        return Main.OK;
    }
}
