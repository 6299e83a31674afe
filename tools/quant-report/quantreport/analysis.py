"""Pairs a float and a quantized dump and computes everything the report shows.

The result is plain data (dicts, lists, small numpy arrays); the renderers in
render.py only format it.
"""

import math

import numpy as np

from . import metrics
from .errors import ReportError
from .inputs import DumpDir, load_npy

# Most bars a histogram is drawn with; finer stored histograms are merged by
# an integer factor (exact: counts are summed).
MAX_DISPLAY_BINS = 200
# Bins of a histogram computed from a dump when there is no stats file.
DUMP_HISTOGRAM_BINS = 100


def display_histogram(edges, counts, max_bins=MAX_DISPLAY_BINS, min_bins=3):
    """Drops the empty bins at both ends (keeping at least `min_bins`, padded
    with empty ones, so a single full bin still has an axis around it) and
    merges groups of k adjacent bins so at most `max_bins` remain. Returns
    (edges, counts) or None if empty."""
    counts = np.asarray(counts, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.float64)
    nz = np.flatnonzero(counts)
    if nz.size == 0:
        return None
    first, last = int(nz[0]), int(nz[-1])
    c = counts[first:last + 1]
    width = edges[1] - edges[0]
    start = edges[first]
    if c.size < min_bins:
        before = (min_bins - c.size) // 2
        c = np.concatenate([np.zeros(before), c, np.zeros(min_bins - c.size - before)])
        start -= before * width
    k = max(1, math.ceil(c.size / max_bins))
    if k > 1:
        pad = (-c.size) % k
        c = np.concatenate([c, np.zeros(pad)]).reshape(-1, k).sum(axis=1)
    return start + width * k * np.arange(c.size + 1), c


def clipped_fractions_hist(edges, counts, lo, hi, data_min=None, data_max=None):
    """Fractions of the histogram below lo and above hi, values spread
    uniformly over the part of their bin inside [data_min, data_max] (the
    exact extremes, when known: a bin that starts at the maximum holds only
    the maximum, e.g. saturated values, which a range ending there keeps)."""
    counts = np.asarray(counts, dtype=np.float64)
    total = float(np.sum(counts))
    if total == 0:
        return 0.0, 0.0
    a = np.asarray(edges[:-1], dtype=np.float64)
    b = np.asarray(edges[1:], dtype=np.float64)
    if data_min is not None and data_max is not None:
        a = np.clip(a, data_min, data_max)
        b = np.clip(b, data_min, data_max)
    w = b - a
    point = w <= 0  # the bin's values all sit at one point
    safe = np.where(point, 1.0, w)
    below = np.where(point, (a < lo).astype(np.float64), np.clip((lo - a) / safe, 0.0, 1.0))
    above = np.where(point, (a > hi).astype(np.float64), np.clip((b - hi) / safe, 0.0, 1.0))
    return float(np.dot(counts, below)) / total, float(np.dot(counts, above)) / total


# The order methods are listed and drawn in (quant-stats' JSON is sorted by
# name); others follow alphabetically.
METHOD_ORDER = ["minmax", "moving-average", "percentile", "mse", "entropy"]


def ordered_methods(methods):
    known = [m for m in METHOD_ORDER if m in methods]
    return known + sorted(m for m in methods if m not in METHOD_ORDER)


def _layer_histogram(ident, values, stats_entry, ranges):
    """The activation histogram and the clipping of each method's range."""
    info = {"ranges": [], "source": None, "stats": None}
    finite = None
    if stats_entry is not None:
        info["source"] = "stats"
        edges, counts = stats_entry["hist_edges"], stats_entry["hist_counts"]
        info["stats"] = {k: stats_entry.get(k) for k in
                         ("shape", "count", "non_finite", "batches", "min", "max",
                          "moving_min", "moving_max", "channel_axis")}
        info["stats"]["bins"] = int(counts.size)
        info["stats"]["log2_width"] = int(stats_entry["histogram"]["log2_width"])
    else:
        info["source"] = "dump"
        v = np.asarray(values, dtype=np.float64).ravel()
        finite = v[np.isfinite(v)]
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            if lo == hi:
                pad = 0.5 if lo == 0 else abs(lo) * 0.05
                lo, hi = lo - pad, hi + pad
            counts, edges = np.histogram(finite, bins=DUMP_HISTOGRAM_BINS,
                                         range=(lo, hi))
        else:
            edges, counts = np.array([0.0, 1.0]), np.array([0.0])
    info["display"] = display_histogram(edges, counts)
    ranges = ranges or {}
    for method in ordered_methods(ranges):
        lo, hi = ranges[method]
        if finite is not None:
            n = max(finite.size, 1)
            below = float(np.count_nonzero(finite < lo)) / n
            above = float(np.count_nonzero(finite > hi)) / n
        else:
            dmin, dmax = stats_entry.get("min"), stats_entry.get("max")
            known = all(isinstance(v, (int, float)) and math.isfinite(v) for v in (dmin, dmax))
            below, above = clipped_fractions_hist(edges, counts, lo, hi,
                                                  dmin if known else None,
                                                  dmax if known else None)
        info["ranges"].append({"method": method, "lo": lo, "hi": hi,
                               "below": below, "above": above})
    return info


