#!/usr/bin/env bash
# Assembles every PTX file that ci/build-ptx.sh wrote (as nvcc wrote it, and the variant with a
# lowered .version) with ptxas for each GPU architecture we promise (DESIGN.md §4.3), and fails
# on any error.
#
#   ci/check-ptx.sh [PTX_DIR]        default: target/classes/dev/nonlin/cuda/ptx
#
# Environment:
#   PTXAS               ptxas to use (default ptxas)
#   NONLIN_PTX_ARCHS    architectures (default "75 80 86 89 90 100 120")
#   NONLIN_PTXAS_LEGACY an older ptxas (e.g. CUDA 11.8's /usr/bin/ptxas from Debian's
#                       nvidia-cuda-toolkit, in bookworm's non-free component) to check the lowered
#                       files (*.cuda12.ptx) with too: the closest thing to an old driver's JIT that
#                       a machine without a GPU has. Architectures it does not know are skipped.
#   NONLIN_PTXAS_VERBOSE=1  also print ptxas -v (registers, spills) for sm_90
# Without ptxas it prints why and exits 0. An architecture that this ptxas does not know (an old
# toolkit and sm_120) is reported as skipped, not failed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$root/target/classes/dev/nonlin/cuda/ptx}"
ptxas="${PTXAS:-ptxas}"
if ! command -v "$ptxas" >/dev/null 2>&1 && [ -n "${CUDA_HOME:-}" ] && [ -x "$CUDA_HOME/bin/ptxas" ]; then
    ptxas="$CUDA_HOME/bin/ptxas"
fi
archs="${NONLIN_PTX_ARCHS:-75 80 86 89 90 100 120}"
legacy="${NONLIN_PTXAS_LEGACY:-}"

if ! command -v "$ptxas" >/dev/null 2>&1; then
    echo "check-ptx: '$ptxas' not found: skipping the PTX checks"
    exit 0
fi
shopt -s nullglob
files=("$dir"/*.ptx)
if [ ${#files[@]} -eq 0 ]; then
    echo "check-ptx: no PTX in $dir: run ci/build-ptx.sh first" >&2
    exit 1
fi

failures=0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# check ASSEMBLER LABEL FILE: one line per file, one column per architecture
check() {
    local as="$1" label="$2" f="$3" line="" a log
    local version
    version="$(sed -n 's/^\.version \([0-9][0-9.]*\)$/\1/p' "$f" | head -n 1)"
    line="$(printf '%-8s %-22s .version %-4s' "$label" "$(basename "$f")" "$version")"
    for a in $archs; do
        if log="$("$as" -arch="sm_$a" "$f" -o "$tmp/out.cubin" 2>&1)"; then
            line="$line  sm_$a ok"
        elif grep -qiE "not defined for option|unsupported gpu architecture|is not a supported" <<<"$log" \
                && ! grep -q "line [0-9]" <<<"$log"; then
            line="$line  sm_$a skipped"
        else
            line="$line  sm_$a FAILED"
            failures=$((failures + 1))
            echo "check-ptx: $label ptxas -arch=sm_$a $(basename "$f"):" >&2
            echo "$log" | head -n 20 >&2
        fi
    done
    echo "$line"
}

echo "check-ptx: $("$ptxas" --version | tail -n 1)"
for f in "${files[@]}"; do
    check ptxas "ptxas" "$f"
done
if [ -n "$legacy" ]; then
    if command -v "$legacy" >/dev/null 2>&1; then
        echo "check-ptx: legacy $("$legacy" --version | tail -n 1)"
        lowered=0
        for f in "${files[@]}"; do
            case "$(basename "$f")" in
                *.cuda12.ptx) check "$legacy" "legacy" "$f"; lowered=$((lowered + 1)) ;;
            esac
        done
        [ "$lowered" -gt 0 ] || echo "check-ptx: no lowered (*.cuda12.ptx) files for the legacy ptxas"
    else
        echo "check-ptx: NONLIN_PTXAS_LEGACY='$legacy' not found: legacy check skipped"
    fi
fi
if [ "${NONLIN_PTXAS_VERBOSE:-0}" = 1 ]; then
    for f in "${files[@]}"; do
        echo "check-ptx: ptxas -v -arch=sm_90 $(basename "$f")"
        "$ptxas" -v -arch=sm_90 "$f" -o "$tmp/out.cubin" 2>&1 | grep -E "Compiling entry|registers|spill" | sed 's/^/    /'
    done
fi
if [ "$failures" -gt 0 ]; then
    echo "check-ptx: $failures failure(s)" >&2
    exit 1
fi
echo "check-ptx: all ${#files[@]} PTX files assemble for: $archs"
