"""Writes the int4 block-quantized form of an ONNX model with ONNX Runtime's
MatMulNBits contrib op (com.microsoft), as its MatMulNBitsQuantizer writes it
for a symmetric configuration, with Debian's python3-onnx (the onnxruntime
Python package is not in Debian, so bench/models.py makes the model itself):

- a MatMul whose B is a constant [K, N] float matrix becomes
    MatMulNBits(A, B_q, scales) with K, N, bits = 4, block_size, and
    accuracy_level = 4 (int8 activations: ONNX Runtime quantizes A per block
    at run time and multiplies with int8 dot products, llama.cpp's Q4_0 x
    Q8_0; what QuantOpt's group-wise integer layers do);
- B_q is uint8 [N][ceil(K / block_size)][block_size / 2]: column n's values
  along K, two per byte, the first in the low nibble, stored as q + 8 (no
  zero_points input: MatMulNBits' default zero point for 4 bits is 8);
- scales are float [N * ceil(K / block_size)], per column and block:
  max|B| / 7 over the block, q = clamp(round_half_even(B / scale), -7, 7)
  (QuantOpt's symmetric i4 weights, narrow range, the same numbers);
- every other op stays as it was.

    python3 ort_nbits.py MODEL.onnx OUT.onnx [--block-size 32]
"""
import argparse

import numpy as np
import onnx
from onnx import helper, numpy_helper


def quantize_block_columns(b, block):
    """B [K, N] -> (packed uint8 [N][blocks][block / 2], scales [N * blocks])."""
    k, n = b.shape
    blocks = -(-k // block)
    padded = np.zeros((blocks * block, n), np.float32)
    padded[:k] = b
    cols = padded.T.reshape(n, blocks, block)
    amax = np.abs(cols).max(axis=2)
    scales = np.where(amax > 0, amax / np.float32(7), np.float32(1)).astype(np.float32)
    q = np.clip(np.round(cols / scales[:, :, None]), -7, 7).astype(np.int32) + 8
    packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
    return packed, scales.reshape(-1)


def convert(model, block):
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    nodes, converted = [], 0
    for node in graph.node:
        b = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if b is None or len(b.dims) != 2 or b.data_type != onnx.TensorProto.FLOAT:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(b)
        k, n = w.shape
        packed, scales = quantize_block_columns(w, block)
        bq, sc = node.name + "_Bq4", node.name + "_scales"
        graph.initializer.extend([numpy_helper.from_array(packed, bq),
                                  numpy_helper.from_array(scales, sc)])
        nodes.append(helper.make_node(
            "MatMulNBits", [node.input[0], bq, sc], list(node.output),
            name=node.name + "_nbits", domain="com.microsoft",
            K=k, N=n, bits=4, block_size=block, accuracy_level=4))
        converted += 1
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for nd in graph.node for i in nd.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return converted


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--block-size", type=int, default=32)
    a = p.parse_args()
    m = onnx.load(a.model)
    count = convert(m, a.block_size)
    onnx.save(m, a.out)
    print(f"{count} MatMul(s) -> MatMulNBits (4 bits, blocks of {a.block_size})")
