#!/usr/bin/python3
"""Writes mlp-stats.json: the input range of every layer of the example MLP
over the 1000 test images in ../data, computed with numpy from the trained
weights (examples/fashion-mnist/weights/mlp.npz). Run once with Debian's
python3; the output is checked in. (The Calibration issue will produce such
files with quant-run.)"""
import json
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..", "..")
w = np.load(os.path.join(root, "examples", "fashion-mnist", "weights", "mlp.npz"))
x = np.load(os.path.join(here, "..", "data", "t10k-images-1000.npy")).astype(np.float32) / 255
x = x.reshape(len(x), 784)
h1 = np.maximum(x @ w["fc1.weight"].T + w["fc1.bias"], 0)
h2 = np.maximum(h1 @ w["fc2.weight"].T + w["fc2.bias"], 0)
ranges = {name: {"min": float(a.min()), "max": float(a.max())}
          for name, a in (("fc1", x), ("fc2", h1), ("fc3", h2))}
with open(os.path.join(here, "mlp-stats.json"), "w") as f:
    json.dump({"version": 1, "activations": ranges}, f, indent=2)
    f.write("\n")
