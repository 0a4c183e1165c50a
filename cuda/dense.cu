// dense.cu: the dense layer and its training on the GPU (Backend.matmul, biasActivationForward,
// biasActivationBackward, optimizerStep): our own SGEMM, the fused bias+activation epilogues,
// the optimizer steps and a scale. All sizes are long long, all loops 64-bit.
//
// ---- SGEMM, row-major: C = alpha·op(A)·op(B) + beta·C, op(A) m × k, op(B) k × n, C m × n
//
//   sgemm_<tile>_<ta><tb>_f32(const float* a, const float* b, float* c,
//                             long long m, long long n, long long k, float alpha, float beta)
//       <ta><tb>: nn, nt, tn, tt (t: the operand is stored transposed: A as k × m, B as n × k).
//       <tile>: 128x128 (8 × 8 outputs per thread) or 64x64 (4 × 4 per thread), both with BK = 8.
//
// Decision: the transposes are template parameters, instantiated as four entry points per tile,
// not runtime flags. The operand's layout decides which global index is contiguous, and so the
// load pattern (see load_tile); as constants they cost nothing in the inner loop, and the Java
// side derives the name from Transpose (Launches is the model: names, not a string table).
// Two tiles, because one size does not fit all: a 4096 × 256 product has only 64 tiles of
// 128 × 128 for 132 SMs, and 256 tiles of 64 × 64. The launcher picks 128x128 when it gives at
// least one tile per SM, else 64x64.
//
// Launch rules: blockDim.x = 256 exactly (others return without writing); any 1-D grid (blocks
// loop over the tiles, row-major tile order), so any m, n, k work, with no 65535 limit on a grid
// dimension. Shared memory is static (about 8.4 KB per block).
//
// Numerics. Each element of C is one float accumulator, acc = fmaf(a_ip, b_pj, acc) for p = 0,
// 1, ..., k − 1 in order: a fixed order, so the result is the same on every run and grid, and
// the same for both tiles (padding beyond k adds fmaf(0, 0, acc) = acc; only the sign of a zero
// sum may differ). Then c = alpha·acc (beta = 0: C is never read, a NaN there does not leak, as
// in BLAS), else c = fmaf(alpha, acc, beta·c). fmaf is explicit, so the host emulator
// (cuda/test/dense_emu.cpp) computes the device's bits. No fast-math (DESIGN.md §3).
// Against the CPU backend (float sums without fma) results differ by rounding, within
// k·2⁻²³·Σ|a||b|, the bound Backend.matmul documents.
//
// ---- Fused bias + activation, one pair per function of NONLIN_ELEMENTWISE_FIXED (all
// elementwise functions but PReLU, whose learned α the epilogue would leave without a gradient)
//
//   <name>_bias_forward_f32(const float* z, const float* bias, float* y,
//                           long long rows, long long cols, float p0, float p1)
//       y[r, c] = f(z[r, c] + bias[c]); z + bias rounded to float (as the CPU backend), then the
//       pointwise kernel's math. y may be z.
//   <name>_bias_backward_f32(const float* z, const float* bias, const float* dy, float* dz,
//                            double* partial, long long rows, long long cols,
//                            long long rowsPerChunk, float p0, float p1)
//       dz[r, c] = dy[r, c]·f'(z[r, c] + bias[c]), and the first stage of dBias:
//       partial[k·cols + c] = Σ dz[r, c] over the rows r of chunk k (rows k·rowsPerChunk ...), in
//       row order, in double. One thread per (chunk, column), neighbours along c, so loads are
//       coalesced. partial holds ceil(rows / rowsPerChunk) · cols doubles. dz may be dy.
//   bias_grad_finish_f32(const double* partial, float* dbias, long long chunks, long long cols)
//       dbias[c] = (float) Σ_k partial[k·cols + c], k in order (column_sums_finish).
//   The order of every sum is fixed by rowsPerChunk alone, which the launcher takes from a
//   constant, never from the device: dBias is the same, bit for bit, for every grid and GPU. No
//   atomics.
//
// ---- Optimizers and scale (grid-stride, any grid)
//
//   sgd_step_f32(float* w, const float* g, float* m, long long n,
//                float lr, float momentum, float weight_decay)          m: null without momentum
//   adam_step_f32(float* w, const float* g, float* m, float* v, long long n, float lr,
//                 float beta1, float beta2, float eps, float weight_decay, float c1, float c2)
//       the formulas of nonlin_math.cuh (sgd_update, adam_update), the twin of OptimizerMath:
//       the same float operations in the same order, uncontracted, so CPU and GPU agree to the
//       bit. c1 = 1 − β₁ᵗ, c2 = 1 − β₂ᵗ, computed on the host in double and rounded to float.
//   scale_f32(float* c, long long n, float beta)
//       c = beta·c; beta = 0 writes zeros without reading c (matmul with k = 0 or alpha = 0).
#include "nonlin_kernels.cuh"

