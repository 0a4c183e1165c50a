// dense_emu.cpp: runs the kernels of cuda/dense.cu on the CPU through cuda_host_emu.h, on data
// from DenseKernelsHostTest, which compares the results with the Java CPU backend. The device
// arithmetic is reproduced exactly (explicit fmaf in the SGEMM, __fmul_rn & co. as plain float
// operations in the optimizers, the same double math in the epilogues), so these are the bits
// the GPU computes; what is left for a GPU run is the hardware itself.
//
// Each mode also checks, on its own, what Java cannot see: the same bits from every grid (and
// both SGEMM tiles), in-place use, and that nothing outside the outputs is written (guard
// zones of a poison NaN around every array, inputs included, so an out-of-range read that
// reaches a result shows as a NaN). A failed self-check prints "FAIL ..." and exits 3.
//
// Usage (files: little-endian float32; float arguments: their bits as 8 hex digits):
//   dense_emu gemm <ops> <m> <n> <k> <alpha> <beta> <in> <out>
//       ops: nn, nt, tn or tt. in: a (m·k, stored k × m for t), b (k·n, stored n × k for t),
//       c (m·n). out: c after sgemm_128x128_<ops>_f32 with one block per tile; the 64x64 tile
//       and smaller grids must give the same bits (±0 aside).
//   dense_emu bias <op> <p0> <p1> <rows> <cols> <rowsPerChunk> <in> <out>
//       in: z (rows·cols), bias (cols), dy (rows·cols). out: y, dz, dbias. y from
//       <name>_bias_forward_f32; dz and dbias from <name>_bias_backward_f32 and
//       bias_grad_finish_f32, for grids of 1, 2 and 7 blocks (all must agree), and in place.
//   dense_emu sgd <lr> <momentum> <weight_decay> <velocity 0|1> <in> <out>
//       in: w, g, then m when velocity is 1 (n each). out: w, then m.
//   dense_emu adam <lr> <beta1> <beta2> <eps> <weight_decay> <c1> <c2> <in> <out>
//       in: w, g, m, v. out: w, m, v.
//   dense_emu scale <beta> <in> <out>
//       in: c. out: beta·c (scale_f32).
// Build: g++ -std=c++20 -O1 -pthread -ffp-contract=off -I cuda/include cuda/test/dense_emu.cpp
#include "cuda_host_emu.h"

#include "../dense.cu"
#include "host_io.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace {

using hostio::bits_to_float;

constexpr uint32_t POISON = 0x7fc0dead;   // a NaN no kernel produces
constexpr size_t GUARD = 37;              // floats of poison before and after every array

float poison() {
    float f;
    std::memcpy(&f, &POISON, sizeof f);
    return f;
}

bool is_poison(float v) {
    return std::memcmp(&v, &POISON, sizeof v) == 0;
}

int failures = 0;

void check(bool ok, const std::string& what) {
    if (!ok) {
        failures++;
        std::printf("FAIL %s\n", what.c_str());
    }
}

/** An array with poisoned guard zones on both sides; data() points at element 0. */
struct Guarded {
    std::vector<float> all;
    size_t n;

    explicit Guarded(size_t count, float fill) : all(count + 2 * GUARD, poison()), n(count) {
        std::fill(all.begin() + GUARD, all.begin() + GUARD + count, fill);
    }

    Guarded(const std::vector<unsigned char>& in, size_t from, size_t count) : Guarded(count, 0.0f) {
        for (size_t i = 0; i < count; i++) {
            all[GUARD + i] = hostio::at(in, from + i);
        }
    }

    float* data() { return all.data() + GUARD; }

    bool guards_intact() const {
        for (size_t i = 0; i < GUARD; i++) {
            if (!is_poison(all[i]) || !is_poison(all[GUARD + n + i])) {
                return false;
            }
        }
        return true;
    }

    std::vector<float> values() const {
        return std::vector<float>(all.begin() + GUARD, all.begin() + GUARD + n);
    }
};

