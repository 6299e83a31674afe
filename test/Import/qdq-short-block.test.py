"""Model and numpy oracle of qdq-short-block.test.

python3 qdq-short-block.test.py DIR          writes DIR/m.onnx and DIR/x.npy
python3 qdq-short-block.test.py DIR --check  compares DIR/out/*.npy"""
import sys

import numpy as np
import onnx
from onnx import TensorProto as T, helper, numpy_helper as nh

d = sys.argv[1]
rng = np.random.default_rng(11)
s8 = rng.uniform(0.01, 0.05, (5, 3)).astype(np.float32)
z8 = rng.integers(-20, 20, (5, 3)).astype(np.int8)
s4 = rng.uniform(0.05, 0.5, (3, 7)).astype(np.float32)
z4 = rng.integers(-3, 3, (3, 7)).astype(np.int8)


def expand(a, axis, block, size):
    return np.repeat(a, block, axis=axis).take(np.arange(size), axis=axis)


def quantize(x, s, z, axis, block, lo, hi):
    se = expand(s, axis, block, x.shape[axis])
    ze = expand(z, axis, block, x.shape[axis]).astype(np.float32)
    return np.clip(np.round(x / se) + ze, lo, hi)


def int4_tensor(name, a):
    """ONNX's int4 packing: two values per byte over the flattened tensor,
    the first in the low nibble."""
    flat = (a.reshape(-1).astype(np.int64) & 0xF).tolist()
    if len(flat) % 2:
        flat.append(0)
    raw = bytes(flat[i] | (flat[i + 1] << 4) for i in range(0, len(flat), 2))
    t = T()
    t.name = name
    t.data_type = 22  # INT4 (onnx 1.12 predates the name)
    t.dims.extend(a.shape)
    t.raw_data = raw
    return t


if len(sys.argv) == 2:
    x = rng.uniform(-3, 3, (5, 7)).astype(np.float32)
    # Exact ties of x / s to check the rounding.
    x[0, :3] = (np.arange(3) + 0.5) * s8[0, 0]
    x[4, 6] = -2.5 * s8[4, 2]
    np.save(d + "/x.npy", x)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s8", "z8"], ["q8"],
                         name="q8", axis=1, block_size=3),
        helper.make_node("DequantizeLinear", ["q8", "s8", "z8"], ["d8"],
                         name="d8", axis=1, block_size=3),
        helper.make_node("QuantizeLinear", ["d8", "s4", "z4"], ["q4"],
                         name="q4", axis=0, block_size=2),
        helper.make_node("DequantizeLinear", ["q4", "s4", "z4"], ["dq"],
                         name="dq", axis=0, block_size=2),
    ]
    g = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", T.FLOAT, [5, 7])],
        [helper.make_tensor_value_info("q8", T.INT8, [5, 7]),
         helper.make_tensor_value_info("dq", T.FLOAT, [5, 7])],
        [nh.from_array(s8, "s8"), nh.from_array(z8, "z8"),
         nh.from_array(s4, "s4"), int4_tensor("z4", z4)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    onnx.save(m, d + "/m.onnx")
else:
    x = np.load(d + "/x.npy")
    q8 = quantize(x, s8, z8, 1, 3, -128, 127)
    d8 = ((q8 - expand(z8, 1, 3, 7)) * expand(s8, 1, 3, 7)).astype(np.float32)
    q4 = quantize(d8, s4, z4, 0, 2, -8, 7)
    dq = ((q4 - expand(z4, 0, 2, 5)) * expand(s4, 0, 2, 5)).astype(np.float32)
    out8 = np.load(d + "/out/out0.npy")
    out = np.load(d + "/out/out1.npy")
    print("q8 equal", out8.dtype == np.int8 and (out8 == q8).all())
    # The int4 step through its dequantized value (exactly representable).
    print("q4 equal", np.array_equal(np.round(out / expand(s4, 0, 2, 5)
                                              + expand(z4, 0, 2, 5)), q4))
    print("dq equal", np.array_equal(out, dq))
