"""Calibration with the torch profile against torch.ao's MinMaxObserver,
MovingAverageMinMaxObserver and HistogramObserver, and per channel
PerChannelMinMaxObserver and MovingAveragePerChannelMinMaxObserver
(Inputs/torch_moving.json,
written once by
Inputs/gen_torch_moving.py with python3-torch): one matmul layer calibrated
by quant-run --calibrate over the same six batches (--batch-size 8, with
--jobs 1 and 2), whose statistics must hold torch's running min/max and
moving averages bit for bit (with --torch-histogram, the histogram
observer's range too, and the same state with --jobs 2, which then runs on
one thread), and quantized by --qnt-quantize activations=static
calibration=minmax|moving-average|torch-histogram profile=torch, whose
static input parameters (and those quant-stats params prints) must be torch's
scale and zero point, and its input quantization (the reciprocal of the
scale) must give the integers of torch.ao's fake quantization
(torch.quantize_per_tensor's, clamped to the observer's range) on the
batches and on near-ties; the per-channel
extremes and moving averages of the statistics, and the scales and zero
points quant-stats params --per-channel solves from them, must be those of
torch's per-channel observers. Prints one
line per check; exits non-zero on a mismatch.

usage: check_torch_moving.py BINDIR WORKDIR"""
import json
import os
import re
import sys

import numpy as np

from calib_models import run, write_matmul_model

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
data = json.load(open(os.path.join(here, "Inputs", "torch_moving.json")))
batches = [np.array([float.fromhex(v) for v in b], np.float32)
           .reshape(data["batch_shape"]) for b in data["batches_hex"]]
calib = os.path.join(work, "calib.npy")
np.save(calib, np.concatenate(batches))
model = os.path.join(work, "model.mlir")
write_matmul_model(model, data["batch_shape"][1])


def stats_params(stats, case, *extra):
    """The one observer's params quant-stats prints for a torch case."""
    cmd = [os.path.join(bindir, "quant-stats"), "params", stats,
           "--calibration", case["method"], "--profile", "torch",
           "--act-storage", {"qint8": "i8", "quint8": "u8"}[case["dtype"]],
           "--act-scheme", {"affine": "asymmetric",
                            "symmetric": "symmetric"}[case["scheme"]],
           *extra]
    if case["reduce_range"]:
        cmd.append("--reduce-range")
    (name, got), = json.loads(run(cmd))["params"].items()
    return got


def label_of(case):
    return "{method} {dtype} {scheme}{rr}".format(
        rr=" reduce_range" if case["reduce_range"] else "", **case)


def quantize_like(op, x, dtype):
    """`op` (a qnt.quantize of an [M][K] f32 tensor) applied to x viewed
    as [-1, K]: its stored bytes as hex, under the reference lowering and
    --qnt-codegen."""
    k = data["batch_shape"][1]
    m = x.size // k
    x = x.reshape(m, k)
    body = re.sub(r"qnt\.quantize %\S+ : tensor<[^>]*> to tensor<[^x>]*x",
                  f"qnt.quantize %x : tensor<{m}x{k}xf32> to tensor<{m}x", op)
    module = os.path.join(work, "quantize.mlir")
    with open(module, "w") as f:
        f.write(f"func.func @main(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{k}xi8> {{\n"
                f"  %q = {body}\n  return %q : tensor<{m}x{k}xi8>\n}}\n")
    xin = os.path.join(work, "quantize-in.npy")
    np.save(xin, x)
    out = []
    for flags in ([], ["--qnt-codegen"]):
        compiled = os.path.join(work, "quantize-c.mlir")
        run([os.path.join(bindir, "quant-opt"), module, *flags, "-o", compiled])
        outdir = os.path.join(work, "quantize-out")
        run([os.path.join(bindir, "quant-run"), compiled, "--entry", "main",
             "--input", xin, "--output-dir", outdir])
        out.append(np.load(os.path.join(outdir, "out0.npy")).view(np.uint8)
                   .tobytes().hex())
    return out


inst = os.path.join(work, "inst.mlir")
run([os.path.join(bindir, "quant-opt"), model, "--qnt-insert-observers",
     "-o", inst])
failures = 0


def same(a, b):
    return np.float32(a).view(np.uint32) == np.float32(b).view(np.uint32)


by_method = {c["method"]: c for c in data["cases"]}
for jobs in (1, 2):
    stats = os.path.join(work, f"stats{jobs}.json")
    run([os.path.join(bindir, "quant-run"), inst, "--entry", "main",
         "--calibrate", "--data", calib, "--batch-size", "8", "--jobs",
         str(jobs), "--stats", stats])
    (name, observed), = json.load(open(stats))["activations"].items()
    for field, method, key in (("min", "minmax", "min_hex"),
                               ("max", "minmax", "max_hex"),
                               ("moving_min", "moving-average", "min_hex"),
                               ("moving_max", "moving-average", "max_hex")):
        want = float.fromhex(by_method[method][key])
        ok = same(observed[field], want)
        failures += not ok
        print(f"--jobs {jobs} {field}: " + ("identical" if ok else
              f"MISMATCH {observed[field]!r} torch {want!r}"))

