// nonlin_math.cuh: the per-function math of the CUDA kernels, one __host__ __device__ functor
// per activation. The kernels (cuda/pointwise.cu, prelu.cu, softmax.cu, losses.cu, dense.cu) include it,
// and so does the host test driver (cuda/test/host_driver.cpp, built with g++ by
// KernelMathHostTest), so CI checks every formula the GPU runs without a GPU (DESIGN.md §4.2).
//
// Each functor mirrors dev.nonlin.cpu.Scalar function by function: the same stable forms, the
// same clamps, the same NaN/∞ conventions. The comment block above each one is the Javadoc of
// its record in dev.nonlin.Activation. Change a formula in all three places or none.
//
// ------------------------------------------------------------------------------------------
// Decision: the device math computes in DOUBLE, and rounds once to float.
//
//   Why. (1) The contract (forward ≤ 4 ULP, backward ≤ 8 ULP + 2⁻²³·|dy|) then holds by
//   construction: every stable form here is accurate to ~1e-14 relative or better in double,
//   so the only error that reaches a float result is the final rounding (≤ 0.5 ULP, plus a
//   rare double-rounding tie). A float implementation has no such margin: GELU(erf) alone
//   loses 50–170 ULP for x in [−13, −10] through the rounding of x/√2 (erfc's condition number
//   there is 2z² ≈ 100–170), so each function would need its own double-float tricks.
//   (2) The host test stays meaningful. In double, glibc's exp/expm1/log1p/tanh and CUDA's
//   (≤ 1–2 ULP of double) differ by ~1e-16, invisible after rounding to float, so the host
//   build of this file predicts the device results (KernelMathHostTest measured the host build
//   bit-identical to Java's reference rounded to float, on every forward input). In float,
//   glibc's expf (correctly rounded) and CUDA's expf (≤ 2 ULP) differ by whole float ULPs, and
//   a host test would check glibc instead of the GPU: a float path would have to carry its own
//   exp/log polynomials here, written with explicit fmaf, to keep host and device identical.
//   (3) It is the Java reference, line for line, which makes review and drift checks trivial.
//
//   The cost. Memory traffic does not change (float in, float out); only the ALU work does.
//   On the H200 (132 SMs × 64 FP64 lanes × ~1.98 GHz ≈ 16.7 T FP64 instructions/s against
//   4.3 TB/s, i.e. 5.4e11 elements/s forward and 3.6e11 backward) an elementwise kernel stays
//   memory-bound while it issues ≲ 31 FP64 instructions per element forward, ≲ 46 backward.
//   FP64-pipe instructions (DFMA/DADD/DMUL/DSETP/MUFU.RCP64H/F2F) per element, counted in the
//   sm_90 SASS of a one-element kernel, main path only (without the rarely taken slow paths of
//   division and exp), forward / backward. Static counts, so only a guide; measure on a GPU:
//     relu, relu6, hardtanh, leaky_relu, prelu, identity       0–4 / 3–4
//     hardsigmoid 12 / 3, hardswish 13 / 14, softsign 13 / 12
//     elu 25 / 23, selu 25 / 23, celu 34 / 32, sigmoid 31 / 34, tanh 40 / 35
//     silu/swish 36 / 53, gelu(tanh) 38 / 60, mish 34 / 77
//     gelu(erf) 63 / 87, logsigmoid 78 / 33, softplus 91 / 38   (erfc's division, polynomial
//       and exp; CUDA's double log1p is long)
//   So on the H200 the cheap functions, elu, selu and sigmoid should stay at the bandwidth;
//   tanh, celu, silu and gelu(tanh) come near it (75–100 %); gelu(erf), softplus, logsigmoid
//   and mish's backward are compute-bound at roughly 35–60 % of it, short of DESIGN.md §5's
//   85 % target. Consumer GPUs (sm_86/89/120: FP64 at 1/64 of FP32)
//   have a budget of ~5 FP64 instructions per element, so their transcendental functions run
//   5–20× below bandwidth (still well above the CPU). The levers, in order, all host-testable:
//   cheaper double kernels of our own in this header (exp and log1p to ~1e-13 instead of full
//   double precision need about half the terms; dividing by constants through multiplications;
//   a lower-degree erfcx on the range GELU uses), then, one functor at a time, a float algorithm
//   with its own exp/log written here with explicit fmaf, so that host and device stay
//   bit-identical (see (2)). The kernels, their names and KernelMathHostTest do not change.
//
// No fast-math: no __expf, no tanh.approx, no flush-to-zero. ci/build-ptx.sh never passes
// --use_fast_math, and double has no approximate instructions anyway. Division is IEEE.
// nvcc contracts a·b + c into fma on the device (--fmad=true, the default); in double this
// moves results by ~1e-16 relative and never creates an overflow or a NaN that the separate
// operations would not.
//
// Everything below is plain C++17: with g++ the shim turns __host__/__device__ into nothing.
// ------------------------------------------------------------------------------------------
#ifndef NONLIN_MATH_CUH
#define NONLIN_MATH_CUH

#ifndef __CUDACC__
#define __host__
#define __device__
#define __forceinline__ inline
#endif

#include <math.h>

#define NL_HD __host__ __device__ __forceinline__

#if defined(__CUDACC__)
#define NL_UNROLL _Pragma("unroll")
#else
#define NL_UNROLL
#endif

