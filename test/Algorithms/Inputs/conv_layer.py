"""For mixed-precision-conv.test and calibration-auto-conv checks: one
strided NHWC convolution "conv" (x [?, 9, 9, 16], w [3, 3, 16, 8] HWCF,
stride 2, dilation 1), which the Hessian of mixed precision does not cover,
so it is measured on samples of its input.

`make DIR` writes DIR/conv.mlir, DIR/x.npy (48 calibration images with
channels of unequal scales and a positive mean), DIR/held.npy (48 other
images of the same distribution) and DIR/probe.npy (144 one-hot images, one
per weight position (kh, kw, c) in the first window: the weight-only model
run on them returns its dequantized weights exactly at output (0, 0)).
`check DIR BUDGET` reads DIR/mp.json (mp-report) and DIR/q.out/out0.npy
(the chosen weights, from probe.npy) and prints whether the SQNR the report
gives for the choice equals numpy's on the calibration images (the
convolution written here with explicit windows), and whether on the
held-out images (DIR/held.q/out0.npy against DIR/held.f/out0.npy) the layer
stays within 1 dB of the budget or above it.
`gptq DIR GROUP` checks GPTQ on the convolution (check_gptq)."""
import json
import os
import sys

import numpy as np


def data():
    rng = np.random.default_rng(5)
    scales = rng.uniform(0.3, 3, size=16).astype(np.float32)
    x = (rng.normal(size=(96, 9, 9, 16)) * scales + 0.3).astype(np.float32)
    w = rng.normal(size=(3, 3, 16, 8)).astype(np.float32)
    return x[:48], x[48:], w


def conv(x, w):
    """y[n, i, j, f] = sum over kh, kw, c of x[n, 2i + kh, 2j + kw, c] w[kh, kw, c, f]."""
    n = x.shape[0]
    y = np.zeros((n, 4, 4, 8), np.float64)
    for i in range(4):
        for j in range(4):
            patch = x[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3, :].astype(np.float64)
            y[:, i, j, :] = np.einsum("nhwc,hwcf->nf", patch, w.astype(np.float64))
    return y


def sqnr(ref, y):
    return 10 * np.log10(np.sum(ref ** 2) / np.sum((ref - y) ** 2))


def make(out):
    x, held, w = data()
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "held.npy"), held)
    probe = np.zeros((144, 9, 9, 16), np.float32)
    for k in range(144):
        kh, kw, c = k // 48, (k // 16) % 3, k % 16
        probe[k, kh, kw, c] = 1
    np.save(os.path.join(out, "probe.npy"), probe)
    dense = np.array2string(w, separator=", ", threshold=1 << 20,
                            floatmode="unique", max_line_width=1 << 20)
    with open(os.path.join(out, "conv.mlir"), "w") as f:
        f.write(f"""func.func @main(%x: tensor<?x9x9x16xf32>) -> tensor<?x4x4x8xf32> {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x9x9x16xf32>
  %w = arith.constant dense<{dense}> : tensor<3x3x16x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x4x4x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4x4x8xf32>) -> tensor<?x4x4x8xf32>
  %y = linalg.conv_2d_nhwc_hwcf {{dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}}
         ins(%x, %w : tensor<?x9x9x16xf32>, tensor<3x3x16x8xf32>) outs(%z : tensor<?x4x4x8xf32>) -> tensor<?x4x4x8xf32> loc("conv")
  return %y : tensor<?x4x4x8xf32>
}}
""")


def check(out, budget):
    x, _, w = data()
    report = json.load(open(os.path.join(out, "mp.json")))["layers"]["conv"]
    choice = report["choice"]
    reported = [c["sqnr_db"] for c in report["candidates"] if c["name"] == choice][0]
    probed = np.load(os.path.join(out, "q.out", "out0.npy"))[:, 0, 0, :]
    wq = probed.reshape(3, 3, 16, 8)
    ref = conv(x, w)
    ours = sqnr(ref, conv(x, wq)) if reported is not None else float("inf")
    same = reported is None or abs(ours - reported) < 0.01
    held_f = np.load(os.path.join(out, "held.f", "out0.npy")).astype(np.float64)
    held_q = np.load(os.path.join(out, "held.q", "out0.npy")).astype(np.float64)
    held = sqnr(held_f, held_q) if np.any(held_f != held_q) else float("inf")
    print(f"choice {choice} sqnr matches numpy: {same} "
          f"held-out within 1 dB of the budget: {held >= budget - 1}")


def windows(x):
    """The input windows of the convolution, one row per output position,
    columns (kh, kw, c) row-major: the order of the weight's reduced axes."""
    rows = []
    for i in range(4):
        for j in range(4):
            rows.append(x[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3, :].reshape(x.shape[0], -1))
    return np.concatenate(rows).astype(np.float64)


def check_gptq(out, group):
    """GPTQ on the convolution: H = P^T P over the input windows P of the
    48 calibration images, the weight as [F, kh*kw*c], through the
    python3-torch transcription of the published algorithm
    (unittests/Algorithms/gen_gptq_cases.py) with QuantOpt's i4 asymmetric
    quantizer; against the weights the model returns for the probes. Then
    the output errors of GPTQ and round to nearest on the calibration
    images (DIR/gptq.calib, DIR/rtn.calib), the error GPTQ minimises (on
    this layer's independent Gaussian inputs it does not generalise: 768
    windows for a 144 x 144 Hessian; the example CNN's test shows held-out
    gains)."""
    import torch
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "..", "..", "unittests", "Algorithms"))
    from gen_gptq_cases import Quantizer, fasterquant
    x, _, w = data()
    p = windows(x)
    h = p.T @ p
    wm = w.reshape(-1, 8).T.astype(np.float64)  # [F, kh*kw*c]
    q, _, _, _, _, _ = fasterquant(torch.from_numpy(wm), torch.from_numpy(h),
                                   Quantizer("i4", "asymmetric", "full"), 128, 0.01,
                                   group, False, False)
    ours = np.load(os.path.join(out, "q.out", "out0.npy"))[:, 0, 0, :]  # [144, F]
    same = np.array_equal(ours.T, q.astype(np.float32))
    print("gptq conv weights equal the reference transcription:", same,
          "(%d of %d differ)" % (np.sum(ours.T != q.astype(np.float32)), q.size))
    ref = conv(x, w)
    err = {k: float(np.sum((np.load(os.path.join(out, k + ".calib", "out0.npy")) - ref) ** 2))
           for k in ("gptq", "rtn")}
    print("calibration output error gptq < rtn:", err["gptq"] < err["rtn"],
          "(%.4g vs %.4g)" % (err["gptq"], err["rtn"]))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "gptq":
        check_gptq(sys.argv[2], int(sys.argv[3]))
    else:
        check(sys.argv[2], float(sys.argv[3]))
