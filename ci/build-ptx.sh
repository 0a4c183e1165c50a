#!/usr/bin/env bash
# Builds every cuda/*.cu to PTX for compute_75, the oldest architecture CUDA 13 still targets;
# the driver JIT-compiles it for whatever GPU it finds (sm_75 and up).
#
#   ci/build-ptx.sh [OUT_DIR]        default: target/classes/dev/nonlin/cuda/ptx
#
# For each cuda/NAME.cu it writes two files:
#   NAME.ptx      as nvcc wrote it. nvcc 13 declares `.version 9.0`, which only CUDA 13
#                 drivers (>= 580) JIT; older drivers answer CUDA_ERROR_UNSUPPORTED_PTX_VERSION.
#   NAME.cuda12.ptx  the same text with the `.version` line lowered to 7.8 (CUDA 11.8), for CUDA
#                 11.8 and 12.x drivers and for JCuda's JNvPTXCompiler (CUDA 12.0, PTX <= 8.0). ptxas
#                 checks every instruction against the declared version ("Feature X requires PTX
#                 ISA .version Y or later"), so `ptxas -arch=sm_75` accepting the lowered file is
#                 a real gate; this script runs it and fails the build if it does not pass.
#                 Measured with nvcc/ptxas 13.0: all our kernels pass at 7.8 (and even at 6.3),
#                 and CUDA 11.8's own ptxas accepts the lowered files for sm_75..sm_90.
# The loader (dev.nonlin.cuda.CudaDevice) picks by cuDriverGetVersion(): >= 13000 NAME.ptx first,
# else NAME.cuda12.ptx first. Both hold the same instructions; only the .version line differs.
#
# No --use_fast_math, ever: it turns expf into ex2.approx and tanhf into tanh.approx and flushes
# denormals, which would break the numerics contract (DESIGN.md §3). The math is in double anyway
# (cuda/include/nonlin_math.cuh says why).
#
# Environment: NVCC (default nvcc), PTXAS (default ptxas),
#              NONLIN_PTX_LOWERED_VERSION (default 7.8),
#              NONLIN_PTX_FORCE=1 to rebuild even when every PTX file is newer than its inputs.
# Without nvcc it prints why and exits 0, so the Maven build works on machines without CUDA.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/target/classes/dev/nonlin/cuda/ptx}"
nvcc="${NVCC:-nvcc}"
ptxas="${PTXAS:-ptxas}"
if ! command -v "$nvcc" >/dev/null 2>&1 && [ -n "${CUDA_HOME:-}" ] && [ -x "$CUDA_HOME/bin/nvcc" ]; then
    nvcc="$CUDA_HOME/bin/nvcc"
    [ -x "$CUDA_HOME/bin/ptxas" ] && ptxas="${PTXAS:-$CUDA_HOME/bin/ptxas}"
fi
lowered_version="${NONLIN_PTX_LOWERED_VERSION:-7.8}"
lowered_tag="cuda12"

if ! command -v "$nvcc" >/dev/null 2>&1; then
    echo "build-ptx: '$nvcc' not found: skipping the PTX build (the CUDA backend will report that its PTX is missing)"
    exit 0
fi
have_ptxas=1
if ! command -v "$ptxas" >/dev/null 2>&1; then
    have_ptxas=0
    echo "build-ptx: warning: '$ptxas' not found: the lowered PTX is written but not checked"
fi

mkdir -p "$out"
shopt -s nullglob
sources=("$root"/cuda/*.cu)
if [ ${#sources[@]} -eq 0 ]; then
    echo "build-ptx: no cuda/*.cu found under $root" >&2
    exit 1
fi

# version_le A B: A <= B for PTX ISA versions like 7.8 and 9.0
version_le() {
    awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, "."); split(b, y, ".");
        exit !((x[1] + 0 < y[1] + 0) || (x[1] + 0 == y[1] + 0 && x[2] + 0 <= y[2] + 0)) }'
}

# Up to date: every output newer than every input (the .cu files, the headers, this script)?
up_to_date() {
    local cu out_file input
    for cu in "${sources[@]}"; do
        for out_file in "$out/$(basename "$cu" .cu).ptx" "$out/$(basename "$cu" .cu).$lowered_tag.ptx"; do
            [ -f "$out_file" ] || return 1
            for input in "${sources[@]}" "$root"/cuda/include/* "${BASH_SOURCE[0]}"; do
                [ "$out_file" -nt "$input" ] || return 1
            done
        done
    done
    return 0
}
if [ "${NONLIN_PTX_FORCE:-0}" != 1 ] && up_to_date; then
    echo "build-ptx: PTX in $out is up to date (NONLIN_PTX_FORCE=1 rebuilds)"
    exit 0
fi

for cu in "${sources[@]}"; do
    name="$(basename "$cu" .cu)"
    ptx="$out/$name.ptx"
    "$nvcc" -ptx -arch=compute_75 -std=c++17 -O3 -I"$root/cuda/include" -o "$ptx" "$cu"
    version="$(sed -n 's/^\.version \([0-9][0-9.]*\)$/\1/p' "$ptx" | head -n 1)"
    if [ -z "$version" ]; then
        echo "build-ptx: $ptx has no .version line" >&2
        exit 1
    fi
    low="$out/$name.$lowered_tag.ptx"
    if version_le "$version" "$lowered_version"; then
        cp "$ptx" "$low"   # an older nvcc already wrote a version the old drivers take
    else
        sed "s/^\.version $version\$/.version $lowered_version/" "$ptx" > "$low"
    fi
    if [ "$have_ptxas" = 1 ]; then
        if ! log="$("$ptxas" -arch=sm_75 "$low" -o /dev/null 2>&1)"; then
            echo "build-ptx: $name.cu needs PTX newer than $lowered_version (ptxas on $low):" >&2
            echo "$log" >&2
            rm -f "$low"
            exit 1
        fi
    fi
    echo "build-ptx: $name.ptx (.version $version), $name.$lowered_tag.ptx (.version $lowered_version)"
done
echo "build-ptx: wrote ${#sources[@]} modules to $out"
