"""quant-params --profile torch against torch.ao's observers
(Inputs/torch_observers.json, written once by Inputs/gen_torch_observers.py
with python3-torch): for every case, the scales bit for bit, the zero points
and the observer's range exactly; then the tensor quantized and
dequantized with those parameters (qnt.quantize with `rounding = reciprocal`,
torch's x * (1 / s), and qnt.dequantize, through quant-run) against
torch.fake_quantize_per_*_affine's values, bit for bit. Prints one line per
case; exits non-zero on a mismatch.

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
  %q = qnt.quantize %x : tensor<{shape}xf32> to tensor<{shape}xi8> as {attr} rounding = reciprocal
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
    # The values, quantized with qnt's `reciprocal` rounding (torch's
    # x * (1 / s)): torch's fake-quantized values bit for bit.
    got = fake_quantized(case, text.strip())
    want = np.array([float.fromhex(v) for v in case["fake_quantized_hex"]],
                    np.float32)
    if not profile_check.same_floats(got, want):
        failures += 1
        j = int(np.nonzero(got.view(np.uint32) != want.view(np.uint32))[0][0])
        print(f"{label}: values MISMATCH at {j}: QuantOpt {got[j]!r}, "
              f"torch {want[j]!r}")
        continue
    print(f"{label}: identical")
print(f"{len(data['cases'])} cases, {failures} mismatches")
sys.exit(1 if failures else 0)
