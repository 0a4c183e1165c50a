package dev.nonlin;

import dev.nonlin.cpu.CpuBackend;
import dev.nonlin.cuda.CudaBackend;
import dev.nonlin.cuda.CudaSupport;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Locale;

/**
 * Choosing a backend, and knowing why.
 *
 * <ul>
 *   <li>{@link #cpu()}: always available.
 *   <li>{@link #cuda()}: the GPU, or a {@link BackendUnavailableException} with the recorded cause.
 *   <li>{@link #auto()}: the GPU when usable, else the CPU. Never throws on its own choice,
 *       logs it once, and keeps the reason ({@link #report()}).
 * </ul>
 *
 * <p>The system property {@code nonlin.backend} or the environment variable {@code NONLIN_BACKEND}
 * ({@code auto|cpu|cuda}; the property wins) forces the choice that {@link #auto()} makes. A
 * forced backend that cannot run throws with its cause.
 */
public final class Backends {
    private Backends() {
    }

    /** The system property that forces a backend. */
    public static final String PROPERTY = "nonlin.backend";
    /** The environment variable that forces a backend. */
    public static final String ENV = "NONLIN_BACKEND";

    private static final System.Logger LOG = System.getLogger("dev.nonlin");

    /** One backend's availability: its description when available, else the cause. */
    public record Availability(String name, boolean available, String detail) {
    }

    /**
     * What {@link #auto()} chose and why, and the state of every backend.
     *
     * @param override the forced choice and where it came from, or null
     */
    public record Report(String chosen, String reason, String override, List<Availability> backends) {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            b.append("backend: ").append(chosen).append(" (").append(reason).append(")\n");
            if (override != null) {
                b.append("forced by ").append(override).append('\n');
            }
            for (Availability a : backends) {
                b.append(String.format(Locale.ROOT, "  %-5s %s: %s%n", a.name(),
                        a.available() ? "available" : "unavailable", a.detail()));
            }
            return b.toString();
        }
    }

    /** The CPU backend (SIMD and threads when available). */
    public static Backend cpu() {
        return CpuBackend.get();
    }

    /**
     * The CUDA backend.
     *
     * @throws BackendUnavailableException with the cause when no usable GPU path exists
     */
    public static Backend cuda() {
        return CudaSupport.backend();
    }

    /** Why CUDA is not usable, or null when it is. */
    public static String cudaUnavailabilityCause() {
        return CudaState.CAUSE;
    }

    /**
     * The backend to use: the forced one if {@code nonlin.backend}/{@code NONLIN_BACKEND} says so,
     * else CUDA when usable, else the CPU.
     *
     * @throws BackendUnavailableException only when a backend is forced and cannot run
     * @throws IllegalArgumentException when the forced value is not auto, cpu or cuda
     */
    public static Backend auto() {
        String forced = forcedName();
        if (forced != null) {
            return named(forced);
        }
        return Auto.current();
    }

    /** The backend for {@code auto}, {@code cpu} or {@code cuda} (as the CLI's {@code --backend}). */
    public static Backend named(String name) {
        if (name == null) {
            throw new IllegalArgumentException("backend name must not be null; expected auto, cpu or cuda");
        }
        switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "auto":
                return auto();   // honours the forced choice; auto() calls back only with cpu or cuda
            case "cpu":
                return cpu();
            case "cuda":
                return cuda();
            default:
                throw new IllegalArgumentException("backend must be auto, cpu or cuda, got '" + name + "'");
        }
    }

    /**
     * What {@link #auto()} returns and why, with every backend's state. Never throws: a forced
     * value that is invalid or names an unusable backend is reported as such.
     */
    public static Report report() {
        String raw = rawForced();
        String override = raw == null ? null
                : (System.getProperty(PROPERTY) != null && !System.getProperty(PROPERTY).isBlank()
                        ? "-D" + PROPERTY + "=" : ENV + "=") + raw;
        CpuBackend cpu = CpuBackend.get();
        List<Availability> all = List.of(
                new Availability("cpu", true, cpu.description()
                        + (CpuBackend.simdAvailable() ? "" : "; SIMD off: " + CpuBackend.simdUnavailabilityCause())),
                new Availability("cuda", CudaState.CAUSE == null,
                        CudaState.CAUSE == null ? CudaSupport.backend().description() : CudaState.CAUSE));
        String chosen;
        String reason;
        try {
            Backend b = auto();
            chosen = b.name();
            if (forcedName() != null) {
                reason = "forced by " + override;
            } else if (b == Auto.CHOICE) {
                reason = Auto.REASON;
            } else {
                reason = "CUDA taken out of service: " + CudaSupport.backend().brokenReason();
            }
        } catch (RuntimeException e) {
            chosen = "none";
            reason = e.getMessage();
        }
        return new Report(chosen, reason, override, all);
    }

    private static String rawForced() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) {
            v = System.getenv(ENV);
        }
        return v == null || v.isBlank() ? null : v.strip();
    }

    private static String forcedName() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) {
            v = System.getenv(ENV);
        }
        if (v == null || v.isBlank()) {
            return null;
        }
        String s = v.strip().toLowerCase(Locale.ROOT);
        if (!s.equals("auto") && !s.equals("cpu") && !s.equals("cuda")) {
            throw new IllegalArgumentException(PROPERTY + " / " + ENV + " must be auto, cpu or cuda, got '" + v + "'");
        }
        return s.equals("auto") ? null : s;
    }

    /** The CUDA probe's result, computed once. */
    private static final class CudaState {
        static final String CAUSE = CudaSupport.unavailabilityCause();
    }

    /** The automatic choice, made once and logged once. */
    private static final class Auto {
        static final Backend CHOICE;
        static final String REASON;

        static {
            Backend choice;
            String reason;
            if (CudaState.CAUSE == null) {
                CudaBackend gpu = CudaSupport.backend();
                // a bad -Dnonlin.crossover or calibration file does not take the library down: load
                // skips that layer with a WARNING and keeps the others
                Crossover crossover = Crossover.load(gpu.machineKey());
                choice = new AutoBackend(cpu(), gpu, crossover, gpu::brokenReason);
                reason = "CUDA is usable; host arrays go to the GPU from " + crossover + " elements";
            } else {
                choice = cpu();
                reason = "CUDA unavailable: " + CudaState.CAUSE;
            }
            CHOICE = choice;
            REASON = reason;
            LOG.log(Level.INFO, "nonlin: using {0} ({1})", CHOICE.description(), REASON);
        }

        /** The choice, unless a sticky CUDA error has since taken the GPU out of service. */
        static Backend current() {
            if (CHOICE instanceof AutoBackend && CudaSupport.backend().brokenReason() != null) {
                return cpu();
            }
            return CHOICE;
        }
    }

    /**
     * The crossovers that {@link #auto()} uses for host arrays when a GPU is usable, or null when
     * it is not (then everything runs on the CPU).
     */
    public static Crossover crossover() {
        return Auto.CHOICE instanceof AutoBackend a ? a.crossover() : null;
    }
}
