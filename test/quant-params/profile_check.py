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
