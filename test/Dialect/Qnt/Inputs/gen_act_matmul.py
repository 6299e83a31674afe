#!/usr/bin/python3
"""Writes the oracle of test/Dialect/Qnt/act-matmul-exec.test: a batched
matmul of two activations, quantized dynamically on both sides the way ONNX
Runtime's dynamic quantization does it (DynamicQuantizeLinear on each
operand, MatMulInteger, Cast, Mul by the product of the scales), computed
with a NumPy transcription of those ops' reference implementations
(onnx/reference/ops/op_dynamic_quantize_linear.py and op_matmul_integer.py
in ONNX >= 1.13; Debian 12's python3-onnx predates onnx.reference):

    /usr/bin/python3 gen_act_matmul.py OUTDIR

Writes act-matmul-a.npy [2, 5, 7], act-matmul-b.npy [2, 7, 3] (f32) and
act-matmul-expected.npy [2, 5, 3] (f32). Run once; the outputs are checked
in."""
import os
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.RandomState(12)
# Values of both signs and different magnitudes per batch, so that the
# ranges, zero points and the zero-point corrections all matter; a few
# exact halves in the scaled values are likely at this size.
a = (rng.randn(2, 5, 7) * np.array([1.5, 0.2]).reshape(2, 1, 1) + 0.3).astype(np.float32)
b = (rng.randn(2, 7, 3) * 2.0 - 0.5).astype(np.float32)



def dynamic_quantize_linear(x):
    """ONNX DynamicQuantizeLinear (uint8), all arithmetic in float32."""
    qmin, qmax = np.float32(0), np.float32(255)
    maxx = np.float32(np.maximum(0, np.max(x)))
    minx = np.float32(np.minimum(0, np.min(x)))
    scale = np.float32(1.0 if maxx == minx else maxx - minx) / (qmax - qmin)
    zp = np.rint(np.clip(qmin - minx / scale, qmin, qmax))
    q = np.clip(np.rint(x / scale) + zp, qmin, qmax)
    return q.astype(np.uint8), np.float32(scale), np.uint8(zp)


aq, sa, za = dynamic_quantize_linear(a)
bq, sb, zb = dynamic_quantize_linear(b)
# MatMulInteger: (a - a_zero_point) @ (b - b_zero_point) in int32.
acc = np.matmul(aq.astype(np.int32) - np.int32(za), bq.astype(np.int32) - np.int32(zb))
y = acc.astype(np.float32) * np.float32(sa * sb)
np.save(os.path.join(out, "act-matmul-a.npy"), a)
np.save(os.path.join(out, "act-matmul-b.npy"), b)
np.save(os.path.join(out, "act-matmul-expected.npy"), y.astype(np.float32))
print("scales", sa, sb, "zero points", za, zb)
