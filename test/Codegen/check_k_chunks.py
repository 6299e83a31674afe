#!/usr/bin/python3
"""K in chunks (KChunks, docs/Codegen.md): a matmul whose column group of
weights exceeds 512 KiB (f32: K > 2048) is computed chunk by chunk of K, the
partial sums stored between chunks. Checks, on shapes with tails (row tiles
and single rows, a column group and a leftover block, N not a multiple of
16, chunks that do not divide K):

- f32 (qnt-f32-matmul, with a bias and ReLU fused into the last chunk's
  stores): within 2^-19 of sum_k |x w| (+ |b|) of a float64 numpy oracle at
  1, 2 and 3 threads, the three results identical (each output's
  multiply-adds keep their order however the work is shared);
- weight-only (qnt-weight-only-matmul, its panel holding one chunk; i8 per
  channel, i4 per block of 32 with zero points): against the reference
  lowering of the same quantized module with the same bound, at 1, 2 and 3
  threads, identical across thread counts;
- the kernels were chunked: the kernel allocates its f32 partial sums
  [M][padded N]; at the bound, f32 K = 2048 (512 KiB) is not, K = 2049 is.

Deterministic (seeded). Usage: check_k_chunks.py BINDIR WORKDIR
"""
import os
import sys

import numpy as np

from checklib import dense, run

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(11)


def model(w, b):
    k, n = w.shape
    return f"""#map = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @main(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x{k}xf32>
  %w = arith.constant {dense(w)} : tensor<{k}x{n}xf32>
  %b = arith.constant {dense(b)} : tensor<{n}xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%m) : tensor<?x{n}xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x{k}xf32>, tensor<{k}x{n}xf32>) outs(%z : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  %r = linalg.generic {{indexing_maps = [#map, #bias, #map], iterator_types = ["parallel", "parallel"]}} ins(%y, %b : tensor<?x{n}xf32>, tensor<{n}xf32>) outs(%e : tensor<?x{n}xf32>) {{
  ^bb0(%v: f32, %c: f32, %o: f32):
    %s = arith.addf %v, %c : f32
    %t = arith.maximumf %s, %zero : f32
    linalg.yield %t : f32
  }} -> tensor<?x{n}xf32>
  return %r : tensor<?x{n}xf32>
}}
"""


def run_model(path, x, name):
    xpath = os.path.join(work, name + ".x.npy")
    np.save(xpath, x)
    out = os.path.join(work, name + ".out")
    run([f"{bindir}/quant-run", path, "--entry", "main", "--input", xpath, "--output-dir", out])
    return np.load(os.path.join(out, "out0.npy"))


def kernels(src, name, x, npad, passname):
    """The module `src` through --qnt-codegen at 1, 2 and 3 threads: the
    results, and whether the kernel pass allocated chunk partial sums."""
    ir = run([f"{bindir}/quant-opt", src, f"--{passname}=threads=2"]).stdout
    chunked = f"memref<?x{npad}xf32>" in ir
    results = []
    for threads in (1, 2, 3):
        fast = os.path.join(work, f"{name}.t{threads}.mlir")
        run([f"{bindir}/quant-opt", src, f"--qnt-codegen=threads={threads} min-parallel-dots=0", "-o", fast])
        results.append(run_model(fast, x, f"{name}.t{threads}"))
    return results, chunked


def report(name, chunked, results, expected, bound, want_chunked=True):
    err = max(float(np.max(np.abs(r.astype(np.float64) - expected) - bound)) for r in results)
    close = err <= 0
    same = all(np.array_equal(results[0].view(np.uint32), r.view(np.uint32)) for r in results[1:])
    print(f"{name}: chunked {chunked}, within the bound {close}, identical across threads {same}")
    return chunked == want_chunked and close and same


failures = 0
for m, k, n, want in [(37, 11008, 70, True), (3, 9001, 20, True),
                      (6, 2049, 33, True), (6, 2048, 33, False)]:
    name = f"f32_{m}x{k}x{n}"
    w = rng.standard_normal((k, n)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    x = rng.standard_normal((m, k)).astype(np.float32)
    src = os.path.join(work, name + ".mlir")
    with open(src, "w") as fh:
        fh.write(model(w, b))
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    oracle = np.maximum(x64 @ w64 + b, 0)
    bound = 2.0 ** -19 * (np.abs(x64) @ np.abs(w64) + np.abs(b))
    results, chunked = kernels(src, name, x, -(-n // 16) * 16, "qnt-f32-matmul")
    failures += not report(name, chunked, results, oracle, bound, want)

# Columns per unit: 16 for i8, 32 for i4 (two column blocks per byte).
for options, tag, unit in [("weights=i8", "i8", 16),
                           ("weights=i4 weight-scheme=asymmetric weight-granularity=block block-size=32",
                            "i4g32", 32)]:
    m, k, n = 37, 11008, 70
    name = f"wo_{tag}_{m}x{k}x{n}"
    w = (rng.standard_normal((k, n)) * rng.uniform(0.2, 2, n)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    x = rng.standard_normal((m, k)).astype(np.float32)
    src = os.path.join(work, name + ".mlir")
    with open(src, "w") as fh:
        fh.write(model(w, b))
    q = os.path.join(work, name + ".q.mlir")
    run([f"{bindir}/quant-opt", src, f"--qnt-quantize={options} activations=none", "-o", q])
    reference = run_model(q, x, name + ".ref").astype(np.float64)
    # The reference's |x| @ |w| bound, with |w| <= 2 max |w| (the
    # dequantized weights stay within a step of the float ones).
    bound = 2.0 ** -19 * (np.abs(x.astype(np.float64)) @ (2 * np.abs(w.astype(np.float64))) + np.abs(b))
    results, chunked = kernels(q, name, x, -(-n // unit) * unit, "qnt-weight-only-matmul")
    failures += not report(name, chunked, results, reference, bound)
sys.exit(1 if failures else 0)