histogram_case = by_method["torch-histogram"]
states = []
for jobs in (1, 2):
    stats = os.path.join(work, f"stats-th{jobs}.json")
    run([os.path.join(bindir, "quant-run"), inst, "--entry", "main",
         "--calibrate", "--data", calib, "--batch-size", "8", "--jobs",
         str(jobs), "--torch-histogram", "--stats", stats])
    (name, observed), = json.load(open(stats))["activations"].items()
    state = observed["torch_histogram"]
    states.append(state)
    ok = (same(state["min"], float.fromhex(histogram_case["min_hex"])) and
          same(state["max"], float.fromhex(histogram_case["max_hex"])) and
          len(state["counts"]) == 2048)
    failures += not ok
    print(f"--jobs {jobs} torch_histogram range: " +
          ("identical" if ok else f"MISMATCH {state['min']!r} "
           f"{state['max']!r}"))
ok = states[0] == states[1]
failures += not ok
print("torch_histogram --jobs 1 and 2: " + ("identical" if ok else "DIFFER"))

quantized_lines = []
for case in data["cases"]:
    stats = os.path.join(work, "stats-th1.json"
                         if case["method"] == "torch-histogram"
                         else "stats1.json")
    options = ["activations=static", f"stats={stats}",
               f"calibration={case['method']}", "profile=torch",
               "act-storage=" + {"qint8": "i8", "quint8": "u8"}[case["dtype"]],
               "act-scheme=" + {"affine": "asymmetric",
                                "symmetric": "symmetric"}[case["scheme"]],
               "reduce-range=" + ("activations" if case["reduce_range"]
                                  else "none")]
    text = run([os.path.join(bindir, "quant-opt"), model,
                "--qnt-quantize=" + " ".join(options)])
    attr = re.search(r"qnt\.quantize .* as (#qnt\.params<[^>]*>)", text).group(1)
    scale = float(re.search(r"scales = \[([^\]]*)\]", attr).group(1))
    zp_match = re.search(r"zero_points = \[(-?\d+)\]", attr)
    zp = int(zp_match.group(1)) if zp_match else 0
    want_scale = float.fromhex(case["scale_hex"])
    # quant-stats params gives the same numbers per tensor.
    got = stats_params(stats, case)
    ok = (same(scale, want_scale) and zp == case["zero_point"] and
          len(got["scales"]) == 1 and same(got["scales"][0], want_scale) and
          got["zero_points"] == [case["zero_point"]] and "axis" not in got)
    failures += not ok
    print(f"{label_of(case)}: " + ("identical" if ok else
          f"MISMATCH {attr} quant-stats {got} torch scale {want_scale!r} "
          f"zero point {case['zero_point']}"))
    # The layer's input quantization, as --qnt-quantize wrote it (parameters
    # and rounding), on the batches and the near-ties: the integers of
    # torch.ao's fake quantization (torch.quantize_per_tensor's, clamped to
    # the observer's range), under the reference lowering and --qnt-codegen.
    # Division would differ on the near-ties.
    op = re.search(r"qnt\.quantize %\S+ : tensor<[^>]*> to tensor<[^>]*> "
                   r"as #qnt\.params<[^>]*>[^\n]*", text).group(0)
    probe = np.frombuffer(bytes.fromhex(case["probe"]), np.float32)
    for what, x, want in (
            ("batches", np.concatenate(batches), case["quantized_batches"]),
            ("near-ties", probe, case["quantized_probe"])):
        got = quantize_like(op, x, case["dtype"])
        ok = all(g == want for g in got)
        failures += not ok
        line = (f"{label_of(case)} torch fake quantization on {what}: " +
                ("identical" if ok else "MISMATCH"))
        if what == "near-ties":
            # Where dividing by the scale would round otherwise.
            s32 = np.float32(scale)
            differ = np.rint(x / s32) != np.rint(x * (np.float32(1) / s32))
            line += f" (division differs on {int(differ.sum())})"
        quantized_lines.append(line)
print("\n".join(quantized_lines))
# Per channel (axis 1): the statistics' channel extremes and channel moving
# averages, then `quant-stats params --per-channel` against torch's
# per-channel observers' calculate_qparams.
by_channel_method = {c["method"]: c for c in data["channel_cases"]}
for jobs in (1, 2):
    (name, observed), = json.load(open(os.path.join(
        work, f"stats{jobs}.json")))["activations"].items()
    moving = observed.get("channel_moving", {})
    for label, got, method, key in (
            ("channel_min", observed.get("channel_min"), "minmax", "min_hex"),
            ("channel_max", observed.get("channel_max"), "minmax", "max_hex"),
            ("channel_moving min", moving.get("min"), "moving-average",
             "min_hex"),
            ("channel_moving max", moving.get("max"), "moving-average",
             "max_hex")):
        want = [float.fromhex(v) for v in by_channel_method[method][key]]
        ok = (observed.get("channel_axis") == 1 and got is not None and
              len(got) == len(want) and
              all(same(g, w) for g, w in zip(got, want)))
        failures += not ok
        print(f"--jobs {jobs} {label}: " + ("identical" if ok else
              f"MISMATCH {got!r} torch {want!r}"))

for case in data["channel_cases"]:
    got = stats_params(os.path.join(work, "stats2.json"), case,
                       "--per-channel")
    want_scales = [float.fromhex(v) for v in case["scales_hex"]]
    ok = (got["axis"] == case["axis"] and
          len(got["scales"]) == len(want_scales) and
          all(same(g, w) for g, w in zip(got["scales"], want_scales)) and
          got["zero_points"] == case["zero_points"])
    failures += not ok
    print(f"per-channel {label_of(case)}: " + ("identical" if ok else
          f"MISMATCH {got} torch {want_scales} {case['zero_points']}"))
print(f"{failures} mismatches")
sys.exit(1 if failures else 0)
