#!/usr/bin/python3
"""Every op of upstream MLIR's math dialect, as a model can contain it (in
the body of an element-wise linalg.generic on f32 or i32 tensors), through
the reference lowering (quant-run on the module as written) or through
--qnt-codegen, against NumPy / Python on edge inputs: +-0, denormals, +-Inf,
NaN, large magnitudes, halves (the rounding ops), and a sweep of values.

- Exact ops must equal NumPy bit for bit (NaN as any NaN): absf, ceil,
  floor, round (half away from zero), roundeven, trunc, sqrt, copysign, fma,
  clampf (np.clip's order, NaN and inverted bounds), the classifications isnan, isinf, isfinite, isnormal,
  and the i32 ops absi, ctlz, cttz, ctpop, ipowi (wrapping).
- The other float functions (libm calls, or upstream's polynomial
  approximation under --qnt-codegen where docs/Codegen.md says so) must be
  within the bound given per function, in ulps of the f32 rounding of
  NumPy's float64 value, over normal finite results; results below 2^-126
  within 2^-126; and every input whose NumPy result is NaN or an infinity
  must give the same special value.
Prints one line per op; exits 1 if any op differs or is out of bounds.

Usage: check_math_ops.py BINDIR WORKDIR ref|codegen[=OPTIONS]
"""
import math
import os
import subprocess
import sys

import numpy as np

bindir, work, mode = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(work, exist_ok=True)
F = np.float32
TINY = np.finfo(F).tiny
rng = np.random.default_rng(13)

SPECIAL = np.array([0.0, -0.0, 1e-40, -1e-40, 1.4e-45, -1.4e-45, np.inf, -np.inf, np.nan,
                    1e30, -1e30, 3.4e38, -3.4e38, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5,
                    -2.5, 8388607.5, -8388607.5, 1e-7, -1e-7, 0.999, -0.999, 1.001,
                    88.0, -88.0, 100.0], np.float64).astype(F)
SWEEP = np.concatenate([rng.uniform(-10, 10, 3000), np.exp(rng.uniform(-80, 80, 2000)),
                        -np.exp(rng.uniform(-80, 80, 1000)), rng.uniform(-1, 1, 2000)]).astype(F)
X = np.concatenate([SPECIAL, SWEEP])
# A second operand: the specials against a few values, then a sweep.
Y = np.concatenate([np.resize(np.array([2.0, -3.0, 0.0, -0.0, np.inf, np.nan, 0.5, 1e-40], F),
                              SPECIAL.size), rng.uniform(-10, 10, SWEEP.size).astype(F)])
# clampf bounds: ordinary ones, a NaN bound, lo > hi (hi wins), infinite
# ones; no zero bound (np.maximum and arith.maximumf order -0 and +0
# differently).
LO = np.resize(np.array([-2.0, np.nan, 3.0, -1.0, -np.inf, 0.5], F), X.size)
HI = np.resize(np.array([3.0, 1.0, -2.0, np.nan, 2.0, np.inf, 0.75], F), X.size)
# fma operands with 8 significant bits, so that a * b + c is exact in float64.
def short(n):
    return (rng.integers(-255, 256, n) * np.exp2(rng.integers(-12, 4, n))).astype(F)
FA = np.concatenate([SPECIAL, short(SWEEP.size)])
FB = np.concatenate([np.resize(np.array([2.0, -3.0, 0.0, np.inf, np.nan, 1.0], F), SPECIAL.size),
                     short(SWEEP.size)])
FC = np.concatenate([np.resize(np.array([1.0, -0.0, np.inf, -np.inf, 0.0, np.nan, 3.0], F),
                               SPECIAL.size), short(SWEEP.size)])
I32 = np.concatenate([np.array([0, 1, -1, 2, -2, 7, 2**31 - 1, -2**31, 255, 256, -256,
                                0x00F0F000, 0x40000000], np.int64),
                      rng.integers(-2**31, 2**31, 2000)]).astype(np.int32)


def erfc64(x):
    return np.vectorize(math.erfc)(x)


def with_nan(f):
    """A float64 NumPy function that returns NaN where it raises."""
    def g(*a):
        with np.errstate(all="ignore"):
            return f(*a)
    return g


def round_away(x):
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(x), np.copysign(np.floor(np.abs(x) + 0.5), x), x)


def ctlz(v):
    u = v.astype(np.uint32).astype(np.int64)
    return np.array([32 - int(a).bit_length() for a in u], np.int32)


def cttz(v):
    u = v.astype(np.uint32).astype(np.int64)
    return np.array([32 if a == 0 else (int(a) & -int(a)).bit_length() - 1 for a in u], np.int32)


def ctpop(v):
    u = v.astype(np.uint32).astype(np.int64)
    return np.array([bin(int(a)).count("1") for a in u], np.int32)


def ipow(a, b):
    """Wrapping i32 power; a negative exponent gives 1 / a^-b in integers
    (1 for a = 1, +-1 for a = -1, 0 otherwise); a = 0 is left out."""
    out = []
    for x, n in zip(a.tolist(), b.tolist()):
        if n < 0:
            out.append(1 if x == 1 else (-1 if n % 2 else 1) if x == -1 else 0)
        else:
            out.append(pow(x, n, 2**32))
    return np.array(out, np.int64).astype(np.uint32).astype(np.int32)


