"""Writes the example tensors of the quantization-error demo (run once with
Debian's python3: /usr/bin/python3 make_data.py; the outputs are checked in).

weights.npy     [64, 256] float32: a linear layer's weights, rows with very
                different magnitudes (log-uniform row scales) and a few outliers,
                which is where per-channel and per-block parameters pay off.
activations.npy [32, 256] float32: post-ReLU activations with a heavy tail
                (non-negative, so asymmetric parameters beat symmetric ones).
"""
import os
import numpy as np

rng = np.random.default_rng(20261122)
here = os.path.dirname(os.path.abspath(__file__))

row_scale = np.exp(rng.uniform(np.log(0.01), np.log(1.0), size=(64, 1)))
weights = rng.standard_normal((64, 256)) * row_scale
outliers = rng.choice(64 * 256, size=12, replace=False)
weights.flat[outliers] *= 8.0
np.save(os.path.join(here, "weights.npy"), weights.astype(np.float32))

pre = rng.standard_t(df=4, size=(32, 256)) * 0.5 + 0.1
np.save(os.path.join(here, "activations.npy"), np.maximum(pre, 0).astype(np.float32))
