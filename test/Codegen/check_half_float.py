#!/usr/bin/python3
"""bf16 and f16 layers (--qnt-quantize weights=bf16|f16) against a NumPy
oracle of their rounding, and their kernels against the reference lowering.

Float models (a matmul, or an NHWC convolution with strides and
dilations, each with a bias and a ReLU after it; for f16 also an NHWC
depthwise convolution) go through `--qnt-quantize=weights=TYPE`. The
oracle rounds the activations and the weights to TYPE (to nearest even:
bf16 from the f32 bits, f16 with NumPy's float16 conversion) and sums the
products (exact in f32) in float32 one reduction index at a time, in the
reference lowering's order (k; for a convolution kh, kw, c), then adds the
bias and applies the ReLU. The reference lowering must equal it bit for
bit, and `--qnt-codegen=CODEGEN-OPTIONS` (the vdpbf16ps or fused
multiply-add kernels for bf16, the widening f32 kernels for f16) must
equal the reference bit for bit: on tails (M = 1, prime K, N = 37, odd
channel counts, F not a multiple of 16), and on edge inputs (+0/-0,
+-Inf, NaN, magnitudes that overflow TYPE, ties; for f16 also values that
become f16 denormals). NaN positions must agree. bf16 products are kept
in f32's normal range (a product below 2^-126 rounds in the reference but
not in a fused multiply-add, and vdpbf16ps treats bf16 denormals as zero:
docs/Codegen.md); every f16 product is a normal f32, so f16 needs no such
care. Deterministic (seeded).

Usage: check_half_float.py BINDIR WORKDIR TYPE [CODEGEN-OPTIONS]
"""
import os
import sys

import numpy as np

from checklib import run

bindir, work, elem = sys.argv[1], sys.argv[2], sys.argv[3]
if elem not in ("bf16", "f16"):
    sys.exit(f"TYPE must be bf16 or f16, not {elem!r}")
codegen = "--qnt-codegen" + (f"={sys.argv[4]}" if len(sys.argv) > 4 and sys.argv[4] else "")
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(16)


def bf16(x):
    """x rounded to bf16 (nearest even), as float32; NaN stays NaN."""
    bits = np.ascontiguousarray(x, np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    out = rounded.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), np.float32("nan"), out).astype(np.float32)


def f16(x):
    """x rounded to f16 (nearest even; overflow to +-Inf, denormals kept), as
    float32."""
    with np.errstate(over="ignore"):
        return np.asarray(x, np.float32).astype(np.float16).astype(np.float32)


ROUND = bf16 if elem == "bf16" else f16


def hexf32(a):
    return "0x" + np.ascontiguousarray(a, np.float32).tobytes().hex().upper()


def epilogue_mlir(rank, shape, n):
    dims = ", ".join(f"d{i}" for i in range(rank))
    par = ", ".join(['"parallel"'] * rank)
    t = "x".join(str(s) for s in shape) + "xf32"
    return f"""  %y = linalg.generic {{indexing_maps = [affine_map<({dims}) -> ({dims})>, affine_map<({dims}) -> (d{rank - 1})>, affine_map<({dims}) -> ({dims})>], iterator_types = [{par}]}}
      ins(%acc, %bias : tensor<{t}>, tensor<{n}xf32>) outs(%init : tensor<{t}>) {{
  ^bb0(%v: f32, %b: f32, %o: f32):
    %s = arith.addf %v, %b : f32
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %s, %z : f32
    linalg.yield %r : f32
  }} -> tensor<{t}>
  return %y : tensor<{t}>
}}
"""


