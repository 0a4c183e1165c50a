// host_driver.cpp: runs the kernel math of include/nonlin_math.cuh on the CPU, for
// KernelMathHostTest (DESIGN.md §4.2). Built with g++ (or nvcc) through the header's
// __host__/__device__ shim; the per-element functions it calls are the ones the kernels call,
// so it checks the GPU's arithmetic, rounding included, without a GPU.
//
// Usage (all binary files are little-endian float32 unless said otherwise):
//   host_driver ops
//       one line per op code: "<code> <OP> <kernel_name> <from_output>", in enum order
//   host_driver erfcx
//       the erfcx coefficient table, one IEEE-754 double per line as 16 hex digits
//   host_driver pointwise <op> <p0> <p1> <in> <out>
//       p0, p1: float bits as 8 hex digits. in: pairs (x, dy). out: triples (y, dx, dxo) with
//       y = f(x), dx = dy·f'(x), dxo = dy·f'(x) from y (NaN where the op has no such form)
//   host_driver rows <op> <in> <out>
//       in: records (int32 cols, cols × x, cols × dy). out: per element (y, dx, dxo), dxo
//       computed from the float y this driver produced. Each row runs the kernel's passes in
//       index order.
//   host_driver prelu <rows> <cols> <nalpha> <in> <out>
//       in: alpha[nalpha], x[rows·cols], dy[rows·cols]. out: y[n], dx[n], dalpha[nalpha];
//       α per column when nalpha = cols, one α when nalpha = 1; dα summed in double in row
//       order.
//   host_driver loss_ops
//       one line per loss op code: "<code> <OP> <kernel_name>", in dev.nonlin.Loss.Kind order
//   host_driver loss <op> <p0> <in> <out>
//       in: pairs (z, t). out: float64 pairs (ℓ(z, t), ∂ℓ/∂z), in double, before any rounding
//   host_driver ce <ignore_index> <eps> <in> <out>
//       in: records (int32 cols, int32 target, cols × z). out: per row, float64 ℓ then cols ×
//       float64 ∂ℓ/∂z (scale 1), through the passes of losses.cu, sequentially.
//   host_driver ulp <in> <out>
//       in: records (float got, double exact, float dy), 16 bytes each. out: per record two
//       doubles, ulp_error(got, exact) and backward_ulp_error(got, exact, dy)
//       (nonlin_accuracy.cuh, the measure of `nonlin accuracy` on the device)
//   host_driver dy <seed> <start> <n>
//       seed: 16 hex digits. accuracy_dy(seed, i) for i in [start, start + n), one float per
//       line as 8 hex digits
#include "nonlin_math.cuh"
#include "nonlin_accuracy.cuh"
#include "host_io.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using hostio::at;
using hostio::bits_to_float;
using hostio::read_all;
using hostio::write_all;
using nonlin::Op;

