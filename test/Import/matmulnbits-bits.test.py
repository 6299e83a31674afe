"""Models and numpy oracle of matmulnbits-bits.test: ONNX Runtime's
MatMulNBits with bits = 2, 4 and 8 and K = 40 in blocks of 16 (16 + 16 + 8:
the last block shorter, padded in B as ONNX Runtime packs it), with packed
zero points (and without, for bits = 8).

python3 matmulnbits-bits.test.py DIR          writes DIR/nb{2,4,8,8n}.onnx, .a.npy, .a.f32, .ref.npy
python3 matmulnbits-bits.test.py DIR --check  compares DIR/*/out0.npy and DIR/*.ort.f32"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

d = sys.argv[1]
K, N, BS = 40, 5, 16
BLOCKS = -(-K // BS)
CASES = [("nb2", 2, True), ("nb4", 4, True), ("nb8", 8, True), ("nb8n", 8, False)]


def pack(rows, bits, width):
    """Rows of `bits`-bit values, the first in the lowest bits, each row
    padded to `width` bytes."""
    out = np.zeros((rows.shape[0], width), np.uint8)
    for r, row in enumerate(rows):
        for i, v in enumerate(row):
            out[r, i * bits // 8] |= np.uint8(int(v) << ((i * bits) % 8))
    return out


if len(sys.argv) == 2:
    rng = np.random.default_rng(5)
    for name, bits, with_zp in CASES:
        q = rng.integers(0, 1 << bits, (N, K))
        s = (rng.random((N, BLOCKS)) * 0.1 + 0.01).astype(np.float32)
        z = rng.integers(0, 1 << bits, (N, BLOCKS))
        blob = BS * bits // 8
        qpad = np.zeros((N, BLOCKS * BS), np.int64)
        qpad[:, :K] = q
        b = pack(qpad.reshape(N * BLOCKS, BS), bits, blob).reshape(N, BLOCKS, blob)
        inits = {"b": b, "s": s.reshape(-1)}
        if with_zp:
            inits["z"] = pack(z, bits, -(-BLOCKS * bits // 8)).reshape(-1)
        node = helper.make_node(
            "MatMulNBits", ["a", "b", "s", "z" if with_zp else ""], ["y"],
            name="mmnb", domain="com.microsoft", K=K, N=N, bits=bits,
            block_size=BS)
        graph = helper.make_graph(
            [node], name,
            [helper.make_tensor_value_info("a", TensorProto.FLOAT, [3, K])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, N])],
            [numpy_helper.from_array(v, k) for k, v in inits.items()])
        model = helper.make_model(graph, opset_imports=[
            helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
        onnx.save(model, os.path.join(d, name + ".onnx"))
        zp = z if with_zp else np.full_like(z, 1 << (bits - 1))
        expand = lambda v: np.repeat(v, BS, axis=1)[:, :K]
        w = (q - expand(zp)).astype(np.float32) * expand(s)
        a = rng.uniform(-1, 1, (3, K)).astype(np.float32)
        np.save(os.path.join(d, name + ".a.npy"), a)
        a.tofile(os.path.join(d, name + ".a.f32"))
        np.save(os.path.join(d, name + ".ref.npy"), a.astype(np.float64) @ w.T.astype(np.float64))
else:
    for name, _, _ in CASES:
        y = np.load(os.path.join(d, name, "out0.npy"))
        ref = np.load(os.path.join(d, name + ".ref.npy"))
        ort = np.fromfile(os.path.join(d, name + ".ort.f32"), np.float32)
        print(name, "numpy", np.allclose(y, ref, rtol=1e-5, atol=1e-5),
              "ort", np.allclose(y.ravel(), ort, rtol=1e-5, atol=1e-5))
