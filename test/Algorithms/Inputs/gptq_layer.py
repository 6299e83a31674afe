"""For gptq.test. `make DIR` writes DIR/linear.mlir (one matmul layer "fc",
x [?, 16] times a constant W [16, 6]), DIR/x.npy (96 calibration rows with
correlated channels of unequal scales) and DIR/eye.npy (the 16x16 identity:
the weight-only model run on it returns its dequantized weights exactly).
`check DIR GROUP ACTORDER` compares DIR/q.out/out0.npy (the dequantized
weights) with GPTQ as the published reference runs it (the python3-torch
transcription in unittests/Algorithms/gen_gptq_cases.py) on H = X^T X with
QuantOpt's i4 asymmetric quantizer, and prints the output errors of GPTQ and
of round to nearest (DIR/rtn.out, DIR/gptq.xout, DIR/rtn.xout: the models on
x) against the float layer."""
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "unittests", "Algorithms"))


def data(held_out=False):
    """x [96, 16] and W [16, 6]; with held_out, 96 other rows of the same
    distribution instead of x."""
    rng = np.random.default_rng(12)
    mix = rng.normal(size=(16, 16)) * 0.5 + np.eye(16)
    raw = rng.normal(size=(96, 16))
    scales = rng.uniform(0.3, 3, size=16)
    x = (raw @ mix * scales).astype(np.float32)
    w = rng.normal(size=(16, 6)).astype(np.float32)
    if held_out:
        x = (rng.normal(size=(96, 16)) @ mix * scales).astype(np.float32)
    return x, w


def outliers():
    """The same layer's inputs with two outlier channels (x30), as
    transformers' activations have them."""
    x, _ = data()
    x = x.copy()
    x[:, [2, 9]] *= 30
    return x


def make(out):
    x, w = data()
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "xo.npy"), outliers())
    # Inputs with non-zero means (as after a ReLU), and one zero row.
    np.save(os.path.join(out, "xp.npy"), np.abs(x) + np.float32(0.5))
    np.save(os.path.join(out, "zero.npy"), np.zeros((1, 16), np.float32))
    np.save(os.path.join(out, "eye.npy"), np.eye(16, dtype=np.float32))
    rows = ", ".join("[" + ", ".join("%.9g" % v for v in r) + "]" for r in w)
    with open(os.path.join(out, "linear.mlir"), "w") as f:
        f.write(f"""func.func @main(%x: tensor<?x16xf32>) -> tensor<?x6xf32> {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x16xf32>
  %w = arith.constant dense<[{rows}]> : tensor<16x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x6xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x6xf32>) -> tensor<?x6xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x16xf32>, tensor<16x6xf32>) outs(%z : tensor<?x6xf32>) -> tensor<?x6xf32> loc("fc")
  return %y : tensor<?x6xf32>
}}
""")


def check(out, group, actorder, bits=4):
    import torch
    from gen_gptq_cases import Quantizer, fasterquant
    x, w = data()
    h = x.astype(np.float64).T @ x.astype(np.float64)
    q, codes, _, _, _, _ = fasterquant(
        torch.from_numpy(w.T.astype(np.float64)), torch.from_numpy(h),
        Quantizer("i4", "asymmetric", "full" if bits == 4 else
                  (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)), 128, 0.01, group, actorder,
        actorder and group != -1)
    ours = np.load(os.path.join(out, "q.out", "out0.npy"))  # eye @ deq(W) = deq(W)
    same = np.array_equal(ours.T, q.astype(np.float32))
    print("gptq weights equal the reference transcription:", same,
          "(%d of %d differ)" % (np.sum(ours.T != q.astype(np.float32)), q.size))
    ref = x.astype(np.float64) @ w.astype(np.float64)
    err = {k: float(np.sum((np.load(os.path.join(out, k + ".xout", "out0.npy")) - ref) ** 2))
           for k in ("gptq", "rtn")}
    print("output error gptq < rtn:", err["gptq"] < err["rtn"],
          "(%.4g vs %.4g)" % (err["gptq"], err["rtn"]))


def errors(out, kinds, xname):
    """Squared output errors of DIR/<kind>.xout against the float layer."""
    x = np.load(os.path.join(out, xname)).astype(np.float64)
    ref = x @ data()[1].astype(np.float64)
    return {k: float(np.sum((np.load(os.path.join(out, k + ".xout", "out0.npy")) - ref) ** 2))
            for k in kinds}


def check_awq(out, group):
    """AWQ as llm-awq runs it (gen_smoothing_cases.awq, on the rows of x)
    against the model run on the identity: diag(1/s) Q(W') = its effective
    weights."""
    import torch  # noqa: F401
    from gen_smoothing_cases import awq, fake_quantize
    x, w = data()
    ratio, scales, ws, _ = awq(w.T.copy(), x, group, "i4", "asymmetric", "full", True)
    eff = fake_quantize(ws, group, "i4", "asymmetric", "full") / scales
    ours = np.load(os.path.join(out, "q.out", "out0.npy"))
    print("awq alpha", "%g" % ratio, "effective weights equal the transcription's:",
          np.allclose(ours.T, eff, rtol=2e-6, atol=1e-7))
    e = errors(out, ("awq", "rtn"), "x.npy")
    print("output error awq < rtn:", e["awq"] < e["rtn"], "(%.4g vs %.4g)" % (e["awq"], e["rtn"]))