namespace {

int fail(const char* what) {
    std::fprintf(stderr, "host_driver: %s\n", what);
    return 2;
}

int ops() {
#define NL_PRINT_OP(OP, name, F, fo) std::printf("%d %s %s %d\n", (int) Op::OP, #OP, #name, fo);
    NONLIN_ELEMENTWISE(NL_PRINT_OP)
#undef NL_PRINT_OP
    std::printf("%d SOFTMAX softmax 1\n", (int) Op::SOFTMAX);
    std::printf("%d LOG_SOFTMAX log_softmax 1\n", (int) Op::LOG_SOFTMAX);
    return 0;
}

int erfcx() {
    const double p[nonlin::ERFCX_TERMS] = NONLIN_ERFCX_P;
    static_assert(sizeof p / sizeof p[0] == nonlin::ERFCX_TERMS, "ERFCX_TERMS matches the table");
    for (double v : p) {
        uint64_t u;
        std::memcpy(&u, &v, sizeof u);
        std::printf("%016llx\n", (unsigned long long) u);
    }
    return 0;
}

int loss_ops() {
#define NL_PRINT_LOSS(OP, name, L) std::printf("%d %s %s\n", (int) nonlin::LossOp::OP, #OP, #name);
    NONLIN_LOSSES(NL_PRINT_LOSS)
#undef NL_PRINT_LOSS
    std::printf("%d SOFTMAX_CROSS_ENTROPY softmax_cross_entropy\n", (int) nonlin::LossOp::SOFTMAX_CROSS_ENTROPY);
    return 0;
}

int loss(nonlin::LossOp op, float p0, const char* in, const char* out) {
    std::vector<unsigned char> b;
    if (!read_all(in, b) || b.size() % 8 != 0) {
        return fail("cannot read the loss input");
    }
    size_t n = b.size() / 8;
    std::vector<double> r(2 * n);
    for (size_t i = 0; i < n; i++) {
        float z = at(b, 2 * i);
        float t = at(b, 2 * i + 1);
        r[2 * i] = nonlin::nonlin_loss_term(op, p0, z, t);
        r[2 * i + 1] = nonlin::nonlin_loss_gradient(op, p0, z, t);
    }
    return write_all(out, r) ? 0 : fail("cannot write the loss output");
}

/** One cross-entropy row through losses.cu's passes, sequentially. */
int ce(long long ignore, float eps, const char* in, const char* out) {
    std::vector<unsigned char> b;
    if (!read_all(in, b) || b.size() % 4 != 0) {
        return fail("cannot read the ce input");
    }
    std::vector<double> r;
    size_t words = b.size() / 4;
    size_t w = 0;
    while (w + 2 <= words) {
        int32_t cols, target;
        std::memcpy(&cols, b.data() + 4 * w, 4);
        std::memcpy(&target, b.data() + 4 * w + 4, 4);
        w += 2;
        if (cols < 0 || w + (size_t) cols > words) {
            return fail("ce: truncated record");
        }
        std::vector<double> z(cols);
        for (int32_t i = 0; i < cols; i++) {
            z[i] = at(b, w + i);
        }
        w += cols;
        if (target == ignore || target < 0 || target >= cols) {
            bool ignored = target == ignore;
            r.push_back(ignored ? 0.0 : NAN);
            for (int32_t i = 0; i < cols; i++) {
                r.push_back(ignored ? 0.0 : NAN);
            }
            continue;
        }
        double m = -INFINITY;
        for (double v : z) {
            m = nonlin::row_max(m, v);
        }
        double c = 0, se = 0, szm = 0;
        for (double v : z) {
            c += nonlin::row_is_max(v, m);
            se += nonlin::row_exp_term(v, m);
            szm += v - m;
        }
        double rr = (c - 1.0) + se;
        double ztm = z[target] - m;
        r.push_back(nonlin::ce_loss(m, rr, ztm, szm, eps, (double) cols));
        double k = 1.0 / (1.0 + rr);
        for (int32_t i = 0; i < cols; i++) {
            r.push_back(nonlin::ce_gradient(z[i], m, k, rr, i == target, i == target && ztm == 0.0, eps, (double) cols));
        }
    }
    return write_all(out, r) ? 0 : fail("cannot write the ce output");
}

int pointwise(Op op, float p0, float p1, const char* in, const char* out) {
    std::vector<unsigned char> b;
    if (!read_all(in, b) || b.size() % 8 != 0) {
        return fail("cannot read the pointwise input");
    }
    size_t n = b.size() / 8;
    std::vector<float> r(3 * n);
    for (size_t i = 0; i < n; i++) {
        float x = at(b, 2 * i);
        float dy = at(b, 2 * i + 1);
        float y = nonlin::nonlin_forward_f32(op, p0, p1, x);
        r[3 * i] = y;
        r[3 * i + 1] = nonlin::nonlin_backward_f32(op, p0, p1, x, dy);
        r[3 * i + 2] = nonlin::nonlin_backward_from_output_f32(op, p0, p1, y, dy);
    }
    return write_all(out, r) ? 0 : fail("cannot write the pointwise output");
}

/** One row, through the same passes as cuda/softmax.cu, sequentially. */
void row(bool log, const float* x, const float* dy, size_t n, float* out) {
    double m = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        m = nonlin::row_max(m, x[i]);
    }
    double c = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        c += nonlin::row_is_max(x[i], m);
        s += nonlin::row_exp_term(x[i], m);
    }
    double k = nonlin::row_scale(log, m, c, s);
    // backward from x: y recomputed in double, as the kernel does
    double dot = 0;
    for (size_t i = 0; i < n; i++) {
        dot += nonlin::row_dot_term(log, nonlin::row_y(log, m, k, x[i]), dy[i]);
    }
    for (size_t i = 0; i < n; i++) {
        double y = nonlin::row_y(log, m, k, x[i]);
        out[3 * i] = (float) y;
        out[3 * i + 1] = (float) nonlin::row_dx(log, y, dy[i], dot);
    }
    // backward from the float output
    double dot2 = 0;
    for (size_t i = 0; i < n; i++) {
        dot2 += nonlin::row_dot_term(log, out[3 * i], dy[i]);
    }
    for (size_t i = 0; i < n; i++) {
        out[3 * i + 2] = (float) nonlin::row_dx(log, out[3 * i], dy[i], dot2);
    }
}

int rows(Op op, const char* in, const char* out) {
    if (op != Op::SOFTMAX && op != Op::LOG_SOFTMAX) {
        return fail("rows: op is not row-wise");
    }
    std::vector<unsigned char> b;
    if (!read_all(in, b) || b.size() % 4 != 0) {
        return fail("cannot read the rows input");
    }
    std::vector<float> r;
    size_t words = b.size() / 4;
    size_t w = 0;
    while (w < words) {
        int32_t cols;
        std::memcpy(&cols, b.data() + 4 * w, sizeof cols);
        w++;
        if (cols < 0 || w + 2 * (size_t) cols > words) {
            return fail("rows: truncated record");
        }
        std::vector<float> x(cols), dy(cols);
        for (int32_t i = 0; i < cols; i++) {
            x[i] = at(b, w + i);
            dy[i] = at(b, w + cols + i);
        }
        w += 2 * (size_t) cols;
        size_t base = r.size();
        r.resize(base + 3 * (size_t) cols);
        row(op == Op::LOG_SOFTMAX, x.data(), dy.data(), cols, r.data() + base);
    }
    return write_all(out, r) ? 0 : fail("cannot write the rows output");
}

