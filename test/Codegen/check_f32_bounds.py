#!/usr/bin/python3
"""The f32 kernels of --qnt-codegen (qnt-f32-matmul: matmuls and NHWC
convolutions with constant weights, depthwise convolutions) against NumPy
in float64, with a stated bound and on edge inputs.

Each output is a sum of K products. Summed in any order in f32 with fused
multiply-adds, the error is at most gamma_K * sum_k |a_k w_k| with
gamma_K = K u / (1 - K u), u = 2^-24 (Higham, Accuracy and Stability of
Numerical Algorithms, 3.1), plus the final rounding (u |y|): the check
requires |y - y64| <= (gamma_K * sum |a w| + u |y64|) * SLACK for every
finite output (SLACK = 1.0: the bound itself, not a tolerance), and prints
the largest ratio of the error to that bound.
Edge inputs: activations with +-0, denormals (1e-40), +-Inf, NaN and large
magnitudes (1e15) in chosen rows and pixels; weights with a denormal, -0
and a NaN column (a NaN weight makes its output channel NaN for every
row). Every output that NumPy gives as NaN or +-Inf must be the same (NaN
as any NaN); every finite one within the bound. Shapes with tails: M = 1, 5
and 37 rows, K = 1, 7, 131 and 1030, N = 1, 17 and 33 columns;
3x3 convolutions with C = 1, 3 and 13, F = 5 and 40, strides 1 and 2;
depthwise 3x3 with C = 21.

Usage: check_f32_bounds.py BINDIR WORKDIR [CODEGEN-OPTIONS]
Prints one line per case; exits 1 when a case is out of bounds or a special
result differs.
"""
import os
import subprocess
import sys

import numpy as np

bindir, work = sys.argv[1], sys.argv[2]
codegen = "--qnt-codegen" + (f"={sys.argv[3]}" if len(sys.argv) > 3 and sys.argv[3] else "")
os.makedirs(work, exist_ok=True)
F = np.float32
U = 2.0 ** -24
rng = np.random.default_rng(29)


def hexdense(a):
    return '"0x' + np.ascontiguousarray(a, F).tobytes().hex().upper() + '"'


