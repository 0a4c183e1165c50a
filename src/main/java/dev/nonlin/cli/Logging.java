package dev.nonlin.cli;

import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The library logs through {@code System.Logger} (backed by java.util.logging): its backend choice
 * at INFO, the reason the SIMD path is off at DEBUG. The CLI shows only warnings unless
 * {@code --verbose} asks for everything down to DEBUG, one line per record on stderr.
 */
final class Logging {
    private Logging() {
    }

    /** The library's logger name. */
    static final String LOGGER = "dev.nonlin";

    /** Held strongly: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static Logger logger;
    private static Handler verboseHandler;

    /** Quiet (WARNING) or verbose (FINE, with a one-line handler of its own). Safe to call repeatedly. */
    static synchronized void configure(boolean verbose) {
        try {
            if (logger == null) {
                logger = Logger.getLogger(LOGGER);
            }
            if (!verbose) {
                logger.setLevel(Level.WARNING);
                if (verboseHandler != null) {
                    logger.removeHandler(verboseHandler);
                    logger.setUseParentHandlers(true);
                    verboseHandler = null;
                }
                return;
            }
            logger.setLevel(Level.FINE);
            if (verboseHandler == null) {
                verboseHandler = new ConsoleHandler();
                verboseHandler.setLevel(Level.FINE);
                verboseHandler.setFormatter(new Formatter() {
                    @Override
                    public String format(LogRecord r) {
                        return "[" + r.getLoggerName() + "] " + r.getLevel() + ": " + formatMessage(r)
                                + System.lineSeparator();
                    }
                });
                logger.addHandler(verboseHandler);
                // The root's handler would print INFO records a second time.
                logger.setUseParentHandlers(false);
            }
        } catch (LinkageError e) {
            // A runtime without java.logging: System.Logger falls back to its own console logger,
            // which we cannot configure. Logging is a nicety; never fail the command for it.
        }
    }

    /** Whether {@code --verbose} is in effect. */
    static synchronized boolean verbose() {
        return verboseHandler != null;
    }

    /** The level the library's logger is set to now (for tests), or null when unset. */
    static synchronized Level level() {
        return logger == null ? null : logger.getLevel();
    }
}
