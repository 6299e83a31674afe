#!/usr/bin/python3
"""Writes the synthetic inputs of test/quant-report/*.test into OUTDIR.

Run with Debian's /usr/bin/python3 (numpy). Deterministic.

OUTDIR/tiny/{float,quantized}/   hand-derived metrics (see TINY below)
OUTDIR/tiny/{stats,ranges}.json  fc1 only, hand-derived clipping (TINY_STATS)
OUTDIR/tiny/stats-v1.json        a version 1 stats file (min and max only)
OUTDIR/tiny/stats-v3.json        an unsupported version
OUTDIR/mlp/{float,quantized}/    a 4-layer MLP-like model, 64 samples, with
OUTDIR/mlp/stats.json            stats-file histograms (version 2) and
OUTDIR/mlp/ranges.json           `quant-stats ranges --json` style ranges
OUTDIR/mismatch/{float,quantized}/  observer ids that differ (b vs d)
OUTDIR/badshape/{float,quantized}/  one observer whose shapes differ
OUTDIR/fake/x.npy, y.npy         40 samples of 6 and 2 features for the fake
                                 tools of report-models.test
OUTDIR/cnn/x.npy                 64 random 28x28x1 images (multiples of 1/255)
                                 for the example CNN (report-cnn.test)
"""

import json
import os
import sys

import numpy as np

F32 = np.float32
NAN, INF = float("nan"), float("inf")

# name -> (float reference, quantized); every value is exact in float32.
#   fc1:       sum ref^2 = 25, sum err^2 = 1       -> 10*log10(25)   = 13.98 dB,
#              MSE 1/2, max 1
#   fc2:       identical                           -> +inf, 0, 0
#   relu:      4 / (0.25^2 + 0.25^2) = 32          -> 10*log10(32)   = 15.05 dB,
#              MSE 0.125/4 = 0.03125, max 0.25
#   zero:      all-zero reference, error 0.5       -> -inf, MSE 0.125, max 0.5
#   nonfinite: finite parts identical, inf vs 5    -> +inf, one non-finite mismatch
#   out0:      100 / (1 + 1) = 50                  -> 10*log10(50)   = 16.99 dB,
#              MSE 1, max 1
TINY = {
    "fc1": ([[3, 4]], [[3, 3]]),
    "fc2": ([[1, 2], [3, 4]], [[1, 2], [3, 4]]),
    "relu": ([[1, 1, 1, 1]], [[1.25, 0.75, 1, 1]]),
    "zero": ([[0, 0]], [[0, 0.5]]),
    "nonfinite": ([[1, 2, NAN, INF]], [[1, 2, NAN, 5]]),
}
TINY_OUTPUTS = [([[10, 0]], [[9, 1]])]

# A stats entry for fc1 alone: bins of width 2^-1 from 0; two values in
# [0, 0.5) and two in [3, 3.5), with min 0.1 and max 3.4. Clipped fractions
# (values spread uniformly over the part of their bin inside [min, max]:
# [0.1, 0.5) and [3, 3.4)):
#   minmax     [0, 3.5]:     nothing outside                      -> 0%, 0%
#   percentile [0.25, 3.25]: 2 * (0.25 - 0.1)/0.4 = 0.75 below,
#                            2 * (3.4 - 3.25)/0.4 = 0.75 above,
#                            of 4 values                          -> 18.75%, 18.75%
TINY_STATS = {
    "version": 2, "model": "0123456789abcdef", "histogram_bins": 8,
    "averaging_constant": 0.01,
    "activations": {"fc1": {
        "shape": [1, 2], "count": 4, "non_finite": 0, "batches": 2,
        "min": 0.1, "max": 3.4, "first_min": 0.1, "first_max": 3.4,
        "moving_min": 0.1, "moving_max": 3.4,
        "histogram": {"log2_width": -1, "start": 0, "counts": [2, 0, 0, 0, 0, 0, 2, 0]},
        "channel_axis": 1, "channel_min": [0.1, 3.1], "channel_max": [0.2, 3.4]}}}
