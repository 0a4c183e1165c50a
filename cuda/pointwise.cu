// pointwise.cu: the elementwise kernels, three per function, generated from the catalogue list
// NONLIN_ELEMENTWISE in include/nonlin_math.cuh (one line per function there).
//
//   <name>_forward_f32(const float* x, float* y, long long n, float p0, float p1)
//       y = f(x)
//   <name>_backward_f32(const float* x, const float* dy, float* dx, long long n, float p0, float p1)
//       dx = dy·f'(x)
//   <name>_backward_from_output_f32(const float* y, const float* dy, float* dx, long long n,
//                                   float p0, float p1)
//       dx = dy·f'(x) written in y = f(x); only for the functions whose list entry allows it
//       (the Java side also checks the parameters: leaky_relu needs a slope > 0, elu and celu
//       an α > 0).
//
// <name> is Activation.Kind.kernelName() (sigmoid, gelu_tanh, ...). p0 and p1 are the record's
// p0()/p1(); functions without parameters ignore them, but the signature is the same for all,
// so one Java launcher serves every kernel. Any grid and block size works (grid-stride loop,
// 64-bit indices); float4 accesses when x, y, dy and dx are all 16-byte aligned. In place is
// fine. The math is in double (see the decision at the top of nonlin_math.cuh).
#include "nonlin_kernels.cuh"

namespace nonlin {

template <class F>
__device__ __forceinline__ void pointwise_forward(const float* x, float* y, long long n, float p0, float p1) {
    map1(x, y, n, [=] (long long, float v) { return forward_f32<F>(v, p0, p1); });
}

template <class F>
__device__ __forceinline__ void pointwise_backward(const float* x, const float* dy, float* dx, long long n,
                                                   float p0, float p1) {
    map2(x, dy, dx, n, [=] (long long, float v, float g) { return backward_f32<F>(v, g, p0, p1); });
}

template <class F>
__device__ __forceinline__ void pointwise_backward_from_output(const float* y, const float* dy, float* dx,
                                                               long long n, float p0, float p1) {
    map2(y, dy, dx, n, [=] (long long, float v, float g) {
        return backward_from_output_f32<F>(v, g, p0, p1);
    });
}

}  // namespace nonlin

#define NL_KERNEL_FROM_OUTPUT_0(name, F)
#define NL_KERNEL_FROM_OUTPUT_1(name, F)                                                             \
    extern "C" __global__ void name##_backward_from_output_f32(const float* y, const float* dy, float* dx, \
                                                               long long n, float p0, float p1) {    \
        nonlin::pointwise_backward_from_output<nonlin::F>(y, dy, dx, n, p0, p1);                     \
    }

#define NL_POINTWISE_KERNELS(OP, name, F, from_output)                                               \
    extern "C" __global__ void name##_forward_f32(const float* x, float* y, long long n,             \
                                                  float p0, float p1) {                              \
        nonlin::pointwise_forward<nonlin::F>(x, y, n, p0, p1);                                       \
    }                                                                                                \
    extern "C" __global__ void name##_backward_f32(const float* x, const float* dy, float* dx,       \
                                                   long long n, float p0, float p1) {                \
        nonlin::pointwise_backward<nonlin::F>(x, dy, dx, n, p0, p1);                                 \
    }                                                                                                \
    NL_KERNEL_FROM_OUTPUT_##from_output(name, F)

NONLIN_ELEMENTWISE(NL_POINTWISE_KERNELS)
