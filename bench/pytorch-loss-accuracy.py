#!/usr/bin/env python3
"""PyTorch's CPU float32 losses against float64, in ULP: the other side of the README's
"Losses: measured accuracy" table, in its units.

For each loss, per element (mse, bce, bce_with_logits) or per row (cross_entropy), PyTorch
computes the loss with reduction='none' in float32, and dz by autograd with reduction='sum'
(so dz is each element's own ∂ℓ/∂z, the s = 1 of nonlin's table). The reference is float64 in
the stable forms nonlin's reference uses (cli/LossReference.java): log1p(−p) for log(1 − p), a
stable softplus, and for cross-entropy log1p of the row's sum without its max and every term
z_j − max ≤ 0, so nothing cancels in double. L is in ULP of the exact value rounded to float
(nonlin's Ulp.ulps, shared with bench/pytorch-accuracy.py); dz in ULP beyond the slack
2^-23·W, W = max(1, pos_weight) (nonlin's units for s = 1). Elements whose reference is not
finite are left out and counted.

Inputs, seeded (numpy): logits uniform in [−20, 20] and [−128, 128] and over the finite float
bit patterns; probabilities uniform, tiny (2^-k) and near 1, and σ of [−40, 40]; targets 0, 1
and uniform; mse targets near z and uniform; cross-entropy rows of 2, 7, 33 and 1000 logits
uniform in [−20, 20] and [−128, 128], a third with the target at the max. Sampled: lower
bounds of the true maxima. Needs python3-torch (Debian's 1.13: run with /usr/bin/python3).

Usage: /usr/bin/python3 bench/pytorch-loss-accuracy.py [--samples N] [--seed S]
"""
import argparse
import importlib.util
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

_spec = importlib.util.spec_from_file_location(
    "pytorch_accuracy", os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch-accuracy.py"))
_pa = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pa)
ulps = _pa.ulps
SLACK = _pa.SLACK


def beyond_slack(got32, ref64, slack):
    """ULPs beyond an absolute slack (nonlin's Ulp.backwardUlps with the slack given)."""
    u, ulp = ulps(got32, ref64)
    excess = ((got32.to(torch.float64) - ref64).abs() - slack).clamp(min=0) / ulp
    keep = (u == 0) | torch.isinf(u) | torch.isnan(u)
    return torch.where(keep, u, excess)


def softplus64(x):
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))


def worst(e, *inputs):
    """(max error, the inputs where it occurs, how many were left out)."""
    e = e.flatten()
    left = int(torch.isnan(e).sum())
    e = torch.where(torch.isnan(e), torch.zeros_like(e), e)
    i = int(torch.argmax(e))
    return float(e[i]), tuple(float(v.flatten()[i]) for v in inputs), left


def logits(rng, n):
    third = n // 3
    bits = rng.integers(0, 1 << 32, size=n - 2 * third, dtype=np.uint64).astype(np.uint32).view(np.float32)
    bits = np.where(np.isfinite(bits), bits, np.float32(0))
    return torch.from_numpy(np.concatenate([
        rng.uniform(-20, 20, third).astype(np.float32),
        rng.uniform(-128, 128, third).astype(np.float32),
        bits]))


def probabilities(rng, n):
    q = n // 4
    return torch.from_numpy(np.concatenate([
        rng.uniform(0, 1, q),
        2.0 ** -rng.uniform(1, 126, q),
        1 - 2.0 ** -rng.uniform(1, 24, q),
        1 / (1 + np.exp(-rng.uniform(-40, 40, n - 3 * q)))]).astype(np.float32))


def targets(rng, n):
    third = n // 3
    return torch.from_numpy(np.concatenate([
        np.zeros(third), np.ones(third), rng.uniform(0, 1, n - 2 * third)]).astype(np.float32))


def elementwise(name, f32, ref, z32, t32, w=1.0):
    """f32(z, t, reduction) -> loss; ref(z64, t64) -> (ℓ, ∂ℓ/∂z) in float64."""
    with torch.no_grad():
        l32 = f32(z32, t32, "none")
    z = z32.clone().requires_grad_(True)
    f32(z, t32, "sum").backward()
    l64, g64 = ref(z32.to(torch.float64), t32.to(torch.float64))
    fe, fat, fleft = worst(ulps(l32, l64)[0], z32, t32)
    be, bat, bleft = worst(beyond_slack(z.grad, g64, SLACK * max(1.0, w)), z32, t32)
    return fe, fat, be, bat, fleft + bleft


def mse_ref(z, t):
    return (z - t) ** 2, 2 * (z - t)


def bce_ref(p, t):
    l = -(t * torch.clamp(torch.log(p), min=-100) + (1 - t) * torch.clamp(torch.log1p(-p), min=-100))
    g = (p - t) / torch.clamp(p * (1 - p), min=1e-12)
    return l, g