/** Bitwise equal, with ±0 equal (the SGEMM tiles may differ in the sign of a zero sum). */
bool same(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); i++) {
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0 && !(a[i] == 0.0f && b[i] == 0.0f)) {
            return false;
        }
    }
    return true;
}

int fail(const std::string& what) {
    std::fprintf(stderr, "dense_emu: %s\n", what.c_str());
    return 2;
}

bool read_input(const char* path, size_t floats, std::vector<unsigned char>& in) {
    return hostio::read_all(path, in) && in.size() == 4 * floats;
}

int finish(const char* out, const std::vector<float>& r) {
    if (!hostio::write_all(out, r)) {
        return fail("cannot write the output");
    }
    return failures == 0 ? 0 : 3;
}

void append(std::vector<float>& to, const std::vector<float>& v) {
    to.insert(to.end(), v.begin(), v.end());
}

// ------------------------------------------------------------------ SGEMM

using Gemm = void (*)(const float*, const float*, float*, long long, long long, long long, float, float);

struct GemmEntry {
    const char* ops;
    Gemm large;
    Gemm small;
};

const GemmEntry GEMMS[] = {
        {"nn", sgemm_128x128_nn_f32, sgemm_64x64_nn_f32},
        {"nt", sgemm_128x128_nt_f32, sgemm_64x64_nt_f32},
        {"tn", sgemm_128x128_tn_f32, sgemm_64x64_tn_f32},
        {"tt", sgemm_128x128_tt_f32, sgemm_64x64_tt_f32},
};

unsigned tiles(long long m, long long n, long long tile) {
    return (unsigned) (((m + tile - 1) / tile) * ((n + tile - 1) / tile));
}

int gemm(const char* ops, long long m, long long n, long long k, float alpha, float beta, const char* in,
         const char* out) {
    const GemmEntry* e = nullptr;
    for (const GemmEntry& g : GEMMS) {
        if (!std::strcmp(g.ops, ops)) {
            e = &g;
        }
    }
    if (e == nullptr) {
        return fail(std::string("gemm: ops must be nn, nt, tn or tt, not ") + ops);
    }
    std::vector<unsigned char> bytes;
    size_t na = (size_t) (m * k), nb = (size_t) (k * n), nc = (size_t) (m * n);
    if (!read_input(in, na + nb + nc, bytes)) {
        return fail("cannot read the gemm input");
    }
    Guarded a(bytes, 0, na), b(bytes, na, nb);
    std::string tag = std::string("gemm ") + ops + " " + std::to_string(m) + "x" + std::to_string(n) + "x"
            + std::to_string(k);
    // {kernel, grid}: one block per tile, then fewer blocks than tiles (the tile loop)
    struct Run {
        Gemm kernel;
        unsigned grid;
        const char* what;
    };
    const Run runs[] = {{e->large, tiles(m, n, 128), "128x128, a block per tile"},
                        {e->large, 1, "128x128, grid 1"},
                        {e->small, tiles(m, n, 64), "64x64, a block per tile"},
                        {e->small, 3, "64x64, grid 3"}};
    std::vector<float> first;
    for (const Run& r : runs) {
        Guarded c(bytes, na + nb, nc);
        emu::launch(r.kernel, r.grid, 256u, (const float*) a.data(), (const float*) b.data(), c.data(), m, n, k,
                    alpha, beta);
        check(c.guards_intact(), tag + " " + r.what + ": wrote outside c");
        if (first.empty()) {
            first = c.values();
        } else {
            check(same(first, c.values()), tag + " " + r.what + ": not the bits of the first run");
        }
    }
    check(a.guards_intact() && b.guards_intact(), tag + ": wrote into a or b");
    // the launch rule: a block that is not 256 threads writes nothing
    Guarded c(bytes, na + nb, nc);
    std::vector<float> before = c.values();
    emu::launch(e->large, 2u, 128u, (const float*) a.data(), (const float*) b.data(), c.data(), m, n, k, alpha, beta);
    std::vector<float> after = c.values();
    check(std::memcmp(before.data(), after.data(), 4 * nc) == 0, tag + ": blockDim 128 must write nothing");
    return finish(out, first);
}

