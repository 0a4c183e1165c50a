package dev.nonlin.cli;

import picocli.CommandLine.Option;

/** Options every command has, besides {@code --help}. */
final class CommonOptions {
    @Option(names = {"-v", "--verbose"},
            description = "Show the library's log on stderr (backend choice, why SIMD is off); "
                    + "otherwise only warnings.")
    boolean verbose;

    /** Sets the log level; call first thing in a command. */
    void apply() {
        Logging.configure(verbose);
    }
}
