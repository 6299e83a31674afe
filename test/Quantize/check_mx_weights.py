#!/usr/bin/python3
"""--qnt-quantize weights=mxfp8|mxfp8e5m2|mxfp6|mxfp6e3m2|mxfp4|mxint8
against a NumPy transcription of the OCP Microscaling specification (MX
v1.0, section 6.3), written from the specification, not from
lib/QuantOpt/Numerics:

  per block of 32 values V_i along K (the last block shorter) and column:
    e   = floor(log2(max |V_i|)) - emax_elem, at least -127 (E8M0's
          smallest; also for an all-zero block)
    X   = 2^e
    P_i = V_i / X rounded to the nearest element value, ties to the even
          code, beyond the largest normal clamped to it (MXINT8: integers
          times 2^-6 in [-127/64, 127/64])
    decoded = X * P_i

The element values are enumerated from the formats' bit layouts (E4M3:
bias 7, no Inf, 448 largest; E5M2: bias 15; E2M3: bias 1, 7.5; E3M2: bias
3, 28; E2M1: bias 1, 6), every code. A float matmul model [K = 70][N = 9]
is quantized weight-only; its dequantized weights are read back exactly by
running it on the identity (reference lowering), and must equal the
transcription bit for bit. Weights include exact ties, zeros, a block of
zeros, values far apart within a block (underflow to 0) and tiny and
huge magnitudes. Deterministic (seeded).

Usage: check_mx_weights.py BINDIR WORKDIR
"""
import os
import sys

import numpy as np

from minifloat_oracle import matmul_model as model
from minifloat_oracle import positive_values, round_to, run

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)

# name: (exponent bits, mantissa bits, bias, has the E4M3 NaN code, emax_elem)
FORMATS = {"mxfp8": (4, 3, 7, True, 8), "mxfp8e5m2": (5, 2, 15, "ieee", 15),
           "mxfp6": (2, 3, 1, False, 2), "mxfp6e3m2": (3, 2, 3, False, 4),
           "mxfp4": (2, 1, 1, False, 2)}


def mx_oracle(w, fmt, block=32):
    k, n = w.shape
    out = np.zeros_like(w, dtype=np.float64)
    if fmt == "mxint8":
        emax, values = 0, None
    else:
        ebits, mbits, bias, special, emax = FORMATS[fmt]
        values = positive_values(ebits, mbits, bias, special)
    for col in range(n):
        for k0 in range(0, k, block):
            v = w[k0:k0 + block, col].astype(np.float64)
            amax = np.abs(v).max()
            e = -127 if amax == 0 else max(int(np.frexp(amax)[1]) - 1 - emax, -127)
            x = 2.0 ** e
            for i, vi in enumerate(v):
                y = vi / x  # exact: a power of two
                if fmt == "mxint8":
                    p = min(max(np.round(y * 64), -127), 127) / 64  # half to even
                else:
                    p = round_to(values, y)
                out[k0 + i, col] = x * p
    return out.astype(np.float32)


rng = np.random.default_rng(5)
k, n = 70, 10
w = (rng.standard_normal((k, n)) * np.exp2(rng.integers(-6, 6, (1, n)))).astype(np.float32)
w[0:32, 1] = 0.0                       # an all-zero block
w[5, 2] = 3.0e4                         # one large value: the rest underflows
w[:, 3] = np.float32(0.75) * np.exp2(rng.integers(-3, 3, k))  # exact values
w[7, 4] = 1e-30                         # tiny values
w[8, 4] = -3e-30
w[:, 5] *= np.float32(1e30)             # huge values
w[64:, 6] = -0.0
w[32:64, 7] = (2 * np.arange(32) + 1) / np.float32(128)  # MXINT8 ties (X = 1)
w[32, 7] = 1.0
w[:, 8] = np.float32(1.25) * np.exp2(rng.integers(-3, 3, k)) * rng.choice([-1, 1], k)  # E2M1 ties
src = os.path.join(work, "model.mlir")
with open(src, "w") as fh:
    fh.write(model(w))
eye = os.path.join(work, "eye.npy")
np.save(eye, np.eye(k, dtype=np.float32))
failures = 0
for fmt in ["mxfp8", "mxfp8e5m2", "mxfp6", "mxfp6e3m2", "mxfp4", "mxint8"]:
    q = os.path.join(work, fmt + ".mlir")
    run([f"{bindir}/quant-opt", src, f"--qnt-quantize=weights={fmt} activations=none", "-o", q])
    out = os.path.join(work, fmt + ".out")
    run([f"{bindir}/quant-run", q, "--entry", "main", "--input", eye, "--output-dir", out])
    got = np.load(os.path.join(out, "out0.npy"))
    want = mx_oracle(w, fmt)
    same = np.array_equal(got.view(np.uint32) & 0x7FFFFFFF, want.view(np.uint32) & 0x7FFFFFFF) \
        and np.array_equal(got, want)
    print(f"{fmt}: dequantized weights equal the MX transcription bit for bit: {same}")
    if not same:
        failures += 1
        bad = np.argwhere(got != want)[:5]
        for i, j in bad:
            print("  ", (i, j), w[i, j], got[i, j], want[i, j])
sys.exit(1 if failures else 0)