namespace nonlin {

/** Threads per SGEMM block: the tile shapes below are built for it. */
constexpr int GEMM_THREADS = 256;
/**
 * Padding of a shared-memory row, in floats. Operands whose contiguous index is p are stored
 * transposed into shared memory (s[p][r]); with rows of BM + 4 floats, the 32 stores of a warp
 * fall into 32 different banks instead of 4. A multiple of 4, so float4 reads stay aligned.
 */
constexpr int GEMM_PAD = 4;

/**
 * Loads this thread's share of one operand tile, R rows (i of A, or j of B) × BK steps of p,
 * starting at (r0, p0), into registers; elements outside the matrix are 0.
 * P_CONTIG: the operand's contiguous index is p (A not transposed, B transposed): element (r, p)
 * is x[r·k + p]; otherwise r is contiguous: x[p·rtotal + r]. Consecutive threads take consecutive
 * addresses in both cases, so the loads are coalesced.
 */
template <bool P_CONTIG, int R, int BK, int LOADS>
__device__ __forceinline__ void load_tile(const float* x, long long rtotal, long long k, long long r0, long long p0,
                                          int t, float (&reg)[LOADS]) {
    NL_UNROLL
    for (int l = 0; l < LOADS; l++) {
        int idx = t + l * GEMM_THREADS;
        int r = P_CONTIG ? idx / BK : idx % R;
        int p = P_CONTIG ? idx % BK : idx / R;
        long long gr = r0 + r;
        long long gp = p0 + p;
        bool inside = gr < rtotal && gp < k;
        reg[l] = inside ? (P_CONTIG ? x[gr * k + gp] : x[gp * rtotal + gr]) : 0.0f;
    }
}

/** Stores what load_tile loaded into shared memory as s[p][r]. */
template <bool P_CONTIG, int R, int BK, int LOADS>
__device__ __forceinline__ void store_tile(float (*s)[R + GEMM_PAD], int t, const float (&reg)[LOADS]) {
    NL_UNROLL
    for (int l = 0; l < LOADS; l++) {
        int idx = t + l * GEMM_THREADS;
        int r = P_CONTIG ? idx / BK : idx % R;
        int p = P_CONTIG ? idx % BK : idx / R;
        s[p][r] = reg[l];
    }
}

/**
 * A thread's share of one shared-memory row: N values in groups of 4 (one float4 read each) at
 * first, first + STRIDE, first + 2·STRIDE, ...
 */
template <int N, int STRIDE>
__device__ __forceinline__ void fragment(const float* row, int first, float (&v)[N]) {
    NL_UNROLL
    for (int q = 0; q < N / 4; q++) {
        float4 f = *reinterpret_cast<const float4*>(row + q * STRIDE + first);
        v[4 * q] = f.x;
        v[4 * q + 1] = f.y;
        v[4 * q + 2] = f.z;
        v[4 * q + 3] = f.w;
    }
}

/**
 * The SGEMM body. A block computes a BM × BN tile of C; thread (tx, ty) owns TM × TN outputs, in
 * groups of 4 consecutive rows and columns spread over the tile (row q·(BM/TM·4) + 4·ty + e), so
 * that its shared-memory reads are float4s and a warp's stores to C cover whole 64-float runs.
 * The next k-step's tile is loaded into registers while the current one is multiplied.
 */
template <bool TA, bool TB, int BM, int BN, int BK, int TM, int TN>
__device__ __forceinline__ void sgemm(const float* a, const float* b, float* c, long long m, long long n,
                                      long long k, float alpha, float beta) {
    constexpr int COLS_T = BN / TN;   // threads along a row of the tile
    constexpr int ROWS_T = BM / TM;
    constexpr int A_LOADS = BM * BK / GEMM_THREADS;
    constexpr int B_LOADS = BK * BN / GEMM_THREADS;
    static_assert(COLS_T * ROWS_T == GEMM_THREADS, "one output fragment per thread");
    static_assert(TM % 4 == 0 && TN % 4 == 0, "fragments are groups of 4");
    static_assert(A_LOADS * GEMM_THREADS == BM * BK && B_LOADS * GEMM_THREADS == BK * BN, "whole tiles");
    alignas(16) __shared__ float as[BK][BM + GEMM_PAD];
    alignas(16) __shared__ float bs[BK][BN + GEMM_PAD];
    if (blockDim.x != GEMM_THREADS) {
        return;   // the launch rule (see the top of the file)
    }
    const int t = threadIdx.x;
    const int tx = t % COLS_T;
    const int ty = t / COLS_T;
    const long long mtiles = (m + BM - 1) / BM;
    const long long ntiles = (n + BN - 1) / BN;
    for (long long tile = blockIdx.x; tile < mtiles * ntiles; tile += gridDim.x) {
        const long long i0 = (tile / ntiles) * BM;
        const long long j0 = (tile % ntiles) * BN;
        float acc[TM][TN];
        NL_UNROLL
        for (int x = 0; x < TM; x++) {
            NL_UNROLL
            for (int y = 0; y < TN; y++) {
                acc[x][y] = 0.0f;
            }
        }
        float ra[A_LOADS];
        float rb[B_LOADS];
        load_tile<!TA, BM, BK, A_LOADS>(a, m, k, i0, 0, t, ra);
        load_tile<TB, BN, BK, B_LOADS>(b, n, k, j0, 0, t, rb);
        for (long long p0 = 0; p0 < k; p0 += BK) {
            __syncthreads();   // every thread is done reading the previous step's tiles
            store_tile<!TA, BM, BK, A_LOADS>(as, t, ra);
            store_tile<TB, BN, BK, B_LOADS>(bs, t, rb);
            __syncthreads();
            if (p0 + BK < k) {
                load_tile<!TA, BM, BK, A_LOADS>(a, m, k, i0, p0 + BK, t, ra);
                load_tile<TB, BN, BK, B_LOADS>(b, n, k, j0, p0 + BK, t, rb);
            }
            NL_UNROLL
            for (int p = 0; p < BK; p++) {
                float av[TM];
                float bv[TN];
                fragment<TM, ROWS_T * 4>(as[p], ty * 4, av);
                fragment<TN, COLS_T * 4>(bs[p], tx * 4, bv);
                NL_UNROLL
                for (int x = 0; x < TM; x++) {
                    NL_UNROLL
                    for (int y = 0; y < TN; y++) {
                        acc[x][y] = fmaf(av[x], bv[y], acc[x][y]);
                    }
                }
            }
        }
        NL_UNROLL
        for (int x = 0; x < TM; x++) {
            long long i = i0 + (x / 4) * ROWS_T * 4 + ty * 4 + x % 4;
            if (i >= m) {
                continue;
            }
            float* crow = c + i * n;
            NL_UNROLL
            for (int y = 0; y < TN; y++) {
                long long j = j0 + (y / 4) * COLS_T * 4 + tx * 4 + y % 4;
                if (j < n) {
                    crow[j] = beta == 0.0f ? alpha * acc[x][y] : fmaf(alpha, acc[x][y], beta * crow[j]);
                }
            }
        }
    }
}

template <class F>
__device__ __forceinline__ void bias_forward(const float* z, const float* bias, float* y, long long rows,
                                             long long cols, float p0, float p1) {
    map1(z, y, rows * cols, [=] (long long i, float v) { return forward_f32<F>(v + bias[i % cols], p0, p1); });
}

template <class F>
__device__ __forceinline__ void bias_backward(const float* z, const float* bias, const float* dy, float* dz,
                                              double* partial, long long rows, long long cols,
                                              long long rows_per_chunk, float p0, float p1) {
    long long chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
    for (long long j = grid_start(); j < chunks * cols; j += grid_stride()) {
        long long kc = j / cols;
        long long c = j - kc * cols;
        long long r1 = min(rows, (kc + 1) * rows_per_chunk);
        float b = bias[c];
        double s = 0.0;
        for (long long r = kc * rows_per_chunk; r < r1; r++) {
            long long i = r * cols + c;
            float d = backward_f32<F>(z[i] + b, dy[i], p0, p1);
            dz[i] = d;
            s += d;
        }
        partial[j] = s;
    }
}

}  // namespace nonlin

