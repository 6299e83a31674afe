#!/usr/bin/env python3
"""Writes the reference vectors used by unittests/Numerics/NumericsTest.cpp.

Needs numpy; run it with Debian's interpreter:

    /usr/bin/python3 unittests/Numerics/data/gen_vectors.py

The oracles below are written from the definitions of the formats and
formulas (docs: ONNX QuantizeLinear, the OCP 8-bit float spec, IEEE 754
rounding), not from the C++ code, so that the C++ tests compare two
independent implementations. Everything is deterministic (fixed seeds) and the
files are overwritten on every run.

Files (all 1-D unless noted; N differs per file family):

  affine/<kind>_{x,scale}.npy        float32 inputs
  affine/<kind>_zp.npy               int32 zero points
  affine/<kind>_narrow.npy           bool, use the narrow integer range
  affine/<kind>_q.npy                int32 [4, N]: q for the rounding modes
                                     half_even, half_away, half_up, reciprocal
  affine/<kind>_deq.npy              float32: s * (q_half_even - z)
  minval/<kind>_{x,scale,min}.npy    float32 inputs (full integer range)
  minval/<kind>_q.npy                int32 [4, N], modes as above
  minval/<kind>_deq.npy              float32: s * (q_half_even - qmin) + m
  minifloat/<kind>_decode.npy        float32 value of every code 0..2^bits-1
  minifloat/<kind>_enc_{x,bits}.npy  float32 -> uint8 code (scale 1)
  minifloat/<kind>_{x,scale}.npy     float32 inputs of the scaled quantize
  minifloat/<kind>_bits.npy          uint8 [2, N]: modes half_even, reciprocal
  minifloat/<kind>_deq.npy           float32: s * decode(bits_half_even)
  requant/fp_{m,multiplier,shift}.npy  float64 m -> int32 Q31 multiplier/shift
  requant/apply_{v,multiplier,shift,out}.npy  int64 v -> int64 result
  requant/float_{q,zin,m,zout,out}.npy  float requantize to int8 (int32/f32)
"""

import os
from fractions import Fraction

import numpy as np

DATA_DIR = os.path.dirname(os.path.abspath(__file__))

# name: (bit width, signed)
INT_KINDS = {
    "i2": (2, True),
    "i4": (4, True),
    "i8": (8, True),
    "i16": (16, True),
    "u2": (2, False),
    "u4": (4, False),
    "u8": (8, False),
    "u16": (16, False),
}
MODES = ["half_even", "half_away", "half_up", "reciprocal"]

F32 = np.float32


def save(subdir, name, array):
    directory = os.path.join(DATA_DIR, subdir)
    os.makedirs(directory, exist_ok=True)
    np.save(os.path.join(directory, name + ".npy"),
            np.ascontiguousarray(array), allow_pickle=False)


def int_range(bits, signed, narrow):
    """Two's complement / unsigned range; narrow drops the lowest code."""
    lo = -(2 ** (bits - 1)) if signed else 0
    hi = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1
    return (lo + 1 if narrow else lo), hi


#===----------------------------------------------------------------------===#
# Rounding, from the definitions
#===----------------------------------------------------------------------===#


def round_half_even(y):
    """numpy.round is round-half-to-even; exact on float32."""
    return np.round(y.astype(F32)).astype(np.float64)


def round_half_away(y):
    """sign(y) * floor(|y| + 0.5), in float64 (exact for float32 y)."""
    y = y.astype(np.float64)
    return np.sign(y) * np.floor(np.abs(y) + 0.5)


def round_half_up(y):
    """floor(y + 0.5), in float64 (exact for float32 y)."""
    return np.floor(y.astype(np.float64) + 0.5)