// ------------------------------------------------------------------ bias + activation

using BiasForward = void (*)(const float*, const float*, float*, long long, long long, float, float);
using BiasBackward = void (*)(const float*, const float*, const float*, float*, double*, long long, long long,
                              long long, float, float);

struct BiasEntry {
    nonlin::Op op;
    const char* name;
    BiasForward forward;
    BiasBackward backward;
};

#define NL_BIAS_ENTRY(OP, name, F, fo) {nonlin::Op::OP, #name, name##_bias_forward_f32, name##_bias_backward_f32},
const BiasEntry BIAS[] = {NONLIN_ELEMENTWISE_FIXED(NL_BIAS_ENTRY)};
#undef NL_BIAS_ENTRY

int bias(int op, float p0, float p1, long long rows, long long cols, long long rows_per_chunk, const char* in,
         const char* out) {
    const BiasEntry* e = nullptr;
    for (const BiasEntry& x : BIAS) {
        if ((int) x.op == op) {
            e = &x;
        }
    }
    if (e == nullptr || rows < 1 || cols < 1 || rows_per_chunk < 1) {
        return fail("bias: unknown op code or empty shape");
    }
    size_t n = (size_t) (rows * cols);
    std::vector<unsigned char> bytes;
    if (!read_input(in, 2 * n + (size_t) cols, bytes)) {
        return fail("cannot read the bias input");
    }
    Guarded z(bytes, 0, n), b(bytes, n, (size_t) cols), dy(bytes, n + cols, n);
    std::string tag = std::string("bias ") + e->name + " " + std::to_string(rows) + "x" + std::to_string(cols);

    Guarded y(n, poison());
    emu::launch(e->forward, 3u, 64u, (const float*) z.data(), (const float*) b.data(), y.data(), rows, cols, p0, p1);
    check(y.guards_intact(), tag + " forward: wrote outside y");
    Guarded zin = z;
    emu::launch(e->forward, 2u, 32u, (const float*) zin.data(), (const float*) b.data(), zin.data(), rows, cols, p0,
                p1);
    check(same(y.values(), zin.values()), tag + " forward in place (y == z)");

    long long chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
    std::vector<float> dz1, db1;
    for (unsigned grid : {1u, 2u, 7u}) {
        for (unsigned block : {32u, 64u}) {
            bool in_place = grid == 7;   // dz == dy
            Guarded g = dy;
            Guarded dz(n, poison());
            float* d = in_place ? g.data() : dz.data();
            std::vector<double> partial((size_t) (chunks * cols), NAN);
            Guarded db((size_t) cols, poison());
            emu::launch(e->backward, grid, block, (const float*) z.data(), (const float*) b.data(),
                        (const float*) g.data(), d, partial.data(), rows, cols, rows_per_chunk, p0, p1);
            emu::launch(bias_grad_finish_f32, grid, block, (const double*) partial.data(), db.data(), chunks, cols);
            std::string run = tag + " backward grid=" + std::to_string(grid) + "x" + std::to_string(block)
                    + (in_place ? " in place" : "");
            check(g.guards_intact() && dz.guards_intact() && db.guards_intact(), run + ": wrote outside dz or dbias");
            std::vector<float> dzv = in_place ? g.values() : dz.values();
            if (dz1.empty()) {
                dz1 = dzv;
                db1 = db.values();
            } else {
                check(same(dz1, dzv), run + ": dz differs from grid 1");
                // the determinism the API promises: the same bits for every grid, ±0 included
                std::vector<float> dbv = db.values();
                check(std::memcmp(db1.data(), dbv.data(), 4 * (size_t) cols) == 0, run + ": dBias differs from grid 1");
            }
        }
    }
    std::vector<float> r = y.values();
    append(r, dz1);
    append(r, db1);
    return finish(out, r);
}

// ------------------------------------------------------------------ optimizers and scale

