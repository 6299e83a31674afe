"""compare_npy.py A.npy B.npy RTOL: same shape and dtype, values within RTOL
of the largest magnitude."""
import sys

import numpy as np

a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
assert np.abs(a - b).max() <= float(sys.argv[3]) * np.abs(a).max(), np.abs(a - b).max()