def fpowi64(x, n):
    return with_nan(np.power)(x.astype(np.float64), n.astype(np.float64))


IPOW_A = np.concatenate([np.array([1, -1, 2, -2, 3, 7, -5, 65536, 1, -1, 5], np.int32),
                         rng.integers(-50, 50, 500).astype(np.int32)])
IPOW_A = np.where(IPOW_A == 0, 3, IPOW_A).astype(np.int32)
IPOW_B = np.concatenate([np.array([0, 5, 31, 16, 20, 3, -3, 2, -7, -8, 1], np.int32),
                         rng.integers(-3, 12, 500).astype(np.int32)])
FPOWI_X = np.concatenate([SPECIAL, rng.uniform(-4, 4, 2000).astype(F)])
FPOWI_N = np.concatenate([np.resize(np.array([0, 1, 2, 3, -1, -2, 5], np.int32), SPECIAL.size),
                          rng.integers(-6, 7, 2000).astype(np.int32)])

# name -> (operands, result kind, reference, bound): bound None = exact.
OPS = {
    "absf": ([X], "f32", np.abs, None),
    "ceil": ([X], "f32", np.ceil, None),
    "floor": ([X], "f32", np.floor, None),
    "round": ([X], "f32", round_away, None),
    "roundeven": ([X], "f32", np.rint, None),
    "trunc": ([X], "f32", np.trunc, None),
    "sqrt": ([X], "f32", with_nan(np.sqrt), None),
    "copysign": ([X, Y], "f32", np.copysign, None),
    "fma": ([FA, FB, FC], "f32", lambda a, b, c: a * b + c, None),
    "clampf": ([X, LO, HI], "f32", lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi), None),
    "isnan": ([X], "i1", np.isnan, None),
    "isinf": ([X], "i1", np.isinf, None),
    "isfinite": ([X], "i1", np.isfinite, None),
    "isnormal": ([X], "i1", lambda x: np.isfinite(x) & (np.abs(x) >= TINY), None),
    "absi": ([I32], "i32", lambda v: np.abs(v.astype(np.int64)).astype(np.uint32).astype(np.int32), None),
    "ctlz": ([I32], "i32", ctlz, None),
    "cttz": ([I32], "i32", cttz, None),
    "ctpop": ([I32], "i32", ctpop, None),
    "ipowi": ([IPOW_A, IPOW_B], "i32", ipow, None),
    "rsqrt": ([X], "f32", with_nan(lambda x: 1 / np.sqrt(x)), 2),
    "acos": ([X], "f32", with_nan(np.arccos), 2),
    "acosh": ([X], "f32", with_nan(np.arccosh), 2),
    "asin": ([X], "f32", with_nan(np.arcsin), 2),
    "asinh": ([X], "f32", with_nan(np.arcsinh), 2),
    "atan": ([X], "f32", with_nan(np.arctan), 2),
    "atanh": ([X], "f32", with_nan(np.arctanh), 2),
    "atan2": ([X, Y], "f32", with_nan(np.arctan2), 2),
    "cbrt": ([X], "f32", with_nan(np.cbrt), 2),
    "cos": ([X], "f32", with_nan(np.cos), 2),
    "cosh": ([X], "f32", with_nan(np.cosh), 2),
    "sin": ([X], "f32", with_nan(np.sin), 2),
    "sinh": ([X], "f32", with_nan(np.sinh), 2),
    "tan": ([X], "f32", with_nan(np.tan), 2),
    "erfc": ([X], "f32", with_nan(erfc64), 3),
    "exp2": ([X], "f32", with_nan(np.exp2), 2),
    "log10": ([X], "f32", with_nan(np.log10), 2),
    "powf": ([X, Y], "f32", with_nan(np.power), 2),
    "fpowi": ([FPOWI_X, FPOWI_N], "f32", fpowi64, 4),
    "sincos": ([X], "f32x2", (with_nan(np.sin), with_nan(np.cos)), 2),
}

TYPES = {np.dtype(np.float32): "f32", np.dtype(np.int32): "i32"}


