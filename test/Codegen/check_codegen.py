#!/usr/bin/python3
"""Bit-exact agreement of --qnt-codegen with the reference --qnt-lower-to-llvm
path on integer matmuls of many shapes: M = 1, M not a multiple of the
4-row tile, K not a multiple of 4 (prime K), N not a multiple of 16 (prime
N), a batch that is not the model's. For each shape: a float matmul with
random weights is quantized (`--qnt-quantize OPTIONS`), run through both
paths with quant-run on the same random input, and the outputs must be
identical bytes. Deterministic (seeded).

With --ksplit the shapes are one-row matmuls large enough for
qnt-vnni-matmul to split K among the threads (N <= 64: one tile; prime K
with a tail, N with a tail: 24593 x 61 is 24592 dots of 64 bytes, 3 shares
of at least 8192 at threads=3, 2 at threads=2; 24593 x 37 is 3 column
blocks, 2 shares), and each module also runs on 3 rows (the tiles without
the split, in the same kernel).

With --chain the model is two layers, `relu(x @ w1 + b1) @ w2 + b2`, and a
stats file with the float ranges of both layer inputs is written for
OPTIONS to use as {stats}: with activations=static the layers chain in
integers (qnt.requantize between them), which the kernels fuse into their
epilogues.

Usage: check_codegen.py BINDIR WORKDIR OPTIONS [CODEGEN-OPTIONS] [--chain]
                        [--ksplit]
(CODEGEN-OPTIONS: e.g. "isa=generic lanes=8", passed to --qnt-codegen)
"""
import json
import os
import sys

import numpy as np

from checklib import dense, matmul_model, run

args = [a for a in sys.argv[1:] if a not in ("--chain", "--ksplit")]
chain = "--chain" in sys.argv
ksplit = "--ksplit" in sys.argv
bindir, work, options = args[0], args[1], args[2]
codegen = "--qnt-codegen" + (f"={args[3]}" if len(args) > 3 else "")
os.makedirs(work, exist_ok=True)
# From 16 rows on, where the CPU has AMX-INT8, the AMX tiles run (two row
# blocks with a tail: 40; a K and an N tail: 101, 37).
SHAPES = [(1, 7, 5), (3, 13, 17), (5, 64, 16), (4, 3, 33), (9, 101, 31),
          (2, 4, 1), (17, 256, 48), (1, 1024, 64), (6, 97, 160), (40, 101, 37)]
if ksplit:
    SHAPES = [(1, 24593, 61), (1, 24593, 37)]
rng = np.random.default_rng(7)


failures = 0
for m, k, n in SHAPES:
    name = f"m{m}_k{k}_n{n}"
    w = rng.standard_normal((k, n)).astype(np.float32)
    x = (rng.standard_normal((m, k)) * 2 + 0.5).astype(np.float32)
    model = os.path.join(work, f"{name}.mlir")
    layer_options = options
    if not chain:
        text = matmul_model(w, loc="fc")
    else:
        o = 11  # outputs of the second layer
        b1 = rng.standard_normal(n).astype(np.float32)
        w2 = rng.standard_normal((n, o)).astype(np.float32)
        b2 = rng.standard_normal(o).astype(np.float32)
        h = np.maximum(x @ w + b1, 0)
        stats = os.path.join(work, f"{name}.stats.json")
        with open(stats, "w") as f:
            json.dump({"version": 1, "activations": {
                "fc1": {"min": float(x.min()), "max": float(x.max())},
                "fc2": {"min": float(h.min()), "max": float(h.max())}}}, f)
        layer_options = options.replace("{stats}", stats)
        text = f"""#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @main(%x: tensor<?x{k}xf32>) -> tensor<?x{o}xf32> {{
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x{k}xf32>
  %w1 = arith.constant {dense(w)} : tensor<{k}x{n}xf32>
  %b1 = arith.constant {dense(b1)} : tensor<{n}xf32>
  %w2 = arith.constant {dense(w2)} : tensor<{n}x{o}xf32>
  %b2 = arith.constant {dense(b2)} : tensor<{o}xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty(%d) : tensor<?x{n}xf32>
  %c1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  %y1 = linalg.matmul ins(%x, %w1 : tensor<?x{k}xf32>, tensor<{k}x{n}xf32>) outs(%c1 : tensor<?x{n}xf32>) -> tensor<?x{n}xf32> loc("fc1")
  %h = linalg.generic {{indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}} ins(%y1, %b1 : tensor<?x{n}xf32>, tensor<{n}xf32>) outs(%e1 : tensor<?x{n}xf32>) {{
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }} -> tensor<?x{n}xf32>
  %e2 = tensor.empty(%d) : tensor<?x{o}xf32>
  %c2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x{o}xf32>) -> tensor<?x{o}xf32>
  %y2 = linalg.matmul ins(%h, %w2 : tensor<?x{n}xf32>, tensor<{n}x{o}xf32>) outs(%c2 : tensor<?x{o}xf32>) -> tensor<?x{o}xf32> loc("fc2")
  %z = linalg.generic {{indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}} ins(%y2, %b2 : tensor<?x{o}xf32>, tensor<{o}xf32>) outs(%e2 : tensor<?x{o}xf32>) {{
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }} -> tensor<?x{o}xf32>
  return %z : tensor<?x{o}xf32>
}}
"""
    with open(model, "w") as f:
        f.write(text)
    xin = os.path.join(work, f"{name}.x.npy")
    np.save(xin, x)
    q = os.path.join(work, f"{name}.q.mlir")
    fast = os.path.join(work, f"{name}.fast.mlir")
    run([f"{bindir}/quant-opt", model, f"--qnt-quantize={layer_options}", "-o", q])
    r = run([f"{bindir}/quant-opt", q, codegen, "-o", fast])
    if "keeps the reference loops" in r.stderr:
        sys.exit(f"{name}: the VNNI kernel was not used:\n{r.stderr}")
    inputs = [(name, xin)]
    if ksplit:
        x3 = (rng.standard_normal((3, k)) * 2 + 0.5).astype(np.float32)
        inputs.append((f"{name}_rows3", os.path.join(work, f"{name}.x3.npy")))
        np.save(inputs[-1][1], x3)
    for label, xfile in inputs:
        ref_dir = os.path.join(work, label + ".ref")
        fast_dir = os.path.join(work, label + ".fast")
        run([f"{bindir}/quant-run", q, "--entry", "main", "--input", xfile, "--output-dir", ref_dir])
        run([f"{bindir}/quant-run", fast, "--entry", "main", "--input", xfile, "--output-dir", fast_dir])
        a = np.load(os.path.join(ref_dir, "out0.npy"))
        b = np.load(os.path.join(fast_dir, "out0.npy"))
        same = a.shape == b.shape and a.tobytes() == b.tobytes()
        print(f"{label}: {'bit-exact' if same else 'DIFFERENT'}")
        failures += not same
sys.exit(1 if failures else 0)
