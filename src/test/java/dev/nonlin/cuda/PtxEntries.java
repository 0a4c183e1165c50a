package dev.nonlin.cuda;

import org.junit.jupiter.api.Assumptions;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The kernels of the PTX in this build, read from the jar's resources: module → kernel → its
 * parameter types ({@code u64}, {@code u32}, {@code f32}, {@code f64}, ...). Both shipped variants
 * of a module (as nvcc wrote it, and lowered for CUDA 12 drivers) must declare the same entries.
 */
final class PtxEntries {
    private PtxEntries() {
    }

    private static final Pattern ENTRY = Pattern.compile("\\.entry (\\w+)\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param \\.(\\w+) ");
    private static final Map<String, Map<String, List<String>>> CACHE = new HashMap<>();

    /** Skips the calling test when the build had no nvcc. */
    static void assumePtx() {
        Assumptions.assumeTrue(CudaDevice.hasPtx(), "no PTX in this build (nvcc absent)");
    }

    /** The entries of one module, in file order. */
    static synchronized Map<String, List<String>> of(String module) {
        return CACHE.computeIfAbsent(module, m -> {
            Map<String, List<String>> entries = parse(m + ".ptx");
            Map<String, List<String>> lowered = parse(m + ".cuda12.ptx");
            if (!lowered.isEmpty()) {
                assertEquals(entries, lowered, m + ".cuda12.ptx declares other kernels than " + m + ".ptx");
            }
            return entries;
        });
    }

    private static Map<String, List<String>> parse(String file) {
        byte[] ptx = CudaDevice.resource(file);
        Map<String, List<String>> entries = new LinkedHashMap<>();
        if (ptx == null) {
            return entries;
        }
        Matcher e = ENTRY.matcher(new String(ptx, StandardCharsets.US_ASCII));
        while (e.find()) {
            List<String> types = new ArrayList<>();
            Matcher p = PARAM.matcher(e.group(2));
            while (p.find()) {
                types.add(p.group(1));
            }
            entries.put(e.group(1), List.copyOf(types));
        }
        return entries;
    }

    /** The launch's kernel is in its module, and its parameter block has the entry's types and count. */
    static void assertMatches(Launch l) {
        List<String> types = of(l.module()).get(l.kernel());
        assertNotNull(types, "no kernel " + l.kernel() + " in " + l.module() + ".ptx");
        assertEquals(types, l.args().types(), "parameter block of " + l.kernel());
    }
}
