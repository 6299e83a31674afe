#!/usr/bin/python3
"""Transposed convolutions without zero stuffing (qnt-unstuff-transposed-conv,
docs/Codegen.md) against a numpy oracle.

Each model is written as quant-import-onnx writes ONNX's ConvTranspose
(NCHW; the input spread by the strides into a zero fill, then a stride-1
convolution with the flipped weight), with a bias and an activation, after a
1x1 convolution, with a dynamic batch (3 images). The oracle is ConvTranspose's definition, the
scatter-add y[n, f, s*h + i, s*w + j] += x[n, c, h, w] * W[c, f, i, j], in
float64 with the unflipped weight, then cropped by the pads (and extended
by output_padding). Cases with
tails: prime input channels, F = 1 (a detector's last layer: 4 columns),
F = 17 (68 columns, not a multiple of 16), windows 2x2, 3x3 and 1x2 (a 1-D
one as the importer lifts it) equal to the stride; windows 2x and 3x the
stride with symmetric and asymmetric pads (4x4 stride 2 pad 1, 6x6 stride 3
pad 2, 1x4 stride 1x2), a 2x2 stride-2 window with pads (a crop); windows
that are not a multiple of the stride, one convolution per phase (3x3
stride 2 pad 1 output_padding 1, 5x5 stride 3, 3x2 stride 2x1); two layers
chained (the depth-to-space, and its crop, of one feeding the next).

Per case:
- the reference lowering and --qnt-codegen at 1, 2 and 3 threads within
  1e-5 of the largest output;
- --qnt-codegen gives the same bytes as the same pipeline without
  qnt-unstuff-transposed-conv (the zero-stuffed convolution's kernel): the
  sums over the channels keep their order and the skipped products were
  exact zeros;
- after --qnt-convert-to-nhwc --qnt-unstuff-transposed-conv no
  tensor.insert_slice into a fill (zero stuffing) is left, each layer whose
  window is a multiple of the stride has its NHWC depth-to-space transpose,
  and the bias and activation read the convolutions' results (the
  depth-to-space or the per-phase interleave, and the crop, moved below
  them);
- static int8 (calibrated on these and 16 other images), quantized with
  layout=nhwc and with layout=keep, within 0.05 of the largest output;
  --qnt-quantize unstuffs too (no integer spread into a fill is left), per
  phase where the window is not a multiple of the stride (one qnt.contract
  per phase), reports as many layers as the model has, and, in NHWC, a
  transposed convolution between two layers chains: its input and its
  phases' results are stored integers (one qnt.quantize, of the input,
  per module).
  (The bytes differ between the layouts here: the leading 1x1 layer chains
  into the next in integers only in NHWC. check_nhwc_head.py checks that a
  transposed convolution after float ops gives the same bytes in both.)

Usage: check_transposed_conv.py BINDIR WORKDIR
"""
import os
import re
import sys

import numpy as np

from nhwc_common import dense
from nhwc_common import run as run_tool

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)


def run(*cmd):
    return run_tool(bindir, *cmd)


rng = np.random.default_rng(5)
N = 3


def convtranspose(x, w, stride, pads, extra=(0, 0)):  # ONNX ConvTranspose
    n, c, h, wd = x.shape
    _, f, kh, kw = w.shape
    (sh, sw), (top, left, bottom, right) = stride, pads
    # output_padding (`extra`) adds rows and columns that no input reaches.
    y = np.zeros((n, f, sh * (h - 1) + kh + extra[0], sw * (wd - 1) + kw + extra[1]))
    for i in range(kh):
        for j in range(kw):
            y[:, :, i:i + sh * (h - 1) + 1:sh, j:j + sw * (wd - 1) + 1:sw] += \
                np.einsum("nchw,cf->nfhw", x, w[:, :, i, j])
    return y[:, :, top:y.shape[2] - bottom, left:y.shape[3] - right]


ACTIVATIONS = {
    "relu": ("%r = arith.maximumf %s, %zero : f32", lambda v: np.maximum(v, 0)),
    "sigmoid": ("%m = arith.negf %s : f32\n    %e = math.exp %m : f32\n"
                "    %d = arith.addf %e, %one : f32\n    %r = arith.divf %one, %d : f32",
                lambda v: 1 / (1 + np.exp(-v))),
    "none": ("%r = arith.addf %s, %zero : f32", lambda v: v),
}


