#!/usr/bin/python3
"""A layer with activation outliers: OUTDIR/model.mlir is x @ W for x of
shape [N, 64], and OUTDIR/calib.npy / OUTDIR/eval.npy are independent
draws of non-negative heavy-tailed activations, |t| with 2 degrees of
freedom (the bulk within a few units, a handful of values in the hundreds).
Min-max spends the 8-bit range on the rare largest values; clipping them
(percentile, mse, entropy) keeps resolution for the bulk, which costs less
than the clipped tails on data drawn the same way.

Usage: make_outliers.py OUTDIR (deterministic)
"""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(4)
F = np.float32
w = (rng.standard_normal((64, 16)) / 8).astype(F)


def data(n):
    return np.abs(rng.standard_t(2, (n, 64))).astype(F)


np.save(os.path.join(out, "calib.npy"), data(4096))
np.save(os.path.join(out, "eval.npy"), data(2048))
dense = np.array2string(w, separator=", ", threshold=1 << 30, floatmode="unique",
                        max_line_width=1 << 30)
with open(os.path.join(out, "model.mlir"), "w") as f:
    f.write(f"""func.func @main(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %w = arith.constant dense<{dense}> : tensor<64x16xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x16xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<?x16xf32>) -> tensor<?x16xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x64xf32>, tensor<64x16xf32>) outs(%c : tensor<?x16xf32>) -> tensor<?x16xf32> loc("fc")
  return %y : tensor<?x16xf32>
}}
""")