def matmul_case(m, k, n, edge=False):
    a = rng.standard_normal((m, k)).astype(np.float32)
    w = (rng.standard_normal((k, n)) * 0.5).astype(np.float32)
    if edge and elem == "bf16":
        a.flat[0:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 3.0e38]
        w.flat[0:4] = [-0.0, 1e30, -1e30, 1.00390625]  # 1 + 2^-8: a tie, to 1
    elif edge:
        # 65520: halfway between f16's largest 65504 and 65536, to +Inf;
        # 1e-6 and 3e-8: f16 denormals (3e-8 is above half of 2^-24, so it
        # rounds up to it); 1 + 2^-11: a tie, to 1.
        a.flat[0:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 65520.0, 1e-6, 3e-8]
        w.flat[0:6] = [-0.0, 7e4, -1e5, 1.00048828125, 2e-7, -6e-5]
    b = rng.standard_normal(n).astype(np.float32)
    t = f"{m}x{n}xf32"
    src = f"""func.func @main(%a: tensor<{m}x{k}xf32>) -> tensor<{t}> {{
  %w = arith.constant dense<"{hexf32(w)}"> : tensor<{k}x{n}xf32>
  %bias = arith.constant dense<"{hexf32(b)}"> : tensor<{n}xf32>
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<{t}>
  %fill = linalg.fill ins(%zero : f32) outs(%init : tensor<{t}>) -> tensor<{t}>
  %acc = linalg.matmul ins(%a, %w : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) outs(%fill : tensor<{t}>) -> tensor<{t}>
""" + epilogue_mlir(2, (m, n), n)
    ab, wb = ROUND(a), ROUND(w)
    acc = np.zeros((m, n), np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        for kk in range(k):
            acc = (acc + ab[:, kk:kk + 1] * wb[kk:kk + 1, :]).astype(np.float32)
        y = np.maximum((acc + b).astype(np.float32), np.float32(0))
        y = np.where(np.isnan(acc + b), np.float32("nan"), y)
    return f"mm_m{m}_k{k}_n{n}" + ("_edge" if edge else ""), src, a, y


def conv_case(nb, h, w_, c, kh, kw, f, s, d):
    oh = (h - d * (kh - 1) - 1) // s + 1
    ow = (w_ - d * (kw - 1) - 1) // s + 1
    x = rng.standard_normal((nb, h, w_, c)).astype(np.float32)
    wt = (rng.standard_normal((kh, kw, c, f)) * 0.5).astype(np.float32)
    b = rng.standard_normal(f).astype(np.float32)
    t = f"{nb}x{oh}x{ow}x{f}xf32"
    src = f"""func.func @main(%a: tensor<{nb}x{h}x{w_}x{c}xf32>) -> tensor<{t}> {{
  %w = arith.constant dense<"{hexf32(wt)}"> : tensor<{kh}x{kw}x{c}x{f}xf32>
  %bias = arith.constant dense<"{hexf32(b)}"> : tensor<{f}xf32>
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<{t}>
  %fill = linalg.fill ins(%zero : f32) outs(%init : tensor<{t}>) -> tensor<{t}>
  %acc = linalg.conv_2d_nhwc_hwcf {{strides = dense<{s}> : tensor<2xi64>, dilations = dense<{d}> : tensor<2xi64>}}
      ins(%a, %w : tensor<{nb}x{h}x{w_}x{c}xf32>, tensor<{kh}x{kw}x{c}x{f}xf32>) outs(%fill : tensor<{t}>) -> tensor<{t}>
""" + epilogue_mlir(4, (nb, oh, ow, f), f)
    xb, wb = ROUND(x), ROUND(wt)
    acc = np.zeros((nb, oh, ow, f), np.float32)
    for i in range(kh):
        for j in range(kw):
            win = xb[:, i * d:i * d + s * (oh - 1) + 1:s, j * d:j * d + s * (ow - 1) + 1:s, :]
            for ch in range(c):
                acc = (acc + win[..., ch:ch + 1] * wb[i, j, ch][None, None, None, :]).astype(np.float32)
    y = np.maximum((acc + b).astype(np.float32), np.float32(0))
    return f"conv_n{nb}h{h}w{w_}c{c}k{kh}x{kw}f{f}s{s}d{d}", src, x, y


def depthwise_case(nb, h, w_, c, kh, kw, s, d):
    oh = (h - d * (kh - 1) - 1) // s + 1
    ow = (w_ - d * (kw - 1) - 1) // s + 1
    x = rng.standard_normal((nb, h, w_, c)).astype(np.float32)
    wt = (rng.standard_normal((kh, kw, c)) * 0.5).astype(np.float32)
    b = rng.standard_normal(c).astype(np.float32)
    t = f"{nb}x{oh}x{ow}x{c}xf32"
    src = f"""func.func @main(%a: tensor<{nb}x{h}x{w_}x{c}xf32>) -> tensor<{t}> {{
  %w = arith.constant dense<"{hexf32(wt)}"> : tensor<{kh}x{kw}x{c}xf32>
  %bias = arith.constant dense<"{hexf32(b)}"> : tensor<{c}xf32>
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<{t}>
  %fill = linalg.fill ins(%zero : f32) outs(%init : tensor<{t}>) -> tensor<{t}>
  %acc = linalg.depthwise_conv_2d_nhwc_hwc {{strides = dense<{s}> : tensor<2xi64>, dilations = dense<{d}> : tensor<2xi64>}}
      ins(%a, %w : tensor<{nb}x{h}x{w_}x{c}xf32>, tensor<{kh}x{kw}x{c}xf32>) outs(%fill : tensor<{t}>) -> tensor<{t}>
""" + epilogue_mlir(4, (nb, oh, ow, c), c)
    xb, wb = ROUND(x), ROUND(wt)
    acc = np.zeros((nb, oh, ow, c), np.float32)
    for i in range(kh):
        for j in range(kw):
            win = xb[:, i * d:i * d + s * (oh - 1) + 1:s, j * d:j * d + s * (ow - 1) + 1:s, :]
            acc = (acc + win * wb[i, j][None, None, None, :]).astype(np.float32)
    y = np.maximum((acc + b).astype(np.float32), np.float32(0))
    return f"dw_n{nb}h{h}w{w_}c{c}k{kh}x{kw}s{s}d{d}", src, x, y


def same_bits(x, y):
    nan = np.isnan(x)
    if not np.array_equal(nan, np.isnan(y)):
        return False
    return np.array_equal(x[~nan].view(np.uint32), y[~nan].view(np.uint32))


CASES = [matmul_case(1, 7, 5), matmul_case(5, 13, 37), matmul_case(4, 64, 16),
         matmul_case(3, 1, 17), matmul_case(9, 101, 31), matmul_case(6, 9, 20, edge=True),
         conv_case(2, 9, 7, 1, 3, 3, 20, 1, 1), conv_case(1, 8, 11, 3, 3, 2, 16, 2, 1),
         conv_case(2, 6, 5, 4, 1, 1, 33, 1, 1), conv_case(1, 9, 9, 5, 2, 3, 8, 1, 2)]
# From 16 rows on, f16 matmuls widen each column group's weights once into
# an f32 panel: groups of 4 blocks and a block left over (N = 70), and with
# K = 2100 a panel on the heap (more than 512 KiB).
# N = 200: three groups and a block left over, so that at threads=3 every
# thread fills a panel of its own.
CASES += [matmul_case(37, 45, 70), matmul_case(17, 2100, 40), matmul_case(33, 29, 200)]
# K in chunks (a column group of more than 1 MiB): bf16 with an odd K (its
# single last k in the last chunk), f16 through the panel (one chunk per
# panel) and, below 16 rows, f16 streaming with K = 8193 whole; the
# results stay the reference's bit for bit.
CASES += [matmul_case(17, 8193, 40), matmul_case(5, 9001, 20)]
# The f16 kernels also take NHWC depthwise convolutions (bf16 keeps them in
# f32): a channel tail, and 48 channels (three blocks) with stride 2.
if elem == "f16":
    CASES += [depthwise_case(2, 7, 9, 19, 3, 3, 1, 1), depthwise_case(1, 9, 8, 48, 3, 2, 2, 1)]
failures = 0
for name, src, x, oracle in CASES:
    base = os.path.join(work, name)
    with open(base + ".mlir", "w") as fh:
        fh.write(src)
    np.save(base + ".x.npy", x)
    run([f"{bindir}/quant-opt", base + ".mlir", f"--qnt-quantize=weights={elem}", "-o", base + ".q.mlir"])
    run([f"{bindir}/quant-opt", base + ".q.mlir", codegen, "-o", base + ".cg.mlir"])
    # The kernels were used: vdpbf16ps, or the fused multiply-adds of
    # bf16=generic; for f16, weight vectors widened as they load.
    with open(base + ".cg.mlir") as fh:
        lowered = fh.read()
    if elem == "f16":
        marker = "vector<16xf16> to vector<16xf32>"
    elif "bf16=generic" in codegen:
        marker = "llvm.intr.fmuladd"
    else:
        marker = "llvm.x86.avx512bf16.dpbf16ps.512"
    if marker not in lowered:
        failures += 1
        print(f"{name}: no {marker} in the --qnt-codegen output")
    outs = {}
    for tag, module in (("ref", ".q.mlir"), ("cg", ".cg.mlir")):
        run([f"{bindir}/quant-run", base + module, "--entry", "main", "--input", base + ".x.npy",
             "--output-dir", f"{base}.{tag}"])
        outs[tag] = np.load(f"{base}.{tag}/out0.npy")
    ok_ref = same_bits(outs["ref"], oracle)
    ok_cg = same_bits(outs["cg"], outs["ref"])
    failures += (not ok_ref) + (not ok_cg)
    print(f"{name}: reference {f'= NumPy {elem} oracle' if ok_ref else 'DIFFERS from the NumPy oracle'}; "
          f"kernels {'bit-exact' if ok_cg else 'DIFFER from the reference'}")
sys.exit(1 if failures else 0)
