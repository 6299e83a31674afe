#!/usr/bin/python3
"""Checks that two stats files (docs/Calibration.md) describe the same data:
the same model, observers, counts, batches, min/max, per-channel extremes and
histograms exactly; moving averages within a relative 1e-5 (a merge
continues the average in double and rounds once, a single run rounds at every
batch).

Usage: compare_stats.py A.json B.json
"""
import json
import math
import sys

a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
errors = []
for key in ("version", "model", "histogram_bins", "averaging_constant"):
    if a[key] != b[key]:
        errors.append(f"{key}: {a[key]} != {b[key]}")
if sorted(a["activations"]) != sorted(b["activations"]):
    errors.append("different observers")
for name in sorted(set(a["activations"]) & set(b["activations"])):
    x, y = a["activations"][name], b["activations"][name]
    for key in ("count", "non_finite", "batches", "min", "max", "first_min", "first_max",
                "histogram", "channel_axis", "channel_min", "channel_max"):
        if x.get(key) != y.get(key):
            errors.append(f"{name}.{key} differs")
    for key in ("moving_min", "moving_max"):
        if not math.isclose(x[key], y[key], rel_tol=1e-5, abs_tol=1e-12):
            errors.append(f"{name}.{key}: {x[key]} != {y[key]}")
    print(f"{name}: count {x['count']} batches {x['batches']} "
          f"histogram 2^{x['histogram']['log2_width']} x {len(x['histogram']['counts'])} bins: "
          + ("same" if not errors else "DIFFERENT"))
if errors:
    print("\n".join(errors))
    sys.exit(1)
