// nonlin_rows.cuh: work on rows of a rows × cols matrix by a group of threads (device only),
// shared by the row-wise kernels (softmax.cu, losses.cu).
//
//   cols <= WARP_ROW_MAX: one warp per row (warp shuffles only); rows are spread over all the
//                         warps of the grid.
//   cols >  WARP_ROW_MAX: one block per row (warp shuffles, then the warps' partials through
//                         shared memory).
// Both loop over rows (grid-stride), so any grid covers any rows. blockDim.x must be a multiple
// of 32 (at most 1024): for_each_row returns without doing anything otherwise.
// A group's reductions are joined by all its threads and give every thread the result, so a
// pass that reads the row and ends in a reduction is complete before the next pass writes.
// The reduction order depends on the group (32 lanes, or blockDim.x), never on the grid.
#ifndef NONLIN_ROWS_CUH
#define NONLIN_ROWS_CUH

#include "nonlin_kernels.cuh"

namespace nonlin {

/** Rows up to this length get one warp each; longer ones a whole block. */
constexpr long long WARP_ROW_MAX = 1024;
constexpr unsigned FULL_MASK = 0xffffffffu;

__device__ __forceinline__ double warp_max(double v) {
    for (int o = 16; o > 0; o >>= 1) {
        v = row_max(v, __shfl_xor_sync(FULL_MASK, v, o));
    }
    return v;
}

__device__ __forceinline__ double warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(FULL_MASK, v, o);
    }
    return v;
}

/** One warp works on a row: the lane is the rank. */
struct WarpGroup {
    __device__ __forceinline__ int rank() const { return threadIdx.x & 31; }
    __device__ __forceinline__ int size() const { return 32; }
    __device__ __forceinline__ double max(double v) const { return warp_max(v); }
    __device__ __forceinline__ double sum(double v) const { return warp_sum(v); }
};

/** One block works on a row; smem holds one partial per warp. Every thread gets the result. */
struct BlockGroup {
    double* smem;

    __device__ __forceinline__ int rank() const { return threadIdx.x; }
    __device__ __forceinline__ int size() const { return blockDim.x; }

    template <bool MAX>
    __device__ __forceinline__ double reduce(double v) const {
        v = MAX ? warp_max(v) : warp_sum(v);
        int lane = threadIdx.x & 31;
        int warp = threadIdx.x >> 5;
        __syncthreads();   // the previous reduction's readers are done with smem
        if (lane == 0) {
            smem[warp] = v;
        }
        __syncthreads();
        // every warp reduces the partials, so every thread ends with the result: no broadcast
        double identity = MAX ? -INFINITY : 0.0;
        v = lane < (int) (blockDim.x >> 5) ? smem[lane] : identity;
        return MAX ? warp_max(v) : warp_sum(v);
    }

    __device__ __forceinline__ double max(double v) const { return reduce<true>(v); }
    __device__ __forceinline__ double sum(double v) const { return reduce<false>(v); }
};

/**
 * Calls body(group, row) for every row this thread's group owns: a warp per row for short
 * rows, a block per row for long ones. The mode depends on cols only, so it is uniform.
 */
template <class Body>
__device__ __forceinline__ void for_each_row(long long rows, long long cols, Body body) {
    if (blockDim.x & 31) {
        return;   // see the launch rules above
    }
    if (cols <= WARP_ROW_MAX) {
        long long warp = grid_start() >> 5;
        long long warps = grid_stride() >> 5;
        for (long long r = warp; r < rows; r += warps) {
            body(WarpGroup{}, r);
        }
    } else {
        __shared__ double smem[32];
        for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
            body(BlockGroup{smem}, r);
        }
    }
}

}  // namespace nonlin

#endif  // NONLIN_ROWS_CUH
