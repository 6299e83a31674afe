"""Models and numpy oracles of control.test: LSTM, If, --input-value and the
folds they need.

python3 control.test.py DIR          writes the models and inputs
python3 control.test.py DIR --check  compares DIR/*/out*.npy"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T, helper, numpy_helper as nh

d = sys.argv[1]
rng = np.random.default_rng(8)
S, B, I, H = 3, 2, 5, 4
W = rng.normal(0, 0.5, (1, 4 * H, I)).astype(np.float32)
R = rng.normal(0, 0.5, (1, 4 * H, H)).astype(np.float32)
Bias = rng.normal(0, 0.5, (1, 8 * H)).astype(np.float32)
h0 = rng.normal(0, 0.5, (1, B, H)).astype(np.float32)
c0 = rng.normal(0, 0.5, (1, B, H)).astype(np.float32)


def lstm(x, h, c):
    """ONNX's LSTM (gates i, o, f, c), float64."""
    sig = lambda v: 1 / (1 + np.exp(-v))
    w, r = W[0].astype(np.float64), R[0].astype(np.float64)
    b = Bias[0, :4 * H].astype(np.float64) + Bias[0, 4 * H:]
    ys = []
    for t in range(x.shape[0]):
        g = x[t] @ w.T + h @ r.T + b
        i, o, f, cc = np.split(g, 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(cc)
        h = sig(o) * np.tanh(c)
        ys.append(h)
    return np.stack(ys)[:, None], h[None], c[None]


if len(sys.argv) == 2:
    x = rng.normal(0, 1, (S, B, I)).astype(np.float32)
    np.save(os.path.join(d, "x.npy"), x)
    # LSTM with initial states and a bias, all three outputs.
    g = helper.make_graph(
        [helper.make_node("LSTM", ["x", "W", "R", "B", "", "h0", "c0"],
                          ["y", "yh", "yc"], name="lstm", hidden_size=H)],
        "lstm", [helper.make_tensor_value_info("x", T.FLOAT, [S, B, I])],
        [helper.make_tensor_value_info("y", T.FLOAT, [S, 1, B, H]),
         helper.make_tensor_value_info("yh", T.FLOAT, [1, B, H]),
         helper.make_tensor_value_info("yc", T.FLOAT, [1, B, H])],
        [nh.from_array(W, "W"), nh.from_array(R, "R"), nh.from_array(Bias, "B"),
         nh.from_array(h0, "h0"), nh.from_array(c0, "c0")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]),
              os.path.join(d, "lstm.onnx"))
    # If on Equal(mode, 1): the then branch doubles x, the else branch
    # negates it; its own branch computes a constant from Size(Shape(x)),
    # Not and Cast to bool (the folds the Silero model needs), and torch's
    # F.pad pads (Concat -> Reshape -> Slice step -1 -> Transpose ->
    # Reshape) feed a Pad.
    then_g = helper.make_graph(
        [helper.make_node("Add", ["x2", "x2"], ["t"], name="double")], "then", [],
        [helper.make_tensor_value_info("t", T.FLOAT, [S, B, I])])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["x2"], ["e"], name="negate")], "else", [],
        [helper.make_tensor_value_info("e", T.FLOAT, [S, B, I])])
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Size", ["shape"], ["rank"], name="size"),
        helper.make_node("Equal", ["rank", "three"], ["is3"], name="eq3"),
        helper.make_node("Not", ["is3"], ["not3"], name="not3"),
        helper.make_node("Not", ["not3"], ["yes"], name="yes"),
        helper.make_node("Cast", ["yes"], ["yes_b"], name="cast", to=T.BOOL),
        helper.make_node("If", ["yes_b"], ["x2"], name="if_rank",
                         then_branch=helper.make_graph(
                             [helper.make_node("Identity", ["x"], ["xi"], name="id")],
                             "t0", [], [helper.make_tensor_value_info("xi", T.FLOAT, [S, B, I])]),
                         else_branch=helper.make_graph(
                             [helper.make_node("Neg", ["x"], ["xn"], name="neg0")],
                             "e0", [], [helper.make_tensor_value_info("xn", T.FLOAT, [S, B, I])])),
        helper.make_node("Equal", ["mode", "one"], ["cond"], name="eq"),
        helper.make_node("If", ["cond"], ["y"], name="if_mode", then_branch=then_g,
                         else_branch=else_g),
        helper.make_node("Concat", ["pads_a", "pads_b"], ["pads_c"], name="pcat", axis=0),
        helper.make_node("Reshape", ["pads_c", "m1_2"], ["pads_r"], name="pres"),
        helper.make_node("Slice", ["pads_r", "m1", "big_neg", "zero", "m1"], ["pads_s"],
                         name="pslice"),
        helper.make_node("Transpose", ["pads_s"], ["pads_t"], name="ptr", perm=[1, 0]),
        helper.make_node("Reshape", ["pads_t", "m1"], ["pads"], name="pflat"),
        helper.make_node("Pad", ["y", "pads"], ["z"], name="pad"),
    ]
    g = helper.make_graph(
        nodes, "control",
        [helper.make_tensor_value_info("x", T.FLOAT, [S, B, I]),
         helper.make_tensor_value_info("mode", T.INT64, [])],
        [helper.make_tensor_value_info("z", T.FLOAT, [S, B + 2, I + 1])],
        [nh.from_array(np.array(3, np.int64), "three"),
         nh.from_array(np.array(1, np.int64), "one"),
         nh.from_array(np.array([0, 1, 2], np.int64), "pads_a"),
         nh.from_array(np.array([0, 0, 0], np.int64), "pads_b"),
         nh.from_array(np.array([-1, 2], np.int64), "m1_2"),
         nh.from_array(np.array([-1], np.int64), "m1"),
         nh.from_array(np.array([-9223372036854775807], np.int64), "big_neg"),
         nh.from_array(np.array([0], np.int64), "zero")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]),
              os.path.join(d, "control.onnx"))
    # Comparisons on run-time values (bool tensors), cast to float.
    nodes = [helper.make_node("Greater", ["x", "zero_f"], ["gt"], name="gt"),
             helper.make_node("Less", ["x", "half"], ["lt"], name="lt"),
             helper.make_node("Not", ["lt"], ["ge"], name="ge"),
             helper.make_node("Equal", ["gt", "ge"], ["eq"], name="eq"),
             helper.make_node("Cast", ["gt"], ["y0"], name="c0", to=T.FLOAT),
             helper.make_node("Cast", ["ge"], ["y1"], name="c1", to=T.FLOAT),
             helper.make_node("Cast", ["eq"], ["y2"], name="c2", to=T.FLOAT)]
    g = helper.make_graph(
        nodes, "cmp", [helper.make_tensor_value_info("x", T.FLOAT, [S, B, I])],
        [helper.make_tensor_value_info(n, T.FLOAT, [S, B, I]) for n in ("y0", "y1", "y2")],
        [nh.from_array(np.array(0.0, np.float32), "zero_f"),
         nh.from_array(np.array([0.5], np.float32), "half")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]),
              os.path.join(d, "cmp.onnx"))
