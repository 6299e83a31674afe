#!/usr/bin/python3
"""The activations and normalizations models contain, as ONNX exports them
(built here with onnx.helper and imported by quant-import-onnx), through
--qnt-codegen (vectorized: upstream's polynomial exp, tanh and erf, the
element-wise vectorization, vector reductions) and the reference lowering,
against NumPy in float64 on edge inputs (+-0, denormals, +-Inf, NaN, large
magnitudes) and a sweep. Error is measured in ulps of the f32 rounding of
NumPy's result, over the inputs whose result is finite:

- sigmoid: ulps of each result, over results above 2^-126;
- softmax (last axis): ulps of each result (above 2^-126) divided by
  1 + |x - max(x)|: the f32 rounding of x - max(x), which any f32 softmax
  computes, is amplified by exp into an error of about |x - max(x)| / 2
  ulps;
- SiLU (x * sigmoid(x)), HardSwish, hard-sigmoid, GELU (erf and tanh
  forms): ulps of max(|result|, min(|x|, 8) / 4): GELU computes 1 + erf(x / sqrt 2)
  (1 + tanh(..)) and hard-sigmoid 0.2 x + 0.5, which cancel, so their
  absolute error scales with |x|, as in any f32 evaluation of ONNX's
  formulas;
- layer normalization (last axis, scale and bias): ulps of the row's
  largest |output| divided by 1 + |mean| / std: x - mean cancels when the
  row's spread is small against its mean (the f32 mean is |mean| 2^-24 off).

Results NumPy gives as NaN or an infinity must come out the same. Prints one
line per function and path; exits 1 when a bound given as NAME=ULPS is
exceeded or a special result differs.

Usage: check_activations.py BINDIR WORKDIR [NAME=ULPS ...]
"""
import math
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

bindir, work = sys.argv[1], sys.argv[2]
bounds = {a.split("=")[0]: float(a.split("=")[1]) for a in sys.argv[3:]}
os.makedirs(work, exist_ok=True)
F = np.float32
TINY = np.finfo(F).tiny
rng = np.random.default_rng(17)

SPECIAL = np.array([0.0, -0.0, 1e-40, -1e-40, 1.4e-45, np.inf, -np.inf, np.nan, 1e30, -1e30,
                    3.4e38, -3.4e38, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 88.0, -88.0, 104.0,
                    -104.0, 1e-7, -1e-7, 10.0, -10.0, 20.0, -20.0], np.float64).astype(F)
X = np.concatenate([SPECIAL, rng.uniform(-8, 8, 6000), rng.uniform(-100, 100, 2000),
                    np.exp(rng.uniform(-30, 5, 1000)) * rng.choice([-1, 1], 1000)]).astype(F)
ROW = 37
ROWS = np.concatenate([
    rng.normal(0, 1, (40, ROW)), rng.normal(5, 0.01, (8, ROW)), rng.normal(0, 30, (8, ROW)),
    rng.uniform(-1e15, 1e15, (4, ROW)), np.full((1, ROW), 2.5), np.zeros((1, ROW)),
]).astype(F)
edge = np.array(rng.normal(0, 1, (6, ROW)), F)
edge[0, 3] = np.nan
edge[1, 5] = np.inf
edge[2, 7] = -np.inf
edge[3, :] = -np.inf
edge[3, 0] = 0.0
edge[4, 1] = 1e-40
edge[5, 2] = 80.0
ROWS = np.concatenate([ROWS, edge])
GAMMA = rng.uniform(0.5, 2, ROW).astype(F)
BETA = rng.uniform(-1, 1, ROW).astype(F)


def erf64(x):
    return np.vectorize(math.erf)(x)


def sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def gelu(x):
    return 0.5 * x * (1 + erf64(x / math.sqrt(2)))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def layernorm(x):
    m = np.mean(x, axis=-1, keepdims=True)
    v = np.mean((x - m) ** 2, axis=-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-5) * GAMMA + BETA


def hardswish(x):
    return x * np.clip(x / 6 + 0.5, 0, 1)


def hardsigmoid(x):
    return np.clip(np.float64(F(0.2)) * x + 0.5, 0, 1)


