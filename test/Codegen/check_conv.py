#!/usr/bin/python3
"""Bit-exact agreement of --qnt-codegen with the reference path on
convolutions through the VNNI micro-kernel: NHWC/HWCF, NHWC/FHWC (TOSA's),
NCHW/FCHW and NHWC depthwise (HWC weights); strides, dilations, channel counts that are not
multiples of 4 (C = 1, 6), output channels with a tail (F = 5, 40) and a
full group (F = 64), depthwise channel tails (C = 5, 40) and windows that
are not a multiple of 4 positions (3x3, 2x3, 5x5), widths that are not
multiples of the 4-pixel tile, batch 2. Deterministic (seeded).

With --static each convolution is followed by a bias, a ReLU and a 1x1
convolution to 3 channels, the model is calibrated on its input (quant-run
--calibrate) and OPTIONS may use {stats}: with activations=static the first
convolution's kernel requantizes its output to the second one's u8 in its
epilogue (integer outputs, where the other modes store f32).

With --float the float model itself goes through --qnt-codegen (the f32
convolution and depthwise kernels; NCHW cases through qnt-convert-to-nhwc;
not TOSA's FHWC) and must agree with the reference path to 1e-5 of the
largest output (fused multiply-adds round once).

Usage: check_conv.py BINDIR WORKDIR OPTIONS [CODEGEN-OPTIONS] [--float | --static]
"""
import os
import subprocess
import sys

import numpy as np

