#!/usr/bin/python3
"""qnt-reciprocal-division: quantization through the reciprocal gives the
division's integers, bit for bit.

`qnt.quantize` of 4099 f32 values (256 vectors and a tail of 3) with a
static scale s (the divisor a splat constant) and, through a per-tensor
dynamic quantization, a run-time scale (a broadcast scalar), to i8, u8 and
i16 storage, rounding half_even and half_away. The values are the
adversarial ones for a multiplication by 1/s: every (k + 1/2) s, for k
across the storage range and beyond, rounded to f32 and moved by -3..+3
ulps (ties, and quotients a few ulps from a tie); exact multiples k s;
random values; +-0, denormals, +-Inf, NaN, and magnitudes past the range
(|x / s| >= 2^19, where the test sends every vector to the division).
Scales include 1/3, 0.1 and 0.7 (inexact reciprocals), a power of two,
2^-120 (x / s overflowing), 2^120 and 2.5e38 (above 2^126: its reciprocal
would be subnormal, so every vector divides).

The oracle: NumPy's float32 division (correctly rounded), np.rint (half
even) or sign(q) floor(|q| + 1/2) (half away), plus the zero point,
clipped, NaN to the zero point. The reference lowering (quant-run's
default, which divides) and --qnt-codegen (the reciprocal, with
qnt-reciprocal-division) must both equal it bit for bit; the codegen IR
must hold the guarded reciprocal (a vector.reduction <and> before an
scf.if whose else branch divides).

Usage: check_reciprocal_division.py BINDIR WORKDIR [CODEGEN-OPTIONS]
"""
import os
import sys

import numpy as np

from checklib import run

bindir, work = sys.argv[1], sys.argv[2]
codegen = "--qnt-codegen" + (f"={sys.argv[3]}" if len(sys.argv) > 3 and sys.argv[3] else "")
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(7)
N = 4099

STORAGE = {"i8": (-128, 127, "i8", np.int8), "ui8": (0, 255, "i8", np.uint8),
           "i16": (-32768, 32767, "i16", np.int16)}


