#!/usr/bin/python3
"""torch.ao's HistogramObserver as the oracle of TorchHistogramTest.cpp.

Run with Debian's python (python3-torch 1.13):

    /usr/bin/python3 unittests/Calibration/data/gen_torch_histogram.py

Writes torch_histogram.json next to this script: for every case the batches
fed to torch.ao.quantization.HistogramObserver (in order), the observer's
state after them (min_val, max_val, the histogram) and what
calculate_qparams gives (the searched new_min / new_max, scale and zero
point). Batch data and float32 results are strings of 8-hex-digit float32 bit
patterns, so the C++ test compares bit for bit.

The cases cover torch 1.13's own behaviour, which the C++ reproduces: the
histogram of a batch is torch.histc over [int(min), int(max)] (Python's
int() truncates; values outside are dropped, and an empty range takes the
batch's own min/max), later batches are combined by upsampling the old
histogram, and the search minimizes the L2 error over 256 destination bins.

Deterministic (fixed seeds).
"""

import json
import os

import numpy as np
import torch
from torch.ao.quantization import observer as tobs

HERE = os.path.dirname(os.path.abspath(__file__))
F32 = np.float32


def f32_hex(values):
    a = np.ascontiguousarray(np.asarray(values, dtype=F32).ravel())
    return "".join("%08x" % int(v) for v in a.view(np.uint32))


def run(name, batches, dtype=torch.quint8, qscheme=torch.per_tensor_affine,
        reduce_range=False, quant_min=None, quant_max=None, bins=2048,
        upsample_rate=128):
    obs = tobs.HistogramObserver(bins=bins, upsample_rate=upsample_rate,
                                 dtype=dtype, qscheme=qscheme,
                                 reduce_range=reduce_range,
                                 quant_min=quant_min, quant_max=quant_max)
    for b in batches:
        obs(torch.from_numpy(np.asarray(b, F32)))
    new_min, new_max = obs._non_linear_param_search()
    scale, zero_point = obs.calculate_qparams()
    return {
        "name": name,
        "dtype": "qint8" if dtype == torch.qint8 else "quint8",
        "qscheme": "symmetric" if qscheme == torch.per_tensor_symmetric
                   else "affine",
        "reduce_range": reduce_range,
        "quant_min": quant_min, "quant_max": quant_max,
        "bins": bins, "upsample_rate": upsample_rate,
        "qmin": int(obs.quant_min), "qmax": int(obs.quant_max),
        "batches": [f32_hex(b) for b in batches],
        "min_val": f32_hex([obs.min_val.item()]),
        "max_val": f32_hex([obs.max_val.item()]),
        "histogram": f32_hex(obs.histogram.numpy()),
        "new_min": f32_hex([new_min.item()]),
        "new_max": f32_hex([new_max.item()]),
        "scale": f32_hex([scale.item()]),
        "zero_point": int(zero_point.item()),
    }


def main():
    rng = np.random.default_rng(1205)
    n = lambda mu, sd, k=2000: rng.normal(mu, sd, k).astype(F32)
    normal3 = [n(0, 1), n(0.5, 2), n(-1, 0.5)]
    cases = [
        run("normal3_quint8_affine", normal3),
        run("normal3_qint8_symmetric", normal3, torch.qint8,
            torch.per_tensor_symmetric),
        run("normal3_qint8_affine_reduce", normal3, torch.qint8,
            reduce_range=True),
        # |x| < 1: int(min) = int(max) = 0, so histc takes the batch's own
        # range; then a wider batch.
        run("small_then_wide", [rng.uniform(-0.9, 0.8, 1500).astype(F32),
                                rng.uniform(-0.7, 0.95, 1500).astype(F32),
                                n(0, 4, 1500)]),
        # One batch over [-2.7, 3.9]: histc over [-2, 3] drops the rest.
        run("truncated_range", [rng.uniform(-2.7, 3.9, 2000).astype(F32)]),
        # Non-negative (after a ReLU).
        run("relu3", [np.maximum(n(0.5, 3), 0), np.maximum(n(1, 5), 0),
                      np.maximum(n(0, 2), 0)]),
        # A constant first batch (min == max: the next batch starts over).
        run("constant_then_normal", [np.full(100, 1.5, F32), n(0, 1)]),
        # Integer-valued data: many equal values, empty bins.
        run("discrete", [rng.integers(-20, 30, 2000).astype(F32),
                         rng.integers(-40, 10, 2000).astype(F32)]),
        # A small batch, then a narrower one inside the range.
        run("small_batches", [n(0, 10, 17), n(0, 1, 9)]),
        # quint8 with a custom range (the search still uses 256 bins).
        run("custom_range", normal3[:2], quant_min=0, quant_max=15),
        run("symmetric_quint8", normal3[:2], qscheme=torch.per_tensor_symmetric),
        # Other bin counts: torch's histc divides before it multiplies.
        run("bins256", normal3, bins=256, upsample_rate=16),
        # Wide ranges.
        run("wide", [n(0, 1000), n(100, 1500)]),
        # A narrow first batch, then a wide one: a downsample rate in the
        # ten thousands (a grid of 10^8 cells).
        run("narrow_then_wide", [rng.uniform(0.5, 0.55, 500).astype(F32),
                                 n(0, 3, 500)]),
    ]
    with open(os.path.join(HERE, "torch_histogram.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=0)
        f.write("\n")
    print("wrote %d cases (torch %s)" % (len(cases), torch.__version__))


if __name__ == "__main__":
    main()
