package dev.nonlin.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The byte count of a device tensor, without a GPU: a count that wraps must be refused, not allocated. */
class DeviceBytesTest {
    @Test
    void bytesAreFourPerFloatAndAtLeastOne() {
        assertEquals(4, CudaBackend.deviceBytes(0, 5), "cuMemAlloc needs a non-empty buffer: one float");
        assertEquals(4, CudaBackend.deviceBytes(3, 0));
        assertEquals(12, CudaBackend.deviceBytes(1, 3));
        assertEquals(4L << 40, CudaBackend.deviceBytes(1L << 20, 1L << 20));
        assertEquals(Long.MAX_VALUE / 4 * 4, CudaBackend.deviceBytes(Long.MAX_VALUE / 4, 1));
    }

    @Test
    void aCountThatWouldWrapIsRefusedWithTheShape() {
        // (2^62 + 1) × 4 wraps to 4 bytes: a 4-byte buffer for 2^62 + 1 floats
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudaBackend.deviceBytes((1L << 62) + 1, 1));
        assertTrue(e.getMessage().contains("4611686018427387905 × 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CudaBackend.deviceBytes(1L << 31, 1L << 31));
        assertThrows(IllegalArgumentException.class, () -> CudaBackend.deviceBytes(Long.MAX_VALUE / 4 + 1, 1));
    }
}
