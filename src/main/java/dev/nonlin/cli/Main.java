package dev.nonlin.cli;

import dev.nonlin.BackendUnavailableException;
import dev.nonlin.NonlinException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.concurrent.Callable;

/**
 * The {@code nonlin} command. Without a subcommand it runs the demo: every function of the
 * catalogue forward and backward on a large batch, checked against the float64 reference and
 * timed.
 *
 * <p>Exit codes: {@value #OK} ok, {@value #FAILED} a check failed (or an internal error),
 * {@value #BAD_INPUT} a usage error or bad input (a bad file, an unknown spec, an unavailable
 * backend) or an output that cannot be written, {@value #BACKEND_FAILED} the backend failed while running (a CUDA error).
 */
@Command(name = "nonlin",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        sortOptions = false,
        description = {
                "Neural-network activation functions, forward and backward, on the CPU (and CUDA).",
                "",
                "Without a command: the demo. It runs every function of the catalogue forward and backward on "
                        + "2^20 elements (softmax: rows of 1024), checks each result against the float64 reference "
                        + "in ULP (contract: forward ≤ 4, backward ≤ 8 + 2^-23·|dy|), and reports the throughput.",
                ""},
        subcommands = {InfoCommand.class, ListCommand.class, ApplyCommand.class, GradCommand.class, CheckCommand.class,
                BenchCommand.class, AccuracyCommand.class, ExploreCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:ok",
                "1:a check failed (the demo found an error beyond the contract), or an internal error",
                "2:usage error or bad input (a bad .npy file, an unknown spec, an unavailable backend), or an output "
                        + "that cannot be written (named, with the reason)",
                "3:the backend failed while running (a CUDA error: out of memory, the device lost)"})
public final class Main implements Callable<Integer> {

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int BAD_INPUT = 2;
    /** The backend failed while running (a CUDA error, the device lost): not the input, not a bug in nonlin. */
    public static final int BACKEND_FAILED = 3;

    @Option(names = "--backend", paramLabel = BackendChoice.VALUES,
            description = "The backend for the demo (default: auto, or NONLIN_BACKEND / -Dnonlin.backend).")
    String backend;

    /** The demo's largest --size: 2^26 elements, a few arrays of 256 MiB each (the default is 2^20). */
    static final int MAX_DEMO_SIZE = 1 << 26;

    @Option(names = "--size", hidden = true, defaultValue = "1048576",
            description = "Elements per function in the demo (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--row", hidden = true, defaultValue = "1024",
            description = "Row length for softmax and log_softmax in the demo (default: ${DEFAULT-VALUE}).")
    int row;

    @Option(names = "--reps", hidden = true, defaultValue = "5",
            description = "Timed repetitions per function and direction; the median is shown (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--seed", hidden = true, defaultValue = "42",
            description = "Seed of the demo's random x and dy (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        common.apply();
        if (size < 1 || size > MAX_DEMO_SIZE) {
            // the demo keeps several arrays of --size elements (MAX_DEMO_SIZE)
            throw new ParameterException(spec.commandLine(), "--size must be in [1, 2^26], got " + size);
        }
        if (row < 1) {
            throw new ParameterException(spec.commandLine(), "--row must be >= 1, got " + row);
        }
        if (reps < 1) {
            throw new ParameterException(spec.commandLine(), "--reps must be >= 1, got " + reps);
        }
        BackendChoice choice = BackendChoice.resolve(backend);
        Demo demo = new Demo(choice, size, row, reps, seed);
        return demo.run(spec.commandLine().getOut()) ? OK : FAILED;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = commandLine(out, err).execute(args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * The configured command line, writing to {@code out} and {@code err}: what {@link #main}
     * runs, and what tests run in-process with {@code execute(args)}.
     */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        // Quiet before anything can touch the library; --verbose turns it up inside the command.
        Logging.configure(false);
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setParameterExceptionHandler(new UsageErrorHandler());
        return cl;
    }

    /**
     * A usage error (picocli's, or a {@link ParameterException} a command throws) in the same form
     * as bad input: one line prefixed with the command, picocli's suggestions for a mistyped
     * option or command, and where to find the usage, instead of the whole usage; exit code 2.
     */
    static final class UsageErrorHandler implements IParameterExceptionHandler {
        @Override
        public int handleParseException(ParameterException e, String[] args) {
            CommandLine cl = e.getCommandLine();
            PrintWriter err = cl.getErr();
            String who = cl.getCommandSpec().qualifiedName();
            err.println(who + ": " + e.getMessage());
            UnmatchedArgumentException.printSuggestions(e, err);
            err.println("try '" + who + " --help'");
            err.flush();
            return BAD_INPUT;
        }
    }

    /**
     * Bad input is one line on stderr and exit code 2; a backend failing while it runs (a
     * {@link NonlinException} other than an unavailable backend) is one line and exit code 3;
     * anything else is a bug, shown with its stack trace and exit code 1. {@code -v} adds the
     * stack trace to the first two.
     */
    static final class ErrorHandler implements IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
            String who = cl.getCommandSpec().qualifiedName();
            String problem = userMessage(e);
            int code = problem != null ? BAD_INPUT : e instanceof NonlinException ? BACKEND_FAILED : FAILED;
            if (code == FAILED) {
                cl.getErr().println(who + ": internal error: " + e);
                e.printStackTrace(cl.getErr());
            } else {
                cl.getErr().println(who + ": " + (problem != null ? problem : e.getMessage()));
                if (Logging.verbose()) {
                    e.printStackTrace(cl.getErr());
                }
            }
            cl.getErr().flush();
            return code;
        }

        /** The one-line message for an exception caused by the input, or null for any other. */
        static String userMessage(Exception e) {
            // Not IllegalArgumentException: the library throws it for bad arguments, which from a
            // command are its own bugs unless the command turned them into a UserError (an unknown
            // backend name, a spec, a .npy file's shape against the function: see the commands).
            // Of the library's own exceptions only an unavailable backend is the user's choice; a
            // CUDA error while running is the backend failing (BACKEND_FAILED).
            if (e instanceof UserError || e instanceof Npy.FormatException || e instanceof BackendUnavailableException) {
                return e.getMessage();
            }
            if (e instanceof IOException io) {
                return describe(io);
            }
            return null;
        }
    }

    /** An I/O error as "file: reason", e.g. "x.npy: no such file". */
    static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + ": " + reason(f);
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** What went wrong with a file, without its name: "no such file", "permission denied", "No space left on device". */
    static String reason(FileSystemException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e.getReason() != null) {
            return e.getReason();
        }
        if (e instanceof FileAlreadyExistsException) {
            return "already exists";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "directory not empty";
        }
        return e.getClass().getSimpleName();
    }

    /** The jar's Implementation-Version when packaged with one, else "development build". */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"nonlin " + version(), "Java " + System.getProperty("java.version")
                    + " (" + System.getProperty("java.vendor") + ")"};
        }

        static String version() {
            String v = Main.class.getPackage().getImplementationVersion();
            return v != null ? v : "(development build)";
        }
    }
}
