// accuracy.cu: `nonlin accuracy --exhaustive --backend cuda`, i.e. every float input of an
// elementwise function through the SHIPPED kernels (pointwise.cu, launched by the Java backend
// as for any tensor), with the float64 reference computed on the device too, so that 2³² inputs
// take seconds instead of the hours a host-side reference would need for the transfers alone.
//
// Per chunk [start, start + n) of bit patterns (start + n ≤ 2³²), the host (CudaAccuracy.java):
//   accuracy_inputs_f32(float* x, long long start, long long n)
//       x[i] = the float whose bits are start + i
//   <function>_forward_f32(x, y, n, p0, p1)                      (pointwise.cu, the kernel under test)
//   accuracy_forward_f32(const float* y, long long start, long long n, int op, float p0, float p1,
//                        double* err, long long* index)
//       per block b: the worst ulp_error(y[i], f(x_i)) over the block's elements, and its index
//       start + i (the input's bit pattern), into err[b], index[b]
//   cuMemsetD32(dy, bits of 1.0f), or
//   accuracy_dy_f32(float* dy, long long start, long long n, unsigned long long seed)
//       dy[i] = accuracy_dy(seed, start + i)
//   <function>_backward_f32(x, dy, dx, n, p0, p1)                (the kernel under test)
//   accuracy_backward_f32(const float* dx, const float* dy, long long start, long long n, int op,
//                         float p0, float p1, double* err, long long* index)
//       the same with backward_ulp_error(dx[i], dy[i]·f'(x_i), dy[i])
// and takes the best of the per-block pairs (nonlin::better: the largest error, ties to the
// smaller index). That order is total, so the result does not depend on the grid, the block size
// or the order of the reductions: every run, and the CPU path, names the same element.
//
// x_i is regenerated from the index here rather than read back, so a kernel under test that read
// the wrong element, or wrote past its range, shows as an error rather than agreeing with itself.
//
// What this measures, honestly. The reference here is nonlin_math.cuh's double evaluation, the
// very formulas the kernels under test round to float. So on the device this checks that the f32
// kernels deliver that double math correctly rounded for every input: the launch, the indexing
// (64-bit, grid-stride), the float4 loads and stores, and any place where nvcc contracted the
// kernel's arithmetic differently from this file's. That the double math is itself right is
// checked against the Java float64 reference (dev.nonlin.cpu.Scalar) by KernelMathHostTest on
// the host, and on the CPU by `nonlin accuracy --exhaustive --backend cpu`.
//
// op is the function's op code (Activation.Kind.ordinal(), nonlin::Op), dispatched once per
// thread to a loop instantiated per functor: no per-element switch. Op codes that are not
// elementwise check nothing: every block reports err = −1, which the host rejects.
//
// Launch: blockDim.x a power of two, at most 256 (the reduction's shared arrays are sized for it,
// 4 KiB, so that they never limit occupancy); any grid (grid-stride loop); err and index hold
// gridDim.x entries. Another block size returns without writing anything,
// which the host sees, as it poisons err with NaN first.
#include "nonlin_kernels.cuh"
#include "nonlin_accuracy.cuh"

namespace nonlin {

/** The largest block the reduction takes. */
constexpr unsigned MAX_BLOCK = 256;

/** The bit pattern of element i of the chunk; the host keeps start + n ≤ 2³². */
__device__ __forceinline__ float input_at(long long start, long long i) {
    return bits_float((uint32_t) (start + i));
}

template <class F>
__device__ __forceinline__ Best forward_errors(const float* y, long long start, long long n, double p0, double p1) {
    Best b = best_none();
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        double exact = F::forward((double) input_at(start, i), p0, p1);
        double e = ulp_error(y[i], exact);
        if (better(e, start + i, b)) {
            b.err = e;
            b.index = start + i;
        }
    }
    return b;
}

template <class F>
__device__ __forceinline__ Best backward_errors(const float* dx, const float* dy, long long start, long long n,
                                                double p0, double p1) {
    Best b = best_none();
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        double g = (double) dy[i];
        // dy·f'(x) in double, as the Java reference (Ulp's callers) forms it
        double exact = g * F::derivative((double) input_at(start, i), p0, p1);
        double e = backward_ulp_error(dx[i], exact, g);
        if (better(e, start + i, b)) {
            b.err = e;
            b.index = start + i;
        }
    }
    return b;
}

__device__ __forceinline__ bool power_of_two_block() {
    return blockDim.x <= MAX_BLOCK && (blockDim.x & (blockDim.x - 1)) == 0;
}

/** The block's best into err[blockIdx.x], index[blockIdx.x]: a fixed tree over shared memory. */
__device__ __forceinline__ void block_best(Best b, double* err, long long* index) {
    __shared__ double serr[MAX_BLOCK];
    __shared__ long long sidx[MAX_BLOCK];
    unsigned t = threadIdx.x;
    serr[t] = b.err;
    sidx[t] = b.index;
    __syncthreads();
    for (unsigned s = blockDim.x >> 1; s > 0; s >>= 1) {
        if (t < s && better(serr[t + s], sidx[t + s], Best{serr[t], sidx[t]})) {
            serr[t] = serr[t + s];
            sidx[t] = sidx[t + s];
        }
        __syncthreads();
    }
    if (t == 0) {
        err[blockIdx.x] = serr[0];
        index[blockIdx.x] = sidx[0];
    }
}

}  // namespace nonlin

extern "C" __global__ void accuracy_inputs_f32(float* x, long long start, long long n) {
    for (long long i = nonlin::grid_start(); i < n; i += nonlin::grid_stride()) {
        x[i] = nonlin::input_at(start, i);
    }
}

extern "C" __global__ void accuracy_dy_f32(float* dy, long long start, long long n, unsigned long long seed) {
    for (long long i = nonlin::grid_start(); i < n; i += nonlin::grid_stride()) {
        dy[i] = nonlin::accuracy_dy(seed, (unsigned long long) (start + i));
    }
}

extern "C" __global__ void accuracy_forward_f32(const float* y, long long start, long long n, int op, float p0,
                                                float p1, double* err, long long* index) {
    if (!nonlin::power_of_two_block()) {
        return;
    }
    nonlin::Best b = nonlin::best_none();
    switch ((nonlin::Op) op) {
#define NL_ACC_FORWARD(OP, name, F, fo) \
        case nonlin::Op::OP: b = nonlin::forward_errors<nonlin::F>(y, start, n, p0, p1); break;
        NONLIN_ELEMENTWISE(NL_ACC_FORWARD)
#undef NL_ACC_FORWARD
        default: break;
    }
    nonlin::block_best(b, err, index);
}

extern "C" __global__ void accuracy_backward_f32(const float* dx, const float* dy, long long start, long long n,
                                                 int op, float p0, float p1, double* err, long long* index) {
    if (!nonlin::power_of_two_block()) {
        return;
    }
    nonlin::Best b = nonlin::best_none();
    switch ((nonlin::Op) op) {
#define NL_ACC_BACKWARD(OP, name, F, fo) \
        case nonlin::Op::OP: b = nonlin::backward_errors<nonlin::F>(dx, dy, start, n, p0, p1); break;
        NONLIN_ELEMENTWISE(NL_ACC_BACKWARD)
#undef NL_ACC_BACKWARD
        default: break;
    }
    nonlin::block_best(b, err, index);
}
