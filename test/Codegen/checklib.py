"""What the Codegen check scripts share: running a tool, writing a numpy
array as an MLIR dense literal, the float matmul model they quantize, and
the NVFP4 activation oracle (nvfp4_quantize).
(Imported by the check_*.py scripts next to it; not a test itself.)"""
import os
import subprocess
import sys

import numpy as np


def run(cmd):
    """Runs `cmd`; exits with its stderr when it fails."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return r


def dense(a):
    """`a` as an MLIR dense literal, every float printed exactly (large
    arrays as the hex form of their little-endian bytes, which MLIR parses
    too: printing a million floats in decimal takes numpy seconds)."""
    if a.size >= 1 << 16:
        return f'dense<"0x{np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes().hex().upper()}">'
    text = np.array2string(a, separator=", ", threshold=1 << 30,
                           floatmode="unique", max_line_width=1 << 30)
    return f"dense<{text}>"


def matmul_model(w, loc=""):
    """@main(x: ?xK f32) = x @ w (a constant [K][N] f32 weight) from zeros,
    the matmul at `loc` when given."""
    k, n = w.shape
    at = f' loc("{loc}")' if loc else ""
    return f"""func.func @main(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x{k}xf32>
  %w = arith.constant {dense(w)} : tensor<{k}x{n}xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%m) : tensor<?x{n}xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x{k}xf32>, tensor<{k}x{n}xf32>) outs(%z : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>{at}
  return %y : tensor<?x{n}xf32>
}}
"""



# The minifloat formats enumerated from their bit layouts, and rounding to
# the nearest of their values by search (shared with the weight checks).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "Quantize"))
from minifloat_oracle import positive_values, round_to  # noqa: E402

E2M1 = positive_values(2, 1, 1, False)   # 0, 0.5, 1, 1.5, 2, 3, 4, 6
E4M3 = positive_values(4, 3, 7, True)    # up to 448 (code 127 is NaN)


def nvfp4_quantize(x, block, g=None):
    """NVFP4 activations as torchao quantizes them (nvfp4_tensor.py:
    per_tensor_amax_to_scale and nvfp4_quantize with a per-tensor scale),
    per row of the last dimension and block of `block` (the last shorter),
    NaN and infinities left out of the maxima:
      G   = amax(|x|) / (448 * 6) in float32 (1 for an all-zero tensor, at
            least the smallest subnormal), unless `g` is given
      s_b = e4m3(clamp(amax_block / 6 / G, 2^-6, 448))   (float32 divisions)
      s   = G * s_b                                       (float32)
      P_i = e2m1(clamp(x_i / s, -6, 6))                   (NaN gives 0)
    Returns (2 P as int8, s / 2 as float32 per row and block, G): the form
    qnt.dynamic_quantize scheme = nvfp4 returns."""
    f32 = np.float32
    x = np.asarray(x, np.float32)
    finite = np.abs(x[np.isfinite(x)])
    amax = f32(finite.max()) if finite.size else f32(0)
    if g is None:
        g = f32(1) if amax == 0 else f32(amax / f32(2688))
        if g == 0:
            g = f32(np.finfo(np.float32).smallest_subnormal)
    k = x.shape[-1]
    groups = -(-k // block)
    rows = x.reshape(-1, k)
    q = np.zeros(rows.shape, np.int8)
    scales = np.zeros((rows.shape[0], groups), np.float32)
    for r in range(rows.shape[0]):
        for b in range(groups):
            v = rows[r, b * block:(b + 1) * block]
            fin = np.abs(v[np.isfinite(v)])
            bmax = f32(fin.max()) if fin.size else f32(0)
            scaled = f32(f32(bmax / f32(6)) / g)
            sb = f32(round_to(E4M3, float(min(max(scaled, f32(2.0 ** -6)), f32(448)))))
            s = f32(g * sb)
            for i, xi in enumerate(v):
                if np.isnan(xi):
                    p = 0.0
                else:
                    with np.errstate(over="ignore"):
                        y = f32(xi / s)
                    p = round_to(E2M1, float(min(max(y, f32(-6)), f32(6))))
                q[r, b * block + i] = np.int8(2 * p)
            scales[r, b] = f32(s * f32(0.5))
    return (q.reshape(x.shape), scales.reshape(x.shape[:-1] + (groups,)), g)
