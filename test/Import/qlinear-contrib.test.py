"""qlinear-contrib.test: ONNX Runtime's QOperator contrib ops (QLinearAdd,
QLinearMul, QLinearSigmoid, QLinearLeakyRelu, QLinearAveragePool,
QLinearGlobalAveragePool, QLinearConcat, QLinearSoftmax), one model each,
imported and run, against
  - a numpy oracle of the contrib definition (dequantize in float32, the
    float op, quantize rounding half to even): bit for bit for the ops whose
    float step is exact arithmetic in numpy's order (Add, Mul, LeakyRelu,
    Concat); within one step for the others (exp and sums in another order);
  - ONNX Runtime itself (npm's onnxruntime-node), whose kernels use their own
    fixed-point or lookup-table arithmetic: the count of differing outputs
    and the largest difference, which must stay within one step.

python3 qlinear-contrib.test.py DIR QUANT-IMPORT-ONNX QUANT-RUN  (node on
PATH; bench/ort installed)"""
import os
import subprocess
import sys

import numpy as np
from onnx import TensorProto as T, helper, numpy_helper as nh
import onnx

d, importer, runner = sys.argv[1:4]
ort_script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                          "bench", "ort", "run_ort.mjs")
rng = np.random.default_rng(3)
SHAPE = [2, 3, 5, 5]
xs, xz = np.float32(0.05), np.uint8(120)
x = rng.integers(0, 256, SHAPE).astype(np.uint8)
other = rng.integers(0, 256, SHAPE).astype(np.uint8)
os_, oz = np.float32(0.03), np.uint8(100)


def dq(q, s, z):
    return (q.astype(np.float32) - np.float32(z)) * np.float32(s)


def quant(v, s, z):
    return np.clip(np.round(v.astype(np.float32) / np.float32(s)) + z, 0, 255).astype(np.uint8)


def sigmoid(v):
    return (1 / (1 + np.exp(-v.astype(np.float64)))).astype(np.float32)


def avgpool3(v):  # kernel 3, stride 1, pads 1, count_include_pad 0
    n, c, h, w = v.shape
    out = np.zeros_like(v)
    for i in range(h):
        for j in range(w):
            win = v[:, :, max(i - 1, 0):i + 2, max(j - 1, 0):j + 2]
            out[:, :, i, j] = win.astype(np.float64).mean(axis=(2, 3))
    return out


def softmax(v):
    e = np.exp(v.astype(np.float64) - v.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


ys, yz = np.float32(0.02), np.uint8(128)
common = [nh.from_array(np.array(xs), "xs"), nh.from_array(np.array(xz), "xz"),
          nh.from_array(np.array(ys), "ys"), nh.from_array(np.array(yz), "yz"),
          nh.from_array(other, "o"), nh.from_array(np.array(os_), "os"),
          nh.from_array(np.array(oz), "oz")]
X = dq(x, xs, xz)
O = dq(other, os_, oz)
# (name, inputs, attributes, output shape, float result, exact vs numpy)
cases = [
    ("QLinearAdd", ["x", "xs", "xz", "o", "os", "oz", "ys", "yz"], {}, SHAPE,
     X + O, True),
    ("QLinearMul", ["x", "xs", "xz", "o", "os", "oz", "ys", "yz"], {}, SHAPE,
     X * O, True),
    ("QLinearLeakyRelu", ["x", "xs", "xz", "ys", "yz"], {"alpha": 0.125}, SHAPE,
     np.where(X < 0, X * np.float32(0.125), X), True),
    ("QLinearConcat", ["ys", "yz", "x", "xs", "xz", "o", "os", "oz"],
     {"axis": 1}, [2, 6, 5, 5], np.concatenate([X, O], axis=1), True),
    ("QLinearSigmoid", ["x", "xs", "xz", "ys", "yz"], {}, SHAPE, sigmoid(X),
     False),
    ("QLinearAveragePool", ["x", "xs", "xz", "ys", "yz"],
     {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "strides": [1, 1],
      "count_include_pad": 0}, SHAPE, avgpool3(X), False),
    ("QLinearGlobalAveragePool", ["x", "xs", "xz", "ys", "yz"], {},
     [2, 3, 1, 1], X.astype(np.float64).mean(axis=(2, 3), keepdims=True), False),
    ("QLinearSoftmax", ["x", "xs", "xz", "ys", "yz"], {"axis": -1, "opset": 13},
     SHAPE, softmax(X), False),
]
yscale = {"QLinearSigmoid": np.float32(1 / 256), "QLinearSoftmax": np.float32(1 / 256)}
for op, inputs, attrs, oshape, ref, exact in cases:
    inits = list(common)
    s_out, z_out = yscale.get(op, ys), (0 if op in yscale else yz)
    inits[2] = nh.from_array(np.array(s_out), "ys")
    inits[3] = nh.from_array(np.array(np.uint8(z_out)), "yz")
    node = helper.make_node(op, inputs, ["y"], name="q_" + op, domain="com.microsoft", **attrs)
    g = helper.make_graph([node], op, [helper.make_tensor_value_info("x", T.UINT8, SHAPE)],
                          [helper.make_tensor_value_info("y", T.UINT8, oshape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13),
                                            helper.make_opsetid("com.microsoft", 1)])
    base = os.path.join(d, op)
    onnx.save(m, base + ".onnx")
    np.save(base + ".x.npy", x)
    x.tofile(base + ".x.u8")
    subprocess.run([importer, base + ".onnx", "-o", base + ".mlir"], check=True)
    subprocess.run([runner, base + ".mlir", "--entry", "main", "--input",
                    base + ".x.npy", "--output-dir", base], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["node", ort_script, base + ".onnx", base + ".x.u8",
                    ",".join(map(str, SHAPE)), base + ".ort.u8", "1", "1"],
                   check=True, stdout=subprocess.DEVNULL)
    y = np.load(os.path.join(base, "out0.npy"))
    want = quant(ref, s_out, z_out)
    ort = np.fromfile(base + ".ort.u8", np.uint8).reshape(oshape)
    dn = np.abs(y.astype(int) - want).max()
    do = np.abs(y.astype(int) - ort).max()
    print(op, "dtype", y.dtype == np.uint8,
          "numpy", ("exact" if exact else "step") + ("-ok" if (dn == 0 if exact else dn <= 1) else "-BAD"),
          "ort", "ok" if do <= 1 else "BAD",
          "(%d of %d differ from ORT by one)" % ((y != ort).sum(), y.size))
