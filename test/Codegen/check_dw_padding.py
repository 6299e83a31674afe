#!/usr/bin/python3
"""Implicit row padding in the f32 depthwise kernel (qnt-f32-matmul,
docs/Codegen.md): a depthwise_conv_2d_nhwc_hwc whose input is a zero
tensor.pad used by it alone reads the pad's source padded along the columns
only, and each output row's window loop visits only the rows inside the
input.

Per case (batch 2, seeded; 5x5 windows on 3-row maps as in PaddleOCR's
classifier, asymmetric pads, pads of rows only, strides, a column dilation,
channel tails):
- --qnt-codegen within 1e-5 of a float64 numpy oracle (zero padding, then
  the convolution), at 1 and 2 threads;
- the same bytes as the explicit padding: the same model with the padded
  tensor returned too (a second use keeps the pad, so the kernel reads the
  padded buffer);
- after --qnt-f32-matmul no tensor.pad pads rows (only the columns' pad is
  left, or none).
A weight that is not finite keeps the padding explicit (0 x inf is NaN, as
in the reference): the case "inf" must pad rows and give NaN where the
reference does.

Usage: check_dw_padding.py BINDIR WORKDIR
"""
import os
import re
import subprocess
import sys

import numpy as np

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(23)


def run(*cmd):
    r = subprocess.run([os.path.join(bindir, cmd[0])] + list(cmd[1:]),
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return r.stdout


def dense(a):
    return "dense<" + np.array2string(
        a, separator=", ", threshold=1 << 30, floatmode="unique",
        max_line_width=1 << 30).replace("inf", "0x7F800000") + ">"


# name: H, W, C, (kh, kw), (top, bottom, left, right), (sh, sw), (dh, dw)
CASES = {
    "cls5x5": (3, 20, 40, (5, 5), (2, 2, 2, 2), (1, 1), (1, 1)),
    "cls5x5_s2": (7, 21, 24, (5, 5), (2, 2, 2, 2), (2, 1), (1, 1)),
    "rows_only": (4, 9, 17, (3, 3), (1, 1, 0, 0), (1, 1), (1, 1)),
    "asymmetric": (5, 11, 16, (3, 3), (0, 2, 1, 0), (1, 2), (1, 1)),
    "tall_pad": (2, 8, 8, (3, 3), (3, 1, 1, 1), (1, 1), (1, 2)),
    "inf": (3, 10, 16, (3, 3), (1, 1, 1, 1), (1, 1), (1, 1)),
}

failures = 0
for name, (h, w, c, (kh, kw), (pt, pb, pl, pr), (sh, sw), (dh, dw)) in CASES.items():
    hp, wp = h + pt + pb, w + pl + pr
    oh = (hp - dh * (kh - 1) - 1) // sh + 1
    ow = (wp - dw * (kw - 1) - 1) // sw + 1
    wt = rng.standard_normal((kh, kw, c)).astype(np.float32)
    if name == "inf":
        wt[0, 1, 3] = np.inf
    x = rng.standard_normal((2, h, w, c)).astype(np.float32)
    xp = np.pad(x.astype(np.float64), ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    expected = np.zeros((2, oh, ow, c))
    with np.errstate(invalid="ignore"):
        for i in range(kh):
            for j in range(kw):
                expected += xp[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                               j * dw:j * dw + sw * (ow - 1) + 1:sw, :] * wt[i, j]
    xt, pt_, yt = f"{h}x{w}x{c}xf32", f"{hp}x{wp}x{c}xf32", f"{oh}x{ow}x{c}xf32"

    def model(also_padded):
        ret = f"%y, %xp : tensor<?x{yt}>, tensor<?x{pt_}>" if also_padded else f"%y : tensor<?x{yt}>"
        types = f"tensor<?x{yt}>, tensor<?x{pt_}>" if also_padded else f"tensor<?x{yt}>"
        return f"""func.func @main(%x: tensor<?x{xt}>) -> ({types}) {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x{xt}>
  %zero = arith.constant 0.0 : f32
  %xp = tensor.pad %x low[0, {pt}, {pl}, 0] high[0, {pb}, {pr}, 0] {{
  ^bb0(%a: index, %b: index, %cc: index, %d: index):
    tensor.yield %zero : f32
  }} : tensor<?x{xt}> to tensor<?x{pt_}>
  %w = arith.constant {dense(wt)} : tensor<{kh}x{kw}x{c}xf32>
  %e = tensor.empty(%n) : tensor<?x{yt}>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<?x{yt}>) -> tensor<?x{yt}>
  %y = linalg.depthwise_conv_2d_nhwc_hwc {{strides = dense<[{sh}, {sw}]> : tensor<2xi64>, dilations = dense<[{dh}, {dw}]> : tensor<2xi64>}} ins(%xp, %w : tensor<?x{pt_}>, tensor<{kh}x{kw}x{c}xf32>) outs(%i : tensor<?x{yt}>) -> tensor<?x{yt}>
  return {ret}
}}
"""

    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "x.npy"), x)
    outs = {}
    for tag, text, opts in [("t1", model(False), "--qnt-codegen"),
                            ("t2", model(False), "--qnt-codegen=threads=2 min-parallel-dots=0"),
                            ("explicit", model(True), "--qnt-codegen")]:
        src = os.path.join(d, tag + ".mlir")
        with open(src, "w") as fh:
            fh.write(text)
        out = os.path.join(d, tag + ".ll.mlir")
        run("quant-opt", src, opts, "-o", out)
        run("quant-run", out, "--entry", "main", "--input", os.path.join(d, "x.npy"),
            "--non-finite=ignore", "--output-dir", os.path.join(d, tag))
        outs[tag] = np.load(os.path.join(d, tag, "out0.npy"))
    finite = np.isfinite(expected)
    scale = np.abs(expected[finite]).max()
    close = all(np.array_equal(np.isnan(o), np.isnan(expected)) and
                np.abs(o[finite] - expected[finite]).max() <= 1e-5 * scale
                for o in (outs["t1"], outs["t2"]))
    same = np.array_equal(outs["t1"], outs["explicit"], equal_nan=True) and \
        np.array_equal(outs["t1"], outs["t2"], equal_nan=True)
    kernels = run("quant-opt", os.path.join(d, "t1.mlir"), "--qnt-f32-matmul")
    pads = re.findall(r"tensor\.pad %\S+ low\[0, (\d+), \d+, 0\] high\[0, (\d+), \d+, 0\]",
                      kernels)
    row_pads = [p for p in pads if p != ("0", "0")]
    implicit = not row_pads
    ok = close and same and implicit == (name != "inf") and \
        "linalg.depthwise" not in kernels
    failures += not ok
    print(f"{name}: {'ok' if ok else 'FAILED'} (within 1e-5: {close}, same bytes as "
          f"the explicit padding: {same}, rows read implicitly: {implicit})")
sys.exit(1 if failures else 0)
