#!/usr/bin/python3
"""Group-wise integer layers (per-block weights with int8 activations,
qnt.contract's block form) against a numpy oracle, and --qnt-codegen bit
for bit against the reference lowering (qnt-block-matmul's kernel, which
must take every layer here).

For each shape (M = 1, prime K and N, K not a multiple of the block, N not
a multiple of 16) a float matmul with random weights is quantized with
`--qnt-quantize=OPTIONS activations=dynamic`. The oracle:
  - the dequantized weights, read back exactly by running the weight-only
    model (`activations=none`, the same weight options) on the identity;
  - the activations quantized and dequantized by a numpy transcription of
    qnt.dynamic_quantize (symmetric: scale = amax / qmax on the narrow
    range; mx: OCP MX's MXINT8, scale 2^(floor(log2 amax) - 6); asymmetric: scale = (max(hi, 0) - min(lo, 0)) / (qmax - qmin),
    zero point qmin - rint(lo / scale); q = clip(rint(x / scale) + z);
    nvfp4: torchao's NVFP4, checklib.nvfp4_quantize), per tensor, per row
    or per row and block (`act-granularity`);
  - y = x_dq @ w_dq in float64, which equals
    sum_g s_x s_w[g] sum_{k in g} (q_x - z_x)(q_w - z_w) exactly.
The reference lowering must agree with it to 1e-5 of the largest output
(it sums the blocks in f32); --qnt-codegen at 1, 2 and 3 threads must give
the reference's bits. Deterministic (seeded).

Usage: check_block_contract.py BINDIR WORKDIR OPTIONS [CODEGEN-OPTIONS]
"""
import os
import re
import sys

import numpy as np

from checklib import matmul_model, nvfp4_quantize, run

bindir, work, options = sys.argv[1], sys.argv[2], sys.argv[3]
codegen = sys.argv[4] if len(sys.argv) > 4 else ""
os.makedirs(work, exist_ok=True)
SHAPES = [(1, 97, 53), (5, 131, 37), (7, 64, 48), (33, 200, 100), (4, 32, 16)]
rng = np.random.default_rng(5)


def option(name, default):
    m = re.search(rf"(?:^| ){name}=(\S+)", options)
    return m.group(1) if m else default


act_storage = option("act-storage", "u8")
act_scheme = option("act-scheme", "asymmetric")
granularity = option("act-granularity", "tensor")
block = int(option("block-size", "32"))
weights_per_block = option("weight-granularity", "channel") == "block"
bits = int(act_storage[1:])
if act_storage[0] == "i":
    qmin, qmax = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
else:
    qmin, qmax = 0, (1 << bits) - 1
if act_scheme in ("symmetric", "mx") and act_storage[0] == "i":
    qmin = -qmax


