// cuda_host_emu.h: just enough of CUDA to run our kernels on the CPU, one block at a time with
// one std::thread per CUDA thread, so that their launch logic (grid-stride loops, the float4 path
// and its tail, warp and block reductions, in-place use, the dα chunking) is tested on machines
// without a GPU. It is not a general emulator: it covers what cuda/*.cu use, no more.
//
//   - blockIdx/threadIdx/blockDim/gridDim are thread-locals, set per emulated thread;
//   - __shared__ becomes static: blocks run one after another, so one copy per kernel suffices;
//   - __syncthreads() is a std::barrier over the block; __shfl_xor_sync a std::barrier per warp
//     around a slot exchange (all 32 lanes must take part, as FULL_MASK promises);
//   - emu::launch(kernel, grid, block, args...) runs the grid and returns when it is done; the
//     CUDA threads are a pool of OS threads, reused across blocks and launches.
//   - grids and blocks are 1-D (the .y and .z of blockIdx, threadIdx, blockDim and gridDim stay
//     0): our kernels, the SGEMM included (dense.cu loops over its tiles), use x only;
//   - __launch_bounds__ is a register budget for ptxas and means nothing here.
// Build: g++ -std=c++20 -pthread (std::barrier).
#ifndef NONLIN_CUDA_HOST_EMU_H
#define NONLIN_CUDA_HOST_EMU_H

#include <barrier>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#define __host__
#define __device__
#define __global__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

struct emu_uint3 {
    unsigned x = 0, y = 0, z = 0;
};

struct alignas(16) float4 {
    float x, y, z, w;
};

inline thread_local emu_uint3 threadIdx;
inline thread_local emu_uint3 blockIdx;
inline thread_local emu_uint3 blockDim;
inline thread_local emu_uint3 gridDim;

inline long long min(long long a, long long b) {
    return a < b ? a : b;
}

namespace emu {

struct Block {
    std::unique_ptr<std::barrier<>> block;
    std::vector<std::unique_ptr<std::barrier<>>> warps;
    std::vector<double> slots;   // one per thread, for shuffles
};

inline thread_local Block* current = nullptr;

}  // namespace emu

inline void __syncthreads() {
    emu::current->block->arrive_and_wait();
}

inline double __shfl_xor_sync(unsigned, double v, int lane_mask) {
    emu::Block* b = emu::current;
    unsigned t = threadIdx.x;
    unsigned warp = t >> 5;
    b->slots[t] = v;
    b->warps[warp]->arrive_and_wait();
    double r = b->slots[(warp << 5) | ((t & 31) ^ (unsigned) lane_mask)];
    b->warps[warp]->arrive_and_wait();
    return r;
}

namespace emu {

/** OS threads that run one CUDA block's threads at a time (thread i is threadIdx.x = i). */
class Pool {
public:
    ~Pool() {
        {
            std::lock_guard<std::mutex> l(m_);
            stop_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : threads_) {
            t.join();
        }
    }

    /** Runs job(i) for i in [0, n) on n pool threads and waits for all of them. */
    void run(unsigned n, const std::function<void(unsigned)>& job) {
        std::unique_lock<std::mutex> l(m_);
        while (threads_.size() < n) {
            unsigned id = (unsigned) threads_.size();
            threads_.emplace_back([this, id] { work(id); });
        }
        job_ = &job;
        active_ = n;
        remaining_ = n;
        generation_++;
        wake_.notify_all();
        done_.wait(l, [this] { return remaining_ == 0; });
        job_ = nullptr;
    }

private:
    void work(unsigned id) {
        unsigned long long seen = 0;
        for (;;) {
            const std::function<void(unsigned)>* job;
            {
                std::unique_lock<std::mutex> l(m_);
                wake_.wait(l, [&] { return stop_ || generation_ != seen; });
                if (stop_) {
                    return;
                }
                seen = generation_;
                if (id >= active_) {
                    continue;
                }
                job = job_;
            }
            (*job)(id);
            std::lock_guard<std::mutex> l(m_);
            if (--remaining_ == 0) {
                done_.notify_all();
            }
        }
    }

    std::mutex m_;
    std::condition_variable wake_;
    std::condition_variable done_;
    std::vector<std::thread> threads_;
    const std::function<void(unsigned)>* job_ = nullptr;
    unsigned active_ = 0;
    unsigned remaining_ = 0;
    unsigned long long generation_ = 0;
    bool stop_ = false;
};

inline Pool pool;

/** Runs kernel<<<grid, block>>>(args...) on the CPU; blocks run one after another. */
template <class... P, class... A>
void launch(void (*kernel)(P...), unsigned grid, unsigned block, A... args) {
    for (unsigned b = 0; b < grid; b++) {
        Block blk;
        blk.block = std::make_unique<std::barrier<>>(block);
        for (unsigned w = 0; w < (block + 31) / 32; w++) {
            unsigned lanes = (w + 1) * 32 <= block ? 32 : block - w * 32;
            blk.warps.push_back(std::make_unique<std::barrier<>>(lanes));
        }
        blk.slots.assign(block, 0.0);
        pool.run(block, [&](unsigned t) {
            current = &blk;
            threadIdx.x = t;
            blockIdx.x = b;
            blockDim.x = block;
            gridDim.x = grid;
            kernel(args...);
        });
    }
}

}  // namespace emu

#endif  // NONLIN_CUDA_HOST_EMU_H
