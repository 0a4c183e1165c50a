package dev.nonlin.cuda;

import java.nio.FloatBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The host side of the host-array path: copies between Java arrays and the pinned staging
 * buffers, split over a few threads when a copy is large.
 *
 * <p>Why: a float[] cannot be handed to the DMA engine (the garbage collector moves it), so every
 * element crosses the CPU twice, into a pinned buffer on the way up and out of one on the way
 * down. One thread copied 12–29 GB/s on the 2-core machine this was written on; a PCIe 5 ×16 link
 * is specified at 64 GB/s each way at once, and a forward call copies 8 bytes per element on the
 * CPU for 4 each way on the link. With one copying thread the pipeline waits on the CPU, not on
 * the link. The copy is memory-bound, so a few threads are what helps: {@link #DEFAULT_THREADS},
 * or {@code -Dnonlin.cuda.copyThreads=N} ({@link #THREADS_PROPERTY}; 1 copies on the calling
 * thread only). Whether 4 are enough, and what the host's memory allows, only a GPU run can tell:
 * {@code ci/gpu-check.sh} measures the host-array path with the default and with one thread.
 *
 * <p>A copy of {@code len} floats runs in {@code min(threads, len / MIN_PART)} parts: the calling
 * thread copies the first, the pool's threads the others, and the call returns when all are done
 * (uninterruptibly: the parts write to the caller's array and to buffers the caller may free
 * next). Each part works on its own {@code duplicate()} of the buffer, so no buffer object is
 * shared between threads, and the buffer's position and limit are left as they were.
 * Completion of the call happens-before its return, so the driver call that follows sees every
 * byte, and so does the caller.
 */
final class HostCopy {
    /** System property: threads per copy (≥ 1). */
    static final String THREADS_PROPERTY = "nonlin.cuda.copyThreads";
    /** Half the cores, at most 4 (a staging chunk makes at most 4 parts of {@link #MIN_PART}). */
    static final int DEFAULT_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));
    /**
     * Floats per part, at least: 1 MiB, 40–100 µs of copying, against the 5–30 µs it takes to
     * wake a pool thread. A staging chunk ({@link CudaBackend#CHUNK}, 4 MiB) makes up to 4 parts.
     */
    static final int MIN_PART = 1 << 18;

    private final int threads;
    /** Null when threads == 1. Idle threads time out, so an unused pool holds no thread. */
    private final ThreadPoolExecutor pool;

    HostCopy(int threads) {
        this(threads, daemons());
    }

    /** With the pool's threads from {@code factory} (tests: a factory that fails). */
    HostCopy(int threads, java.util.concurrent.ThreadFactory factory) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        if (threads == 1) {
            pool = null;
        } else {
            pool = new ThreadPoolExecutor(threads - 1, threads - 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                    factory);
            pool.allowCoreThreadTimeOut(true);
        }
    }

    private static java.util.concurrent.ThreadFactory daemons() {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "nonlin-cuda-copy-" + count.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * The copier that {@link #THREADS_PROPERTY} asks for, or {@link #DEFAULT_THREADS}. A value
     * that is not a positive integer throws, naming the property and the value.
     */
    static HostCopy fromProperty() {
        String v = System.getProperty(THREADS_PROPERTY);
        if (v == null || v.isBlank()) {
            return new HostCopy(DEFAULT_THREADS);
        }
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + THREADS_PROPERTY + " must be a positive integer, got \"" + v + "\"", e);
        }
        if (n < 1) {
            throw new IllegalArgumentException("-D" + THREADS_PROPERTY + " must be a positive integer, got " + n);
        }
        return new HostCopy(n);
    }

    int threads() {
        return threads;
    }

    /** dst[0, len) = src[off, off + len): the way up. */
    void put(FloatBuffer dst, float[] src, int off, int len) {
        split(len, (from, n) -> dst.duplicate().put(from, src, off + from, n));
    }

    /** dst[off, off + len) = src[0, len): the way down. */
    void get(FloatBuffer src, float[] dst, int off, int len) {
        split(len, (from, n) -> src.duplicate().get(from, dst, off + from, n));
    }

    @FunctionalInterface
    private interface Part {
        void copy(int from, int len);
    }

    /** Number of parts for a copy of len floats. */
    int parts(int len) {
        return (int) Math.max(1, Math.min(threads, len / MIN_PART));
    }

    private void split(int len, Part part) {
        int parts = parts(len);
        if (parts == 1) {
            part.copy(0, len);
            return;
        }
        int per = (int) ((len + (long) parts - 1) / parts);
        CompletableFuture<?>[] others = new CompletableFuture<?>[parts - 1];
        Throwable first = null;
        try {
            for (int p = 1; p < parts; p++) {
                int from = p * per;
                int n = Math.min(per, len - from);
                others[p - 1] = CompletableFuture.runAsync(() -> part.copy(from, n), pool);
            }
            part.copy(0, per);
        } catch (RuntimeException | Error e) {
            // a part that could not start (no thread for it) fails the copy, but only after the
            // parts already started have finished: they write into the caller's buffers
            first = e;
        }
        for (CompletableFuture<?> f : others) {
            if (f == null) {
                continue;   // never started
            }
            try {
                f.join();   // uninterruptible: never return while a part still writes
            } catch (CompletionException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                if (first == null) {
                    first = cause;
                } else if (cause != first) {   // the JVM's preallocated OutOfMemoryError may be both
                    first.addSuppressed(cause);
                }
            }
        }
        if (first instanceof Error e) {
            throw e;
        }
        if (first != null) {
            throw (RuntimeException) first;   // a part's own code throws nothing checked
        }
    }
}
