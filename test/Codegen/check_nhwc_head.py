#!/usr/bin/python3
"""qnt-convert-to-nhwc on a detection head (the region of PaddleOCR's
detector where NCHW transposes were left) against a numpy oracle.

The model (random weights, seeded; the batch dimension dynamic), NCHW as
ONNX exports it: a 3x3 stride-2 convolution A (zero padding, bias, ReLU) and
a 1x1 convolution B of the input; A upsampled 2x by nearest neighbour (a
linalg.generic of linalg.index and tensor.extract, as ONNX's Resize
imports) and added to B; the sum concatenated with B along the channels
(tensor.insert_slice into an empty tensor); a 2x2 transposed convolution
with stride 2 written as ONNX's ConvTranspose imports (a strided
tensor.insert_slice into a zero-filled tensor, then a convolution) with its
bias and a sigmoid. numpy computes it in float64 from the NCHW
definitions. Runs that must agree with it to 1e-5 of the largest output:
the reference lowering, --qnt-convert-to-nhwc then the reference lowering,
and --qnt-codegen at 1, 2 and 3 threads. The converted module must hold two
linalg.transpose ops (the input's and the output's) and no NCHW op. With
static int8 activations, the layouts must not change a bit: the model
quantized with the NHWC conversion and with layout=keep, both through
--qnt-codegen, give identical bytes.

Usage: check_nhwc_head.py BINDIR WORKDIR
"""
import os
import sys

import numpy as np

from nhwc_common import check_layout, compare_variants, conv, dense
from nhwc_common import run as run_tool

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
def run(*cmd):
    return run_tool(bindir, *cmd)


rng = np.random.default_rng(11)


N = 3
wa = rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.5
ba = rng.standard_normal(4).astype(np.float32) * 0.1
wb = rng.standard_normal((4, 3, 1, 1)).astype(np.float32) * 0.5
wt = rng.standard_normal((2, 8, 2, 2)).astype(np.float32) * 0.5
bt = rng.standard_normal(2).astype(np.float32) * 0.1
x = rng.standard_normal((N, 3, 8, 8)).astype(np.float32)
calib = rng.standard_normal((32, 3, 8, 8)).astype(np.float32)


