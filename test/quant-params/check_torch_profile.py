"""quant-params --profile torch against torch.ao's observers
(Inputs/torch_observers.json, written once by Inputs/gen_torch_observers.py
with python3-torch): for every case, the scales bit for bit, the zero points
and the observer's range exactly. Then the tensor quantized and dequantized
with those parameters (qnt.quantize + qnt.dequantize through quant-run)
against torch.fake_quantize_per_*_affine's values, bit for bit except where
torch's x * (1 / s) and QuantOpt's x / s (ONNX's formula) round to different
integers; those elements are counted and printed, and any other difference
fails. Prints one line per case; exits non-zero on a mismatch.

usage: check_torch_profile.py BINDIR WORKDIR"""
import json
import os
import re
import subprocess
import sys

import numpy as np

import profile_check

bindir, work = sys.argv[1], sys.argv[2]
quant_params = os.path.join(bindir, "quant-params")
os.makedirs(work, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
data = json.load(open(os.path.join(here, "Inputs", "torch_observers.json")))
for name, values in data["tensors"].items():
    array = np.array([float.fromhex(v) for v in values], np.float32)
    np.save(os.path.join(work, name + ".npy"),
            array.reshape(data["shapes"][name]))



def fake_quantized(case, attr):
    """The tensor through qnt.quantize and qnt.dequantize with `attr`."""
    shape = "x".join(map(str, data["shapes"][case["tensor"]]))
    src = os.path.join(work, f"fq{index}.mlir")
    with open(src, "w") as fh:
        fh.write(f"""func.func @main(%x: tensor<{shape}xf32>) -> tensor<{shape}xf32> {{
  %q = qnt.quantize %x : tensor<{shape}xf32> to tensor<{shape}xi8> as {attr}
  %d = qnt.dequantize %q : tensor<{shape}xi8> to tensor<{shape}xf32> as {attr}
  return %d : tensor<{shape}xf32>
}}
""")
    out = os.path.join(work, f"fq{index}")
    r = subprocess.run([os.path.join(bindir, "quant-run"), src, "--entry",
                        "main", "--input",
                        os.path.join(work, case["tensor"] + ".npy"),
                        "--output-dir", out], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"quant-run failed on {src}: {r.stderr}")
    return np.load(os.path.join(out, "out0.npy")).reshape(-1)


failures = 0
reciprocal_ties = 0
for index, case in enumerate(data["cases"]):
    args = [quant_params, os.path.join(work, case["tensor"] + ".npy"),
            "--profile", "torch",
            "--storage", {"qint8": "i8", "quint8": "u8"}[case["dtype"]],
            "--scheme", {"affine": "asymmetric",
                         "symmetric": "symmetric"}[case["scheme"]]]
    if case["per_channel"]:
        args += ["--axis", "0"]
    if case["reduce_range"]:
        args.append("--reduce-range")
    if case["quant_min"] is not None:
        args += ["--qmin", str(case["quant_min"]), "--qmax",
                 str(case["quant_max"])]
    label = "{tensor} {dtype} {scheme}{rr}{custom}{pc}".format(
        rr=" reduce_range" if case["reduce_range"] else "",
        custom=(" [{}, {}]".format(case["quant_min"], case["quant_max"])
                if case["quant_min"] is not None else ""),
        pc=" per-channel" if case["per_channel"] else "", **case)
    scales, zps, text = profile_check.solve(args)
    if scales is None:
        print(f"{label}: quant-params failed: {text}")
        failures += 1
        continue
    want_scales = np.array([float.fromhex(v) for v in case["scales_hex"]],
                           np.float32)
    ok = (profile_check.same_floats(scales, want_scales)
          and zps == case["zero_points"])
    lo, hi = case["observer_range"]
    range_text = re.search(r"range = \[(-?\d+), (-?\d+)\]", text)
    got_range = ((int(range_text.group(1)), int(range_text.group(2)))
                 if range_text else None)
    full = (-128, 127) if case["dtype"] == "qint8" else (0, 255)
    want_range = None if (lo, hi) == full else (lo, hi)
    if got_range != want_range:
        ok = False
    if not ok:
        failures += 1
        print(f"{label}: MISMATCH {text.strip()} want scales "
              f"{want_scales.tolist()} zero points {case['zero_points']} "
              f"range {want_range}")
        continue
    # The values: where they differ, x * (1 / s) and x / s must round to
    # different integers (torch's reciprocal against QuantOpt's division).
    x = np.array([float.fromhex(v) for v in data["tensors"][case["tensor"]]],
                 np.float32)
    got = fake_quantized(case, text.strip())
    want = np.array([float.fromhex(v) for v in case["fake_quantized_hex"]],
                    np.float32)
    groups = len(want_scales)
    s = np.repeat(want_scales, len(x) // groups)
    by_division = np.round(x / s)
    by_reciprocal = np.round(x * (np.float32(1) / s))
    differ = got.view(np.uint32) != want.view(np.uint32)
    explained = by_division != by_reciprocal
    if np.any(differ & ~explained):
        failures += 1
        j = np.nonzero(differ & ~explained)[0][0]
        print(f"{label}: values MISMATCH at {j}: x = {x[j]!r}, QuantOpt "
              f"{got[j]!r}, torch {want[j]!r}")
        continue
    ties = int(np.count_nonzero(differ))
    reciprocal_ties += ties
    print(f"{label}: identical" + (
        f" (values: {ties} where x * (1 / s) rounds otherwise)" if ties else ""))
print(f"{len(data['cases'])} cases, {failures} mismatches, "
      f"{reciprocal_ties} values where torch's reciprocal rounds otherwise")
sys.exit(1 if failures else 0)
