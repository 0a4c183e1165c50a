package dev.nonlin.cli;

/**
 * A problem with what the user gave us (a file, an option value, an unavailable backend): printed
 * as one line without a stack trace, exit code {@value Main#BAD_INPUT}.
 */
final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UserError(String message) {
        super(message);
    }
}
