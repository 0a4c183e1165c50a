// nonlin_kernels.cuh: the loop skeletons that every elementwise kernel shares (device only).
//
// One grid-stride loop with 64-bit indices, so any n and any grid size work; the launcher picks
// the grid (a few waves of blocks is plenty; the loop covers the rest). When every pointer is
// 16-byte aligned, the body moves float4s (one 16-byte load per input, one store) and a scalar
// tail handles the last n mod 4 elements; otherwise a plain scalar loop runs. cudaMalloc'd
// memory is 256-byte aligned, so whole tensors take the fast path; views at odd offsets do not.
//
// In place is safe (y == x forward, dx == dy or dx == x backward): each element is read and
// then written by the same thread at the same index, and no __restrict__ or ld.global.nc
// (__ldg) promises the compiler otherwise. Other overlaps are rejected by the Java side.
//
// Loads and stores are plain (cached), not streaming: the next op usually reads y right away.
#ifndef NONLIN_KERNELS_CUH
#define NONLIN_KERNELS_CUH

#include "nonlin_math.cuh"

namespace nonlin {

/** First index and stride of the grid-stride loop, in 64 bits. */
__device__ __forceinline__ long long grid_start() {
    return (long long) blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ long long grid_stride() {
    return (long long) gridDim.x * blockDim.x;
}

__device__ __forceinline__ bool aligned16(const void* p) {
    return ((unsigned long long) p & 15ull) == 0;
}

/**
 * y[i] = op(i, x[i]) for i in [0, n). op is a __device__ callable (float op(long long, float));
 * the index lets PReLU find its channel.
 */
template <class Fn>
__device__ __forceinline__ void map1(const float* x, float* y, long long n, Fn op) {
    long long i0 = grid_start();
    long long stride = grid_stride();
    if (aligned16(x) && aligned16(y)) {
        long long n4 = n >> 2;
        const float4* x4 = reinterpret_cast<const float4*>(x);
        float4* y4 = reinterpret_cast<float4*>(y);
        for (long long i = i0; i < n4; i += stride) {
            float4 v = x4[i];
            long long e = i << 2;
            v.x = op(e, v.x);
            v.y = op(e + 1, v.y);
            v.z = op(e + 2, v.z);
            v.w = op(e + 3, v.w);
            y4[i] = v;
        }
        for (long long i = (n4 << 2) + i0; i < n; i += stride) {
            y[i] = op(i, x[i]);
        }
    } else {
        for (long long i = i0; i < n; i += stride) {
            y[i] = op(i, x[i]);
        }
    }
}

/** z[i] = op(i, a[i], b[i]) for i in [0, n): the backward shape (a = x or y, b = dy, z = dx). */
template <class Fn>
__device__ __forceinline__ void map2(const float* a, const float* b, float* z, long long n, Fn op) {
    long long i0 = grid_start();
    long long stride = grid_stride();
    if (aligned16(a) && aligned16(b) && aligned16(z)) {
        long long n4 = n >> 2;
        const float4* a4 = reinterpret_cast<const float4*>(a);
        const float4* b4 = reinterpret_cast<const float4*>(b);
        float4* z4 = reinterpret_cast<float4*>(z);
        for (long long i = i0; i < n4; i += stride) {
            float4 u = a4[i];
            float4 v = b4[i];
            long long e = i << 2;
            float4 w;
            w.x = op(e, u.x, v.x);
            w.y = op(e + 1, u.y, v.y);
            w.z = op(e + 2, u.z, v.z);
            w.w = op(e + 3, u.w, v.w);
            z4[i] = w;
        }
        for (long long i = (n4 << 2) + i0; i < n; i += stride) {
            z[i] = op(i, a[i], b[i]);
        }
    } else {
        for (long long i = i0; i < n; i += stride) {
            z[i] = op(i, a[i], b[i]);
        }
    }
}

/** Fixed-order tree sum over the block (blockDim.x a power of two); the result is in thread 0. */
__device__ __forceinline__ double block_tree_sum(double v, double* smem) {
    smem[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x >> 1; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            smem[threadIdx.x] += smem[threadIdx.x + s];
        }
        __syncthreads();
    }
    double r = smem[0];
    __syncthreads();   // smem is reused by the caller's next iteration
    return r;
}

/**
 * The second stage of a column sum: out[c] = (float) Σ_k partial[k·cols + c] for c in [0, cols),
 * k = 0, 1, ..., chunks − 1 in order, in double. One thread per column (grid-stride), so the order
 * never depends on the grid. PReLU's dα (prelu.cu) and the dense layer's dBias (dense.cu) finish
 * with it; their first stages write one double per (chunk of rows, column).
 */
__device__ __forceinline__ void column_sums_finish(const double* partial, float* out, long long chunks,
                                                   long long cols) {
    for (long long c = grid_start(); c < cols; c += grid_stride()) {
        double s = 0.0;
        for (long long k = 0; k < chunks; k++) {
            s += partial[k * cols + c];
        }
        out[c] = (float) s;
    }
}

}  // namespace nonlin

#endif  // NONLIN_KERNELS_CUH
