"""compare_stats.py A.json B.json RTOL: two statistics files of the same
model agree: the same observers and entries, every float within RTOL
(relative to the largest magnitude of its array), histogram counts within
0.1% of the samples in each bin's neighbourhood (a value on a bin edge may
fall on either side when its last bit differs)."""
import json
import sys

import numpy as np

a, b = (json.load(open(p)) for p in sys.argv[1:3])
rtol = float(sys.argv[3])
assert a.keys() == b.keys(), (a.keys(), b.keys())
assert a["activations"].keys() == b["activations"].keys()
checked = 0


def entries(x, y, prefix=""):
    """The (key, u, v) pairs of two observers, nested objects flattened
    (channel_moving's arrays), histograms kept whole."""
    assert x.keys() == y.keys(), prefix
    for key in x:
        if isinstance(x[key], dict) and key != "histogram":
            yield from entries(x[key], y[key], prefix + key + ".")
        else:
            yield prefix + key, x[key], y[key]


for name, x in a["activations"].items():
    y = b["activations"][name]
    assert x.keys() == y.keys(), name
    for key, u, v in entries(x, y):
        if key == "histogram":
            cu, cv = np.array(u["counts"]), np.array(v["counts"])
            assert cu.sum() == cv.sum(), (name, "histogram totals")
            assert np.abs(np.cumsum(cu) - np.cumsum(cv)).max() <= max(2, 1e-3 * cu.sum()), name
            for k in u:
                if k != "counts":
                    np.testing.assert_allclose(u[k], v[k], rtol=rtol, err_msg=f"{name}.histogram.{k}")
        elif isinstance(u, (int, float, list)):
            ua, va = np.array(u, dtype=np.float64), np.array(v, dtype=np.float64)
            scale = max(np.abs(ua).max() if ua.size else 0.0, 1e-30)
            assert np.abs(ua - va).max(initial=0.0) <= rtol * scale, (name, key)
        else:
            assert u == v, (name, key)
        checked += 1
print(f"{checked} statistics agree")
