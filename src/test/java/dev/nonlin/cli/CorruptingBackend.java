package dev.nonlin.cli;

import dev.nonlin.Backend;
import dev.nonlin.Backends;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * The CPU backend, except that it moves chosen results by a chosen number of ULPs (bit patterns,
 * so "5" means five floats away; a NaN result becomes 0): a backend that breaks the contract on
 * purpose, to prove that the accuracy check notices, names the input and fails. The host-array
 * forward and backward that {@code nonlin accuracy} uses are corrupted; every other method is the
 * CPU's own (a proxy, so that it keeps up with the interface).
 */
final class CorruptingBackend {
    private CorruptingBackend() {
    }

    /**
     * @param badX         the input whose results are moved (compared by bits, so NaN works)
     * @param forwardUlps  how far y moves there
     * @param backwardUlps how far dx moves there (at every dy)
     */
    static Backend of(float badX, int forwardUlps, int backwardUlps) {
        int bad = Float.floatToRawIntBits(badX);
        return cpu("the CPU, moving f(" + badX + ") by " + forwardUlps + " ULP and f'(" + badX + ")·dy by "
                + backwardUlps, (m, args) -> {
            Class<?>[] p = m.getParameterTypes();
            // forward(f, x, xo, y, yo, rows, cols) and backward(f, x, xo, dy, dyo, dx, dxo, rows, cols)
            boolean forward = m.getName().equals("forward") && p.length == 7 && p[1] == float[].class;
            boolean backward = m.getName().equals("backward") && p.length == 9 && p[1] == float[].class;
            if (forward || backward) {
                float[] x = (float[]) args[1];
                int xo = (int) args[2];
                float[] out = (float[]) args[forward ? 3 : 5];
                int oo = (int) args[forward ? 4 : 6];
                int n = (int) args[p.length - 2] * (int) args[p.length - 1];
                for (int i = 0; i < n; i++) {
                    if (Float.floatToRawIntBits(x[xo + i]) == bad) {
                        out[oo + i] = move(out[oo + i], forward ? forwardUlps : backwardUlps);
                    }
                }
            }
        });
    }

    /**
     * The CPU, except that its tensor-path losses move L by {@code lossUlps} when z holds
     * {@code badZ} (by bits), and dz by {@code dzUlps} at each element (or, for class targets,
     * each row) where z is {@code badZ}: what {@code nonlin accuracy --losses} measures.
     */
    static Backend losses(float badZ, int lossUlps, int dzUlps) {
        int bad = Float.floatToRawIntBits(badZ);
        return cpu("the CPU, moving a loss whose z holds " + badZ + " by " + lossUlps + " ULP and its dz by " + dzUlps,
                (m, args) -> {
            Class<?>[] p = m.getParameterTypes();
            boolean tensors = p.length >= 4 && p[1] == dev.nonlin.Tensor.class;
            if (tensors && (m.getName().equals("lossForward") || m.getName().equals("lossBackward"))) {
                float[] z = ((dev.nonlin.Tensor) args[1]).toArray();
                dev.nonlin.Tensor out = (dev.nonlin.Tensor) args[p.length - 1];
                float[] o = out.toArray();
                int cols = (int) ((dev.nonlin.Tensor) args[1]).cols();
                boolean changed = false;
                for (int i = 0; i < z.length; i++) {
                    if (Float.floatToRawIntBits(z[i]) != bad) {
                        continue;
                    }
                    if (m.getName().equals("lossForward")) {
                        o[0] = move(o[0], lossUlps);
                        changed = true;
                        break;
                    }
                    int from = p[2] == dev.nonlin.IntTensor.class ? i / cols * cols : i;
                    int to = p[2] == dev.nonlin.IntTensor.class ? from + cols : i + 1;
                    for (int j = from; j < to; j++) {
                        o[j] = move(o[j], dzUlps);
                    }
                    changed = true;
                }
                if (changed) {
                    out.copyFrom(o, 0);
                }
            }
        });
    }

    /** What a corrupting backend does to a call's results, after the CPU has made them. */
    @FunctionalInterface
    private interface After {
        void corrupt(java.lang.reflect.Method m, Object[] args) throws Throwable;
    }

    /** A proxy over the CPU backend, named corrupting-cpu, that runs {@code after} on every call's results. */
    private static Backend cpu(String description, After after) {
        Backend cpu = Backends.cpu();
        InvocationHandler h = (proxy, m, args) -> {
            switch (m.getName()) {
                case "name":
                    return "corrupting-cpu";
                case "description":
                    return description;
                default:
                    break;
            }
            if (m.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, m, args);
            }
            Object r;
            try {
                r = m.invoke(cpu, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            after.corrupt(m, args);
            return r;
        };
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, h);
    }

    /** v moved by ulps floats; a NaN becomes 0 (a backend that loses NaN). */
    private static float move(float v, int ulps) {
        return Float.isNaN(v) ? 0f : Float.intBitsToFloat(Float.floatToRawIntBits(v) + ulps);
    }

}