def layer(i, src, c, h, wd, f, kh, kw, act, stride=None, pads=(0, 0, 0, 0), extra=(0, 0)):
    """MLIR of one ConvTranspose + bias + activation (importer's form: x
    spread every stride from the window's reach minus the leading pads) and
    its weights for the oracle."""
    w = (rng.standard_normal((c, f, kh, kw)) / np.sqrt(c)).astype(np.float32)
    b = (rng.standard_normal(f) * 0.1).astype(np.float32)
    flipped = np.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
    strh, strw = stride or (kh, kw)
    top, left, bottom, right = pads
    lowh, loww = kh - 1 - top, kw - 1 - left
    sh = strh * (h - 1) + 1 + lowh + kh - 1 - bottom + extra[0]
    sw = strw * (wd - 1) + 1 + loww + kw - 1 - right + extra[1]
    oh, ow = sh - kh + 1, sw - kw + 1
    body, fn = ACTIVATIONS[act]
    text = f"""
  %e{i} = tensor.empty(%n) : tensor<?x{c}x{sh}x{sw}xf32>
  %z{i} = linalg.fill ins(%zero : f32) outs(%e{i} : tensor<?x{c}x{sh}x{sw}xf32>) -> tensor<?x{c}x{sh}x{sw}xf32>
  %s{i} = tensor.insert_slice {src} into %z{i}[0, 0, {lowh}, {loww}] [%n, {c}, {h}, {wd}] [1, 1, {strh}, {strw}] : tensor<?x{c}x{h}x{wd}xf32> into tensor<?x{c}x{sh}x{sw}xf32>
  %w{i} = arith.constant {dense(flipped)} : tensor<{f}x{c}x{kh}x{kw}xf32>
  %oe{i} = tensor.empty(%n) : tensor<?x{f}x{oh}x{ow}xf32>
  %of{i} = linalg.fill ins(%zero : f32) outs(%oe{i} : tensor<?x{f}x{oh}x{ow}xf32>) -> tensor<?x{f}x{oh}x{ow}xf32>
  %y{i} = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%s{i}, %w{i} : tensor<?x{c}x{sh}x{sw}xf32>, tensor<{f}x{c}x{kh}x{kw}xf32>) outs(%of{i} : tensor<?x{f}x{oh}x{ow}xf32>) -> tensor<?x{f}x{oh}x{ow}xf32>
  %b{i} = arith.constant {dense(b)} : tensor<{f}xf32>
  %a{i} = linalg.generic {{indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%y{i}, %b{i} : tensor<?x{f}x{oh}x{ow}xf32>, tensor<{f}xf32>) outs(%oe{i} : tensor<?x{f}x{oh}x{ow}xf32>) {{
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    {body}
    linalg.yield %r : f32
  }} -> tensor<?x{f}x{oh}x{ow}xf32>"""
    oracle = lambda x: fn(convtranspose(x, w.astype(np.float64), (strh, strw), pads, extra)
                          + b[None, :, None, None])
    return text, oracle, (f, oh, ow)


# name: input (C, H, W), layers (F, kh, kw, activation[, stride, pads
# (top, left, bottom, right)]); the stride is the window unless given
CASES = {
    "c7_f17_2x2": ((7, 5, 6), [(17, 2, 2, "relu")]),
    "c24_f1_2x2": ((24, 9, 7), [(1, 2, 2, "sigmoid")]),
    "c5_f3_3x3": ((5, 4, 3), [(3, 3, 3, "none")]),
    "c6_f4_1x2": ((6, 1, 11), [(4, 1, 2, "relu")]),
    "chain": ((13, 4, 5), [(24, 2, 2, "relu"), (1, 2, 2, "sigmoid")]),
    # Windows twice the stride and more, with pads (a shifted phase grid,
    # zeros around x, a crop), asymmetric pads and a crop of window ==
    # stride.
    "c5_f3_4x4s2p1": ((5, 6, 7), [(3, 4, 4, "relu", (2, 2), (1, 1, 1, 1))]),
    "c3_f17_4x4s2p021": ((3, 5, 4), [(17, 4, 4, "none", (2, 2), (0, 2, 1, 3))]),
    "c4_f2_6x6s3p2": ((4, 3, 5), [(2, 6, 6, "relu", (3, 3), (2, 2, 2, 2))]),
    "c6_f5_2x2p1": ((6, 4, 5), [(5, 2, 2, "relu", (2, 2), (1, 0, 0, 1))]),
    "c6_f4_1x4s2p1": ((6, 1, 9), [(4, 1, 4, "relu", (1, 2), (0, 1, 0, 1))]),
    "chain_p1": ((11, 3, 4), [(16, 4, 4, "relu", (2, 2), (1, 1, 1, 1)),
                              (1, 2, 2, "sigmoid")]),
    "first_4x4s2p1": ((7, 5, 4), [(9, 4, 4, "relu", (2, 2), (1, 1, 1, 1))]),
    # Windows that are not a multiple of the stride: phases with different
    # numbers of taps, one convolution each (3x3 stride 2 pad 1 with
    # output_padding 1, as decoders upsample; 5x5 stride 3; 3x2 stride 2x1).
    "c5_f3_3x3s2p1op1": ((5, 6, 7), [(3, 3, 3, "relu", (2, 2), (1, 1, 1, 1), (1, 1))]),
    "c3_f17_5x5s3p1": ((3, 4, 5), [(17, 5, 5, "none", (3, 3), (1, 2, 2, 1))]),
    "c4_f2_3x2s2x1": ((4, 5, 6), [(2, 3, 2, "sigmoid", (2, 1), (0, 0, 0, 0))]),
    "chain_3x3": ((6, 3, 4), [(8, 3, 3, "relu", (2, 2), (1, 1, 1, 1), (1, 1)),
                              (1, 2, 2, "sigmoid")]),
}