int prelu(long rows_, long cols, long nalpha, const char* in, const char* out) {
    std::vector<unsigned char> b;
    size_t n = (size_t) rows_ * (size_t) cols;
    if (!read_all(in, b) || b.size() != 4 * ((size_t) nalpha + 2 * n) || (nalpha != 1 && nalpha != cols)) {
        return fail("cannot read the prelu input");
    }
    std::vector<float> r(2 * n + nalpha);
    std::vector<double> da(nalpha, 0.0);
    for (long row = 0; row < rows_; row++) {
        for (long c = 0; c < cols; c++) {
            size_t i = (size_t) row * cols + c;
            long a = nalpha == 1 ? 0 : c;
            float alpha = at(b, a);
            float x = at(b, nalpha + i);
            float dy = at(b, nalpha + n + i);
            r[i] = nonlin::forward_f32<nonlin::PRelu>(x, alpha, 0.0f);
            r[n + i] = nonlin::backward_f32<nonlin::PRelu>(x, dy, alpha, 0.0f);
            da[a] += nonlin::PRelu::dalpha_term(x, dy);
        }
    }
    for (long a = 0; a < nalpha; a++) {
        r[2 * n + a] = (float) da[a];
    }
    return write_all(out, r) ? 0 : fail("cannot write the prelu output");
}

int ulp(const char* in, const char* out) {
    std::vector<unsigned char> b;
    if (!read_all(in, b) || b.size() % 16 != 0) {
        return fail("cannot read the ulp input");
    }
    size_t n = b.size() / 16;
    std::vector<double> r(2 * n);
    for (size_t i = 0; i < n; i++) {
        float got;
        double exact;
        float dy;
        std::memcpy(&got, b.data() + 16 * i, 4);
        std::memcpy(&exact, b.data() + 16 * i + 4, 8);
        std::memcpy(&dy, b.data() + 16 * i + 12, 4);
        r[2 * i] = nonlin::ulp_error(got, exact);
        r[2 * i + 1] = nonlin::backward_ulp_error(got, exact, dy);
    }
    return write_all(out, r) ? 0 : fail("cannot write the ulp output");
}

int dy(const char* seed_hex, long long start, long long n) {
    uint64_t seed = std::strtoull(seed_hex, nullptr, 16);
    for (long long i = 0; i < n; i++) {
        std::printf("%08x\n", (unsigned) nonlin::float_bits(nonlin::accuracy_dy(seed, (uint64_t) (start + i))));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && !std::strcmp(argv[1], "ops")) {
        return ops();
    }
    if (argc >= 2 && !std::strcmp(argv[1], "erfcx")) {
        return erfcx();
    }
    if (argc == 7 && !std::strcmp(argv[1], "pointwise")) {
        return pointwise((Op) std::atoi(argv[2]), bits_to_float(argv[3]), bits_to_float(argv[4]), argv[5], argv[6]);
    }
    if (argc == 5 && !std::strcmp(argv[1], "rows")) {
        return rows((Op) std::atoi(argv[2]), argv[3], argv[4]);
    }
    if (argc >= 2 && !std::strcmp(argv[1], "loss_ops")) {
        return loss_ops();
    }
    if (argc == 6 && !std::strcmp(argv[1], "loss")) {
        return loss((nonlin::LossOp) std::atoi(argv[2]), bits_to_float(argv[3]), argv[4], argv[5]);
    }
    if (argc == 6 && !std::strcmp(argv[1], "ce")) {
        return ce(std::atoll(argv[2]), bits_to_float(argv[3]), argv[4], argv[5]);
    }
    if (argc == 7 && !std::strcmp(argv[1], "prelu")) {
        return prelu(std::atol(argv[2]), std::atol(argv[3]), std::atol(argv[4]), argv[5], argv[6]);
    }
    if (argc == 4 && !std::strcmp(argv[1], "ulp")) {
        return ulp(argv[2], argv[3]);
    }
    if (argc == 5 && !std::strcmp(argv[1], "dy")) {
        return dy(argv[2], std::atoll(argv[3]), std::atoll(argv[4]));
    }
    return fail("usage: host_driver ops | erfcx | pointwise <op> <p0> <p1> <in> <out> | rows <op> <in> <out>"
                " | prelu <rows> <cols> <nalpha> <in> <out> | loss_ops | loss <op> <p0> <in> <out>"
                " | ce <ignore_index> <eps> <in> <out> | ulp <in> <out> | dy <seed> <start> <n>");
}
