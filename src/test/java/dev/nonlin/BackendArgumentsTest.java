package dev.nonlin;

import dev.nonlin.cpu.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input throws IllegalArgumentException naming the argument, and writes nothing. */
class BackendArgumentsTest {
    private final Backend b = Backends.cpu();
    private final Activation relu = Activation.relu();
    private final float[] x = {1, -2, 3, -4, 5, -6};
    private final float[] y = poisoned(6);

    private static float[] poisoned(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 42f);
        return a;
    }

    private void rejects(String mustMention, Executable call) {
        float[] before = y.clone();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(mustMention), "message should mention '" + mustMention + "': " + e.getMessage());
        assertArrayEquals(before, y, "output was written before the argument check");
    }

    @Test
    void nulls() {
        rejects("f", () -> b.forward(null, x, 0, y, 0, 1, 6));
        rejects("x", () -> b.forward(relu, null, 0, y, 0, 1, 6));
        rejects("y", () -> b.forward(relu, x, 0, null, 0, 1, 6));
        rejects("dx", () -> b.backward(relu, x, 0, x, 0, null, 0, 1, 6));
        rejects("x", () -> b.forward(relu, null, y));
    }

    @Test
    void offsetsAndLengths() {
        rejects("xOffset (-1)", () -> b.forward(relu, x, -1, y, 0, 1, 6));
        rejects("yOffset (7)", () -> b.forward(relu, x, 0, y, 7, 1, 6));
        rejects("rows × cols = 6", () -> b.forward(relu, x, 1, y, 0, 1, 6));
        rejects("rows must be >= 0, got -1", () -> b.forward(relu, x, 0, y, 0, -1, 6));
        rejects("cols must be >= 0, got -6", () -> b.forward(relu, x, 0, y, 0, 1, -6));
        rejects("exceeds", () -> b.forward(relu, x, 0, y, 0, 1 << 16, 1 << 16));
        rejects("y.length (5)", () -> b.forward(relu, x, new float[5]));
        rejects("dy", () -> b.backward(relu, x, 0, new float[3], 0, y, 0, 2, 3));
    }

    @Test
    void rowsTimesColsMustMatchTheData() {
        rejects("rows × cols = 8", () -> b.forward(Activation.softmax(), x, 0, y, 0, 2, 4));
    }

    @Test
    void partialOverlapIsRejectedButInPlaceIsFine() {
        float[] a = {1, -1, 2, -2, 3, -3, 4, -4};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.forward(relu, a, 0, a, 2, 1, 6));
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
        b.forward(relu, a, 0, a, 4, 1, 4);   // disjoint ranges of one array are fine
        b.forwardInPlace(relu, a);
        assertArrayEquals(new float[] {1, 0, 2, 0, 1, 0, 2, 0}, a);
    }

    @Test
    void backwardFromOutputNeedsAnInvertibleFunction() {
        rejects("gelu", () -> b.backwardFromOutput(Activation.gelu(), x, 0, x, 0, y, 0, 1, 6));
        rejects("leaky_relu", () -> b.backwardFromOutput(Activation.leakyRelu(-0.5f), x, 0, x, 0, y, 0, 1, 6));
    }

    @Test
    void aTensorNotMadeByABackendIsRefusedByName() {
        // a Tensor of the caller's own making that claims this backend: refused, not a ClassCastException
        Tensor fake = (Tensor) java.lang.reflect.Proxy.newProxyInstance(Tensor.class.getClassLoader(),
                new Class<?>[] {Tensor.class}, (p, m, a) -> switch (m.getName()) {
                    case "backend" -> b;
                    case "rows" -> 1L;
                    case "cols", "size" -> 6L;
                    case "isClosed" -> false;
                    case "toString" -> "fake";
                    case "hashCode" -> 1;
                    case "equals" -> p == a[0];
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        Tensor out = b.allocate(1, 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.forward(relu, fake, out));
        assertTrue(e.getMessage().startsWith("x is a ") && e.getMessage().contains("not a tensor made by a nonlin backend"),
                e.getMessage());
        Tensor other = dev.nonlin.cpu.CpuBackend.scalar().allocate(1, 6);
        IllegalArgumentException o = assertThrows(IllegalArgumentException.class, () -> b.forward(relu, other, out));
        assertTrue(o.getMessage().startsWith("x belongs to another cpu backend instance (cpu: "), o.getMessage());
        assertTrue(o.getMessage().contains("not to this one (" + b.description() + ")"), o.getMessage());
    }

    @Test
    void preluOutputMustNotOverwriteAlpha() {
        // alpha is 1 or cols long, so an output in alpha's own array is one row written over it;
        // the tensor versions refuse y == alpha and dx == alpha the same way
        float[] a = {0.25f, 0.5f, 2f};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.preluForward(x, 0, a, a, 0, 1, 3));
        assertTrue(e.getMessage().contains("y [0, 3) overlaps alpha [0, 3)"), e.getMessage());
        assertArrayEquals(new float[] {0.25f, 0.5f, 2f}, a, "alpha changed");
        float[] one = {0.5f};
        float[] dAlpha = new float[1];
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                () -> b.preluBackward(x, 0, one, x, 0, one, 0, dAlpha, 1, 1));
        assertTrue(d.getMessage().contains("dx [0, 1) overlaps alpha [0, 1)"), d.getMessage());
        assertArrayEquals(new float[] {0.5f}, one, "alpha changed");
        assertArrayEquals(new float[] {0f}, dAlpha, "dAlpha written");
    }

    @Test
    void preluAlphaMustMatchTheChannels() {
        rejects("alpha.length must be 1 or cols (3), got 2", () -> b.preluForward(x, 0, new float[2], y, 0, 2, 3));
        rejects("dAlpha.length (1)", () -> b.preluBackward(x, 0, new float[3], x, 0, y, 0, new float[1], 2, 3));
        rejects("num_parameters=4", () -> b.forward(Activation.prelu(4, 0.25f), x, 0, y, 0, 2, 3));
    }

    @Test
    void tensorsMustBeOpenOwnedAndShaped() {
        Tensor t = b.allocate(2, 3);
        Tensor u = b.allocate(3, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.forward(relu, t, u));
        assertTrue(e.getMessage().contains("3 × 2"), e.getMessage());
        Tensor other = CpuBackend.scalar().allocate(2, 3);
        e = assertThrows(IllegalArgumentException.class, () -> b.forward(relu, t, other));
        assertTrue(e.getMessage().contains("belongs to"), e.getMessage());
        u.close();
        Tensor closed = b.allocate(2, 3);
        closed.close();
        e = assertThrows(IllegalArgumentException.class, () -> b.forward(relu, t, closed));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, closed::toArray);
        closed.close();   // idempotent
        assertThrows(IllegalArgumentException.class, () -> b.tensor(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> b.allocate(-1, 3));
        t.close();
    }

    /** The one overlap test, shared by the argument checks and CUDA's fallback (HostCalls). */
    @Test
    void overlapIsSharedElementsOfOneArray() {
        float[] a = new float[10];
        assertTrue(AbstractBackend.overlaps(a, 0, a, 0, 4));
        assertTrue(AbstractBackend.overlaps(a, 3, a, 0, 4));
        assertFalse(AbstractBackend.overlaps(a, 4, a, 0, 4));
        assertFalse(AbstractBackend.overlaps(a, 0, new float[10], 0, 4));
    }
}
