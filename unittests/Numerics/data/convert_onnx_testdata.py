#!/usr/bin/env python3
"""Converts the ONNX reference cases for QuantizeLinear, DequantizeLinear and
DynamicQuantizeLinear to .npy files for unittests/Numerics/NumericsTest.cpp.

Needs Debian's libonnx-testdata and python3-onnx (and numpy), so run it with
the system interpreter:

    /usr/bin/python3 unittests/Numerics/data/convert_onnx_testdata.py

It was run once; its output in data/onnx/ is checked in. For every case
directory `test_<name>` it writes `onnx/<name>/<tensor>.npy`, one file per
input_*.pb / output_*.pb of test_data_set_0, named after the tensor (the
graph's input and output names: x, y_scale, y_zero_point, y, ...). For
(De)QuantizeLinear it also writes `axis.npy`, an int64 scalar holding the
`axis` attribute (1 when absent, the ONNX default since opset 13).
"""

import glob
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

ONNX_NODE_DIR = "/usr/share/libonnx-testdata/data/node"
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx")
CASES = [
    "test_quantizelinear",
    "test_quantizelinear_axis",
    "test_dequantizelinear",
    "test_dequantizelinear_axis",
    "test_dynamicquantizelinear",
    "test_dynamicquantizelinear_max_adjusted",
    "test_dynamicquantizelinear_min_adjusted",
]


def load_tensor(path):
    tensor = TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return tensor.name, numpy_helper.to_array(tensor)


def convert(case):
    case_dir = os.path.join(ONNX_NODE_DIR, case)
    model = onnx.load(os.path.join(case_dir, "model.onnx"))
    (node,) = model.graph.node
    out_dir = os.path.join(OUT_DIR, case[len("test_"):])
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    input_names = [i.name for i in model.graph.input]
    output_names = [o.name for o in model.graph.output]
    for kind, names in (("input", input_names), ("output", output_names)):
        files = sorted(glob.glob(
            os.path.join(case_dir, "test_data_set_0", kind + "_*.pb")))
        assert len(files) == len(names), (case, kind)
        for i, (path, graph_name) in enumerate(zip(files, names)):
            assert path.endswith("%s_%d.pb" % (kind, i))
            name, array = load_tensor(path)
            # Older test data leaves the tensor name empty.
            name = name or graph_name
            assert name == graph_name, (case, name, graph_name)
            np.save(os.path.join(out_dir, name + ".npy"),
                    np.ascontiguousarray(array), allow_pickle=False)
    if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
        axis = 1
        for attr in node.attribute:
            if attr.name == "axis":
                axis = onnx.helper.get_attribute_value(attr)
        np.save(os.path.join(out_dir, "axis.npy"), np.int64(axis),
                allow_pickle=False)
    print("%-45s %s" % (case, sorted(os.listdir(out_dir))))


def main():
    for case in CASES:
        convert(case)


if __name__ == "__main__":
    main()
