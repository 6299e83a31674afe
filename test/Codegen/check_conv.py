#!/usr/bin/python3
"""Bit-exact agreement of --qnt-codegen with the reference path on NHWC/HWCF
convolutions through the VNNI micro-kernel: strides, dilations, channel
counts that are not multiples of 4 (C = 1, 6), output channels with a tail
(F = 5, 40) and a full group (F = 64), widths that are not multiples of the
4-pixel tile, batch 2. Deterministic (seeded).

Usage: check_conv.py BINDIR WORKDIR OPTIONS [CODEGEN-OPTIONS]
"""
import os
import subprocess
import sys

import numpy as np

bindir, work, options = sys.argv[1], sys.argv[2], sys.argv[3]
codegen = "--qnt-codegen" + (f"={sys.argv[4]}" if len(sys.argv) > 4 else "")
os.makedirs(work, exist_ok=True)
# (H, W, C, KH, KW, F, stride, dilation)
CASES = [(7, 9, 1, 3, 3, 5, 1, 1), (8, 11, 6, 3, 2, 40, 2, 1),
         (9, 9, 8, 2, 3, 64, 1, 2), (5, 6, 16, 1, 1, 17, 1, 1)]
rng = np.random.default_rng(11)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return r


failures = 0
for h, w_, c, kh, kw, f, s, d in CASES:
    name = f"h{h}w{w_}c{c}k{kh}x{kw}f{f}s{s}d{d}"
    oh = (h - d * (kh - 1) - 1) // s + 1
    ow = (w_ - d * (kw - 1) - 1) // s + 1
    w = rng.standard_normal((kh, kw, c, f)).astype(np.float32)
    x = (rng.standard_normal((2, h, w_, c)) + 0.3).astype(np.float32)
    dense = np.array2string(w, separator=", ", threshold=1 << 30, floatmode="unique",
                            max_line_width=1 << 30)
    model = os.path.join(work, f"{name}.mlir")
    with open(model, "w") as fh:
        fh.write(f"""func.func @main(%x: tensor<?x{h}x{w_}x{c}xf32>) -> tensor<?x{oh}x{ow}x{f}xf32> {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x{h}x{w_}x{c}xf32>
  %w = arith.constant dense<{dense}> : tensor<{kh}x{kw}x{c}x{f}xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x{oh}x{ow}x{f}xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<?x{oh}x{ow}x{f}xf32>) -> tensor<?x{oh}x{ow}x{f}xf32>
  %y = linalg.conv_2d_nhwc_hwcf {{strides = dense<{s}> : tensor<2xi64>, dilations = dense<{d}> : tensor<2xi64>}} ins(%x, %w : tensor<?x{h}x{w_}x{c}xf32>, tensor<{kh}x{kw}x{c}x{f}xf32>) outs(%i : tensor<?x{oh}x{ow}x{f}xf32>) -> tensor<?x{oh}x{ow}x{f}xf32>
  return %y : tensor<?x{oh}x{ow}x{f}xf32>
}}
""")
    xin = os.path.join(work, f"{name}.x.npy")
    np.save(xin, x)
    q = os.path.join(work, f"{name}.q.mlir")
    fast = os.path.join(work, f"{name}.fast.mlir")
    run([f"{bindir}/quant-opt", model, f"--qnt-quantize={options}", "-o", q])
    r = run([f"{bindir}/quant-opt", q, codegen, "-o", fast])
    if "keeps the reference loops" in r.stderr:
        sys.exit(f"{name}: the VNNI kernel was not used:\n{r.stderr}")
    ref_dir, fast_dir = os.path.join(work, name + ".ref"), os.path.join(work, name + ".fast")
    run([f"{bindir}/quant-run", q, "--entry", "main", "--input", xin, "--output-dir", ref_dir])
    run([f"{bindir}/quant-run", fast, "--entry", "main", "--input", xin, "--output-dir", fast_dir])
    a = np.load(os.path.join(ref_dir, "out0.npy"))
    b = np.load(os.path.join(fast_dir, "out0.npy"))
    same = a.shape == b.shape and a.tobytes() == b.tobytes()
    print(f"{name}: {'bit-exact' if same else 'DIFFERENT'}")
    failures += not same
sys.exit(1 if failures else 0)
