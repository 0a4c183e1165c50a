// prelu.cu: PReLU with a learned α (Backend.preluForward / preluBackward), over rows × cols
// floats stored row after row, with α per channel along the last axis (nalpha = cols) or one α
// for everything (nalpha = 1). The generic pointwise kernels prelu_forward_f32 and
// prelu_backward_f32 (pointwise.cu) serve the record's single init value; these take α from
// device memory and also produce dα.
//
//   prelu_alpha_forward_f32(const float* x, const float* alpha, float* y,
//                           long long n, long long cols, long long nalpha)
//       y = x > 0 ? x : α[c]·x,  c = i mod cols (or 0 when nalpha = 1)
//   prelu_alpha_backward_f32(const float* x, const float* alpha, const float* dy, float* dx,
//                            long long n, long long cols, long long nalpha)
//       dx = dy·(x > 0 ? 1 : α[c])
//
// dα = Σ dy·(x > 0 ? 0 : x) is summed in double, in a fixed order, with no atomics, so it is the
// same on every run, device and grid (the float result still depends on the order, which
// differs from the CPU backend's: the contract compares both with the exact sum).
//   α per channel (two launches):
//   prelu_dalpha_channels_partial_f32(const float* x, const float* dy, double* partial,
//                                     long long rows, long long cols, long long rowsPerChunk)
//       partial[k·cols + c] = Σ over rows r of chunk k (r = k·rowsPerChunk ..), in row order.
//       One thread per (k, c), neighbours along c, so loads are coalesced. partial holds
//       ceil(rows / rowsPerChunk) · cols doubles.
//   prelu_dalpha_channels_finish_f32(const double* partial, float* dalpha, long long chunks,
//                                    long long cols)
//       dalpha[c] = (float) Σ_k partial[k·cols + c], k in order.
//   One α (two launches):
//   prelu_dalpha_single_partial_f32(const float* x, const float* dy, double* partial,
//                                   long long n, long long chunk)
//       block b sums elements [b·chunk, (b+1)·chunk) with a fixed pattern (thread t takes
//       t, t + blockDim.x, ..., then a fixed tree) into partial[b], for b < ceil(n / chunk).
//   prelu_dalpha_single_finish_f32(const double* partial, float* dalpha, long long chunks)
//       one block: the same fixed pattern over the partials, into dalpha[0].
// The order is fixed by (rowsPerChunk) or (chunk, blockDim.x), so the launcher must choose them
// from the shape alone (constants, e.g. rowsPerChunk = 256, chunk = 65536, blockDim.x = 256),
// never from the device. The single-α kernels need blockDim.x to be a power of two, ≤ 1024
// (otherwise they return without writing).
// dx may be dy or x (each element is read, then written, by one thread); the dα kernels must
// then run before the dx kernel overwrites its inputs.
#include "nonlin_kernels.cuh"

namespace nonlin {

__device__ __forceinline__ float alpha_of(const float* alpha, long long i, long long cols, long long nalpha) {
    return nalpha == 1 ? alpha[0] : alpha[i % cols];
}

}  // namespace nonlin

extern "C" __global__ void prelu_alpha_forward_f32(const float* x, const float* alpha, float* y, long long n,
                                                   long long cols, long long nalpha) {
    nonlin::map1(x, y, n, [=](long long i, float v) {
        return nonlin::forward_f32<nonlin::PRelu>(v, nonlin::alpha_of(alpha, i, cols, nalpha), 0.0f);
    });
}

extern "C" __global__ void prelu_alpha_backward_f32(const float* x, const float* alpha, const float* dy, float* dx,
                                                    long long n, long long cols, long long nalpha) {
    nonlin::map2(x, dy, dx, n, [=](long long i, float v, float g) {
        return nonlin::backward_f32<nonlin::PRelu>(v, g, nonlin::alpha_of(alpha, i, cols, nalpha), 0.0f);
    });
}

extern "C" __global__ void prelu_dalpha_channels_partial_f32(const float* x, const float* dy, double* partial,
                                                             long long rows, long long cols,
                                                             long long rowsPerChunk) {
    long long chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
    for (long long j = nonlin::grid_start(); j < chunks * cols; j += nonlin::grid_stride()) {
        long long k = j / cols;
        long long c = j - k * cols;
        long long r1 = min(rows, (k + 1) * rowsPerChunk);
        double s = 0.0;
        for (long long r = k * rowsPerChunk; r < r1; r++) {
            long long i = r * cols + c;
            s += nonlin::PRelu::dalpha_term(x[i], dy[i]);
        }
        partial[j] = s;
    }
}

extern "C" __global__ void prelu_dalpha_channels_finish_f32(const double* partial, float* dalpha, long long chunks,
                                                            long long cols) {
    nonlin::column_sums_finish(partial, dalpha, chunks, cols);
}

extern "C" __global__ void prelu_dalpha_single_partial_f32(const float* x, const float* dy, double* partial,
                                                           long long n, long long chunk) {
    __shared__ double smem[1024];
    if (blockDim.x & (blockDim.x - 1)) {
        return;   // the fixed tree needs a power of two (see the launch rules above)
    }
    long long chunks = (n + chunk - 1) / chunk;
    for (long long b = blockIdx.x; b < chunks; b += gridDim.x) {
        long long i1 = min(n, (b + 1) * chunk);
        double s = 0.0;
        for (long long i = b * chunk + threadIdx.x; i < i1; i += blockDim.x) {
            s += nonlin::PRelu::dalpha_term(x[i], dy[i]);
        }
        s = nonlin::block_tree_sum(s, smem);
        if (threadIdx.x == 0) {
            partial[b] = s;
        }
    }
}

extern "C" __global__ void prelu_dalpha_single_finish_f32(const double* partial, float* dalpha, long long chunks) {
    __shared__ double smem[1024];
    if (blockIdx.x != 0 || (blockDim.x & (blockDim.x - 1))) {
        return;   // one block, a power of two (see the launch rules above)
    }
    double s = 0.0;
    for (long long k = threadIdx.x; k < chunks; k += blockDim.x) {
        s += partial[k];
    }
    s = nonlin::block_tree_sum(s, smem);
    if (threadIdx.x == 0) {
        dalpha[0] = (float) s;
    }
}