# name -> (nodes, opset, input, NumPy, error scale)
V = helper.make_tensor_value_info
CASES = {
    "sigmoid": ([helper.make_node("Sigmoid", ["x"], ["y"])], 13, X, sigmoid, "result"),
    "hardsigmoid": ([helper.make_node("HardSigmoid", ["x"], ["y"])], 13, X, hardsigmoid, "x"),
    "silu": ([helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])],
             13, X, lambda x: x * sigmoid(x), "x"),
    "hardswish": ([helper.make_node("HardSwish", ["x"], ["y"])], 14, X, hardswish, "x"),
    "gelu": ([helper.make_node("Gelu", ["x"], ["y"])], 20, X, gelu, "x"),
    "gelu-tanh": ([helper.make_node("Gelu", ["x"], ["y"], approximate="tanh")], 20, X, gelu_tanh, "x"),
    "softmax": ([helper.make_node("Softmax", ["x"], ["y"], axis=-1)], 13, ROWS, softmax, "shift"),
    "layernorm": ([helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1, epsilon=1e-5)],
                  17, ROWS, layernorm, "row"),
}


def errors(got, want, x, scale):
    with np.errstate(all="ignore"):
        want32 = want.astype(F)
        fin = np.isfinite(want32) & ((np.abs(x) >= TINY) | (x == 0) | ~np.isfinite(x))
        cond = 1.0
        if scale == "x":
            # The cancellation's scale, at most 2: past |x| = 8 the
            # functions are x or 0 to f32 precision.
            mag = np.maximum(np.abs(want32), np.where(np.isfinite(x), np.minimum(np.abs(x), 8) / 4, 0))
        elif scale == "row":
            mag = np.broadcast_to(np.max(np.where(np.isfinite(want32), np.abs(want32), 0), axis=-1,
                                         keepdims=True), want32.shape)
            x64 = x.astype(np.float64)
            mean = np.mean(x64, axis=-1, keepdims=True)
            std = np.sqrt(np.mean((x64 - mean) ** 2, axis=-1, keepdims=True))
            cond = np.where((std > 0) & np.isfinite(std), 1 + np.abs(mean) / np.where(std > 0, std, 1), 1)
        else:
            mag = np.abs(want32)
            fin &= (mag >= TINY) | (want32 == 0)
            if scale == "shift":
                x64 = x.astype(np.float64)
                cond = 1 + np.abs(x64 - np.max(x64, axis=-1, keepdims=True))
        err = np.abs(got.astype(np.float64) - want) / \
            np.spacing(np.maximum(mag, TINY).astype(F)).astype(np.float64) / cond
    err = np.where(np.isnan(err), np.inf, err)[fin]
    special = ~np.isfinite(want32)
    bad = np.flatnonzero((special & ~((np.isnan(want32) & np.isnan(got)) | (got == want32))).ravel())
    return err.max(initial=0), bad


failures = 0
for name, (nodes, opset, x, ref, scale) in CASES.items():
    inits = []
    if name == "layernorm":
        inits = [numpy_helper.from_array(GAMMA, "g"), numpy_helper.from_array(BETA, "b")]
    graph = helper.make_graph(nodes, name.replace("-", "_"), [V("x", TensorProto.FLOAT, list(x.shape))],
                              [V("y", TensorProto.FLOAT, list(x.shape))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    # (Debian's onnx predates Gelu, opset 20: no checker for it.)
    if opset < 20:
        onnx.checker.check_model(model)
    base = os.path.join(work, name)
    onnx.save(model, base + ".onnx")
    np.save(base + ".x.npy", x)
    cmds = {"import": [f"{bindir}/quant-import-onnx", base + ".onnx", "-o", base + ".mlir"],
            "codegen": [f"{bindir}/quant-opt", base + ".mlir", "--qnt-codegen", "-o", base + ".fast.mlir"]}
    for what, cmd in cmds.items():
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{name}: {what} failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    line = []
    for path, module in (("codegen", base + ".fast.mlir"), ("reference", base + ".mlir")):
        out = base + "." + path
        r = subprocess.run([f"{bindir}/quant-run", module, "--entry", "main", "--input", base + ".x.npy",
                            "--output-dir", out], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{name}: quant-run failed\n{r.stderr[-2000:]}")
        got = np.load(os.path.join(out, "out0.npy"))
        ulps, bad = errors(got, want, x, scale)
        ok = bad.size == 0 and (name not in bounds or ulps <= bounds[name])
        failures += not ok
        flat = x.ravel()
        line.append(f"{path} max {ulps:.1f} ulp{'' if ulps <= bounds.get(name, np.inf) else ' ABOVE ' + str(bounds[name])}, "
                    + ("special results as NumPy" if bad.size == 0 else "special results DIFFER at " + "; ".join(
                        f"x={flat[i]!r}: {got.ravel()[i]!r} (NumPy {want.ravel()[i]!r})" for i in bad[:3])))
    print(f"{name}: {'; '.join(line)}")
sys.exit(1 if failures else 0)
