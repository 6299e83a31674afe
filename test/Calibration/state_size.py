#!/usr/bin/python3
"""Prints, per observer of a stats file, how many values it saw and how many
numbers of state it keeps (histogram bins + per-channel extremes + scalars):
the state must not grow with the number of samples.

Usage: state_size.py stats.json
"""
import json
import sys

s = json.load(open(sys.argv[1]))
for name in sorted(s["activations"]):
    o = s["activations"][name]
    state = len(o["histogram"]["counts"]) + len(o.get("channel_min", [])) \
        + len(o.get("channel_max", [])) + 9
    print(f"{name}: values {o['count']} state {state}")
