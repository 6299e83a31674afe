#!/usr/bin/python3
"""Bit-exact agreement of --qnt-codegen with the reference --qnt-lower-to-llvm
path on integer matmuls of many shapes: M = 1, M not a multiple of the
4-row tile, K not a multiple of 4 (prime K), N not a multiple of 16 (prime
N), a batch that is not the model's. For each shape: a float matmul with
random weights is quantized (`--qnt-quantize OPTIONS`), run through both
paths with quant-run on the same random input, and the outputs must be
identical bytes. Deterministic (seeded).

Usage: check_codegen.py BINDIR WORKDIR OPTIONS [CODEGEN-OPTIONS]
(CODEGEN-OPTIONS: e.g. "isa=generic lanes=8", passed to --qnt-codegen)
"""
import os
import subprocess
import sys

import numpy as np

bindir, work, options = sys.argv[1], sys.argv[2], sys.argv[3]
codegen = "--qnt-codegen" + (f"={sys.argv[4]}" if len(sys.argv) > 4 else "")
os.makedirs(work, exist_ok=True)
SHAPES = [(1, 7, 5), (3, 13, 17), (5, 64, 16), (4, 3, 33), (9, 101, 31),
          (2, 4, 1), (17, 256, 48), (1, 1024, 64), (6, 97, 160)]
rng = np.random.default_rng(7)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return r


failures = 0
for m, k, n in SHAPES:
    name = f"m{m}_k{k}_n{n}"
    w = rng.standard_normal((k, n)).astype(np.float32)
    x = (rng.standard_normal((m, k)) * 2 + 0.5).astype(np.float32)
    dense = np.array2string(w, separator=", ", threshold=1 << 30, floatmode="unique",
                            max_line_width=1 << 30)
    model = os.path.join(work, f"{name}.mlir")
    with open(model, "w") as f:
        f.write(f"""func.func @main(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x{k}xf32>
  %w = arith.constant dense<{dense}> : tensor<{k}x{n}xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%d) : tensor<?x{n}xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x{k}xf32>, tensor<{k}x{n}xf32>) outs(%c : tensor<?x{n}xf32>) -> tensor<?x{n}xf32> loc("fc")
  return %y : tensor<?x{n}xf32>
}}
""")
    xin = os.path.join(work, f"{name}.x.npy")
    np.save(xin, x)
    q = os.path.join(work, f"{name}.q.mlir")
    fast = os.path.join(work, f"{name}.fast.mlir")
    run([f"{bindir}/quant-opt", model, f"--qnt-quantize={options}", "-o", q])
    r = run([f"{bindir}/quant-opt", q, codegen, "-o", fast])
    if "keeps the reference loops" in r.stderr:
        sys.exit(f"{name}: the VNNI kernel was not used:\n{r.stderr}")
    ref_dir, fast_dir = os.path.join(work, name + ".ref"), os.path.join(work, name + ".fast")
    run([f"{bindir}/quant-run", q, "--entry", "main", "--input", xin, "--output-dir", ref_dir])
    run([f"{bindir}/quant-run", fast, "--entry", "main", "--input", xin, "--output-dir", fast_dir])
    a = np.load(os.path.join(ref_dir, "out0.npy"))
    b = np.load(os.path.join(fast_dir, "out0.npy"))
    same = a.shape == b.shape and a.tobytes() == b.tobytes()
    print(f"{name}: {'bit-exact' if same else 'DIFFERENT'}")
    failures += not same
sys.exit(1 if failures else 0)