namespace nonlin {

// ------------------------------------------------------------------ constants (with provenance)

/** SELU λ (Klambauer et al. 2017, "Self-Normalizing Neural Networks", eq. 14). */
constexpr double SELU_LAMBDA = 1.0507009873554804934193349852946;
/** SELU α (Klambauer et al. 2017). */
constexpr double SELU_ALPHA = 1.6732632423543772848170429916717;
/** √(2/π), GELU's tanh form (Hendrycks & Gimpel 2016). */
constexpr double SQRT_2_OVER_PI = 0.7978845608028654;
/** The cubic coefficient of GELU's tanh form (Hendrycks & Gimpel 2016). */
constexpr double GELU_TANH_C = 0.044715;
/** 1/√2. */
constexpr double INV_SQRT2 = 0.7071067811865476;
/** 1/√(2π), the normal density's constant. */
constexpr double INV_SQRT_2PI = 0.3989422804014327;
/**
 * Mish's exp argument is clamped here: at x = 350, tanh(softplus(x)) = 1 in double and
 * n(n+2) = e^700 still fits, so 1 − t stays representable for the derivative.
 */
constexpr double MISH_CLAMP = 350.0;
/** GELU(erf): beyond ±40, Φ is 0 or 1 and x·φ(x) is 0 in double. */
constexpr double GELU_CLAMP = 40.0;
/** GELU(tanh): beyond ±20, σ(2u) is 0 or 1 to far below float resolution (2u ≈ ±603). */
constexpr double GELU_TANH_CLAMP = 20.0;

// ------------------------------------------------------------------ Java's semantics

/**
 * Math.max: NaN if either is NaN (fmax would drop the NaN and break "NaN in, NaN out"), and
 * max(−0, +0) = +0, so relu(−0) = +0 as in Java (signed zeros are outside the contract, but the
 * host test compares bits).
 */
NL_HD double jmax(double a, double b) {
    return a != a ? a : (b != b ? b : (a > b ? a : (a < b ? b : (signbit(a) ? b : a))));
}

/** Math.min: NaN if either is NaN, and min(+0, −0) = −0. */
NL_HD double jmin(double a, double b) {
    return a != a ? a : (b != b ? b : (a < b ? a : (a > b ? b : (signbit(b) ? b : a))));
}

/** Clamp with NaN passing through (both comparisons are false for NaN). */
NL_HD double clamp(double x, double lo, double hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

/** 1 for x > 0, 0 for x ≤ 0, NaN for NaN: the step that every kinked derivative uses. */
NL_HD double step(double x) {
    return x > 0 ? 1.0 : (x <= 0 ? 0.0 : NAN);
}

/** a where x is a number, NaN where it is NaN. */
NL_HD double keep_nan(double x, double a) {
    return x == x ? a : NAN;
}

/** v on the open interval (lo, hi), 0 at and beyond the bounds, NaN for NaN. */
NL_HD double inside_open(double x, double lo, double hi, double v) {
    return (x > lo && x < hi) ? v : keep_nan(x, 0.0);
}

// ------------------------------------------------------------------ building blocks

/** σ(z), branched on sign so that exp never overflows. */
NL_HD double sigmoid(double z) {
    double e = exp(-fabs(z));
    return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/** σ'(z) = σ(z)·σ(−z) = e/(1+e)², e = e^−|z|: no 1 − σ cancellation in the tails. */
NL_HD double sigmoid_prime(double z) {
    double e = exp(-fabs(z));
    double d = 1.0 + e;
    return e / (d * d);
}

// erfc(z) = e^(−z²)·erfcx(z) for z ≥ 0 and 2 − erfc(−z) below 0, with erfcx(z) = P(t),
// t = (z − 4)/(z + 4). P is one polynomial of degree 21 (Chebyshev interpolation of erfcx in
// 50-digit arithmetic, converted to monomials), generated by ci/gen-erfcx.py; the same table is
// dev.nonlin.cpu.Erfc.P, and KernelMathHostTest checks that the two agree bit for bit. One
// polynomial for the whole range: no branches, which suits warps. e^(−z²) takes z² as the exact
// sum hi + lo (lo from one fma, exact on the host and the device alike), as Erfc.erfc does:
// relative error in double below 1.5e-15 for z ≤ 13 and 3e-15 up to z = 26.5 (with z² rounded
// it would grow as z²·2⁻⁵³, to 1.5e-14 at z = 13).
// Monomial coefficients of P in t, constant term first.
#define NONLIN_ERFCX_P {                                                  \
        0.13699945762506144,                                              \
        -0.25906804876017253,                                             \
        0.21871967891825056,                                              \
        -0.16425781669723072,                                             \
        0.10896317739948265,                                              \
        -0.06310781564179457,                                             \
        0.03129905650959723,                                              \
        -0.012843946006388787,                                            \
        0.004060263697521198,                                             \
        -0.0007991269820253035,                                           \
        -2.1762070982657895e-05,                                          \
        7.898387349464188e-05,                                            \
        -2.2554989779435195e-05,                                          \
        -1.9050222714817373e-06,                                          \
        2.9425120241798613e-06,                                           \
        -4.056635568059823e-07,                                           \
        -2.8151058877876574e-07,                                          \
        9.286877001125978e-08,                                            \
        2.327422153358488e-08,                                            \
        -1.304361065835857e-08,                                           \
        -1.3648079797970761e-09,                                          \
        1.0747862261442003e-09,                                           \
    }
/** Number of coefficients in NONLIN_ERFCX_P (degree + 1). */
constexpr int ERFCX_TERMS = 22;
/** Centre of the map t = (z − K)/(z + K). */
constexpr double ERFCX_K = 4.0;

/** erfc(z) for any double z; NaN gives NaN. z is clamped to 30, where erfc underflows double. */
NL_HD double erfc_poly(double z) {
    // A local array, fully unrolled: the coefficients become immediates, no local memory.
    const double P[ERFCX_TERMS] = NONLIN_ERFCX_P;
    double a = jmin(fabs(z), 30.0);
    double t = (a - ERFCX_K) / (a + ERFCX_K);
    double p = P[ERFCX_TERMS - 1];
    NL_UNROLL
    for (int i = ERFCX_TERMS - 2; i >= 0; i--) {
        p = p * t + P[i];
    }
    double hi = a * a;
    double lo = fma(a, a, -hi);   // z² = hi + lo exactly; e^(−lo) = 1 − lo to double precision
    double r = exp(-hi) * (p - p * lo);
    return z < 0 ? 2.0 - r : r;
}

/** |x| beyond this gives e^(−x²/2) = 0 in double (e^−882), as erfc_poly's clamp at 30 does. */
constexpr double TWO_PHI_CLAMP = 42.0;

/**
 * e^(−x²/2) for |x| ≤ TWO_PHI_CLAMP (callers clamp), x² taken exactly as hi + lo (one fma):
 * e^(−hi/2)·(1 − lo/2). With x² rounded: up to x²/2·2⁻⁵³ relative (7.7e-15 at x = 11.8).
 * Erfc.halfSquareExp, operation for operation.
 */
NL_HD double half_square_exp(double x) {
    double hi = x * x;
    double lo = fma(x, x, -hi);
    return exp(-0.5 * hi) * (1.0 - 0.5 * lo);
}

/**
 * 2Φ(x) = erfc(−x/√2) for any double x (NaN gives NaN), for GELU: the polynomial at the rounded
 * |z| = |x|/√2 (erfcx is flat), the Gaussian factor e^(−z²) = e^(−x²/2) from x itself. Through
 * erfc_poly(−x·(1/√2)) the rounding of z would cost 2z² times its relative error, 1.8e-14 at
 * x = −11.8. Erfc.twoPhi, operation for operation.
 */
NL_HD double two_phi(double x) {
    const double P[ERFCX_TERMS] = NONLIN_ERFCX_P;
    double ax = jmin(fabs(x), TWO_PHI_CLAMP);
    double a = ax * INV_SQRT2;
    double t = (a - ERFCX_K) / (a + ERFCX_K);
    double p = P[ERFCX_TERMS - 1];
    NL_UNROLL
    for (int i = ERFCX_TERMS - 2; i >= 0; i--) {
        p = p * t + P[i];
    }
    double r = half_square_exp(ax) * p;
    return x > 0 ? 2.0 - r : r;
}

// ------------------------------------------------------------------ the functions
//
// Every functor has   forward(x, p0, p1)              f(x)
//                     derivative(x, p0, p1)           f'(x), PyTorch's conventions at kinks
// and, where the catalogue allows backward from the output,
//                     derivative_from_output(y, p0, p1)   f'(x) written in y = f(x).
// p0 and p1 are the record's p0()/p1(): the two floats every kernel takes, widened to double.
// Conventions shared by all (dev.nonlin.cpu.Scalar): NaN in gives NaN out, forward and
// backward; ±∞ gives the mathematical limit (inputs are clamped where a product would form
// ∞·0); dx is the IEEE product dy·f'(x), so an infinite dy where f' = 0 gives NaN.

// Logistic sigmoid.
//   y  = σ(x) = 1 / (1 + e^−x)
//   y' = y·(1 − y)
// Numerics: branched on sign (e = e^−|x|; x ≥ 0: 1/(1+e), else e/(1+e)) so exp never
// overflows; the derivative is e/(1+e)², which does not cancel in the tails.
struct Sigmoid {
    NL_HD static double forward(double x, double, double) { return sigmoid(x); }
    NL_HD static double derivative(double x, double, double) { return sigmoid_prime(x); }
    NL_HD static double derivative_from_output(double y, double, double) { return y * (1.0 - y); }
};

// Hyperbolic tangent.
//   y  = tanh x
//   y' = 1 − y²   (computed as 4e/(1+e)², e = e^−2|x|, which stays exact in the tails)
struct Tanh {
    NL_HD static double forward(double x, double, double) { return tanh(x); }
    NL_HD static double derivative(double x, double, double) {
        // 1 − tanh² = sech² = 4e/(1+e)², e = e^−2|x|; 1 − t² cancels once |x| > 9.
        double e = exp(-2.0 * fabs(x));
        double d = 1.0 + e;
        return 4.0 * e / (d * d);
    }
    NL_HD static double derivative_from_output(double y, double, double) { return 1.0 - y * y; }
};

// Rectified linear unit. y = max(x, 0), y' = [x > 0]; relu'(0) = 0 as in PyTorch. NaN
// propagates (a NaN-aware max, not a select).
struct Relu {
    NL_HD static double forward(double x, double, double) { return jmax(x, 0.0); }
    NL_HD static double derivative(double x, double, double) { return step(x); }
    NL_HD static double derivative_from_output(double y, double, double) { return step(y); }
};

// Leaky ReLU. y = x > 0 ? x : s·x, y' = x > 0 ? 1 : s; leaky_relu'(0) = s.
// Any finite slope; backward from the output needs s > 0. p0 = negative_slope.
struct LeakyRelu {
    NL_HD static double forward(double x, double p0, double) { return x > 0 ? x : p0 * x; }
    NL_HD static double derivative(double x, double p0, double) { return x > 0 ? 1.0 : keep_nan(x, p0); }
    NL_HD static double derivative_from_output(double y, double p0, double) {
        // slope > 0, so y > 0 exactly where x > 0.
        return y > 0 ? 1.0 : keep_nan(y, p0);
    }
};

// Exponential linear unit (Clevert et al. 2015). p0 = α.
//   y  = x > 0 ? x : α·(e^x − 1)      (expm1, so small |x| does not cancel)
//   y' = x > 0 ? 1 : α·e^x            elu'(0) = α, as in PyTorch
struct Elu {
    NL_HD static double forward(double x, double p0, double) { return x > 0 ? x : p0 * expm1(x); }
    NL_HD static double derivative(double x, double p0, double) { return x > 0 ? 1.0 : p0 * exp(x); }
    NL_HD static double derivative_from_output(double y, double p0, double) {
        // α > 0: for x ≤ 0, y = α(e^x − 1), so α·e^x = y + α.
        return y > 0 ? 1.0 : y + p0;
    }
};

// Scaled ELU (Klambauer et al. 2017), λ = 1.0507009873554804934193349852946,
// α = 1.6732632423543772848170429916717.
//   y  = λ·(x > 0 ? x : α·(e^x − 1))
//   y' = λ·(x > 0 ? 1 : α·e^x)         selu'(0) = λα
struct Selu {
    NL_HD static double forward(double x, double, double) {
        return SELU_LAMBDA * (x > 0 ? x : SELU_ALPHA * expm1(x));
    }
    NL_HD static double derivative(double x, double, double) {
        return SELU_LAMBDA * (x > 0 ? 1.0 : SELU_ALPHA * exp(x));
    }
    NL_HD static double derivative_from_output(double y, double, double) {
        return y > 0 ? SELU_LAMBDA : y + SELU_LAMBDA * SELU_ALPHA;
    }
};

// Continuously differentiable ELU (Barron 2017). p0 = α, finite and non-zero.
//   y  = max(0, x) + min(0, α·(e^(x/α) − 1))
//   y' = x > 0 ? 1 : e^(x/α)           celu'(0) = 1
struct Celu {
    NL_HD static double forward(double x, double p0, double) {
        // max(0,x) + min(0, α(e^(x/α) − 1)) reduces to this for either sign of α.
        return x > 0 ? x : p0 * expm1(x / p0);
    }
    NL_HD static double derivative(double x, double p0, double) { return x > 0 ? 1.0 : exp(x / p0); }
    NL_HD static double derivative_from_output(double y, double p0, double) {
        // α > 0: e^(x/α) = y/α + 1.
        return y > 0 ? 1.0 : y / p0 + 1.0;
    }
};

// Gaussian error linear unit (Hendrycks & Gimpel 2016), exact form.
//   y  = x·Φ(x) = ½·x·erfc(−x/√2)          y' = Φ(x) + x·φ(x)
// Numerics: erfc, not 1 + erf, which cancels below x ≈ −5; e^(−x²/2) from x, not from the
// rounded x/√2 (two_phi). gelu(−∞) = 0 (PyTorch gives NaN).
struct Gelu {
    NL_HD static double forward(double x, double, double) {
        double c = jmax(x, -GELU_CLAMP);
        return 0.5 * c * two_phi(c);
    }
    NL_HD static double derivative(double x, double, double) {
        // Φ(x) + x·φ(x); clamped so that ±∞ gives 0 and 1 instead of ∞·0.
        double c = clamp(x, -GELU_CLAMP, GELU_CLAMP);
        double cdf = 0.5 * two_phi(c);
        double pdf = INV_SQRT_2PI * half_square_exp(c);
        return cdf + c * pdf;
    }
};

// Gaussian error linear unit, tanh approximation (Hendrycks & Gimpel 2016).
//   y  = x·σ(2u), u = √(2/π)·(x + 0.044715·x³)
//   y' = σ(2u) + x·σ(2u)·(1 − σ(2u))·2u'
// Numerics: x·σ(2u), not ½x(1 + tanh u), which cancels for x < 0. gelu(−∞) = 0.
struct GeluTanh {
    NL_HD static double forward(double x, double, double) {
        double c = jmax(x, -GELU_TANH_CLAMP);
        double u = SQRT_2_OVER_PI * (c + GELU_TANH_C * c * c * c);
        return c * sigmoid(2.0 * u);
    }
    NL_HD static double derivative(double x, double, double) {
        // y = x·s, s = σ(2u):  y' = s + x·σ'(2u)·2u',  u' = √(2/π)(1 + 3·0.044715·x²)
        double c = clamp(x, -GELU_TANH_CLAMP, GELU_TANH_CLAMP);
        double u = SQRT_2_OVER_PI * (c + GELU_TANH_C * c * c * c);
        double du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_C * c * c);
        return sigmoid(2.0 * u) + c * sigmoid_prime(2.0 * u) * 2.0 * du;
    }
};

// Swish (Ramachandran et al. 2017); SiLU is β = 1 (Elfwing et al. 2017). p0 = β.
//   y  = x·s,  s = σ(βx)
//   y' = s + β·y·(1 − s)
// Numerics: σ branched on sign; at x = −∞, y = 0 (the limit), not NaN.
struct Swish {
    NL_HD static double forward(double x, double p0, double) {
        // σ underflows to 0 only where x·σ(βx) is below float range anyway, so returning 0
        // there gives the limit at x = −∞ instead of ∞·0 = NaN.
        double s = sigmoid(p0 == 0 ? 0.0 : p0 * x);
        return s == 0 ? 0.0 : x * s;
    }
    NL_HD static double derivative(double x, double p0, double) {
        // y' = s + βx·σ'(βx); σ'(βx) = 0 only where βx·σ'(βx) is 0 in double too.
        // β = 0: z = 0 even for x = ±∞ (not 0·∞), but NaN stays NaN.
        double z = p0 == 0 ? keep_nan(x, 0.0) : p0 * x;
        double ds = sigmoid_prime(z);
        return sigmoid(z) + (ds == 0 ? 0.0 : z * ds);
    }
};

// Mish (Misra 2019).
//   y  = x·tanh(softplus(x)) = x·t,  t = n(n+2) / (n(n+2) + 2),  n = e^x
//   y' = t + x·σ(x)·(1 − t²)
// Numerics: one exp; for x > 20, t = 1 to double precision. mish(−∞) = 0.
struct Mish {
    NL_HD static double forward(double x, double, double) {
        // tanh(softplus(x)) = n(n+2)/(n(n+2)+2), n = e^x: one exp instead of exp, log1p, tanh.
        double n = exp(jmin(x, MISH_CLAMP));
        double a = n * (n + 2.0);
        double t = a / (a + 2.0);
        return t == 0 ? 0.0 : x * t;
    }
    NL_HD static double derivative(double x, double, double) {
        // y' = t + x·σ(x)·(1 − t²), with 1 − t = 2/(n(n+2)+2) exact, so no cancellation.
        if (x > MISH_CLAMP) {
            return 1.0;
        }
        double n = exp(x);
        double a = n * (n + 2.0);
        double d = a + 2.0;
        double t = a / d;
        double sech2 = (2.0 / d) * (1.0 + t);
        double q = sigmoid(x) * sech2;
        return t + (q == 0 ? 0.0 : x * q);
    }
};

// Softplus. Linear when β·x > threshold (tested on the input, as PyTorch does).
// p0 = β (positive, finite), p1 = threshold (finite).
//   y  = (1/β)·log(1 + e^(βx)) = (max(βx, 0) + log1p(e^−|βx|)) / β
//   y' = σ(βx)
struct Softplus {
    NL_HD static double forward(double x, double p0, double p1) {
        double z = p0 * x;
        if (z > p1) {
            return x;
        }
        return (jmax(z, 0.0) + log1p(exp(-fabs(z)))) / p0;
    }
    NL_HD static double derivative(double x, double p0, double p1) {
        double z = p0 * x;
        return z > p1 ? 1.0 : sigmoid(z);
    }
};

// Hard tanh: clamp(x, min_val, max_val); y' = 1 strictly inside, 0 at and beyond the bounds
// (PyTorch). NaN propagates. p0 = min_val, p1 = max_val.
struct Hardtanh {
    NL_HD static double forward(double x, double p0, double p1) { return clamp(x, p0, p1); }
    NL_HD static double derivative(double x, double p0, double p1) { return inside_open(x, p0, p1, 1.0); }
};

// ReLU6: clamp(x, 0, 6); y' = 1 on (0, 6), 0 at both bounds.
struct Relu6 {
    NL_HD static double forward(double x, double, double) { return clamp(x, 0.0, 6.0); }
    NL_HD static double derivative(double x, double, double) { return inside_open(x, 0.0, 6.0, 1.0); }
};

// Hard sigmoid: relu6(x + 3)/6; y' = 1/6 on (−3, 3), 0 at ±3.
struct Hardsigmoid {
    NL_HD static double forward(double x, double, double) {
        // (x + 3)/6, not x/6 + ½: x + 3 is exact, where x/6 + ½ cancels a rounded x/6 near −3
        return x <= -3 ? 0.0 : (x >= 3 ? 1.0 : (x + 3.0) / 6.0);
    }
    NL_HD static double derivative(double x, double, double) { return inside_open(x, -3.0, 3.0, 1.0 / 6.0); }
};

// Hard swish (Howard et al. 2019): x·relu6(x + 3)/6. y' = 0 for x < −3, x/3 + ½ on [−3, 3],
// 1 above: PyTorch's convention, so y'(−3) = −½ and y'(3) = 1.5.
struct Hardswish {
    NL_HD static double forward(double x, double, double) {
        return x <= -3 ? 0.0 : (x >= 3 ? x : x * (x + 3.0) / 6.0);
    }
    NL_HD static double derivative(double x, double, double) {
        // PyTorch: 0 below −3, x/3 + ½ on [−3, 3] (both ends included), 1 above.
        return x < -3 ? 0.0 : (x <= 3 ? x / 3.0 + 0.5 : keep_nan(x, 1.0));
    }
};

// Softsign: y = x/(1 + |x|), y' = 1/(1 + |x|)². softsign(±∞) = ±1 (not ∞/∞).
struct Softsign {
    NL_HD static double forward(double x, double, double) {
        return isinf(x) ? copysign(1.0, x) : x / (1.0 + fabs(x));
    }
    NL_HD static double derivative(double x, double, double) {
        double d = 1.0 + fabs(x);
        return 1.0 / (d * d);
    }
};

// Log-sigmoid: y = log σ(x) = min(x, 0) − log1p(e^−|x|), y' = σ(−x).
struct LogSigmoid {
    NL_HD static double forward(double x, double, double) {
        // log σ(x) = −softplus(−x), in the stable form.
        return jmin(x, 0.0) - log1p(exp(-fabs(x)));
    }
    NL_HD static double derivative(double x, double, double) { return sigmoid(-x); }
};

// Identity: y = x, y' = 1. The linear baseline.
struct Identity {
    NL_HD static double forward(double x, double, double) { return x; }
    NL_HD static double derivative(double x, double, double) { return keep_nan(x, 1.0); }
    NL_HD static double derivative_from_output(double y, double, double) { return keep_nan(y, 1.0); }
};

// Parametric ReLU (He et al. 2015) with a learned α: y = x > 0 ? x : α·x,
// dx = dy·(x > 0 ? 1 : α), dα = Σ dy·(x > 0 ? 0 : x). p0 = α: the record's init through the
// generic pointwise kernels, α[c] of the channel in cuda/prelu.cu.
struct PRelu {
    NL_HD static double forward(double x, double p0, double) { return x > 0 ? x : p0 * x; }
    NL_HD static double derivative(double x, double p0, double) { return x > 0 ? 1.0 : keep_nan(x, p0); }
    /** One term of dα = Σ dy·(x > 0 ? 0 : x): NaN in x or dy reaches the sum. */
    NL_HD static double dalpha_term(double x, double dy) { return x > 0 ? 0.0 : x * dy; }
};

// ------------------------------------------------------------------ the catalogue, as a list
//
// X(OP, kernel_name, Functor, from_output), in the order of dev.nonlin.Activation.Kind (the op
// code is the Kind's ordinal; KernelMathHostTest checks names, order and the from_output flags).
// Adding an elementwise function: its functor above, one line here, and its Kind in Java.
// cuda/pointwise.cu instantiates <kernel_name>_forward_f32, _backward_f32 and, where
// from_output is 1, _backward_from_output_f32 from this list.
#define NONLIN_ELEMENTWISE(X)                            \
    NONLIN_ELEMENTWISE_FIXED(X)                          \
    X(PRELU,       prelu,       PRelu,       0)

// The same list without PReLU: the functions whose parameters are fixed hyper-parameters. PReLU's
// α is learned, and the dense layer's fused epilogue (cuda/dense.cu) gives no dα, so
// Backend.biasActivation* rejects it and no epilogue kernel is made for it.
#define NONLIN_ELEMENTWISE_FIXED(X)                      \
    X(SIGMOID,     sigmoid,     Sigmoid,     1)          \
    X(TANH,        tanh,        Tanh,        1)          \
    X(RELU,        relu,        Relu,        1)          \
    X(LEAKY_RELU,  leaky_relu,  LeakyRelu,   1)          \
    X(ELU,         elu,         Elu,         1)          \
    X(SELU,        selu,        Selu,        1)          \
    X(CELU,        celu,        Celu,        1)          \
    X(GELU,        gelu,        Gelu,        0)          \
    X(GELU_TANH,   gelu_tanh,   GeluTanh,    0)          \
    X(SWISH,       swish,       Swish,       0)          \
    X(MISH,        mish,        Mish,        0)          \
    X(SOFTPLUS,    softplus,    Softplus,    0)          \
    X(HARDTANH,    hardtanh,    Hardtanh,    0)          \
    X(RELU6,       relu6,       Relu6,       0)          \
    X(HARDSIGMOID, hardsigmoid, Hardsigmoid, 0)          \
    X(HARDSWISH,   hardswish,   Hardswish,   0)          \
    X(SOFTSIGN,    softsign,    Softsign,    0)          \
    X(LOGSIGMOID,  logsigmoid,  LogSigmoid,  0)          \
    X(IDENTITY,    identity,    Identity,    1)

/** Op codes: the ordinals of dev.nonlin.Activation.Kind. The row-wise ones come last. */
enum class Op : int {
#define NL_OP_ENUM(OP, name, F, fo) OP,
    NONLIN_ELEMENTWISE(NL_OP_ENUM)
#undef NL_OP_ENUM
    SOFTMAX,
    LOG_SOFTMAX,
    COUNT
};

// ------------------------------------------------------------------ per element, in float
//
// What a kernel computes for one element: widen to double, evaluate, round once to float.
// The kernels call exactly these, so the host test checks the kernels' arithmetic, rounding
// included.

/** y = f(x). */
template <class F>
NL_HD float forward_f32(float x, float p0, float p1) {
    return (float) F::forward((double) x, (double) p0, (double) p1);
}

/** dx = dy·f'(x), the product in double (as Scalar.backward). */
template <class F>
NL_HD float backward_f32(float x, float dy, float p0, float p1) {
    return (float) ((double) dy * F::derivative((double) x, (double) p0, (double) p1));
}

/** dx = dy·f'(x) with f' written in y = f(x). */
template <class F>
NL_HD float backward_from_output_f32(float y, float dy, float p0, float p1) {
    return (float) ((double) dy * F::derivative_from_output((double) y, (double) p0, (double) p1));
}

// ------------------------------------------------------------------ dispatch, for host tests
//
// A switch over the op code, for the host driver and for tools. Kernels never use it: they are
// instantiated per functor (cuda/pointwise.cu), so no per-element switch runs on the GPU.
// Unknown op codes and the row-wise ones give NaN.

#define NL_CASE_FORWARD(OP, name, F, fo) case Op::OP: return F::forward(x, p0, p1);
#define NL_CASE_DERIVATIVE(OP, name, F, fo) case Op::OP: return F::derivative(x, p0, p1);
#define NL_CASE_FROM_OUTPUT_0(OP, F)
#define NL_CASE_FROM_OUTPUT_1(OP, F) case Op::OP: return F::derivative_from_output(y, p0, p1);
#define NL_CASE_FROM_OUTPUT(OP, name, F, fo) NL_CASE_FROM_OUTPUT_##fo(OP, F)
#define NL_CASE_FORWARD_F32(OP, name, F, fo) case Op::OP: return forward_f32<F>(x, p0, p1);
#define NL_CASE_BACKWARD_F32(OP, name, F, fo) case Op::OP: return backward_f32<F>(x, dy, p0, p1);
#define NL_CASE_BACKWARD_FROM_OUTPUT_F32_0(OP, F)
#define NL_CASE_BACKWARD_FROM_OUTPUT_F32_1(OP, F) case Op::OP: return backward_from_output_f32<F>(y, dy, p0, p1);
#define NL_CASE_BACKWARD_FROM_OUTPUT_F32(OP, name, F, fo) NL_CASE_BACKWARD_FROM_OUTPUT_F32_##fo(OP, F)

/** f(x) in double. */
__host__ __device__ inline double nonlin_forward(Op op, double p0, double p1, double x) {
    switch (op) {
        NONLIN_ELEMENTWISE(NL_CASE_FORWARD)
        default: return NAN;
    }
}

/** f'(x) in double. */
__host__ __device__ inline double nonlin_derivative(Op op, double p0, double p1, double x) {
    switch (op) {
        NONLIN_ELEMENTWISE(NL_CASE_DERIVATIVE)
        default: return NAN;
    }
}

/** f'(x) written in y = f(x); NaN for the functions that have no such form. */
__host__ __device__ inline double nonlin_derivative_from_output(Op op, double p0, double p1, double y) {
    switch (op) {
        NONLIN_ELEMENTWISE(NL_CASE_FROM_OUTPUT)
        default: return NAN;
    }
}

/** Whether op has a backward from the output (the list's flag). */
__host__ __device__ inline bool nonlin_has_from_output(Op op) {
#define NL_CASE_HAS_FROM_OUTPUT(OP, name, F, fo) case Op::OP: return fo != 0;
    switch (op) {
        NONLIN_ELEMENTWISE(NL_CASE_HAS_FROM_OUTPUT)
        default: return false;
    }
#undef NL_CASE_HAS_FROM_OUTPUT
}

/** What the forward kernel stores for x. */
__host__ __device__ inline float nonlin_forward_f32(Op op, float p0, float p1, float x) {
    switch (op) {
        NONLIN_ELEMENTWISE(NL_CASE_FORWARD_F32)
        default: return NAN;
    }
}

/** What the backward kernel stores for x and dy. */
__host__ __device__ inline float nonlin_backward_f32(Op op, float p0, float p1, float x, float dy) {
    switch (op) {
        NONLIN_ELEMENTWISE(NL_CASE_BACKWARD_F32)
        default: return NAN;
    }
}

/** What the backward-from-output kernel stores for y and dy; NaN where there is none. */
__host__ __device__ inline float nonlin_backward_from_output_f32(Op op, float p0, float p1, float y, float dy) {
    switch (op) {
        NONLIN_ELEMENTWISE(NL_CASE_BACKWARD_FROM_OUTPUT_F32)
        default: return NAN;
    }
}

#undef NL_CASE_FORWARD
#undef NL_CASE_DERIVATIVE
#undef NL_CASE_FROM_OUTPUT_0
#undef NL_CASE_FROM_OUTPUT_1
#undef NL_CASE_FROM_OUTPUT
#undef NL_CASE_FORWARD_F32
#undef NL_CASE_BACKWARD_F32
#undef NL_CASE_BACKWARD_FROM_OUTPUT_F32_0
#undef NL_CASE_BACKWARD_FROM_OUTPUT_F32_1
#undef NL_CASE_BACKWARD_FROM_OUTPUT_F32

// ------------------------------------------------------------------ softmax and log_softmax
//
//   softmax:      y_i = e^(x_i − m) / (1 + r),   m = max x,  r = Σ_{j≠a} e^(x_j − m),  a = argmax
//   log_softmax:  y_i = (x_i − m) − log1p(r)
//   backward:     softmax      dx = y ⊙ (dy − Σ dy ⊙ y)
//                 log_softmax  dx = dy − e^y · Σ dy
//
// Numerics (dev.nonlin.cpu.Rows): the max is subtracted, so exp never overflows; summing the
// non-maximal terms apart lets log_softmax use log1p(r), since log(1 + r) rounds to 0 once
// r < 1e-16 and would lose y of the dominant entry. A kernel computes the row in passes, each
// one an associative reduction (so warps and blocks may split it):
//   1. m  = max x_i                   NaN-aware: m is NaN iff the row has a NaN
//   2. c  = #{i : x_i = m},  s = Σ_{x_i < m} e^(x_i − m)
//      then r = (c − 1) + s, which is Rows' "every entry but the first argmax" (ties add 1 each)
//      without needing the argmax's index.
//   3. y_i from (m, k), k = row_scale(...)
// Special rows, as Rows: a NaN makes its row NaN; −∞ entries get probability 0; a row of all
// −∞ gives all zeros for softmax and all −∞ for log_softmax ("safe softmax"); +∞ entries share
// the mass equally (the limit), and then c counts them.

/** Pass 1: combine two partial maxima (NaN wins). The identity is −∞. */
NL_HD double row_max(double a, double b) {
    return jmax(a, b);
}

/** Pass 2: does x count as a maximal entry (c)? */
NL_HD double row_is_max(double x, double m) {
    return x == m ? 1.0 : 0.0;
}

/** Pass 2: x's term of s = Σ_{x < m} e^(x − m) (0 for the maximal entries). */
NL_HD double row_exp_term(double x, double m) {
    return x < m ? exp(x - m) : 0.0;
}

/**
 * The per-row constant that pass 3 needs: softmax 1/(1 + r), log_softmax log1p(r); where the
 * maximum is +∞, 1/c or −log c. Unused (0) for NaN and all-−∞ rows.
 */
NL_HD double row_scale(bool log_softmax, double m, double c, double s) {
    if (m != m || m == -INFINITY) {
        return 0.0;
    }
    if (m == INFINITY) {
        return log_softmax ? -log(c) : 1.0 / c;
    }
    double r = (c - 1.0) + s;
    return log_softmax ? log1p(r) : 1.0 / (1.0 + r);
}

/** Pass 3: y_i in double, from the row's max m and scale k. */
NL_HD double row_y(bool log_softmax, double m, double k, double x) {
    if (m != m) {
        return NAN;
    }
    if (m == -INFINITY) {
        return log_softmax ? -INFINITY : 0.0;
    }
    if (m == INFINITY) {
        return x == INFINITY ? k : (log_softmax ? -INFINITY : 0.0);
    }
    return log_softmax ? (x - m) - k : exp(x - m) * k;
}

/** Backward: one term of the row's reduction: softmax Σ dy·y, log_softmax Σ dy. */
NL_HD double row_dot_term(bool log_softmax, double y, double dy) {
    return log_softmax ? dy : dy * y;
}

/** Backward: dx_i from y_i (double, or the float output widened), dy_i and the reduction. */
NL_HD double row_dx(bool log_softmax, double y, double dy, double dot) {
    return log_softmax ? dy - exp(y) * dot : y * (dy - dot);
}

// ------------------------------------------------------------------ losses
//
// The per-element terms and gradients of the elementwise losses, and the pieces of one
// softmax cross-entropy row, mirroring dev.nonlin.cpu.LossMath function by function (the
// formulas and their numerics are documented there and on the records of dev.nonlin.Loss).
// z: input (prediction, probability or logit), t: target, p0: pos_weight (bce_with_logits).
// The reductions (fixed chunks, fixed order, in double) are in cuda/losses.cu.

/** PyTorch's clamp of log p and log(1 − p) in binary_cross_entropy (aten/src/ATen/native/Loss.cpp). */
constexpr double BCE_LOG_MIN = -100.0;
/** PyTorch's lower bound on p·(1 − p) in binary_cross_entropy's gradient (EPSILON in Loss.cpp). */
constexpr double BCE_GRAD_EPS = 1e-12;

/** softplus(u) = max(u, 0) + log1p(e^−|u|): never overflows; softplus(−∞) = 0; NaN stays NaN. */
NL_HD double softplus_stable(double u) {
    return jmax(u, 0.0) + log1p(exp(-fabs(u)));
}

/** c·v, but 0 where the weight c is 0: a term that does not count cannot make ∞·0 = NaN. */
NL_HD double weighted(double c, double v) {
    return c == 0 ? 0.0 : c * v;
}

// Mean squared error: ℓ = (z − t)², ∂ℓ/∂z = 2(z − t). z − t of two floats is exact in double.
struct MseLoss {
    NL_HD static double term(double z, double t, double) {
        double d = z - t;
        return d * d;
    }
    NL_HD static double gradient(double z, double t, double) { return 2.0 * (z - t); }
};

// Binary cross-entropy on probabilities (PyTorch's clamps):
//   ℓ = −(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100))   (log(1 − p) with 1 − p's rounding put back)
//   ∂ℓ/∂p = (p − t) / max(p(1 − p), 1e-12)        NaN for p outside [0, 1] (PyTorch raises)
struct BceLoss {
    NL_HD static double term(double z, double t, double) {
        double lp = jmax(log(z), BCE_LOG_MIN);
        // log(1 − p) = log q + e/q, e = (1 − q) − p the rounding error of q = 1 − p (Fast2Sum):
        // below p = 2^-53, log q alone is 0 (LossMath.log1mp)
        double q = 1.0 - z;
        double lq = jmax(log(q) + ((1.0 - q) - z) / jmax(q, 2.2250738585072014e-308), BCE_LOG_MIN);
        return -(t * lp + (1.0 - t) * lq);
    }
    NL_HD static double gradient(double z, double t, double) {
        if (!(z >= 0.0 && z <= 1.0)) {
            return NAN;
        }
        return (z - t) / jmax(z * (1.0 - z), BCE_GRAD_EPS);
    }
};

// Binary cross-entropy on logits with pos_weight w = p0:
//   ℓ = w·t·softplus(−z) + (1 − t)·softplus(z)        (two non-negative terms: no cancellation)
//   ∂ℓ/∂z = (1 − t)·σ(z) − w·t·σ(−z)                  (exact in the tails, unlike σ(z) − t)
struct BceWithLogitsLoss {
    NL_HD static double term(double z, double t, double p0) {
        return weighted(p0 * t, softplus_stable(-z)) + weighted(1.0 - t, softplus_stable(z));
    }
    NL_HD static double gradient(double z, double t, double p0) {
        return (1.0 - t) * sigmoid(z) - p0 * t * sigmoid(-z);
    }
};

// Softmax cross-entropy, one row of C = cols logits, target class t, ε = label_smoothing:
//   m = max z,  c = #{z_j = m},  s = Σ_{z_j < m} e^(z_j − m),  r = (c − 1) + s
//   ℓ = log1p(r) − (1 − ε)(z_t − m) − (ε/C)·Σ_j (z_j − m)
//   ∂ℓ/∂z_j = p_j − ε/C − (1 − ε)[j = t],  p_j = e^(z_j − m)·k,  k = 1/(1 + r)
// The passes are softmax's (row_max, row_is_max, row_exp_term above) plus Σ(z_j − m) and
// z_t − m. A row whose max is NaN or ±∞ is NaN (as PyTorch's log_softmax there).

/** ℓ of a row from its statistics; terms with a zero weight add 0. */
NL_HD double ce_loss(double m, double r, double ztm, double sum_zm, double eps, double cols) {
    if (m != m || isinf(m)) {
        return NAN;
    }
    return log1p(r) - weighted(1.0 - eps, ztm) - weighted(eps / cols, sum_zm);
}

/**
 * ∂ℓ/∂z_j. For the target at the max (p_t = k), p_t − 1 = −r·k exactly, so a confident, correct
 * row keeps its small gradient. target_at_max: j is the target and z_t = m.
 */
NL_HD double ce_gradient(double v, double m, double k, double r, bool is_target, bool target_at_max, double eps,
                         double cols) {
    if (m != m || isinf(m)) {
        return NAN;
    }
    double u = eps / cols;
    if (target_at_max) {
        return (-r * k + eps) - u;
    }
    double p = exp(v - m) * k;
    return is_target ? (p - (1.0 - eps)) - u : p - u;
}

/** Loss op codes: the ordinals of dev.nonlin.Loss.Kind (KernelMathHostTest checks them). */
#define NONLIN_LOSSES(X)                                              \
    X(MSE,             mse,             MseLoss)                      \
    X(BCE,             bce,             BceLoss)                      \
    X(BCE_WITH_LOGITS, bce_with_logits, BceWithLogitsLoss)

enum class LossOp : int {
#define NL_LOSS_ENUM(OP, name, L) OP,
    NONLIN_LOSSES(NL_LOSS_ENUM)
#undef NL_LOSS_ENUM
    SOFTMAX_CROSS_ENTROPY,
    COUNT
};

/** ℓ(z, t) for host tests; NaN for unknown or row-wise ops. */
__host__ __device__ inline double nonlin_loss_term(LossOp op, double p0, double z, double t) {
#define NL_CASE_LOSS_TERM(OP, name, L) case LossOp::OP: return L::term(z, t, p0);
    switch (op) {
        NONLIN_LOSSES(NL_CASE_LOSS_TERM)
        default: return NAN;
    }
#undef NL_CASE_LOSS_TERM
}

/** ∂ℓ/∂z for host tests; NaN for unknown or row-wise ops. */
__host__ __device__ inline double nonlin_loss_gradient(LossOp op, double p0, double z, double t) {
#define NL_CASE_LOSS_GRAD(OP, name, L) case LossOp::OP: return L::gradient(z, t, p0);
    switch (op) {
        NONLIN_LOSSES(NL_CASE_LOSS_GRAD)
        default: return NAN;
    }
#undef NL_CASE_LOSS_GRAD
}

// ------------------------------------------------------------------ optimizers
//
// One step of dev.nonlin.Optimizer's rules for one element, the twin of
// dev.nonlin.cpu.OptimizerMath (formulas in the Javadoc of Optimizer.Sgd and Optimizer.Adam).
// Unlike the activations, this is FLOAT arithmetic, one rounding per operation, in Java's order,
// so that the CPU and CUDA backends agree to the bit: every multiply and add goes through
// fmul_rn/fadd_rn, which are __fmul_rn/__fadd_rn on the device. Those intrinsics are what stop
// nvcc from contracting m·b + c into one fma (it does so by default, and a contracted step
// differs from Java's in the last bit); division and square root are IEEE (__fdiv_rn,
// __fsqrt_rn), as Java's are. On the host the helpers are the plain operators, and the host
// builds pass -ffp-contract=off so that g++ keeps them apart too.
// Adam's bias corrections c1 = 1 − β₁ᵗ and c2 = 1 − β₂ᵗ come from the host, computed once per
// step in double and rounded to float, exactly as OptimizerMath computes them.

#if defined(__CUDA_ARCH__)
NL_HD float fmul_rn(float a, float b) { return __fmul_rn(a, b); }
NL_HD float fadd_rn(float a, float b) { return __fadd_rn(a, b); }
NL_HD float fsub_rn(float a, float b) { return __fsub_rn(a, b); }
NL_HD float fdiv_rn(float a, float b) { return __fdiv_rn(a, b); }
NL_HD float fsqrt_rn(float a) { return __fsqrt_rn(a); }
#else
NL_HD float fmul_rn(float a, float b) { return a * b; }
NL_HD float fadd_rn(float a, float b) { return a + b; }
NL_HD float fsub_rn(float a, float b) { return a - b; }
NL_HD float fdiv_rn(float a, float b) { return a / b; }
/** sqrtf is correctly rounded (IEEE 754), and so is Java's (float) Math.sqrt(float): 53 ≥ 2·24 + 2. */
NL_HD float fsqrt_rn(float a) { return sqrtf(a); }
#endif

/** g + λ·w, or g itself when λ = 0 (so that an infinite w cannot turn 0·w into NaN). */
NL_HD float decayed_gradient(float g, float w, float weight_decay) {
    return weight_decay == 0.0f ? g : fadd_rn(g, fmul_rn(weight_decay, w));
}

/**
 * SGD with heavy-ball momentum μ and L2 decay λ (PyTorch's SGD, dampening 0, not Nesterov):
 *   g ← g + λ·w;  v ← μ·v + g (only with a velocity m);  w ← w − lr·v
 * m: the velocity, or null without momentum (μ = 0: then it is neither read nor written).
 */
NL_HD void sgd_update(float& w, float g, float* m, float lr, float momentum, float weight_decay) {
    float gi = decayed_gradient(g, w, weight_decay);
    if (m != nullptr) {
        gi = fadd_rn(fmul_rn(momentum, *m), gi);
        *m = gi;
    }
    w = fsub_rn(w, fmul_rn(lr, gi));
}

/**
 * Adam (Kingma & Ba 2015), PyTorch's form with L2 decay λ:
 *   g ← g + λ·w
 *   m ← β₁·m + (1 − β₁)·g
 *   v ← β₂·v + (1 − β₂)·g²
 *   w ← w − lr · (m / c1) / (√(v / c2) + ε),   c1 = 1 − β₁ᵗ, c2 = 1 − β₂ᵗ (from the host)
 */
NL_HD void adam_update(float& w, float g, float& m, float& v, float lr, float beta1, float beta2, float eps,
                       float weight_decay, float c1, float c2) {
    float gi = decayed_gradient(g, w, weight_decay);
    float mi = fadd_rn(fmul_rn(beta1, m), fmul_rn(fsub_rn(1.0f, beta1), gi));
    float vi = fadd_rn(fmul_rn(beta2, v), fmul_rn(fsub_rn(1.0f, beta2), fmul_rn(gi, gi)));
    m = mi;
    v = vi;
    float denom = fadd_rn(fsqrt_rn(fdiv_rn(vi, c2)), eps);
    w = fsub_rn(w, fmul_rn(lr, fdiv_rn(fdiv_rn(mi, c1), denom)));
}

}  // namespace nonlin

#endif  // NONLIN_MATH_CUH
