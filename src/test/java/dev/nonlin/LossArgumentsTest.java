package dev.nonlin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad arguments to the loss calls: each throws {@link IllegalArgumentException} naming the
 * argument and the value, and writes nothing (dz is poisoned first and must come back untouched).
 */
class LossArgumentsTest {

    private final Backend b = Backends.cpu();
    private final Loss mse = Loss.mse();
    private final Loss ce = Loss.softmaxCrossEntropy();

    private static float[] poisoned(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 12345f);
        return a;
    }

    private static void rejects(String part, float[] dz, Executable call) {
        float[] before = dz == null ? null : dz.clone();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), () -> "message '" + e.getMessage() + "' lacks '" + part + "'");
        if (dz != null) {
            assertArrayEquals(before, dz, "nothing written before the check failed");
        }
    }

    @Test
    void hostArrays() {
        float[] z = new float[6];
        float[] t = new float[6];
        float[] dz = poisoned(6);
        rejects("loss must not be null", dz, () -> b.lossBackward(null, z, 0, t, 0, 1, dz, 0, 2, 3));
        rejects("rows must be >= 0, got -1", dz, () -> b.lossBackward(mse, z, 0, t, 0, 1, dz, 0, -1, 3));
        rejects("cols must be >= 0, got -2", null, () -> b.lossForward(mse, z, 0, t, 0, 1, -2));
        rejects("t has 5 elements from offset 1, but rows × cols = 6", dz, () -> b.lossBackward(mse, z, 0, t, 1, 1, dz, 0, 2, 3));
        rejects("z must not be null", null, () -> b.lossForward(mse, null, 0, t, 0, 2, 3));
        rejects("dz must not be null", null, () -> b.lossBackward(mse, z, 0, t, 0, 1, null, 0, 2, 3));
        rejects("t.length (5) must equal z.length (6)", null, () -> b.lossForward(mse, z, new float[5]));
        rejects("takes class targets", dz, () -> b.lossBackward(ce, z, 0, t, 0, 1, dz, 0, 2, 3));
        rejects("takes float targets", dz, () -> b.lossBackward(mse, z, 0, new int[2], 0, 1, dz, 0, 2, 3));
        float[] shared = poisoned(12);
        rejects("overlap", shared, () -> b.lossBackward(mse, shared, 0, t, 0, 1, shared, 2, 2, 3));
        Loss perClass = Loss.bceWithLogits(new float[] {1f, 2f});
        String width = "bce_with_logits: pos_weight has 2 weights (one per class, i.e. per column) but z has 3 columns";
        rejects(width, dz, () -> b.lossBackward(perClass, z, 0, t, 0, 1, dz, 0, 2, 3));
        rejects(width, null, () -> b.lossForward(perClass, z, 0, t, 0, 2, 3));
        rejects("but z has 6 columns", dz, () -> b.lossBackward(perClass, z, t, dz));
    }

    @Test
    void classTargets() {
        float[] z = new float[6];
        float[] dz = poisoned(6);
        rejects("target[1] (row 1) = 3 is not a class index in [0, 3) nor ignore_index (-100)", dz,
                () -> b.lossBackward(ce, z, 0, new int[] {0, 3}, 0, 1, dz, 0, 2, 3));
        rejects("target[2] (row 1) = -1 is not a class index", null,
                () -> b.lossForward(ce, z, 0, new int[] {9, 0, -1}, 1, 2, 3));
        rejects("target has 1 elements from offset 0, but rows = 2", dz,
                () -> b.lossBackward(ce, z, 0, new int[] {0}, 0, 1, dz, 0, 2, 3));
        rejects("target must not be null", null, () -> b.lossForward(ce, z, 0, (int[]) null, 0, 2, 3));
        rejects("z.length (6) must be a multiple of target.length (4)", null, () -> b.lossForward(ce, z, new int[4]));
        rejects("targetOffset (-1) is out of range", null, () -> b.lossForward(ce, z, 0, new int[] {0, 0}, -1, 2, 3));
    }

    @Test
    void tensors() {
        try (Tensor z = b.allocate(2, 3); Tensor t = b.allocate(3, 2); Tensor out = b.allocate(1, 2);
             Tensor one = b.allocate(1, 1); IntTensor tg = b.intTensor(new int[] {0, 1, 2})) {
            rejects("t is 3 × 2 but z is 2 × 3", null, () -> b.lossForward(mse, z, t, one));
            rejects("lossOut must hold one element, got 1 × 2", null, () -> b.lossForward(mse, z, z, out));
            rejects("target.size() (3) must equal z.rows() (2)", null, () -> b.lossForward(ce, z, tg, one));
            rejects("takes class targets", null, () -> b.lossBackward(ce, z, z, 1, z));
            rejects("lossOut must be a tensor of its own", null, () -> b.lossForward(mse, one, one, one));
            Loss perClass = Loss.bceWithLogits(new float[] {1f, 2f});
            rejects("pos_weight has 2 weights (one per class, i.e. per column) but z has 3 columns", null,
                    () -> b.lossForward(perClass, z, z, one));
            rejects("but z has 3 columns", null, () -> b.lossBackward(perClass, z, z, 1, b.allocate(2, 3)));
            tg.close();
            rejects("target is closed", null, () -> b.lossForward(ce, b.allocate(3, 2), tg, one));
            rejects("data must not be null", null, () -> b.intTensor(null));
        }
    }
}
