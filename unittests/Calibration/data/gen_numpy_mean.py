#!/usr/bin/python3
"""Writes numpy_mean.json for CalibrationTest's NumpyMeanTest: numpy.mean
over axis 0 of (n, 1) float32 arrays (what ONNX Runtime's MinMaxCalibrater
with moving_average=True computes from its per-batch ReduceMin/ReduceMax
outputs), with Debian's python3-numpy (1.24), for lengths on every path of
NumPy's pairwise summation (below 8, up to 128, halving, more than one 8192
buffer). The values come from an xorshift32 stream the test regenerates:
u -> float32((u >> 8) * 2^-24 * scale - scale / 2), exact in float64.

    /usr/bin/python3 gen_numpy_mean.py > numpy_mean.json"""
import json

import numpy as np


def values(n, seed, scale):
    u = seed
    out = []
    for _ in range(n):
        u ^= (u << 13) & 0xFFFFFFFF
        u ^= u >> 17
        u ^= (u << 5) & 0xFFFFFFFF
        out.append((u >> 8) * 2.0 ** -24 * scale - scale / 2)
    return np.array(out, dtype=np.float32)


cases = []
lengths = list(range(1, 20)) + [63, 64, 127, 128, 129, 136, 255, 256, 257,
                                 1000, 8191, 8192, 8193, 20000, 50001]
for i, n in enumerate(lengths):
    seed = 0x9E3779B9 ^ (i * 7919)
    scale = [3.0, 37.5, 1000.0][i % 3]
    v = values(n, seed, scale)
    mean = np.mean([x.reshape(1) for x in v], axis=0)[0]
    cases.append({"n": n, "seed": seed, "scale": scale,
                  "mean_hex": float(mean).hex()})
print(json.dumps({"numpy_version": np.__version__, "cases": cases}, indent=1))