else:
    x = np.load(os.path.join(d, "x.npy"))
    gt, ge = x > 0, ~(x < 0.5)
    got = [np.load(os.path.join(d, "cmp", "out%d.npy" % i)) for i in range(3)]
    print("cmp", all(np.array_equal(a, b.astype(np.float32))
                     for a, b in zip(got, (gt, ge, gt == ge))))
    y, yh, yc = lstm(x.astype(np.float64), h0[0].astype(np.float64),
                     c0[0].astype(np.float64))
    got = [np.load(os.path.join(d, "lstm", "out%d.npy" % i)) for i in range(3)]
    print("lstm", all(a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-5)
                      for a, b in zip(got, (y, yh, yc))))
    # The pads as torch writes them, pairs from the last dimension:
    # [0, 1, 2, 0, 0, 0] -> rows [[0, 1], [2, 0], [0, 0]], reversed
    # [[0, 0], [2, 0], [0, 1]], transposed [[0, 2, 0], [0, 0, 1]]: ONNX's
    # begins (0, 2, 0) and ends (0, 0, 1).
    for mode, f in ((1, lambda v: 2 * v), (0, lambda v: -v)):
        want = np.pad(f(x), ((0, 0), (2, 0), (0, 1)))
        z = np.load(os.path.join(d, "control%d" % mode, "out0.npy"))
        print("if mode=%d" % mode, z.shape == want.shape and np.array_equal(z, want))
