"""Checks error_table.py's bf16 and f16 rows (max abs error, MSE, SQNR as
printed) against NumPy: bf16 by round-to-nearest-even on the f32 bit
pattern (NaN-free inputs), f16 by numpy's float16 cast.
Usage: error-table.test.py EXAMPLE_DIR TABLE.txt"""
import os
import sys

import numpy as np

here, table = sys.argv[1], sys.argv[2]
rows = {}
for line in open(table):
    f = line.split()
    if len(f) == 7 and f[3] == "cast":
        rows[(f[0], f[1])] = (float(f[4]), float(f[5]), float(f[6]))


def bf16(x):
    b = x.view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000
    return b.astype(np.uint32).view(np.float32)


for name in ("weights", "activations"):
    x = np.load(os.path.join(here, name + ".npy"))
    for half, fn in (("bf16", bf16), ("f16", lambda v: v.astype(np.float16).astype(np.float32))):
        err = fn(x).astype(np.float64) - x.astype(np.float64)
        mse = np.mean(err ** 2)
        want = (np.max(np.abs(err)), mse, 10 * np.log10(np.mean(x.astype(np.float64) ** 2) / mse))
        got = rows.get((name, half))
        same = got is not None and all(
            abs(g - w) <= 5e-4 * abs(w) + 5e-3 * (i == 2) for i, (g, w) in enumerate(zip(got, want)))
        print(f"{name} {half} {'as NumPy' if same else f'DIFFERS: {got} vs {want}'}")