def check_smooth(out, mlir, alpha):
    """The inverse scales in the smoothed model against smooth.py's formula
    on the per-channel maxima of xo; and the W8A8 output errors."""
    import re
    import torch  # noqa: F401
    from gen_smoothing_cases import smoothquant
    _, w = data()
    s = smoothquant(w.T.copy(), np.abs(outliers()).max(axis=0), alpha)
    text = open(mlir).read()
    found = re.findall(r"dense<\[([^\]]*)\]> : tensor<16xf32>", text)
    inv = np.array([float(v) for v in found[0].split(",")], np.float32)
    print("smoothquant inverse scales equal 1/s:", len(found) == 1 and
          np.allclose(inv, (1 / s).astype(np.float32), rtol=1e-6))
    e = errors(out, ("smooth", "plain"), "xo.npy")
    print("output error smoothquant < plain:", e["smooth"] < e["plain"],
          "(%.4g vs %.4g)" % (e["smooth"], e["plain"]))


def check_scaled_range(out, mlir, nvfp4=False):
    """Static u8 activations after AWQ: the input's quantization parameters
    in MLIR must be solved (QuantOpt's asymmetric u8: scale (hi - lo) / 255,
    zero point -rint(lo / scale)) from the range of the *scaled* input, the
    per-channel extremes of x times the inserted inverse scales, in
    float32; not from the range of x itself. With `nvfp4`, the same for
    the calibrated tensor scale of NVFP4 activations."""
    import re
    x = np.load(os.path.join(out, "x.npy"))
    text = open(mlir).read()
    found = re.findall(r"dense<\[([^\]]*)\]> : tensor<16xf32>", text)
    inv = np.array([float(v) for v in found[0].split(",")], np.float32)
    f32 = np.float32
    lo = min(f32(0), min(f32(x[:, c].min()) * inv[c] for c in range(16)))
    hi = max(f32(0), max(f32(x[:, c].max()) * inv[c] for c in range(16)))
    if nvfp4:
        # NVFP4's calibrated tensor scale: amax / (448 * 6) in float32.
        g = f32(max(abs(lo), hi) / f32(2688))
        m = re.search(r"scheme = nvfp4 block = \d+ tensor_scale = ([0-9.e+-]+)", text)
        got = f32(float(m.group(1)))
        unscaled = f32(max(abs(x.min()), abs(x.max())) / f32(2688))
        print("NVFP4 tensor scale from the scaled range:", got == g,
              "(%r; expected %r; unscaled range would give %r)" % (got, g, unscaled))
        return
    scale = f32(f32(hi - lo) / f32(255))
    zp = int(np.clip(-np.rint(f32(lo / scale)), 0, 255))
    m = re.search(r"qnt\.quantize %\w+ : tensor<\?x16xf32> .*#qnt\.params<ui8, scales = \[([^\]]*)\], "
                  r"zero_points = \[([^\]]*)\]>", text)
    got_scale, got_zp = f32(float(m.group(1))), int(m.group(2))
    raw_lo, raw_hi = min(f32(0), x.min()), max(f32(0), x.max())
    print("static input parameters from the scaled range:",
          got_scale == scale and got_zp == zp,
          "(%r, %d; expected %r, %d; unscaled range would give %r)" %
          (got_scale, got_zp, scale, zp, f32(f32(raw_hi - raw_lo) / f32(255))))


def check_mixed(out, budget):
    """The chosen candidate's SQNR in the report against numpy's on the
    calibration data (from the model's weights on the identity), and the
    layer's SQNR on held-out rows against the budget (1 dB of slack)."""
    import json
    report = json.load(open(os.path.join(out, "mp.json")))
    entry = report["layers"]["fc"]
    chosen = next(c for c in entry["candidates"] if c["name"] == entry["choice"])
    _, w = data()
    wq = np.load(os.path.join(out, "q.out", "out0.npy")).astype(np.float64)
    d = wq - w.astype(np.float64)

    def sqnr(x):
        h = x.astype(np.float64).T @ x.astype(np.float64)
        noise = np.trace(d.T @ h @ d)
        return np.inf if noise == 0 else 10 * np.log10(np.trace(w.T @ h @ w) / noise)
    calib, held = sqnr(data()[0]), sqnr(data(True)[0])
    ours = chosen["sqnr_db"] if chosen["sqnr_db"] is not None else np.inf
    print("choice", entry["choice"], "sqnr matches numpy:",
          bool(np.isinf(calib) and np.isinf(ours) or abs(ours - calib) < 1e-4 * abs(calib)),
          "held-out within 1 dB of the budget:", bool(held >= budget - 1))


def check_bias(out):
    """The correction the model adds (its output on a zero row) against
    -E[x]^T (W_q - W) from numpy, and the mean output shift on the data
    before and after."""
    x = np.load(os.path.join(out, "xp.npy")).astype(np.float64)
    w = data()[1].astype(np.float64)
    wq = np.load(os.path.join(out, "q.out", "out0.npy")).astype(np.float64)  # eye @ W_q
    expected = -(x.mean(axis=0) @ (wq - w))
    ours = np.load(os.path.join(out, "zero.out", "out0.npy"))[0]
    print("correction equals -E[x]^T (W_q - W):", np.allclose(ours, expected, rtol=1e-5, atol=1e-6))
    ref = x @ w
    for k in ("plain", "corrected"):
        y = np.load(os.path.join(out, k + ".xout", "out0.npy")).astype(np.float64)
        print(k, "mean output shift below 1e-4:", bool(np.abs((y - ref).mean(axis=0)).max() < 1e-4))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "awq":
        check_awq(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "mixed":
        check_mixed(sys.argv[2], float(sys.argv[3]))
    elif sys.argv[1] == "bias":
        check_bias(sys.argv[2])
    elif sys.argv[1] == "scaled-range":
        check_scaled_range(sys.argv[2], sys.argv[3], len(sys.argv) > 4)
    elif sys.argv[1] == "smooth":
        check_smooth(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        check(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1",
              int(sys.argv[5]) if len(sys.argv) > 5 else 4)
