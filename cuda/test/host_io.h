// host_io.h: the binary file exchange between the Java tests and the host programs
// (host_driver.cpp, dense_emu.cpp): little-endian float32/float64 arrays, and floats passed on
// the command line as their bits in 8 hex digits, so that no value is rounded on the way.
#ifndef NONLIN_HOST_IO_H
#define NONLIN_HOST_IO_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace hostio {

inline bool read_all(const char* path, std::vector<unsigned char>& bytes) {
    FILE* f = std::fopen(path, "rb");
    if (!f) {
        return false;
    }
    unsigned char buf[1 << 16];
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) {
        bytes.insert(bytes.end(), buf, buf + got);
    }
    std::fclose(f);
    return true;
}

template <class T>
bool write_all(const char* path, const std::vector<T>& v) {
    FILE* f = std::fopen(path, "wb");
    if (!f) {
        return false;
    }
    size_t put = std::fwrite(v.data(), sizeof(T), v.size(), f);
    return std::fclose(f) == 0 && put == v.size();
}

inline float bits_to_float(const char* hex) {
    uint32_t u = (uint32_t) std::strtoul(hex, nullptr, 16);
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

/** The i-th float of a byte buffer. */
inline float at(const std::vector<unsigned char>& b, size_t i) {
    float f;
    std::memcpy(&f, b.data() + 4 * i, sizeof f);
    return f;
}

}  // namespace hostio

#endif  // NONLIN_HOST_IO_H
