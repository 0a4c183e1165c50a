package dev.nonlin.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.util.ArrayList;
import java.util.List;

/**
 * A kernel's parameter block, built in the order of its C prototype, with the PTX type of each
 * parameter kept beside its value: {@code u64} for pointers and {@code long long}, {@code u32} for
 * {@code int}, {@code f32} for {@code float}, {@code f64} for {@code double}. A block that is short
 * or mistyped makes the kernel read garbage or crashes the JVM (DESIGN.md §6), so every launch
 * builds its block here, and LaunchesPtxTest holds each one against the {@code .entry} in the PTX,
 * without a GPU.
 */
final class KernelArgs {
    private final List<Pointer> values = new ArrayList<>();
    private final List<String> types = new ArrayList<>();
    private final List<Long> longs = new ArrayList<>();

    /** A device pointer ({@code const float*}, {@code double*}, ...); a null pointer is passed as 0. */
    KernelArgs ptr(CUdeviceptr p) {
        return add(Pointer.to(p == null ? new CUdeviceptr() : p), "u64");
    }

    /** A {@code long long}. */
    KernelArgs i64(long v) {
        longs.add(v);
        return add(Pointer.to(new long[] {v}), "u64");
    }

    /** An {@code int}. */
    KernelArgs i32(int v) {
        return add(Pointer.to(new int[] {v}), "u32");
    }

    KernelArgs f32(float v) {
        return add(Pointer.to(new float[] {v}), "f32");
    }

    KernelArgs f64(double v) {
        return add(Pointer.to(new double[] {v}), "f64");
    }

    private KernelArgs add(Pointer p, String type) {
        values.add(p);
        types.add(type);
        return this;
    }

    /** The block as {@code cuLaunchKernel} takes it: a pointer to the pointers of the values. */
    Pointer pointer() {
        return Pointer.to(values.toArray(new Pointer[0]));
    }

    /** The parameter types in PTX's words, e.g. [u64, u64, u64, f32, f32]. */
    List<String> types() {
        return List.copyOf(types);
    }

    /** The {@code long long} parameters, in order (sizes and chunking, for tests). */
    List<Long> longs() {
        return List.copyOf(longs);
    }
}