// ------------------------------------------------------------------ entry points

#define NL_SGEMM(tile, BM, BN, BK, TM, TN, ops, TA, TB)                                             \
    extern "C" __global__ void __launch_bounds__(256, 2)                                             \
    sgemm_##tile##_##ops##_f32(const float* a, const float* b, float* c, long long m, long long n,  \
                               long long k, float alpha, float beta) {                              \
        nonlin::sgemm<TA, TB, BM, BN, BK, TM, TN>(a, b, c, m, n, k, alpha, beta);                  \
    }
#define NL_SGEMM_TILE(tile, BM, BN, BK, TM, TN)                                                     \
    NL_SGEMM(tile, BM, BN, BK, TM, TN, nn, false, false)                                            \
    NL_SGEMM(tile, BM, BN, BK, TM, TN, nt, false, true)                                             \
    NL_SGEMM(tile, BM, BN, BK, TM, TN, tn, true, false)                                             \
    NL_SGEMM(tile, BM, BN, BK, TM, TN, tt, true, true)

NL_SGEMM_TILE(128x128, 128, 128, 8, 8, 8)
NL_SGEMM_TILE(64x64, 64, 64, 8, 4, 4)

#define NL_BIAS_KERNELS(OP, name, F, from_output)                                                   \
    extern "C" __global__ void name##_bias_forward_f32(const float* z, const float* bias, float* y, \
                                                       long long rows, long long cols,              \
                                                       float p0, float p1) {                        \
        nonlin::bias_forward<nonlin::F>(z, bias, y, rows, cols, p0, p1);                            \
    }                                                                                               \
    extern "C" __global__ void name##_bias_backward_f32(const float* z, const float* bias,          \
                                                        const float* dy, float* dz, double* partial,\
                                                        long long rows, long long cols,             \
                                                        long long rowsPerChunk, float p0, float p1) {\
        nonlin::bias_backward<nonlin::F>(z, bias, dy, dz, partial, rows, cols, rowsPerChunk, p0, p1); \
    }

