#!/usr/bin/python3
"""Bit-exact agreement of --qnt-codegen with the reference path on
convolutions through the VNNI micro-kernel: NHWC/HWCF, NHWC/FHWC (TOSA's),
NCHW/FCHW and NHWC depthwise (HWC weights); strides, dilations, channel counts that are not
multiples of 4 (C = 1, 6), output channels with a tail (F = 5, 40) and a
full group (F = 64), depthwise channel tails (C = 5, 40) and windows that
are not a multiple of 4 positions (3x3, 2x3, 5x5), widths that are not
multiples of the 4-pixel tile, batch 2. Deterministic (seeded).

With --float the float model itself goes through --qnt-codegen (the f32
convolution and depthwise kernels; NCHW cases through qnt-convert-to-nhwc;
not TOSA's FHWC) and must agree with the reference path to 1e-5 of the
largest output (fused multiply-adds round once).

Usage: check_conv.py BINDIR WORKDIR OPTIONS [CODEGEN-OPTIONS] [--float]
"""
import os
import subprocess
import sys

import numpy as np

floatMode = "--float" in sys.argv
args = [a for a in sys.argv[1:] if a != "--float"]
bindir, work, options = args[0], args[1], args[2]
codegen = "--qnt-codegen" + (f"={args[3]}" if len(args) > 3 and args[3] else "")
os.makedirs(work, exist_ok=True)
# (kind, H, W, C, KH, KW, F, stride, dilation); depthwise: F = C
CASES = [("nhwc", 7, 9, 1, 3, 3, 5, 1, 1), ("nhwc", 8, 11, 6, 3, 2, 40, 2, 1),
         ("nhwc", 9, 9, 8, 2, 3, 64, 1, 2), ("nhwc", 5, 6, 16, 1, 1, 17, 1, 1),
         ("nchw", 7, 9, 3, 3, 3, 5, 1, 1), ("nchw", 8, 11, 6, 3, 2, 40, 2, 1),
         ("fhwc", 7, 9, 6, 3, 3, 20, 1, 1), ("fhwc", 8, 11, 3, 3, 2, 64, 2, 1),
         ("dw", 7, 9, 5, 3, 3, 5, 1, 1), ("dw", 8, 11, 32, 3, 3, 32, 2, 1),
         ("dw", 9, 9, 16, 2, 3, 16, 1, 2), ("dw", 9, 10, 40, 5, 5, 40, 1, 1)]
rng = np.random.default_rng(11)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return r


failures = 0
for kind, h, w_, c, kh, kw, f, s, d in CASES:
    name = f"{kind}_h{h}w{w_}c{c}k{kh}x{kw}f{f}s{s}d{d}"
    oh = (h - d * (kh - 1) - 1) // s + 1
    ow = (w_ - d * (kw - 1) - 1) // s + 1
    attrs = f"strides = dense<{s}> : tensor<2xi64>, dilations = dense<{d}> : tensor<2xi64>"
    if kind == "nhwc":
        xs, ws, ys = (h, w_, c), (kh, kw, c, f), (oh, ow, f)
        op = "linalg.conv_2d_nhwc_hwcf"
    elif kind == "fhwc":
        xs, ws, ys = (h, w_, c), (f, kh, kw, c), (oh, ow, f)
        op = "linalg.conv_2d_nhwc_fhwc"
    elif kind == "nchw":
        xs, ws, ys = (c, h, w_), (f, c, kh, kw), (f, oh, ow)
        op = "linalg.conv_2d_nchw_fchw"
    else:
        xs, ws, ys = (h, w_, c), (kh, kw, c), (oh, ow, c)
        op = "linalg.depthwise_conv_2d_nhwc_hwc"
    w = rng.standard_normal(ws).astype(np.float32)
    x = (rng.standard_normal((2,) + xs) + 0.3).astype(np.float32)
    dense = np.array2string(w, separator=", ", threshold=1 << 30, floatmode="unique",
                            max_line_width=1 << 30)
    xt = "x".join(map(str, xs)) + "xf32"
    wt = "x".join(map(str, ws)) + "xf32"
    yt = "x".join(map(str, ys)) + "xf32"
    model = os.path.join(work, f"{name}.mlir")
    with open(model, "w") as fh:
        fh.write(f"""func.func @main(%x: tensor<?x{xt}>) -> tensor<?x{yt}> {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x{xt}>
  %w = arith.constant dense<{dense}> : tensor<{wt}>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x{yt}>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<?x{yt}>) -> tensor<?x{yt}>
  %y = {op} {{{attrs}}} ins(%x, %w : tensor<?x{xt}>, tensor<{wt}>) outs(%i : tensor<?x{yt}>) -> tensor<?x{yt}>
  return %y : tensor<?x{yt}>
}}
""")
    xin = os.path.join(work, f"{name}.x.npy")
    np.save(xin, x)
    q = os.path.join(work, f"{name}.q.mlir")
    fast = os.path.join(work, f"{name}.fast.mlir")
    if floatMode:
        if kind == "fhwc":
            continue
        q = model
        # The f32 kernels take every case (NCHW after qnt-convert-to-nhwc).
        kernels = run([f"{bindir}/quant-opt", model, "--qnt-convert-to-nhwc",
                       "--qnt-f32-matmul"]).stdout
        if "linalg.conv" in kernels or "linalg.depthwise" in kernels:
            sys.exit(f"{name}: the f32 kernel was not used")
    else:
        run([f"{bindir}/quant-opt", model, f"--qnt-quantize={options}", "-o", q])
    r = run([f"{bindir}/quant-opt", q, codegen, "-o", fast])
    if "keeps the reference loops" in r.stderr:
        sys.exit(f"{name}: the VNNI kernel was not used:\n{r.stderr}")
    ref_dir, fast_dir = os.path.join(work, name + ".ref"), os.path.join(work, name + ".fast")
    run([f"{bindir}/quant-run", q, "--entry", "main", "--input", xin, "--output-dir", ref_dir])
    run([f"{bindir}/quant-run", fast, "--entry", "main", "--input", xin, "--output-dir", fast_dir])
    a = np.load(os.path.join(ref_dir, "out0.npy"))
    b = np.load(os.path.join(fast_dir, "out0.npy"))
    if floatMode:
        same = a.shape == b.shape and np.abs(a - b).max() <= 1e-5 * np.abs(a).max()
        print(f"{name}: {'close' if same else 'DIFFERENT'}")
    else:
        same = a.shape == b.shape and a.tobytes() == b.tobytes()
        print(f"{name}: {'bit-exact' if same else 'DIFFERENT'}")
    failures += not same
sys.exit(1 if failures else 0)
