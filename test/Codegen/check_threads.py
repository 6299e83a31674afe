#!/usr/bin/python3
"""--qnt-codegen with threads=N shares its loops among the threads without
changing a bit: element-wise loops of at least 2^15 elements (scf.forall
over shares of the elements, or of the rows when an input is broadcast),
row reductions (shares of rows), reductions over outer dimensions (shares
of the outermost parallel dimension) and the matmul kernels' (column group,
row share) pairs. One module holds one op of each kind on shapes with tails
(131 and 61 elements per row, 200 = 12 full vectors and a tail of 8
columns: three column groups and one block left over; 97 rows: six shares
of 16 and one of 1); an in-place element-wise op (its input dies) and a
small op that stays on one thread. Inputs include NaN and infinities.

Checks: threads=2 and threads=3 give the bytes of threads=1 for every
output; against the reference lowering (quant-run's default), the
element-wise results, the maximum and the outer sums (summed in the
reference's order) are identical bytes, the row sums within their
documented bound, the matmul within 1e-5 of the largest result.

Usage: check_threads.py BINDIR WORKDIR
"""
import os
import sys

import numpy as np

from checklib import dense, run

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(11)
w = rng.standard_normal((64, 200)).astype(np.float32)

module = f"""#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#ch3 = affine_map<(d0, d1, d2) -> (d2)>
#out3 = affine_map<(d0, d1, d2) -> (d1, d2)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row2 = affine_map<(d0, d1) -> (d0)>
func.func @main(%x: tensor<3x97x131xf32>, %y: tensor<37x29x61xf32>,
                %b: tensor<61xf32>, %z: tensor<523x67xf32>,
                %a: tensor<97x64xf32>, %s: tensor<4x100xf32>)
    -> (tensor<3x97x131xf32>, tensor<37x29x61xf32>, tensor<523xf32>,
        tensor<523xf32>, tensor<29x61xf32>, tensor<97x200xf32>,
        tensor<4x100xf32>) {{
  %e0 = tensor.empty() : tensor<3x97x131xf32>
  // In place (x dies here), every input read through the identity: flat.
  %r0 = linalg.generic {{indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}}
      ins(%x : tensor<3x97x131xf32>) outs(%e0 : tensor<3x97x131xf32>) {{
  ^bb0(%v: f32, %o: f32):
    %h = arith.constant 0.5 : f32
    %t = arith.mulf %v, %h : f32
    %u = arith.addf %t, %v : f32
    linalg.yield %u : f32
  }} -> tensor<3x97x131xf32>
  // A broadcast bias: shares of rows.
  %e1 = tensor.empty() : tensor<37x29x61xf32>
  %r1 = linalg.generic {{indexing_maps = [#id3, #ch3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}}
      ins(%y, %b : tensor<37x29x61xf32>, tensor<61xf32>) outs(%e1 : tensor<37x29x61xf32>) {{
  ^bb0(%v: f32, %c: f32, %o: f32):
    %t = arith.addf %v, %c : f32
    %zero = arith.constant 0.0 : f32
    %u = arith.maximumf %t, %zero : f32
    linalg.yield %u : f32
  }} -> tensor<37x29x61xf32>
  // Row maximum and row sum.
  %ninf = arith.constant 0xFF800000 : f32
  %zf = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<523xf32>
  %i2 = linalg.fill ins(%ninf : f32) outs(%e2 : tensor<523xf32>) -> tensor<523xf32>
  %r2 = linalg.generic {{indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}}
      ins(%z : tensor<523x67xf32>) outs(%i2 : tensor<523xf32>) {{
  ^bb0(%v: f32, %acc: f32):
    %m = arith.maximumf %acc, %v : f32
    linalg.yield %m : f32
  }} -> tensor<523xf32>
  %i3 = linalg.fill ins(%zf : f32) outs(%e2 : tensor<523xf32>) -> tensor<523xf32>
  %r3 = linalg.generic {{indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}}
      ins(%z : tensor<523x67xf32>) outs(%i3 : tensor<523xf32>) {{
  ^bb0(%v: f32, %acc: f32):
    %m = arith.addf %acc, %v : f32
    linalg.yield %m : f32
  }} -> tensor<523xf32>
  // Sums over the outer dimension, per (row, column).
  %e4 = tensor.empty() : tensor<29x61xf32>
  %i4 = linalg.fill ins(%zf : f32) outs(%e4 : tensor<29x61xf32>) -> tensor<29x61xf32>
  %r4 = linalg.generic {{indexing_maps = [#id3, #out3], iterator_types = ["reduction", "parallel", "parallel"]}}
      ins(%y : tensor<37x29x61xf32>) outs(%i4 : tensor<29x61xf32>) {{
  ^bb0(%v: f32, %acc: f32):
    %m = arith.addf %acc, %v : f32
    linalg.yield %m : f32
  }} -> tensor<29x61xf32>
  // The f32 matmul kernel.
  %w = arith.constant {dense(w)} : tensor<64x200xf32>
  %e5 = tensor.empty() : tensor<97x200xf32>
  %i5 = linalg.fill ins(%zf : f32) outs(%e5 : tensor<97x200xf32>) -> tensor<97x200xf32>
  %r5 = linalg.matmul ins(%a, %w : tensor<97x64xf32>, tensor<64x200xf32>) outs(%i5 : tensor<97x200xf32>) -> tensor<97x200xf32>
  // 400 elements: stays on one thread.
  %e6 = tensor.empty() : tensor<4x100xf32>
  %r6 = linalg.generic {{indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}}
      ins(%s : tensor<4x100xf32>) outs(%e6 : tensor<4x100xf32>) {{
  ^bb0(%v: f32, %o: f32):
    %t = arith.mulf %v, %v : f32
    linalg.yield %t : f32
  }} -> tensor<4x100xf32>
  return %r0, %r1, %r2, %r3, %r4, %r5, %r6 : tensor<3x97x131xf32>, tensor<37x29x61xf32>, tensor<523xf32>, tensor<523xf32>, tensor<29x61xf32>, tensor<97x200xf32>, tensor<4x100xf32>
}}
"""
path = os.path.join(work, "threads.mlir")
with open(path, "w") as f:
    f.write(module)