floatMode = "--float" in sys.argv
staticMode = "--static" in sys.argv
args = [a for a in sys.argv[1:] if a not in ("--float", "--static")]
bindir, work, options = args[0], args[1], args[2]
codegen = "--qnt-codegen" + (f"={args[3]}" if len(args) > 3 and args[3] else "")
os.makedirs(work, exist_ok=True)
# (kind, H, W, C, KH, KW, F, stride, dilation); depthwise: F = C
CASES = [("nhwc", 7, 9, 1, 3, 3, 5, 1, 1), ("nhwc", 8, 11, 6, 3, 2, 40, 2, 1),
         ("nhwc", 9, 9, 8, 2, 3, 64, 1, 2), ("nhwc", 5, 6, 16, 1, 1, 17, 1, 1),
         ("nchw", 7, 9, 3, 3, 3, 5, 1, 1), ("nchw", 8, 11, 6, 3, 2, 40, 2, 1),
         ("fhwc", 7, 9, 6, 3, 3, 20, 1, 1), ("fhwc", 8, 11, 3, 3, 2, 64, 2, 1),
         ("dw", 7, 9, 5, 3, 3, 5, 1, 1), ("dw", 8, 11, 32, 3, 3, 32, 2, 1),
         ("dw", 9, 9, 16, 2, 3, 16, 1, 2), ("dw", 9, 10, 40, 5, 5, 40, 1, 1),
         # First layers (C = 1, or C = 2 with F <= 8: 16 pixels per vector
         # along the width): full tiles and a tail, a stride of 3 (a load of
         # 128 bytes per group), a dilation, a 7x7 window, F = 1 and 16; and
         # C = 3 (the channel-lane kernel) with a stride of 2.
         ("nhwc", 5, 37, 1, 3, 3, 8, 1, 1), ("nhwc", 6, 40, 3, 3, 3, 16, 2, 1),
         ("nhwc", 7, 60, 2, 3, 3, 8, 3, 1), ("nhwc", 9, 44, 2, 3, 5, 7, 1, 2),
         ("fhwc", 9, 40, 1, 7, 7, 12, 2, 1), ("nchw", 6, 33, 1, 5, 5, 8, 1, 1),
         ("nhwc", 4, 20, 1, 2, 2, 1, 1, 1), ("nhwc", 5, 21, 1, 3, 3, 16, 1, 1),
         # The 1-3 column blocks left after the groups of four, in tiles of
         # 24 / blocks pixels: full tiles and a tail along the width (F = 24:
         # tiles of 12; F = 40: of 8; F = 16: of 24; depthwise C = 24); with
         # C <= 4 (kConvFewChannel*RestAccumulators) the integer kernel's
         # tiles take 8 accumulators (F = 16: 8 pixels, F = 32: 4) and the
         # float kernel's 12 with two or three blocks (F = 32: 6 pixels,
         # F = 48: 4), tails of 1 and 5 pixels; the integer kernel's
         # groups are then two blocks of 4 pixels (kConvFewChannelColTile:
         # F = 80 is two groups and a block of 8 pixels, a tail of 5 each).
         ("nhwc", 4, 29, 5, 3, 3, 24, 1, 1), ("nhwc", 3, 30, 7, 3, 3, 40, 1, 1),
         ("nhwc", 3, 54, 3, 3, 3, 16, 1, 1), ("dw", 4, 30, 24, 3, 3, 24, 1, 1),
         ("nhwc", 3, 37, 3, 3, 3, 32, 1, 1), ("nhwc", 3, 29, 4, 3, 3, 48, 1, 1),
         ("nhwc", 3, 23, 3, 3, 3, 80, 1, 1),
         # Groups of four blocks in tiles of kConvWideRowTile = 5 pixels
         # (widths 14 and 13 that 4 does not divide): two full tiles and a
         # tail of 4 / 3, then a block left (F = 80); depthwise C = 64.
         ("nhwc", 4, 16, 8, 3, 3, 80, 1, 1), ("dw", 3, 15, 64, 3, 3, 64, 1, 1)]
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
    second = ""
    rt = yt
    if staticMode:
        # bias + ReLU, then a 1x1 convolution to 3 channels in the same layout
        nf = ys[0] if kind == "nchw" else ys[2]
        chan = "d1" if kind == "nchw" else "d3"
        b = rng.standard_normal(nf).astype(np.float32)
        bdense = np.array2string(b, separator=", ", floatmode="unique",
                                 max_line_width=1 << 30)
        if kind == "nchw":
            rs, w2s, op2 = (3, ys[1], ys[2]), (3, nf, 1, 1), "linalg.conv_2d_nchw_fchw"
        elif kind == "fhwc":
            rs, w2s, op2 = (ys[0], ys[1], 3), (3, 1, 1, nf), "linalg.conv_2d_nhwc_fhwc"
        else:
            rs, w2s, op2 = (ys[0], ys[1], 3), (1, 1, nf, 3), "linalg.conv_2d_nhwc_hwcf"
        w2 = rng.standard_normal(w2s).astype(np.float32)
        w2dense = np.array2string(w2, separator=", ", floatmode="unique",
                                  max_line_width=1 << 30)
        rt = "x".join(map(str, rs)) + "xf32"
        w2t = "x".join(map(str, w2s)) + "xf32"
        one = "strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>"
        second = f"""  %b = arith.constant dense<{bdense}> : tensor<{nf}xf32>
  %h = linalg.generic {{indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> ({chan})>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%y, %b : tensor<?x{yt}>, tensor<{nf}xf32>) outs(%e : tensor<?x{yt}>) {{
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }} -> tensor<?x{yt}>
  %w2 = arith.constant dense<{w2dense}> : tensor<{w2t}>
  %e2 = tensor.empty(%n) : tensor<?x{rt}>
  %i2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x{rt}>) -> tensor<?x{rt}>
  %y2 = {op2} {{{one}}} ins(%h, %w2 : tensor<?x{yt}>, tensor<{w2t}>) outs(%i2 : tensor<?x{rt}>) -> tensor<?x{rt}> loc("second")
"""
    with open(model, "w") as fh:
        fh.write(f"""func.func @main(%x: tensor<?x{xt}>) -> tensor<?x{rt}> {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x{xt}>
  %w = arith.constant dense<{dense}> : tensor<{wt}>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x{yt}>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<?x{yt}>) -> tensor<?x{yt}>
  %y = {op} {{{attrs}}} ins(%x, %w : tensor<?x{xt}>, tensor<{wt}>) outs(%i : tensor<?x{yt}>) -> tensor<?x{yt}> loc("first")
{second}  return %{"y2" if staticMode else "y"} : tensor<?x{rt}>
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
        layer_options = options
        if staticMode:
            stats = os.path.join(work, f"{name}.stats.json")
            run([f"{bindir}/quant-run", model, "--entry", "main", "--calibrate",
                 "--data", xin, "--stats", stats, "--no-progress"])
            layer_options = options.replace("{stats}", stats)
        run([f"{bindir}/quant-opt", model, f"--qnt-quantize={layer_options}", "-o", q])
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
