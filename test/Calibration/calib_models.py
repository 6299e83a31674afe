"""Helpers of the calibration check scripts (check_torch_moving.py,
check_ort_moving.py, check_ort_histogram.py): a one-layer model to
calibrate, running a tool, and reading the static input parameters it
gets."""
import json
import os
import re
import subprocess
import sys

import numpy as np


def write_matmul_model(path, k, outputs=4, seed=3):
    """Writes a function @main(x: ?xK) -> ?xOUTPUTS: one linalg.matmul named
    "fc" with normal weights from `seed`."""
    w = np.random.default_rng(seed).normal(size=(k, outputs)).astype(np.float32)
    weights = np.array2string(w, separator=", ", floatmode="unique",
                              threshold=1 << 20, max_line_width=1 << 30)
    n = outputs
    with open(path, "w") as fh:
        fh.write(f"""func.func @main(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x{k}xf32>
  %w = arith.constant dense<{weights}> : tensor<{k}x{n}xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x{n}xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x{k}xf32>, tensor<{k}x{n}xf32>) outs(%init : tensor<?x{n}xf32>) -> tensor<?x{n}xf32> loc("fc")
  return %y : tensor<?x{n}xf32>
}}
""")


def run(cmd):
    """Runs `cmd`, exits with its stderr if it fails, returns its stdout."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return r.stdout


def static_input_params(bindir, model, options):
    """The #qnt.params of the layer input's qnt.quantize that
    --qnt-quantize="activations=static OPTIONS" writes for `model`, and its
    scale and zero point (0 when it has none)."""
    text = run([os.path.join(bindir, "quant-opt"), model,
                "--qnt-quantize=activations=static " + " ".join(options)])
    attr = re.search(r"qnt\.quantize .* as (#qnt\.params<[^>]*>)",
                     text).group(1)
    scale = float(re.search(r"scales = \[([^\]]*)\]", attr).group(1))
    zp_match = re.search(r"zero_points = \[(-?\d+)\]", attr)
    return attr, scale, int(zp_match.group(1)) if zp_match else 0


def stats_params(bindir, stats, args):
    """The parameters `quant-stats params STATS ARGS` prints for the file's
    one activation."""
    (_, params), = json.loads(run([os.path.join(bindir, "quant-stats"),
                                   "params", stats] + args))["params"].items()
    return params
