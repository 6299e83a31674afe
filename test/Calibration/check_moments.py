"""Checks quant-stats moments' .npy files for moments.test against numpy:
fc1 sees the data x itself, fc2 relu(x @ W1) (computed here in float64; the
compiled float32 matmul differs in the last bits, hence the tolerance)."""
import json
import sys

import numpy as np

out, data, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
x = np.load(data).astype(np.float64)[:rows]
W1 = np.array([[0.5, -1.0, 0.25, 2.0, 1.0], [0.1, 0.2, -0.3, 0.4, 0.5],
               [1.5, 0.0, -0.5, 0.25, -1.0], [-0.75, 0.5, 1.0, 0.0, 0.3],
               [0.2, 0.2, 0.2, -0.2, 0.6], [1.0, -1.0, 0.5, 0.5, 0.0]])
index = json.load(open(out + "/moments.json"))
for layer, inp, tol in (("fc1", x, 1e-12), ("fc2", np.maximum(x @ W1, 0), 1e-5)):
    e = index["layers"][layer]
    f = {k: np.load(out + "/" + v) for k, v in e["files"].items()}
    ok = (e["rows"] == len(inp) and e["kind"] == "hessian"
          and np.allclose(f["abs_max"], np.abs(inp).max(0), rtol=tol, atol=tol)
          and np.allclose(f["mean_abs"], np.abs(inp).mean(0), rtol=tol, atol=tol)
          and np.allclose(f["mean"], inp.mean(0), rtol=tol, atol=tol)
          and np.allclose(f["xtx"], inp.T @ inp, rtol=tol, atol=tol)
          and f["xtx"].dtype == np.float64 and f["abs_max"].dtype == np.float32)
    print(layer, e["channels"], e["rows"], "ok" if ok else "WRONG")
