#!/usr/bin/python3
"""The weight-only kernels (qnt-weight-only-matmul) against a numpy oracle
on shapes with tails: M = 1, prime K and N, K not a multiple of the block,
N not a multiple of 16 (or of the 32 columns an i4 unit holds). For each
shape a float matmul with random weights is quantized weight-only
(`--qnt-quantize OPTIONS activations=none`); its dequantized weights are
read back exactly by running the quantized model on the identity; numpy
computes x @ W in float64; the reference lowering and --qnt-codegen (one,
two and three threads) must both agree with it to 1e-5 of the largest
output (the kernel sums a block's products before scaling them, the
reference scales each weight first: float rounding differs), and the
kernel must have been used (qnt-weight-only-matmul leaves a qnt.kernel
and no qnt.dequantize). Deterministic (seeded).

The kernel is qnt-weight-only-matmul's unless a fourth argument names
another pass (--qnt-f32-matmul: f8 and E3M2 weights, folded to f32 at
compile time); that pass alone must leave a qnt.kernel and no
qnt.dequantize.

Usage: check_weight_only.py BINDIR WORKDIR OPTIONS [KERNEL_PASS]
"""
import os
import sys

import numpy as np

from checklib import matmul_model, run

bindir, work, options = sys.argv[1], sys.argv[2], sys.argv[3]
kernel_pass = sys.argv[4] if len(sys.argv) > 4 else "--qnt-weight-only-matmul"
os.makedirs(work, exist_ok=True)
SHAPES = [(1, 97, 53), (5, 131, 37), (7, 64, 48), (33, 200, 100), (4, 32, 16)]
rng = np.random.default_rng(3)


failures = 0
for m, k, n in SHAPES:
    name = f"{m}x{k}x{n}"
    w = (rng.standard_normal((k, n)) * rng.uniform(0.2, 2, n)).astype(np.float32)
    x = rng.standard_normal((m, k)).astype(np.float32)
    model = os.path.join(work, name + ".mlir")
    with open(model, "w") as f:
        f.write(matmul_model(w))
    q = os.path.join(work, name + ".q.mlir")
    run([f"{bindir}/quant-opt", model, f"--qnt-quantize={options} activations=none", "-o", q])
    kernel = run([f"{bindir}/quant-opt", q, kernel_pass]).stdout
    used = "qnt.kernel" in kernel and "qnt.dequantize" not in kernel
    xpath, eye = os.path.join(work, name + ".x.npy"), os.path.join(work, name + ".eye.npy")
    np.save(xpath, x)
    np.save(eye, np.eye(k, dtype=np.float32))
    run([f"{bindir}/quant-run", q, "--entry", "main", "--input", eye, "--output-dir",
         os.path.join(work, name + ".w")])
    wq = np.load(os.path.join(work, name + ".w", "out0.npy")).astype(np.float64)
    oracle = x.astype(np.float64) @ wq
    tol = 1e-5 * np.abs(oracle).max()
    results = {}
    run([f"{bindir}/quant-run", q, "--entry", "main", "--input", xpath, "--output-dir",
         os.path.join(work, name + ".ref")])
    results["reference"] = np.load(os.path.join(work, name + ".ref", "out0.npy"))
    for threads in (1, 2, 3):
        fast = os.path.join(work, f"{name}.t{threads}.mlir")
        run([f"{bindir}/quant-opt", q, f"--qnt-codegen=threads={threads} min-parallel-dots=0", "-o", fast])
        out = os.path.join(work, f"{name}.t{threads}")
        run([f"{bindir}/quant-run", fast, "--entry", "main", "--input", xpath,
             "--output-dir", out])
        results[f"{threads} thread(s)"] = np.load(os.path.join(out, "out0.npy"))
    close = all(np.abs(v.astype(np.float64) - oracle).max() <= tol for v in results.values())
    print(f"{name}: kernel used {used}, reference and kernel within 1e-5 of numpy: {close}")
    if not (used and close):
        failures += 1
        for key, v in results.items():
            print("  ", key, np.abs(v.astype(np.float64) - oracle).max(), "tol", tol)
sys.exit(1 if failures else 0)
