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
import java.util.concurrent.Callable;

/** {@code nonlin apply SPEC X.npy Y.npy}: y = f(x) through .npy files. */
@Command(name = "apply", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Compute y = f(x) for an .npy array and write y as float32 .npy of the same shape.",
                "x: float32 or float64 (converted), little-endian, C order, 1-D or 2-D. softmax and log_softmax "
                        + "act over the last axis (a 1-D array is one row); prelu uses its init for every channel.",
                "Y.npy is written to a temporary file beside it and moved into place: a failed or interrupted (Ctrl-C) run "
                        + "leaves an existing Y.npy as it was and no partial file; only kill -9 or a crash can leave a "
                        + "hidden .nonlin-*.tmp. A symbolic link is written through, an existing file keeps its "
                        + "permissions, and a device or pipe (/dev/stdout) is written straight."})
final class ApplyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SPEC", converter = SpecConverter.class,
            description = "The function, e.g. relu, gelu(approximate=tanh), leaky_relu(negative_slope=0.2).")
    Activation f;

    @Parameters(index = "1", paramLabel = "X.npy", description = "Input.")
    Path x;

    @Parameters(index = "2", paramLabel = "Y.npy", description = "Output (replaced if it exists).")
    Path y;

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
        BackendChoice choice = BackendChoice.resolve(backend);
        float[] ya = new float[xa.data().length];
        try {
            choice.backend().forward(f, xa.data(), 0, ya, 0, xa.rows(), xa.cols());
        } catch (IllegalArgumentException e) {
            // the spec against the file's shape, e.g. prelu(num_parameters=3) on 5 columns
            throw new UserError(x + " " + xa.shapeString() + ": " + e.getMessage());
        }
        NpyFiles.write(y, new Npy.Array(xa.shape(), ya));
        if (common.verbose) {
            spec.commandLine().getErr().printf("%s %s: %s %s -> %s on %s (%s)%n", spec.name(), f, x, xa.shapeString(),
                    y, choice.backend().name(), choice.why());
        }
        return Main.OK;
    }
}