dumped = run("quant-opt", "--qnt-codegen", "--dump-pass-pipeline", os.devnull)
pipeline = dumped[dumped.index("builtin.module("):]
without = re.sub(r"func\.func\(\s*qnt-unstuff-transposed-conv(\{[^}]*\})?\s*\),", "", pipeline)
assert without != pipeline, "the pipeline lacks qnt-unstuff-transposed-conv"
without = " ".join(without.split())

failures = 0
for name, ((c, h, wd), layers) in CASES.items():
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    # A 1x1 convolution before the transposed ones, as in a model (its NHWC
    # result is what the first one spreads after the layout conversion),
    # except in first_* cases: there the spread reads the NCHW argument and
    # the layout conversion transposes the spread.
    first = name.startswith("first_")
    body, oracles, src = "", [], "%x" if first else "%p"
    shape = (c, h, wd)
    for i, (f, kh, kw, act, *form) in enumerate(layers):
        text, oracle, out = layer(i, src, *shape, f, kh, kw, act, *form)
        body += text
        oracles.append(oracle)
        src, shape = f"%a{i}", out
    f, oh, ow = shape
    w0 = (rng.standard_normal((c, c, 1, 1)) / np.sqrt(c)).astype(np.float32)
    head = f"""
  %w = arith.constant {dense(w0)} : tensor<{c}x{c}x1x1xf32>
  %pe = tensor.empty(%n) : tensor<?x{c}x{h}x{wd}xf32>
  %pf = linalg.fill ins(%zero : f32) outs(%pe : tensor<?x{c}x{h}x{wd}xf32>) -> tensor<?x{c}x{h}x{wd}xf32>
  %p = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%x, %w : tensor<?x{c}x{h}x{wd}xf32>, tensor<{c}x{c}x1x1xf32>) outs(%pf : tensor<?x{c}x{h}x{wd}xf32>) -> tensor<?x{c}x{h}x{wd}xf32>"""
    model = f"""#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @main(%x: tensor<?x{c}x{h}x{wd}xf32>) -> tensor<?x{f}x{oh}x{ow}xf32> {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x{c}x{h}x{wd}xf32>
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
{"" if first else head}{body}
  return {src} : tensor<?x{f}x{oh}x{ow}xf32>
}}
"""
    path = os.path.join(d, "model.mlir")
    with open(path, "w") as out:
        out.write(model)
    x = rng.standard_normal((N, c, h, wd)).astype(np.float32)
    np.save(os.path.join(d, "x.npy"), x)
    # Calibrated on the test images too, so that no activation exceeds its
    # calibrated range: the check is of the integer layers, not of how
    # well 16 random images predict 3 others' ranges.
    np.save(os.path.join(d, "calib.npy"), np.concatenate(
        [x, rng.standard_normal((16, c, h, wd)).astype(np.float32)]))
    expected = x.astype(np.float64) if first else \
        np.einsum("nchw,fc->nfhw", x.astype(np.float64), w0[:, :, 0, 0])
    for oracle in oracles:
        expected = oracle(expected)
    scale = np.abs(expected).max()

    def execute(tag, module):
        run("quant-run", module, "--entry", "main", "--input", os.path.join(d, "x.npy"),
            "--output-dir", os.path.join(d, tag))
        return np.load(os.path.join(d, tag, "out0.npy"))

    results = {}
    for tag, opts in [("reference", None), ("t1", "--qnt-codegen"),
                      ("t2", "--qnt-codegen=threads=2 min-parallel-dots=0"),
                      ("t3", "--qnt-codegen=threads=3 min-parallel-dots=0")]:
        module = path
        if opts:
            module = os.path.join(d, tag + ".mlir")
            run("quant-opt", path, opts, "-o", module)
        results[tag] = execute(tag, module)
    errors = {t: np.abs(r - expected).max() / scale for t, r in results.items()}
    close = all(r.shape == expected.shape for r in results.values()) and \
        max(errors.values()) < 1e-5
    stuffed = os.path.join(d, "stuffed.mlir")
    run("quant-opt", path, f"--pass-pipeline={without}", "-o", stuffed)
    same = np.array_equal(execute("stuffed", stuffed), results["t1"])
    converted = run("quant-opt", path, "--qnt-convert-to-nhwc",
                    "--qnt-unstuff-transposed-conv")
    fills = set(re.findall(r"(%\w+) = linalg\.fill", converted))
    spread = [m for m in re.finditer(r"tensor\.insert_slice \S+ into (%\w+)\[", converted)
              if m.group(1) in fills]
    multiples = sum(kh % (form[0][0] if form else kh) == 0 and
                    kw % (form[0][1] if form else kw) == 0
                    for f, kh, kw, act, *form in layers)
    unstuffed = not spread \
        and converted.count("permutation = [0, 1, 3, 2, 4, 5]") == multiples \
        and not re.search(r"linalg\.generic .*ins\(%(extracted_slice|collapsed|inserted_slice)",
                          converted)
    # Layers the model has, and qnt.contracts the quantized one should
    # have: one per phase where the window is not a multiple of the stride.
    model_layers = len(layers) + (0 if first else 1)
    contracts = (0 if first else 1) + sum(
        1 if kh % sh == 0 and kw % sw == 0 else sh * sw
        for (sh, sw), (f, kh, kw, act, *form) in
        zip([form[0] if form else (kh, kw) for f, kh, kw, act, *form in layers],
            layers))
    int8 = {}
    int8_form = True
    for layout in ("nhwc", "keep"):
        quantized = os.path.join(d, f"int8-{layout}.mlir")
        log = run("quant-run", path, "--entry", "main", "--calibrate", "--data",
                  os.path.join(d, "calib.npy"), "--stats", os.path.join(d, "stats.json"),
                  "--no-progress", "--quantize-output", quantized,
                  "--quantize-options", f"layout={layout}")
        text = open(quantized).read()
        fills = set(re.findall(r"(%\w+) = linalg\.fill", text))
        int8_spread = [m for m in re.finditer(r"tensor\.insert_slice \S+ into (%\w+)\[", text)
                       if m.group(1) in fills]
        # Chaining leaves float copies that only tensor.dim reads beside the
        # requantized layers; count the layers by their weights.
        weights = set(re.findall(r"qnt\.contract \S+, (%\w+)", text))
        form_ok = not int8_spread and len(weights) == contracts and \
            f"qnt-quantize: {model_layers} layer(s): {model_layers} integer" in log
        if layout == "nhwc":
            form_ok = form_ok and text.count("qnt.quantize ") == 1
        if not form_ok:
            print(f"  int8 {layout}: spread {len(int8_spread)}, "
                  f"layers {len(weights)} (expected {contracts}), "
                  f"quantizations {text.count('qnt.quantize ')}, log: {log.strip()[-300:]}")
        int8_form = int8_form and form_ok
        compiled = os.path.join(d, f"int8-{layout}.ll.mlir")
        run("quant-opt", quantized, f"--qnt-codegen=layout={layout}", "-o", compiled)
        int8[layout] = execute(f"int8-{layout}", compiled)
    int8_err = max(np.abs(r - expected).max() for r in int8.values()) / scale
    ok = close and same and unstuffed and int8_err < 0.05 and int8_form
    failures += not ok
    print(f"{name}: {'ok' if ok else 'FAILED'} (float within 1e-5: {close}, "
          f"same bytes as the stuffed kernel: {same}, unstuffed: {unstuffed}, "
          f"int8 in both layouts within 0.05: {int8_err < 0.05}, "
          f"int8 unstuffed, counted once and chained: {int8_form})")
    if not ok:
        print("  errors:", {t: f"{e:.1e}" for t, e in errors.items()},
              f"int8 {int8_err:.1e}")
sys.exit(1 if failures else 0)
