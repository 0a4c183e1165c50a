package dev.nonlin;

/** Base of the library's own unchecked exceptions. */
public class NonlinException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NonlinException(String message) {
        super(message);
    }

    public NonlinException(String message, Throwable cause) {
        super(message, cause);
    }
}