NONLIN_ELEMENTWISE_FIXED(NL_BIAS_KERNELS)

extern "C" __global__ void bias_grad_finish_f32(const double* partial, float* dbias, long long chunks,
                                                long long cols) {
    nonlin::column_sums_finish(partial, dbias, chunks, cols);
}

extern "C" __global__ void sgd_step_f32(float* w, const float* g, float* m, long long n, float lr, float momentum,
                                        float weight_decay) {
    for (long long i = nonlin::grid_start(); i < n; i += nonlin::grid_stride()) {
        float wi = w[i];
        nonlin::sgd_update(wi, g[i], m == nullptr ? nullptr : m + i, lr, momentum, weight_decay);
        w[i] = wi;
    }
}

extern "C" __global__ void adam_step_f32(float* w, const float* g, float* m, float* v, long long n, float lr,
                                         float beta1, float beta2, float eps, float weight_decay, float c1,
                                         float c2) {
    for (long long i = nonlin::grid_start(); i < n; i += nonlin::grid_stride()) {
        float wi = w[i];
        float mi = m[i];
        float vi = v[i];
        nonlin::adam_update(wi, g[i], mi, vi, lr, beta1, beta2, eps, weight_decay, c1, c2);
        w[i] = wi;
        m[i] = mi;
        v[i] = vi;
    }
}

extern "C" __global__ void scale_f32(float* c, long long n, float beta) {
    for (long long i = nonlin::grid_start(); i < n; i += nonlin::grid_stride()) {
        c[i] = beta == 0.0f ? 0.0f : nonlin::fmul_rn(beta, c[i]);
    }
}