def edge_rows(x, axis_rows):
    """Puts the edge values into a few rows (or pixels) of x: the first
    holds +-0 and denormals, the second a NaN, the third +Inf, the fourth
    -Inf and 1e15, the rest stay random."""
    flat = x.reshape(axis_rows, -1)
    n = flat.shape[0]
    if n > 0:
        flat[0, ::3] = 0.0
        flat[0, 1::3] = -0.0
        flat[0, 2::5] = 1e-40
    if n > 1:
        flat[1, flat.shape[1] // 2] = np.nan
    if n > 2:
        flat[2, 0] = np.inf
    if n > 3:
        flat[3, -1] = -np.inf
        flat[3, 1 % flat.shape[1]] = 1e15
    return x


def edge_weights(w, out_axis):
    w = np.moveaxis(w, out_axis, -1).copy()
    flat = w.reshape(-1, w.shape[-1])
    flat[0, 0] = 1e-40
    if flat.shape[0] > 1:
        flat[1, 0] = -0.0
    if flat.shape[1] > 2:
        flat[flat.shape[0] // 2, 2] = np.nan
    return np.moveaxis(flat.reshape(w.shape), -1, out_axis)


def run(name, text, x):
    model = os.path.join(work, name + ".mlir")
    with open(model, "w") as f:
        f.write(text)
    fast = os.path.join(work, name + ".fast.mlir")
    xp = os.path.join(work, name + ".x.npy")
    np.save(xp, x)
    out = os.path.join(work, name + ".out")
    for cmd in ([f"{bindir}/quant-opt", model, codegen, "-o", fast],
                [f"{bindir}/quant-run", fast, "--entry", "main", "--input", xp, "--output-dir", out,
                 "--non-finite=ignore"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{name}: failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    # The layer is one of qnt-f32-matmul's kernels (not the reference loops).
    r = subprocess.run([f"{bindir}/quant-opt", model, "--qnt-f32-matmul"], capture_output=True, text=True)
    kernel = r.returncode == 0 and "qnt.kernel" in r.stdout
    return np.load(os.path.join(out, "out0.npy")), kernel


def compare(name, got, want, absum, k, kernel):
    """want and absum in float64; k terms per output."""
    gamma = k * U / (1 - k * U)
    with np.errstate(all="ignore"):
        want32 = want.astype(F)
        bound = gamma * absum + U * np.abs(want)
        special = ~np.isfinite(want32)
        same_special = np.where(np.isnan(want32), np.isnan(got), got == want32)
        err = np.abs(got.astype(np.float64) - want)
        ratio = np.where(bound > 0, err / np.where(bound > 0, bound, 1), np.where(err > 0, np.inf, 0))
    finite = ~special
    worst = ratio[finite].max(initial=0)
    bad_special = int(np.count_nonzero(special & ~same_special))
    ok = worst <= 1.0 and bad_special == 0 and kernel
    print(f"{name}: {'kernel' if kernel else 'NO KERNEL'}, {'within' if worst <= 1.0 else 'OUT OF'} bound (largest error / bound {worst:.3f}), "
          f"{int(special.sum())} non-finite outputs {'as NumPy' if bad_special == 0 else 'DIFFER: ' + str(bad_special)}")
    return ok


failures = 0
for m, k, n in [(1, 131, 17), (5, 7, 33), (37, 1030, 17), (37, 1, 1), (5, 131, 33)]:
    x = rng.uniform(-2, 2, (m, k)).astype(F)
    x = edge_rows(x, m)
    w = edge_weights(rng.uniform(-1, 1, (k, n)).astype(F), 1)
    b = rng.uniform(-1, 1, n).astype(F)
    text = f"""func.func @main(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32> {{
  %w = arith.constant dense<{hexdense(w)}> : tensor<{k}x{n}xf32>
  %b = arith.constant dense<{hexdense(b)}> : tensor<{n}xf32>
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %y = linalg.matmul ins(%x, %w : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) outs(%f : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %r = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}}
       ins(%y, %b : tensor<{m}x{n}xf32>, tensor<{n}xf32>) outs(%e : tensor<{m}x{n}xf32>) {{
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }} -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}
"""
    got, kernel = run(f"matmul_{m}x{k}x{n}", text, x)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    with np.errstate(all="ignore"):
        want = x64 @ w64 + b.astype(np.float64)
        absum = np.abs(x64) @ np.abs(w64) + np.abs(b.astype(np.float64))
    failures += not compare(f"matmul {m}x{k}x{n}", got, want, absum, k + 1, kernel)

for h, wd, c, f_, s in [(7, 9, 1, 5, 1), (8, 11, 3, 40, 2), (6, 30, 13, 40, 1)]:
    x = edge_rows(rng.uniform(-2, 2, (2, h, wd, c)).astype(F), 2 * h * wd)
    w = edge_weights(rng.uniform(-1, 1, (3, 3, c, f_)).astype(F), 3)
    oh, ow = (h - 3) // s + 1, (wd - 3) // s + 1
    text = f"""func.func @main(%x: tensor<2x{h}x{wd}x{c}xf32>) -> tensor<2x{oh}x{ow}x{f_}xf32> {{
  %w = arith.constant dense<{hexdense(w)}> : tensor<3x3x{c}x{f_}xf32>
  %e = tensor.empty() : tensor<2x{oh}x{ow}x{f_}xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x{oh}x{ow}x{f_}xf32>) -> tensor<2x{oh}x{ow}x{f_}xf32>
  %y = linalg.conv_2d_nhwc_hwcf {{dilations = dense<1> : tensor<2xi64>, strides = dense<{s}> : tensor<2xi64>}}
       ins(%x, %w : tensor<2x{h}x{wd}x{c}xf32>, tensor<3x3x{c}x{f_}xf32>) outs(%f : tensor<2x{oh}x{ow}x{f_}xf32>) -> tensor<2x{oh}x{ow}x{f_}xf32>
  return %y : tensor<2x{oh}x{ow}x{f_}xf32>
}}
"""
    got, kernel = run(f"conv_{h}x{wd}x{c}x{f_}s{s}", text, x)
    win = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), (3, 3), axis=(1, 2))[:, ::s, ::s]
    # win: [n][oh][ow][c][3][3]
    with np.errstate(all="ignore"):
        want = np.einsum("nhwcij,ijcf->nhwf", win, w.astype(np.float64))
        absum = np.einsum("nhwcij,ijcf->nhwf", np.abs(win), np.abs(w.astype(np.float64)))
    failures += not compare(f"conv 3x3 {h}x{wd}x{c}->{f_} stride {s}", got, want, absum, 9 * c, kernel)

# Denormal outputs: one 1e-40 per row against weights of 1, no bias.
m, k, n = 6, 33, 17
x = np.zeros((m, k), F)
x[np.arange(m), np.arange(m) * 5] = np.float32(1e-40) * np.arange(1, m + 1, dtype=F)
w = np.ones((k, n), F)
text = f"""func.func @main(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32> {{
  %w = arith.constant dense<{hexdense(w)}> : tensor<{k}x{n}xf32>
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %y = linalg.matmul ins(%x, %w : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) outs(%f : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %y : tensor<{m}x{n}xf32>
}}
"""
got, kernel = run("denormal", text, x)
want = x.astype(np.float64) @ w.astype(np.float64)
absum = np.abs(x.astype(np.float64)) @ np.abs(w.astype(np.float64))
failures += not compare(f"matmul {m}x{k}x{n}, denormal outputs", got, want, absum, k, kernel)

c = 21
x = edge_rows(rng.uniform(-2, 2, (2, 9, 12, c)).astype(F), 2 * 9 * 12)
w = edge_weights(rng.uniform(-1, 1, (3, 3, c)).astype(F), 2)
text = f"""func.func @main(%x: tensor<2x9x12x{c}xf32>) -> tensor<2x7x10x{c}xf32> {{
  %w = arith.constant dense<{hexdense(w)}> : tensor<3x3x{c}xf32>
  %e = tensor.empty() : tensor<2x7x10x{c}xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x7x10x{c}xf32>) -> tensor<2x7x10x{c}xf32>
  %y = linalg.depthwise_conv_2d_nhwc_hwc {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}}
       ins(%x, %w : tensor<2x9x12x{c}xf32>, tensor<3x3x{c}xf32>) outs(%f : tensor<2x7x10x{c}xf32>) -> tensor<2x7x10x{c}xf32>
  return %y : tensor<2x7x10x{c}xf32>
}}
"""
got, kernel = run("depthwise", text, x)
win = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), (3, 3), axis=(1, 2))
with np.errstate(all="ignore"):
    want = np.einsum("nhwcij,ijc->nhwc", win, w.astype(np.float64))
    absum = np.einsum("nhwcij,ijc->nhwc", np.abs(win), np.abs(w.astype(np.float64)))
failures += not compare(f"depthwise 3x3 9x12x{c}", got, want, absum, 9, kernel)
sys.exit(1 if failures else 0)