def quantize_group(x):
    """x (f32, one parameter group) quantized and dequantized, in float64."""
    finite = x[np.isfinite(x)]
    lo = np.float32(finite.min()) if finite.size else np.float32(0)
    hi = np.float32(finite.max()) if finite.size else np.float32(0)
    f32 = np.float32
    if act_scheme == "mx":
        # OCP MX v1.0's MXINT8: X = 2^max(floor(log2 amax), -127) (an
        # all-zero group: -127), elements integers times 2^-6 in
        # [-127/64, 127/64], so the scale is X / 64.
        amax = max(abs(lo), abs(hi))
        e = -127 if amax == 0 else max(int(np.frexp(np.float64(amax))[1]) - 1, -127)
        scale = f32(2.0 ** (e - 6))
        zp = f32(0)
    elif act_scheme == "symmetric":
        amax = max(abs(lo), abs(hi))
        raw = f32(amax) / f32((qmax - qmin) / 2)
        scale = f32(1) if amax == 0 else max(raw, f32(np.finfo(np.float32).tiny))
        zp = f32(0) if act_storage[0] == "i" else f32((qmin + qmax + 1) // 2)
    else:
        lo, hi = min(lo, f32(0)), max(hi, f32(0))
        raw = f32(hi - lo) / f32(qmax - qmin)
        scale = f32(1) if hi == lo else max(raw, f32(np.finfo(np.float32).tiny))
        zp = np.clip(f32(qmin) - np.rint(f32(lo) / scale), qmin, qmax)
    with np.errstate(invalid="ignore"):
        q = np.clip(np.rint(x / scale) + zp, qmin, qmax)
    q = np.where(np.isnan(x), zp, q)  # NaN quantizes to the zero point
    return (q.astype(np.float64) - float(zp)) * float(scale)


def quantize_activation(x):
    out = np.empty(x.shape, np.float64)
    if act_scheme == "nvfp4":
        # NVFP4 (checklib.nvfp4_quantize): E2M1 values doubled, scales
        # halved, under the tensor scale of the whole activation.
        q, scales, _ = nvfp4_quantize(x, block)
        return q.astype(np.float64) * np.repeat(scales.astype(np.float64), block, 1)[:, :x.shape[1]]
    if granularity == "tensor":
        return quantize_group(x)
    step = block if granularity == "block" and weights_per_block else x.shape[1]
    for r in range(x.shape[0]):
        for k0 in range(0, x.shape[1], step):
            out[r, k0:k0 + step] = quantize_group(x[r, k0:k0 + step])
    return out


failures = 0
for m, k, n in SHAPES:
    name = f"{m}x{k}x{n}"
    w = (rng.standard_normal((k, n)) * rng.uniform(0.2, 2, n)).astype(np.float32)
    # Rows and blocks of different magnitudes, so that per-block scales
    # matter.
    x = (rng.standard_normal((m, k)) * rng.uniform(0.1, 3, (m, k // 8 + 1)).repeat(8, 1)[:, :k]).astype(np.float32)
    if m >= 5:
        # Non-finite elements: skipped by the ranges, saturated (+-inf) or
        # quantized to the zero point (NaN); a row of infinities has no
        # finite range in any block (scale 1).
        x[0, 3], x[1, k - 1], x[2, 0] = np.inf, -np.inf, np.nan
        x[4, :] = np.inf
    model = os.path.join(work, name + ".mlir")
    with open(model, "w") as f:
        f.write(matmul_model(w))
    q = os.path.join(work, name + ".q.mlir")
    wo = os.path.join(work, name + ".wo.mlir")
    run([f"{bindir}/quant-opt", model, f"--qnt-quantize={options} activations=dynamic", "-o", q])
    run([f"{bindir}/quant-opt", model, f"--qnt-quantize={options} activations=none", "-o", wo])
    integer = "qnt.contract" in open(q).read()
    # The group-wise kernel takes the layer (no contraction left, no
    # remark).
    lanes = re.search(r"lanes=(\d+)", codegen)
    taken = run([f"{bindir}/quant-opt", q,
                 f"--qnt-block-matmul=lanes={lanes.group(1) if lanes else 16}"])
    kernel = "qnt.contract" not in taken.stdout and "qnt.kernel" in taken.stdout \
        and "remark" not in taken.stderr
    xpath, eye = os.path.join(work, name + ".x.npy"), os.path.join(work, name + ".eye.npy")
    np.save(xpath, x)
    np.save(eye, np.eye(k, dtype=np.float32))
    run([f"{bindir}/quant-run", wo, "--entry", "main", "--input", eye, "--output-dir",
         os.path.join(work, name + ".w")])
    wq = np.load(os.path.join(work, name + ".w", "out0.npy")).astype(np.float64)
    oracle = quantize_activation(x) @ wq
    tol = 1e-5 * np.abs(oracle).max()
    run([f"{bindir}/quant-run", q, "--entry", "main", "--input", xpath, "--output-dir",
         os.path.join(work, name + ".ref")])
    ref = np.load(os.path.join(work, name + ".ref", "out0.npy"))
    close = bool(np.abs(ref - oracle).max() <= tol)
    exact = True
    for threads in (1, 2, 3):
        fast = os.path.join(work, f"{name}.t{threads}.mlir")
        run([f"{bindir}/quant-opt", q, f"--qnt-codegen=threads={threads} {codegen}".strip(), "-o", fast])
        out = os.path.join(work, f"{name}.t{threads}")
        run([f"{bindir}/quant-run", fast, "--entry", "main", "--input", xpath,
             "--output-dir", out])
        got = np.load(os.path.join(out, "out0.npy"))
        exact = exact and got.tobytes() == ref.tobytes()
    ok = integer and kernel and close and exact
    failures += not ok
    print(f"{name}: integer layer {integer}, kernel {kernel}, reference within 1e-5 of numpy: {close}, "
          f"--qnt-codegen bit-exact at 1-3 threads: {exact}")
sys.exit(1 if failures else 0)
