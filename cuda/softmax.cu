// softmax.cu: row-wise softmax and log_softmax, forward and backward, over rows × cols floats
// stored row after row (the last axis is normalised).
//
//   softmax_forward_f32(const float* x, float* y, long long rows, long long cols)
//   softmax_backward_f32(const float* x, const float* dy, float* dx, long long rows, long long cols)
//   softmax_backward_from_output_f32(const float* y, const float* dy, float* dx, long long rows, long long cols)
//   log_softmax_forward_f32 / _backward_f32 / _backward_from_output_f32: the same signatures
//
// The math is in include/nonlin_math.cuh (row_max ... row_dx, all in double, with the special
// rows of dev.nonlin.cpu.Rows: NaN rows, safe softmax for all −∞, +∞ entries sharing the mass).
// Each row runs in passes, each an associative reduction in double: the max, then the count of
// maximal entries and the sum of the other exponentials, then (backward) Σ dy·y or Σ dy, then
// the elementwise store. The row is re-read on every pass, from L2 for short rows: correct and
// simple; the CUDA backend issue may cache rows in shared memory or fuse passes (online softmax).
//
// Launch (the row groups of include/nonlin_rows.cuh): blockDim.x a multiple of 32, at most 1024 (256 suggested); any grid.
//   cols ≤ 1024: one warp per row (warp shuffles only). Rows are spread over all the warps of
//                the grid, so grid = ceil(rows / (blockDim.x / 32)), capped at a few waves.
//   cols > 1024: one block per row (warp shuffles, then the warps' partials through shared
//                memory). grid = min(rows, a few waves).
// Both modes loop over rows (grid-stride), so any grid covers any rows. A block size that is
// not a multiple of 32 makes the kernels return without writing (poisoned outputs show it).
// In place is safe (y == x, dx == dy): every pass that reads the row ends in a reduction that
// all threads of the row's group join, and each element is read and then written by one thread.
#include "nonlin_rows.cuh"

namespace nonlin {

/** The row's max m and scale k (passes 1 and 2). */
template <bool LOG, class G>
__device__ __forceinline__ void row_stats(G g, const float* x, long long n, double& m, double& k) {
    double mx = -INFINITY;
    for (long long i = g.rank(); i < n; i += g.size()) {
        mx = row_max(mx, x[i]);
    }
    mx = g.max(mx);
    double c = 0.0;
    double s = 0.0;
    for (long long i = g.rank(); i < n; i += g.size()) {
        c += row_is_max(x[i], mx);
        s += row_exp_term(x[i], mx);
    }
    c = g.sum(c);
    s = g.sum(s);
    m = mx;
    k = row_scale(LOG, mx, c, s);
}

template <bool LOG, class G>
__device__ __forceinline__ void row_forward(G g, const float* x, float* y, long long n) {
    double m, k;
    row_stats<LOG>(g, x, n, m, k);
    for (long long i = g.rank(); i < n; i += g.size()) {
        y[i] = (float) row_y(LOG, m, k, x[i]);
    }
}

/** Backward from x: y is recomputed in double, as dev.nonlin.cpu.Rows.backward does. */
template <bool LOG, class G>
__device__ __forceinline__ void row_backward(G g, const float* x, const float* dy, float* dx, long long n) {
    double m, k;
    row_stats<LOG>(g, x, n, m, k);
    double dot = 0.0;
    for (long long i = g.rank(); i < n; i += g.size()) {
        dot += row_dot_term(LOG, row_y(LOG, m, k, x[i]), dy[i]);
    }
    dot = g.sum(dot);
    for (long long i = g.rank(); i < n; i += g.size()) {
        dx[i] = (float) row_dx(LOG, row_y(LOG, m, k, x[i]), dy[i], dot);
    }
}

/** Backward from the float output y. */
template <bool LOG, class G>
__device__ __forceinline__ void row_backward_from_output(G g, const float* y, const float* dy, float* dx,
                                                         long long n) {
    double dot = 0.0;
    for (long long i = g.rank(); i < n; i += g.size()) {
        dot += row_dot_term(LOG, y[i], dy[i]);
    }
    dot = g.sum(dot);
    for (long long i = g.rank(); i < n; i += g.size()) {
        dx[i] = (float) row_dx(LOG, y[i], dy[i], dot);
    }
}

template <bool LOG>
__device__ __forceinline__ void softmax_forward(const float* x, float* y, long long rows, long long cols) {
    for_each_row(rows, cols, [=](auto g, long long r) { row_forward<LOG>(g, x + r * cols, y + r * cols, cols); });
}

template <bool LOG>
__device__ __forceinline__ void softmax_backward(const float* x, const float* dy, float* dx, long long rows,
                                                 long long cols) {
    for_each_row(rows, cols, [=](auto g, long long r) {
        row_backward<LOG>(g, x + r * cols, dy + r * cols, dx + r * cols, cols);
    });
}

template <bool LOG>
__device__ __forceinline__ void softmax_backward_from_output(const float* y, const float* dy, float* dx,
                                                             long long rows, long long cols) {
    for_each_row(rows, cols, [=](auto g, long long r) {
        row_backward_from_output<LOG>(g, y + r * cols, dy + r * cols, dx + r * cols, cols);
    });
}

}  // namespace nonlin

#define NL_ROW_KERNELS(name, LOG)                                                                    \
    extern "C" __global__ void name##_forward_f32(const float* x, float* y, long long rows, long long cols) { \
        nonlin::softmax_forward<LOG>(x, y, rows, cols);                                              \
    }                                                                                                \
    extern "C" __global__ void name##_backward_f32(const float* x, const float* dy, float* dx,       \
                                                   long long rows, long long cols) {                 \
        nonlin::softmax_backward<LOG>(x, dy, dx, rows, cols);                                        \
    }                                                                                                \
    extern "C" __global__ void name##_backward_from_output_f32(const float* y, const float* dy, float* dx, \
                                                               long long rows, long long cols) {     \
        nonlin::softmax_backward_from_output<LOG>(y, dy, dx, rows, cols);                            \
    }

NL_ROW_KERNELS(softmax, false)
NL_ROW_KERNELS(log_softmax, true)
