"""Calibration with the onnxruntime profile's percentile and entropy against
ONNX Runtime's PercentileCalibrater and EntropyCalibrater (onnxruntime/
python/tools/quantization/calibrate.py, 1.17 and later: HistogramCollector
over one collection, compute_percentile, get_entropy_threshold; quant_utils
smooth_distribution), transcribed below with NumPy and scipy.stats.entropy
(python3-numpy 1.24, python3-scipy 1.10; the onnxruntime Python package is
not in Debian), then compute_scale_zp (../quant-params/ort_quant_utils.py).

One matmul layer's input is calibrated by quant-run --calibrate
--ort-histogram --ort-histogram-bins 10000,2048,512,128 (batches of 50, --jobs 1
and 2) on six data sets: signed with heavy tails, non-negative with zeros,
positive away from zero, constant, values on the bin edges, and with NaN. Checked bit for bit:
  - the stats file's histograms against numpy.histogram of all the values
    (collect_value: range (-t, t); collect_absolute_value: |x| over its own
    range), the same for both --jobs;
  - the static input parameters of --qnt-quantize activations=static
    calibration=percentile|entropy profile=onnxruntime (and quant-stats
    params) against ONNX Runtime's, for percentiles 99.999 (its default)
    and 99.9 on 2048 and 512 bins, entropy on 128 (its default), 512 and
    2048 bins, u8 asymmetric and i8 symmetric.
Prints one line per check; exits non-zero on a mismatch.

usage: check_ort_histogram.py BINDIR WORKDIR"""
import copy
import json
import os
import sys

import numpy as np
from scipy.stats import entropy

from calib_models import (run, static_input_params, stats_params,
                          write_matmul_model)

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "quant-params"))
from ort_quant_utils import compute_scale_zp, get_qmin_qmax  # noqa: E402

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
K, ROWS, BATCH = 16, 600, 50
BINS = (10000, 2048, 512, 128)


# --- ONNX Runtime's HistogramCollector, one collection -------------------

def collect_value(batches, num_bins):
    data_arr = np.asarray(batches).flatten()
    min_value = np.nanmin(data_arr)
    max_value = np.nanmax(data_arr)
    threshold = np.array(max(abs(min_value), abs(max_value)),
                         dtype=data_arr.dtype)
    hist, hist_edges = np.histogram(data_arr, num_bins,
                                    range=(-threshold, threshold))
    return hist, hist_edges, min_value, max_value, threshold


def collect_absolute_value(batches, num_bins):
    data_arr_np = np.asarray(batches).flatten()
    min_value = np.nanmin(data_arr_np)
    max_value = np.nanmax(data_arr_np)
    data_arr_np = np.absolute(data_arr_np)
    hist, hist_edges = np.histogram(data_arr_np, bins=num_bins)
    hist_edges = hist_edges.astype(data_arr_np.dtype)
    return hist, hist_edges, min_value, max_value


def compute_percentile(histogram, percentile, symmetric):
    """symmetric=True is PercentileCalibrater's default."""
    hist, hist_edges = histogram[0], histogram[1]
    total = hist.sum()
    cdf = np.cumsum(hist / total)
    if symmetric:
        idx_right = np.searchsorted(cdf, percentile / 100.0)
        t = (-np.array(hist_edges[idx_right], dtype=hist_edges.dtype),
             np.array(hist_edges[idx_right], dtype=hist_edges.dtype))
    else:
        percent_to_cut_one_side = (100.0 - percentile) / 200.0
        idx_right = np.searchsorted(cdf, 1.0 - percent_to_cut_one_side)
        idx_left = np.searchsorted(cdf, percent_to_cut_one_side)
        t = (np.array(hist_edges[idx_left], dtype=hist_edges.dtype),
             np.array(hist_edges[idx_right], dtype=hist_edges.dtype))
    min_value, max_value = histogram[2], histogram[3]
    if t[0] < min_value:
        t = (min_value, t[1])
    if t[1] > max_value:
        t = (t[0], max_value)
    return t


def smooth_distribution(p, eps=0.0001):
    is_zeros = (p == 0).astype(np.float32)
    is_nonzeros = (p != 0).astype(np.float32)
    n_zeros = is_zeros.sum()
    n_nonzeros = p.size - n_zeros
    if not n_nonzeros:
        return None
    eps1 = eps * float(n_zeros) / float(n_nonzeros)
    assert eps1 < 1.0
    hist = p.astype(np.float32)
    hist += eps * is_zeros + (-eps1) * is_nonzeros
    assert (hist <= 0).sum() == 0
    return hist


