#!/usr/bin/python3
"""The f32 math functions of --qnt-codegen (qnt-polynomial-math: upstream
MLIR's polynomial approximations, vectorized) against NumPy in float64
rounded to f32, on edge inputs (+-0, denormals, +-Inf, NaN, large
magnitudes, the ends of each function's range) and a sweep of 20000 values
per function. Prints, per function, the largest error in ulps of the f32
result over the normal (and zero) inputs whose rounded result is a finite
normal (or zero); for results below the smallest normal 2^-126, the largest
absolute error in units of 2^-126 (at most 1: flushing them to zero is
allowed); and whether
every special input gives NumPy's special result (NaN for NaN, the right
infinity, -0 where NumPy gives -0 is not required). Exits 1 when a bound
given on the command line is exceeded or a special case differs. Whether
denormal inputs come out within 4 ulps is reported, not checked (upstream's
log and log2 read them as the smallest normal).

Usage: check_math.py BINDIR WORKDIR [CODEGEN-OPTIONS] [FUNC=MAXULP ...]
"""
import os
import subprocess
import sys

import numpy as np

bindir, work = sys.argv[1], sys.argv[2]
rest = sys.argv[3:]
codegen = "--qnt-codegen"
bounds = {}
for a in rest:
    if "=" in a and a.split("=")[0] in ("exp", "expm1", "log", "log1p", "log2", "tanh", "erf"):
        bounds[a.split("=")[0]] = float(a.split("=")[1])
    else:
        codegen = f"--qnt-codegen={a}"
os.makedirs(work, exist_ok=True)
F = np.float32
rng = np.random.default_rng(9)

# name -> (NumPy in float64, sweep)
import math
erf64 = np.vectorize(math.erf)
FUNCS = {
    "exp": (np.exp, rng.uniform(-104, 89, 20000)),
    "expm1": (np.expm1, np.concatenate([rng.uniform(-20, 89, 10000), rng.uniform(-1, 1, 10000)])),
    "log": (np.log, np.exp(rng.uniform(-87, 88, 20000))),
    "log1p": (np.log1p, np.concatenate([rng.uniform(-0.999, 1, 10000), np.exp(rng.uniform(-20, 80, 10000))])),
    "log2": (np.log2, np.exp(rng.uniform(-87, 88, 20000))),
    "tanh": (np.tanh, np.concatenate([rng.uniform(-10, 10, 15000), rng.uniform(-1e-3, 1e-3, 5000)])),
    "erf": (erf64, np.concatenate([rng.uniform(-5, 5, 15000), rng.uniform(-1e-3, 1e-3, 5000)])),
}
SPECIAL = np.array([0.0, -0.0, 1e-40, -1e-40, 1.4e-45, -1.4e-45, np.inf, -np.inf, np.nan,
                    1e30, -1e30, 3.4e38, -3.4e38, 88.7, 89.0, -87.3, -104.0, 1.0, -1.0,
                    0.5, 2.0, 1e-7, -1e-7], np.float64)


def ulp_error(got, want, x):
    """|got - want| in ulps of want's f32 rounding, over the normal inputs
    whose rounded result is finite: normal results in their own ulps, results
    below the smallest normal in ulps of the smallest normal. A non-finite
    result where one is due counts as infinitely wrong."""
    with np.errstate(over="ignore"):
        want32 = want.astype(F)
    consider = np.isfinite(want32) & ~np.isnan(x) & \
        ((np.abs(x) >= np.finfo(F).tiny) | (x == 0))
    normal = consider & ((np.abs(want32) >= np.finfo(F).tiny) | (want32 == 0))
    small = consider & ~normal
    with np.errstate(invalid="ignore"):
        err = np.abs(got[normal].astype(np.float64) - want[normal]) / \
            np.spacing(np.maximum(np.abs(want32[normal]), np.finfo(F).tiny)).astype(np.float64)
        tiny_err = np.abs(got[small].astype(np.float64) - want[small]) / \
            np.float64(np.finfo(F).tiny)
    err = np.where(np.isnan(err), np.inf, err)
    tiny_err = np.where(np.isnan(tiny_err), np.inf, tiny_err)
    return err.max(initial=0), tiny_err.max(initial=0)


failures = 0
for name, (ref, sweep) in FUNCS.items():
    x = np.concatenate([SPECIAL, sweep]).astype(F)
    n = x.size
    text = f"""#id = affine_map<(d0) -> (d0)>
func.func @main(%x: tensor<{n}xf32>) -> tensor<{n}xf32> {{
  %e = tensor.empty() : tensor<{n}xf32>
  %y = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel"]}}
       ins(%x : tensor<{n}xf32>) outs(%e : tensor<{n}xf32>) {{
  ^bb0(%a: f32, %o: f32):
    %r = math.{name} %a : f32
    linalg.yield %r : f32
  }} -> tensor<{n}xf32>
  return %y : tensor<{n}xf32>
}}
"""
    model = os.path.join(work, name + ".mlir")
    with open(model, "w") as f:
        f.write(text)
    xpath = os.path.join(work, name + ".x.npy")
    np.save(xpath, x)
    fast = os.path.join(work, name + ".fast.mlir")
    for cmd in ([f"{bindir}/quant-opt", model, codegen, "-o", fast],
                [f"{bindir}/quant-run", fast, "--entry", "main", "--input", xpath,
                 "--output-dir", os.path.join(work, name + ".out")]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    got = np.load(os.path.join(work, name + ".out", "out0.npy"))
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    ulps, subnormal = ulp_error(got, want, x)
    s = len(SPECIAL)
    with np.errstate(over="ignore"):
        want32 = want[:s].astype(F)
    special_ok = True
    bad = []
    for i in range(s):
        w, g = want32[i], got[i]
        if np.isnan(w):
            same = np.isnan(g)
        elif np.isinf(w):
            same = g == w
        else:
            continue
        if not same:
            special_ok = False
            bad.append(f"{x[i]!r} -> {g!r} (NumPy {w!r})")
    # Denormal inputs: upstream's log and log2 read them as the smallest
    # normal; reported, not bounded.
    den = (x != 0) & (np.abs(x) < np.finfo(F).tiny) & ~np.isnan(x)
    with np.errstate(over="ignore", invalid="ignore"):
        den_same = np.all((got[den] == want[den].astype(F)) |
                          (np.isnan(got[den]) & np.isnan(want[den])) |
                          (np.abs(got[den].astype(np.float64) - want[den]) <=
                           4 * np.spacing(np.abs(want[den].astype(F))).astype(np.float64)))
    within = name not in bounds or ulps <= bounds[name]
    within = within and subnormal <= 1
    print(f"{name}: max {ulps:.1f} ulp{'' if within else ' ABOVE ' + str(bounds.get(name))}; "
          f"subnormal results within {subnormal:.2f} x 2^-126; "
          f"special inputs {'as NumPy' if special_ok else 'DIFFER: ' + '; '.join(bad)}; "
          f"denormal inputs {'within 4 ulp' if den_same else 'not'}")
    failures += not within or not special_ok
sys.exit(1 if failures else 0)
