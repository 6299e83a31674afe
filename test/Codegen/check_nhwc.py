#!/usr/bin/python3
"""qnt-convert-to-nhwc on a small NCHW CNN against a numpy oracle.

The model (random weights, seeded; the batch dimension dynamic): zero
padding, a 3x3 convolution with its bias (an expand_shape to [C][1][1]) and
ReLU, 2x2 max pooling (stride 2), padding, a 3x3 depthwise convolution with
a [C][1][1] constant bias and a clamp to [0, 6], a 1x1 convolution and
its inference batch normalization (folded into it), a
squeeze-and-excitation style global mean (a reduction to [N][C][1][1])
multiplied back, 2x2 sum pooling, the flatten into a matmul and its bias.
numpy computes it in float64 from the NCHW definitions. Runs that must
agree with it to 1e-4 of the largest output:
- the model as written through the reference lowering;
- after --qnt-convert-to-nhwc, through the reference lowering;
- --qnt-codegen (layout=nhwc by default) with threads=1, 2 and 3;
- --qnt-codegen=layout=keep.
Then the converted module must hold a single linalg.transpose (on the
input) and no NCHW op, and with static int8 activations (calibrated here,
quantized with --qnt-quantize activations=static) the convolutions must
chain through bias, ReLU, max pooling (on integers), padding and clamp
(two qnt.quantize: the input's and the matmul's, after the float mean and
sum pooling) and agree with the oracle's classes on most samples.

Usage: check_nhwc.py BINDIR WORKDIR
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


rng = np.random.default_rng(7)


N, C0, H = 6, 3, 9
w1 = rng.standard_normal((8, C0, 3, 3)).astype(np.float32) * 0.5
b1 = rng.standard_normal(8).astype(np.float32) * 0.1
w2 = rng.standard_normal((8, 3, 3)).astype(np.float32) * 0.5
b2 = rng.standard_normal((8, 1, 1)).astype(np.float32) * 0.1
w3 = rng.standard_normal((5, 8, 1, 1)).astype(np.float32) * 0.5
gamma = rng.uniform(0.5, 2, 5).astype(np.float32)
beta = rng.standard_normal(5).astype(np.float32) * 0.1
mean = rng.standard_normal(5).astype(np.float32) * 0.1
var = rng.uniform(0.5, 2, 5).astype(np.float32)
w4 = rng.standard_normal((20, 7)).astype(np.float32) * 0.5
b4 = rng.standard_normal(7).astype(np.float32) * 0.1
x = rng.standard_normal((N, C0, H, H)).astype(np.float32)
calib = rng.standard_normal((64, C0, H, H)).astype(np.float32)


def oracle(x):
    x = x.astype(np.float64)
    p = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = np.maximum(conv(p, w1) + b1[None, :, None, None], 0)          # 8x9x9
    y = y.reshape(len(x), 8, 4, 2, 4, 2)[:, :, :, :, :, :].max(axis=(3, 5)) if False else \
        np.max(np.stack([y[:, :, i:8:2, j:8:2] for i in range(2) for j in range(2)]), axis=0)
    p = np.pad(y, ((0, 0), (0, 0), (1, 1), (1, 1)))                      # 8x6x6
    d = np.zeros((len(x), 8, 4, 4))
    for i in range(3):
        for j in range(3):
            d += p[:, :, i:i + 4, j:j + 4] * w2[None, :, i, j, None, None]
    d = np.clip(d + b2[None], 0, 6)
    z = conv(d, w3)                                                      # 5x4x4
    c = (None, slice(None), None, None)
    z = gamma[c] * (z - mean[c]) / np.sqrt(var[c].astype(np.float64) + 1e-5) + beta[c]
    z = z * z.mean(axis=(2, 3), keepdims=True) * 16 / 16
    s = sum(z[:, :, i:4:2, j:4:2] for i in range(2) for j in range(2))  # 5x2x2
    return s.reshape(len(x), 20) @ w4 + b4


model = f"""#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
#pooled = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
#row = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#ch = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @main(%x: tensor<?x3x9x9xf32>) -> tensor<?x7xf32> {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x3x9x9xf32>
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %sixteenth = arith.constant 0.0625 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {{
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  }} : tensor<?x3x9x9xf32> to tensor<?x3x11x11xf32>
  %w1 = arith.constant {dense(w1)} : tensor<8x3x3x3xf32>
  %e1 = tensor.empty(%n) : tensor<?x8x9x9xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x8x9x9xf32>) -> tensor<?x8x9x9xf32>
  %c1 = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%xp, %w1 : tensor<?x3x11x11xf32>, tensor<8x3x3x3xf32>) outs(%f1 : tensor<?x8x9x9xf32>) -> tensor<?x8x9x9xf32>
  %b1 = arith.constant {dense(b1)} : tensor<8xf32>
  %b1e = tensor.expand_shape %b1 [[0, 1, 2]] output_shape [8, 1, 1] : tensor<8xf32> into tensor<8x1x1xf32>
  %r1 = linalg.generic {{indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%c1, %b1e : tensor<?x8x9x9xf32>, tensor<8x1x1xf32>) outs(%e1 : tensor<?x8x9x9xf32>) {{
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }} -> tensor<?x8x9x9xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %e2 = tensor.empty(%n) : tensor<?x8x4x4xf32>
  %f2 = linalg.fill ins(%ninf : f32) outs(%e2 : tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %p1 = linalg.pooling_nchw_max {{dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}} ins(%r1, %win : tensor<?x8x9x9xf32>, tensor<2x2xf32>) outs(%f2 : tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %pp = tensor.pad %p1 low[0, 0, 1, 1] high[0, 0, 1, 1] {{
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  }} : tensor<?x8x4x4xf32> to tensor<?x8x6x6xf32>
  %w2 = arith.constant {dense(w2)} : tensor<8x3x3xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %d2 = linalg.depthwise_conv_2d_nchw_chw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%pp, %w2 : tensor<?x8x6x6xf32>, tensor<8x3x3xf32>) outs(%f3 : tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %b2 = arith.constant {dense(b2)} : tensor<8x1x1xf32>
  %r2 = linalg.generic {{indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%d2, %b2 : tensor<?x8x4x4xf32>, tensor<8x1x1xf32>) outs(%e2 : tensor<?x8x4x4xf32>) {{
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %lo = arith.maximumf %s, %zero : f32
    %hi = arith.minimumf %lo, %six : f32
    linalg.yield %hi : f32
  }} -> tensor<?x8x4x4xf32>
  %w3 = arith.constant {dense(w3)} : tensor<5x8x1x1xf32>
  %e3 = tensor.empty(%n) : tensor<?x5x4x4xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<?x5x4x4xf32>) -> tensor<?x5x4x4xf32>
  %c3c = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} ins(%r2, %w3 : tensor<?x8x4x4xf32>, tensor<5x8x1x1xf32>) outs(%f4 : tensor<?x5x4x4xf32>) -> tensor<?x5x4x4xf32>
  %gamma = arith.constant {dense(gamma)} : tensor<5xf32>
  %beta = arith.constant {dense(beta)} : tensor<5xf32>
  %bnmean = arith.constant {dense(mean)} : tensor<5xf32>
  %var = arith.constant {dense(var)} : tensor<5xf32>
  %c3 = linalg.generic {{indexing_maps = [#id, #ch, #ch, #ch, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%c3c, %gamma, %beta, %bnmean, %var : tensor<?x5x4x4xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>) outs(%e3 : tensor<?x5x4x4xf32>) {{
  ^bb0(%in: f32, %g: f32, %bt: f32, %m: f32, %v: f32, %out: f32):
    %dd = arith.subf %in, %m : f32
    %nn = arith.mulf %g, %dd : f32
    %eps = arith.constant 9.99999974E-6 : f32
    %ve = arith.addf %v, %eps : f32
    %sd = math.sqrt %ve : f32
    %qq = arith.divf %nn, %sd : f32
    %oo = arith.addf %qq, %bt : f32
    linalg.yield %oo : f32
  }} -> tensor<?x5x4x4xf32>
  %e4 = tensor.empty(%n) : tensor<?x5x1x1xf32>
  %f5 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<?x5x1x1xf32>) -> tensor<?x5x1x1xf32>
  %sum = linalg.generic {{indexing_maps = [#id, #pooled], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}} ins(%c3 : tensor<?x5x4x4xf32>) outs(%f5 : tensor<?x5x1x1xf32>) {{
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }} -> tensor<?x5x1x1xf32>
  %se = linalg.generic {{indexing_maps = [#id, #pooled, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%c3, %sum : tensor<?x5x4x4xf32>, tensor<?x5x1x1xf32>) outs(%e3 : tensor<?x5x4x4xf32>) {{
  ^bb0(%in: f32, %m: f32, %out: f32):
    %mean = arith.mulf %m, %sixteenth : f32
    %s = arith.mulf %in, %mean : f32
    linalg.yield %s : f32
  }} -> tensor<?x5x4x4xf32>
  %e5 = tensor.empty(%n) : tensor<?x5x2x2xf32>
  %f6 = linalg.fill ins(%zero : f32) outs(%e5 : tensor<?x5x2x2xf32>) -> tensor<?x5x2x2xf32>
  %p2 = linalg.pooling_nchw_sum {{dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}} ins(%se, %win : tensor<?x5x4x4xf32>, tensor<2x2xf32>) outs(%f6 : tensor<?x5x2x2xf32>) -> tensor<?x5x2x2xf32>
  %flat = tensor.collapse_shape %p2 [[0], [1, 2, 3]] : tensor<?x5x2x2xf32> into tensor<?x20xf32>
  %w4 = arith.constant {dense(w4)} : tensor<20x7xf32>
  %e6 = tensor.empty(%n) : tensor<?x7xf32>
  %f7 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<?x7xf32>) -> tensor<?x7xf32>
  %mm = linalg.matmul ins(%flat, %w4 : tensor<?x20xf32>, tensor<20x7xf32>) outs(%f7 : tensor<?x7xf32>) -> tensor<?x7xf32>
  %b4 = arith.constant {dense(b4)} : tensor<7xf32>
  %y = linalg.generic {{indexing_maps = [#row, #col, #row], iterator_types = ["parallel", "parallel"]}} ins(%mm, %b4 : tensor<?x7xf32>, tensor<7xf32>) outs(%e6 : tensor<?x7xf32>) {{
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  }} -> tensor<?x7xf32>
  return %y : tensor<?x7xf32>
}}
"""
path = os.path.join(work, "cnn.mlir")
with open(path, "w") as f:
    f.write(model)
np.save(os.path.join(work, "x.npy"), x)
np.save(os.path.join(work, "calib.npy"), calib)
expected = oracle(x)

variants = {
    "reference": [],
    "nhwc-reference": ["--qnt-convert-to-nhwc"],
    "codegen": ["--qnt-codegen"],
    "codegen-t2": ["--qnt-codegen=threads=2 min-parallel-dots=0"],
    "codegen-t3": ["--qnt-codegen=threads=3 min-parallel-dots=0"],
    "codegen-keep": ["--qnt-codegen=layout=keep"],
}
failures = compare_variants(bindir, path, work, expected, variants, 1e-4)

failures += check_layout(bindir, path, 1)

stats = os.path.join(work, "stats.json")
quantized = os.path.join(work, "int8.mlir")
run("quant-run", path, "--entry", "main", "--calibrate", "--data",
    os.path.join(work, "calib.npy"), "--stats", stats, "--no-progress",
    "--quantize-output", quantized)
text = open(quantized).read()
quantizes = text.count("qnt.quantize")
int_pool = any("pooling_nhwc_max" in l and "xi8>" in l for l in text.splitlines())
run("quant-opt", quantized, "--qnt-codegen", "-o", os.path.join(work, "int8.ll.mlir"))
run("quant-run", os.path.join(work, "int8.ll.mlir"), "--entry", "main", "--input",
    os.path.join(work, "x.npy"), "--output-dir", os.path.join(work, "int8"))
got = np.load(os.path.join(work, "int8", "out0.npy"))
agree = (got.argmax(1) == expected.argmax(1)).mean()
chain_ok = quantizes == 2 and int_pool and agree >= 0.8
failures += not chain_ok
print(f"int8: {'ok' if chain_ok else 'FAILED'} ({quantizes} qnt.quantize, "
      f"integer max pooling: {int_pool}, classes agree on {agree:.0%})")

# Weight-only (int4 per channel, packed; int4 in blocks of 2 channels, the
# first layer's 3 channels ending in a shorter block): qnt-convert-to-nhwc
# transposes the NCHW weights' stored integers, qnt-f32-matmul folds their
# dequantization into the f32 kernels' constants, so no linalg convolution
# is left; the result equals the module's own reference lowering up to
# float rounding (the kernels fuse each multiply-add), at two threads.
for name, options in (("wo-i4", "weights=i4 activations=none"),
                      ("wo-b2", "weights=i4 weight-granularity=block block-size=2 activations=none")):
    wo = os.path.join(work, name + ".mlir")
    run("quant-opt", path, "--qnt-quantize=" + options, "-o", wo)
    kernels = run("quant-opt", wo, "--qnt-convert-to-nhwc", "--canonicalize",
                  "--qnt-f32-matmul")
    convs = sum(kernels.count(op) for op in ("linalg.conv_2d", "linalg.depthwise_conv_2d"))
    outs = {}
    for variant, passes in (("ref", []), ("fast", ["--qnt-codegen=threads=2 min-parallel-dots=0"])):
        lowered = os.path.join(work, f"{name}.{variant}.mlir")
        run("quant-opt", wo, *passes, "-o", lowered)
        run("quant-run", lowered, "--entry", "main", "--input",
            os.path.join(work, "x.npy"), "--output-dir", os.path.join(work, f"{name}.{variant}"))
        outs[variant] = np.load(os.path.join(work, f"{name}.{variant}", "out0.npy"))
    err = np.abs(outs["fast"] - outs["ref"]).max() / np.abs(outs["ref"]).max()
    ok = convs == 0 and err < 1e-5
    failures += not ok
    print(f"{name}: {'ok' if ok else 'FAILED'} ({convs} linalg convolutions left, "
          f"max error {err:.1e} of the largest output)")
sys.exit(1 if failures else 0)
