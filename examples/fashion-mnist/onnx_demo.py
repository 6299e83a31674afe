"""The ONNX part of the demo: the example CNN as an ONNX file
(export_onnx.py), imported with quant-import-onnx, run in float and as an
int8 model (--qnt-quantize, static activations calibrated on 1000 images,
--qnt-codegen), with accuracy and agreement on the Fashion-MNIST test set.

    /usr/bin/python3 onnx_demo.py BUILD_BIN_DIR WORKDIR
"""
import os
import subprocess
import sys
import time

import numpy as np

import fmnist

bindir, work = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
os.makedirs(work, exist_ok=True)


def run(*args):
    subprocess.run(args, check=True, stderr=subprocess.DEVNULL)


onnx_path = os.path.join(work, "cnn.onnx")
run(sys.executable, os.path.join(here, "export_onnx.py"), onnx_path)
mlir = os.path.join(work, "cnn.onnx.mlir")
run(f"{bindir}/quant-import-onnx", onnx_path, "-o", mlir)
images, labels = fmnist.load_split("t10k")
x = (images.astype(np.float32) / 255).reshape(-1, 1, 28, 28)
np.save(os.path.join(work, "x.npy"), x)
np.save(os.path.join(work, "calib.npy"), x[:1000])
stats = os.path.join(work, "stats.json")
quantized = os.path.join(work, "cnn.onnx.q.mlir")
run(f"{bindir}/quant-run", mlir, "--entry", "main", "--calibrate", "--data",
    os.path.join(work, "calib.npy"), "--stats", stats, "--quantize-output",
    quantized, "--no-progress")
results = {}
for name, model in (("fp32", mlir), ("int8 static", quantized)):
    fast = model + ".fast.mlir"
    run(f"{bindir}/quant-opt", model, "--qnt-codegen", "-o", fast)
    out = os.path.join(work, name.replace(" ", "_"))
    start = time.time()
    run(f"{bindir}/quant-run", fast, "--entry", "main", "--input",
        os.path.join(work, "x.npy"), "--output-dir", out)
    logits = np.load(os.path.join(out, "out0.npy"))
    results[name] = (logits.argmax(1), time.time() - start)
print(f"{'model':<14}{'accuracy':>10}{'agreement':>11}")
for name, (pred, _) in results.items():
    agree = (pred == results["fp32"][0]).mean()
    print(f"{name:<14}{(pred == labels).mean():>10.4f}{agree:>11.4f}")
