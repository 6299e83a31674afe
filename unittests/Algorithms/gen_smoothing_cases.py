#!/usr/bin/python3
"""Writes data/smoothing_cases.json for SmoothingTest.cpp: SmoothQuant's
scales as smooth.py (github.com/mit-han-lab/smoothquant) computes them, and
AWQ's scale and clipping searches as auto_scale.py / auto_clip.py
(github.com/mit-han-lab/llm-awq) run them -- on the input rows themselves
(outputs compared on X, not through X^T X as QuantOpt does) -- transcribed
in numpy, with QuantOpt's quantizer (gen_gptq_cases.Quantizer, per group).

Run once; the output is checked in:
    /usr/bin/python3 unittests/Algorithms/gen_smoothing_cases.py unittests/Algorithms/data/smoothing_cases.json
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402,F401  (gen_gptq_cases imports it)
from gen_gptq_cases import Quantizer  # noqa: E402


def fake_quantize(w, group, storage, scheme, rng):
    """Per row, per group of `group` columns (0: whole row)."""
    rows, cols = w.shape
    g = group or cols
    out = np.zeros_like(w)
    for c0 in range(0, cols, g):
        q = Quantizer(storage, scheme, rng)
        part = torch.from_numpy(w[:, c0:c0 + g].astype(np.float32))
        # QuantOpt's solver takes the group's own min and max (it extends
        # the range to 0 itself); Quantizer.find_params does the same.
        q.find_params(part)
        codes = np.stack([q.codes(part[:, i]) for i in range(part.shape[1])], axis=1)
        out[:, c0:c0 + g] = np.stack([q.dequantize(codes[:, i]) for i in range(codes.shape[1])], axis=1)
    return out


def smoothquant(w, act_max, alpha):
    w32 = w.astype(np.float32)
    wmax = np.maximum(np.abs(w32).max(axis=0), np.float32(1e-5))
    s = (act_max.astype(np.float32) ** np.float32(alpha)) / (wmax ** np.float32(1 - alpha))
    return np.maximum(s, np.float32(1e-5)).astype(np.float32)


def awq(w, x, group, storage, scheme, rng, clip, n_grid=20, max_shrink=0.5):
    x64 = x.astype(np.float64)
    org_out = x64 @ w.astype(np.float64).T
    x_max = np.abs(x).mean(axis=0).astype(np.float32)  # get_act_scale
    best, best_ratio, best_scales, history = np.inf, -1, None, []
    for k in range(n_grid):
        ratio = np.float32(k / n_grid)
        s = np.maximum(x_max ** ratio, np.float32(1e-4)).astype(np.float32)
        s = (s / np.sqrt(s.max() * s.min())).astype(np.float32)
        q = fake_quantize((w * s).astype(np.float32), group, storage, scheme, rng) / s
        loss = float(((org_out - x64 @ q.astype(np.float64).T) ** 2).mean())
        history.append(loss)
        if loss < best:
            best, best_ratio, best_scales = loss, float(ratio), s
    ws = (w * best_scales).astype(np.float32)
    if clip:
        xs = (x / best_scales).astype(np.float64)
        g = group or w.shape[1]
        for r in range(w.shape[0]):
            for c0 in range(0, w.shape[1], g):
                wg = ws[r, c0:c0 + g].copy()
                org = xs[:, c0:c0 + g] @ wg.astype(np.float64)
                max_abs = np.float32(np.abs(wg).max())
                best_err, best_max = np.inf, max_abs
                for i_s in range(int(max_shrink * n_grid)):
                    lim = np.float32(max_abs * np.float32(1 - i_s / n_grid))
                    cw = np.clip(wg, -lim, lim)
                    qw = fake_quantize(cw[None, :], 0, storage, scheme, rng)[0]
                    err = float(((xs[:, c0:c0 + g] @ qw.astype(np.float64) - org) ** 2).mean())
                    if err < best_err:
                        best_err, best_max = err, lim
                ws[r, c0:c0 + g] = np.clip(wg, -best_max, best_max)
    return best_ratio, best_scales, ws, history


def main():
    rng = np.random.default_rng(99)
    rows, cols, n = 8, 40, 200
    x = rng.normal(size=(n, cols)) * rng.uniform(0.1, 1.0, size=cols)
    x[:, [3, 17, 30]] *= 25  # outlier channels, as in transformers
    x = x.astype(np.float32)
    w = rng.normal(size=(rows, cols)).astype(np.float32)
    h = x.astype(np.float64).T @ x.astype(np.float64)
    act_max = np.abs(x).max(axis=0)
    out = {"rows": rows, "cols": cols, "weights": w.reshape(-1).tolist(),
           "hessian": h.reshape(-1).tolist(),
           "mean_abs": np.abs(x.astype(np.float64)).mean(axis=0).tolist(),
           "act_abs_max": act_max.tolist(), "smoothquant": [], "awq": []}
    for alpha in (0.5, 0.85):
        out["smoothquant"].append({"alpha": alpha,
                                   "scales": smoothquant(w, act_max, alpha).tolist()})
    for storage, scheme, rg, group, clip in (("i4", "asymmetric", "full", 8, True),
                                             ("i4", "symmetric", "narrow", 0, False),
                                             ("u4", "asymmetric", "full", 16, True),
                                             ("i2", "asymmetric", "full", 10, True)):
        ratio, scales, ws, history = awq(w, x, group, storage, scheme, rg, clip)
        out["awq"].append({"storage": storage, "scheme": scheme, "narrow": rg == "narrow",
                           "group": group, "clip": clip, "alpha": ratio,
                           "scales": scales.tolist(), "weights": ws.reshape(-1).tolist(),
                           "errors_over_rows": [e * n * rows for e in history]})
    with open(sys.argv[1], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
