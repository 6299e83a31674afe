#!/usr/bin/python3
"""Writes data/gptq_cases.json for GptqTest.cpp: GPTQ run by a transcription
of the published reference (github.com/IST-DASLab/gptq, gptq.py,
GPTQ.fasterquant, the version with static_groups) in Debian's python3-torch,
in float64, on a small layer with correlated inputs, for several options.

The quantizer is QuantOpt's (docs/Numerics.md), transcribed here in numpy
float32: symmetric s = amax / (levels / 2); asymmetric over [min(x, 0),
max(x, 0)] with s = (hi - lo) / levels, z = qmin - round(lo / s);
q = clamp(round_half_even(float32(x) / s) + z); x' = float32(s * (q - z)).
The reference's own quantizer (unsigned [0, maxq], its symmetric variant
uses the full range) is the same as the asymmetric one on unsigned storage.

Run once; the output is checked in:
    /usr/bin/python3 unittests/Algorithms/gen_gptq_cases.py unittests/Algorithms/data/gptq_cases.json
"""
import json
import sys

import numpy as np
import torch

RANGES = {"i4": (-8, 7), "u4": (0, 15), "i8": (-128, 127), "i2": (-2, 1), "u8": (0, 255)}


def narrow(storage, rng):
    if isinstance(rng, tuple):  # a custom range, e.g. 3 bits in i4: (-4, 3)
        return rng
    lo, hi = RANGES[storage]
    return (lo + 1, hi) if rng == "narrow" else (lo, hi)


