package dev.nonlin.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * NumPy {@code .npy} files holding 1-D or 2-D float arrays in C order: what {@code nonlin apply}
 * and {@code nonlin grad} read and write.
 *
 * <p>The format (numpy/lib/format.py, "NEP 1"):
 * <pre>
 *   "\x93NUMPY" major minor            6 + 2 bytes
 *   header_len                         u16 LE (version 1.0) or u32 LE (2.0, 3.0)
 *   header                             a Python dict literal, e.g.
 *                                      {'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }
 *                                      padded with spaces and ended by '\n' so that the data
 *                                      starts at a multiple of 64 bytes
 *   data                               prod(shape) × itemsize bytes, nothing after them
 * </pre>
 *
 * <p>Reading accepts versions 1.0, 2.0 and 3.0 (3.0 only changes the header's encoding to
 * UTF-8), dtypes float32 and float64 stored little-endian ({@code <f4}, {@code <f8}; {@code |},
 * {@code =} or no byte-order character are read as little-endian too), C order, 1 or 2
 * dimensions. float64 is rounded to float32. Anything else throws a {@link FormatException}
 * that names the file and the problem; nothing is guessed. Writing produces version 1.0
 * {@code <f4}, as {@code np.save} does for a float32 array.
 */
public final class Npy {
    private Npy() {
    }

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** The data starts at a multiple of this (numpy ≥ 1.15 pads to 64 so that mmap is aligned). */
    private static final int ALIGN = 64;
    /** Bytes converted per I/O call: large enough to amortise it, small enough to stay in cache. */
    private static final int CHUNK = 1 << 20;
    /** The largest Java array (some VMs reserve a few header words). */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** A file's problem: its message always starts with the file name. */
    public static final class FormatException extends IOException {
        private static final long serialVersionUID = 1L;

        public FormatException(Path file, String problem) {
            super(file + ": " + problem);
        }
    }

    /**
     * A 1-D or 2-D float array in C order.
     *
     * @param shape {@code {n}} or {@code {rows, cols}}; not modified
     * @param data  {@code prod(shape)} elements, row after row
     */
    public record Array(int[] shape, float[] data) {
        public Array {
            if (shape == null || data == null) {
                throw new IllegalArgumentException("shape and data must not be null");
            }
            if (shape.length != 1 && shape.length != 2) {
                throw new IllegalArgumentException("shape must be 1-D or 2-D, got " + Npy.shapeString(shape));
            }
            long n = 1;
            for (int d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("shape must not be negative, got " + Npy.shapeString(shape));
                }
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Npy.shapeString(shape) + " holds " + n
                        + " elements but data.length is " + data.length);
            }
        }

        /** A 1-D array of {@code data.length} elements. */
        public static Array of(float[] data) {
            return new Array(new int[] {data.length}, data);
        }

        /** Rows as the backends see them: 1 for a 1-D array (one row, so softmax runs over all of it). */
        public int rows() {
            return shape.length == 1 ? 1 : shape[0];
        }

        /** The last axis: the softmax axis and the PReLU channel axis. */
        public int cols() {
            return shape[shape.length - 1];
        }

        /** Python's spelling of the shape: {@code (3,)} or {@code (3, 4)}. */
        public String shapeString() {
            return Npy.shapeString(shape);
        }
    }

    // ------------------------------------------------------------------ reading

    /**
     * Reads a float32 or float64 array.
     *
     * @throws FormatException   when the file is not an .npy file this reader supports, naming why
     * @throws NoSuchFileException and other IOExceptions from the file system
     */
    public static Array read(Path file) throws IOException {
        return load(file).array();
    }

    /**
     * An array as read, with what rounding float64 to float32 lost: finite values beyond float's
     * range that became ±∞, and non-zero values below its smallest that became ±0 (both 0 for
     * float32 files).
     */
    public record Loaded(Array array, long overflowed, long flushedToZero) {
    }

    /** {@link #read}, counting what float64 → float32 lost ({@link Loaded}). */
    public static Loaded load(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, pre);
            pre.flip();
            if (pre.remaining() < 10) {
                if (!startsWithMagic(pre)) {
                    throw new FormatException(file, "not a .npy file (" + size + " bytes, no \\x93NUMPY magic)");
                }
                throw new FormatException(file, "truncated: " + size + " bytes, too short for an .npy preamble");
            }
            if (!startsWithMagic(pre)) {
                throw new FormatException(file, "not a .npy file (it does not start with the magic \\x93NUMPY)");
            }
            int major = pre.get(6) & 0xff;
            int minor = pre.get(7) & 0xff;
            long headerLen;
            int preamble;
            if (major == 1 && minor == 0) {
                headerLen = pre.getShort(8) & 0xffff;
                preamble = 10;
            } else if ((major == 2 || major == 3) && minor == 0) {
                if (pre.remaining() < 12) {
                    throw new FormatException(file, "truncated: too short for a version " + major + ".0 preamble");
                }
                headerLen = pre.getInt(8) & 0xffffffffL;
                preamble = 12;
            } else {
                throw new FormatException(file, "unsupported .npy format version " + major + "." + minor
                        + " (supported: 1.0, 2.0, 3.0)");
            }
            if (preamble + headerLen > size) {
                throw new FormatException(file, "truncated: the header claims " + headerLen + " bytes but only "
                        + (size - preamble) + " follow the preamble");
            }
            if (headerLen > 1 << 24) {
                throw new FormatException(file, "header of " + headerLen + " bytes is implausibly large");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            ch.position(preamble);
            readFully(ch, hb);
            String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Header h = Header.parse(file, header);
            long dataStart = preamble + headerLen;
            long expected = h.count * h.itemSize;
            long actual = size - dataStart;
            if (actual != expected) {
                String what = String.format(Locale.ROOT, "the header says shape %s of %s = %d values (%d bytes), "
                        + "but %d bytes of data follow", shapeString(h.shape), h.typeName(), h.count, expected, actual);
                throw new FormatException(file, (actual < expected ? "truncated: " : "trailing data: ") + what);
            }
            float[] data = new float[(int) h.count];
            long[] lost = new long[2];
            readData(ch, dataStart, h.itemSize, data, lost);
            return new Loaded(new Array(h.shape, data), lost[0], lost[1]);
        }
    }

    private static boolean startsWithMagic(ByteBuffer b) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (i >= b.limit() || b.get(i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** Reads until {@code b} is full or the channel ends. */
    private static void readFully(SeekableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                return;
            }
        }
    }

    /** Reads the data; lost[0] counts finite doubles that became ±∞, lost[1] non-zero doubles that became ±0. */
    private static void readData(FileChannel ch, long start, int itemSize, float[] data, long[] lost) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        ch.position(start);
        int i = 0;
        while (i < data.length) {
            int items = Math.min(data.length - i, CHUNK / itemSize);
            b.clear().limit(items * itemSize);
            readFully(ch, b);
            if (b.hasRemaining()) {
                // The size was checked; this means the file shrank while we read it.
                throw new IOException("file ended early while reading its data");
            }
            b.flip();
            if (itemSize == 4) {
                b.asFloatBuffer().get(data, i, items);
            } else {
                for (int k = 0; k < items; k++) {
                    double d = b.getDouble(k * 8);
                    float f = (float) d;
                    if (Float.isInfinite(f) && !Double.isInfinite(d)) {
                        lost[0]++;
                    } else if (f == 0f && d != 0.0) {
                        lost[1]++;
                    }
                    data[i + k] = f;
                }
            }
            i += items;
        }
    }

    /** The three keys of an .npy header, validated. */
    private static final class Header {
        final int[] shape;
        final long count;
        final int itemSize;

        private Header(int[] shape, long count, int itemSize) {
            this.shape = shape;
            this.count = count;
            this.itemSize = itemSize;
        }

        String typeName() {
            return itemSize == 4 ? "float32" : "float64";
        }

        static Header parse(Path file, String text) throws FormatException {
            Map<String, Object> dict;
            try {
                dict = new DictParser(text).parse();
            } catch (IllegalArgumentException e) {
                throw new FormatException(file, "malformed header (" + e.getMessage() + "): " + quote(text));
            }
            for (String key : dict.keySet()) {
                if (!key.equals("descr") && !key.equals("fortran_order") && !key.equals("shape")) {
                    throw new FormatException(file, "unexpected header key '" + key
                            + "' (an .npy header has exactly descr, fortran_order and shape)");
                }
            }
            for (String key : List.of("descr", "fortran_order", "shape")) {
                if (!dict.containsKey(key)) {
                    throw new FormatException(file, "header lacks the key '" + key + "': " + quote(text));
                }
            }
            if (!(dict.get("descr") instanceof String descr)) {
                throw new FormatException(file, "descr must be a string such as '<f4', got " + dict.get("descr")
                        + " (structured dtypes are not supported)");
            }
            int itemSize = itemSize(file, descr);
            if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
                throw new FormatException(file, "fortran_order must be True or False, got " + dict.get("fortran_order"));
            }
            if (fortran) {
                throw new FormatException(file, "Fortran (column-major) order is not supported; "
                        + "save a C-ordered array, e.g. np.save(path, np.ascontiguousarray(x))");
            }
            if (!(dict.get("shape") instanceof long[] dims)) {
                throw new FormatException(file, "shape must be a tuple of integers, got " + dict.get("shape"));
            }
            if (dims.length != 1 && dims.length != 2) {
                throw new FormatException(file, dims.length + "-D array of shape " + shapeString(dims)
                        + " is not supported; expected 1-D or 2-D (softmax runs over the last axis)");
            }
            long count = 1;
            int[] shape = new int[dims.length];
            for (int i = 0; i < dims.length; i++) {
                if (dims[i] > MAX_ELEMENTS) {
                    throw new FormatException(file, "shape " + shapeString(dims) + " is too large for a Java array");
                }
                shape[i] = (int) dims[i];
                count *= dims[i];
                if (count > MAX_ELEMENTS) {
                    throw new FormatException(file, "shape " + shapeString(dims) + " holds more than "
                            + MAX_ELEMENTS + " elements, the most a Java array can");
                }
            }
            return new Header(shape, count, itemSize);
        }

        /** 4 for float32, 8 for float64, little-endian; everything else is an error that says what to do. */
        private static int itemSize(Path file, String descr) throws FormatException {
            String d = descr.strip();
            char order = d.isEmpty() ? '?' : d.charAt(0);
            String type = (order == '<' || order == '>' || order == '=' || order == '|') ? d.substring(1) : d;
            boolean big = order == '>';
            int size;
            switch (type) {
                case "f4":
                    size = 4;
                    break;
                case "f8":
                    size = 8;
                    break;
                default:
                    throw new FormatException(file, "dtype '" + descr + "'" + describeDtype(type)
                            + " is not supported; expected float32 ('<f4') or float64 ('<f8'), "
                            + "e.g. np.save(path, x.astype(np.float32))");
            }
            if (big) {
                throw new FormatException(file, "big-endian dtype '" + descr + "' is not supported; "
                        + "convert with x.astype('<f" + size + "')");
            }
            return size;
        }

        private static String describeDtype(String type) {
            if (type.length() < 2) {
                return "";
            }
            String bits;
            try {
                bits = Integer.toString(Integer.parseInt(type.substring(1)) * 8);
            } catch (NumberFormatException e) {
                return "";
            }
            switch (type.charAt(0)) {
                case 'f': return " (float" + bits + ")";
                case 'i': return " (int" + bits + ")";
                case 'u': return " (uint" + bits + ")";
                case 'c': return " (complex" + bits + ")";
                case 'b': return " (bool)";
                default: return "";
            }
        }

        private static String quote(String header) {
            String s = header.strip();
            return s.length() > 200 ? s.substring(0, 200) + "..." : s;
        }
    }

    /**
     * The subset of Python literals an .npy header uses: a dict with string keys, whose values are
     * strings, True/False, or tuples of non-negative integers. Python 2 wrote {@code 3L}; accepted.
     */
    private static final class DictParser {
        private final String s;
        private int i;

        DictParser(String s) {
            this.s = s;
        }

        Map<String, Object> parse() {
            Map<String, Object> m = new LinkedHashMap<>();
            ws();
            expect('{');
            while (true) {
                ws();
                if (peek() == '}') {
                    i++;
                    break;
                }
                String key = string();
                ws();
                expect(':');
                ws();
                Object value = value();
                if (m.put(key, value) != null) {
                    throw new IllegalArgumentException("key '" + key + "' given twice");
                }
                ws();
                char c = peek();
                if (c == ',') {
                    i++;
                } else if (c == '}') {
                    i++;
                    break;
                } else {
                    throw error("',' or '}'");
                }
            }
            ws();
            if (i != s.length()) {
                throw new IllegalArgumentException("unexpected text after the dict at position " + i);
            }
            return m;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '(') {
                return tuple();
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (c == '[') {
                throw new IllegalArgumentException("a list at position " + i + " (structured dtypes are not supported)");
            }
            throw error("a string, True, False or a tuple");
        }

        private String string() {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw error("a quoted string");
            }
            int end = s.indexOf(q, i + 1);
            if (end < 0) {
                throw new IllegalArgumentException("unterminated string at position " + i);
            }
            String v = s.substring(i + 1, end);
            if (v.indexOf('\\') >= 0) {
                throw new IllegalArgumentException("escape sequences are not supported, at position " + i);
            }
            i = end + 1;
            return v;
        }

        private long[] tuple() {
            expect('(');
            List<Long> v = new ArrayList<>();
            while (true) {
                ws();
                if (peek() == ')') {
                    i++;
                    break;
                }
                v.add(integer());
                ws();
                char c = peek();
                if (c == ',') {
                    i++;
                } else if (c == ')') {
                    i++;
                    break;
                } else {
                    throw error("',' or ')'");
                }
            }
            long[] a = new long[v.size()];
            for (int k = 0; k < a.length; k++) {
                a[k] = v.get(k);
            }
            return a;
        }

        private long integer() {
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
                i++;
            }
            if (i == start) {
                throw error("a non-negative integer");
            }
            long n;
            try {
                n = Long.parseLong(s.substring(start, i));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("integer too large at position " + start);
            }
            if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) {
                i++;
            }
            return n;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : '\0';
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("'" + c + "'");
            }
            i++;
        }

        private IllegalArgumentException error(String expected) {
            String got = i < s.length() ? "'" + s.charAt(i) + "'" : "the end";
            return new IllegalArgumentException("expected " + expected + " at position " + i + ", got " + got);
        }
    }

    // ------------------------------------------------------------------ writing

    /** The version 1.0 header for a float32 C-ordered array, padded to {@value #ALIGN} bytes. */
    static byte[] header(int[] shape) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeString(shape) + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int padded = (unpadded + ALIGN - 1) / ALIGN * ALIGN;
        int headerLen = padded - MAGIC.length - 4;
        if (headerLen > 0xffff) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " needs a version 2.0 header");
        }
        ByteBuffer b = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerLen);
        b.put(dict.getBytes(StandardCharsets.ISO_8859_1));
        while (b.position() < padded - 1) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    /** Writes {@code a} as version 1.0 {@code <f4} to {@code out}. */
    public static void write(OutputStream out, Array a) throws IOException {
        out.write(header(a.shape()));
        ByteBuffer b = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        float[] data = a.data();
        for (int i = 0; i < data.length; ) {
            int items = Math.min(data.length - i, CHUNK / 4);
            b.clear();
            b.asFloatBuffer().put(data, i, items);
            out.write(b.array(), 0, items * 4);
            i += items;
        }
    }

    /**
     * Writes {@code a} to {@code file} all or nothing: into a temporary file in the same directory,
     * which is then moved over {@code file} (atomically where the file system can). On any error
     * the temporary file is deleted and {@code file} is left as it was. See {@code AtomicFile} for
     * symbolic links, permissions and devices.
     *
     * @throws IOException whose message names {@code file} and the root cause
     */
    public static void writeAtomic(Path file, Array a) throws IOException {
        AtomicFile.write(file, out -> write(out, a));   // write() already hands the stream whole chunks
    }

    // ------------------------------------------------------------------ helpers

    static String shapeString(int[] shape) {
        long[] l = new long[shape.length];
        for (int k = 0; k < l.length; k++) {
            l[k] = shape[k];
        }
        return shapeString(l);
    }

    static String shapeString(long[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int k = 0; k < shape.length; k++) {
            if (k > 0) {
                b.append(", ");
            }
            b.append(shape[k]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }
}
