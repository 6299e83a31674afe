"""Writes the trained Fashion-MNIST CNN (weights/cnn.npz, made by train.py)
as an ONNX model, the way torch.onnx exports it (NCHW, Conv with bias, Relu,
MaxPool, Flatten, Gemm with transB), with a dynamic batch "N":

    /usr/bin/python3 export_onnx.py OUT.onnx

Built with python3-onnx (onnx.helper), so it needs neither torch nor the
network; the demo imports it with quant-import-onnx (docs/Import.md).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
w = np.load(os.path.join(here, "weights", "cnn.npz"))
inits = {k.replace(".", "_"): v.astype(np.float32) for k, v in w.items()}
nodes = [
    helper.make_node("Conv", ["x", "conv1_weight", "conv1_bias"], ["c1"], name="conv1",
                     pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
    helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
    helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Conv", ["p1", "conv2_weight", "conv2_bias"], ["c2"], name="conv2",
                     pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
    helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
    helper.make_node("MaxPool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Flatten", ["p2"], ["f"], name="flatten", axis=1),
    helper.make_node("Gemm", ["f", "fc_weight", "fc_bias"], ["logits"], name="fc", transB=1),
]
graph = helper.make_graph(
    nodes, "fashion_mnist_cnn",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 28, 28])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
    [numpy_helper.from_array(v, k) for k, v in inits.items()])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="quantopt-examples")
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
