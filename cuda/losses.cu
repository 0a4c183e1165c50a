// losses.cu: the losses of dev.nonlin.Loss, forward (a reduced loss) and backward (dz), over
// rows × cols floats stored row after row. The math is in include/nonlin_math.cuh (MseLoss,
// BceLoss, BceWithLogitsLoss, ce_loss, ce_gradient), mirroring dev.nonlin.cpu.LossMath.
//
// Elementwise losses (NAME = mse, bce, bce_with_logits; p0 = pos_weight or unused):
//   NAME_loss_partial_f32(const float* z, const float* t, double* partial, long long n,
//                         long long chunk, float p0, const float* w, long long cols)
//       partial[b] = Σ ℓ(z_i, t_i) over i in [b·chunk, (b+1)·chunk), b < ceil(n / chunk)
//   NAME_loss_backward_f32(const float* z, const float* t, float* dz, long long n, float p0,
//                          double scale, const float* w, long long cols)
//       dz_i = (float) (scale · ∂ℓ/∂z(z_i, t_i)); scale = dLoss (sum) or dLoss / n (mean).
//       dz may be z or t (each element is read, then written, by one thread).
//   The hyper-parameter of element i is p0, or w[i % cols] when w is not null (per-class
//   pos_weight: the data is rows × cols, row after row, and w holds cols weights).
// Softmax cross-entropy with int class targets, one fused pass per row (a warp per row for
// cols <= 1024, a block per row above: include/nonlin_rows.cuh):
//   softmax_cross_entropy_rows_f32(const float* z, const int* target, long long rows,
//       long long cols, long long ignore_index, float label_smoothing, double* row_loss,
//       float* dz, double scale, const double* count)
//       row_loss[r] = ℓ of row r (0 if ignored, NaN for a target that is neither in [0, cols)
//       nor ignore_index: the host refuses those before it launches, so NaN is only a guard),
//       unless row_loss is null;
//       dz = s·∂ℓ/∂z for the row (0 if ignored, NaN for a bad target), unless dz is null, with
//       s = scale / *count when count is not null (the mean over counted rows), else scale.
//       dz may be z: z_t is read inside the pass that ends in a reduction, as every other read.
//   class_target_count_partial(const int* target, long long rows, long long ignore_index,
//                              double* partial, long long chunk)
//       partial[b] = #{r in chunk b : target[r] != ignore_index} (exact in double)
// Reductions, deterministic: fixed chunks, each summed by one block in a fixed pattern (thread
// t takes t, t + blockDim.x, ..., then block_tree_sum), the partials then summed by one block
// in the same pattern. No atomics. The order depends on (chunk, blockDim.x) only, so the
// launcher must take both from constants, never from the device; then a loss is the same on
// every run, grid and GPU. blockDim.x must be a power of two ≤ 1024 for these kernels (they
// return without writing otherwise).
//   f64_sum_partial(const double* v, double* partial, long long n, long long chunk)
//   f64_sum_finish(const double* partial, long long chunks, double* out)
//       one block: out[0] = Σ partial
//   loss_finish_f32(const double* partial, long long chunks, const double* divisor_ptr,
//                   double divisor, float* loss, double* loss64)
//       one block: L = Σ partial / d, d = *divisor_ptr if not null, else divisor;
//       loss[0] = (float) L; loss64[0] = L unless loss64 is null. A mean over nothing is
//       0/0 = NaN, as PyTorch.
#include "nonlin_rows.cuh"

