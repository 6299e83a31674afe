#!/usr/bin/python3
"""Checks that two stats files (docs/Calibration.md) describe the same data:
the same model, observers, counts, batches, min/max, per-channel extremes and
histograms exactly; moving averages (per tensor and per channel) within a
relative 1e-5 (quant-stats
merge continues the average in double and rounds once, a single run rounds
at every batch), or exactly with --exact-moving (calibration threads replay
their shards' batches in order).

Usage: compare_stats.py A.json B.json [--exact-moving]
"""
import json
import math
import sys

exact = "--exact-moving" in sys.argv
paths = [p for p in sys.argv[1:] if p != "--exact-moving"]
a = json.load(open(paths[0]))
b = json.load(open(paths[1]))
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
        if (x[key] != y[key]) if exact else \
                not math.isclose(x[key], y[key], rel_tol=1e-5, abs_tol=1e-12):
            errors.append(f"{name}.{key}: {x[key]} != {y[key]}")
    # Per-channel moving averages: the same way, channel by channel.
    cx, cy = x.get("channel_moving"), y.get("channel_moving")
    if (cx is None) != (cy is None):
        errors.append(f"{name}.channel_moving: on one side only")
    elif cx is not None:
        for key in ("batches", "first_min", "first_max"):
            if cx[key] != cy[key]:
                errors.append(f"{name}.channel_moving.{key} differs")
        for key in ("min", "max"):
            if len(cx[key]) != len(cy[key]) or any(
                    (u != v) if exact else
                    not math.isclose(u, v, rel_tol=1e-5, abs_tol=1e-12)
                    for u, v in zip(cx[key], cy[key])):
                errors.append(f"{name}.channel_moving.{key}: {cx[key]} != "
                              f"{cy[key]}")
    print(f"{name}: count {x['count']} batches {x['batches']} "
          f"histogram 2^{x['histogram']['log2_width']} x {len(x['histogram']['counts'])} bins: "
          + ("same" if not errors else "DIFFERENT"))
if errors:
    print("\n".join(errors))
    sys.exit(1)