int sgd(float lr, float momentum, float weight_decay, bool velocity, const char* in, const char* out) {
    std::vector<unsigned char> bytes;
    if (!hostio::read_all(in, bytes) || bytes.size() % (velocity ? 12 : 8) != 0) {
        return fail("cannot read the sgd input");
    }
    size_t n = bytes.size() / (velocity ? 12 : 8);
    Guarded w(bytes, 0, n), g(bytes, n, n), m(bytes, 2 * n, velocity ? n : 0);
    emu::launch(sgd_step_f32, 3u, 64u, w.data(), (const float*) g.data(), velocity ? m.data() : nullptr,
                (long long) n, lr, momentum, weight_decay);
    check(w.guards_intact() && g.guards_intact() && m.guards_intact(), "sgd: wrote outside w or m");
    std::vector<float> r = w.values();
    append(r, m.values());
    return finish(out, r);
}

int adam(const float* hp, const char* in, const char* out) {
    std::vector<unsigned char> bytes;
    if (!hostio::read_all(in, bytes) || bytes.size() % 16 != 0) {
        return fail("cannot read the adam input");
    }
    size_t n = bytes.size() / 16;
    Guarded w(bytes, 0, n), g(bytes, n, n), m(bytes, 2 * n, n), v(bytes, 3 * n, n);
    emu::launch(adam_step_f32, 3u, 64u, w.data(), (const float*) g.data(), m.data(), v.data(), (long long) n, hp[0],
                hp[1], hp[2], hp[3], hp[4], hp[5], hp[6]);
    check(w.guards_intact() && m.guards_intact() && v.guards_intact(), "adam: wrote outside w, m or v");
    std::vector<float> r = w.values();
    append(r, m.values());
    append(r, v.values());
    return finish(out, r);
}

int scale(float beta, const char* in, const char* out) {
    std::vector<unsigned char> bytes;
    if (!hostio::read_all(in, bytes) || bytes.size() % 4 != 0) {
        return fail("cannot read the scale input");
    }
    Guarded c(bytes, 0, bytes.size() / 4);
    emu::launch(scale_f32, 2u, 64u, c.data(), (long long) c.n, beta);
    check(c.guards_intact(), "scale: wrote outside c");
    return finish(out, c.values());
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc >= 2 ? argv[1] : "";
    if (mode == "gemm" && argc == 10) {
        return gemm(argv[2], std::atoll(argv[3]), std::atoll(argv[4]), std::atoll(argv[5]), bits_to_float(argv[6]),
                    bits_to_float(argv[7]), argv[8], argv[9]);
    }
    if (mode == "bias" && argc == 10) {
        return bias(std::atoi(argv[2]), bits_to_float(argv[3]), bits_to_float(argv[4]), std::atoll(argv[5]),
                    std::atoll(argv[6]), std::atoll(argv[7]), argv[8], argv[9]);
    }
    if (mode == "sgd" && argc == 8) {
        return sgd(bits_to_float(argv[2]), bits_to_float(argv[3]), bits_to_float(argv[4]), std::atoi(argv[5]) != 0,
                   argv[6], argv[7]);
    }
    if (mode == "adam" && argc == 11) {
        float hp[7];
        for (int i = 0; i < 7; i++) {
            hp[i] = bits_to_float(argv[2 + i]);
        }
        return adam(hp, argv[9], argv[10]);
    }
    if (mode == "scale" && argc == 5) {
        return scale(bits_to_float(argv[2]), argv[3], argv[4]);
    }
    return fail("usage: dense_emu gemm <ops> <m> <n> <k> <alpha> <beta> <in> <out>"
                " | bias <op> <p0> <p1> <rows> <cols> <rowsPerChunk> <in> <out>"
                " | sgd <lr> <momentum> <weight_decay> <velocity 0|1> <in> <out>"
                " | adam <lr> <beta1> <beta2> <eps> <weight_decay> <c1> <c2> <in> <out> | scale <beta> <in> <out>");
}
