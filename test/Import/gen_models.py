"""Small ONNX models for the importer's tests, with their numpy outputs.

Usage: gen_models.py OUTDIR

Writes (python3-onnx builds the models; numpy computes the oracle outputs
independently of the importer):
- mlp.onnx: Gemm (transB) -> Relu -> MatMul -> Add -> Softmax, a dynamic
  batch "N"; x.npy [5, 8] and mlp.ref.npy;
- cnn.onnx: Conv (pads, bias) -> Relu -> MaxPool -> depthwise Conv (group=C)
  -> Sigmoid -> Flatten -> Gemm, NCHW, a dynamic batch; img.npy [3, 1, 8, 8]
  and cnn.ref.npy;
- qdq.onnx: a QDQ layer as quantizers export them: x -> QuantizeLinear
  (uint8, zero point 128) -> DequantizeLinear -> MatMul with a
  DequantizeLinear'd int8 per-column weight; qx.npy and qdq.ref.npy (ONNX's
  float semantics: dequantized values multiplied in float);
- mmi.onnx: MatMulInteger of a uint8 activation (zero point 3) and a
  constant int8 weight with per-column zero points; ax.npy and mmi.ref.npy
  (the exact int32 sums);
- qconv.onnx: QLinearConv (uint8 x, int8 per-channel w, padding, int32
  bias); qcx.npy and qconv.ref.npy (exact int32 sums plus bias, times the
  float32 multiplier x_scale * w_scale / y_scale, rounded half to even,
  plus y's zero point, saturated: ONNX Runtime's requantization);
- convbn.onnx: Conv (with bias) -> BatchNormalization -> Relu -> Conv (no
  bias) -> BatchNormalization; bnx.npy and convbn.ref.npy (numpy, the
  normalization computed as ONNX writes it, unfolded);
- spatial.onnx: grouped Conv -> Relu -> grouped ConvTranspose (strides,
  pads, output_padding, bias) -> linear Resize by scales, a dynamic
  batch; sx.npy and spatial.ref.npy;
- conv1d.onnx: 1-D Conv (dilation, pads) -> 1-D ConvTranspose (stride 3);
  s1.npy and conv1d.ref.npy;
- shapes.onnx: Shape/Cast/Slice/Gather/Unsqueeze/Mul/Concat computing a
  Reshape's target from a symbolic-batch input (folds with --batch);
- nbits.onnx, nbits_nozp.onnx: ONNX Runtime's MatMulNBits (4-bit blocks
  of 16, packed zero points or none, bias), with NAME.a.npy and NAME.ref.npy;
- padmodes.onnx: Pad with modes edge, reflect and wrap (opset 19), px.npy
  and padmodes.refI.npy (numpy's np.pad);
- qdq21.onnx: opset-21 QDQ storage types (int16, uint16 per axis, float8
  E4M3FN and E5M2, a blocked int4 weight before a MatMul), qx21.npy,
  a21.npy and qdq21.refI.npy;
- gelu_bmm.onnx: Gelu (exact, tanh) and batch-broadcast MatMuls, ga.npy,
  gx.npy and gelu_bmm.refI.npy;
- dwqconv.onnx: depthwise QLinearConv (stride 2, bias) and ConvInteger,
  dwx.npy and dwqconv.refI.npy;
- gqconv.onnx: grouped QLinearConv (group 2, per-channel weights, bias)
  and grouped ConvInteger (depthwise multiplier 2, weight zero point),
  gqx.npy and gqconv.refI.npy;
- intpool.onnx: MaxPool on uint8 and int8 tensors over their whole ranges,
  pu.npy, pi.npy and intpool.refI.npy;
- unsupported.onnx: a Celu node named "my_celu" (not supported);
- corrupt.onnx: bytes that are not a protobuf model.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def save(nodes, name, inputs, outputs, inits, opset=13):
    graph = helper.make_graph(nodes, name, inputs, outputs,
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


def softmax(v):
    e = np.exp(v - v.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# MLP
w1, b1, w2, b2 = f32(16, 8), f32(16), f32(16, 4), f32(4)
save([helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", transB=1),
      helper.make_node("Relu", ["h"], ["r"], name="relu1"),
      helper.make_node("MatMul", ["r", "w2"], ["m"], name="fc2"),
      helper.make_node("Add", ["m", "b2"], ["a"], name="bias2"),
      helper.make_node("Softmax", ["a"], ["y"], name="softmax")],
     "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
     {"w1": w1, "b1": b1, "w2": w2, "b2": b2})
x = f32(5, 8)
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "mlp.ref.npy"),
        softmax(np.maximum(x @ w1.T + b1, 0) @ w2 + b2))

# CNN
c1w, c1b = f32(4, 1, 3, 3), f32(4)
dww, dwb = f32(4, 1, 3, 3), f32(4)
fcw, fcb = f32(3, 4 * 4 * 4), f32(3)
save([helper.make_node("Conv", ["img", "c1w", "c1b"], ["c1"], name="conv1",
                       pads=[1, 1, 1, 1]),
      helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
      helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1",
                       kernel_shape=[2, 2], strides=[2, 2]),
      helper.make_node("Conv", ["p1", "dww", "dwb"], ["c2"], name="dw2",
                       group=4, pads=[1, 1, 1, 1]),
      helper.make_node("Sigmoid", ["c2"], ["s2"], name="sig2"),
      helper.make_node("Flatten", ["s2"], ["f"], name="flatten"),
      helper.make_node("Gemm", ["f", "fcw", "fcb"], ["y"], name="fc", transB=1)],
     "cnn", [helper.make_tensor_value_info("img", TensorProto.FLOAT, ["N", 1, 8, 8])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
     {"c1w": c1w, "c1b": c1b, "dww": dww, "dwb": dwb, "fcw": fcw, "fcb": fcb})
img = f32(3, 1, 8, 8)
np.save(os.path.join(out, "img.npy"), img)


def conv(x, w, b, pad, group=1):
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = xp.shape[2] - kh + 1, xp.shape[3] - kw + 1
    y = np.zeros((n, f, oh, ow), np.float32)
    per = f // group
    for o in range(f):
        g = o // per
        for i in range(oh):
            for j in range(ow):
                y[:, o, i, j] = (xp[:, g * cg:(g + 1) * cg, i:i + kh, j:j + kw]
                                 * w[o]).sum(axis=(1, 2, 3))
    return y + b.reshape(1, -1, 1, 1)


r1 = np.maximum(conv(img, c1w, c1b, 1), 0)
p1 = r1.reshape(3, 4, 4, 2, 4, 2).max(axis=(3, 5))
s2 = 1 / (1 + np.exp(-conv(p1, dww, dwb, 1, group=4)))
np.save(os.path.join(out, "cnn.ref.npy"), s2.reshape(3, -1) @ fcw.T + fcb)

# QDQ layer.
wq = rng.integers(-127, 128, (8, 4)).astype(np.int8)
sw = np.array([0.01, 0.02, 0.015, 0.03], np.float32)
sx, zx = np.float32(0.05), np.uint8(128)
save([helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"], name="q_x"),
      helper.make_node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"], name="dq_x"),
      helper.make_node("DequantizeLinear", ["wq", "sw"], ["wd"], name="dq_w", axis=1),
      helper.make_node("MatMul", ["xd", "wd"], ["y"], name="fc")],
     "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
     {"sx": np.array(sx), "zx": np.array(zx), "wq": wq, "sw": sw})
qx = (f32(6, 8) * 2).astype(np.float32)
np.save(os.path.join(out, "qx.npy"), qx)
xq = np.clip(np.rint(qx / sx) + 128, 0, 255)
xd = ((xq - 128) * sx).astype(np.float32)
np.save(os.path.join(out, "qdq.ref.npy"), xd @ (wq.astype(np.float32) * sw))

# MatMulInteger.
mb = rng.integers(-128, 128, (32, 20)).astype(np.int8)
mzb = rng.integers(-5, 6, 20).astype(np.int8)
save([helper.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["y"], name="mmi")],
     "mmi", [helper.make_tensor_value_info("a", TensorProto.UINT8, ["N", 32])],
     [helper.make_tensor_value_info("y", TensorProto.INT32, ["N", 20])],
     {"b": mb, "za": np.array(3, np.uint8), "zb": mzb})
ax = rng.integers(0, 256, (7, 32)).astype(np.uint8)
np.save(os.path.join(out, "ax.npy"), ax)
np.save(os.path.join(out, "mmi.ref.npy"),
        ((ax.astype(np.int32) - 3) @ (mb.astype(np.int32) - mzb)).astype(np.int32))

# QLinearConv with a bias.
qcw = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
qcb = rng.integers(-2000, 2000, 4).astype(np.int32)
qsx, qsw, qsy = np.float32(0.02), np.array([0.01, 0.02, 0.005, 0.03], np.float32), np.float32(0.2)
save([helper.make_node("QLinearConv", ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "b"],
                       ["y"], name="qconv", pads=[1, 1, 1, 1])],
     "qconv", [helper.make_tensor_value_info("x", TensorProto.UINT8, ["N", 3, 6, 6])],
     [helper.make_tensor_value_info("y", TensorProto.UINT8, ["N", 4, 6, 6])],
     {"sx": np.array(qsx), "zx": np.array(120, np.uint8), "w": qcw, "sw": qsw,
      "zw": np.zeros(4, np.int8), "sy": np.array(qsy), "zy": np.array(100, np.uint8),
      "b": qcb})
qcx = rng.integers(0, 256, (2, 3, 6, 6)).astype(np.uint8)
np.save(os.path.join(out, "qcx.npy"), qcx)
acc = conv(qcx.astype(np.float64) - 120, qcw.astype(np.float64), np.zeros(4), 1)
acc = np.rint(acc).astype(np.int64) + qcb.reshape(1, -1, 1, 1)
mult = (qsx * qsw / qsy).astype(np.float32).reshape(1, -1, 1, 1)
np.save(os.path.join(out, "qconv.ref.npy"),
        np.clip(np.rint(acc.astype(np.float32) * mult) + 100, 0, 255).astype(np.uint8))

# Conv -> BatchNormalization, twice.
def bn_params(c):
    return (rng.uniform(0.5, 2, c).astype(np.float32), f32(c),
            f32(c), rng.uniform(0.5, 2, c).astype(np.float32))
k1, k1b, k2 = f32(4, 2, 3, 3), f32(4), f32(3, 4, 3, 3)
s1, b1n, m1, v1 = bn_params(4)
s2, b2n, m2, v2 = bn_params(3)
save([helper.make_node("Conv", ["x", "k1", "k1b"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
      helper.make_node("BatchNormalization", ["c1", "s1", "b1", "m1", "v1"], ["n1"], name="bn1",
                       epsilon=1e-3),
      helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
      helper.make_node("Conv", ["r1", "k2"], ["c2"], name="conv2"),
      helper.make_node("BatchNormalization", ["c2", "s2", "b2", "m2", "v2"], ["y"], name="bn2")],
     "convbn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 6, 6])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, 4, 4])],
     {"k1": k1, "k1b": k1b, "k2": k2, "s1": s1, "b1": b1n, "m1": m1, "v1": v1,
      "s2": s2, "b2": b2n, "m2": m2, "v2": v2})
bnx = f32(2, 2, 6, 6)
np.save(os.path.join(out, "bnx.npy"), bnx)


def bn(v, s, b, m, var, eps):
    r = lambda a: a.reshape(1, -1, 1, 1)
    return r(s) * (v - r(m)) / np.sqrt(r(var) + eps) + r(b)


n1 = np.maximum(bn(conv(bnx, k1, k1b, 1), s1, b1n, m1, v1, 1e-3), 0)
np.save(os.path.join(out, "convbn.ref.npy"),
        bn(conv(n1, k2, np.zeros(3, np.float32), 0), s2, b2n, m2, v2, 1e-5))

# Spatial ops: grouped Conv -> Relu -> grouped ConvTranspose (strides,
# pads, output_padding, bias) -> Resize (linear, half_pixel, sizes), NCHW
# with a dynamic batch; and 1-D: Conv (dilation 2) -> ConvTranspose
# (stride 3). The oracles: conv() above, a scatter-add transposed
# convolution, and per-axis interpolation matrices.
gw, gb = f32(6, 2, 3, 3), f32(6)
tw, tb = f32(6, 2, 2, 3), f32(4)
save([helper.make_node("Conv", ["x", "gw", "gb"], ["c"], name="gconv", group=3,
                       pads=[1, 1, 1, 1]),
      helper.make_node("Relu", ["c"], ["r"], name="relu"),
      helper.make_node("ConvTranspose", ["r", "tw", "tb"], ["t"], name="up",
                       group=2, strides=[2, 2], pads=[2, 1, 1, 3],
                       output_padding=[1, 0]),
      helper.make_node("Resize", ["t", "", "scales"], ["y"], name="resize",
                       mode="linear")],
     "spatial",
     [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 6, 5, 5])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, 6, 10])],
     {"gw": gw, "gb": gb, "tw": tw, "tb": tb,
      "scales": np.array([1, 1, 0.75, 1.5], np.float32)})
sx = f32(2, 6, 5, 5)
np.save(os.path.join(out, "sx.npy"), sx)


def conv_transpose(x, w, b, stride, pads, out_pad, group):
    n, c, h, wd = x.shape
    _, mg, kh, kw = w.shape
    cg = c // group
    fh, fw = (h - 1) * stride[0] + kh + out_pad[0], (wd - 1) * stride[1] + kw + out_pad[1]
    y = np.zeros((n, mg * group, fh, fw), np.float32)
    for ci in range(c):
        g = ci // cg
        for i in range(h):
            for j in range(wd):
                y[:, g * mg:(g + 1) * mg, i * stride[0]:i * stride[0] + kh,
                  j * stride[1]:j * stride[1] + kw] += (
                    x[:, ci, i, j][:, None, None, None] * w[ci][None])
    y = y[:, :, pads[0]:fh - pads[2], pads[1]:fw - pads[3]]
    return y + b.reshape(1, -1, 1, 1)


def linear_matrix(n_in, scale):
    # half_pixel: x_in = (x_out + 0.5) / scale - 0.5, edges clamped; the
    # output has floor(n_in * scale) elements.
    n_out = int(np.floor(n_in * scale))
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        xi = (o + 0.5) / scale - 0.5
        lo = int(np.floor(xi))
        r = xi - lo
        m[o, min(max(lo, 0), n_in - 1)] += 1 - r
        m[o, min(max(lo + 1, 0), n_in - 1)] += r
    return m


st = conv_transpose(np.maximum(conv(sx, gw, gb, 1, group=3), 0), tw, tb,
                    (2, 2), (2, 1, 1, 3), (1, 0), 2)
rh, rw = linear_matrix(st.shape[2], 0.75), linear_matrix(st.shape[3], 1.5)
np.save(os.path.join(out, "spatial.ref.npy"),
        np.einsum("oh,nchw,pw->ncop", rh, st, rw).astype(np.float32))

w1d, t1d = f32(4, 3, 3), f32(4, 2, 4)
save([helper.make_node("Conv", ["s", "w1d"], ["c"], name="conv1d", dilations=[2],
                       pads=[2, 2]),
      helper.make_node("ConvTranspose", ["c", "t1d"], ["y"], name="up1d",
                       strides=[3])],
     "conv1d",
     [helper.make_tensor_value_info("s", TensorProto.FLOAT, [2, 3, 10])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2, 31])],
     {"w1d": w1d, "t1d": t1d})
s1 = f32(2, 3, 10)
np.save(os.path.join(out, "s1.npy"), s1)
# 1-D as 2-D with a unit height; the dilated kernel as a sparse 2-D one.
w1d_dilated = np.zeros((4, 3, 1, 5), np.float32)
w1d_dilated[:, :, 0, ::2] = w1d
c1 = conv(np.pad(s1, ((0, 0), (0, 0), (2, 2)))[:, :, None, :], w1d_dilated,
          np.zeros(4, np.float32), 0)
np.save(os.path.join(out, "conv1d.ref.npy"),
        conv_transpose(c1, t1d[:, :, None, :], np.zeros(2, np.float32), (1, 3),
                       (0, 0, 0, 0), (0, 0), 1)[:, :, 0, :])

# Shape arithmetic as exporters write it (Shape -> Cast -> Slice -> Cast ->
# Concat -> Reshape, and Gather -> Unsqueeze -> Mul): it folds into constants
# when the shape is static.
save([helper.make_node("Shape", ["x"], ["s"], name="shape"),
      helper.make_node("Cast", ["s"], ["s32"], name="cast32", to=TensorProto.INT32),
      helper.make_node("Slice", ["s32", "zero", "one"], ["n32"], name="slice"),
      helper.make_node("Cast", ["n32"], ["n"], name="cast64", to=TensorProto.INT64),
      helper.make_node("Gather", ["s", "two"], ["h"], name="gather"),
      helper.make_node("Unsqueeze", ["h", "zero64"], ["h1"], name="unsq"),
      helper.make_node("Mul", ["h1", "eight"], ["hw"], name="mul"),
      helper.make_node("Concat", ["n", "hw"], ["target"], name="concat", axis=0),
      helper.make_node("Reshape", ["x", "target"], ["y"], name="reshape")],
     "shapes",
     [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 2, 4])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 24])],
     {"zero": np.array([0], np.int32), "one": np.array([1], np.int32),
      "two": np.array(1, np.int64), "zero64": np.array([0], np.int64),
      "eight": np.array([8], np.int64)})

# ONNX Runtime's MatMulNBits (com.microsoft): 4-bit weights in blocks of 16
# along K with scales and packed zero points, a bias, a rank-3 activation;
# and the same without zero points (8). The oracle dequantizes per the
# contrib op's definition: (q - zp) * scale, q low nibble first.
K4, N4, BS4 = 64, 6, 16
q4 = rng.integers(0, 16, (N4, K4)).astype(np.uint8)
s4 = (rng.random((N4, K4 // BS4)) * 0.1 + 0.01).astype(np.float32)
z4 = rng.integers(0, 16, (N4, K4 // BS4)).astype(np.uint8)
packed4 = (q4[:, 0::2] | (q4[:, 1::2] << 4)).reshape(N4, K4 // BS4, BS4 // 2)
zpacked4 = (z4[:, 0::2] | (z4[:, 1::2] << 4)).reshape(-1)
bias4 = f32(N4)
for name, with_zp in (("nbits", True), ("nbits_nozp", False)):
    inputs = ["a", "b", "s", "z" if with_zp else "", "", "bias"]
    inits = {"b": packed4, "s": s4.reshape(-1), "bias": bias4}
    if with_zp:
        inits["z"] = zpacked4
    node = helper.make_node("MatMulNBits", inputs, ["y"], name="mmnb",
                            domain="com.microsoft", K=K4, N=N4, bits=4,
                            block_size=BS4)
    graph = helper.make_graph(
        [node], name, [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3, K4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, N4])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("com.microsoft", 1)])
    onnx.save(model, os.path.join(out, name + ".onnx"))
    zp = z4 if with_zp else np.full_like(z4, 8)
    wdq = (q4.astype(np.float32) - np.repeat(zp, BS4, axis=1)) * np.repeat(s4, BS4, axis=1)
    a4 = f32(2, 3, K4)
    np.save(os.path.join(out, name + ".a.npy"), a4)
    np.save(os.path.join(out, name + ".ref.npy"), (a4 @ wdq.T + bias4).astype(np.float32))

# Pad modes edge, reflect and wrap (wrap is opset 19; Debian's onnx 1.12
# checker does not know it, so the model is saved unchecked), pads larger
# than a dimension included; numpy's np.pad modes of the same names are the
# oracle.
px = f32(2, 3)
pad_nodes = [helper.make_node("Pad", ["x", "pads"], [f"y_{m}"], name=f"pad_{m}", mode=m)
             for m in ("edge", "reflect", "wrap")]
graph = helper.make_graph(
    pad_nodes, "padmodes", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
    [helper.make_tensor_value_info(f"y_{m}", TensorProto.FLOAT, [6, 6])
     for m in ("edge", "reflect", "wrap")],
    [numpy_helper.from_array(np.array([2, 1, 2, 2], np.int64), "pads")])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)]),
          os.path.join(out, "padmodes.onnx"))
np.save(os.path.join(out, "px.npy"), px)
for i, m in enumerate(("edge", "reflect", "wrap")):
    np.save(os.path.join(out, f"padmodes.ref{i}.npy"), np.pad(px, ((2, 2), (1, 2)), mode=m))

# QuantizeLinear/DequantizeLinear of opset 21 storage types (Debian's onnx
# 1.12 predates them; data types are int32 fields, so the models are built
# with the numbers and saved unchecked): int16 per tensor and uint16 per
# axis (Q -> DQ round trips), a blocked int4 weight (block_size 2 along K,
# int4 zero points, raw data packed two per byte, low nibble first) before
# a MatMul, and float8 E4M3FN / E5M2 round trips (saturating). Oracles:
# numpy's round-half-even and clamps; float8 by enumerating every code and
# taking the nearest value, ties to the even code, overflow to the largest
# finite value.
INT16, UINT16, FP8E4M3FN, FP8E5M2, INT4 = 5, 4, 17, 19, 22


def raw_tensor(name, data_type, dims, raw):
    t = TensorProto()
    t.name, t.data_type = name, data_type
    t.dims.extend(dims)
    t.raw_data = raw
    return t


qx = (f32(4, 5) * 3).astype(np.float32)
qx[0, 0], qx[0, 1] = 1000.0, -0.005  # saturation of int16 at 0.01; a tie
s16, z16 = np.float32(0.01), np.int16(-3)
s16u = np.array([0.001, 0.01, 0.02, 0.05, 0.1], np.float32)
z16u = np.array([0, 100, 30000, 65535, 7], np.uint16)
e4s, e5s = np.float32(0.5), np.float32(0.25)
nodes = [helper.make_node("QuantizeLinear", ["x", "s16", "z16"], ["q16"], name="q16"),
         helper.make_node("DequantizeLinear", ["q16", "s16", "z16"], ["y16"], name="dq16"),
         helper.make_node("QuantizeLinear", ["x", "s16u", "z16u"], ["q16u"], name="q16u", axis=1),
         helper.make_node("DequantizeLinear", ["q16u", "s16u", "z16u"], ["y16u"], name="dq16u", axis=1),
         helper.make_node("QuantizeLinear", ["x", "e4s", "e4z"], ["q8"], name="qe4"),
         helper.make_node("DequantizeLinear", ["q8", "e4s", "e4z"], ["y8"], name="dqe4"),
         helper.make_node("QuantizeLinear", ["x", "e5s", "e5z"], ["q85"], name="qe5"),
         helper.make_node("DequantizeLinear", ["q85", "e5s", "e5z"], ["y85"], name="dqe5"),
         helper.make_node("DequantizeLinear", ["w4", "w4s", "w4z"], ["w4f"], name="dqw4",
                          axis=0, block_size=2),
         helper.make_node("MatMul", ["a4", "w4f"], ["ym"], name="mm4")]
w4 = rng.integers(-8, 8, (8, 3)).astype(np.int8)
w4z = rng.integers(-8, 8, (4, 3)).astype(np.int8)
w4s = (rng.random((4, 3)) * 0.5 + 0.1).astype(np.float32)


def pack4(v):
    flat = (v.reshape(-1).astype(np.int64) & 0xF).astype(np.uint8)
    if flat.size % 2:
        flat = np.append(flat, 0)
    return (flat[0::2] | (flat[1::2] << 4)).tobytes()


inits = [numpy_helper.from_array(np.array(s16), "s16"), numpy_helper.from_array(np.array(z16), "z16"),
         numpy_helper.from_array(s16u, "s16u"), numpy_helper.from_array(z16u, "z16u"),
         numpy_helper.from_array(np.array(e4s), "e4s"), raw_tensor("e4z", FP8E4M3FN, [], b"\x00"),
         numpy_helper.from_array(np.array(e5s), "e5s"), raw_tensor("e5z", FP8E5M2, [], b"\x00"),
         raw_tensor("w4", INT4, [8, 3], pack4(w4)), numpy_helper.from_array(w4s, "w4s"),
         raw_tensor("w4z", INT4, [4, 3], pack4(w4z))]
graph = helper.make_graph(
    nodes, "qdq21",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 5]),
     helper.make_tensor_value_info("a4", TensorProto.FLOAT, [2, 8])],
    [helper.make_tensor_value_info(n, TensorProto.FLOAT, sh)
     for n, sh in (("y16", [4, 5]), ("y16u", [4, 5]), ("y8", [4, 5]), ("y85", [4, 5]),
                   ("ym", [2, 3]))], inits)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)]),
          os.path.join(out, "qdq21.onnx"))
a4 = f32(2, 8)
np.save(os.path.join(out, "qx21.npy"), qx)
np.save(os.path.join(out, "a21.npy"), a4)


def fake(v, s, z, lo, hi):
    return ((np.clip(np.round(v / s) + z, lo, hi) - z) * s).astype(np.float32)


def float8_values(exp_bits, man_bits, bias, ieee):
    vals = []
    for code in range(256):
        sign = -1.0 if code & 0x80 else 1.0
        e = (code >> man_bits) & ((1 << exp_bits) - 1)
        m = code & ((1 << man_bits) - 1)
        if ieee and e == (1 << exp_bits) - 1:
            vals.append(np.nan)  # E5M2: Inf and NaN codes
        elif not ieee and e == (1 << exp_bits) - 1 and m == (1 << man_bits) - 1:
            vals.append(np.nan)  # E4M3FN: only S.1111.111 is NaN
        elif e == 0:
            vals.append(sign * m / (1 << man_bits) * 2.0 ** (1 - bias))
        else:
            vals.append(sign * (1 + m / (1 << man_bits)) * 2.0 ** (e - bias))
    return np.array(vals)


def fake_float8(v, s, table):
    finite = np.isfinite(table)
    codes, values = np.arange(256)[finite], table[finite]
    largest = values.max()
    out = []
    for t in (v.astype(np.float64) / np.float64(s)).reshape(-1):
        t = np.float32(t)
        if abs(t) >= largest:
            out.append(np.sign(t) * largest)
            continue
        d = np.abs(values - t)
        best = np.flatnonzero(d == d.min())
        best = [b for b in best if codes[b] % 2 == 0] or list(best)
        out.append(values[best[0]])
    return (np.array(out) * s).astype(np.float32).reshape(v.shape)


np.save(os.path.join(out, "qdq21.ref0.npy"), fake(qx, s16, z16, -32768, 32767))
np.save(os.path.join(out, "qdq21.ref1.npy"), fake(qx, s16u, z16u, 0, 65535))
np.save(os.path.join(out, "qdq21.ref2.npy"), fake_float8(qx, e4s, float8_values(4, 3, 7, False)))
np.save(os.path.join(out, "qdq21.ref3.npy"), fake_float8(qx, e5s, float8_values(5, 2, 15, True)))
w4f = (w4.astype(np.float32) - np.repeat(w4z, 2, axis=0)) * np.repeat(w4s, 2, axis=0)
np.save(os.path.join(out, "qdq21.ref4.npy"), (a4 @ w4f).astype(np.float32))

# Gelu (opset 20, exact and tanh; saved unchecked for onnx 1.12) and MatMul
# with batch broadcasting ([2, 1, 3, 4] x [5, 4, 6] and [3, 4] x [2, 4, 5]);
# numpy oracles (math.erf per element).
import math  # noqa: E402
ga, gb, gc = f32(2, 1, 3, 4), f32(5, 4, 6), f32(2, 4, 5)
nodes = [helper.make_node("Gelu", ["ga"], ["g0"], name="gelu"),
         helper.make_node("Gelu", ["ga"], ["g1"], name="gelu_tanh", approximate="tanh"),
         helper.make_node("MatMul", ["g0", "gb"], ["m0"], name="bmm"),
         helper.make_node("MatMul", ["gx", "gc"], ["m1"], name="bmm2")]
graph = helper.make_graph(
    nodes, "gelu_bmm",
    [helper.make_tensor_value_info("ga", TensorProto.FLOAT, [2, 1, 3, 4]),
     helper.make_tensor_value_info("gx", TensorProto.FLOAT, [3, 4])],
    [helper.make_tensor_value_info("g1", TensorProto.FLOAT, [2, 1, 3, 4]),
     helper.make_tensor_value_info("m0", TensorProto.FLOAT, [2, 5, 3, 6]),
     helper.make_tensor_value_info("m1", TensorProto.FLOAT, [2, 3, 5])],
    [numpy_helper.from_array(gb, "gb"), numpy_helper.from_array(gc, "gc")])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]),
          os.path.join(out, "gelu_bmm.onnx"))
gx = f32(3, 4)
np.save(os.path.join(out, "ga.npy"), ga)
np.save(os.path.join(out, "gx.npy"), gx)
g0 = 0.5 * ga * (1 + np.vectorize(math.erf)(ga.astype(np.float64) / math.sqrt(2)))
g1 = 0.5 * ga * (1 + np.tanh(math.sqrt(2 / math.pi) * (ga + 0.044715 * ga.astype(np.float64) ** 3)))
np.save(os.path.join(out, "gelu_bmm.ref0.npy"), g1.astype(np.float32))
np.save(os.path.join(out, "gelu_bmm.ref1.npy"), np.matmul(g0, gb).astype(np.float32))
np.save(os.path.join(out, "gelu_bmm.ref2.npy"), np.matmul(gx, gc).astype(np.float32))

# Depthwise QLinearConv (group = channels, stride 2, a bias) and depthwise
# ConvInteger, as ONNX Runtime's QOperator MobileNets carry them: the same
# oracle as qconv (exact int32 sums by conv() with group=C).
dww8 = rng.integers(-127, 128, (4, 1, 3, 3)).astype(np.int8)
dwb = rng.integers(-2000, 2000, 4).astype(np.int32)
dsw = np.array([0.01, 0.02, 0.005, 0.03], np.float32)
nodes = [helper.make_node("QLinearConv", ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "b"],
                          ["y"], name="dwq", pads=[1, 1, 1, 1], strides=[2, 2], group=4),
         helper.make_node("ConvInteger", ["x", "w", "zx"], ["acc"], name="dwi",
                          pads=[1, 1, 1, 1], group=4)]
graph = helper.make_graph(
    nodes, "dwqconv", [helper.make_tensor_value_info("x", TensorProto.UINT8, ["N", 4, 6, 6])],
    [helper.make_tensor_value_info("y", TensorProto.UINT8, ["N", 4, 3, 3]),
     helper.make_tensor_value_info("acc", TensorProto.INT32, ["N", 4, 6, 6])],
    [numpy_helper.from_array(v, k) for k, v in {
        "sx": np.array(qsx), "zx": np.array(120, np.uint8), "w": dww8, "sw": dsw,
        "zw": np.zeros(4, np.int8), "sy": np.array(qsy), "zy": np.array(100, np.uint8),
        "b": dwb}.items()])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
          os.path.join(out, "dwqconv.onnx"))
dwx = rng.integers(0, 256, (2, 4, 6, 6)).astype(np.uint8)
np.save(os.path.join(out, "dwx.npy"), dwx)
dacc = np.rint(conv(dwx.astype(np.float64) - 120, dww8.astype(np.float64), np.zeros(4), 1,
                    group=4)).astype(np.int64)
np.save(os.path.join(out, "dwqconv.ref1.npy"), dacc.astype(np.int32))
dacc2 = dacc[:, :, ::2, ::2] + dwb.reshape(1, -1, 1, 1)
dmult = (qsx * dsw / qsy).astype(np.float32).reshape(1, -1, 1, 1)
np.save(os.path.join(out, "dwqconv.ref0.npy"),
        np.clip(np.rint(dacc2.astype(np.float32) * dmult) + 100, 0, 255).astype(np.uint8))

# Grouped QLinearConv (group 2: 4 input channels, 6 output channels,
# per-channel weights, a bias) and grouped ConvInteger (a depthwise
# multiplier of 2: group 4, 8 outputs, weight zero point 3): the same oracle,
# conv() with the group.
gw8 = rng.integers(-127, 128, (6, 2, 3, 3)).astype(np.int8)
gb = rng.integers(-2000, 2000, 6).astype(np.int32)
gsw = np.array([0.01, 0.02, 0.005, 0.03, 0.015, 0.0075], np.float32)
gmw = rng.integers(-100, 100, (8, 1, 3, 3)).astype(np.int8)
nodes = [helper.make_node("QLinearConv", ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "b"],
                          ["y"], name="gq", pads=[1, 1, 1, 1], group=2),
         helper.make_node("ConvInteger", ["x", "wm", "zx", "zwm"], ["acc"], name="gi",
                          pads=[0, 1, 0, 1], strides=[1, 2], group=4)]
graph = helper.make_graph(
    nodes, "gqconv", [helper.make_tensor_value_info("x", TensorProto.UINT8, ["N", 4, 6, 6])],
    [helper.make_tensor_value_info("y", TensorProto.UINT8, ["N", 6, 6, 6]),
     helper.make_tensor_value_info("acc", TensorProto.INT32, ["N", 8, 4, 3])],
    [numpy_helper.from_array(v, k) for k, v in {
        "sx": np.array(qsx), "zx": np.array(120, np.uint8), "w": gw8, "sw": gsw,
        "zw": np.zeros(6, np.int8), "sy": np.array(qsy), "zy": np.array(100, np.uint8),
        "b": gb, "wm": gmw, "zwm": np.array(3, np.int8)}.items()])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
          os.path.join(out, "gqconv.onnx"))
gx = rng.integers(0, 256, (2, 4, 6, 6)).astype(np.uint8)
np.save(os.path.join(out, "gqx.npy"), gx)
gacc = np.rint(conv(gx.astype(np.float64) - 120, gw8.astype(np.float64), gb.astype(np.float64),
                    1, group=2)).astype(np.int64)
gmult = (qsx * gsw / qsy).astype(np.float32).reshape(1, -1, 1, 1)
np.save(os.path.join(out, "gqconv.ref0.npy"),
        np.clip(np.rint(gacc.astype(np.float32) * gmult) + 100, 0, 255).astype(np.uint8))
macc = np.rint(conv(np.pad(gx.astype(np.float64) - 120, ((0, 0), (0, 0), (0, 0), (1, 1))),
                    gmw.astype(np.float64) - 3, np.zeros(8), 0, group=4)).astype(np.int64)
np.save(os.path.join(out, "gqconv.ref1.npy"), macc[:, :, :, ::2].astype(np.int32))

# Integer MaxPool (uint8 and int8 over their whole ranges, padded, stride 2),
# as QOperator models pool stored tensors: numpy's max over the windows.
pu = rng.integers(0, 256, (1, 2, 5, 5)).astype(np.uint8)
pi = rng.integers(-128, 128, (1, 2, 5, 5)).astype(np.int8)
graph = helper.make_graph(
    [helper.make_node("MaxPool", ["pu"], ["yu"], name="pool_u8", kernel_shape=[3, 3],
                      strides=[2, 2], pads=[1, 1, 1, 1]),
     helper.make_node("MaxPool", ["pi"], ["yi"], name="pool_i8", kernel_shape=[3, 3],
                      strides=[2, 2], pads=[1, 1, 1, 1])],
    "intpool", [helper.make_tensor_value_info("pu", TensorProto.UINT8, [1, 2, 5, 5]),
                helper.make_tensor_value_info("pi", TensorProto.INT8, [1, 2, 5, 5])],
    [helper.make_tensor_value_info("yu", TensorProto.UINT8, [1, 2, 3, 3]),
     helper.make_tensor_value_info("yi", TensorProto.INT8, [1, 2, 3, 3])])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
          os.path.join(out, "intpool.onnx"))
np.save(os.path.join(out, "pu.npy"), pu)
np.save(os.path.join(out, "pi.npy"), pi)
for i, (v, lo) in enumerate(((pu, 0), (pi, -128))):
    vp = np.pad(v.astype(np.int64), ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=lo - 1)
    r = np.array([[[[vp[0, c, 2 * a:2 * a + 3, 2 * b:2 * b + 3].max() for b in range(3)]
                    for a in range(3)] for c in range(2)]])
    np.save(os.path.join(out, f"intpool.ref{i}.npy"), r.astype(v.dtype))

# Unsupported op, corrupt file.
save([helper.make_node("Celu", ["x"], ["y"], name="my_celu")], "unsupported",
     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])], {})
with open(os.path.join(out, "corrupt.onnx"), "wb") as f:
    f.write(b"\x08\x07\x12\xff\xff\xff\xffnot a model")
