#!/usr/bin/python3
"""Float row sums under --qnt-codegen against an exact oracle (NumPy's
float64 sum of the f32 inputs, exact for these sizes and magnitudes up to
float64 rounding) and against the reference lowering.

The module sums rows of widths 1, 15, 16, 17, 37, 64, 192 and 1000 (tails,
one vector, vectors plus a masked tail) into keepdims results [R, 1] (init
+0.0, as the ONNX importer writes them) and into rank-reduced results [R]
(init -0.0: a sum of negative zeros is then -0, which the reduction's
lanes, starting at -0.0, must keep). Each input has ten kinds of rows:
normal values, positive values, magnitudes near 1e30, cancellation (1e8
beside small values), all -0, mixed +-0, a NaN in the last element, +Inf
first, +Inf with -Inf, and denormals.

--qnt-codegen sums=vector (each lane sums every lanes-th element, the
lanes then combine with the init as a tree): every finite result within
(ceil(W / lanes) + log2(lanes) + 1) * 2^-24 * sum|x| (plus W * 2^-149 for
denormal partial sums) of the exact sum; NaN, infinities and the sign of
zero results as the reference's. sums=ordered: bit-identical to the
reference lowering. Prints one line per mode; exits 1 on a violation.

Usage: check_sums.py BINDIR WORKDIR "CODEGEN-OPTIONS" [LANES]
"""
import math
import os
import subprocess
import sys

import numpy as np

bindir, work, options = sys.argv[1], sys.argv[2], sys.argv[3]
lanes = int(sys.argv[4]) if len(sys.argv) > 4 else 16
os.makedirs(work, exist_ok=True)
F = np.float32
rng = np.random.default_rng(2026)
WIDTHS = [1, 15, 16, 17, 37, 64, 192, 1000]
ROWS = 10


def rows(w):
    x = np.zeros((ROWS, w), F)
    x[0] = rng.standard_normal(w)
    x[1] = rng.uniform(0, 1, w)
    x[2] = rng.standard_normal(w) * F(1e30)
    x[3] = rng.standard_normal(w)
    x[3, ::3] = F(1e8)
    x[3, 1::3] *= F(-1e8) if w > 1 else F(1)
    x[4] = -0.0
    x[5] = np.where(rng.uniform(size=w) < 0.5, F(0.0), F(-0.0))
    x[6] = rng.standard_normal(w)
    x[6, -1] = np.nan
    x[7] = rng.standard_normal(w)
    x[7, 0] = np.inf
    x[8] = rng.standard_normal(w)
    x[8, 0] = np.inf
    x[8, -1] = -np.inf if w > 1 else np.inf
    x[9] = rng.uniform(-1, 1, w) * F(1e-40)
    return x


def module():
    args, body, results, types = [], [], [], []
    for i, w in enumerate(WIDTHS):
        keep = i % 2 == 0
        out = f"tensor<{ROWS}x1xf32>" if keep else f"tensor<{ROWS}xf32>"
        outmap = "(d0, 0)" if keep else "(d0)"
        init = "0.000000e+00" if keep else "-0.000000e+00"
        args.append(f"%x{i}: tensor<{ROWS}x{w}xf32>")
        body.append(f"""
  %e{i} = tensor.empty() : {out}
  %c{i} = arith.constant {init} : f32
  %f{i} = linalg.fill ins(%c{i} : f32) outs(%e{i} : {out}) -> {out}
  %s{i} = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> {outmap}>], iterator_types = ["parallel", "reduction"]}} ins(%x{i} : tensor<{ROWS}x{w}xf32>) outs(%f{i} : {out}) {{
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  }} -> {out}""")
        results.append(f"%s{i}")
        types.append(out)
    return (f"func.func @main({', '.join(args)}) -> ({', '.join(types)}) {{"
            + "".join(body)
            + f"\n  return {', '.join(results)} : {', '.join(types)}\n}}\n")


def run(*cmd):
    subprocess.run(cmd, check=True)


src = os.path.join(work, "sums.mlir")
open(src, "w").write(module())
inputs = []
for i, w in enumerate(WIDTHS):
    path = os.path.join(work, f"x{i}.npy")
    np.save(path, rows(w))
    inputs += ["--input", path]
fast = os.path.join(work, "fast.mlir")
run(f"{bindir}/quant-opt", src, f"--qnt-codegen={options}", "-o", fast)
run(f"{bindir}/quant-run", src, "--entry", "main", *inputs,
    "--output-dir", os.path.join(work, "ref"))
run(f"{bindir}/quant-run", fast, "--entry", "main", *inputs,
    "--output-dir", os.path.join(work, "fast"))

ordered = "sums=ordered" in options
bad = []
worst = 0.0
for i, w in enumerate(WIDTHS):
    x = np.load(os.path.join(work, f"x{i}.npy"))
    ref = np.load(os.path.join(work, "ref", f"out{i}.npy")).reshape(ROWS)
    got = np.load(os.path.join(work, "fast", f"out{i}.npy")).reshape(ROWS)
    if ordered:
        if ref.tobytes() != got.tobytes():
            bad.append(f"width {w}: not the reference's bits")
        continue
    exact = x.astype(np.float64).sum(axis=1)
    depth = math.ceil(w / lanes) + int(math.log2(lanes)) + 1
    for r in range(ROWS):
        g, e, f = got[r], exact[r], ref[r]
        if np.isnan(f) or np.isinf(f):
            if not (np.isnan(g) if np.isnan(f) else g == f):
                bad.append(f"width {w} row {r}: {g} where the reference gives {f}")
            continue
        if e == 0 and g == 0:
            if np.signbit(g) != np.signbit(f):
                bad.append(f"width {w} row {r}: zero of the wrong sign ({g}, reference {f})")
            continue
        bound = depth * 2.0**-24 * np.abs(x[r].astype(np.float64)).sum() + w * 2.0**-149
        err = abs(float(g) - e)
        worst = max(worst, err / bound)
        if not np.isfinite(g) or err > bound:
            bad.append(f"width {w} row {r}: {g}, exact {e}, error {err:.3g} > bound {bound:.3g}")
if bad:
    print("\n".join(bad))
    sys.exit(1)
if ordered:
    print(f"{options}: every row sum the reference's bits")
else:
    print(f"{options}: every finite row sum within its bound (worst {worst:.2f} of it); "
          "NaN, infinities and signed zeros as the reference")