def module(name, operands, kind):
    n = operands[0].size
    tys = [TYPES[o.dtype] for o in operands]
    rty = {"f32": "f32", "f32x2": "f32", "i1": "i1", "i32": "i32"}[kind]
    nres = 2 if kind == "f32x2" else 1
    args = ", ".join(f"%x{i}: tensor<{n}x{t}>" for i, t in enumerate(tys))
    ins = ", ".join(f"%x{i}" for i in range(len(tys)))
    inty = ", ".join(f"tensor<{n}x{t}>" for t in tys)
    bb = ", ".join(f"%a{i}: {t}" for i, t in enumerate(tys))
    a = [f"%a{i}" for i in range(len(tys))]
    if name == "clampf":
        body = f"%r0 = math.clampf {a[0]} to [{a[1]}, {a[2]}] : f32"
    elif name == "fpowi":
        body = f"%r0 = math.fpowi {a[0]}, {a[1]} : f32, i32"
    elif name == "sincos":
        body = f"%r0, %r1 = math.sincos {a[0]} : f32"
    else:
        body = f"%r0 = math.{name} {', '.join(a)} : {tys[0]}"
    maps = ", ".join(["#id"] * (len(tys) + nres))
    outs = ", ".join("%e" for _ in range(nres)) + " : " + \
        ", ".join(f"tensor<{n}x{rty}>" for _ in range(nres))
    outbb = ", ".join(f"%o{j}: {rty}" for j in range(nres))
    res = ", ".join(f"tensor<{n}x{rty}>" for _ in range(nres))
    yields = ", ".join(f"%r{j}" for j in range(nres))
    ytys = ", ".join(rty for _ in range(nres))
    return f"""#id = affine_map<(d0) -> (d0)>
func.func @main({args}) -> ({res}) {{
  %e = tensor.empty() : tensor<{n}x{rty}>
  %y:{nres} = linalg.generic {{indexing_maps = [{maps}], iterator_types = ["parallel"]}}
       ins({ins} : {inty}) outs({outs}) {{
  ^bb0({bb}, {outbb}):
    {body}
    linalg.yield {yields} : {ytys}
  }} -> ({res})
  return {', '.join(f'%y#{j}' for j in range(nres))} : {res}
}}
"""


def ulp_check(got, want, x_ok):
    """Largest error in ulps over normal finite results, largest error in
    units of 2^-126 over smaller ones, and the special results that differ."""
    with np.errstate(over="ignore", invalid="ignore"):
        want32 = want.astype(F)
    fin = np.isfinite(want32) & x_ok
    normal = fin & ((np.abs(want32) >= TINY) | (want32 == 0))
    small = fin & ~normal
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got[normal].astype(np.float64) - want[normal]) / \
            np.spacing(np.maximum(np.abs(want32[normal]), TINY)).astype(np.float64)
        tiny = np.abs(got[small].astype(np.float64) - want[small]) / np.float64(TINY)
    err = np.where(np.isnan(err), np.inf, err)
    tiny = np.where(np.isnan(tiny), np.inf, tiny)
    special = ~np.isfinite(want32) & x_ok
    bad = special & ~((np.isnan(want32) & np.isnan(got)) | (got == want32))
    return err.max(initial=0), tiny.max(initial=0), np.flatnonzero(bad)


failures = 0
for name, (operands, kind, ref, bound) in OPS.items():
    text = module(name, operands, kind)
    path = os.path.join(work, name + ".mlir")
    with open(path, "w") as f:
        f.write(text)
    inputs = []
    for i, o in enumerate(operands):
        p = os.path.join(work, f"{name}.in{i}.npy")
        np.save(p, o)
        inputs += ["--input", p]
    run = path
    cmds = []
    if mode != "ref":
        run = os.path.join(work, name + ".fast.mlir")
        cmds.append([f"{bindir}/quant-opt", path, "--" + mode.replace("codegen", "qnt-codegen", 1),
                     "-o", run])
    out = os.path.join(work, name + ".out")
    cmds.append([f"{bindir}/quant-run", run, "--entry", "main", *inputs, "--output-dir", out])
    failed = False
    for cmd in cmds:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{name}: FAILED: {' '.join(cmd)}\n{r.stderr[-1500:]}")
            failed = True
            break
    if failed:
        failures += 1
        continue
    refs = ref if isinstance(ref, tuple) else (ref,)
    lines = []
    for j, fn in enumerate(refs):
        got = np.load(os.path.join(out, f"out{j}.npy"))
        if kind in ("f32", "f32x2"):
            want = fn(*[o.astype(np.float64) if o.dtype == F else o for o in operands])
        else:
            want = fn(*operands)
        if bound is None:
            if kind == "i1":
                same = np.asarray(got).astype(bool) == np.asarray(want).astype(bool)
            elif kind == "i32":
                same = got.astype(np.int32) == want.astype(np.int32)
            else:
                w = want.astype(F)
                same = (got.view(np.uint32) == w.view(np.uint32)) | (np.isnan(got) & np.isnan(w))
            bad = np.flatnonzero(~same)
            ok = bad.size == 0
            detail = "exact" if ok else "DIFFERS at " + "; ".join(
                f"{[o[i] for o in operands]!r} -> {got[i]!r} (NumPy {want[i]!r})" for i in bad[:4])
        else:
            # Every input counts, denormal ones included.
            ulps, tiny, bad = ulp_check(got, want, np.ones(got.shape, bool))
            ok = ulps <= bound and tiny <= 1 and bad.size == 0
            detail = f"max {ulps:.1f} ulp (bound {bound}); small results within {tiny:.2f} x 2^-126; " + \
                ("special results as NumPy" if bad.size == 0 else "special results DIFFER at " + "; ".join(
                    f"{[o[i] for o in operands]!r} -> {got[i]!r} (NumPy {want[i]!r})" for i in bad[:4]))
        lines.append(detail)
        failures += not ok
    print(f"{name}: {' | '.join(lines)}")
sys.exit(1 if failures else 0)
