#!/usr/bin/python3
"""Runs a float model and its quantized form on the same inputs and checks
thresholds (no timing).

    check_model.py BINDIR MODEL.mlir OPTIONS WORKDIR [--min-agreement A]
                   [--min-sqnr DB] [--max-sqnr DB] [--expect-layers I/W/F]

MODEL takes a batch of Fashion-MNIST images (x/255 in float32; [N, 784] when
its input is 2-D, NHWC otherwise). OPTIONS is the --qnt-quantize option
string. Prints top-1 accuracy of both, top-1 agreement and the logits' SQNR,
then exits 1 if a threshold is missed. --expect-layers checks the pass's
summary (integer / weight-only / kept in float).
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{result.stderr}")
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bindir")
    p.add_argument("model")
    p.add_argument("options")
    p.add_argument("workdir")
    p.add_argument("--min-agreement", type=float, default=0.0)
    p.add_argument("--min-sqnr", type=float, default=-1e9)
    p.add_argument("--max-sqnr", type=float, default=1e9)
    p.add_argument("--expect-layers", default=None)
    a = p.parse_args()

    os.makedirs(a.workdir, exist_ok=True)
    images = np.load(os.path.join(HERE, "data", "t10k-images-1000.npy"))
    labels = np.load(os.path.join(HERE, "data", "t10k-labels-1000.npy"))
    x = images.astype(np.float32) / np.float32(255)
    with open(a.model) as f:
        flat = "tensor<?x784xf32>" in f.read(4096)
    x = x.reshape(len(x), 784) if flat else x.reshape(len(x), 28, 28, 1)
    inp = os.path.join(a.workdir, "x.npy")
    np.save(inp, x)

    qmodel = os.path.join(a.workdir, "q.mlir")
    res = run([os.path.join(a.bindir, "quant-opt"), a.model,
               f"--qnt-quantize={a.options}", "-o", qmodel])
    summary = re.search(r"(\d+) integer, (\d+) weight-only, (\d+) kept in float",
                        res.stderr)
    layers = "/".join(summary.groups()) if summary else "?"

    outs = {}
    for name, model in (("float", a.model), ("quant", qmodel)):
        d = os.path.join(a.workdir, name)
        run([os.path.join(a.bindir, "quant-run"), model, "--entry", "main",
             "--input", inp, "--output-dir", d])
        outs[name] = np.load(os.path.join(d, "out0.npy")).astype(np.float64)
    f, q = outs["float"], outs["quant"]
    acc_f = float(np.mean(f.argmax(1) == labels))
    acc_q = float(np.mean(q.argmax(1) == labels))
    agree = float(np.mean(f.argmax(1) == q.argmax(1)))
    sqnr = 10 * np.log10(np.sum(f ** 2) / np.sum((q - f) ** 2))
    print(f"{os.path.basename(a.model)} [{a.options}] layers {layers}: "
          f"float top-1 {acc_f:.4f}, quantized top-1 {acc_q:.4f}, "
          f"agreement {agree:.4f}, SQNR {sqnr:.2f} dB")
    ok = True
    if agree < a.min_agreement:
        print(f"agreement {agree:.4f} < {a.min_agreement}"); ok = False
    if not (a.min_sqnr <= sqnr <= a.max_sqnr):
        print(f"SQNR {sqnr:.2f} outside [{a.min_sqnr}, {a.max_sqnr}]"); ok = False
    if a.expect_layers and layers != a.expect_layers:
        print(f"layers {layers} != expected {a.expect_layers}"); ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
