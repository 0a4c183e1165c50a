// kernel_emu.cpp: runs the real kernels of cuda/*.cu on the CPU through cuda_host_emu.h and
// checks their launch logic, which the host driver (per-element math) does not reach:
//   - pointwise: every kernel of the list, sizes around the float4 width, misaligned pointers
//     (the scalar path), grids smaller than the data (the grid-stride loop), in place; the
//     result must equal the per-element function bit for bit, and nothing outside [0, n) may be
//     written;
//   - softmax/log_softmax: warp-per-row (cols <= 1024) and block-per-row (cols > 1024), in place,
//     against the sequential passes of the host driver (a different summation order, so within
//     the contract, not bitwise);
//   - PReLU: α per channel and one α, forward and dx per element, dα through the two-kernel
//     reductions, which must give the same bits for every grid size;
//   - losses: the elementwise partial + finish reductions (the same bits for every grid, close
//     to a sequential sum), their backward per element, softmax cross-entropy rows in warp and
//     block mode (ignored rows, bad targets, label smoothing, in place, the mean's count on the
//     device) against the sequential row math.
//   - accuracy (`nonlin accuracy --exhaustive` on CUDA): the input and dy generators, and the
//     per-block (worst error, index) reductions after the real pointwise kernels, over ranges of
//     bit patterns that cross 1.0, MAX → ∞ → NaN, the sign boundary and the last pattern (2³² − 1);
//     the result must equal a sequential pass bit for bit, be the same for every grid and block
//     size, find a deliberately corrupted element, and stay within 0.5 ULP otherwise (the kernels
//     and the reference are the same double math, rounded once).
// Prints one line per failure and a closing "N passed, M failed"; exits 1 on any failure.
// Build: g++ -std=c++20 -O1 -pthread -I cuda/include cuda/test/kernel_emu.cpp
#include "cuda_host_emu.h"

#include "../losses.cu"
#include "../pointwise.cu"
#include "../prelu.cu"
#include "../softmax.cu"
#include "../accuracy.cu"

#include <cmath>
#include <cstdio>
#include <random>
#include <string>

