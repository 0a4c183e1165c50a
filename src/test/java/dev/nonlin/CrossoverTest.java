package dev.nonlin;

import dev.nonlin.Activation.Family;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.EnumMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CrossoverTest {
    @TempDir
    Path dir;

    @AfterEach
    void clear() {
        System.clearProperty(Crossover.PROPERTY);
        System.clearProperty(Crossover.FILE_PROPERTY);
    }

    @Test
    void theJarDefaultsCoverEveryFamilyAndSayWhereTheyCameFrom() {
        Crossover d = Crossover.defaults();
        for (Family f : Family.values()) {
            assertTrue(d.elements(f) >= 0, f.key());
            assertTrue(d.source(f).startsWith("defaults in the jar"), d.source(f));
        }
        // a memory-bound function can never pay for two staging copies: see crossover.properties
        assertEquals(Crossover.NEVER, d.elements(Family.PIECEWISE));
    }

    @Test
    void oneSizeForEveryFamilyOrPerFamily() {
        Crossover base = Crossover.uniform(Crossover.NEVER, "test");
        Crossover all = Crossover.parse("2^18", base);
        for (Family f : Family.values()) {
            assertEquals(1L << 18, all.elements(f));
        }
        Crossover some = Crossover.parse("transcendental=65536, row_wise = never", Crossover.uniform(7, "base"));
        assertEquals(7, some.elements(Family.PIECEWISE));
        assertEquals("base", some.source(Family.PIECEWISE));
        assertEquals(65536, some.elements(Family.TRANSCENDENTAL));
        assertEquals(Crossover.NEVER, some.elements(Family.ROW_WISE));
        assertEquals("piecewise: 7, transcendental: 2^16, row_wise: never", some.toString());
    }

    @Test
    void gpuFromTheCrossoverOn() {
        Crossover c = Crossover.parse("piecewise=never,transcendental=1000,row_wise=0", Crossover.uniform(0, "t"));
        assertFalse(c.gpu(Family.TRANSCENDENTAL, 999));
        assertTrue(c.gpu(Family.TRANSCENDENTAL, 1000));
        assertFalse(c.gpu(Family.PIECEWISE, Long.MAX_VALUE - 1));
        assertTrue(c.gpu(Family.ROW_WISE, 0));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "-1|-1", "lots|'lots'", "2^63|'2^63'", "2^-1|'2^-1'", "softmax=5|'softmax'",
            "transcendental|'transcendental'", "transcendental=fast|'fast'", "''|''",
            "piecewise=1,PIECEWISE=2|piecewise is given twice"})
    void badValuesNameTheValue(String spec, String named) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Crossover.parse(spec, Crossover.defaults()));
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    @Test
    void nullsAreNamed() {
        Crossover d = Crossover.defaults();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Crossover.parse(null, d)).getMessage().contains("spec"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Crossover.parse("2^10", null)).getMessage().contains("base"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.elements(null)).getMessage().contains("family"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.gpu(null, 5)).getMessage().contains("family"));
    }

    @Test
    void calibrationFileAppliesOnlyToTheMachineItWasMeasuredOn() throws IOException {
        Path file = dir.resolve("sub/crossover.properties");
        System.setProperty(Crossover.FILE_PROPERTY, file.toString());
        assertEquals(file, Crossover.userFile());
        Map<Family, Long> v = new EnumMap<>(Family.class);
        v.put(Family.PIECEWISE, Crossover.NEVER);
        v.put(Family.TRANSCENDENTAL, 1L << 17);
        v.put(Family.ROW_WISE, 3000L);
        Files.createDirectories(file.getParent());
        Files.writeString(file, Crossover.text(v, "Test GPU (sm_90), 2 CPUs", "2026-11-29", "a test"));
        String text = Files.readString(file);
        assertTrue(text.contains("transcendental=2^17"), text);

        Crossover same = Crossover.load("Test GPU (sm_90), 2 CPUs");
        assertEquals(1L << 17, same.elements(Family.TRANSCENDENTAL));
        assertEquals(3000, same.elements(Family.ROW_WISE));
        assertTrue(same.source(Family.ROW_WISE).contains(file.toString()), same.source(Family.ROW_WISE));

        Crossover other = Crossover.load("Another GPU (sm_80), 64 CPUs");
        assertEquals(Crossover.defaults().elements(Family.TRANSCENDENTAL), other.elements(Family.TRANSCENDENTAL));

        // the property overrides the file, family by family
        System.setProperty(Crossover.PROPERTY, "row_wise=2^10");
        Crossover forced = Crossover.load("Test GPU (sm_90), 2 CPUs");
        assertEquals(1024, forced.elements(Family.ROW_WISE));
        assertEquals("-D" + Crossover.PROPERTY, forced.source(Family.ROW_WISE));
        assertEquals(1L << 17, forced.elements(Family.TRANSCENDENTAL));
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    /** A calibration file for device G, as bench --calibrate writes it, with transcendental at 2^17. */
    private Path goodFile() throws IOException {
        Map<Family, Long> v = new EnumMap<>(Family.class);
        v.put(Family.PIECEWISE, Crossover.NEVER);
        v.put(Family.TRANSCENDENTAL, 1L << 17);
        v.put(Family.ROW_WISE, 3000L);
        Path file = dir.resolve("crossover.properties");
        Files.writeString(file, Crossover.text(v, "G", "2026-11-29", "a test"));
        System.setProperty(Crossover.FILE_PROPERTY, file.toString());
        return file;
    }

    /** A malformed layer is skipped, named, and the other layers still apply. */
    @Test
    void aMalformedFileOrPropertyIsSkippedAloneAndNamed() throws IOException {
        Path file = goodFile();
        Files.writeString(file, Files.readString(file).replace("transcendental=2^17", "transcendental=soon"));
        System.setProperty(Crossover.PROPERTY, "never");
        List<String> skipped = new ArrayList<>();
        Crossover c = Crossover.load("G", skipped::add);
        assertEquals(1, skipped.size(), skipped.toString());
        assertTrue(skipped.get(0).contains(file.toString()) && skipped.get(0).contains("soon"), skipped.get(0));
        for (Family f : Family.values()) {
            assertEquals(Crossover.NEVER, c.elements(f), "the property still applies: " + f);
        }

        goodFile();
        System.setProperty(Crossover.PROPERTY, "gelu=5");
        skipped.clear();
        c = Crossover.load("G", skipped::add);
        assertEquals(1, skipped.size(), skipped.toString());
        assertTrue(skipped.get(0).contains("-Dnonlin.crossover") && skipped.get(0).contains("gelu"), skipped.get(0));
        assertEquals(1L << 17, c.elements(Family.TRANSCENDENTAL), "the file still applies");
        assertTrue(c.source(Family.TRANSCENDENTAL).contains(file.toString()), c.source(Family.TRANSCENDENTAL));
    }

    /** The file is held to what bench --calibrate writes: anything else is skipped, saying why. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "truncated mid-file      | row_wise=3000                  | |                     has no row_wise",
            "a misspelt key          | piecewise=never                | piecewize=never       | unknown key 'piecewize'",
            "a key twice             | piecewise=never                | piecewise=never\\npiecewise=2^20 | gives piecewise twice",
            "a bad unicode escape    | piecewise=never                | piecewise=\\u12     | is malformed",
            "a truncated value       | transcendental=2^17            | transcendental=2^     | transcendental",
            "a bad last value        | row_wise=3000                  | row_wise=soon         | row_wise"})
    void aDamagedCalibrationFileIsSkippedWithItsReason(String what, String replace, String with, String reason)
            throws IOException {
        Path file = goodFile();
        String text = Files.readString(file).replace(replace, with == null ? "" : with.replace("\\n", "\n"));
        Files.writeString(file, text);
        List<String> skipped = new ArrayList<>();
        Crossover c = Crossover.load("G", skipped::add);
        assertEquals(1, skipped.size(), what + ": " + skipped + "\n" + text);
        assertTrue(skipped.get(0).contains(file.toString()) && skipped.get(0).contains(reason), skipped.get(0));
        assertEquals(Crossover.defaults().toString(), c.toString(), "the jar's defaults");
    }

    /** A file skipped for a bad value leaves none of its other values behind (they are read first). */
    @Test
    void aSkippedFileLeavesNoneOfItsValues() throws IOException {
        Path file = goodFile();
        Files.writeString(file, Files.readString(file).replace("row_wise=3000", "row_wise=soon"));
        List<String> skipped = new ArrayList<>();
        Crossover c = Crossover.load("G", skipped::add);
        assertEquals(1, skipped.size(), skipped.toString());
        assertEquals(Crossover.defaults().elements(Family.TRANSCENDENTAL), c.elements(Family.TRANSCENDENTAL),
                "transcendental=2^17 came before the bad row_wise");
        for (Family f : Family.values()) {
            assertEquals(Crossover.defaults().source(f), c.source(f), f.key());
        }
    }

    /** A calibration-file path that is not a path at all is skipped like a damaged file, not thrown. */
    @Test
    void anInvalidFilePathIsSkippedNotThrown() {
        System.setProperty(Crossover.FILE_PROPERTY, "bad\0path");
        List<String> skipped = new ArrayList<>();
        Crossover c = Crossover.load("G", skipped::add);
        assertEquals(1, skipped.size(), skipped.toString());
        assertEquals(Crossover.defaults().toString(), c.toString());
    }

    @Test
    void aDirectoryWhereTheFileShouldBeIsSkippedWithItsReason() throws IOException {
        Path file = dir.resolve("crossover.properties");
        Files.createDirectories(file);
        System.setProperty(Crossover.FILE_PROPERTY, file.toString());
        List<String> skipped = new ArrayList<>();
        Crossover.load("G", skipped::add);
        assertEquals(1, skipped.size(), skipped.toString());
        assertTrue(skipped.get(0).contains("is not a regular file"), skipped.get(0));
    }

    @Test
    void theFileTextRejectsMissingFamilies() {
        Map<Family, Long> v = new EnumMap<>(Family.class);
        v.put(Family.PIECEWISE, 1L);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Crossover.text(v, "G", "d", "n"));
        assertTrue(e.getMessage().contains("transcendental"), e.getMessage());
    }
}