namespace nonlin {

__device__ __forceinline__ bool pow2_block() {
    return (blockDim.x & (blockDim.x - 1)) == 0;
}

/** Σ over chunks of a sequence given by term(i), one block per chunk, into partial[b]. */
template <class Term>
__device__ __forceinline__ void chunk_sums(long long n, long long chunk, double* partial, double* smem, Term term) {
    long long chunks = (n + chunk - 1) / chunk;
    for (long long b = blockIdx.x; b < chunks; b += gridDim.x) {
        long long i1 = min(n, (b + 1) * chunk);
        double s = 0.0;
        for (long long i = b * chunk + threadIdx.x; i < i1; i += blockDim.x) {
            s += term(i);
        }
        s = block_tree_sum(s, smem);
        if (threadIdx.x == 0) {
            partial[b] = s;
        }
    }
}

/** One block: Σ partial[0..chunks) in the fixed pattern; every thread gets the result. */
__device__ __forceinline__ double finish_sum(const double* partial, long long chunks, double* smem) {
    double s = 0.0;
    for (long long k = threadIdx.x; k < chunks; k += blockDim.x) {
        s += partial[k];
    }
    return block_tree_sum(s, smem);
}

/** The hyper-parameter of element i: p0, or w[i % cols] when there is one per column. */
__device__ __forceinline__ double element_p0(float p0, const float* w, long long cols, long long i) {
    return w != nullptr ? (double) w[i % cols] : (double) p0;
}

template <class L>
__device__ __forceinline__ void loss_partial(const float* z, const float* t, double* partial, long long n,
                                             long long chunk, float p0, const float* w, long long cols) {
    __shared__ double smem[1024];
    if (!pow2_block()) {
        return;
    }
    chunk_sums(n, chunk, partial, smem,
               [=](long long i) { return L::term(z[i], t[i], element_p0(p0, w, cols, i)); });
}

template <class L>
__device__ __forceinline__ void loss_backward(const float* z, const float* t, float* dz, long long n, float p0,
                                              double scale, const float* w, long long cols) {
    map2(z, t, dz, n, [=](long long i, float a, float b) {
        return (float) (scale * L::gradient((double) a, (double) b, element_p0(p0, w, cols, i)));
    });
}

/** One row of softmax cross-entropy by a group (a warp or a block). */
template <class G>
__device__ __forceinline__ void ce_row(G g, const float* z, int target, long long cols, long long ignore_index,
                                       double eps, double* row_loss, float* dz, double s) {
    // target is the same for the whole group, so these branches are uniform
    if ((long long) target == ignore_index || target < 0 || (long long) target >= cols) {
        bool ignored = (long long) target == ignore_index;
        if (dz != nullptr) {
            for (long long i = g.rank(); i < cols; i += g.size()) {
                dz[i] = ignored ? 0.0f : NAN;
            }
        }
        if (row_loss != nullptr && g.rank() == 0) {
            *row_loss = ignored ? 0.0 : NAN;
        }
        return;
    }
    double m = -INFINITY;
    for (long long i = g.rank(); i < cols; i += g.size()) {
        m = row_max(m, z[i]);
    }
    m = g.max(m);
    double c = 0.0;
    double se = 0.0;
    double sum_zm = 0.0;
    double ztm = 0.0;   // z_t − m, read by its owner inside this pass (see the in-place note above)
    for (long long i = g.rank(); i < cols; i += g.size()) {
        double v = z[i];
        c += row_is_max(v, m);
        se += row_exp_term(v, m);
        sum_zm += v - m;
        if (i == target) {
            ztm = v - m;
        }
    }
    c = g.sum(c);
    se = g.sum(se);
    sum_zm = g.sum(sum_zm);
    ztm = g.sum(ztm);   // one non-zero term at most: exact
    double r = (c - 1.0) + se;
    if (row_loss != nullptr && g.rank() == 0) {
        *row_loss = ce_loss(m, r, ztm, sum_zm, eps, (double) cols);
    }
    if (dz != nullptr) {
        double k = 1.0 / (1.0 + r);
        bool at_max = ztm == 0.0;   // z_t = m (for a finite m; otherwise the gradient is NaN anyway)
        for (long long i = g.rank(); i < cols; i += g.size()) {
            dz[i] = (float) (s * ce_gradient(z[i], m, k, r, i == target, i == target && at_max, eps, (double) cols));
        }
    }
}

}  // namespace nonlin

#define NL_LOSS_KERNELS(OP, name, L)                                                                  \
    extern "C" __global__ void name##_loss_partial_f32(const float* z, const float* t, double* partial, \
                                                       long long n, long long chunk, float p0,        \
                                                       const float* w, long long cols) {              \
        nonlin::loss_partial<nonlin::L>(z, t, partial, n, chunk, p0, w, cols);                       \
    }                                                                                                 \
    extern "C" __global__ void name##_loss_backward_f32(const float* z, const float* t, float* dz,    \
                                                        long long n, float p0, double scale,          \
                                                        const float* w, long long cols) {             \
        nonlin::loss_backward<nonlin::L>(z, t, dz, n, p0, scale, w, cols);                           \
    }

NONLIN_LOSSES(NL_LOSS_KERNELS)

extern "C" __global__ void softmax_cross_entropy_rows_f32(const float* z, const int* target, long long rows,
                                                          long long cols, long long ignore_index,
                                                          float label_smoothing, double* row_loss, float* dz,
                                                          double scale, const double* count) {
    double s = count != nullptr ? scale / *count : scale;
    double eps = (double) label_smoothing;
    nonlin::for_each_row(rows, cols, [=](auto g, long long r) {
        nonlin::ce_row(g, z + r * cols, target[r], cols, ignore_index, eps,
                       row_loss != nullptr ? row_loss + r : nullptr, dz != nullptr ? dz + r * cols : nullptr, s);
    });
}

extern "C" __global__ void class_target_count_partial(const int* target, long long rows, long long ignore_index,
                                                      double* partial, long long chunk) {
    __shared__ double smem[1024];
    if (!nonlin::pow2_block()) {
        return;
    }
    nonlin::chunk_sums(rows, chunk, partial, smem,
                       [=](long long i) { return (long long) target[i] != ignore_index ? 1.0 : 0.0; });
}

extern "C" __global__ void f64_sum_partial(const double* v, double* partial, long long n, long long chunk) {
    __shared__ double smem[1024];
    if (!nonlin::pow2_block()) {
        return;
    }
    nonlin::chunk_sums(n, chunk, partial, smem, [=](long long i) { return v[i]; });
}

extern "C" __global__ void f64_sum_finish(const double* partial, long long chunks, double* out) {
    __shared__ double smem[1024];
    if (blockIdx.x != 0 || !nonlin::pow2_block()) {
        return;
    }
    double s = nonlin::finish_sum(partial, chunks, smem);
    if (threadIdx.x == 0) {
        out[0] = s;
    }
}

extern "C" __global__ void loss_finish_f32(const double* partial, long long chunks, const double* divisor_ptr,
                                           double divisor, float* loss, double* loss64) {
    __shared__ double smem[1024];
    if (blockIdx.x != 0 || !nonlin::pow2_block()) {
        return;
    }
    double s = nonlin::finish_sum(partial, chunks, smem);
    if (threadIdx.x == 0) {
        double l = s / (divisor_ptr != nullptr ? *divisor_ptr : divisor);
        loss[0] = (float) l;
        if (loss64 != nullptr) {
            loss64[0] = l;
        }
    }
}
