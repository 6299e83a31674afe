#!/usr/bin/python3
"""Executes hand-written qnt.contract ops (as an importer or another compiler
would write them) through the reference lowering (quant-run) and through
--qnt-codegen, and compares both with an oracle computed here in numpy from
the op's definition: acc = sum((q_x - z_x) * (q_w - z_w)) + bias in int64,
then the accumulator itself, float32(acc) * float32(s_x * s_w), or the float
requantization roundeven(float32(acc) * float32(s_acc / s_out)) + z_out,
clamped. Deterministic (seeded). Prints one line per case and path.

Usage: check_contract.py BINDIR WORKDIR [CODEGEN-OPTIONS]
"""
import os
import subprocess
import sys

import numpy as np

bindir, work = sys.argv[1], sys.argv[2]
codegen = "--qnt-codegen" + (f"={sys.argv[3]}" if len(sys.argv) > 3 else "")
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(11)
F = np.float32


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")


def dense(a):
    return "dense<" + np.array2string(a, separator=", ", threshold=1 << 30,
                                      max_line_width=1 << 30) + ">"


def flist(v):
    return "[" + ", ".join(repr(float(F(x))) for x in np.atleast_1d(v)) + "]"


def quantize(x, s, z, lo, hi):
    return np.clip(np.rint((x / F(s)).astype(F)) + z, lo, hi).astype(np.int64)


def requantize(acc, s_acc, s_out, z_out, lo, hi):
    m = F(np.float64(s_acc) / np.float64(s_out))
    y = np.rint((acc.astype(F) * m).astype(F)) + z_out
    return np.clip(y, lo, hi).astype(np.int64)


cases = []

# A: matmul, per-channel i8 weights, int32 bias, requantized u8 result with a
# clamp that cuts into the range.
m, k, n = 5, 7, 6
x = rng.standard_normal((m, k)).astype(F)
sx, zx = 0.02, 100
w = rng.integers(-127, 128, (k, n))
sw = (0.01 + 0.002 * np.arange(n)).astype(F)
bias = rng.integers(-2000, 2000, n)
s_out, z_out = 0.02, 100
qx = quantize(x, sx, zx, 0, 255)
acc = (qx - zx) @ w + bias
s_acc = (F(sx) * sw).astype(F)
expected = np.stack([requantize(acc[:, j], s_acc[j], s_out, z_out, 0, 255)
                     for j in range(n)], axis=1)
expected = np.clip(expected, 20, 200).astype(np.uint8)
cases.append(("matmul_requantized", x, expected, f"""
func.func @main(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xi8> {{
  %q = qnt.quantize %x : tensor<{m}x{k}xf32> to tensor<{m}x{k}xi8> as #qnt.params<ui8, scales = [{sx}], zero_points = [{zx}]>
  %w = arith.constant {dense(w)} : tensor<{k}x{n}xi8>
  %b = arith.constant {dense(bias)} : tensor<{n}xi32>
  %y = qnt.contract %q, %w bias %b : (tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>, tensor<{n}xi32>) -> tensor<{m}x{n}xi8>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<ui8, scales = [{sx}], zero_points = [{zx}]>
         weight = #qnt.params<i8, narrow, axis = 1, scales = {flist(sw)}>
         result = #qnt.params<ui8, scales = [{s_out}], zero_points = [{z_out}]> clamp = [20, 200]
  return %y : tensor<{m}x{n}xi8>
}}"""))

# B: the i32 accumulator of u8 weights with per-channel zero points and a
# transposed weight ([N][K]).
wz = np.array([128, 120, 131, 127])
wu = rng.integers(0, 256, (4, k))
acc = (qx - zx) @ (wu - wz[:, None]).T
cases.append(("accumulator_weight_zero_points", x, acc.astype(np.int32), f"""
func.func @main(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x4xi32> {{
  %q = qnt.quantize %x : tensor<{m}x{k}xf32> to tensor<{m}x{k}xi8> as #qnt.params<ui8, scales = [{sx}], zero_points = [{zx}]>
  %w = arith.constant {dense(wu.astype(np.int64) - 256 * (wu > 127))} : tensor<4x{k}xi8>
  %y = qnt.contract %q, %w : (tensor<{m}x{k}xi8>, tensor<4x{k}xi8>) -> tensor<{m}x4xi32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<ui8, scales = [{sx}], zero_points = [{zx}]>
         weight = #qnt.params<ui8, axis = 0, scales = [0.5, 0.5, 0.5, 0.5], zero_points = {list(map(int, wz))}>
         result = #qnt.params<i32, axis = 1, scales = {flist(F(sx) * np.full(4, F(0.5)))}>
  return %y : tensor<{m}x4xi32>
}}"""))

# C: a strided, dilated NHWC convolution with real results and i8 inputs.
h, wd, c, f = 9, 8, 3, 5
xi = rng.standard_normal((1, h, wd, c)).astype(F)
sxi, zxi = 0.03, -5
wc = rng.integers(-127, 128, (2, 2, c, f))
swc = F(0.004)
qxi = quantize(xi, sxi, zxi, -128, 127)
oh, ow = (h - 3) // 2 + 1, (wd - 3) // 2 + 1
acc = np.zeros((1, oh, ow, f), np.int64)
for i in range(oh):
    for j in range(ow):
        for a in range(2):
            for b in range(2):
                acc[0, i, j] += (qxi[0, 2 * i + 2 * a, 2 * j + 2 * b] - zxi) @ wc[a, b]
