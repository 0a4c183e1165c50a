#!/usr/bin/env python3
"""PyTorch's CPU float32 activations against float64, in ULP: the other side of the README's
"Measured accuracy" table, measured the same way as `nonlin accuracy`.

For every float32 input x (--exhaustive: all 2^32 bit patterns; otherwise --samples of them,
uniform over the bit patterns), PyTorch computes f(x) in float32 and, as the reference, in float64
(torch's own float64 kernels, accurate to about 1e-16, which is invisible at float's ULP). The
error is |y - ref| / ulp(float(ref)), nonlin's definition (dev.nonlin.cli.Ulp): 0.5 is a correctly
rounded result; an infinity or NaN counts 0 when it matches the reference rounded to float and
infinity otherwise. Where PyTorch's float64 kernel itself cancels (elu, selu and celu compute
e^x - 1, gelu 1 + erf), the forward reference is a stable float64 form instead (REFERENCES). Backward is autograd's dx for dy = 1 against the float64 derivative.

Inputs where the float64 reference itself is not finite are left out of the maximum (their
conventions differ on purpose: see the README's "Where we differ from PyTorch"); their count is
printed. The forward maximum is also given over normal results only (|reference| >= 2^-126), to
tell flushed subnormal results from errors elsewhere; and the count of inputs beyond the 4 ULP
of nonlin's contract. Backward is in the contract's units, as the README's table: ULPs beyond the
slack 2^-23·|dy|. Sampled runs give lower bounds of the true maxima. Prints a Markdown table.
Needs python3-torch (Debian ships 1.13; run it with /usr/bin/python3); not part of the build.

Usage: python3 bench/pytorch-accuracy.py [--exhaustive | --samples N] [--threads T] [FUNCTION ...]
"""
import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

FUNCTIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    # the slope as float32 on both sides, as nonlin's record holds it: 0.01 itself is not a float
    "leaky_relu": lambda x: F.leaky_relu(x, float(np.float32(0.01))),
    "elu": lambda x: F.elu(x, 1.0),
    "selu": F.selu,
    "celu": lambda x: F.celu(x, 1.0),
    "gelu": lambda x: F.gelu(x, approximate="none"),
    "gelu(approximate=tanh)": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "mish": F.mish,
    "softplus": lambda x: F.softplus(x, 1.0, 20.0),
    "hardtanh": F.hardtanh,
    "relu6": F.relu6,
    "hardsigmoid": F.hardsigmoid,
    "hardswish": F.hardswish,
    "softsign": F.softsign,
    "logsigmoid": F.logsigmoid,
}

ROW_FUNCTIONS = {
    "softmax": lambda x: F.softmax(x, dim=-1),
    "log_softmax": lambda x: F.log_softmax(x, dim=-1),
}
ROW_LENGTHS = [1, 2, 3, 7, 32, 33, 1000, 1025, 4097]   # Accuracy.ROW_LENGTHS

# Float64 references in stable forms, for the functions whose float64 kernel in PyTorch cancels
# (elu's e^x - 1, gelu's 1 + erf): PyTorch's own float64 result is used for the rest.
SELU_L, SELU_A = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def _neg_part(x, f):
    return torch.where(x > 0, x, f(torch.minimum(x, torch.zeros_like(x))))


REFERENCES = {
    "elu": lambda x: _neg_part(x, torch.expm1),
    "celu": lambda x: _neg_part(x, torch.expm1),
    "selu": lambda x: SELU_L * _neg_part(x, lambda n: SELU_A * torch.expm1(n)),
    # x·Φ(x) = x/2·erfc(−x/√2): no cancellation for x < 0
    "gelu": lambda x: 0.5 * x * torch.special.erfc(-x / 2 ** 0.5),
    # x·σ(2u) = x/2·(1 + tanh u), with σ branched on sign by torch.sigmoid in double
    "gelu(approximate=tanh)": lambda x: x * torch.sigmoid(2 * (2 / torch.pi) ** 0.5 * (x + 0.044715 * x ** 3)),
}

CHUNK = 1 << 22
ULP_OF_MAX = 2.0 ** 104   # Math.ulp(Float.MAX_VALUE): where the reference rounds past MAX_VALUE
SLACK = 2.0 ** -23        # Ulp.BACKWARD_SLACK
FLT_MIN = 2.0 ** -126     # the smallest normal float
CONTRACT = 4.0            # Ulp.FORWARD_ULPS


def ulps(got32, ref64):
    """nonlin's Ulp.ulps, elementwise; NaN where the reference is not finite (left out)."""
    ref32 = ref64.to(torch.float32)
    a = ref32.abs()
    ulp = (torch.nextafter(a, torch.full_like(a, float("inf"))) - a).to(torch.float64)
    ulp = torch.where(torch.isinf(ulp) | torch.isinf(a), torch.full_like(ulp, ULP_OF_MAX), ulp)
    err = (got32.to(torch.float64) - ref64).abs() / ulp
    # specials: equal infinities are 0, any other infinity or a NaN against a number is infinite
    g_inf = torch.isinf(got32)
    err = torch.where(g_inf, torch.where(got32 == ref32, torch.zeros_like(err), torch.full_like(err, float("inf"))), err)
    err = torch.where(torch.isnan(got32), torch.full_like(err, float("inf")), err)
    return torch.where(torch.isfinite(ref64), err, torch.full_like(err, float("nan"))), ulp


