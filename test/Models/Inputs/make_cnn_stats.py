#!/usr/bin/python3
"""Writes cnn-stats.json: the input range of every layer of the example CNN
over the 1000 test images in ../data, computed with numpy from the trained
weights (examples/fashion-mnist/weights/cnn.npz). Run once with Debian's
python3; the output is checked in."""
import json
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..", "..")
w = np.load(os.path.join(root, "examples", "fashion-mnist", "weights", "cnn.npz"))
x = np.load(os.path.join(here, "..", "data", "t10k-images-1000.npy")).astype(np.float32) / 255
x = x[:, :, :, None]  # NHWC


def conv3x3_relu(a, weight, bias):
    """3x3, padding 1, stride 1; weight [OC, IC, 3, 3] (torch)."""
    n, h, wd, c = a.shape
    p = np.pad(a, ((0, 0), (1, 1), (1, 1), (0, 0)))
    cols = np.stack([p[:, i:i + h, j:j + wd, :] for i in range(3) for j in range(3)], axis=3)
    k = weight.transpose(2, 3, 1, 0).reshape(9, c, -1)  # [9, IC, OC]
    return np.maximum(np.einsum("nhwkc,kco->nhwo", cols, k) + bias, 0)


def maxpool2(a):
    n, h, wd, c = a.shape
    return a.reshape(n, h // 2, 2, wd // 2, 2, c).max(axis=(2, 4))


h1 = maxpool2(conv3x3_relu(x, w["conv1.weight"], w["conv1.bias"]))
h2 = maxpool2(conv3x3_relu(h1, w["conv2.weight"], w["conv2.bias"]))
ranges = {name: {"min": float(a.min()), "max": float(a.max())}
          for name, a in (("conv1", x), ("conv2", h1), ("fc", h2))}
with open(os.path.join(here, "cnn-stats.json"), "w") as f:
    json.dump({"version": 1, "activations": ranges}, f, indent=2)
    f.write("\n")
