"""Model and oracle of qdq-float8-f16.test.

python3 qdq-float8-f16.test.py DIR          writes DIR/m.onnx, DIR/x.npy and
                                            DIR/h.npy
python3 qdq-float8-f16.test.py DIR --check  compares DIR/out/*.npy

The oracle is ONNX's reference QuantizeLinear (onnx 1.16-1.18): x / y_scale
in the inputs' type (numpy divides float16 by float16 in float16), then
np.rint for integers or helper.float32_to_float8e4m3 / e5m2 for float8, in
the transcription unittests/Numerics/data/gen_onnx_float8.py keeps; and
DequantizeLinear: (x - zero_point) * scale in float32, cast to the scale's
type. Inputs avoid ONNX 1.16-1.18's non-saturating quirk ranges."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T, helper, numpy_helper as nh

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "unittests", "Numerics",
                                "data"))
import gen_onnx_float8 as f8  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "Integration"))
from gen_cases import to_bf16  # noqa: E402  (nearest-even bfloat16)

d = sys.argv[1]
N = 256
rng = np.random.default_rng(5)
# (name, ONNX type, encoder, decoder, saturate)
F8 = [("e4m3fnuz", 18, lambda v, s: f8.to_e4m3(v, True, s),
       lambda c: f8.decode_e4m3(c, True), 0),
      ("e5m2fnuz", 20, lambda v, s: f8.to_e5m2(v, True, s),
       lambda c: f8.decode_e5m2(c, True), 1),
      ("e4m3fn", 17, lambda v, s: f8.to_e4m3(v, False, s),
       lambda c: f8.decode_e4m3(c), 0),
      ("e5m2", 19, lambda v, s: f8.to_e5m2(v, False, s),
       lambda c: f8.decode_e5m2(c), 0)]
S8 = np.float32(0.75)       # float8 scale (x / 0.75 is not exact)
SH = np.float16(0.0731)     # float16 scale of the int8 and float8 steps
SB = np.float32(0.0732421875)  # a bfloat16 value (0x3D96)
ZH = np.int8(3)


def raw_tensor(name, data_type, shape, raw):
    t = T()
    t.name = name
    t.data_type = data_type
    t.dims.extend(shape)
    t.raw_data = bytes(raw)
    return t


def inputs():
    # Magnitudes over every float8 range, past the maxima, tiny ones that
    # round to zero with either sign, and the specials.
    mag = np.exp(rng.uniform(np.log(1e-6), np.log(1.2e5), N))
    x = (mag * np.where(rng.random(N) < 0.5, -1, 1)).astype(np.float32)
    x[:12] = [0.0, -0.0, np.inf, -np.inf, np.nan, -1e-9, 1e-9, 180.0,
              186.0, -186.0, 200.0, 1e30]  # 186 / 0.75 = 248: the FNUZ tie
    # Leave out ONNX 1.16-1.18's quirk ranges (E4M3FN [480, 496), E5M2
    # [61440, 65536) after the division).
    q = np.abs(x / S8)
    x[(q >= 470) & (q < 500)] = 1.0
    x[(q >= 61000) & (q < 66000)] = 2.0
    h = (rng.uniform(-12, 12, N)).astype(np.float16)
    h[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 60000.0]
    return x, h


if len(sys.argv) == 2:
    x, h = inputs()
    np.save(d + "/x.npy", x)
    np.save(d + "/h.npy", h)
    # bfloat16 data travel as float32 values of the type.
    np.save(d + "/b.npy", to_bf16(rng.uniform(-9, 9, N).astype(np.float32)))
    # The float16 and bfloat16 scales as helper.make_tensor stores them:
    # bit patterns in int32_data.
    nodes, outs, inits = [], [], [nh.from_array(np.array(S8), "s8"),
                                  helper.make_tensor("sh", T.FLOAT16, [], [SH]),
                                  helper.make_tensor("sb", T.BFLOAT16, [],
                                                     [float(SB)]),
                                  nh.from_array(np.array(ZH), "zh")]
    for name, ty, _, _, sat in F8:
        inits.append(raw_tensor("z_" + name, ty, [], [0]))
        nodes.append(helper.make_node("QuantizeLinear", ["x", "s8", "z_" + name],
                                      ["q_" + name], name="q_" + name,
                                      saturate=sat))
        outs.append(helper.make_tensor_value_info("q_" + name, ty, [N]))
    nodes.append(helper.make_node("DequantizeLinear",
                                  ["q_e4m3fnuz", "s8", "z_e4m3fnuz"], ["d8"],
                                  name="d8"))
    outs.append(helper.make_tensor_value_info("d8", T.FLOAT, [N]))
    # float16: int8 with a zero point, then back; float8 E4M3FN.
    nodes += [
        helper.make_node("QuantizeLinear", ["h", "sh", "zh"], ["qh"], name="qh"),
        helper.make_node("DequantizeLinear", ["qh", "sh", "zh"], ["dh"],
                         name="dh"),
        helper.make_node("QuantizeLinear", ["h", "sh", "z_e4m3fn"], ["fh"],
                         name="fh"),
        helper.make_node("QuantizeLinear", ["b", "sb", "zh"], ["qb"],
                         name="qb")]
    outs += [helper.make_tensor_value_info("qh", T.INT8, [N]),
             helper.make_tensor_value_info("dh", T.FLOAT16, [N]),
             helper.make_tensor_value_info("fh", 17, [N]),
             helper.make_tensor_value_info("qb", T.INT8, [N])]
    g = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", T.FLOAT, [N]),
                     helper.make_tensor_value_info("h", T.FLOAT16, [N]),
                     helper.make_tensor_value_info("b", T.BFLOAT16, [N])],
        outs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    onnx.save(m, d + "/m.onnx")
else:
    x, h = np.load(d + "/x.npy"), np.load(d + "/h.npy")
    got = [np.load(d + "/out/out%d.npy" % i) for i in range(len(F8) + 5)]

    def same_f8(out, codes, decode):
        want = np.array([decode(int(c)) for c in codes], np.float32)
        nan = np.isnan(want)
        return (np.array_equal(np.isnan(out), nan) and
                np.array_equal(out[~nan].view(np.uint32),
                               want[~nan].view(np.uint32)))

    y = (x / S8).astype(np.float32)
    for i, (name, _, enc, dec, sat) in enumerate(F8):
        codes = [enc(float(v), bool(sat)) for v in y]
        print(name, "saturate=%d" % sat, "equal", same_f8(got[i], codes, dec))
        if name == "e4m3fnuz":
            deq = (np.array([dec(c) for c in codes], np.float32) * S8)
            deq = deq.astype(np.float32)
    nan = np.isnan(deq)
    print("d8 equal", np.array_equal(np.isnan(got[len(F8)]), nan) and
          np.array_equal(got[len(F8)][~nan], deq[~nan]))
    # numpy: float16 / float16 in float16, then np.rint; ONNX's astype(int32)
    # of inf is undefined, so the oracle saturates it as we do (documented).
    with np.errstate(over="ignore"):
        qh16 = h / SH
    assert qh16.dtype == np.float16
    qh = np.clip(np.nan_to_num(np.rint(qh16).astype(np.float64), nan=0.0)
                 + ZH, -128, 127).astype(np.int8)
    qh[np.isnan(qh16)] = ZH
    print("qh equal", got[len(F8) + 1].dtype == np.int8 and
          np.array_equal(got[len(F8) + 1], qh))
    # The float16 quotient differs from the float32 one somewhere.
    print("f16 matters", bool((np.rint(h.astype(np.float32) / np.float32(SH))
                               != np.rint(qh16)).any()))
    dh = ((qh.astype(np.float32) - ZH) * np.float32(SH)).astype(np.float16)
    print("dh equal", got[len(F8) + 2].dtype == np.float16 and
          np.array_equal(got[len(F8) + 2].view(np.uint16), dh.view(np.uint16)))
    fh = [f8.to_e4m3(float(v), False, True) for v in qh16.astype(np.float32)]
    print("fh equal", same_f8(got[len(F8) + 3], fh, f8.decode_e4m3))
    # bfloat16: the quotient rounded to bfloat16 (from its exact float64
    # value through float32: both roundings exact), then np.rint.
    b = np.load(d + "/b.npy")
    qb16 = to_bf16((b.astype(np.float64) / np.float64(SB)).astype(np.float32))
    qb = np.clip(np.rint(qb16) + ZH, -128, 127).astype(np.int8)
    print("qb equal", got[len(F8) + 4].dtype == np.int8 and
          np.array_equal(got[len(F8) + 4], qb))
    print("bf16 matters", bool((np.rint(b / SB) != np.rint(qb16)).any()))