def analyze(float_dir, quantized_dir, stats=None, ranges=None):
    """float_dir, quantized_dir: dump directories. stats: (header, acts) from
    inputs.load_stats or None. ranges: {id: {method: (lo, hi)}} or None."""
    fdump = DumpDir(float_dir, "float")
    qdump = DumpDir(quantized_dir, "quantized")

    only_f = [i for i in fdump.observers if i not in set(qdump.observers)]
    only_q = [i for i in qdump.observers if i not in set(fdump.observers)]
    if only_f or only_q:
        parts = []
        if only_f:
            parts.append("only in the float model: " + ", ".join(only_f))
        if only_q:
            parts.append("only in the quantized model: " + ", ".join(only_q))
        hint = ""
        if any(i.startswith("qnt.contract#") for i in only_q):
            hint = ("; the quantized model's layers have no names: they live in "
                    "the locations of its qnt.contract ops, which quant-opt "
                    "writes with --mlir-print-debuginfo")
        raise ReportError("the observer ids of the two models do not match ("
                          + "; ".join(parts) + ")" + hint)
    if len(fdump.outputs) != len(qdump.outputs):
        raise ReportError(f"the float model has {len(fdump.outputs)} outputs, "
                          f"the quantized model {len(qdump.outputs)}")
    if not fdump.observers and not fdump.outputs:
        raise ReportError(f"the dumps in '{float_dir}' hold no observer and no output")

    notes = []
    if fdump.observers != qdump.observers:
        notes.append("The two models list their observers in different orders; "
                     "the float model's order is used.")
    stats_header, stats_acts = stats if stats else (None, {})
    ranges = ranges or {}

    layers = []
    samples = None
    no_stats, no_ranges, nhwc = [], [], []
    for ident in fdump.observers:
        ref = load_npy(fdump.observer_path(ident))
        q = load_npy(qdump.observer_path(ident))
        if (ref.ndim == 4 and q.shape != ref.shape and
                q.shape == tuple(ref.shape[i] for i in (0, 2, 3, 1))):
            # A layer --qnt-quantize converted to NHWC (layout=nhwc, the
            # default) sees its input channels last.
            q = q.transpose(0, 3, 1, 2)
            nhwc.append(ident)
        m = metrics.compare(ident, ref, q)
        if samples is None and ref.ndim >= 1:
            samples = int(ref.shape[0])
        entry = stats_acts.get(ident) if stats else None
        if stats and entry is None:
            no_stats.append(ident)
        if entry is not None and entry.get("hist_edges") is None:
            entry = None  # a version 1 file: no histogram
        if ranges and ident not in ranges:
            no_ranges.append(ident)
        hist = _layer_histogram(ident, ref, entry, ranges.get(ident))
        layers.append({"name": ident, "metrics": m, "hist": hist})
        del ref, q

    if nhwc:
        notes.append(f"{len(nhwc)} layer(s) of the quantized model read NHWC "
                     "activations (--qnt-quantize layout=nhwc): compared in the "
                     "float model's NCHW order.")
    if stats and stats_header.get("version") == 1:
        notes.append("The stats file is version 1 (min and max only): histograms "
                     "from the float dump instead.")
    if no_stats:
        notes.append("The stats file has no activation " + ", ".join(no_stats)
                     + ": histograms from the float dump instead.")
    if no_ranges:
        notes.append("No clipping ranges for " + ", ".join(no_ranges) + ".")
    unknown = sorted(set(ranges) - set(fdump.observers))
    if unknown:
        notes.append("Ranges given for ids that are not observers: "
                     + ", ".join(unknown) + ".")
    if stats:
        extra = sorted(set(stats_acts) - set(fdump.observers))
        if extra:
            notes.append("The stats file has activations that are not observers: "
                         + ", ".join(extra) + ".")

    outputs = []
    for name in fdump.outputs:
        ref = load_npy(fdump.output_path(name))
        q = load_npy(qdump.output_path(name))
        outputs.append({"name": name, "metrics": metrics.compare(name, ref, q)})
        if samples is None and ref.ndim >= 1:
            samples = int(ref.shape[0])

    worst = None
    for i, layer in enumerate(layers):
        s = layer["metrics"]["sqnr_db"]
        if s != math.inf and (worst is None or s < layers[worst]["metrics"]["sqnr_db"]):
            worst = i
    for i, layer in enumerate(layers):
        layer["worst"] = i == worst

    return {
        "layers": layers,
        "outputs": outputs,
        "worst": layers[worst]["name"] if worst is not None else None,
        "samples": samples,
        "notes": notes,
        "stats_header": stats_header,
        "have_stats": bool(stats),
        "have_ranges": bool(ranges),
    }
