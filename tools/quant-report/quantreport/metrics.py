"""Error metrics between a float reference and a quantized result.

All sums are done in float64 on the float32 (or other) values as dumped.

  SQNR = 10 * log10(sum(ref^2) / sum((ref - q)^2))  dB
         +inf when the two are identical (including both all-zero),
         -inf when the reference is all zero but q is not.
  MSE  = sum((ref - q)^2) / n
  max abs err = max |ref - q|

Elements where either side is NaN or infinite are left out of the sums; those
where the two sides also disagree (NaN vs a number, +inf vs -inf, ...) are
counted in `nonfinite_mismatch` so the report can flag them.
"""

import math

import numpy as np

from .errors import ReportError

# Bins of the error histogram (q - ref) drawn for every compared tensor.
ERROR_HISTOGRAM_BINS = 61


def compare(name, ref, q):
    """Returns a dict of metrics plus what the charts need (error histogram,
    value ranges). `name` is used in error messages only."""
    ref = np.asarray(ref)
    q = np.asarray(q)
    if ref.shape != q.shape:
        raise ReportError(
            f"'{name}': float shape {list(ref.shape)} and quantized shape "
            f"{list(q.shape)} differ")
    r = ref.astype(np.float64, copy=False).ravel()
    v = q.astype(np.float64, copy=False).ravel()
    finite = np.isfinite(r) & np.isfinite(v)
    both_nan = np.isnan(r) & np.isnan(v)
    with np.errstate(invalid="ignore"):
        same = (r == v) | both_nan
    nonfinite_mismatch = int(np.count_nonzero(~finite & ~same))

    rf = r[finite]
    d = v[finite] - rf
    signal = float(np.dot(rf, rf))
    noise = float(np.dot(d, d))
    if noise == 0.0:
        sqnr = math.inf
    elif signal == 0.0:
        sqnr = -math.inf
    else:
        sqnr = 10.0 * math.log10(signal / noise)
    compared = int(rf.size)
    mse = noise / compared if compared else 0.0
    max_abs = float(np.max(np.abs(d))) if compared else 0.0

    # Error distribution, symmetric around zero.
    if compared and max_abs > 0:
        edges = np.linspace(-max_abs, max_abs, ERROR_HISTOGRAM_BINS + 1)
        counts, _ = np.histogram(d, bins=edges)
    else:
        edges = np.array([-1.0, 1.0]) if not compared else np.array([-0.5, 0.5])
        counts = np.array([compared], dtype=np.int64)

    def value_range(a):
        fa = a[np.isfinite(a)]
        return (float(fa.min()), float(fa.max())) if fa.size else None

    return {
        "sqnr_db": sqnr,
        "mse": mse,
        "max_abs": max_abs,
        "elements": int(r.size),
        "compared": compared,
        "nonfinite_mismatch": nonfinite_mismatch,
        "shape": list(ref.shape),
        "float_range": value_range(r),
        "quantized_range": value_range(v),
        "error_hist_edges": edges,
        "error_hist_counts": counts,
    }


def format_sqnr(db):
    if db == math.inf:
        return "+inf"
    if db == -math.inf:
        return "-inf"
    return f"{db:.2f}"


def format_sci(x):
    return f"{x:.3e}"