def bcel_ref(w):
    def ref(z, t):
        l = w * t * softplus64(-z) + (1 - t) * softplus64(z)
        g = (1 - t) * torch.sigmoid(z) - w * t * torch.sigmoid(-z)
        return l, g
    return ref


def cross_entropy(rng, n, eps):
    """Rows of 2, 7, 33 and 1000 logits; returns the worst L (per row) and dz."""
    fw = bw = (0.0, None)
    left = 0
    for cols in (2, 7, 33, 1000):
        rows = max(1, n // 4 // cols)
        for lo, hi in ((-20, 20), (-128, 128)):
            z32 = torch.from_numpy(rng.uniform(lo, hi, (rows, cols)).astype(np.float32))
            t = torch.from_numpy(rng.integers(0, cols, rows))
            top = torch.argmax(z32, dim=1)
            t = torch.where(torch.arange(rows) % 3 == 0, top, t)
            with torch.no_grad():
                l32 = F.cross_entropy(z32, t, reduction="none", label_smoothing=eps)
            z = z32.clone().requires_grad_(True)
            F.cross_entropy(z, t, reduction="sum", label_smoothing=eps).backward()
            z64 = z32.to(torch.float64)
            m = z64.max(dim=1, keepdim=True).values
            d = z64 - m                                  # ≤ 0, exact in double
            ex = torch.exp(d)
            is_max = d == 0
            r = torch.where(is_max, torch.zeros_like(ex), ex).sum(dim=1) + (is_max.sum(dim=1) - 1)
            lse = torch.log1p(r)                         # log Σ e^(z_j − m), no cancellation
            zt = d.gather(1, t[:, None])[:, 0]
            l64 = lse - (1 - eps) * zt - eps / cols * d.sum(dim=1)
            p = ex / (1 + r)[:, None]
            onehot = torch.zeros_like(p).scatter_(1, t[:, None], 1.0)
            g64 = p - eps / cols - (1 - eps) * onehot
            e, _ = ulps(l32, l64)
            fe = worst(e, z32.max(dim=1).values, zt.to(torch.float32))
            be = worst(beyond_slack(z.grad, g64, SLACK), z32, z32)
            left += fe[2] + be[2]
            if fe[0] > fw[0]:
                fw = (fe[0], f"C = {cols}, z in [{lo}, {hi}]")
            if be[0] > bw[0]:
                bw = (be[0], f"C = {cols}, z in [{lo}, {hi}]")
    return fw, bw, left


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--samples", type=int, default=1 << 20)
    a.add_argument("--seed", type=int, default=1)
    args = a.parse_args()
    n = args.samples
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, {n} samples per loss (seed {args.seed})")
    print("| loss | L, per element or row (at) | dz, beyond slack (at) | left out | s |")
    print("|---|---:|---:|---:|---:|")
    rng = np.random.default_rng(args.seed)
    cases = [
        ("mse", lambda z, t, r: F.mse_loss(z, t, reduction=r), mse_ref, None, 1.0),
        ("bce", lambda p, t, r: F.binary_cross_entropy(p, t, reduction=r), bce_ref, "p", 1.0),
    ]
    for w in (1.0, 2.5):
        cases.append((f"bce_with_logits(pos_weight={w:g})",
                      lambda z, t, r, w=w: F.binary_cross_entropy_with_logits(z, t, reduction=r,
                                                                              pos_weight=torch.tensor(w)),
                      bcel_ref(w), None, w))
    for name, f32, ref, kind, w in cases:
        t0 = time.time()
        if kind == "p":
            z32 = probabilities(rng, n)
            t32 = targets(rng, n)
        elif name == "mse":
            z32 = logits(rng, n)
            near = z32 * (1 + torch.from_numpy(rng.uniform(-1e-6, 1e-6, n).astype(np.float32)))
            t32 = torch.where(torch.arange(n) % 2 == 0, near, logits(rng, n))
        else:
            z32 = logits(rng, n)
            t32 = targets(rng, n)
        fe, fat, be, bat, left = elementwise(name, f32, ref, z32, t32, w)
        print(f"| {name} | {fe:.4g} (z = {fat[0]:.7g}, t = {fat[1]:.7g}) | {be:.4g} (z = {bat[0]:.7g}, t = {bat[1]:.7g}) "
              f"| {left} | {time.time() - t0:.0f} |", flush=True)
    for eps in (0.0, 0.1):
        t0 = time.time()
        fw, bw, left = cross_entropy(rng, n, eps)
        print(f"| cross_entropy(label_smoothing={eps:g}) | {fw[0]:.4g} ({fw[1]}) | {bw[0]:.4g} ({bw[1]}) | {left} "
              f"| {time.time() - t0:.0f} |", flush=True)


if __name__ == "__main__":
    main()
