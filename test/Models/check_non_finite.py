#!/usr/bin/python3
"""The non-finite policies of docs/Numerics.md, end to end on the example
CNN: six Fashion-MNIST test images, of which image 1 has one NaN pixel,
image 3 is all +Inf and image 5 has one -Inf pixel. Runs the float model,
its static int8 form with non-finite=saturate (the default), propagate
(per batch row) and propagate-all, through the reference lowering and
--qnt-codegen, and prints, per variant, which rows hold a non-finite
logit and whether --qnt-codegen gives the reference's bits (the float
model: the same non-finite rows), and whether propagate's finite rows are
saturate's bits.

Usage: check_non_finite.py BINDIR MODEL STATS WORKDIR
"""
import os
import subprocess
import sys

import numpy as np

bindir, model, stats, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
x = np.load(os.path.join(here, "data", "t10k-images-1000.npy"))[:6]
x = (x.astype(np.float32) / 255).reshape(6, 28, 28, 1)
x[1, 10, 10, 0] = np.nan
x[3] = np.inf
x[5, 0, 27, 0] = -np.inf
np.save(os.path.join(work, "x.npy"), x)


def run(*cmd):
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)


def logits(source, name, codegen):
    path = source
    if codegen:
        path = os.path.join(work, name + ".fast.mlir")
        run(f"{bindir}/quant-opt", source, "--qnt-codegen", "-o", path)
    out = os.path.join(work, name + (".fast" if codegen else ".ref"))
    run(f"{bindir}/quant-run", path, "--entry", "main", "--input",
        os.path.join(work, "x.npy"), "--output-dir", out, "--non-finite=ignore")
    return np.load(os.path.join(out, "out0.npy"))


variants = {"float": model}
for policy in ("saturate", "propagate", "propagate-all"):
    q = os.path.join(work, f"{policy}.mlir")
    run(f"{bindir}/quant-opt", model,
        f"--qnt-quantize=activations=static stats={stats} non-finite={policy}",
        "-o", q)
    variants[policy] = q
results = {}
for name, source in variants.items():
    ref = logits(source, name, False)
    fast = logits(source, name, True)
    bad = [i for i in range(len(ref)) if not np.isfinite(ref[i]).all()]
    nan_rows = [i for i in range(len(ref)) if np.isnan(ref[i]).all()]
    if name == "float":
        # Float kernels round differently (FMA): the same rows, not bits.
        fast_bad = [i for i in range(len(fast)) if not np.isfinite(fast[i]).all()]
        same = "the same non-finite rows" if fast_bad == bad else "DIFFERENT rows"
    else:
        same = "the same bits" if ref.tobytes() == fast.tobytes() else "DIFFERENT"
    print(f"{name}: non-finite rows {bad}, all-NaN rows {nan_rows}, "
          f"--qnt-codegen {same}")
    results[name] = ref
good = [0, 2, 4]
print("propagate's finite rows are saturate's:",
      results["propagate"][good].tobytes() == results["saturate"][good].tobytes())
