#!/usr/bin/python3
"""--qnt-quantize weights=nvfp4 against a NumPy transcription of NVIDIA's
NVFP4 two-level quantization as torchao (torchao/prototype/mx_formats,
nvfp4_tensor.py: per_tensor_amax_to_scale and _nvfp4_quantize with a
per-tensor scale) and ModelOpt define it, written from that description,
not from lib/QuantOpt/Numerics. Every operation in float32, as there:

  G    = amax(W) / (448 * 6)                   (the tensor scale)
  per block of 16 values V_i along K (the last block shorter) and column:
    b    = (max |V_i| / 6) / G, clamped to [2^-6, 448] and rounded to the
           nearest E4M3 value (ties to the even code)
    s    = G * b
    P_i  = V_i / s clamped to [-6, 6] and rounded to the nearest E2M1
           value (ties to the even code)
    decoded = P_i * s

The E4M3 and E2M1 values are enumerated from their bit layouts. A float
matmul model [K = 70][N = 8] is quantized weight-only; its dequantized
weights are read back exactly by running it on the identity (reference
lowering) and must equal the transcription bit for bit. The weights hold
an all-zero block (b clamps to 2^-6), a block whose scale underflows E4M3's
normal range (clamped to 2^-6), exact E4M3 ties in b, E2M1 ties in P and
one large value. Then the IR: the parameters carry `tensor_scale = G` and
blocks of 16. Deterministic (seeded).

Usage: check_nvfp4_weights.py BINDIR WORKDIR
"""
import os
import re
import sys

import numpy as np

from minifloat_oracle import matmul_model, positive_values, round_to, run

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
E4M3 = positive_values(4, 3, 7, True)
E2M1 = positive_values(2, 1, 1, False)
f32 = np.float32


def nvfp4_oracle(w, block=16):
    k, n = w.shape
    g = f32(np.abs(w).max()) / f32(448 * 6)
    out = np.zeros_like(w)
    for col in range(n):
        for k0 in range(0, k, block):
            v = w[k0:k0 + block, col]
            b = (f32(np.abs(v).max()) / f32(6)) / g
            b = f32(round_to(E4M3, float(min(max(b, f32(2.0 ** -6)), f32(448)))))
            s = f32(g * b)
            for i, vi in enumerate(v):
                y = f32(vi / s)
                p = f32(round_to(E2M1, float(min(max(y, f32(-6)), f32(6)))))
                out[k0 + i, col] = f32(p * s)
    return out, g


rng = np.random.default_rng(9)
k, n = 70, 8
w = (rng.standard_normal((k, n)) * np.exp2(rng.integers(-4, 4, (1, n)))).astype(np.float32)
w[0:16, 1] = 0.0                        # an all-zero block
w[16:32, 2] *= np.float32(1e-6)         # a block scale below 2^-6 * G
w[3, 3] = 200.0                          # the largest: G = 200 / 2688
# b = (amax / 6) / G halfway between two E4M3 values: with G = 200 / 2688,
# amax = 6 * 1.0625 * G (between 1 and 1.125).
w[32:48, 4] = np.float32(6 * 1.0625) * (np.float32(200) / np.float32(2688))
w[48:64, 5] = np.float32(2.5) * np.float32(0.25) * rng.choice([-1, 1], 16)  # E2M1 ties
w[48, 5] = np.float32(6 * 0.25)
w[64:, 6] = -0.0
src = os.path.join(work, "model.mlir")
with open(src, "w") as fh:
    fh.write(matmul_model(w))
eye = os.path.join(work, "eye.npy")
np.save(eye, np.eye(k, dtype=np.float32))
q = os.path.join(work, "nvfp4.mlir")
run([f"{bindir}/quant-opt", src, "--qnt-quantize=weights=nvfp4 activations=none", "-o", q])
out = os.path.join(work, "nvfp4.out")
run([f"{bindir}/quant-run", q, "--entry", "main", "--input", eye, "--output-dir", out])
got = np.load(os.path.join(out, "out0.npy"))
want, g = nvfp4_oracle(w)
# Equal values (the read-back through a matmul turns -0 into +0).
same = np.array_equal(got, want)
print(f"nvfp4: dequantized weights equal the NVFP4 transcription bit for bit: {same}")
if not same:
    for i, j in np.argwhere(got != want)[:5]:
        print("  ", (i, j), w[i, j], got[i, j], want[i, j])
text = open(q).read()
scales = [np.float32(float(t)) for t in re.findall(r"block = 16, tensor_scale = ([-+0-9.eE]+)", text)]
has_g = len(scales) == 1 and scales[0] == g
print(f"nvfp4: #qnt.params blocks of 16 with tensor_scale = G: {has_g}")
sys.exit(0 if same and has_g else 1)
