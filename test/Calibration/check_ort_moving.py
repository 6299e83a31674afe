"""Calibration with the onnxruntime profile against a NumPy transcription of
ONNX Runtime's MinMaxCalibrater (onnxruntime/python/tools/quantization/
calibrate.py; the Python package is not in Debian): the calibrated tensor's
ReduceMin and ReduceMax (reshaped to [1]) per batch, and over the batches of
one collection their minimum and maximum, or with moving_average=True their
numpy.mean; then compute_scale_zp (../quant-params/ort_quant_utils.py).

One matmul layer is calibrated by quant-run --calibrate --batch-extremes
over 300 batches of 2 rows and over 5 batches of 120 (NumPy's pairwise mean
takes different paths), with --jobs 1 and 2; its statistics must hold every
batch's extremes, and the static input parameters --qnt-quantize
activations=static calibration=minmax|moving-average profile=onnxruntime
gives (and quant-stats params prints) must be ONNX Runtime's, bit for bit.
Prints one line per check; exits non-zero on a mismatch.

usage: check_ort_moving.py BINDIR WORKDIR"""
import json
import os
import sys

import numpy as np

from calib_models import (run, static_input_params, stats_params,
                          write_matmul_model)

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "quant-params"))
from ort_quant_utils import compute_scale_zp, get_qmin_qmax  # noqa: E402

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
K = 16
rng = np.random.default_rng(30)
# Ranges that drift and widen, so that the mean differs from the extremes.
rows = np.concatenate([
    rng.normal(size=(2, K)) * (1 + 0.01 * i) + 0.003 * i for i in range(300)
]).astype(np.float32)
calib = os.path.join(work, "calib.npy")
np.save(calib, rows)
model = os.path.join(work, "model.mlir")
write_matmul_model(model, K)
inst = os.path.join(work, "inst.mlir")
run([os.path.join(bindir, "quant-opt"), model, "--qnt-insert-observers",
     "-o", inst])


def ort_range(batches, moving_average):
    """MinMaxCalibrater.compute_data over one collection."""
    mins = [np.min(b).reshape(1) for b in batches]
    maxs = [np.max(b).reshape(1) for b in batches]
    if moving_average:
        return np.mean(mins, axis=0)[0], np.mean(maxs, axis=0)[0]
    return np.min(mins, axis=0)[0], np.max(maxs, axis=0)[0]


def same(a, b):
    return np.float32(a).view(np.uint32) == np.float32(b).view(np.uint32)


CONFIGS = [("u8", "asymmetric", False), ("i8", "symmetric", False),
           ("i8", "asymmetric", True), ("u8", "symmetric", True)]
failures = 0
for batch_size in (2, 120):
    batches = [rows[i:i + batch_size] for i in range(0, len(rows), batch_size)]
    for jobs in (1, 2):
        stats = os.path.join(work, f"stats-{batch_size}-{jobs}.json")
        run([os.path.join(bindir, "quant-run"), inst, "--entry", "main",
             "--calibrate", "--data", calib, "--batch-size", str(batch_size),
             "--jobs", str(jobs), "--batch-extremes", "--stats", stats])
        (name, observed), = json.load(open(stats))["activations"].items()
        got = observed.get("batch_extremes", [])
        ok = len(got) == len(batches) and all(
            same(lo, np.min(b)) and same(hi, np.max(b))
            for (lo, hi), b in zip(got, batches))
        failures += not ok
        print(f"{len(batches)} batches --jobs {jobs} batch_extremes: " +
              ("identical" if ok else "MISMATCH"))
        for method in ("minmax", "moving-average"):
            rmin, rmax = ort_range(batches, method == "moving-average")
            for storage, scheme, reduce_range in CONFIGS:
                symmetric = scheme == "symmetric"
                qmin, qmax = get_qmin_qmax(storage, reduce_range, symmetric)
                zp, scale = compute_scale_zp(np.array(rmin), np.array(rmax),
                                             qmin, qmax, symmetric)
                options = [f"stats={stats}", f"calibration={method}",
                           "profile=onnxruntime", f"act-storage={storage}",
                           f"act-scheme={scheme}",
                           "reduce-range=" + ("activations" if reduce_range
                                              else "none")]
                attr, q_scale, q_zp = static_input_params(bindir, model,
                                                          options)
                args = ["--calibration", method, "--profile", "onnxruntime",
                        "--act-storage", storage, "--act-scheme", scheme]
                if reduce_range:
                    args.append("--reduce-range")
                params = stats_params(bindir, stats, args)
                ok = (same(q_scale, scale) and q_zp == int(zp) and
                      same(params["scales"][0], scale) and
                      params["zero_points"] == [int(zp)])
                failures += not ok
                label = (f"{len(batches)} batches --jobs {jobs} {method} "
                         f"{storage} {scheme}" +
                         (" reduce_range" if reduce_range else ""))
                print(f"{label}: " + ("identical" if ok else
                      f"MISMATCH {attr} {params} ORT scale {float(scale)!r} "
                      f"zero point {int(zp)} range {rmin!r} {rmax!r}"))
print(f"{failures} mismatches")
sys.exit(1 if failures else 0)
