// nonlin_accuracy.cuh: what `nonlin accuracy` measures, as __host__ __device__ code, beside the
// math of nonlin_math.cuh. cuda/accuracy.cu uses it on the GPU; cuda/test/host_driver.cpp and
// cuda/test/kernel_emu.cpp use it on the host, where KernelMathHostTest checks it bit for bit
// against the Java side:
//
//   ulp_error, backward_ulp_error, ulp_of   ==  dev.nonlin.cli.Ulp.ulps, backwardUlps, ulpOf
//   accuracy_dy                             ==  dev.nonlin.cli.Accuracy.randomDy
//   Best, better                            ==  dev.nonlin.cli.Accuracy.Worst (max error; ties go
//                                               to the smaller index, so any grid, any reduction
//                                               order and the CPU all report the same element)
//
// Every operation below is exact or one IEEE-rounded double operation, the same in Java, in g++
// and on the device (no contraction can change them: the only product, 2⁻²³·|dy|, is exact),
// so the device's ULP errors are the Java ones for the same float result and exact value.
#ifndef NONLIN_ACCURACY_CUH
#define NONLIN_ACCURACY_CUH

#include "nonlin_math.cuh"

#include <stdint.h>
#ifndef __CUDACC__
#include <string.h>
#endif

namespace nonlin {

NL_HD uint32_t float_bits(float f) {
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
#endif
}

NL_HD float bits_float(uint32_t u) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
#endif
}

/** 2^k for k in [−1022, 1023], built from its bits (exact, no library call). */
NL_HD double pow2(int k) {
    uint64_t u = (uint64_t) (k + 1023) << 52;
#ifdef __CUDA_ARCH__
    return __longlong_as_double((long long) u);
#else
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
#endif
}

/**
 * Java's Math.ulp(float) for a finite f: 2^(e − 150) for a normal f with biased exponent e, and
 * Float.MIN_VALUE = 2⁻¹⁴⁹ for zero and subnormals.
 */
NL_HD double float_ulp(float f) {
    int e = (int) ((float_bits(f) >> 23) & 0xffu);
    return e == 0 ? pow2(-149) : pow2(e - 150);
}

/** Ulp.ulpOf: the ULP of float at exact, that of Float.MAX_VALUE (2¹⁰⁴) where exact rounds past it. */
NL_HD double ulp_of(double exact) {
    float r = (float) exact;
    return isinf(r) ? pow2(104) : float_ulp(r);
}

/**
 * Ulp.ulps: |got − exact| / ulp_of(exact). NaN against NaN, and an infinity where exact rounds
 * to it, are 0; NaN against a number, or an infinity against anything else, is +∞.
 */
NL_HD double ulp_error(float got, double exact) {
    if (exact != exact || got != got) {
        return (exact != exact && got != got) ? 0.0 : INFINITY;
    }
    if (isinf(exact) || isinf(got)) {
        return got == (float) exact ? 0.0 : INFINITY;
    }
    return fabs((double) got - exact) / ulp_of(exact);
}

/** Ulp.backwardUlps: ULPs beyond the contract's absolute slack 2⁻²³·|dy|; specials as ulp_error. */
NL_HD double backward_ulp_error(float got, double exact, double dy) {
    double u = ulp_error(got, exact);
    if (u == 0.0 || isinf(u)) {
        return u;
    }
    double err = fabs((double) got - exact);
    double slack = 0x1p-23 * fabs(dy);
    return err <= slack ? 0.0 : (err - slack) / ulp_of(exact);
}

/** splitmix64's finaliser (Steele, Lea, Flood 2014; constants of Stafford's variant 13). */
NL_HD uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/** The golden-ratio increment of splitmix64. */
constexpr uint64_t MIX_GAMMA = 0x9E3779B97F4A7C15ull;

/**
 * The random dy for element `index`: a sign, one of the 16 binades [2⁻⁸, 2⁸) and 23 mantissa
 * bits, all from one hash of (seed, index). Counter-based, so every backend, chunking and thread
 * gives element i the same dy, and the CPU and GPU runs of a seed see the same (x, dy) pairs.
 */
NL_HD float accuracy_dy(uint64_t seed, uint64_t index) {
    uint64_t h = mix64(seed + index * MIX_GAMMA);
    uint32_t sign = (uint32_t) (h >> 63) << 31;
    uint32_t exponent = 119u + (uint32_t) ((h >> 23) & 15u);   // biased: 2^-8 .. 2^7
    uint32_t mantissa = (uint32_t) (h & 0x7fffffu);
    return bits_float(sign | exponent << 23 | mantissa);
}

/** The worst element seen: its error and index; err = −1 means none. */
struct Best {
    double err;
    long long index;
};

/** "No element yet": loses to every real one (errors are ≥ 0). */
NL_HD Best best_none() {
    Best b;
    b.err = -1.0;
    b.index = 0x7fffffffffffffffll;
    return b;
}

/** Whether (e, i) beats b: a larger error, or the same error at a smaller index. */
NL_HD bool better(double e, long long i, Best b) {
    return e > b.err || (e == b.err && i < b.index);
}

NL_HD Best best_of(Best a, Best b) {
    return better(b.err, b.index, a) ? b : a;
}

}  // namespace nonlin

#endif  // NONLIN_ACCURACY_CUH