namespace {

int passed = 0;
int failed = 0;

void check(bool ok, const std::string& what) {
    if (ok) {
        passed++;
    } else {
        failed++;
        std::printf("FAIL %s\n", what.c_str());
    }
}

constexpr uint32_t POISON = 0x7fc0dead;   // a NaN no kernel produces: unwritten elements show

float poison() {
    float f;
    std::memcpy(&f, &POISON, sizeof f);
    return f;
}

bool is_poison(float a);

/** Bitwise equal, or both a NaN that a kernel could produce (not the poison). */
bool same_bits(float a, float b) {
    return std::memcmp(&a, &b, sizeof a) == 0 || (a != a && b != b && !is_poison(a) && !is_poison(b));
}

bool is_poison(float a) {
    return std::memcmp(&a, &POISON, sizeof a) == 0;
}

std::vector<float> inputs(size_t n, unsigned seed) {
    std::mt19937 r(seed);
    std::uniform_real_distribution<float> u(-20.0f, 20.0f);
    std::vector<float> v(n);
    const float special[] = {0.0f, -0.0f, NAN, INFINITY, -INFINITY, 1e-40f, -88.7f, 3.0f, -3.0f, 6.0f, 1e30f};
    for (size_t i = 0; i < n; i++) {
        v[i] = i % 7 == 3 ? special[(i / 7) % (sizeof special / sizeof special[0])] : u(r);
    }
    return v;
}

// ------------------------------------------------------------------ pointwise

using Fwd = void (*)(const float*, float*, long long, float, float);
using Bwd = void (*)(const float*, const float*, float*, long long, float, float);

struct Pointwise {
    const char* name;
    nonlin::Op op;
    Fwd forward;
    Bwd backward;
    Bwd from_output;
};

#define NL_EMU_FO_0(name) nullptr
#define NL_EMU_FO_1(name) name##_backward_from_output_f32
#define NL_EMU_ENTRY(OP, name, F, fo) \
    {#name, nonlin::Op::OP, name##_forward_f32, name##_backward_f32, NL_EMU_FO_##fo(name)},
const Pointwise POINTWISE[] = {NONLIN_ELEMENTWISE(NL_EMU_ENTRY)};

void pointwise_case(const Pointwise& k, long long n, int offset, unsigned grid, unsigned block, bool in_place) {
    const float p0 = 0.3f;   // valid for every parameterised function (celu needs α ≠ 0, softplus β > 0)
    const float p1 = 2.5f;   // hardtanh(0.3, 2.5), softplus threshold 2.5
    std::string tag = std::string(k.name) + " n=" + std::to_string(n) + " off=" + std::to_string(offset)
            + " grid=" + std::to_string(grid) + "x" + std::to_string(block) + (in_place ? " in place" : "");
    size_t pad = 8;
    std::vector<float> xs = inputs(n + 2 * pad, (unsigned) n * 31 + offset);
    std::vector<float> dys = inputs(n + 2 * pad, (unsigned) n * 17 + 5);
    // forward
    std::vector<float> x = xs;
    std::vector<float> y(n + 2 * pad, poison());
    float* out = in_place ? x.data() + pad + offset : y.data() + pad + offset;
    emu::launch(k.forward, grid, block, (const float*) x.data() + pad + offset, out, n, p0, p1);
    bool ok = true;
    for (long long i = 0; i < n; i++) {
        float want = nonlin::nonlin_forward_f32(k.op, p0, p1, xs[pad + offset + i]);
        ok &= same_bits(out[i], want) && !is_poison(out[i]);
    }
    if (!in_place) {
        for (size_t i = 0; i < y.size(); i++) {
            if ((long long) i < (long long) pad + offset || (long long) i >= (long long) pad + offset + n) {
                ok &= is_poison(y[i]);
            }
        }
    }
    check(ok, tag + " forward");
    // backward
    std::vector<float> dy = dys;
    std::vector<float> dx(n + 2 * pad, poison());
    float* g = dy.data() + pad + offset;
    float* d = in_place ? g : dx.data() + pad + offset;
    emu::launch(k.backward, grid, block, (const float*) xs.data() + pad + offset, (const float*) g, d, n, p0, p1);
    ok = true;
    for (long long i = 0; i < n; i++) {
        float want = nonlin::nonlin_backward_f32(k.op, p0, p1, xs[pad + offset + i], dys[pad + offset + i]);
        ok &= same_bits(d[i], want) && !is_poison(d[i]);
    }
    check(ok, tag + " backward");
    if (k.from_output) {
        std::vector<float> dy2 = dys;
        std::vector<float> dx2(n + 2 * pad, poison());
        float* g2 = dy2.data() + pad + offset;
        float* d2 = in_place ? g2 : dx2.data() + pad + offset;
        emu::launch(k.from_output, grid, block, (const float*) xs.data() + pad + offset, (const float*) g2, d2, n, p0, p1);
        ok = true;
        for (long long i = 0; i < n; i++) {
            float want = nonlin::nonlin_backward_from_output_f32(k.op, p0, p1, xs[pad + offset + i], dys[pad + offset + i]);
            ok &= same_bits(d2[i], want) && !is_poison(d2[i]);
        }
        check(ok, tag + " backward_from_output");
    }
}

void pointwise() {
    for (const Pointwise& k : POINTWISE) {
        pointwise_case(k, 0, 0, 1, 32, false);
        pointwise_case(k, 1, 0, 1, 32, false);
        pointwise_case(k, 7, 0, 2, 32, false);
        pointwise_case(k, 7, 1, 2, 32, false);      // misaligned: the scalar path
        pointwise_case(k, 1029, 0, 3, 64, false);   // the grid-stride loop, float4 body and a tail of 1
        pointwise_case(k, 1029, 2, 3, 64, true);
        pointwise_case(k, 1031, 0, 2, 96, true);
    }
}

// ------------------------------------------------------------------ softmax

/** The host driver's sequential passes: the reference order. */
void row_reference(bool log, const float* x, const float* dy, long long n, double* y, double* dx) {
    double m = -INFINITY;
    for (long long i = 0; i < n; i++) {
        m = nonlin::row_max(m, x[i]);
    }
    double c = 0, s = 0;
    for (long long i = 0; i < n; i++) {
        c += nonlin::row_is_max(x[i], m);
        s += nonlin::row_exp_term(x[i], m);
    }
    double k = nonlin::row_scale(log, m, c, s);
    double dot = 0;
    for (long long i = 0; i < n; i++) {
        y[i] = nonlin::row_y(log, m, k, x[i]);
        dot += nonlin::row_dot_term(log, y[i], dy[i]);
    }
    for (long long i = 0; i < n; i++) {
        dx[i] = nonlin::row_dx(log, y[i], dy[i], dot);
    }
}

double ulp_of(double v) {
    float f = (float) v;
    if (std::isinf(f)) {
        f = 3.4028235e38f;
    }
    return std::nextafter(std::fabs(f), INFINITY) - std::fabs(f);
}

bool close(float got, double want, double slack, double ulps) {
    if (want != want || got != got) {
        return want != want && got != got && !is_poison(got);
    }
    if (std::isinf(want) || std::isinf(got)) {
        return (float) want == got;
    }
    return std::fabs(got - want) <= slack + ulps * ulp_of(want);
}

using RowFwd = void (*)(const float*, float*, long long, long long);
using RowBwd = void (*)(const float*, const float*, float*, long long, long long);

void softmax_case(bool log, long long rows, long long cols, unsigned grid, unsigned block, bool in_place, int special) {
    RowFwd fwd = log ? log_softmax_forward_f32 : softmax_forward_f32;
    RowBwd bwd = log ? log_softmax_backward_f32 : softmax_backward_f32;
    RowBwd bwo = log ? log_softmax_backward_from_output_f32 : softmax_backward_from_output_f32;
    std::string tag = std::string(log ? "log_softmax" : "softmax") + " " + std::to_string(rows) + "x"
            + std::to_string(cols) + " grid=" + std::to_string(grid) + "x" + std::to_string(block)
            + (in_place ? " in place" : "") + " special=" + std::to_string(special);
    size_t n = (size_t) (rows * cols);
    std::mt19937 r((unsigned) (rows * 131 + cols + special));
    std::normal_distribution<float> g(0.0f, 5.0f);
    std::vector<float> x(n), dy(n);
    for (size_t i = 0; i < n; i++) {
        x[i] = g(r);
        dy[i] = g(r) / 5.0f;
    }
    if (special && cols > 0) {
        for (long long row = 0; row < rows; row++) {
            float* xr = x.data() + row * cols;
            switch ((row + special) % 5) {
                case 0: xr[cols / 2] = NAN; break;
                case 1: for (long long i = 0; i < cols; i++) xr[i] = -INFINITY; break;
                case 2: xr[0] = INFINITY; xr[cols - 1] = INFINITY; break;
                case 3: xr[cols - 1] = -INFINITY; xr[0] = 60.0f; break;
                default: for (long long i = 0; i < cols; i++) xr[i] = 1.5f; break;   // all ties
            }
        }
    }
    std::vector<double> ey(n), edx(n);
    std::vector<double> l1(rows, 0.0);
    for (long long row = 0; row < rows; row++) {
        row_reference(log, x.data() + row * cols, dy.data() + row * cols, cols, ey.data() + row * cols,
                      edx.data() + row * cols);
        for (long long i = 0; i < cols; i++) {
            l1[row] += std::fabs(dy[row * cols + i]);
        }
    }
    // forward
    std::vector<float> xin = x;
    std::vector<float> y(n, poison());
    float* out = in_place ? xin.data() : y.data();
    emu::launch(fwd, grid, block, (const float*) xin.data(), out, rows, cols);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        ok &= close(out[i], ey[i], 0.0, 2.0);
    }
    check(ok, tag + " forward");
    std::vector<float> yf(out, out + n);
    // backward from x
    std::vector<float> g1 = dy;
    std::vector<float> dx(n, poison());
    float* d = in_place ? g1.data() : dx.data();
    emu::launch(bwd, grid, block, (const float*) x.data(), (const float*) g1.data(), d, rows, cols);
    ok = true;
    for (size_t i = 0; i < n; i++) {
        ok &= close(d[i], edx[i], 0x1p-23 * l1[i / cols], 8.0);
    }
    check(ok, tag + " backward");
    // backward from the output: against the same formula in double from the float y
    std::vector<float> g2 = dy;
    std::vector<float> dx2(n, poison());
    float* d2 = in_place ? g2.data() : dx2.data();
    emu::launch(bwo, grid, block, (const float*) yf.data(), (const float*) g2.data(), d2, rows, cols);
    ok = true;
    for (long long row = 0; row < rows; row++) {
        double dot = 0;
        for (long long i = 0; i < cols; i++) {
            dot += nonlin::row_dot_term(log, yf[row * cols + i], dy[row * cols + i]);
        }
        for (long long i = 0; i < cols; i++) {
            size_t e = row * cols + i;
            ok &= close(d2[e], nonlin::row_dx(log, yf[e], dy[e], dot), 0x1p-23 * l1[row], 8.0);
        }
    }
    check(ok, tag + " backward_from_output");
}

void softmax() {
    for (bool log : {false, true}) {
        softmax_case(log, 0, 5, 1, 64, false, 0);
        softmax_case(log, 3, 0, 1, 64, false, 0);
        softmax_case(log, 1, 1, 1, 32, false, 0);
        softmax_case(log, 5, 33, 1, 64, false, 0);     // 2 warps for 5 rows: the row loop
        softmax_case(log, 9, 100, 2, 64, true, 0);
        softmax_case(log, 10, 37, 2, 64, false, 1);    // the special rows, warp mode
        softmax_case(log, 4, 1024, 1, 32, false, 0);   // the longest warp row
        softmax_case(log, 3, 1025, 2, 64, false, 0);   // block mode, 2 blocks for 3 rows
        softmax_case(log, 5, 3000, 2, 96, true, 2);    // block mode, special rows, in place
        softmax_case(log, 2, 2049, 1, 128, false, 0);
    }
    // a block size that is not a multiple of 32 must not write anything (documented)
    std::vector<float> x(64, 1.0f), y(64, poison());
    emu::launch(softmax_forward_f32, 1, 48, (const float*) x.data(), y.data(), 2LL, 32LL);
    bool untouched = true;
    for (float v : y) {
        untouched &= is_poison(v);
    }
    check(untouched, "softmax with blockDim 48 writes nothing");
}

// ------------------------------------------------------------------ prelu

void prelu_case(long long rows, long long cols, long long nalpha, long long rows_per_chunk, long long chunk) {
    std::string tag = "prelu " + std::to_string(rows) + "x" + std::to_string(cols) + " nalpha=" + std::to_string(nalpha);
    long long n = rows * cols;
    std::vector<float> x = inputs(n, (unsigned) (n + nalpha));
    std::vector<float> dy = inputs(n, (unsigned) (n * 3 + 1));
    for (float& v : dy) {
        if (!std::isfinite(v)) {
            v = 0.5f;   // keep dα finite, so that its value is checked
        }
    }
    for (float& v : x) {
        if (!std::isfinite(v)) {
            v = -1.0f;
        }
    }
    std::vector<float> alpha(nalpha);
    for (long long a = 0; a < nalpha; a++) {
        alpha[a] = 0.05f * (float) (a % 7) - 0.1f;
    }
    std::vector<float> y(n, poison()), dx(n, poison());
    emu::launch(prelu_alpha_forward_f32, 2, 64, (const float*) x.data(), (const float*) alpha.data(), y.data(), n, cols, nalpha);
    emu::launch(prelu_alpha_backward_f32, 3, 32, (const float*) x.data(), (const float*) alpha.data(), (const float*) dy.data(),
                dx.data(), n, cols, nalpha);
    bool ok = true;
    std::vector<double> exact(nalpha, 0.0), mag(nalpha, 0.0);
    for (long long i = 0; i < n; i++) {
        long long a = nalpha == 1 ? 0 : i % cols;
        ok &= same_bits(y[i], nonlin::forward_f32<nonlin::PRelu>(x[i], alpha[a], 0.0f));
        ok &= same_bits(dx[i], nonlin::backward_f32<nonlin::PRelu>(x[i], dy[i], alpha[a], 0.0f));
        double t = nonlin::PRelu::dalpha_term(x[i], dy[i]);
        exact[a] += t;
        mag[a] += std::fabs(t);
    }
    check(ok, tag + " forward and dx");
    std::vector<float> first;
    for (unsigned grid : {1u, 2u, 5u}) {
        std::vector<float> da(nalpha, poison());
        if (nalpha == 1) {
            long long chunks = (n + chunk - 1) / chunk;
            std::vector<double> partial(chunks > 0 ? chunks : 1, 0.0);
            emu::launch(prelu_dalpha_single_partial_f32, grid, 64, (const float*) x.data(), (const float*) dy.data(),
                        partial.data(), n, chunk);
            emu::launch(prelu_dalpha_single_finish_f32, 1, 64, (const double*) partial.data(), da.data(), chunks);
        } else {
            long long chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
            std::vector<double> partial(chunks * cols > 0 ? chunks * cols : 1, 0.0);
            emu::launch(prelu_dalpha_channels_partial_f32, grid, 32, (const float*) x.data(), (const float*) dy.data(),
                        partial.data(), rows, cols, rows_per_chunk);
            emu::launch(prelu_dalpha_channels_finish_f32, grid, 32, (const double*) partial.data(), da.data(), chunks, cols);
        }
        ok = true;
        for (long long a = 0; a < nalpha; a++) {
            ok &= close(da[a], exact[a], 0x1p-23 * mag[a], 8.0);
        }
        check(ok, tag + " dα grid=" + std::to_string(grid));
        if (first.empty()) {
            first = da;
        } else {
            bool same = true;
            for (long long a = 0; a < nalpha; a++) {
                same &= same_bits(first[a], da[a]);
            }
            check(same, tag + " dα bitwise equal for grid=" + std::to_string(grid));
        }
    }
}

void prelu() {
    prelu_case(1, 1, 1, 4, 16);
    prelu_case(37, 5, 5, 4, 16);
    prelu_case(37, 5, 1, 4, 16);
    prelu_case(3, 70, 70, 2, 16);
    prelu_case(200, 3, 1, 16, 100);
    prelu_case(200, 3, 3, 16, 100);
}


// ------------------------------------------------------------------ losses

using LossPartial = void (*)(const float*, const float*, double*, long long, long long, float, const float*,
                             long long);
using LossBackward = void (*)(const float*, const float*, float*, long long, float, double, const float*, long long);

struct ElementwiseLoss {
    const char* name;
    nonlin::LossOp op;
    LossPartial partial;
    LossBackward backward;
};

#define NL_EMU_LOSS(OP, name, L) {#name, nonlin::LossOp::OP, name##_loss_partial_f32, name##_loss_backward_f32},
const ElementwiseLoss LOSSES[] = {NONLIN_LOSSES(NL_EMU_LOSS)};

/** Inputs in the loss's domain (probabilities for bce), a few special values, targets in [0, 1]. */
void loss_inputs(nonlin::LossOp op, long long n, unsigned seed, std::vector<float>& z, std::vector<float>& t) {
    std::mt19937 r(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::normal_distribution<float> g(0.0f, 4.0f);
    z.resize(n);
    t.resize(n);
    for (long long i = 0; i < n; i++) {
        z[i] = op == nonlin::LossOp::BCE ? u(r) : g(r);
        t[i] = i % 3 == 0 ? 0.0f : (i % 3 == 1 ? 1.0f : u(r));
    }
    if (n > 5) {
        z[1] = op == nonlin::LossOp::BCE ? 0.0f : 1e4f;   // the clamp; a huge logit
        z[4] = op == nonlin::LossOp::BCE ? 1.0f : -1e4f;
    }
}

/**
 * One elementwise loss over n elements. cols = 0: one p0 for every element (w = null); cols > 0:
 * the data is rows of cols and element i takes the per-column weight w[i % cols] instead.
 */
void loss_case(const ElementwiseLoss& k, long long n, long long chunk, unsigned block, long long cols = 0) {
    std::string tag = std::string(k.name) + " loss n=" + std::to_string(n) + " chunk=" + std::to_string(chunk)
            + " block=" + std::to_string(block) + (cols > 0 ? " per-column weights, cols=" + std::to_string(cols) : "");
    const float p0 = cols > 0 ? NAN : 2.5f;   // pos_weight for bce_with_logits; unused by the others
    std::vector<float> weights;
    for (long long c = 0; c < cols; c++) {
        weights.push_back(0.25f + 0.75f * (float) (c % 5));   // 0.25 .. 3.25, repeating; includes 1
    }
    const float* w = cols > 0 ? weights.data() : nullptr;
    auto p = [&](long long i) { return cols > 0 ? (double) weights[i % cols] : (double) p0; };
    std::vector<float> z, t;
    loss_inputs(k.op, n, (unsigned) (n * 7 + (int) k.op), z, t);
    double exact = 0, mag = 0;
    for (long long i = 0; i < n; i++) {
        double v = nonlin::nonlin_loss_term(k.op, p(i), z[i], t[i]);
        exact += v;
        mag += std::fabs(v);
    }
    long long chunks = (n + chunk - 1) / chunk;
    float first = 0;
    double first64 = 0;
    for (unsigned grid : {1u, 2u, 7u}) {
        std::vector<double> partial(chunks > 0 ? chunks : 1, -1.0);
        float loss = poison();
        double loss64 = -1.0;
        emu::launch(k.partial, grid, block, (const float*) z.data(), (const float*) t.data(), partial.data(), n, chunk, p0,
                    w, cols);
        emu::launch(loss_finish_f32, 1, block, (const double*) partial.data(), chunks, (const double*) nullptr,
                    (double) n, &loss, &loss64);
        bool ok = std::fabs(loss64 * n - exact) <= 1e-13 * mag && !is_poison(loss) && (float) loss64 == loss;
        check(ok, tag + " mean grid=" + std::to_string(grid));
        if (grid == 1) {
            first = loss;
            first64 = loss64;
        } else {
            check(same_bits(first, loss) && first64 == loss64, tag + " bitwise equal for grid=" + std::to_string(grid));
        }
    }
    // backward: the per-element function, bit for bit, in place over z too
    double scale = -0.75 / (double) n;
    std::vector<float> dz(n + 2, poison());
    emu::launch(k.backward, 3u, 64u, (const float*) z.data(), (const float*) t.data(), dz.data(), n, p0, scale, w, cols);
    std::vector<float> zin = z;
    emu::launch(k.backward, 2u, 32u, (const float*) zin.data(), (const float*) t.data(), zin.data(), n, p0, scale,
                w, cols);
    bool ok = is_poison(dz[n]) && is_poison(dz[n + 1]);
    for (long long i = 0; i < n; i++) {
        float want = (float) (scale * nonlin::nonlin_loss_gradient(k.op, p(i), z[i], t[i]));
        ok &= same_bits(dz[i], want) && same_bits(zin[i], want);
    }
    check(ok, tag + " backward (and in place)");
}

/** One row of cross-entropy, sequentially: the reference for the kernel (a different summation order). */
double ce_reference(const float* z, int target, long long cols, long long ignore, double eps, double s, double* dz) {
    if (target == ignore || target < 0 || target >= cols) {
        bool ignored = target == ignore;
        for (long long i = 0; i < cols; i++) {
            dz[i] = ignored ? 0.0 : NAN;
        }
        return ignored ? 0.0 : NAN;
    }
    double m = -INFINITY;
    for (long long i = 0; i < cols; i++) {
        m = nonlin::row_max(m, z[i]);
    }
    double c = 0, se = 0, szm = 0;
    for (long long i = 0; i < cols; i++) {
        c += nonlin::row_is_max(z[i], m);
        se += nonlin::row_exp_term(z[i], m);
        szm += z[i] - m;
    }
    double r = (c - 1.0) + se;
    double ztm = z[target] - m;
    double k = 1.0 / (1.0 + r);
    for (long long i = 0; i < cols; i++) {
        dz[i] = s * nonlin::ce_gradient(z[i], m, k, r, i == target, i == target && ztm == 0.0, eps, (double) cols);
    }
    return nonlin::ce_loss(m, r, ztm, szm, eps, (double) cols);
}

void ce_case(long long rows, long long cols, unsigned grid, unsigned block, float eps, bool mean, bool in_place) {
    std::string tag = "softmax_cross_entropy " + std::to_string(rows) + "x" + std::to_string(cols) + " grid="
            + std::to_string(grid) + "x" + std::to_string(block) + " eps=" + std::to_string(eps)
            + (mean ? " mean" : " sum") + (in_place ? " in place" : "");
    const long long ignore = -100;
    std::mt19937 r((unsigned) (rows * 31 + cols));
    std::normal_distribution<float> g(0.0f, 3.0f);
    std::vector<float> z(rows * cols);
    std::vector<int> target(rows);
    for (float& v : z) {
        v = g(r);
    }
    for (long long i = 0; i < rows; i++) {
        target[i] = i % 5 == 4 ? (int) ignore : (int) ((i * 7) % cols);
    }
    if (rows > 3) {
        target[3] = (int) cols;                  // a bad target: a NaN row, not a crash
        z[2 * cols] = 1e4f;                      // a dominant logit in row 2
        z[1 * cols + cols / 2] = -INFINITY;      // −∞ below the max in row 1
        target[0] = 0;
        z[0] = 50.0f;                            // row 0: a confident, correct row
    }
    double count = 0;
    for (int v : target) {
        count += v != ignore ? 1.0 : 0.0;
    }
    const double dloss = 1.5;
    double s = mean ? dloss / count : dloss;
    std::vector<double> want_dz(rows * cols);
    std::vector<double> want_row(rows);
    for (long long i = 0; i < rows; i++) {
        want_row[i] = ce_reference(z.data() + i * cols, target[i], cols, ignore, eps, s, want_dz.data() + i * cols);
    }
    // forward: row losses, then the deterministic sum
    std::vector<double> row_loss(rows, -1.0);
    emu::launch(softmax_cross_entropy_rows_f32, grid, block, (const float*) z.data(), (const int*) target.data(), rows,
                cols, ignore, eps, row_loss.data(), (float*) nullptr, 0.0, (const double*) nullptr);
    bool ok = true;
    for (long long i = 0; i < rows; i++) {
        double w = want_row[i];
        ok &= (w != w || std::isinf(w)) ? same_bits((float) row_loss[i], (float) w)
                                        : std::fabs(row_loss[i] - w) <= 1e-12 * std::max(1.0, std::fabs(w));
    }
    check(ok, tag + " row losses");
    // the mean's count on the device, then backward with it
    const long long chunk = 4;
    long long chunks = (rows + chunk - 1) / chunk;
    std::vector<double> cpart(chunks > 0 ? chunks : 1);
    double dcount = -1;
    emu::launch(class_target_count_partial, 2u, 32u, (const int*) target.data(), rows, ignore, cpart.data(), chunk);
    emu::launch(f64_sum_finish, 1u, 32u, (const double*) cpart.data(), chunks, &dcount);
    check(dcount == count, tag + " count of non-ignored rows");
    std::vector<float> zin = z;
    std::vector<float> dz(rows * cols, poison());
    float* out = in_place ? zin.data() : dz.data();
    emu::launch(softmax_cross_entropy_rows_f32, grid, block, (const float*) zin.data(), (const int*) target.data(), rows,
                cols, ignore, eps, (double*) nullptr, out, dloss, mean ? (const double*) &dcount : (const double*) nullptr);
    ok = true;
    for (long long i = 0; i < rows * cols; i++) {
        ok &= close(out[i], want_dz[i], 0x1p-23 * std::fabs(s), 8.0);
    }
    check(ok, tag + " dz");
}

void losses() {
    for (const ElementwiseLoss& k : LOSSES) {
        loss_case(k, 1, 8, 32);
        loss_case(k, 37, 8, 32);       // chunks of 8 over 37: a short last chunk, grid-stride over chunks
        loss_case(k, 1029, 100, 64);
        loss_case(k, 37, 8, 32, 5);      // rows of 5 with a weight per column; chunks cut rows
        loss_case(k, 1029, 100, 64, 7);  // 147 rows of 7
    }
    // f64_sum_partial + loss_finish with the divisor on the device
    std::vector<double> v(301);
    double exact = 0;
    for (size_t i = 0; i < v.size(); i++) {
        v[i] = std::sin((double) i) * 1e3;
        exact += v[i];
    }
    std::vector<double> part(38);
    double divisor = 7.0;
    float l = poison();
    emu::launch(f64_sum_partial, 3u, 32u, (const double*) v.data(), part.data(), (long long) v.size(), 8LL);
    emu::launch(loss_finish_f32, 1u, 64u, (const double*) part.data(), 38LL, (const double*) &divisor, 0.0, &l,
                (double*) nullptr);
    check(std::fabs(l - exact / 7.0) <= 1e-6 * std::fabs(exact / 7.0), "f64_sum_partial + loss_finish with *divisor");
    // a mean over nothing is NaN
    float empty = poison();
    emu::launch(loss_finish_f32, 1u, 32u, (const double*) part.data(), 0LL, (const double*) nullptr, 0.0, &empty,
                (double*) nullptr);
    check(empty != empty && !is_poison(empty), "mean over nothing is NaN");
    for (bool mean : {true, false}) {
        ce_case(1, 1, 1, 32, 0.0f, mean, false);
        ce_case(9, 10, 2, 64, 0.0f, mean, false);      // warp mode, 2 warps per block, row loop
        ce_case(9, 10, 1, 64, 0.1f, mean, true);
        ce_case(6, 1500, 2, 64, 0.2f, mean, false);    // block mode
        ce_case(5, 2049, 1, 128, 0.0f, mean, true);
    }
}

// ------------------------------------------------------------------ accuracy

using AccFwd = void (*)(const float*, long long, long long, int, float, float, double*, long long*);
using AccBwd = void (*)(const float*, const float*, long long, long long, int, float, float, double*, long long*);

/** The host's side of CudaAccuracy: the best of the per-block pairs; NaN (unwritten) is a failure. */
bool reduce_blocks(const std::vector<double>& err, const std::vector<long long>& idx, nonlin::Best& out) {
    out = nonlin::best_none();
    for (size_t b = 0; b < err.size(); b++) {
        if (err[b] != err[b]) {
            return false;
        }
        out = nonlin::best_of(out, nonlin::Best{err[b], idx[b]});
    }
    return true;
}

/** Runs one accuracy kernel; false if a block left its slot unwritten. */
bool run_forward_check(const float* y, long long start, long long n, int op, float p0, float p1, unsigned grid,
                       unsigned block, nonlin::Best& out) {
    std::vector<double> err(grid, NAN);
    std::vector<long long> idx(grid, -7);
    emu::launch(accuracy_forward_f32, grid, block, y, start, n, op, p0, p1, err.data(), idx.data());
    return reduce_blocks(err, idx, out);
}

bool run_backward_check(const float* dx, const float* dy, long long start, long long n, int op, float p0, float p1,
                        unsigned grid, unsigned block, nonlin::Best& out) {
    std::vector<double> err(grid, NAN);
    std::vector<long long> idx(grid, -7);
    emu::launch(accuracy_backward_f32, grid, block, dx, dy, start, n, op, p0, p1, err.data(), idx.data());
    return reduce_blocks(err, idx, out);
}

bool same_best(nonlin::Best a, nonlin::Best b) {
    return std::memcmp(&a.err, &b.err, sizeof a.err) == 0 && a.index == b.index;
}

/** Grids and blocks for the reduction checks: all of them, or one (the emulator's threads are slow). */
const unsigned ALL_SHAPES[][2] = {{1, 256}, {3, 64}, {7, 32}};
const unsigned ONE_SHAPE[][2] = {{7, 32}};

void accuracy_case(const Pointwise& k, long long start, long long n, bool every_shape) {
    const float p0 = 0.3f;
    const float p1 = 2.5f;
    const uint64_t seed = 0x1234567890abcdefull;
    const int op = (int) k.op;
    char range[64];
    std::snprintf(range, sizeof range, " [%08llx, +%lld)", (unsigned long long) start, n);
    std::string tag = std::string("accuracy ") + k.name + range;

    std::vector<float> x(n, poison());
    emu::launch(accuracy_inputs_f32, 3, 64, x.data(), start, n);
    bool ok = true;
    for (long long i = 0; i < n; i++) {
        ok &= nonlin::float_bits(x[i]) == (uint32_t) (start + i);
    }
    check(ok, tag + " inputs are the bit patterns");

    // forward through the real kernel, then the sequential truth
    std::vector<float> y(n, poison());
    emu::launch(k.forward, 3, 64, (const float*) x.data(), y.data(), n, p0, p1);
    nonlin::Best truth = nonlin::best_none();
    for (long long i = 0; i < n; i++) {
        double e = nonlin::ulp_error(y[i], nonlin::nonlin_forward(k.op, p0, p1, x[i]));
        if (nonlin::better(e, start + i, truth)) {
            truth = nonlin::Best{e, start + i};
        }
    }
    check(truth.err >= 0 && truth.err <= 0.5, tag + " forward: the kernel is the reference rounded once");
    const auto* shapes = every_shape ? ALL_SHAPES : ONE_SHAPE;
    size_t nshapes = every_shape ? 3 : 1;
    for (size_t s = 0; s < nshapes; s++) {
        const auto& g = shapes[s];
        nonlin::Best got;
        bool written = run_forward_check(y.data(), start, n, op, p0, p1, g[0], g[1], got);
        check(written && same_best(got, truth), tag + " forward grid=" + std::to_string(g[0]) + "x"
                + std::to_string(g[1]) + " equals the sequential pass");
    }
    // a corrupted element must be found, with its error and index: 5 ULP up from a normal result
    long long bad = -1;
    for (long long i = n / 3; i < n && bad < 0; i++) {
        float v = y[i];
        if (std::isfinite(v) && std::fabs(v) >= 1e-30f && std::fabs(v) < 1e30f) {
            bad = i;
        }
    }
    if (bad >= 0) {
        std::vector<float> yc = y;
        uint32_t u = nonlin::float_bits(yc[bad]) + 5;
        yc[bad] = nonlin::bits_float(u);
        nonlin::Best got;
        bool written = run_forward_check(yc.data(), start, n, op, p0, p1, 3, 64, got);
        check(written && got.index == start + bad && got.err >= 4.5 && got.err <= 5.5,
              tag + " forward finds a 5-ULP error at element " + std::to_string(bad));
    }

    // backward at dy = 1 and at the random dy
    std::vector<float> dy(n, 1.0f);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            std::fill(dy.begin(), dy.end(), poison());
            emu::launch(accuracy_dy_f32, 2, 96, dy.data(), start, n, (unsigned long long) seed);
            ok = true;
            for (long long i = 0; i < n; i++) {
                float a = std::fabs(dy[i]);
                ok &= same_bits(dy[i], nonlin::accuracy_dy(seed, (uint64_t) (start + i)))
                        && a >= 0x1p-8f && a < 0x1p8f;
            }
            check(ok, tag + " random dy: the generator's values, in ±[2^-8, 2^8)");
        }
        std::vector<float> dx(n, poison());
        emu::launch(k.backward, 3, 64, (const float*) x.data(), (const float*) dy.data(), dx.data(), n, p0, p1);
        nonlin::Best bt = nonlin::best_none();
        for (long long i = 0; i < n; i++) {
            double exact = (double) dy[i] * nonlin::nonlin_derivative(k.op, p0, p1, x[i]);
            double e = nonlin::backward_ulp_error(dx[i], exact, dy[i]);
            if (nonlin::better(e, start + i, bt)) {
                bt = nonlin::Best{e, start + i};
            }
        }
        std::string what = tag + (pass == 0 ? " backward dy=1" : " backward random dy");
        check(bt.err >= 0 && bt.err <= 0.5, what + ": the kernel is the reference rounded once");
        for (size_t s = 0; s < nshapes; s++) {
            const auto& g = shapes[s];
            nonlin::Best got;
            bool written = run_backward_check(dx.data(), dy.data(), start, n, op, p0, p1, g[0], g[1], got);
            check(written && same_best(got, bt), what + " grid=" + std::to_string(g[0]) + "x"
                    + std::to_string(g[1]) + " equals the sequential pass");
        }
    }
}

