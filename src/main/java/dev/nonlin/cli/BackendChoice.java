package dev.nonlin.cli;

import dev.nonlin.Backend;
import dev.nonlin.Backends;

import java.util.Locale;

/**
 * The backend a command runs on, and why: {@code --backend} when given, else {@link Backends#auto()}
 * (which honours {@code -Dnonlin.backend} and {@code NONLIN_BACKEND}).
 *
 * @param backend the backend
 * @param why     one line: "--backend cpu", "forced by NONLIN_BACKEND=cpu", "auto: CUDA unavailable: ..."
 */
record BackendChoice(Backend backend, String why) {

    /** The completion candidates and help text of every {@code --backend} option. */
    static final String VALUES = "auto|cpu|cuda";

    /**
     * Resolves {@code --backend} (null when not given).
     *
     * @throws dev.nonlin.BackendUnavailableException with the cause when the backend cannot run
     * @throws UserError for a name other than auto, cpu or cuda, in --backend or in
     *                   NONLIN_BACKEND / -Dnonlin.backend
     */
    static BackendChoice resolve(String option) {
        try {
            if (option == null || option.strip().toLowerCase(Locale.ROOT).equals("auto")) {
                // Backends.named("auto") would ignore NONLIN_BACKEND; auto() honours it.
                Backend b = Backends.auto();
                Backends.Report r = Backends.report();
                String why = r.override() != null ? "forced by " + r.override() : "auto: " + r.reason();
                return new BackendChoice(b, why);
            }
            return new BackendChoice(Backends.named(option), "--backend " + option.strip());
        } catch (IllegalArgumentException e) {
            // the name comes from the user: "backend must be auto, cpu or cuda, got 'tpu'"
            throw new UserError(e.getMessage());
        }
    }
}
