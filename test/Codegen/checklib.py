"""What the Codegen check scripts share: running a tool, writing a numpy
array as an MLIR dense literal, and the float matmul model they quantize.
(Imported by the check_*.py scripts next to it; not a test itself.)"""
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
