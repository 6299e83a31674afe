#!/usr/bin/python3
"""The f32 batched matmul of two activations (qnt-f32-matmul's batch_matmul
kernel: attention's q k^T and p v) against numpy in float64, on shapes with
tails (M = 1 and M not a multiple of the 4-row tile, prime K, N not a
multiple of 16, a dynamic batch), at one, two and three threads (batches
across threads) and through the reference lowering: every output within
1e-5 of the largest (the kernel fuses multiply and add), and the kernel was
used (qnt-f32-matmul leaves a qnt.kernel and no linalg.batch_matmul).
Deterministic (seeded).

Usage: check_batch_matmul.py BINDIR WORKDIR
"""
import os
import subprocess
import sys

import numpy as np

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
SHAPES = [(3, 1, 7, 20), (2, 5, 13, 53), (5, 33, 64, 32), (1, 4, 1, 16)]
rng = np.random.default_rng(4)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return r


failures = 0
for bt, m, k, n in SHAPES:
    name = f"{bt}x{m}x{k}x{n}"
    a = rng.standard_normal((bt, m, k)).astype(np.float32)
    b = rng.standard_normal((bt, k, n)).astype(np.float32)
    c = rng.standard_normal((bt, m, n)).astype(np.float32)
    model = os.path.join(work, name + ".mlir")
    with open(model, "w") as f:
        f.write(f"""func.func @main(%a: tensor<?x{m}x{k}xf32>, %b: tensor<?x{k}x{n}xf32>, %c: tensor<?x{m}x{n}xf32>) -> tensor<?x{m}x{n}xf32> {{
  %y = linalg.batch_matmul ins(%a, %b : tensor<?x{m}x{k}xf32>, tensor<?x{k}x{n}xf32>) outs(%c : tensor<?x{m}x{n}xf32>) -> tensor<?x{m}x{n}xf32>
  return %y : tensor<?x{m}x{n}xf32>
}}
""")
    paths = []
    for label, v in (("a", a), ("b", b), ("c", c)):
        paths += ["--input", os.path.join(work, f"{name}.{label}.npy")]
        np.save(paths[-1], v)
    kernel = run([f"{bindir}/quant-opt", model, "--qnt-f32-matmul"]).stdout
    used = "qnt.kernel" in kernel and "linalg.batch_matmul" not in kernel
    oracle = np.matmul(a.astype(np.float64), b.astype(np.float64)) + c
    tol = 1e-5 * np.abs(oracle).max()
    results = {}
    run([f"{bindir}/quant-run", model, "--entry", "main", *paths, "--output-dir",
         os.path.join(work, name + ".ref")])
    results["reference"] = np.load(os.path.join(work, name + ".ref", "out0.npy"))
    for threads in (1, 2, 3):
        fast = os.path.join(work, f"{name}.t{threads}.mlir")
        run([f"{bindir}/quant-opt", model, f"--qnt-codegen=threads={threads}", "-o", fast])
        out = os.path.join(work, f"{name}.t{threads}")
        run([f"{bindir}/quant-run", fast, "--entry", "main", *paths, "--output-dir", out])
        results[threads] = np.load(os.path.join(out, "out0.npy"))
    close = all(np.abs(v - oracle).max() <= tol for v in results.values())
    print(f"{name}: kernel used {used}, reference and kernel within 1e-5 of numpy: {close}")
    failures += not (used and close)
sys.exit(1 if failures else 0)
