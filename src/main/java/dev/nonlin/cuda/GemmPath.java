package dev.nonlin.cuda;

import dev.nonlin.BackendUnavailableException;

import java.util.Locale;

/**
 * Which SGEMM serves {@link CudaBackend}'s matmul, and why: cuBLAS through JCublas where it
 * loads, else nonlin's own tiled kernel ({@code cuda/dense.cu}). A backend chooses once, on its
 * first matmul (or when {@code nonlin info} asks), so that users of the activations alone never
 * load cuBLAS. {@code -Dnonlin.cuda.gemm=auto|cublas|nonlin} forces a path; a forced cuBLAS that
 * cannot run makes matmul throw with the cause, as a forced backend does.
 *
 * <p>The path owns the cuBLAS handle and destroys it when closed (the backend closes the old
 * path when it replaces it).
 */
final class GemmPath implements AutoCloseable {

    /** The system property that forces a path. */
    static final String PROPERTY = "nonlin.cuda.gemm";

    /** What {@link #PROPERTY} asks for. */
    enum Request {
        AUTO, CUBLAS, NONLIN;

        /** From the property's value; null or blank is AUTO. */
        static Request parse(String value) {
            if (value == null || value.isBlank()) {
                return AUTO;
            }
            try {
                return valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + ": expected auto, cublas or nonlin");
            }
        }

        static Request fromProperty() {
            return parse(System.getProperty(PROPERTY));
        }
    }

    /** Opens cuBLAS or throws why it cannot (the seam that tests replace). */
    @FunctionalInterface
    interface Opener {
        Cublas open();
    }

    final Request request;
    private final Cublas cublas;
    /** Why cuBLAS does not serve (null when it does). */
    private final String cause;

    private GemmPath(Request request, Cublas cublas, String cause) {
        this.request = request;
        this.cublas = cublas;
        this.cause = cause;
    }

    /**
     * Chooses: NONLIN never touches JCublas; AUTO and CUBLAS try to open it and keep the reason
     * when they cannot (any LinkageError or runtime failure: a probe never takes the caller down).
     */
    static GemmPath choose(Request request, Opener opener) {
        if (request == Request.NONLIN) {
            return new GemmPath(request, null, "forced by -D" + PROPERTY + "=nonlin");
        }
        try {
            return new GemmPath(request, opener.open(), null);
        } catch (LinkageError | RuntimeException e) {
            String why = e.getMessage() == null || e.getMessage().isBlank() ? e.toString() : e.getMessage().strip();
            return new GemmPath(request, null, "JCublas unavailable: " + why.lines().findFirst().orElse(why));
        }
    }

    /**
     * The cuBLAS handle to use, or null for the tiled kernel.
     *
     * @throws BackendUnavailableException when cuBLAS was forced and cannot run
     */
    Cublas cublas() {
        if (cublas == null && request == Request.CUBLAS) {
            throw new BackendUnavailableException("-D" + PROPERTY + "=cublas, but cuBLAS is unusable: " + cause);
        }
        return cublas;
    }

    /** Whether cuBLAS serves. */
    boolean usesCublas() {
        return cublas != null;
    }

    /**
     * One line for {@code nonlin info}: {@code "cuBLAS via JCublas 12.6.0 (cuBLAS 12.6.4)"} or
     * {@code "nonlin tiled SGEMM: JCublas unavailable: libcublas.so.12: cannot open ..."}.
     */
    String describe() {
        if (cublas != null) {
            return "cuBLAS via JCublas " + Cublas.jcublasVersion() + " (" + cublas.describe() + ")"
                    + (request == Request.CUBLAS ? ", forced by -D" + PROPERTY + "=cublas" : "");
        }
        if (request == Request.CUBLAS) {
            return "none: -D" + PROPERTY + "=cublas, but cuBLAS is unusable (matmul throws): " + cause;
        }
        return "nonlin tiled SGEMM: " + cause;
    }

    @Override
    public void close() {
        if (cublas != null) {
            cublas.close();
        }
    }
}