def oracle(x):
    x = x.astype(np.float64)
    p = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    a = np.maximum(conv(p, wa, 2) + ba[None, :, None, None], 0)         # 4x4x4
    b = conv(x, wb)                                                      # 4x8x8
    up = a[:, :, np.arange(8) // 2][:, :, :, np.arange(8) // 2]
    cat = np.concatenate([up + b, b], axis=1)                            # 8x8x8
    z = np.zeros((len(x), 8, 17, 17))
    z[:, :, 1:17:2, 1:17:2] = cat
    y = conv(z, wt) + bt[None, :, None, None]                            # 2x16x16
    return 1 / (1 + np.exp(-y))


# Index i of the upsampled tensor reads index floor(i / 2) of A, clamped,
# computed in f64 as quant-import-onnx writes Resize (nearest, asymmetric).
def source_index(dim, name):
    return f"""
    %{name}i = linalg.index {dim} : index
    %{name}l = arith.index_cast %{name}i : index to i64
    %{name}f = arith.sitofp %{name}l : i64 to f64
    %{name}q = arith.divf %{name}f, %two : f64
    %{name}r = math.floor %{name}q : f64
    %{name}s = arith.fptosi %{name}r : f64 to i64
    %{name}lo = arith.maxsi %{name}s, %c0_i64 : i64
    %{name}hi = arith.minsi %{name}lo, %c3_i64 : i64
    %{name} = arith.index_cast %{name}hi : i64 to index"""


model = f"""#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @main(%x: tensor<?x3x8x8xf32>) -> tensor<?x2x16x16xf32> {{
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %n = tensor.dim %x, %c0 : tensor<?x3x8x8xf32>
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f64
  %c0_i64 = arith.constant 0 : i64
  %c3_i64 = arith.constant 3 : i64
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {{
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  }} : tensor<?x3x8x8xf32> to tensor<?x3x10x10xf32>
  %wa = arith.constant {dense(wa)} : tensor<4x3x3x3xf32>
  %ea = tensor.empty(%n) : tensor<?x4x4x4xf32>
  %fa = linalg.fill ins(%zero : f32) outs(%ea : tensor<?x4x4x4xf32>) -> tensor<?x4x4x4xf32>
  %ca = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}} ins(%xp, %wa : tensor<?x3x10x10xf32>, tensor<4x3x3x3xf32>) outs(%fa : tensor<?x4x4x4xf32>) -> tensor<?x4x4x4xf32>
  %ba = arith.constant {dense(ba)} : tensor<4xf32>
  %a = linalg.generic {{indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%ca, %ba : tensor<?x4x4x4xf32>, tensor<4xf32>) outs(%ea : tensor<?x4x4x4xf32>) {{
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }} -> tensor<?x4x4x4xf32>
  %wb = arith.constant {dense(wb)} : tensor<4x3x1x1xf32>
  %eb = tensor.empty(%n) : tensor<?x4x8x8xf32>
  %fb = linalg.fill ins(%zero : f32) outs(%eb : tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %b = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%x, %wb : tensor<?x3x8x8xf32>, tensor<4x3x1x1xf32>) outs(%fb : tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %up = linalg.generic {{indexing_maps = [#id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} outs(%eb : tensor<?x4x8x8xf32>) {{
  ^bb0(%out: f32):
    %ni = linalg.index 0 : index
    %ci = linalg.index 1 : index{source_index(2, "h")}{source_index(3, "w")}
    %v = tensor.extract %a[%ni, %ci, %h, %w] : tensor<?x4x4x4xf32>
    linalg.yield %v : f32
  }} -> tensor<?x4x8x8xf32>
  %sum = linalg.generic {{indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%up, %b : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) outs(%eb : tensor<?x4x8x8xf32>) {{
  ^bb0(%p: f32, %q: f32, %out: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  }} -> tensor<?x4x8x8xf32>
  %ecat = tensor.empty(%n) : tensor<?x8x8x8xf32>
  %cat0 = tensor.insert_slice %sum into %ecat[0, 0, 0, 0] [%n, 4, 8, 8] [1, 1, 1, 1] : tensor<?x4x8x8xf32> into tensor<?x8x8x8xf32>
  %cat = tensor.insert_slice %b into %cat0[0, %c4, 0, 0] [%n, 4, 8, 8] [1, 1, 1, 1] : tensor<?x4x8x8xf32> into tensor<?x8x8x8xf32>
  %ez = tensor.empty(%n) : tensor<?x8x17x17xf32>
  %fz = linalg.fill ins(%zero : f32) outs(%ez : tensor<?x8x17x17xf32>) -> tensor<?x8x17x17xf32>
  %z = tensor.insert_slice %cat into %fz[0, 0, 1, 1] [%n, 8, 8, 8] [1, 1, 2, 2] : tensor<?x8x8x8xf32> into tensor<?x8x17x17xf32>
  %wt = arith.constant {dense(wt)} : tensor<2x8x2x2xf32>
  %ey = tensor.empty(%n) : tensor<?x2x16x16xf32>
  %fy = linalg.fill ins(%zero : f32) outs(%ey : tensor<?x2x16x16xf32>) -> tensor<?x2x16x16xf32>
  %cy = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%z, %wt : tensor<?x8x17x17xf32>, tensor<2x8x2x2xf32>) outs(%fy : tensor<?x2x16x16xf32>) -> tensor<?x2x16x16xf32>
  %bt = arith.constant {dense(bt)} : tensor<2xf32>
  %y = linalg.generic {{indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%cy, %bt : tensor<?x2x16x16xf32>, tensor<2xf32>) outs(%ey : tensor<?x2x16x16xf32>) {{
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %m = arith.negf %s : f32
    %e = math.exp %m : f32
    %d = arith.addf %e, %one : f32
    %r = arith.divf %one, %d : f32
    linalg.yield %r : f32
  }} -> tensor<?x2x16x16xf32>
  return %y : tensor<?x2x16x16xf32>
}}
"""
path = os.path.join(work, "head.mlir")
with open(path, "w") as f:
    f.write(model)
np.save(os.path.join(work, "x.npy"), x)
np.save(os.path.join(work, "calib.npy"), calib)
expected = oracle(x)
scale = np.abs(expected).max()

variants = {
    "reference": [],
    "nhwc-reference": ["--qnt-convert-to-nhwc"],
    "codegen": ["--qnt-codegen"],
    "codegen-t2": ["--qnt-codegen=threads=2 min-parallel-dots=0"],
    "codegen-t3": ["--qnt-codegen=threads=3 min-parallel-dots=0"],
}
failures = compare_variants(bindir, path, work, expected, variants, 1e-5)

failures += check_layout(bindir, path, 2, "--cse")

outputs = {}
for layout in ("nhwc", "keep"):
    quantized = os.path.join(work, f"int8-{layout}.mlir")
    run("quant-run", path, "--entry", "main", "--calibrate", "--data",
        os.path.join(work, "calib.npy"), "--stats", os.path.join(work, "stats.json"),
        "--no-progress", "--quantize-output", quantized,
        "--quantize-options", f"layout={layout}")
    compiled = os.path.join(work, f"int8-{layout}.ll.mlir")
    run("quant-opt", quantized, f"--qnt-codegen=layout={layout}", "-o", compiled)
    run("quant-run", compiled, "--entry", "main", "--input",
        os.path.join(work, "x.npy"), "--output-dir", os.path.join(work, f"int8-{layout}"))
    outputs[layout] = np.load(os.path.join(work, f"int8-{layout}", "out0.npy"))
same = np.array_equal(outputs["nhwc"], outputs["keep"])
err = np.abs(outputs["nhwc"] - expected).max() / scale
int8_ok = same and err < 0.1
failures += not int8_ok
print(f"int8: {'ok' if int8_ok else 'FAILED'} (layouts give identical bytes: {same}, "
      f"max error {err:.1e} of the largest output)")
sys.exit(1 if failures else 0)
