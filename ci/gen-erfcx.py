#!/usr/bin/env python3
"""Generates the erfc approximation shared by the Java (scalar and SIMD) and CUDA paths.

erfc(z) = exp(-z^2) * erfcx(z) for z >= 0, and erfc(z) = 2 - erfc(-z) below 0. erfcx (the scaled
complementary error function) is smooth on [0, inf); with the Moebius map t = (z - K)/(z + K) it
becomes an analytic function of t on [-1, 1), whose Chebyshev series converges geometrically.
We interpolate it at Chebyshev nodes in 50-digit arithmetic (mpmath), truncate the series where
the tail falls below 1e-16, and convert to monomial coefficients in t (they stay below 0.26 in
magnitude, so Horner's rule in double is well conditioned). One polynomial covers the whole
range: no branches, which suits SIMD lanes and GPU warps.

exp(-z^2) takes z^2 as the exact sum hi + lo (lo = fma(z, z, -hi)): exp(-hi)*(1 - lo). With z^2
rounded instead, exp(-z^2) would carry a relative error of z^2 * 2^-53 (1.5e-14 at z = 13).
Measured in double against mpmath (this script, --check, which emulates the Java and CUDA code):
relative error of erfc below 1.5e-15 on [-6, 13] and 3e-15 on [13, 26.5] (there the polynomial's
own ~1e-16 absolute error against erfcx ~ 0.02 dominates). GELU only needs z up to ~10.5: beyond it
x*Phi(x) underflows float.

Usage: python3 ci/gen-erfcx.py [--check]   (needs python3-mpmath)
       python3 ci/gen-erfcx.py --golden    the 50-digit table ScalarReferenceTest reads
                                           (src/test/resources/dev/nonlin/cpu/erfc-golden.csv)
       python3 ci/gen-erfcx.py --golden-gelu   the same for GELU(erf) and its derivative
                                           (src/test/resources/dev/nonlin/cpu/gelu-golden.csv)
"""
from fractions import Fraction
import math
import sys

import mpmath as mp

mp.mp.dps = 50
K = mp.mpf(4)     # the map's centre; 4 needed the fewest terms among K = 1..5
N = 80            # interpolation nodes


def erfcx(z):
    return mp.exp(z * z) * mp.erfc(z)


def chebyshev():
    nodes = [mp.cos(mp.pi * (j + mp.mpf(1) / 2) / N) for j in range(N)]
    vals = [erfcx(K * (1 + t) / (1 - t)) for t in nodes]
    c = []
    for k in range(N):
        s = sum(vals[j] * mp.cos(mp.pi * k * (j + mp.mpf(1) / 2) / N) for j in range(N))
        c.append(2 * s / N)
    c[0] /= 2
    tail, d = 0, N - 1
    for k in range(N - 1, -1, -1):
        tail += abs(c[k])
        if tail > 1e-16:
            d = k
            break
    return c[: d + 1]


def monomial(c):
    d = len(c) - 1
    T = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]
    for n in range(2, d + 1):
        a = [mp.mpf(0)] + [2 * v for v in T[n - 1]]
        b = T[n - 2] + [mp.mpf(0)] * (len(a) - len(T[n - 2]))
        T.append([x - y for x, y in zip(a, b)])
    m = [mp.mpf(0)] * (d + 1)
    for k in range(d + 1):
        for i, v in enumerate(T[k]):
            m[i] += c[k] * v
    return [float(v) for v in m]


def erfc_double(z, coef):
    if z < 0:
        return 2.0 - erfc_double(-z, coef)
    z = min(z, 30.0)
    t = (z - float(K)) / (z + float(K))
    r = 0.0
    for v in reversed(coef):
        r = r * t + v
    hi = z * z
    lo = float(Fraction(z) * Fraction(z) - Fraction(hi))   # fma(z, z, -hi): exact
    return math.exp(-hi) * (r - r * lo)


def golden():
    """z and erfc(z) to 25 digits: the polynomial's whole domain, evenly in t = (z - K)/(z + K)
    from t = -1 (z = 0) to z = 26.5, where erfc leaves the normal double range, plus the
    negative side (erfc = 2 - erfc(-z)) and a few special points."""
    zs = set()
    for i in range(161):
        t = -1 + i * (1.7377 / 160)
        zs.add(float(K * (1 + t) / (1 - t)))
    zs.update([0.0, 1e-300, 1e-10, 1e-3, 0.5, 1.0, 2.0, 4.0, 10.0, 26.5])
    zs.update(-z for z in [1e-10, 1e-3, 0.125, 0.5, 1.0, 2.0, 4.0, 6.0, 10.0, 27.0])
    print("# z, erfc(z): mpmath, 50-digit arithmetic, printed to 25 digits (ci/gen-erfcx.py --golden)")
    for z in sorted(zs):
        print("%r,%s" % (z, mp.nstr(mp.erfc(mp.mpf(z)), 25, min_fixed=1, max_fixed=0)))


def golden_gelu():
    """x, gelu(x) = x*Phi(x), gelu'(x) = Phi(x) + x*phi(x) and Phi(x) + |x|*phi(x) (the scale of the
    derivative's two terms, for an error measure that the root near x = -0.75 does not blow up),
    to 25 digits. x on a grid of 1/4 from -37 (where gelu is still a normal double) to 8, plus
    float inputs where the reference's rounding showed (x = -11.807917, the exhaustive run's
    worst) and small ones."""
    import struct
    xs = set(i / 4 for i in range(-148, 33))
    f32 = lambda v: struct.unpack("f", struct.pack("f", v))[0]
    xs.update(f32(v) for v in [-11.807917, -13.7, -9.3, -5.123, -1e-3, 1e-8, 0.3, 2.5e-20])
    print("# x, gelu(x), gelu'(x), Phi(x) + |x|*phi(x): mpmath, 50-digit arithmetic, 25 digits"
          " (ci/gen-erfcx.py --golden-gelu)")
    for x in sorted(xs):
        X = mp.mpf(x)
        cdf = mp.ncdf(X)
        pdf = mp.npdf(X)
        print("%r,%s,%s,%s" % (x, mp.nstr(X * cdf, 25, min_fixed=1, max_fixed=0),
                               mp.nstr(cdf + X * pdf, 25, min_fixed=1, max_fixed=0),
                               mp.nstr(cdf + abs(X) * pdf, 25, min_fixed=1, max_fixed=0)))


def main():
    if "--golden-gelu" in sys.argv:
        golden_gelu()
        return
    if "--golden" in sys.argv:
        golden()
        return
    coef = monomial(chebyshev())
    print("// erfcx(z) = P(t), t = (z - %g)/(z + %g); P has degree %d; generated by ci/gen-erfcx.py"
          % (float(K), float(K), len(coef) - 1))
    for v in coef:
        print("    %r," % v)
    if "--check" in sys.argv:
        for lo, hi in [(-6, 0), (0, 1), (1, 5), (5, 13), (13, 26.5)]:
            worst = 0
            for i in range(4000):
                z = lo + (hi - lo) * i / 4000
                ref = mp.erfc(z)
                worst = max(worst, abs((erfc_double(z, coef) - ref) / ref))
            print("// [%g, %g]: max relative error %.2e" % (lo, hi, float(worst)))


if __name__ == "__main__":
    main()
