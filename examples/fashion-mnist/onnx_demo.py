"""The ONNX part of the demo: the example CNN as an ONNX file
(export_onnx.py), imported with quant-import-onnx, run in float and as an
int8 model (--qnt-quantize, static activations calibrated on 1000 images,
--qnt-codegen), with accuracy and agreement on the Fashion-MNIST test set;
and, when bench/ort has npm's onnxruntime-node installed, the same file in
ONNX Runtime: its accuracy, our agreement with it, and the time of a
1000-image batch in each engine (median of 5 calls, one thread; printed,
never asserted).

    /usr/bin/python3 onnx_demo.py BUILD_BIN_DIR WORKDIR
"""
import re
import shutil
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

# ONNX Runtime on the same file, when it is installed (scripts/demo.sh).
ort_dir = os.path.join(here, "..", "..", "bench", "ort")
if not (shutil.which("node") and
        os.path.isdir(os.path.join(ort_dir, "node_modules", "onnxruntime-node"))):
    print("(ONNX Runtime comparison skipped: bench/ort has no onnxruntime-node)")
    sys.exit(0)


def ort(batch, out):
    path = os.path.join(work, f"x{len(batch)}.f32")
    batch.astype(np.float32).tofile(path)
    r = subprocess.run(["node", os.path.join(ort_dir, "run_ort.mjs"), onnx_path, path,
                        ",".join(map(str, batch.shape)), out, "1", "5"],
                       check=True, capture_output=True, text=True)
    return (np.fromfile(out, np.float32).reshape(len(batch), -1),
            float(r.stdout.split()[-1]))


ort_logits, _ = ort(x, os.path.join(work, "ort.f32"))
ours = np.load(os.path.join(work, "fp32", "out0.npy"))
print(f"{'ONNX Runtime':<14}{(ort_logits.argmax(1) == labels).mean():>10.4f}"
      f"{(ort_logits.argmax(1) == results['fp32'][0]).mean():>11.4f}"
      f"   (max |fp32 logits - ONNX Runtime's| = {np.abs(ours - ort_logits).max():.2e})")
batch = x[:1000]
np.save(os.path.join(work, "x1000.npy"), batch)
_, ort_ms = ort(batch, os.path.join(work, "ort1000.f32"))
print(f"\n1000-image batch, one thread: ONNX Runtime {ort_ms:.1f} ms", end="")
for name, model in (("fp32", mlir), ("int8 static", quantized)):
    r = subprocess.run([f"{bindir}/quant-run", model + ".fast.mlir", "--entry", "main",
                        "--input", os.path.join(work, "x1000.npy"), "--repeat", "5"],
                       check=True, capture_output=True, text=True)
    ms = float(re.search(r"median ([0-9.]+) ms", r.stdout + r.stderr).group(1))
    print(f"; QuantOpt {name} {ms:.1f} ms ({ms / ort_ms:.2f}x ONNX Runtime's time)", end="")
print()
