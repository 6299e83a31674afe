"""ONNX's own node tests (Debian's libonnx-testdata) through quant-import-onnx
and quant-run, against the outputs ONNX stores with each test.

Usage: run_node_tests.py BINDIR WORKDIR [TESTDATA] [--table]

Every test whose model uses only ops the importer knows (SUPPORTED) is
imported and run on its stored inputs; float outputs must match the stored
outputs within RTOL/ATOL. A test the importer rejects must be rejected with
a message naming the node ("unsupported"); a wrong result or a crash is a
failure. Prints one line per test and a summary per op (--table: the
markdown table of docs/Import.md).
"""
import glob
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

SUPPORTED = {"Abs", "Add", "AveragePool", "Constant", "Conv", "Div", "Dropout",
             "Exp", "Flatten", "Gemm", "GlobalAveragePool", "Identity",
             "MatMul", "MaxPool", "Mul", "Neg", "Relu", "Reshape", "Sigmoid",
             "Softmax", "Sqrt", "Sub", "Tanh", "Transpose", "QuantizeLinear",
             "DequantizeLinear", "Erf", "Log", "LeakyRelu", "HardSigmoid",
             "HardSwish", "Clip", "Pow", "Squeeze", "Unsqueeze", "Concat",
             "Pad", "Slice", "Cast", "ReduceMean", "BatchNormalization",
             "MatMulInteger", "ConvInteger", "QLinearMatMul", "QLinearConv",
             "Split", "Gather", "LayerNormalization", "Shape",
             "ConstantOfShape", "Range", "Expand", "DynamicQuantizeLinear",
             "ConvTranspose", "Resize", "GatherElements", "Equal", "Greater",
             "Less", "Not", "LSTM", "Size", "If"}
# Quantization ops must match exactly.
EXACT = {"QuantizeLinear", "DequantizeLinear", "MatMulInteger", "ConvInteger",
         "QLinearMatMul", "QLinearConv", "DynamicQuantizeLinear"}
# Ops whose other inputs (scales, zero points, target shapes) the importer
# needs as constants, while the node tests feed them as graph inputs: those
# inputs become initializers holding the test's stored values ("frozen").
FREEZE = {"QuantizeLinear", "DequantizeLinear", "Reshape", "Squeeze",
          "Unsqueeze", "Pad", "Slice", "ReduceMean", "MatMulInteger",
          "ConvInteger", "QLinearMatMul", "QLinearConv", "Split",
          "Expand", "Resize", "ConvTranspose", "LSTM"}
# Ops whose every input must be constant: all graph inputs are frozen.
FREEZE_ALL = {"ConstantOfShape", "Range"}
RTOL, ATOL = 1e-5, 1e-5

bindir, workdir = sys.argv[1], sys.argv[2]
rest = [a for a in sys.argv[3:] if not a.startswith("--")]
testdata = rest[0] if rest else "/usr/share/libonnx-testdata/data/node"
os.makedirs(workdir, exist_ok=True)

results = {}  # op -> [passed, unsupported, failed]
failures = 0
for test in sorted(glob.glob(os.path.join(testdata, "test_*"))):
    name = os.path.basename(test)
    model_path = os.path.join(test, "model.onnx")
    if not os.path.exists(model_path):
        continue
    model = onnx.load(model_path)
    ops = {n.op_type for n in model.graph.node}
    if not ops or not ops <= SUPPORTED:
        continue
    op = sorted(ops - {"Constant"})[0] if ops - {"Constant"} else "Constant"
    counts = results.setdefault(op, [0, 0, 0])
    out_mlir = os.path.join(workdir, name + ".mlir")
    first = 0 if ops & FREEZE_ALL else 1
    if (ops & (FREEZE | FREEZE_ALL)) and len(model.graph.input) > first:
        data0 = os.path.join(test, "test_data_set_0")
        for i, v in enumerate(list(model.graph.input)[first:], start=first):
            t = onnx.TensorProto()
            with open(os.path.join(data0, f"input_{i}.pb"), "rb") as f:
                t.ParseFromString(f.read())
            t.name = v.name
            model.graph.initializer.append(t)
        del model.graph.input[first:]
        model_path = os.path.join(workdir, name + ".frozen.onnx")
        onnx.save(model, model_path)
    r = subprocess.run([f"{bindir}/quant-import-onnx", model_path, "-o", out_mlir],
                       capture_output=True, text=True)
    if r.returncode != 0:
        message = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        if ("node '" in message or "graph input '" in message) and "Stack dump" not in r.stderr:
            counts[1] += 1
            print(f"unsupported {name}: {message}")
        else:
            counts[2] += 1
            failures += 1
            print(f"FAIL {name}: importer failed without naming a node: {r.stderr.strip()}")
        continue
    for data in sorted(glob.glob(os.path.join(test, "test_data_set_*"))):
        inputs = []
        initializers = {t.name for t in model.graph.initializer}
        feeds = [v.name for v in model.graph.input if v.name not in initializers]
        for i in range(len(feeds)):
            t = onnx.TensorProto()
            with open(os.path.join(data, f"input_{i}.pb"), "rb") as f:
                t.ParseFromString(f.read())
            path = os.path.join(workdir, f"{name}.in{i}.npy")
            np.save(path, numpy_helper.to_array(t))
            inputs += ["--input", path]
        outdir = os.path.join(workdir, name + ".out")
        r = subprocess.run([f"{bindir}/quant-run", out_mlir, "--entry", "main",
                            *inputs, "--output-dir", outdir],
                           capture_output=True, text=True)
        if r.returncode != 0:
            counts[2] += 1
            failures += 1
            print(f"FAIL {name}: quant-run: {r.stderr.strip()}")
            break
        ok = True
        for j in range(len(model.graph.output)):
            t = onnx.TensorProto()
            with open(os.path.join(data, f"output_{j}.pb"), "rb") as f:
                t.ParseFromString(f.read())
            want = numpy_helper.to_array(t)
            got = np.load(os.path.join(outdir, f"out{j}.npy"))
            exact = ops & EXACT
            if got.shape != want.shape or (
                    not np.array_equal(got, want) if exact else
                    not np.allclose(got, want, rtol=RTOL, atol=ATOL)):
                ok = False
                err = np.abs(got.astype(np.float64) - want).max() if got.shape == want.shape else "shape"
                print(f"FAIL {name}: output {j} differs ({got.shape} vs {want.shape}, max |diff| {err})")
        if not ok:
            counts[2] += 1
            failures += 1
            break
    else:
        counts[0] += 1
        print(f"PASS {name}")

total = [sum(c[i] for c in results.values()) for i in range(3)]
if "--table" in sys.argv:
    print("| op | passed | rejected with a message | failed |")
    print("|---|---|---|---|")
    for op, (p, u, f) in sorted(results.items()):
        print(f"| {op} | {p} | {u} | {f} |")
print(f"summary: {total[0]} passed, {total[1]} unsupported, {total[2]} failed")
sys.exit(1 if failures else 0)