x = rng.standard_normal((3, 97, 131)).astype(np.float32)
x[0, 0, 0], x[2, 96, 130], x[1, 50, 7] = np.nan, np.inf, -np.inf
y = rng.standard_normal((37, 29, 61)).astype(np.float32)
y[36, 28, 60], y[5, 5, 5] = np.nan, -np.inf
b = rng.standard_normal(61).astype(np.float32)
z = (rng.standard_normal((523, 67)) * 10.0 ** rng.integers(-3, 6, (523, 67))).astype(np.float32)
z[522, 66], z[100, 3] = np.nan, np.inf
a = rng.standard_normal((97, 64)).astype(np.float32)
s = rng.standard_normal((4, 100)).astype(np.float32)
inputs = []
for name, v in [("x", x), ("y", y), ("b", b), ("z", z), ("a", a), ("s", s)]:
    p = os.path.join(work, f"{name}.npy")
    np.save(p, v)
    inputs += ["--input", p]

outputs = {}
for label, compile_options in [("ref", None), ("t1", "threads=1"),
                               ("t2", "threads=2"), ("t3", "threads=3")]:
    source = path
    if compile_options:
        source = os.path.join(work, f"{label}.mlir")
        run([f"{bindir}/quant-opt", path, f"--qnt-codegen={compile_options}",
             "-o", source])
    out = os.path.join(work, label)
    run([f"{bindir}/quant-run", source, "--entry", "main", *inputs,
         "--output-dir", out, "--non-finite=ignore"])
    outputs[label] = [np.load(os.path.join(out, f"out{i}.npy")) for i in range(7)]

names = ["in place", "broadcast", "row max", "row sum", "outer sum", "matmul",
         "small"]
failures = 0
for label in ("t2", "t3"):
    for i, name in enumerate(names):
        if outputs[label][i].tobytes() != outputs["t1"][i].tobytes():
            print(f"FAIL {label} {name}: not the bytes of threads=1")
            failures += 1
ref, t1 = outputs["ref"], outputs["t1"]
for i in (0, 1, 2, 4, 6):
    if ref[i].tobytes() != t1[i].tobytes():
        print(f"FAIL {names[i]}: not the reference's bytes")
        failures += 1
# Row sums: every finite sum within (ceil(W / lanes) + log2(lanes) + 1) *
# 2^-24 * sum|x| of the exact sum (docs/Codegen.md), non-finite as the
# reference's.
exact = z.astype(np.float64).sum(1)
bound = (np.ceil(67 / 16) + 4 + 1) * 2.0 ** -24 * np.abs(z.astype(np.float64)).sum(1)
finite = np.isfinite(exact)
if not (np.abs(t1[3][finite] - exact[finite]) <= bound[finite]).all() or \
        ref[3][~finite].tobytes() != t1[3][~finite].tobytes():
    print("FAIL row sum: outside its bound")
    failures += 1
err = np.abs(ref[5] - t1[5]).max() / np.abs(ref[5]).max()
if not err <= 1e-5:
    print(f"FAIL matmul: relative difference {err}")
    failures += 1
if failures:
    sys.exit(f"{failures} failure(s)")
print("threads=2 and threads=3 give threads=1's bytes; element-wise, maximum "
      "and outer sums the reference's bytes; row sums within their bound; "
      "matmul within 1e-5")