class Quantizer:
    """One parameter set per row: QuantOpt's solver and rounding."""

    def __init__(self, storage, scheme, rng):
        self.qmin, self.qmax = narrow(storage, rng)
        self.signed = storage.startswith("i")
        self.scheme = scheme

    def find_params(self, w):
        w = w.numpy()
        lo = np.minimum(w.min(axis=1), 0).astype(np.float32)
        hi = np.maximum(w.max(axis=1), 0).astype(np.float32)
        levels = np.float32(self.qmax - self.qmin)
        if self.scheme == "symmetric":
            amax = np.maximum(np.abs(lo), np.abs(hi))
            scale = (amax / (levels / np.float32(2))).astype(np.float32)
            zero = np.full(len(w), 0 if self.signed else (self.qmin + self.qmax + 1) // 2)
            flat = amax == 0
        else:
            scale = ((hi - lo) / levels).astype(np.float32)
            flat = hi == lo
        scale = np.where(flat, np.float32(1), np.maximum(scale, np.finfo(np.float32).tiny))
        scale = scale.astype(np.float32)
        if self.scheme != "symmetric":
            zero = np.clip(np.float32(self.qmin) - np.rint(lo / scale), self.qmin, self.qmax)
        self.scale, self.zero = scale, zero.astype(np.int64)

    def codes(self, x):
        x = x.numpy().astype(np.float32)
        y = (x / self.scale).astype(np.float32)
        return np.clip(np.rint(y) + self.zero, self.qmin, self.qmax).astype(np.int64)

    def dequantize(self, q):
        return (self.scale * (q - self.zero).astype(np.float32)).astype(np.float32)


def fasterquant(W, H, quantizer, blocksize, percdamp, groupsize, actorder, static_groups):
    """The reference's fasterquant, line for line (float64 tensors)."""
    import copy
    W = W.clone()
    H = H.clone()
    columns = W.shape[1]
    quantizer.find_params(W)
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    params = {}
    if static_groups:
        groups = []
        for i in range(0, columns, groupsize):
            q = copy.deepcopy(quantizer)
            q.find_params(W[:, i:(i + groupsize)])
            groups.append(q)
            params[i // groupsize] = q
    if actorder:
        perm = torch.argsort(torch.diag(H), descending=True, stable=True)
        W = W[:, perm]
        H = H[perm][:, perm]
        invperm = torch.argsort(perm)
    Q = torch.zeros_like(W)
    codes = np.zeros(W.shape, np.int64)
    rounded = np.zeros(W.shape, np.float32)
    Losses = torch.zeros_like(W)
    damp = percdamp * torch.mean(torch.diag(H))
    diag = torch.arange(columns)
    H[diag, diag] += damp
    H = torch.linalg.cholesky(H)
    H = torch.cholesky_inverse(H)
    H = torch.linalg.cholesky(H, upper=True)
    Hinv = H
    if groupsize == -1:
        params[0] = copy.deepcopy(quantizer)
    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1
        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Losses1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]
            if groupsize != -1:
                if not static_groups:
                    if (i1 + i) % groupsize == 0:
                        quantizer.find_params(W[:, (i1 + i):(i1 + i + groupsize)])
                        params[(i1 + i) // groupsize] = copy.deepcopy(quantizer)
                else:
                    idx = i1 + i
                    if actorder:
                        idx = perm[idx]
                    quantizer = groups[int(idx) // groupsize]
            c = quantizer.codes(w)
            q = torch.from_numpy(quantizer.dequantize(c).astype(np.float64))
            codes[:, i1 + i] = c
            rounded[:, i1 + i] = w.numpy().astype(np.float32)
            Q1[:, i] = q
            Losses1[:, i] = (w - q) ** 2 / d ** 2
            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err1
        Q[:, i1:i2] = Q1
        Losses[:, i1:i2] = Losses1 / 2
        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    if actorder:
        Q = Q[:, invperm]
        codes = codes[:, invperm.numpy()]
        rounded = rounded[:, invperm.numpy()]
    scales = np.stack([params[g].scale for g in sorted(params)], axis=1)
    zeros = np.stack([params[g].zero for g in sorted(params)], axis=1)
    return Q.numpy(), codes, rounded, scales, zeros, float(torch.sum(Losses))


def main():
    rng = np.random.default_rng(20261203)
    rows, cols, n = 12, 80, 400
    # Correlated inputs with unequal channel scales; channel 5 is dead.
    mix = rng.normal(size=(cols, cols)) * 0.3 + np.eye(cols)
    X = rng.normal(size=(n, cols)) @ mix * rng.uniform(0.2, 3.0, size=cols)
    X[:, 5] = 0
    W = rng.normal(size=(rows, cols)).astype(np.float32)
    W[3] *= 0.01  # a row with a much smaller range
    H = 2 * X.T @ X / n
    cases = []
    configs = [
        # name, storage, scheme, range, group, block, damp, actorder, static
        ("channel-i4-asym", "i4", "asymmetric", "full", -1, 128, 0.01, False, False),
        ("channel-i4-sym", "i4", "symmetric", "narrow", -1, 32, 0.01, False, False),
        ("group32-u4-asym-block128", "u4", "asymmetric", "full", 32, 128, 0.01, False, False),
        ("group32-i4-asym-block16", "i4", "asymmetric", "full", 32, 16, 0.05, False, False),
        ("group24-i4-sym-block32", "i4", "symmetric", "narrow", 24, 32, 0.01, False, False),
        ("channel-i2-asym-actorder", "i2", "asymmetric", "full", -1, 32, 0.01, True, False),
        ("group32-i4-asym-actorder-static", "i4", "asymmetric", "full", 32, 32, 0.01, True, True),
        ("group16-i8-sym-static", "i8", "symmetric", "narrow", 16, 64, 0.01, False, True),
    ]
    for name, storage, scheme, rg, group, block, damp, act, static in configs:
        Q, codes, rounded, scales, zeros, loss = fasterquant(
            torch.from_numpy(W.astype(np.float64)), torch.from_numpy(H),
            Quantizer(storage, scheme, rg), block, damp, group, act, static)
        # Round to nearest with the same quantizer, for the comparison.
        cases.append({
            "name": name, "storage": storage, "scheme": scheme, "narrow": rg == "narrow",
            "group": max(group, 0), "block": block, "dampening": damp,
            "act_order": act, "static_groups": static,
            "codes": codes.reshape(-1).tolist(),
            "weights": rounded.reshape(-1).tolist(),
            "scales": scales.reshape(-1).tolist(),
            "zero_points": zeros.reshape(-1).tolist(),
            "loss": loss})
    out = {"rows": rows, "cols": cols, "weights": W.reshape(-1).tolist(),
           "hessian": H.reshape(-1).tolist(), "cases": cases}
    with open(sys.argv[1], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