# As quant-stats prints them: methods sorted by name, the percentile used.
TINY_RANGES = {"version": 1, "percentile": 99.99,
               "ranges": {"fc1": {"minmax": [0.0, 3.5], "percentile": [0.25, 3.25]}}}
TINY_STATS_V1 = {"version": 1, "activations": {"fc1": {"min": 3.0, "max": 4.0}}}
TINY_STATS_V3 = {"version": 3, "activations": {}}


def write_dump(path, observers, outputs):
    """observers: [(id, array)] in model order; outputs: [array]."""
    os.makedirs(path, exist_ok=True)
    for ident, a in observers:
        np.save(os.path.join(path, ident + ".npy"), np.asarray(a, dtype=F32))
    for k, a in enumerate(outputs):
        np.save(os.path.join(path, f"out{k}.npy"), np.asarray(a, dtype=F32))
    with open(os.path.join(path, "observers.json"), "w") as f:
        json.dump({"observers": [i for i, _ in observers]}, f)


def fake_quant(x, lo, hi, bits=8):
    """Asymmetric uniform quantize-dequantize over [min(lo,0), max(hi,0)]."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    levels = 2 ** bits - 1
    s = (hi - lo) / levels
    z = np.round(-lo / s)
    q = np.clip(np.round(x / s) + z, 0, levels)
    return ((q - z) * s).astype(F32)


def histogram_v2(values, bins=2048):
    """The stats file's zero-anchored histogram: the smallest width 2^e
    (e >= -64) whose grid holds [min(0, lo), max(0, hi)] in `bins` bins."""
    lo, hi = min(0.0, float(values.min())), max(0.0, float(values.max()))
    e = -64
    while True:
        w = 2.0 ** e
        start = int(np.floor(lo / w))
        end = int(np.floor(hi / w))
        if end - start + 1 <= bins:
            break
        e += 1
    idx = np.floor(values.astype(np.float64) / w).astype(np.int64) - start
    counts = np.bincount(idx, minlength=bins)
    return {"log2_width": e, "start": start, "counts": [int(c) for c in counts]}


def moving(values, batch, c=0.01):
    mn = mx = None
    for b in range(0, values.shape[0], batch):
        x = values[b:b + batch]
        bmin, bmax = float(x.min()), float(x.max())
        if mn is None:
            mn, mx = bmin, bmax
        else:
            mn, mx = mn + c * (bmin - mn), mx + c * (bmax - mx)
    return mn, mx


def make_mlp(out):
    rng = np.random.default_rng(1234)
    n_cal, n = 512, 64
    # Float activations at the input of each layer (calibration set; the
    # first n samples are also the dumped ones).
    x = rng.random((n_cal, 196)).astype(F32) * (rng.random((n_cal, 196)) < 0.6)
    h1 = rng.standard_normal((n_cal, 128)).astype(F32) * 0.8
    h1[rng.random(h1.shape) < 0.002] *= 9.0  # a few outliers
    h2 = np.maximum(rng.standard_normal((n_cal, 64)) * 1.5 + 0.3, 0).astype(F32)
    h3 = (rng.standard_t(4, (n_cal, 32)) * 0.6).astype(F32)
    logits = (rng.standard_normal((n_cal, 10)) * 3).astype(F32)
    float_acts = [("fc1", x), ("fc2", h1), ("fc3", h2), ("head", h3)]

    acts, ranges = {}, {}
    for ident, a in float_acts:
        flat = a.ravel()
        mm_lo, mm_hi = float(flat.min()), float(flat.max())
        mv_lo, mv_hi = moving(a, 32)
        p_lo, p_hi = (float(v) for v in np.percentile(flat, [0.01, 99.99]))
        e_lo, e_hi = (float(v) for v in np.percentile(flat, [0.5, 99.5]))
        m_lo, m_hi = (float(v) for v in np.percentile(flat, [0.1, 99.9]))
        acts[ident] = {
            "shape": [32, a.shape[1]], "count": int(flat.size), "non_finite": 0,
            "batches": n_cal // 32, "min": mm_lo, "max": mm_hi,
            "first_min": float(a[:32].min()), "first_max": float(a[:32].max()),
            "moving_min": mv_lo, "moving_max": mv_hi,
            "histogram": histogram_v2(flat),
            "channel_axis": 1,
            "channel_min": [float(v) for v in a.min(axis=0)],
            "channel_max": [float(v) for v in a.max(axis=0)],
        }
        # Synthetic stand-ins for the estimators (not their real outputs).
        ranges[ident] = {"minmax": [mm_lo, mm_hi], "moving-average": [mv_lo, mv_hi],
                         "percentile": [p_lo, p_hi], "mse": [m_lo, m_hi],
                         "entropy": [e_lo, e_hi]}

    # Quantized model: each layer input is fake-quantized to its mse range,
    # plus error carried over from the layers before (growing with depth).
    fdump, qdump = [], []
    carried = 0.0
    for depth, (ident, a) in enumerate(float_acts):
        a = a[:n]
        lo, hi = ranges[ident]["mse"]
        noisy = a + (rng.standard_normal(a.shape) * carried).astype(F32)
        fdump.append((ident, a))
        qdump.append((ident, fake_quant(noisy, lo, hi)))
        carried = 0.004 * (depth + 1)
    qlogits = logits[:n] + (rng.standard_normal((n, 10)) * 0.05).astype(F32)
    write_dump(os.path.join(out, "float"), fdump, [logits[:n]])
    write_dump(os.path.join(out, "quantized"), qdump, [qlogits])
    with open(os.path.join(out, "stats.json"), "w") as f:
        json.dump({"version": 2, "model": "5eed0000c0ffee00", "histogram_bins": 2048,
                   "averaging_constant": 0.01, "activations": acts}, f)
    with open(os.path.join(out, "ranges.json"), "w") as f:
        json.dump({"version": 1, "ranges": ranges}, f, indent=1)


def main(out):
    write_dump(os.path.join(out, "tiny", "float"),
               [(k, v[0]) for k, v in TINY.items()], [o[0] for o in TINY_OUTPUTS])
    write_dump(os.path.join(out, "tiny", "quantized"),
               [(k, v[1]) for k, v in TINY.items()], [o[1] for o in TINY_OUTPUTS])
    for name, doc in (("stats.json", TINY_STATS), ("ranges.json", TINY_RANGES),
                      ("stats-v1.json", TINY_STATS_V1), ("stats-v3.json", TINY_STATS_V3)):
        with open(os.path.join(out, "tiny", name), "w") as f:
            json.dump(doc, f, indent=1)
    make_mlp(os.path.join(out, "mlp"))
    one = [[1.0, 2.0]]
    write_dump(os.path.join(out, "mismatch", "float"),
               [("a", one), ("b", one), ("c", one)], [one])
    write_dump(os.path.join(out, "mismatch", "quantized"),
               [("a", one), ("c", one), ("d", one)], [one])
    write_dump(os.path.join(out, "badshape", "float"), [("a", [[1.0, 2.0]])], [one])
    write_dump(os.path.join(out, "badshape", "quantized"), [("a", [[1.0, 2.0, 3.0]])],
               [one])
    rng = np.random.default_rng(7)
    os.makedirs(os.path.join(out, "fake"), exist_ok=True)
    np.save(os.path.join(out, "fake", "x.npy"), rng.standard_normal((40, 6)).astype(F32))
    np.save(os.path.join(out, "fake", "y.npy"), rng.random((40, 2)).astype(F32))
    os.makedirs(os.path.join(out, "cnn"), exist_ok=True)
    images = rng.integers(0, 256, (64, 28, 28, 1)) * (rng.random((64, 28, 28, 1)) < 0.5)
    np.save(os.path.join(out, "cnn", "x.npy"), (images / 255.0).astype(F32))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_dumps.py OUTDIR")
    main(sys.argv[1])
