package dev.nonlin;

/** A backend was asked for by name and cannot run here; the message says why. */
public class BackendUnavailableException extends NonlinException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
