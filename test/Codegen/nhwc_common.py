"""Helpers shared by check_nhwc.py and check_nhwc_head.py: running the
tools, writing constants, an NCHW convolution in numpy, the runs compared
with the oracle and the layout left by qnt-convert-to-nhwc."""
import os
import subprocess
import sys

import numpy as np


def run(bindir, *cmd):
    r = subprocess.run([os.path.join(bindir, cmd[0])] + list(cmd[1:]),
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return r.stdout + r.stderr


def dense(a):
    return "dense<" + np.array2string(
        a.astype(np.float32), separator=", ", threshold=1 << 30,
        floatmode="unique", max_line_width=1 << 30) + ">"


def conv(x, w, stride=1):  # NCHW x FCHW, no padding
    f, c, kh, kw = w.shape
    n, _, h, wd = x.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
            out += np.einsum("nchw,fc->nfhw", patch, w[:, :, i, j])
    return out


def compare_variants(bindir, path, work, expected, variants, tolerance):
    """Each variant (a name and its quant-opt passes) run on work/x.npy
    against `expected`, to `tolerance` of its largest value; prints a line
    per variant and returns the number of failures."""
    scale = np.abs(expected).max()
    failures = 0
    for name, passes in variants.items():
        out = os.path.join(work, name + ".mlir")
        run(bindir, "quant-opt", path, *passes, "-o", out)
        run(bindir, "quant-run", out, "--entry", "main", "--input",
            os.path.join(work, "x.npy"), "--output-dir", os.path.join(work, name))
        got = np.load(os.path.join(work, name, "out0.npy"))
        err = np.abs(got - expected).max() / scale
        ok = got.shape == expected.shape and err < tolerance
        failures += not ok
        print(f"{name}: {'ok' if ok else 'FAILED'} (max error {err:.1e} of the largest output)")
    return failures


def check_layout(bindir, path, expected_transposes, *passes):
    """qnt-convert-to-nhwc (then `passes`) must leave `expected_transposes`
    linalg.transpose ops and no NCHW op; prints a line, returns 0 or 1."""
    converted = run(bindir, "quant-opt", path, "--qnt-convert-to-nhwc", *passes)
    nchw = [op for op in ("conv_2d_nchw", "depthwise_conv_2d_nchw", "pooling_nchw")
            if op in converted]
    transposes = converted.count("linalg.transpose")
    ok = transposes == expected_transposes and not nchw
    print(f"layout: {'ok' if ok else 'FAILED'} ({transposes} transposes, "
          f"NCHW ops left: {nchw or 'none'})")
    return int(not ok)
