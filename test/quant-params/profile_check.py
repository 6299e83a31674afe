"""What the profile checks (check_torch_profile.py,
check_onnxruntime_profile.py, check_tflite_profile.py) share: running
quant-params and reading its #qnt.params back."""
import re
import subprocess

import numpy as np


def solve(args):
    """Runs quant-params with `args` (its path first). Returns (scales as
    float32, zero points (0 when the attribute states none), the printed
    attribute), or (None, None, the error) when it fails."""
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        return None, None, r.stderr.strip()
    text = r.stdout.strip()
    scales = np.array([float(v) for v in re.search(
        r"scales = \[([^\]]*)\]", text).group(1).split(",")], np.float32)
    m = re.search(r"zero_points = \[([^\]]*)\]", text)
    zero_points = ([int(v) for v in m.group(1).split(",")] if m
                   else [0] * len(scales))
    return scales, zero_points, text


def same_floats(a, b):
    """Bit-for-bit equality of two float32 arrays."""
    a = np.asarray(a, np.float32)
    b = np.asarray(b, np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32),
                                                 b.view(np.uint32))


def compare(label, text, scales, zero_points, want_scales, want_zero_points,
            attribute_ok=True):
    """Prints `label: identical` when the scales equal `want_scales` bit for
    bit, the zero points `want_zero_points` and `attribute_ok` holds (the
    caller's check of the printed range), else a MISMATCH line; returns
    whether they matched."""
    ok = (same_floats(scales, want_scales)
          and list(zero_points) == list(want_zero_points) and attribute_ok)
    if ok:
        print(f"{label}: identical")
    else:
        print(f"{label}: MISMATCH {text} want scales "
              f"{np.asarray(want_scales, np.float32).tolist()} zero points "
              f"{list(want_zero_points)}")
    return ok