def backward_ulps(got32, ref64, dy=1.0):
    """nonlin's Ulp.backwardUlps: ULPs beyond the contract's slack 2^-23·|dy| (it covers roots of f')."""
    u, ulp = ulps(got32, ref64)
    excess = ((got32.to(torch.float64) - ref64).abs() - SLACK * abs(dy)).clamp(min=0) / ulp
    keep = (u == 0) | torch.isinf(u) | torch.isnan(u)
    return torch.where(keep, u, excess)


def chunk_inputs(start, n, rng):
    if rng is None:
        bits = np.arange(start, start + n, dtype=np.uint64).astype(np.uint32)
    else:
        bits = rng.integers(0, 1 << 32, size=n, dtype=np.uint64).astype(np.uint32)
    return torch.from_numpy(bits.view(np.float32).copy())


class Worst:
    def __init__(self):
        self.err, self.x, self.count = 0.0, None, 0

    def offer(self, e, x32, mask=None):
        """e: errors (NaN: left out); mask: which elements count."""
        ok = ~torch.isnan(e)
        if mask is not None:
            ok &= mask
        e = torch.where(ok, e, torch.zeros_like(e))
        i = int(torch.argmax(e))
        if float(e[i]) > self.err:
            self.err, self.x = float(e[i]), float(x32[i])

    def __str__(self):
        return f"{self.err:.4g} ({self.x:.7g})" if self.x is not None else "0"


def measure(f, total, rng, ref=None):
    """Worst forward error, worst over normal results, inputs beyond 4 ULP, worst backward (contract units)."""
    fw, fw_normal, bw = Worst(), Worst(), Worst()
    beyond = skipped = 0
    done = 0
    while done < total:
        n = min(CHUNK, total - done)
        x32 = chunk_inputs(done, n, rng)
        x64 = x32.to(torch.float64)
        with torch.no_grad():
            y32 = f(x32)
            y64 = (ref or f)(x64)
        e, _ = ulps(y32, y64)
        fw.offer(e, x32)
        fw_normal.offer(e, x32, y64.abs() >= FLT_MIN)
        beyond += int((e > CONTRACT).sum())
        skipped += int(torch.isnan(e).sum())
        a = x32.clone().requires_grad_(True)
        f(a).backward(torch.ones_like(a))
        b = x64.clone().requires_grad_(True)
        f(b).backward(torch.ones_like(b))
        bw.offer(backward_ulps(a.grad, b.grad), x32)
        done += n
    return fw, fw_normal, beyond, bw, skipped


def measure_rows(f, total, rng, lo, hi):
    """Forward only, rows of each of ROW_LENGTHS (an equal share of total), x uniform in [lo, hi]."""
    fw = Worst()
    beyond = 0
    for cols in ROW_LENGTHS:
        rows = max(1, total // len(ROW_LENGTHS) // cols)
        x32 = torch.from_numpy(rng.uniform(lo, hi, size=(rows, cols)).astype(np.float32))
        with torch.no_grad():
            e, _ = ulps(f(x32), f(x32.to(torch.float64)))
        fw.offer(e.flatten(), x32.flatten())
        beyond += int((e > CONTRACT).sum())
    return fw, beyond


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--exhaustive", action="store_true", help="every float32 input (2^32)")
    p.add_argument("--samples", type=int, default=1 << 24, help="random bit patterns otherwise")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--row-range", default="-128:128", help="softmax rows: x uniform in LO:HI")
    p.add_argument("functions", nargs="*", default=list(FUNCTIONS) + list(ROW_FUNCTIONS))
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    total = 1 << 32 if args.exhaustive else args.samples
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{'every float input' if args.exhaustive else f'{total} random float inputs (seed {args.seed})'}")
    print("| function | forward ULP (at x) | forward, normal results | inputs beyond 4 ULP | backward, dy = 1 (contract units) | reference not finite | s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in args.functions:
        rng = None if args.exhaustive else np.random.default_rng(args.seed)
        t0 = time.time()
        if name in ROW_FUNCTIONS:
            lo, hi = (float(v) for v in args.row_range.split(":"))
            n = min(total, 1 << 24)
            fw, beyond = measure_rows(ROW_FUNCTIONS[name], n, np.random.default_rng(args.seed), lo, hi)
            print(f"| {name} (rows of {min(ROW_LENGTHS)}–{max(ROW_LENGTHS)}, {n} elements, x in [{lo:g}, {hi:g}]) "
                  f"| {fw} | {fw} | {beyond} | not measured | 0 | {time.time() - t0:.0f} |", flush=True)
            continue
        fw, fw_normal, beyond, bw, skipped = measure(FUNCTIONS[name], total, rng, REFERENCES.get(name))
        print(f"| {name} | {fw} | {fw_normal} | {beyond} | {bw} | {skipped} | {time.time() - t0:.0f} |", flush=True)


if __name__ == "__main__":
    main()
