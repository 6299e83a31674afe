"""Helpers of the weight checks against transcriptions of the block-format
specifications (check_mx_weights.py, check_nvfp4_weights.py): every value
of a minifloat format enumerated from its bit layout, rounding to the
nearest of them, a float matmul model and running the tools."""
import subprocess
import sys

import numpy as np


def positive_values(ebits, mbits, bias, special):
    """Every finite non-negative value of the format, by code (even codes
    first among equals: codes are in increasing order)."""
    values = []
    for code in range(1 << (ebits + mbits)):
        e, m = code >> mbits, code & ((1 << mbits) - 1)
        if special == "ieee" and e == (1 << ebits) - 1:
            continue  # Inf / NaN
        if special is True and e == (1 << ebits) - 1 and m == (1 << mbits) - 1:
            continue  # E4M3's NaN
        if e == 0:
            v = m / 2.0 ** mbits * 2.0 ** (1 - bias)
        else:
            v = (1 + m / 2.0 ** mbits) * 2.0 ** (e - bias)
        values.append((v, code))
    return values


def round_to(values, y):
    """y (float64, exact) to the nearest of `values`, ties to the even code;
    beyond the largest: the largest."""
    a = abs(y)
    best = min(values, key=lambda vc: (abs(vc[0] - a), vc[1] & 1))
    if a >= values[-1][0]:
        best = values[-1]
    return np.copysign(best[0], y)


def matmul_model(w):
    k, n = w.shape
    dense = "0x" + w.astype("<f4").tobytes().hex().upper()
    return f"""func.func @main(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x{k}xf32>
  %w = arith.constant dense<"{dense}"> : tensor<{k}x{n}xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%m) : tensor<?x{n}xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x{k}xf32>, tensor<{k}x{n}xf32>) outs(%z : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  return %y : tensor<?x{n}xf32>
}}
"""


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")