void accuracy() {
    // around 1.0; MAX → +∞ → the positive NaNs; the last positive NaN → −0 → negative subnormals;
    // around −10 (GELU's tail); the last 1000 patterns (negative NaNs up to 2³² − 1)
    const long long ranges[][2] = {{0x3f7ffe00LL, 1027}, {0x7f7fff00LL, 0x205}, {0x7ffffed4LL, 600},
                                   {0xc1200000LL, 1500}, {0x100000000LL - 1000, 1000}};
    // Every op once (its dispatch to the right functor), around 1.0; the reduction's shapes and the
    // edges of the bit-pattern space for one transcendental and one piecewise-linear function.
    for (const Pointwise& k : POINTWISE) {
        bool edges = k.op == nonlin::Op::GELU || k.op == nonlin::Op::RELU;
        if (edges) {
            for (const auto& r : ranges) {
                accuracy_case(k, r[0], r[1], true);
            }
        } else {
            accuracy_case(k, ranges[0][0], ranges[0][1], false);
        }
    }
    // a block size the reduction does not take writes nothing; a row-wise op checks nothing
    std::vector<float> y(64, 0.0f);
    nonlin::Best got;
    check(!run_forward_check(y.data(), 0, 64, (int) nonlin::Op::SIGMOID, 0, 0, 1, 48, got),
          "accuracy with blockDim 48 writes nothing");
    check(!run_forward_check(y.data(), 0, 64, (int) nonlin::Op::SIGMOID, 0, 0, 1, 512, got),
          "accuracy with blockDim 512 writes nothing");
    check(run_forward_check(y.data(), 0, 64, (int) nonlin::Op::SOFTMAX, 0, 0, 2, 32, got) && got.err == -1.0,
          "accuracy with a row-wise op code checks nothing (err = -1)");
}

}  // namespace

int main() {
    pointwise();
    softmax();
    prelu();
    losses();
    accuracy();
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