real = (acc.astype(F) * F(F(sxi) * swc)).astype(F)
cases.append(("conv_real", xi, real, f"""
func.func @main(%x: tensor<1x{h}x{wd}x{c}xf32>) -> tensor<1x{oh}x{ow}x{f}xf32> {{
  %q = qnt.quantize %x : tensor<1x{h}x{wd}x{c}xf32> to tensor<1x{h}x{wd}x{c}xi8> as #qnt.params<i8, scales = [{sxi}], zero_points = [{zxi}]>
  %w = arith.constant {dense(wc)} : tensor<2x2x{c}x{f}xi8>
  %y = qnt.contract %q, %w : (tensor<1x{h}x{wd}x{c}xi8>, tensor<2x2x{c}x{f}xi8>) -> tensor<1x{oh}x{ow}x{f}xf32>
         maps = [affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh * 2 + kh * 2, ow * 2 + kw * 2, c)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (kh, kw, c, f)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>]
         input = #qnt.params<i8, scales = [{sxi}], zero_points = [{zxi}]> weight = #qnt.params<i8, narrow, scales = [{float(swc)}]>
  return %y : tensor<1x{oh}x{ow}x{f}xf32>
}}"""))

# D: both operands activations (attention's q k^T), quantized at run time:
# the first i8 symmetric per row, the second u8 asymmetric per tensor and
# transposed ([B][N][K]), so the run-time weight sums and the weight zero
# point matter. The module also returns what qnt.dynamic_quantize produced;
# the oracle applies the contract's definition to those (the quantization
# itself is checked against ONNX in test/Dialect/Qnt/act-matmul-exec.test).
bq, mq, nq, kq = 2, 3, 4, 5
xd = (rng.standard_normal((bq, mq, kq)) * 1.5).astype(F)
wd = (rng.standard_normal((bq, nq, kq)) + 0.7).astype(F)
cases.append(("both_dynamic", [xd, wd], None, f"""
func.func @main(%x: tensor<{bq}x{mq}x{kq}xf32>, %w: tensor<{bq}x{nq}x{kq}xf32>) -> (tensor<{bq}x{mq}x{nq}xf32>, tensor<{bq}x{mq}x{kq}xi8>, tensor<{bq}x{mq}xf32>, tensor<{bq}x{mq}xi32>, tensor<{bq}x{nq}x{kq}xi8>, tensor<f32>, tensor<i32>) {{
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<{bq}x{mq}x{kq}xf32> to tensor<{bq}x{mq}x{kq}xi8>, tensor<{bq}x{mq}xf32>, tensor<{bq}x{mq}xi32> storage = i8 scheme = symmetric per_row
  %wq, %ws, %wz = qnt.dynamic_quantize %w : tensor<{bq}x{nq}x{kq}xf32> to tensor<{bq}x{nq}x{kq}xi8>, tensor<f32>, tensor<i32> storage = ui8 scheme = asymmetric
  %y = qnt.contract %q, %wq dynamic(%s, %z) weight_dynamic(%ws, %wz) : (tensor<{bq}x{mq}x{kq}xi8>, tensor<{bq}x{nq}x{kq}xi8>, tensor<{bq}x{mq}xf32>, tensor<{bq}x{mq}xi32>, tensor<f32>, tensor<i32>) -> tensor<{bq}x{mq}x{nq}xf32>
         maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>]
         input_storage = i8 weight_storage = ui8
  return %y, %q, %s, %z, %wq, %ws, %wz : tensor<{bq}x{mq}x{nq}xf32>, tensor<{bq}x{mq}x{kq}xi8>, tensor<{bq}x{mq}xf32>, tensor<{bq}x{mq}xi32>, tensor<{bq}x{nq}x{kq}xi8>, tensor<f32>, tensor<i32>
}}"""))


def both_dynamic_oracle(outs):
    _, q, s, z, wq, ws, wz = outs
    acc = np.einsum("bmk,bnk->bmn", q.astype(np.int64) - z[..., None],
                    wq.view(np.uint8).astype(np.int64) - np.int64(wz))
    return (acc.astype(F) * (s[..., None] * F(ws)).astype(F)).astype(F)


failures = 0
for name, xin, expected, text in cases:
    model = os.path.join(work, name + ".mlir")
    with open(model, "w") as fh:
        fh.write(text)
    inputs = []
    for i, a in enumerate(xin if isinstance(xin, list) else [xin]):
        inputs += ["--input", os.path.join(work, f"{name}.x{i}.npy")]
        np.save(inputs[-1], a)
    fast = os.path.join(work, name + ".fast.mlir")
    run([f"{bindir}/quant-opt", model, codegen, "-o", fast])
    for path, module in (("reference", model), ("codegen", fast)):
        out = os.path.join(work, f"{name}.{path}")
        run([f"{bindir}/quant-run", module, "--entry", "main", *inputs,
             "--output-dir", out])
        got = np.load(os.path.join(out, "out0.npy"))
        if expected is None:
            outs = [np.load(os.path.join(out, f)) for f in
                    sorted(os.listdir(out), key=lambda f: int(f[3:-4]))]
            expected = both_dynamic_oracle(outs)
        same = got.shape == expected.shape and \
            got.view(np.uint8).tobytes() == expected.astype(got.dtype).view(np.uint8).tobytes()
        print(f"{name} {path}: {'matches the oracle' if same else 'DIFFERENT'}")
        if not same:
            print(got, expected, sep="\n")
        failures += not same
sys.exit(1 if failures else 0)
