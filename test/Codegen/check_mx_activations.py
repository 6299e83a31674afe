#!/usr/bin/python3
"""qnt.dynamic_quantize scheme = mx (MXINT8 activations, blocks of 32 along
the last dimension, the last block shorter) against a NumPy transcription of
the OCP Microscaling specification (MX v1.0, section 6.3), written from the
specification:

  per row and block of values V_i (NaN and infinities ignored for the range)
    e   = floor(log2(max |V_i|)), at least -127 (E8M0's smallest; also for
          a block without non-zero finite values)
    X   = 2^e
    P_i = round(V_i / X * 64) to the nearest integer, ties to even, clamped
          to [-127, 127] (MXINT8: integers times 2^-6); +-Inf saturate, NaN
          gives 0
  and the op returns P (i8), the scale X / 64 (f32) and zero points 0.

Rows hold random values, exact ties, clamped maxima (amax just under 2,
above 127.5 / 64), zeros, subnormals (scales down to 2^-133, a subnormal
float), huge values, negatives, NaN and infinities, and an all-zero row.
The reference lowering and --qnt-codegen (vectorized, with the reciprocal
division) must both equal the transcription bit for bit.

Usage: check_mx_activations.py BINDIR WORKDIR
"""
import os
import sys

import numpy as np

from checklib import run

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
K, B = 70, 32
G = -(-K // B)
rng = np.random.default_rng(11)
x = (rng.standard_normal((7, K)) * np.exp2(rng.integers(-8, 8, (7, 1)))).astype(np.float32)
x[1, :B] = (2 * np.arange(B) - 31) / np.float32(128)   # ties at X = 1/2.. (amax 31/128)
x[1, B:2 * B] = (2 * np.arange(B) + 1) / np.float32(64) / 32  # ties at X = 1
x[2, :B] = 0.0
x[2, B:2 * B] = np.float32(1e-40) * np.arange(B)      # subnormals
x[2, 2 * B:] = np.float32(3e38) * np.linspace(-1, 1, K - 2 * B, dtype=np.float32)
x[3, :B] = np.float32(1.999) * np.linspace(-1, 1, B, dtype=np.float32)  # clamps
x[3, B] = np.nan
x[3, B + 1] = np.inf
x[3, 2 * B] = -np.inf
x[4, :] = 0.0
x[5, :] = -np.abs(x[5, :])
x[6, B:2 * B] = np.inf                                 # no finite value


def oracle(x):
    q = np.zeros(x.shape, np.int8)
    scales = np.zeros((x.shape[0], G), np.float32)
    for r in range(x.shape[0]):
        for g in range(G):
            v = x[r, g * B:(g + 1) * B].astype(np.float64)
            finite = np.abs(v[np.isfinite(v)])
            amax = finite.max() if finite.size else 0.0
            e = -127 if amax == 0 else max(int(np.frexp(amax)[1]) - 1, -127)
            with np.errstate(invalid="ignore"):
                p = np.clip(np.rint(v / 2.0 ** e * 64), -127, 127)
            q[r, g * B:(g + 1) * B] = np.where(np.isnan(v), 0, p).astype(np.int8)
            scales[r, g] = np.float32(2.0 ** (e - 6))
    return q, scales


model = os.path.join(work, "mx.mlir")
with open(model, "w") as f:
    f.write(f"""func.func @main(%x: tensor<?x{K}xf32>) -> (tensor<?x{K}xi8>, tensor<?x{G}xf32>, tensor<?x{G}xi32>) {{
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<?x{K}xf32> to tensor<?x{K}xi8>, tensor<?x{G}xf32>, tensor<?x{G}xi32> storage = i8 scheme = mx block = {B}
  return %q, %s, %z : tensor<?x{K}xi8>, tensor<?x{G}xf32>, tensor<?x{G}xi32>
}}
""")
xpath = os.path.join(work, "x.npy")
np.save(xpath, x)
fast = os.path.join(work, "mx.fast.mlir")
run([f"{bindir}/quant-opt", model, "--qnt-codegen", "-o", fast])
want_q, want_s = oracle(x)
failures = 0
for label, module in (("reference", model), ("codegen", fast)):
    out = os.path.join(work, label)
    run([f"{bindir}/quant-run", module, "--entry", "main", "--input", xpath,
         "--output-dir", out])
    q, s, z = (np.load(os.path.join(out, f"out{i}.npy")) for i in range(3))
    checks = {"elements": q.tobytes() == want_q.tobytes(),
              "scales": s.tobytes() == want_s.tobytes(),
              "zero points": not z.any() and z.shape == want_s.shape}
    for what, ok in checks.items():
        failures += not ok
        print(f"{label} {what}: " + ("identical" if ok else "DIFFERENT"))
        if not ok and what == "elements":
            bad = np.argwhere(q != want_q)[:5]
            print([(tuple(i), int(q[tuple(i)]), int(want_q[tuple(i)]),
                    float(x[tuple(i)])) for i in bad])
        if not ok and what == "scales":
            print(s, want_s, sep="\n")
print(f"smallest scale {want_s.min():.3e}, {failures} mismatches")
sys.exit(1 if failures else 0)
