#!/usr/bin/python3
"""Writes the calibration test data: Fashion-MNIST images from
test/Models/data as float32 x/255, NHWC [N, 28, 28, 1] (the example CNN's
input), split into a calibration set (the first 640 images) and its two
shards (640 = 400 + 240, both multiples of the batch size 16 the tests use).

Usage: make_data.py OUTDIR
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
images = np.load(os.path.join(HERE, "..", "..", "Models", "data", "t10k-images-1000.npy"))
x = (images.astype(np.float32) / np.float32(255)).reshape(-1, 28, 28, 1)
np.save(os.path.join(out, "calib.npy"), x[:640])
np.save(os.path.join(out, "shard0.npy"), x[:400])
np.save(os.path.join(out, "shard1.npy"), x[400:640])
np.save(os.path.join(out, "small.npy"), x[:64])
np.save(os.path.join(out, "mismatch.npy"), x[:10])