def scaled(x, s, mode):
    """x / s in float32, or x * (1 / s) with a float32 reciprocal."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if mode == "reciprocal":
            return (x * (F32(1) / s)).astype(F32)
        return (x / s).astype(F32)


def round_mode(y, mode):
    with np.errstate(invalid="ignore"):
        if mode == "half_away":
            return round_half_away(y)
        if mode == "half_up":
            return round_half_up(y)
        return round_half_even(y)  # half_even and reciprocal


def clip_to_int(r, lo, hi, nan_value):
    """clip(r, lo, hi) as integers; NaN becomes nan_value."""
    nan = np.isnan(r)
    r = np.clip(np.where(nan, 0.0, r), lo, hi)
    return np.where(nan, nan_value, r).astype(np.int64)


#===----------------------------------------------------------------------===#
# Affine and minval integer quantization
#===----------------------------------------------------------------------===#


def random_scales(rng, n):
    """Scales with full 24-bit mantissas over a few decades."""
    return F32(10.0) ** rng.uniform(-3.5, 0.5, n).astype(F32)


def short_scales(rng, n):
    """Scales with at most 6 significant bits, so (k + 0.5) * s is exact."""
    mantissa = rng.integers(1, 64, n)
    return (mantissa * 2.0 ** rng.integers(-10, 3, n)).astype(F32)


def exact_f32(values):
    """Converts float64 values that must be exactly representable."""
    out = values.astype(F32)
    assert np.all(out.astype(np.float64) == values), "inexact test value"
    return out


def gen_affine(rng, kind):
    bits, signed = INT_KINDS[kind]
    qlo, qhi = int_range(bits, signed, False)
    xs, ss, zs = [], [], []

    def add(x, s, z):
        xs.append(np.asarray(x, F32).ravel())
        ss.append(np.broadcast_to(np.asarray(s, F32), xs[-1].shape).ravel())
        zs.append(
            np.broadcast_to(np.asarray(z, np.int64), xs[-1].shape).ravel())

    # Uniform values around the representable range.
    n = 96
    s = random_scales(rng, n)
    z = rng.integers(qlo, qhi + 1, n)
    u = rng.uniform(qlo - 4, qhi + 4, n)
    add((s.astype(np.float64) * (u - z)).astype(F32), s, z)
    # Exact ties (k + 0.5) * s, some of them just outside the range.
    n = 64
    s = short_scales(rng, n)
    z = rng.integers(qlo, qhi + 1, n)
    k = rng.integers(qlo - 2, qhi + 2, n) - z
    ties = exact_f32((k + 0.5) * s.astype(np.float64))
    add(ties, s, z)
    # The float32 neighbours of some ties.
    add(np.nextafter(ties[:12], F32(np.inf)), s[:12], z[:12])
    add(np.nextafter(ties[12:24], F32(-np.inf)), s[12:24], z[12:24])
    # Exact integers k * s.
    n = 16
    s = short_scales(rng, n)
    z = rng.integers(qlo, qhi + 1, n)
    k = rng.integers(qlo - 1, qhi + 2, n) - z
    add(exact_f32(k * s.astype(np.float64)), s, z)
    # Zeros, tiny values, far out of range, +-Inf and NaN.
    special = np.array([0.0, -0.0, 1e-40, -1e-40, 1e-30, -1e-30, 3e38, -3e38,
                        np.inf, -np.inf, np.nan, np.nan], F32)
    n = len(special)
    add(special, random_scales(rng, n), rng.integers(qlo, qhi + 1, n))
    n = 16
    s = random_scales(rng, n)
    z = rng.integers(qlo, qhi + 1, n)
    far = rng.uniform(1, 1000, n) * np.where(np.arange(n) % 2 == 0, 1, -1)
    add((s.astype(np.float64) * (np.where(far > 0, qhi, qlo) - z + far))
        .astype(F32), s, z)
    # Zero point 0 and (for unsigned) the midpoint.
    n = 24
    s = random_scales(rng, n)
    z = np.where(np.arange(n) % 2 == 0, 0, (qlo + qhi + 1) // 2)
    u = rng.uniform(qlo - 2, qhi + 2, n)
    add((s.astype(np.float64) * (u - z)).astype(F32), s, z)

    x, s, z = np.concatenate(xs), np.concatenate(ss), np.concatenate(zs)
    narrow = rng.integers(0, 2, x.size).astype(bool)
    lo = np.where(narrow, qlo + 1, qlo)
    q = []
    for mode in MODES:
        r = round_mode(scaled(x, s, mode), mode)
        with np.errstate(invalid="ignore"):
            q.append(clip_to_int(r + z, lo, qhi, z))
    q = np.stack(q)
    deq = (s * (q[0] - z).astype(F32)).astype(F32)
    save("affine", kind + "_x", x)
    save("affine", kind + "_scale", s)
    save("affine", kind + "_zp", z.astype(np.int32))
    save("affine", kind + "_narrow", narrow)
    save("affine", kind + "_q", q.astype(np.int32))
    save("affine", kind + "_deq", deq)
    return x.size


def gen_minval(rng, kind):
    bits, signed = INT_KINDS[kind]
    qlo, qhi = int_range(bits, signed, False)
    levels = qhi - qlo
    xs, ss, ms = [], [], []

    def add(x, s, m):
        xs.append(np.asarray(x, F32).ravel())
        ss.append(np.broadcast_to(np.asarray(s, F32), xs[-1].shape).ravel())
        ms.append(np.broadcast_to(np.asarray(m, F32), xs[-1].shape).ravel())

    # Random minima and values over and around [m, m + s * levels].
    n = 64
    s = random_scales(rng, n)
    m = (s * rng.uniform(-levels, levels / 4, n)).astype(F32)
    u = rng.uniform(-3, levels + 3, n)
    add((m + s.astype(np.float64) * u).astype(F32), s, m)
    # Exact ties: x - m == (k + 0.5) * s exactly.
    n = 40
    s = short_scales(rng, n)
    j = rng.integers(-levels, 4, n)
    k = rng.integers(-2, levels + 2, n)
    m = exact_f32(j * s.astype(np.float64))
    add(exact_f32((j + k + 0.5) * s.astype(np.float64)), s, m)
    # Specials.
    special = np.array([0.0, -0.0, 3e38, -3e38, np.inf, -np.inf, np.nan], F32)
    n = len(special)
    s = random_scales(rng, n)
    add(special, s, (s * rng.uniform(-levels, 0, n)).astype(F32))

    x, s, m = np.concatenate(xs), np.concatenate(ss), np.concatenate(ms)
    q = []
    for mode in MODES:
        with np.errstate(invalid="ignore", over="ignore"):
            d = (x - m).astype(F32)
        r = round_mode(scaled(d, s, mode), mode)
        q.append(clip_to_int(r + qlo, qlo, qhi, qlo))
    q = np.stack(q)
    deq = ((s * (q[0] - qlo).astype(F32)).astype(F32) + m).astype(F32)
    save("minval", kind + "_x", x)
    save("minval", kind + "_scale", s)
    save("minval", kind + "_min", m)
    save("minval", kind + "_q", q.astype(np.int32))
    save("minval", kind + "_deq", deq)
    return x.size


#===----------------------------------------------------------------------===#
# Minifloats, from the format definitions
#===----------------------------------------------------------------------===#


class MiniFloat:
    """A sign/exponent/mantissa format with the given bias.

    inf: exponent all ones with mantissa 0 is infinity (IEEE-like).
    nan: "ieee" (exponent all ones, mantissa != 0), "all_ones" (only
    S.1111.111) or None. nan_bits: the code stored for NaN inputs.
    """

    def __init__(self, ebits, mbits, bias, inf, nan, nan_bits):
        self.ebits, self.mbits, self.bias = ebits, mbits, bias
        self.inf, self.nan, self.nan_bits = inf, nan, nan_bits
        self.bits = 1 + ebits + mbits
        self.values = np.array([self.decode(c) for c in range(2 ** self.bits)])
        positive = np.arange(2 ** (self.bits - 1))
        finite = np.isfinite(self.values[positive])
        self.pos_codes = positive[finite]
        self.pos_values = self.values[self.pos_codes]
        assert np.all(np.diff(self.pos_values) > 0)

    def decode(self, code):
        sign = -1.0 if code >> (self.ebits + self.mbits) else 1.0
        e = (code >> self.mbits) & (2 ** self.ebits - 1)
        mant = code & (2 ** self.mbits - 1)
        e_max = 2 ** self.ebits - 1
        if self.nan == "ieee" and e == e_max and mant != 0:
            return np.nan
        mant_max = 2 ** self.mbits - 1
        if self.nan == "all_ones" and e == e_max and mant == mant_max:
            return np.nan
        if self.inf and e == e_max and mant == 0:
            return sign * np.inf
        if e == 0:  # subnormal
            return sign * mant / 2.0 ** self.mbits * 2.0 ** (1 - self.bias)
        return sign * (1 + mant / 2.0 ** self.mbits) * 2.0 ** (e - self.bias)

    @property
    def max_finite(self):
        return self.pos_values[-1]

    def encode(self, y):
        """Nearest value, ties to the even code, saturating; keeps the sign."""
        y = float(y)
        if np.isnan(y):
            return self.nan_bits
        a = abs(y)
        i = int(np.searchsorted(self.pos_values, a))
        if i == len(self.pos_values):
            code = self.pos_codes[-1]  # saturate (+-Inf included)
        elif self.pos_values[i] == a or i == 0:
            code = self.pos_codes[i]
        else:
            lo, hi = self.pos_values[i - 1], self.pos_values[i]
            if a - lo < hi - a:
                code = self.pos_codes[i - 1]
            elif hi - a < a - lo:
                code = self.pos_codes[i]
            else:  # tie: the code with an even mantissa
                below, above = self.pos_codes[i - 1], self.pos_codes[i]
                code = below if below % 2 == 0 else above
        if np.signbit(y):
            code |= 1 << (self.bits - 1)
        return int(code)


FLOAT_KINDS = {
    # OCP FP8 E4M3: no infinities, NaN only at S.1111.111.
    "f8E4M3FN": MiniFloat(4, 3, 7, inf=False, nan="all_ones", nan_bits=0x7F),
    # OCP FP8 E5M2: IEEE-like; the canonical quiet NaN is 0.11111.10.
    "f8E5M2": MiniFloat(5, 2, 15, inf=True, nan="ieee", nan_bits=0x7E),
    # OCP MX FP4 E2M1: no infinities and no NaN; NaN inputs store +0.
    "f4E2M1FN": MiniFloat(2, 1, 1, inf=False, nan=None, nan_bits=0x0),
}


def gen_minifloat(rng, kind):
    fmt = FLOAT_KINDS[kind]
    assert fmt.max_finite == {"f8E4M3FN": 448, "f8E5M2": 57344,
                              "f4E2M1FN": 6}[kind]
    save("minifloat", kind + "_decode", fmt.values.astype(F32))

    # Encode at scale 1: every value, every midpoint, their neighbours.
    vals = fmt.pos_values
    mids = (vals[:-1] + vals[1:]) / 2
    mids = np.concatenate([mids, [fmt.max_finite * 1.0625]])  # beyond max
    enc = np.concatenate([vals, mids])
    enc = exact_f32(np.concatenate([enc, -enc]))
    enc = np.concatenate([
        enc,
        np.nextafter(enc, F32(np.inf)),
        np.nextafter(enc, F32(-np.inf)),
        np.array([fmt.max_finite * 2, -fmt.max_finite * 2, 1e30, -1e30,
                  3.4e38, np.inf, -np.inf, np.nan, -np.nan, 1e-40, -1e-40],
                 F32)])
    save("minifloat", kind + "_enc_x", enc)
    save("minifloat", kind + "_enc_bits",
         np.array([fmt.encode(v) for v in enc], np.uint8))

    # Scaled quantization.
    xs, ss = [], []
    n = 96
    s = random_scales(rng, n)
    sign = np.where(rng.integers(0, 2, n) == 1, -1.0, 1.0)
    smallest = fmt.pos_values[1]
    mag = np.exp(rng.uniform(np.log(smallest / 4),
                             np.log(fmt.max_finite * 1.5), n))
    xs.append((sign * mag * s).astype(F32))
    ss.append(s)
    n = 64
    s = random_scales(rng, n)
    xs.append((rng.uniform(-1.2, 1.2, n) * fmt.max_finite * s).astype(F32))
    ss.append(s)
    # Ties between representable values with power-of-two scales.
    n = 48
    s = (2.0 ** rng.integers(-8, 4, n)).astype(F32)
    t = mids[rng.integers(0, len(mids) - 1, n)] * np.where(
        rng.integers(0, 2, n) == 1, -1.0, 1.0)
    xs.append(exact_f32(t * s))
    ss.append(s)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3e38, -3e38], F32)
    xs.append(special)
    ss.append(random_scales(rng, len(special)))

    x, s = np.concatenate(xs), np.concatenate(ss)
    bits = np.stack([
        np.array([fmt.encode(v) for v in scaled(x, s, mode)], np.uint8)
        for mode in ("half_even", "reciprocal")])
    deq = (s * fmt.values[bits[0]].astype(F32)).astype(F32)
    save("minifloat", kind + "_x", x)
    save("minifloat", kind + "_scale", s)
    save("minifloat", kind + "_bits", bits)
    save("minifloat", kind + "_deq", deq)
    return enc.size + x.size


#===----------------------------------------------------------------------===#
# Requantization, with exact rational / big-integer arithmetic
#===----------------------------------------------------------------------===#


def round_half_up_fraction(f):
    """floor(f + 1/2) for a Fraction."""
    return (f + Fraction(1, 2)).__floor__()


def fixed_point(m):
    """m ~= multiplier * 2^-shift, multiplier in [2^30, 2^31) rounded to
    nearest (ties up) in a single rounding; shift saturates at 62, where the
    multiplier is round(m * 2^62) and may fall below 2^30."""
    fm = Fraction(m)
    shift = 0
    while fm * 2 ** shift < 2 ** 30:
        shift += 1
    while fm * 2 ** shift >= 2 ** 31:
        shift -= 1
    shift = min(shift, 62)
    mult = round_half_up_fraction(fm * 2 ** shift)
    if mult == 2 ** 31:
        mult, shift = 2 ** 30, shift - 1
    return mult, shift


def gen_requant(rng):
    # computeFixedPointMultiplier.
    ms = list(2.0 ** rng.uniform(-40, 29.5, 160))
    ms += list(2.0 ** rng.uniform(-35, -31, 40))  # around the saturated shift
    ms += [1.0, 0.5, 0.25, 2.0 ** -32, 2.0 ** -33, 2.0 ** -40, 2.0 ** 29,
           np.nextafter(1.0, 0.0), np.nextafter(1.0, 2.0), 1 / 3, 0.1,
           # llround of fraction * 2^31 rounds up to 2^31 here.
           1.0 - 2.0 ** -33, 0.5 - 2.0 ** -34]
    m = np.array(ms, np.float64)
    fp = [fixed_point(v) for v in m]
    save("requant", "fp_m", m)
    save("requant", "fp_multiplier", np.array([a for a, _ in fp], np.int32))
    save("requant", "fp_shift", np.array([b for _, b in fp], np.int32))

    # applyFixedPointMultiplier: (v * multiplier + 2^(shift-1)) >> shift,
    # exact (floor division) on values whose 64-bit products do not overflow.
    n = 200
    pick = rng.integers(0, len(fp), n)
    mult = np.array([fp[i][0] for i in pick], np.int64)
    shift = np.array([fp[i][1] for i in pick], np.int64)
    v = rng.integers(-2 ** 31, 2 ** 31, n)
    v[:20] = rng.integers(-2 ** 15, 2 ** 15, 20)
    v[20:24] = [-2 ** 31, 2 ** 31 - 1, -2 ** 32, 0]
    # Exact ties: v * multiplier == (2k + 1) * 2^(shift-1).
    for i in range(24, 40):
        mult[i], shift[i] = 2 ** 30, 31 + int(rng.integers(0, 3))  # 2^-1..-3
        v[i] = int(rng.integers(-1000, 1000)) * 2 ** (shift[i] - 30) + \
            2 ** (shift[i] - 31)
    out = [(int(a) * int(b) + 2 ** (int(c) - 1)) >> int(c)
           for a, b, c in zip(v, mult, shift)]
    for a, b, c in zip(v, mult, shift):
        assert abs(int(a) * int(b) + 2 ** (int(c) - 1)) < 2 ** 63
    save("requant", "apply_v", v.astype(np.int64))
    save("requant", "apply_multiplier", mult.astype(np.int32))
    save("requant", "apply_shift", shift.astype(np.int32))
    save("requant", "apply_out", np.array(out, np.int64))

    # requantizeFloat to full-range int8:
    # clip(round_half_even(float32(q - zin) * float32 m) + zout, -128, 127).
    n = 160
    q = rng.integers(-2 ** 20, 2 ** 20, n)
    q[:40] = rng.integers(-300, 300, 40)
    zin = rng.integers(-100, 100, n)
    zout = rng.integers(-128, 128, n)
    m = (2.0 ** rng.uniform(-12, 2, n)).astype(F32)
    m[:16] = F32(0.5)  # exact ties
    y = ((q - zin).astype(F32) * m).astype(F32)
    out = clip_to_int(round_half_even(y) + zout, -128, 127, 0)
    save("requant", "float_q", q.astype(np.int32))
    save("requant", "float_zin", zin.astype(np.int32))
    save("requant", "float_m", m)
    save("requant", "float_zout", zout.astype(np.int32))
    save("requant", "float_out", out.astype(np.int32))
    return len(ms) + 2 * n


#===----------------------------------------------------------------------===#
# Search: a scale where the reciprocal mode differs from the division
#===----------------------------------------------------------------------===#


def search_reciprocal_case():
    """Prints the first (s, x = (k + 0.5) * s) in float32 where
    round(x / s) != round(x * (1 / s)), for NumericsTest.cpp to hard-code."""
    for s in [F32(0.1), F32(0.3), F32(0.7), F32(0.01), F32(3.0)]:
        for k in range(0, 128):
            x = F32(F32(k + 0.5) * s)
            a = np.round(scaled(np.array([x]), s, "half_even"))[0]
            b = np.round(scaled(np.array([x]), s, "reciprocal"))[0]
            if a != b:
                print("reciprocal differs: s=%r (%s) x=%r (%s): x/s -> %d, "
                      "x*(1/s) -> %d" % (float(s), s.view(np.uint32).item(),
                                         float(x), x.view(np.uint32).item(),
                                         a, b))
                return


def main():
    rng = np.random.default_rng(20240601)
    counts = {}
    for kind in INT_KINDS:
        counts["affine/" + kind] = gen_affine(rng, kind)
    for kind in INT_KINDS:
        counts["minval/" + kind] = gen_minval(rng, kind)
    for kind in FLOAT_KINDS:
        counts["minifloat/" + kind] = gen_minifloat(rng, kind)
    counts["requant"] = gen_requant(rng)
    for name, count in counts.items():
        print("%-20s %d cases" % (name, count))
    print("total %d cases" % sum(counts.values()))
    search_reciprocal_case()


if __name__ == "__main__":
    main()