def get_entropy_threshold(histogram, num_quantized_bins=128):
    hist, hist_edges = histogram[0], histogram[1]
    num_bins = hist.size
    zero_bin_index = num_bins // 2
    num_half_quantized_bin = num_quantized_bins // 2
    dtype = histogram[1].dtype
    kl_divergence = np.zeros(zero_bin_index - num_half_quantized_bin + 1)
    thresholds = [(np.array(0, dtype=dtype), np.array(0, dtype=dtype))
                  for i in range(kl_divergence.size)]
    for i in range(num_half_quantized_bin, zero_bin_index + 1, 1):
        start_index = zero_bin_index - i
        end_index = min(zero_bin_index + i + 1, num_bins)
        thresholds[i - num_half_quantized_bin] = (hist_edges[start_index],
                                                  hist_edges[end_index])
        sliced_distribution = copy.deepcopy(hist[start_index:end_index])
        p = sliced_distribution.copy()
        left_outliers_count = sum(hist[:start_index])
        right_outliers_count = sum(hist[end_index:])
        p[0] += left_outliers_count
        p[-1] += right_outliers_count
        nonzeros = (p != 0).astype(np.int64)
        quantized_bins = np.zeros(num_quantized_bins, dtype=np.int64)
        num_merged_bins = sliced_distribution.size // num_quantized_bins
        for index in range(num_quantized_bins):
            start = index * num_merged_bins
            end = start + num_merged_bins
            quantized_bins[index] = sum(sliced_distribution[start:end])
        quantized_bins[-1] += sum(
            sliced_distribution[num_quantized_bins * num_merged_bins:])
        q = np.zeros(p.size, dtype=np.int64)
        for index in range(num_quantized_bins):
            start = index * num_merged_bins
            end = start + num_merged_bins
            norm = sum(nonzeros[start:end])
            if norm != 0:
                q[start:end] = quantized_bins[index] / norm
        p = smooth_distribution(p)
        q = smooth_distribution(q)
        if p is None or q is None:
            div = np.array(np.inf, dtype=dtype)
        else:
            div = np.array(entropy(p, q), dtype=dtype)
        kl_divergence[i - num_half_quantized_bin] = div
    min_kl_divergence_idx = np.argmin(kl_divergence)
    optimal_threshold = thresholds[min_kl_divergence_idx]
    min_value, max_value = histogram[2], histogram[3]
    if optimal_threshold[0] < min_value:
        optimal_threshold = (min_value, optimal_threshold[1])
    if optimal_threshold[1] > max_value:
        optimal_threshold = (optimal_threshold[0], max_value)
    return optimal_threshold


# --- the check ------------------------------------------------------------

def same(a, b):
    return np.float32(a).view(np.uint32) == np.float32(b).view(np.uint32)


rng = np.random.default_rng(41)
DATA = {
    "heavy-tailed": (rng.standard_normal((ROWS, K)) +
                     rng.laplace(scale=0.3, size=(ROWS, K)) ** 3),
    "relu": np.maximum(rng.standard_normal((ROWS, K)) * 2.0, 0.0),
    "positive": 2.0 + rng.gamma(2.0, 0.4, size=(ROWS, K)),
    "constant": np.full((ROWS, K), 1.5),
}
# Values on the float32 edges of the 2048- and 512-bin histograms over
# (-t, t), t = float32(2.9), and their float32 neighbours, where
# numpy.histogram's index corrections decide the bin (a naive
# floor((x + t) / width) in float64 moves some of them).
t = np.float32(2.9)
edges = np.concatenate([np.histogram_bin_edges(np.array([-t, t]), n,
                                               range=(-t, t))
                        for n in (2048, 512)]).astype(np.float32)
on_edges = np.concatenate([edges, np.nextafter(edges, np.float32(-4)),
                           np.nextafter(edges, np.float32(4))])
on_edges = np.clip(on_edges, -t, t)
fill = np.clip(rng.standard_normal(ROWS * K - on_edges.size), -t, t)
DATA["on-edges"] = rng.permutation(
    np.concatenate([on_edges, fill])).reshape(ROWS, K)
