# Checks the outputs of float-code.mlir against numpy.
import os
import sys
import numpy as np

inputs, outdir = sys.argv[1], sys.argv[2]
a = np.load(os.path.join(inputs, "f32_3x4.npy"))
b = np.load(os.path.join(inputs, "f32_4x5.npy"))
mm = a @ b
relu = np.maximum(mm, 0)
expected = [mm, relu.T, relu.reshape(-1), mm[1:3], np.pad(relu.T, ((0, 0), (2, 2))), mm.sum(1)]
for i, e in enumerate(expected):
    out = np.load(os.path.join(outdir, f"out{i}.npy"))
    assert out.dtype == np.float32 and out.shape == e.shape, (i, out.dtype, out.shape)
    # Inputs are multiples of 1/32 and sums are short: the results are exact.
    assert np.array_equal(out, e.astype(np.float32)), (i, out, e)
print("float code OK")
