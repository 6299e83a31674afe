#!/usr/bin/python3
"""Transposed convolutions whose window equals the stride
(qnt-unstuff-transposed-conv, docs/Codegen.md) against a numpy oracle.

Each model is written as quant-import-onnx writes ONNX's ConvTranspose
(NCHW; the input spread by the strides into a zero fill, then a stride-1
convolution with the flipped weight), with a bias and an activation, after a
1x1 convolution, with a dynamic batch (3 images). The oracle is ConvTranspose's definition, the
scatter-add y[n, f, s*h + i, s*w + j] += x[n, c, h, w] * W[c, f, i, j], in
float64 with the unflipped weight. Cases with tails: prime input channels,
F = 1 (a detector's last layer: 4 columns), F = 17 (68 columns, not a
multiple of 16), windows 2x2, 3x3 and 1x2 (a 1-D one as the importer lifts
it), and two layers chained (the depth-to-space of one feeding the next).

Per case:
- the reference lowering and --qnt-codegen at 1, 2 and 3 threads within
  1e-5 of the largest output;
- --qnt-codegen gives the same bytes as the same pipeline without
  qnt-unstuff-transposed-conv (the zero-stuffed convolution's kernel): the
  sums over the channels keep their order and the skipped products were
  exact zeros;
- after --qnt-convert-to-nhwc --qnt-unstuff-transposed-conv no strided
  tensor.insert_slice (zero stuffing) is left, and each layer has its NHWC
  depth-to-space transpose;
- static int8 (calibrated on 16 other images), quantized with
  layout=nhwc and with layout=keep, within 0.05 of the largest output.
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


def convtranspose(x, w):  # ONNX ConvTranspose, stride = window, no pads
    n, c, h, wd = x.shape
    _, f, kh, kw = w.shape
    y = np.zeros((n, f, kh * h, kw * wd))
    for i in range(kh):
        for j in range(kw):
            y[:, :, i::kh, j::kw] += np.einsum("nchw,cf->nfhw", x, w[:, :, i, j])
    return y


ACTIVATIONS = {
    "relu": ("%r = arith.maximumf %s, %zero : f32", lambda v: np.maximum(v, 0)),
    "sigmoid": ("%m = arith.negf %s : f32\n    %e = math.exp %m : f32\n"
                "    %d = arith.addf %e, %one : f32\n    %r = arith.divf %one, %d : f32",
                lambda v: 1 / (1 + np.exp(-v))),
    "none": ("%r = arith.addf %s, %zero : f32", lambda v: v),
}


def layer(i, src, c, h, wd, f, kh, kw, act):
    """MLIR of one ConvTranspose + bias + activation (importer's form) and
    its weights for the oracle."""
    w = (rng.standard_normal((c, f, kh, kw)) / np.sqrt(c)).astype(np.float32)
    b = (rng.standard_normal(f) * 0.1).astype(np.float32)
    flipped = np.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
    sh, sw = kh * h + kh - 1, kw * wd + kw - 1
    oh, ow = kh * h, kw * wd
    body, fn = ACTIVATIONS[act]
    text = f"""
  %e{i} = tensor.empty(%n) : tensor<?x{c}x{sh}x{sw}xf32>
  %z{i} = linalg.fill ins(%zero : f32) outs(%e{i} : tensor<?x{c}x{sh}x{sw}xf32>) -> tensor<?x{c}x{sh}x{sw}xf32>
  %s{i} = tensor.insert_slice {src} into %z{i}[0, 0, {kh - 1}, {kw - 1}] [%n, {c}, {h}, {wd}] [1, 1, {kh}, {kw}] : tensor<?x{c}x{h}x{wd}xf32> into tensor<?x{c}x{sh}x{sw}xf32>
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
    oracle = lambda x: fn(convtranspose(x, w.astype(np.float64)) + b[None, :, None, None])
    return text, oracle, (f, oh, ow)


# name: input (C, H, W), layers (F, kh, kw, activation)
CASES = {
    "c7_f17_2x2": ((7, 5, 6), [(17, 2, 2, "relu")]),
    "c24_f1_2x2": ((24, 9, 7), [(1, 2, 2, "sigmoid")]),
    "c5_f3_3x3": ((5, 4, 3), [(3, 3, 3, "none")]),
    "c6_f4_1x2": ((6, 1, 11), [(4, 1, 2, "relu")]),
    "chain": ((13, 4, 5), [(24, 2, 2, "relu"), (1, 2, 2, "sigmoid")]),
}

dumped = run("quant-opt", "--qnt-codegen", "--dump-pass-pipeline", os.devnull)
pipeline = dumped[dumped.index("builtin.module("):]
without = re.sub(r"func\.func\(\s*qnt-unstuff-transposed-conv\s*\),", "", pipeline)
assert without != pipeline, "the pipeline lacks qnt-unstuff-transposed-conv"
without = " ".join(without.split())

failures = 0
for name, ((c, h, wd), layers) in CASES.items():
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    body, oracles, src = "", [], "%p"
    shape = (c, h, wd)
    for i, (f, kh, kw, act) in enumerate(layers):
        text, oracle, out = layer(i, src, *shape, f, kh, kw, act)
        body += text
        oracles.append(oracle)
        src, shape = f"%a{i}", out
    f, oh, ow = shape
    # A 1x1 convolution before the transposed ones, as in a model: its NHWC
    # result is what the first one spreads after the layout conversion.
    w0 = (rng.standard_normal((c, c, 1, 1)) / np.sqrt(c)).astype(np.float32)
    model = f"""#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @main(%x: tensor<?x{c}x{h}x{wd}xf32>) -> tensor<?x{f}x{oh}x{ow}xf32> {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x{c}x{h}x{wd}xf32>
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %w = arith.constant {dense(w0)} : tensor<{c}x{c}x1x1xf32>
  %pe = tensor.empty(%n) : tensor<?x{c}x{h}x{wd}xf32>
  %pf = linalg.fill ins(%zero : f32) outs(%pe : tensor<?x{c}x{h}x{wd}xf32>) -> tensor<?x{c}x{h}x{wd}xf32>
  %p = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%x, %w : tensor<?x{c}x{h}x{wd}xf32>, tensor<{c}x{c}x1x1xf32>) outs(%pf : tensor<?x{c}x{h}x{wd}xf32>) -> tensor<?x{c}x{h}x{wd}xf32>{body}
  return {src} : tensor<?x{f}x{oh}x{ow}xf32>
}}
"""
    path = os.path.join(d, "model.mlir")
    with open(path, "w") as out:
        out.write(model)
    x = rng.standard_normal((N, c, h, wd)).astype(np.float32)
    np.save(os.path.join(d, "x.npy"), x)
    np.save(os.path.join(d, "calib.npy"),
            rng.standard_normal((16, c, h, wd)).astype(np.float32))
    expected = np.einsum("nchw,fc->nfhw", x.astype(np.float64), w0[:, :, 0, 0])
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
    unstuffed = not re.search(r"tensor\.insert_slice .*\[1, 1, \d+, \d+\]|"
                              r"tensor\.insert_slice .*\[1, \d+, \d+, 1\]", converted) \
        and converted.count("permutation = [0, 1, 3, 2, 4, 5]") == len(layers)
    int8 = {}
    for layout in ("nhwc", "keep"):
        quantized = os.path.join(d, f"int8-{layout}.mlir")
        run("quant-run", path, "--entry", "main", "--calibrate", "--data",
            os.path.join(d, "calib.npy"), "--stats", os.path.join(d, "stats.json"),
            "--no-progress", "--quantize-output", quantized,
            "--quantize-options", f"layout={layout}")
        compiled = os.path.join(d, f"int8-{layout}.ll.mlir")
        run("quant-opt", quantized, f"--qnt-codegen=layout={layout}", "-o", compiled)
        int8[layout] = execute(f"int8-{layout}", compiled)
    int8_err = max(np.abs(r - expected).max() for r in int8.values()) / scale
    ok = close and same and unstuffed and int8_err < 0.05
    failures += not ok
    print(f"{name}: {'ok' if ok else 'FAILED'} (float within 1e-5: {close}, "
          f"same bytes as the stuffed kernel: {same}, unstuffed: {unstuffed}, "
          f"int8 in both layouts within 0.05: {int8_err < 0.05})")
    if not ok:
        print("  errors:", {t: f"{e:.1e}" for t, e in errors.items()},
              f"int8 {int8_err:.1e}")
sys.exit(1 if failures else 0)