# NaN: ONNX Runtime's nanmin/nanmax leave it out of the extremes and
# numpy.histogram drops it where the range is given (entropy, two-sided
# percentile); its absolute histogram has no range (not compared).
with_nan = rng.standard_normal((ROWS, K))
with_nan.flat[rng.choice(ROWS * K, 7, replace=False)] = np.nan
DATA["with-nan"] = with_nan
model = os.path.join(work, "model.mlir")
write_matmul_model(model, K)
inst = os.path.join(work, "inst.mlir")
run([os.path.join(bindir, "quant-opt"), model, "--qnt-insert-observers",
     "-o", inst])
CONFIGS = [("u8", "asymmetric"), ("i8", "symmetric")]
failures = 0
for label, values in DATA.items():
    rows = values.astype(np.float32)
    calib = os.path.join(work, f"{label}.npy")
    np.save(calib, rows)
    batches = [rows[i:i + BATCH] for i in range(0, ROWS, BATCH)]
    files = {}
    for jobs in (1, 2):
        stats = os.path.join(work, f"{label}-{jobs}.json")
        run([os.path.join(bindir, "quant-run"), inst, "--entry", "main",
             "--calibrate", "--data", calib, "--batch-size", str(BATCH),
             "--jobs", str(jobs), "--ort-histogram", "--ort-histogram-bins",
             ",".join(map(str, BINS)), "--stats", stats])
        files[jobs] = stats
        (_, observed), = json.load(open(stats))["activations"].items()
        got = {h["bins"]: h for h in observed["ort_histograms"]["histograms"]}
        ok = sorted(got) == sorted(BINS)
        for bins in BINS:
            value = collect_value(batches, bins)[0]
            ok = ok and got[bins]["value"] == value.tolist()
            if label != "with-nan":
                absolute = collect_absolute_value(batches, bins)[0]
                ok = ok and got[bins]["absolute"] == absolute.tolist()
        failures += not ok
        print(f"{label} --jobs {jobs} histograms: " +
              ("identical" if ok else "MISMATCH"))
    stats = files[2]
    cases = [("percentile", p, bins, True) for p in (99.999, 99.9)
             for bins in (2048, 512)]
    cases += [("percentile", 99.9, bins, False) for bins in (2048, 512)]
    cases += [("entropy", None, bins, True) for bins in (128, 512, 2048)]
    if label == "on-edges":
        # NumPy sums more than 8192 values in 8192-value blocks.
        cases.append(("entropy", None, 10000, True))
    if label == "with-nan":
        cases = [c for c in cases if c[0] == "entropy" or not c[3]]
    for method, percentile, bins, symmetric_range in cases:
        if method == "percentile":
            # collect(): the absolute histogram when symmetric, else the
            # value histogram.
            histogram = (collect_absolute_value(batches, bins)
                         if symmetric_range else collect_value(batches, bins))
            rmin, rmax = compute_percentile(histogram, percentile,
                                            symmetric_range)
        else:
            rmin, rmax = get_entropy_threshold(collect_value(batches, bins))
        for storage, scheme in CONFIGS:
            symmetric = scheme == "symmetric"
            qmin, qmax = get_qmin_qmax(storage, False, symmetric)
            zp, scale = compute_scale_zp(np.array(rmin, dtype=np.float32),
                                         np.array(rmax, dtype=np.float32),
                                         qmin, qmax, symmetric)
            options = [f"stats={stats}", f"calibration={method}",
                       "profile=onnxruntime", f"act-storage={storage}",
                       f"act-scheme={scheme}", f"ort-bins={bins}"]
            args = ["--calibration", method, "--profile", "onnxruntime",
                    "--act-storage", storage, "--act-scheme", scheme,
                    "--ort-bins", str(bins)]
            if percentile is not None:
                options.append(f"percentile={percentile}")
                args += ["--percentile", str(percentile)]
            if not symmetric_range:
                options.append("ort-symmetric-percentile=false")
                args.append("--ort-symmetric-percentile=false")
            attr, q_scale, q_zp = static_input_params(bindir, model, options)
            params = stats_params(bindir, stats, args)
            ok = (same(q_scale, scale) and q_zp == int(zp) and
                  same(params["scales"][0], scale) and
                  params["zero_points"] == [int(zp)])
            failures += not ok
            name = method + (f" {percentile}" if percentile else "") + \
                ("" if symmetric_range else " two-sided")
            print(f"{label} {name} {bins} bins {storage} {scheme}: " +
                  ("identical" if ok else
                   f"MISMATCH {attr} {params} ORT scale {float(scale)!r} "
                   f"zero point {int(zp)} range {rmin!r} {rmax!r}"))
print(f"{failures} mismatches")
sys.exit(1 if failures else 0)