def values(s, lo, hi):
    s = np.float32(s)
    ks = np.arange(lo - 4, hi + 4, dtype=np.float64)
    with np.errstate(over="ignore"):
        ties = ((ks + 0.5) * np.float64(s)).astype(np.float32)
    near = [ties]
    up, down = ties.copy(), ties.copy()
    for _ in range(3):
        up = np.nextafter(up, np.float32(np.inf))
        down = np.nextafter(down, np.float32(-np.inf))
        near += [up, down]
    with np.errstate(over="ignore"):
        exact = (ks * np.float64(s)).astype(np.float32)
    with np.errstate(over="ignore"):
        special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40,
                            3e38, -3e38, s * 524288, -s * 600000], np.float32)
    pool = np.concatenate(near + [exact, special])
    x = rng.choice(pool, N).astype(np.float32)
    x[: len(special)] = special
    # A quarter plain random values within the range.
    idx = rng.choice(N, N // 4, replace=False)
    with np.errstate(over="ignore"):
        x[idx] = (rng.uniform(lo, hi, len(idx)) * np.float64(s)).astype(np.float32)
    return x


def oracle(x, s, zp, lo, hi, rounding):
    with np.errstate(all="ignore"):
        q = (x / np.asarray(s, np.float32)).astype(np.float32)
        # Half away from zero in float64, where |q| + 1/2 is exact.
        q64 = q.astype(np.float64)
        r = np.rint(q) if rounding == "half_even" else np.sign(q64) * np.floor(np.abs(q64) + 0.5)
        r = r + zp
        r = np.where(np.isnan(r), zp, np.clip(r, lo, hi))
    return r


failures = 0
cases = 0
for s in [1.0 / 3.0, 0.1, 0.7, 0.25, 2.0 ** -120, 2.0 ** 120, 2.5e38]:
    for storage, (lo, hi, bits, dtype) in STORAGE.items():
        for rounding in ("half_even", "half_away"):
            zp = 3 if storage != "i16" else -7
            if storage == "ui8":
                zp = 100
            name = f"s{np.float32(s):.3g}_{storage}_{rounding}".replace("+", "")
            base = os.path.join(work, name)
            x = values(s, lo, hi)
            np.save(base + ".x.npy", x)
            src = f"""func.func @main(%x: tensor<{N}xf32>) -> tensor<{N}x{bits}> {{
  %q = qnt.quantize %x : tensor<{N}xf32> to tensor<{N}x{bits}> as #qnt.params<{storage}:f32, scales = [{float(np.float32(s))!r}], zero_points = [{zp}]> rounding = {rounding}
  return %q : tensor<{N}x{bits}>
}}
"""
            with open(base + ".mlir", "w") as fh:
                fh.write(src)
            run([f"{bindir}/quant-opt", base + ".mlir", codegen, "-o", base + ".cg.mlir"])
            with open(base + ".cg.mlir") as fh:
                lowered = fh.read()
            outs = {}
            for tag, module in (("ref", ".mlir"), ("cg", ".cg.mlir")):
                run([f"{bindir}/quant-run", base + module, "--entry", "main", "--input", base + ".x.npy",
                     "--output-dir", f"{base}.{tag}"])
                outs[tag] = np.load(f"{base}.{tag}/out0.npy").astype(np.int64)
            want = oracle(x, s, zp, lo, hi, rounding).astype(np.int64)
            # The stored integers: signedness of the .npy aside, compare
            # values modulo the storage width.
            mod = 1 << (8 if bits == "i8" else 16)
            ok_ref = np.array_equal(outs["ref"] % mod, want % mod)
            ok_cg = np.array_equal(outs["cg"] % mod, want % mod)
            cases += 1
            if not (ok_ref and ok_cg):
                failures += 1
                bad = np.nonzero((outs["cg"] % mod) != (want % mod))[0][:5]
                print(f"{name}: reference {'ok' if ok_ref else 'DIFFERS'}, codegen {'ok' if ok_cg else 'DIFFERS'}"
                      f" at {bad.tolist()} x={x[bad].tolist()}")
print(f"static scales: {cases - failures} of {cases} cases equal the NumPy oracle (reference and codegen)")

# Run-time scales: qnt.dynamic_quantize (symmetric i8, the range set by
# +-127 c, so that the scale is about c and the tie-adjacent values stay
# near ties), per tensor and per row; the oracle divides by the scales the
# op returns.
dyn_failures = 0
for c in [1.0 / 3.0, 0.1, 0.7]:
    for per_row in (False, True):
        name = f"dyn_c{np.float32(c):.3g}" + ("_rows" if per_row else "")
        base = os.path.join(work, name)
        shape = (7, 515) if per_row else (N,)
        x = values(c, -127, 127)[: int(np.prod(shape))].reshape(shape)
        x = np.where(np.isfinite(x), np.clip(x, -127 * np.float32(c), 127 * np.float32(c)), x).astype(np.float32)
        x[..., 7] = np.float32(127 * c)
        np.save(base + ".x.npy", x)
        dims = "x".join(str(d) for d in shape)
        pshape = "tensor<7xf32>, tensor<7xi32>" if per_row else "tensor<f32>, tensor<i32>"
        src = f"""func.func @main(%x: tensor<{dims}xf32>) -> (tensor<{dims}xi8>, {pshape}) {{
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<{dims}xf32> to tensor<{dims}xi8>, {pshape} storage = i8 scheme = symmetric{" per_row" if per_row else ""}
  return %q, %s, %z : tensor<{dims}xi8>, {pshape}
}}
"""
        with open(base + ".mlir", "w") as fh:
            fh.write(src)
        run([f"{bindir}/quant-opt", base + ".mlir", codegen, "-o", base + ".cg.mlir"])
        outs = {}
        for tag, module in (("ref", ".mlir"), ("cg", ".cg.mlir")):
            run([f"{bindir}/quant-run", base + module, "--entry", "main", "--input", base + ".x.npy",
                 "--output-dir", f"{base}.{tag}"])
            outs[tag] = [np.load(f"{base}.{tag}/out{i}.npy") for i in range(3)]
        scale = outs["ref"][1].reshape(-1, 1) if per_row else outs["ref"][1]
        zp = outs["ref"][2].reshape(-1, 1) if per_row else outs["ref"][2]
        # Symmetric i8 is the narrow range [-127, 127] (docs/Numerics.md).
        want = oracle(x, scale, zp, -127, 127, "half_even").astype(np.int64)
        ok_ref = np.array_equal(outs["ref"][0].astype(np.int64), want)
        ok_cg = all(np.array_equal(a, b) for a, b in zip(outs["cg"], outs["ref"]))
        if not (ok_ref and ok_cg):
            dyn_failures += 1
            print(f"{name}: reference {'ok' if ok_ref else 'DIFFERS from the oracle'}, "
                  f"codegen {'= reference' if ok_cg else 'DIFFERS from the reference'}")
print(f"run-time scales: {6 - dyn_failures} of 6 cases equal the NumPy oracle (reference and codegen)")
failures += dyn_failures
sys.exit(1 if failures else 0)
