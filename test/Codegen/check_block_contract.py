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

With --conv, the layers are NHWC convolutions (HWCF weights per block of
their input channels; FHWC with --conv-fhwc) instead, which --qnt-quantize turns into the block
form on their im2col matrix; their dequantized weights are read back by
running the weight-only model on one-hot images, and the oracle is the
convolution of the dequantized operands in float64.

Usage: check_block_contract.py BINDIR WORKDIR OPTIONS [CODEGEN-OPTIONS] [--conv | --conv-fhwc]
"""
import os
import re
import sys

import numpy as np

from checklib import dense, matmul_model, nvfp4_quantize, run

conv_mode = "--conv" in sys.argv or "--conv-fhwc" in sys.argv
fhwc = "--conv-fhwc" in sys.argv
args = [a for a in sys.argv if a not in ("--conv", "--conv-fhwc")]
bindir, work, options = args[1], args[2], args[3]
codegen = args[4] if len(args) > 4 else ""
os.makedirs(work, exist_ok=True)
SHAPES = [(1, 97, 53), (5, 131, 37), (7, 64, 48), (33, 200, 100), (4, 32, 16)]
CONV_SHAPES = [(2, 10, 9, 128, 3, 3, 24, (1, 2), (1, 1)),
               (3, 6, 5, 128, 2, 2, 16, (1, 1), (1, 1)),
               (1, 7, 7, 192, 1, 1, 17, (1, 1), (1, 1)),
               (2, 12, 10, 128, 3, 2, 5, (2, 1), (2, 3))]
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
    if x.ndim > 2:
        # Rows of the last dimension (a convolution's pixels).
        return quantize_activation(x.reshape(-1, x.shape[-1])).reshape(x.shape)
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


def check(name, model_text, x, weights_of, oracle_of):
    """Quantizes the float model `model_text`; checks that the layer is
    integer and that the kernel takes it, the reference lowering against
    oracle_of(x_dq, w_dq) (w_dq read back by weights_of(weight-only
    module)), and --qnt-codegen at 1-3 threads against the reference."""
    model = os.path.join(work, name + ".mlir")
    with open(model, "w") as f:
        f.write(model_text)
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
    xpath = os.path.join(work, name + ".x.npy")
    np.save(xpath, x)
    oracle = oracle_of(quantize_activation(x), weights_of(wo))
    tol = 1e-5 * np.abs(oracle).max()
    run([f"{bindir}/quant-run", q, "--entry", "main", "--input", xpath, "--output-dir",
         os.path.join(work, name + ".ref")])
    ref = np.load(os.path.join(work, name + ".ref", "out0.npy"))
    close = bool(np.abs(ref - oracle).max() <= tol)
    if not close:
        bad = np.unravel_index(np.argmax(np.abs(ref - oracle)), ref.shape)
        print("  largest difference at", bad, ref[bad], oracle[bad])
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
    print(f"{name}: integer layer {integer}, kernel {kernel}, reference within 1e-5 of numpy: {close}, "
          f"--qnt-codegen bit-exact at 1-3 threads: {exact}")
    return ok


def read_matmul_weights(k):
    """The dequantized [K][N] weights of a weight-only matmul module: its
    output on the identity."""
    def read(wo):
        eye = os.path.join(work, f"eye{k}.npy")
        np.save(eye, np.eye(k, dtype=np.float32))
        out = wo + ".w"
        run([f"{bindir}/quant-run", wo, "--entry", "main", "--input", eye, "--output-dir", out])
        return np.load(os.path.join(out, "out0.npy")).astype(np.float64)
    return read


def conv_model(w, h, wd, strides, dilations):
    """@main(x: ?xHxWxC f32) = conv_2d_nhwc_hwcf(x, w) from zeros, or
    conv_2d_nhwc_fhwc(x, w transposed to [F][KH][KW][C]) with --conv-fhwc."""
    kh, kw, c, f = w.shape
    op, wshape = "conv_2d_nhwc_hwcf", f"{kh}x{kw}x{c}x{f}"
    if fhwc:
        w = np.ascontiguousarray(w.transpose(3, 0, 1, 2))
        op, wshape = "conv_2d_nhwc_fhwc", f"{f}x{kh}x{kw}x{c}"
    oh = (h - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (wd - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    xt, yt = f"tensor<?x{h}x{wd}x{c}xf32>", f"tensor<?x{oh}x{ow}x{f}xf32>"
    return f"""func.func @main(%x: {xt}) -> {yt} {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : {xt}
  %w = arith.constant {dense(w)} : tensor<{wshape}xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : {yt}
  %z = linalg.fill ins(%zero : f32) outs(%e : {yt}) -> {yt}
  %y = linalg.{op} {{dilations = dense<[{dilations[0]}, {dilations[1]}]> : tensor<2xi64>, strides = dense<[{strides[0]}, {strides[1]}]> : tensor<2xi64>}} ins(%x, %w : {xt}, tensor<{wshape}xf32>) outs(%z : {yt}) -> {yt}
  return %y : {yt}
}}
"""


def read_conv_weights(shape, h, wd, dilations):
    """The dequantized [KH][KW][C][F] weights of a weight-only convolution
    module: its output at pixel (0, 0) on one-hot images, one per (kh, kw,
    c), the one at the pixel tap (kh, kw) reads (1 * w plus zeros is exact
    in f32)."""
    kh, kw, c, f = shape
    def read(wo):
        x = np.zeros((kh * kw * c, h, wd, c), np.float32)
        for i, (a, b, ch) in enumerate(np.ndindex(kh, kw, c)):
            x[i, a * dilations[0], b * dilations[1], ch] = 1.0
        path = wo + ".onehot.npy"
        np.save(path, x)
        out = wo + ".w"
        run([f"{bindir}/quant-run", wo, "--entry", "main", "--input", path, "--output-dir", out])
        y = np.load(os.path.join(out, "out0.npy"))
        return y[:, 0, 0, :].reshape(kh, kw, c, f).astype(np.float64)
    return read


def conv_oracle(strides, dilations, oh, ow):
    """conv_2d_nhwc_hwcf of float64 arrays, as im2col rows times the
    [KH KW C][F] weight."""
    def conv(x, w):
        kh, kw, c, f = w.shape
        cols = np.empty((x.shape[0], oh, ow, kh, kw, c))
        for a in range(kh):
            for b in range(kw):
                r0, c0 = a * dilations[0], b * dilations[1]
                cols[:, :, :, a, b, :] = x[:, r0:r0 + strides[0] * (oh - 1) + 1:strides[0],
                                           c0:c0 + strides[1] * (ow - 1) + 1:strides[1], :]
        return (cols.reshape(-1, kh * kw * c) @ w.reshape(-1, f)).reshape(x.shape[0], oh, ow, f)
    return conv


failures = 0
if conv_mode:
    # (N, H, W, C, KH, KW, F, strides, dilations): 3x3, 2x2 and 1x1
    # convolutions, strides and dilations, F not a multiple of 16; C of 128
    # (the least the quantizer takes with blocks below 32) and 192, divided
    # by the block size or (block-size=256) one block shorter than the
    # weights'.
    for n, h, wd, c, kh, kw, f, st, dl in CONV_SHAPES:
        oh = (h - dl[0] * (kh - 1) - 1) // st[0] + 1
        ow = (wd - dl[1] * (kw - 1) - 1) // st[1] + 1
        name = f"conv{n}x{h}x{wd}x{c}_{kh}x{kw}x{f}_s{st[0]}{st[1]}_d{dl[0]}{dl[1]}"
        w = (rng.standard_normal((kh, kw, c, f)) * rng.uniform(0.2, 2, f)).astype(np.float32)
        x = (rng.standard_normal((n, h, wd, c)) *
             rng.uniform(0.1, 3, (n, h, wd, 1))).astype(np.float32)
        x[0, 0, 0, 1] = np.nan
        x[0, 1, 1, :] = np.inf
        ok = check(name, conv_model(w, h, wd, st, dl), x, read_conv_weights(w.shape, h, wd, dl),
                   lambda xdq, wdq, o=conv_oracle(st, dl, oh, ow): o(xdq, wdq))
        failures += not ok
else:
    for m, k, n in SHAPES:
        name = f"{m}x{k}x{n}"
        w = (rng.standard_normal((k, n)) * rng.uniform(0.2, 2, n)).astype(np.float32)
        # Rows and blocks of different magnitudes, so that per-block scales
        # matter.
        x = (rng.standard_normal((m, k)) * rng.uniform(0.1, 3, (m, k // 8 + 1)).repeat(8, 1)[:, :k]).astype(np.float32)
        if m >= 5:
            # Non-finite elements: skipped by the ranges, saturated (+-inf)
            # or quantized to the zero point (NaN); a row of infinities has
            # no finite range in any block (scale 1).
            x[0, 3], x[1, k - 1], x[2, 0] = np.inf, -np.inf, np.nan
            x[4, :] = np.inf
        failures += not check(name, matmul_model(w), x, read_matmul_weights(k),
                              lambda xdq, wdq: xdq @ wdq)
sys.exit(1 if failures else 0)
