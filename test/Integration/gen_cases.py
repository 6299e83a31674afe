#!/usr/bin/python3
"""Generates the qnt execution cases in test/Integration/cases/.

Run with Debian's python3 (it has numpy):

    /usr/bin/python3 test/Integration/gen_cases.py

For every case NAME this writes

    cases/NAME.mlir           one public func @main with one qnt op, plus
                              the lit RUN lines that execute it with quant-run
                              and compare the result with check_case.py;
    cases/NAME.in0.npy        the input;
    cases/NAME.expected0.npy  the expected output, computed by the numpy
                              oracle below.

The oracle is written from the numerics contract (docs/Numerics.md, the qnt
op descriptions), NOT from lib/QuantOpt/Numerics: integer rounding works on
exact float64 copies of the float32 quotients, products of two float32
values are formed exactly in float64 and rounded once, and minifloats are
encoded by brute force over every code of the format (nearest value, ties
to the even code). selfcheck_oracle.py recomputes every expected file a
second way (scalar Python, exact rationals, parameters re-read from the
.mlir text).

The output is deterministic: every case seeds its own generator from a CRC
of its name, so adding a case does not change the others.
"""

import os
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")

F32 = np.float32
F64 = np.float64

#===------------------------------------------------------------------------===#
# Storage kinds
#===------------------------------------------------------------------------===#

# name -> (bits, signed)
INT_KINDS = {
    "i2": (2, True), "i4": (4, True), "i8": (8, True), "i16": (16, True),
    "i32": (32, True),
    "ui2": (2, False), "ui4": (4, False), "ui8": (8, False),
    "ui16": (16, False),
}

# name -> (exponent bits, mantissa bits, bias, special encodings)
#   'fn'   : only exponent=all-ones & mantissa=all-ones is NaN, no infinity
#   'ieee' : exponent=all-ones is Inf (mantissa 0) or NaN
#   'none' : every code is finite
#   'fnuz' : no infinity, no negative zero; the sign bit alone is the NaN
MINIFLOATS = {
    "f8E4M3FN": (4, 3, 7, "fn"),
    "f8E5M2": (5, 2, 15, "ieee"),
    "f4E2M1FN": (2, 1, 1, "none"),
    # The MX formats' six-bit elements (OCP MX v1.0).
    "f6E2M3FN": (2, 3, 1, "none"),
    "f6E3M2FN": (3, 2, 3, "none"),
    # ONNX's FNUZ float8 types (biases 8 and 16).
    "f8E4M3FNUZ": (4, 3, 8, "fnuz"),
    "f8E5M2FNUZ": (5, 2, 16, "fnuz"),
}
MINIFLOAT_MAX = {"f8E4M3FN": 448.0, "f8E5M2": 57344.0, "f4E2M1FN": 6.0,
                 "f6E2M3FN": 7.5, "f6E3M2FN": 28.0, "f8E4M3FNUZ": 240.0,
                 "f8E5M2FNUZ": 57344.0}
# The float8 kinds, which have a NaN or an infinity to overflow to.
F8_KINDS = ["f8E4M3FN", "f8E5M2", "f8E4M3FNUZ", "f8E5M2FNUZ"]

BASE_INT_KINDS = ["i2", "i4", "i8", "i16", "ui2", "ui4", "ui8", "ui16"]
BASE_FLOAT_KINDS = ["f8E4M3FN", "f8E5M2", "f4E2M1FN", "f6E2M3FN", "f6E3M2FN",
                    "f8E4M3FNUZ", "f8E5M2FNUZ"]


def is_float_kind(kind):
    return kind in MINIFLOATS


def int_range(kind, narrow=False):
    bits, signed = INT_KINDS[kind]
    if signed:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        return (lo + 1 if narrow else lo), hi
    return (1 if narrow else 0), (1 << bits) - 1


def stored_elem_type(kind):
    """MLIR element type of stored tensors."""
    if is_float_kind(kind):
        return kind
    return "i%d" % INT_KINDS[kind][0]


def stored_np_dtype(kind):
    """numpy dtype that carries stored tensors through quant-run."""
    if is_float_kind(kind):
        return np.float32  # decoded values
    bits, signed = INT_KINDS[kind]
    width = max(bits, 8)
    return np.dtype(("int%d" if signed else "uint%d") % width).type


EXPRESSED_NP = {"f32": np.float32, "f16": np.float16, "bf16": np.float32}


def minifloat_table(kind):
    """Decoded value of every code 0 .. 2^bits-1 (float64; NaN/Inf where the
    format has them). Written from the bit layout."""
    ebits, mbits, bias, special = MINIFLOATS[kind]
    n = 1 << (1 + ebits + mbits)
    vals = np.empty(n, dtype=F64)
    emask, mmask = (1 << ebits) - 1, (1 << mbits) - 1
    for code in range(n):
        sign = -1.0 if (code >> (ebits + mbits)) & 1 else 1.0
        e = (code >> mbits) & emask
        m = code & mmask
        if special == "fn" and e == emask and m == mmask:
            vals[code] = np.nan
            continue
        if special == "ieee" and e == emask:
            vals[code] = sign * np.inf if m == 0 else np.nan
            continue
        if special == "fnuz" and sign < 0 and e == 0 and m == 0:
            vals[code] = np.nan
            continue
        if e == 0:
            mag = (m / float(1 << mbits)) * 2.0 ** (1 - bias)
        else:
            mag = (1.0 + m / float(1 << mbits)) * 2.0 ** (e - bias)
        vals[code] = sign * mag
    return vals


def minifloat_positive_grid(kind):
    """(codes, values) of the non-negative finite codes, ascending."""
    tab = minifloat_table(kind)
    half = len(tab) // 2
    codes = np.array([c for c in range(half) if np.isfinite(tab[c])])
    vals = tab[codes]
    assert np.all(np.diff(vals) > 0)
    assert vals.max() == MINIFLOAT_MAX[kind], (kind, vals.max())
    return codes, vals


for _k in MINIFLOATS:
    minifloat_positive_grid(_k)  # sanity of the tables at import time

#===------------------------------------------------------------------------===#
# Parameters
#===------------------------------------------------------------------------===#


def f32_text(v):
    """A decimal literal with a '.', no exponent, that reads back (through
    double, as the MLIR parser does) as exactly the float32 `v`."""
    v = F32(v)
    for s in (np.format_float_positional(v, unique=True, trim="0"),
              np.format_float_positional(float(v), unique=True, trim="0")):
        if "." in s and "e" not in s and \
                F32(float(s)).view(np.uint32) == v.view(np.uint32):
            return s
    raise AssertionError("cannot print %r" % v)


def group_index(shape, axis, block):
    """Row-major index of the parameter group of every element."""
    shape = tuple(shape)
    if axis < 0:
        return np.zeros(shape, dtype=np.int64)
    idx = np.indices(shape)
    if block == 0:
        return idx[axis].astype(np.int64)
    pshape = list(shape)
    pshape[axis] = -(-shape[axis] // block)  # ceil: the last block may be shorter
    idx[axis] //= block
    return np.ravel_multi_index(tuple(idx), pshape).astype(np.int64)


def num_groups(shape, axis, block):
    if axis < 0:
        return 1
    if block == 0:
        return shape[axis]
    return int(np.prod(shape)) // shape[axis] * -(-shape[axis] // block)


class Params:
    def __init__(self, kind, scales, zps=None, mins=None, axis=-1, block=0,
                 narrow=False, expressed="f32", explicit_zps=True):
        self.kind = kind
        self.scales = np.asarray(scales, dtype=F32).ravel()
        self.zps = None if zps is None else np.asarray(zps, np.int64).ravel()
        self.mins = None if mins is None else np.asarray(mins, F32).ravel()
        self.axis, self.block = axis, block
        self.narrow, self.expressed = narrow, expressed
        # Signed symmetric parameters leave zero_points out (default 0).
        self.explicit_zps = explicit_zps
        assert np.all(self.scales > 0) and np.all(np.isfinite(self.scales))
        if not is_float_kind(kind):
            qmin, qmax = self.range()
            if self.zps is not None:
                assert np.all((self.zps >= qmin) & (self.zps <= qmax))
            elif self.mins is None:
                assert qmin <= 0 <= qmax

    def range(self):
        return int_range(self.kind, self.narrow)

    def zero_points(self):
        if self.zps is None:
            return np.zeros(len(self.scales), np.int64)
        return self.zps

    def per_element(self, shape):
        gi = group_index(shape, self.axis, self.block)
        assert num_groups(shape, self.axis, self.block) == len(self.scales)
        s = self.scales[gi]
        z = self.zero_points()[gi]
        m = None if self.mins is None else self.mins[gi]
        return s, z, m

    def text(self):
        t = self.kind
        if self.expressed != "f32":
            t += ":" + self.expressed
        if self.narrow:
            t += ", narrow"
        if self.axis >= 0:
            t += ", axis = %d" % self.axis
            if self.block:
                t += ", block = %d" % self.block
        t += ", scales = [%s]" % ", ".join(f32_text(s) for s in self.scales)
        if self.zps is not None and self.explicit_zps:
            t += ", zero_points = [%s]" % ", ".join(str(int(z))
                                                     for z in self.zps)
        if self.mins is not None:
            t += ", min_values = [%s]" % ", ".join(f32_text(m)
                                                   for m in self.mins)
        return "#qnt.params<%s>" % t


#===------------------------------------------------------------------------===#
# The oracle
#===------------------------------------------------------------------------===#


def to_bf16(x):
    """float32 -> nearest-even bfloat16, returned as float32."""
    x = np.asarray(x, dtype=F32)
    b = x.view(np.uint32).astype(np.uint64)
    r = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) << 16
    out = (r & 0xFFFFFFFF).astype(np.uint32).view(F32)
    return np.where(np.isnan(x), F32(np.nan), out).astype(F32)


def round32(x64):
    """float64 -> float32, round to nearest even (one rounding)."""
    with np.errstate(over="ignore"):
        return np.asarray(x64, dtype=F64).astype(F32)


def exact_mul32(a, b):
    """float32 a * b: the exact product (fits float64) rounded once."""
    return round32(np.asarray(a, F32).astype(F64) * np.asarray(b, F32).astype(F64))


def round_integral(y, mode):
    """Rounds float32 values (given as exact float64) to integers."""
    y = np.asarray(y, dtype=F64)
    with np.errstate(invalid="ignore"):
        f = np.floor(y)
        d = y - f  # exact: 0 <= d < 1
        if mode in ("half_even", "reciprocal"):
            odd = np.fmod(f, 2.0) != 0
            r = f + ((d > 0.5) | ((d == 0.5) & odd))
        elif mode == "half_away":
            r = np.where(y >= 0, f + (d >= 0.5), f + (d > 0.5))
        elif mode == "half_up":
            r = f + (d >= 0.5)
        else:
            raise ValueError(mode)
    return np.where(np.isfinite(y), r, y)


def round_precision(x64, precision):
    """float64 -> the nearest f16 / bf16 value (ties to even), as float32.
    From float64 in one step for f16; bf16 through float32, where the two
    roundings of an exact float64 value equal one (24 >= 2 * 8 + 2)."""
    with np.errstate(all="ignore"):
        if precision == "f16":
            return np.asarray(x64, F64).astype(np.float16).astype(F32)
        return to_bf16(round32(x64))


def apply_inverse_scale(t, s, mode, precision=None):
    """float32 t / s, or t * float32(1 / s) for the reciprocal mode. With a
    precision (f16, bf16): t, 1 / s and the quotient or product rounded to
    it, each from its exact value (float64 holds the products exactly and
    the quotient with 53 bits, so one rounding to 11 or 8 bits is exact)."""
    with np.errstate(all="ignore"):
        if precision:
            t = round_precision(np.asarray(t, F32).astype(F64), precision)
            s64 = np.asarray(s, F32).astype(F64)
            if mode == "reciprocal":
                inv = round_precision(1.0 / s64, precision)
                return round_precision(t.astype(F64) * inv.astype(F64),
                                       precision)
            return round_precision(t.astype(F64) / s64, precision)
        if mode == "reciprocal":
            inv = F32(1.0) / s
            return exact_mul32(t, inv)
        return (np.asarray(t, F32) / np.asarray(s, F32)).astype(F32)


def quantize_int(x, p, shape, mode, precision=None):
    s, z, m = p.per_element(shape)
    qmin, qmax = p.range()
    x = np.asarray(x, F32)
    with np.errstate(all="ignore"):
        if m is not None:
            t = (x - m).astype(F32)
            off = np.full(x.shape, qmin, np.int64)
        else:
            t = x
            off = z
    y = apply_inverse_scale(t, s, mode, precision).astype(F64)
    r = round_integral(y, mode)
    v = np.where(np.isnan(y), off.astype(F64), r + off)
    q = np.clip(v, qmin, qmax)
    return q.astype(np.int64)


def dequantize_int(q, p, shape):
    s, z, m = p.per_element(shape)
    qmin, _ = p.range()
    q = np.asarray(q, np.int64)
    if m is not None:
        prod = round32(s.astype(F64) * (q - qmin).astype(F64))
        return (prod + m).astype(F32)  # IEEE float32 addition
    return round32(s.astype(F64) * (q - z).astype(F64))


def encode_minifloat(y, kind, saturate=True):
    """float32 values -> decoded float32 value of the stored code: nearest
    code by brute force over all codes, ties to the even code, saturating.
    Without saturation the grid gets one more value past the largest finite
    one (the next step of the top binade, with the next code's parity: the
    rounding of an unbounded exponent); values nearest to it overflow to the
    infinity ('ieee') or the NaN. The FNUZ kinds have no negative zero."""
    codes, vals = minifloat_positive_grid(kind)
    if not saturate:
        assert kind in F8_KINDS
        codes = np.append(codes, codes[-1] + 1)
        vals = np.append(vals, 2 * vals[-1] - vals[-2])
    y = np.asarray(y, F32).astype(F64)
    a = np.minimum(np.abs(y), MINIFLOAT_MAX[kind] * (1 if saturate else 2))
    a_ok = np.where(np.isnan(a), 0.0, a)
    dist = np.abs(a_ok[..., None] - vals)          # [..., ncodes]
    best = dist.min(axis=-1, keepdims=True)
    cand = dist == best
    # Among equally near codes prefer the even one (there are at most two).
    even = cand & ((codes % 2) == 0)
    pick = np.where(even.any(axis=-1, keepdims=True), even, cand)
    idx = np.argmax(pick, axis=-1)
    mag = vals[idx]
    if not saturate:
        overflow = np.inf if MINIFLOATS[kind][3] == "ieee" else np.nan
        mag = np.where(idx == len(vals) - 1, overflow, mag)
    out = np.where(np.signbit(y), -mag, mag)
    if MINIFLOATS[kind][3] == "fnuz":
        out = np.where(out == 0, 0.0, out)  # +0 only
    nan_value = 0.0 if MINIFLOATS[kind][3] == "none" else np.nan
    out = np.where(np.isnan(y), nan_value, out)
    return out.astype(F32)


def quantize_float(x, p, shape, mode, saturate=True, precision=None):
    s, _, _ = p.per_element(shape)
    y = apply_inverse_scale(np.asarray(x, F32), s, mode, precision)
    return encode_minifloat(y, p.kind, saturate)


def dequantize_float(v, p, shape):
    s, _, _ = p.per_element(shape)
    with np.errstate(invalid="ignore"):
        return round32(s.astype(F64) * np.asarray(v, F32).astype(F64))


def to_expressed(x32, expressed):
    x32 = np.asarray(x32, F32)
    if expressed == "f32":
        return x32
    if expressed == "f16":
        with np.errstate(over="ignore"):
            return x32.astype(np.float16)
    return to_bf16(x32)


def oracle_quantize(x, p, mode, saturate=True, precision=None):
    x32 = np.asarray(x).astype(F32)  # f16 / bf16 inputs widen exactly
    if is_float_kind(p.kind):
        return quantize_float(x32, p, x.shape, mode, saturate, precision)
    return quantize_int(x32, p, x.shape, mode, precision).astype(
        stored_np_dtype(p.kind))


def oracle_dequantize(q, p):
    if is_float_kind(p.kind):
        r = dequantize_float(q, p, q.shape)
    else:
        r = dequantize_int(q, p, q.shape)
    return to_expressed(r, p.expressed)


def oracle_fake_quant(x, p, mode):
    x32 = np.asarray(x).astype(F32)
    if is_float_kind(p.kind):
        r = dequantize_float(quantize_float(x32, p, x.shape, mode), p, x.shape)
    else:
        r = dequantize_int(quantize_int(x32, p, x.shape, mode), p, x.shape)
    return to_expressed(r, p.expressed)


def fixed_point_multiplier(m):
    """M = mult * 2^-shift, mult in [2^30, 2^31) (frexp based)."""
    import math
    frac, exp = math.frexp(m)
    mult = int(math.floor(frac * 2.0 ** 31 + 0.5))
    if mult == 1 << 31:
        mult //= 2
        exp += 1
    shift = 31 - exp
    assert 1 <= shift <= 62, (m, shift)
    return mult, shift


def requant_groups(pin, pout, shape):
    """Per-element (s_in, z_in, s_out, z_out)."""
    s_in, z_in, _ = pin.per_element(shape)
    s_out, z_out, _ = pout.per_element(shape)
    return s_in, z_in, s_out, z_out


def oracle_requantize(q, pin, pout, mode, stated=None):
    """stated: per-element (multiplier, shift) arrays given explicitly (a
    TOSA rescale's), instead of the ones the scales give."""
    shape = q.shape
    s_in, z_in, s_out, z_out = requant_groups(pin, pout, shape)
    qmin, qmax = pout.range()
    v = np.asarray(q, np.int64) - z_in
    if mode.startswith("fixed_point"):
        out = np.empty(shape, np.int64)
        for i in np.ndindex(*shape):
            if stated is not None:
                mult, shift = int(stated[0][i]), int(stated[1][i])
            else:
                mult, shift = fixed_point_multiplier(
                    float(s_in[i]) / float(s_out[i]))
            vi = int(v[i])
            rnd = 1 << (shift - 1)
            # TOSA apply_scale_32 with double_round.
            if mode == "fixed_point_double_round" and shift > 31:
                rnd += (1 << 30) if vi >= 0 else -(1 << 30)
            prod = vi * mult + rnd
            assert -(1 << 63) <= prod < (1 << 63)
            out[i] = min(max((prod >> shift) + int(z_out[i]), qmin), qmax)
    else:
        mult32 = round32(s_in.astype(F64) / s_out.astype(F64))
        vf = round32(v.astype(F64))  # exact int64 -> float64, one rounding
        scaled = exact_mul32(vf, mult32)
        r = round_integral(scaled.astype(F64), "half_even")
        out = np.clip(r + z_out, qmin, qmax).astype(np.int64)
    return out.astype(stored_np_dtype(pout.kind))


#===------------------------------------------------------------------------===#
# Parameter and input generation
#===------------------------------------------------------------------------===#


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def gen_scales(rng, n, lo_exp, hi_exp, dyadic_prob):
    """n positive float32 scales around 2^lo_exp .. 2^hi_exp; a dyadic scale
    (odd * 2^-k, few bits) makes the ties below exact."""
    out = []
    for _ in range(n):
        if rng.random() < dyadic_prob:
            mant = int(rng.choice([1, 3, 5, 7, 9, 11, 13, 15]))
            e = int(rng.integers(lo_exp, hi_exp + 1))
            v = mant * 2.0 ** e / (8 if mant > 7 else 4 if mant > 3 else
                                   2 if mant > 1 else 1)
        else:
            v = 2.0 ** rng.uniform(lo_exp, hi_exp + 1)
        out.append(F32(v))
    return np.array(out, dtype=F32)


def scale_exponents(kind):
    if is_float_kind(kind):
        return -6, 1
    bits = INT_KINDS[kind][0]
    if bits == 16:
        return -12, -6
    if bits == 8:
        return -7, -2
    return -3, 1


def make_params(rng, kind, scheme, shape, axis, block, narrow=False,
                expressed="f32", dyadic_prob=0.6):
    n = num_groups(shape, axis, block)
    lo, hi = scale_exponents(kind)
    scales = gen_scales(rng, n, lo, hi, dyadic_prob)
    if is_float_kind(kind):
        return Params(kind, scales, axis=axis, block=block,
                      expressed=expressed)
    qmin, qmax = int_range(kind, narrow)
    signed = INT_KINDS[kind][1]
    if scheme == "sym":
        if signed:
            return Params(kind, scales, zps=np.zeros(n, np.int64), axis=axis,
                          block=block, narrow=narrow, expressed=expressed,
                          explicit_zps=False)
        mid = 1 << (INT_KINDS[kind][0] - 1)
        return Params(kind, scales, zps=np.full(n, mid), axis=axis,
                      block=block, narrow=narrow, expressed=expressed)
    if scheme == "asym":
        zps = rng.integers(qmin, qmax + 1, n)
        if n >= 2:  # make sure the extremes of the range are exercised
            zps[0] = qmin if rng.random() < 0.5 else qmax
        return Params(kind, scales, zps=zps, axis=axis, block=block,
                      narrow=narrow, expressed=expressed)
    if scheme == "minval":
        span = qmax - qmin
        mins = []
        for s in scales:
            steps = int(rng.integers(-span, span // 4 + 1))
            frac = float(rng.choice([0.0, 0.25, 0.5, 0.375, 0.8]))
            mins.append(F32(float(s) * (steps + frac)))
        return Params(kind, scales, mins=mins, axis=axis, block=block,
                      narrow=narrow, expressed=expressed)
    raise ValueError(scheme)


SPECIALS = [0.0, -0.0, np.nan, np.inf, -np.inf, 3.0e38, -3.0e38, 1.0e-40,
            -1.0e-40, -np.nan]


def place_specials(rng, x, specials):
    flat = x.reshape(-1)
    pos = rng.permutation(flat.size)[:len(specials)]
    for p, v in zip(pos, specials):
        flat[p] = v
    return x


def nudge(x32, rng):
    """One float32 ulp up or down."""
    d = np.where(rng.random(x32.shape) < 0.5, np.inf, -np.inf).astype(F32)
    return np.nextafter(x32, d).astype(F32)


def gen_real_for_int(rng, p, shape, with_specials=True):
    """Real inputs for an integer-storage quantize / fake_quant."""
    s, z, m = p.per_element(shape)
    qmin, qmax = p.range()
    c = np.full(shape, qmin, np.int64) if m is not None else z
    origin = m.astype(F64) if m is not None else np.zeros(shape)
    big = (qmax - qmin) > 1000
    cat = rng.choice(5, size=shape, p=[0.3, 0.3, 0.12, 0.14, 0.14])
    k = rng.integers(qmin - 2, qmax + 2, size=shape)
    if big:  # i16/u16: half of the integers near the zero point
        near = rng.random(shape) < 0.5
        k = np.where(near, c + rng.integers(-6, 6, size=shape), k)
    t = np.empty(shape, F64)
    tie = (k - c) + 0.5
    t[cat == 0] = tie[cat == 0]                                   # exact ties
    u = rng.uniform(qmin - 3, qmax + 3, size=shape) - c
    t[cat == 1] = u[cat == 1]                                     # anywhere
    t[cat == 2] = tie[cat == 2]                                   # ties +- ulp
    t[cat == 3] = (k - c)[cat == 3]                               # integers
    over = np.where(rng.random(shape) < 0.5,
                    qmax - c + rng.uniform(0.5, 40, shape),
                    qmin - c - rng.uniform(0.5, 40, shape))
    t[cat == 4] = over[cat == 4]                                  # beyond
    x = round32(origin + t * s.astype(F64))
    x = np.where(cat == 2, nudge(x, rng), x).astype(F32)
    if with_specials:
        x = place_specials(rng, x, SPECIALS)
    return x


def gen_real_for_float(rng, p, shape, with_specials=True):
    """Real inputs for a minifloat quantize / fake_quant."""
    s, _, _ = p.per_element(shape)
    _, vals = minifloat_positive_grid(p.kind)
    mx = MINIFLOAT_MAX[p.kind]
    n = int(np.prod(shape))
    i = rng.integers(0, len(vals) - 1, n)
    mids = (vals[i] + vals[i + 1]) / 2
    cat = rng.choice(6, size=n, p=[0.2, 0.3, 0.12, 0.18, 0.1, 0.1])
    a = np.empty(n)
    a[cat == 0] = vals[rng.integers(0, len(vals), n)][cat == 0]     # on grid
    a[cat == 1] = mids[cat == 1]                                    # ties
    a[cat == 2] = mids[cat == 2]                                    # ties+-ulp
    a[cat == 3] = rng.uniform(vals[i], vals[i + 1])[cat == 3]       # between
    top_step = vals[-1] - vals[-2]
    over = rng.choice([mx + top_step / 2, mx + top_step / 4,
                       mx * 1.5, mx * 1000.0], n)
    a[cat == 4] = over[cat == 4]                                    # > max
    tiny = vals[1] * rng.choice([0.5, 0.25, 0.75, 1.5], n)
    a[cat == 5] = tiny[cat == 5]                                    # subnormal
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    x = round32((sign * a).reshape(shape) * s.astype(F64))
    x = np.where(cat.reshape(shape) == 2, nudge(x, rng), x).astype(F32)
    if with_specials:
        x = place_specials(rng, x, SPECIALS)
    return x


def to_input_expressed(x32, expressed):
    if expressed == "f16":
        with np.errstate(over="ignore"):
            return x32.astype(np.float16)
    if expressed == "bf16":
        return to_bf16(x32)
    return x32.astype(F32)


def gen_stored(rng, p, shape):
    """Stored inputs for a dequantize (decoded values for minifloats)."""
    n = int(np.prod(shape))
    if is_float_kind(p.kind):
        tab = minifloat_table(p.kind)
        codes = rng.integers(0, len(tab), n)
        half = len(tab) // 2
        _, vals = minifloat_positive_grid(p.kind)
        must = [0, half, len(vals) - 1, half + len(vals) - 1, 1, half + 1]
        must += [c for c in range(len(tab)) if np.isinf(tab[c])]
        must += [c for c in range(len(tab)) if np.isnan(tab[c])][:2]
        pos = rng.permutation(n)[:len(must)]
        codes[pos] = must
        return tab[codes].astype(F32).reshape(shape)
    qmin, qmax = p.range()
    _, z, m = p.per_element(shape)
    if m is not None:  # minval: the "zero point" is qmin
        z = np.full(shape, qmin, np.int64)
    q = rng.integers(qmin, qmax + 1, size=shape)
    flat, zf = q.reshape(-1), z.reshape(-1)
    pos = rng.permutation(n)[:6]
    flat[pos[0]], flat[pos[1]] = qmin, qmax
    flat[pos[2:4]] = zf[pos[2:4]]
    flat[pos[4]], flat[pos[5]] = qmin, qmax
    return q.astype(stored_np_dtype(p.kind))


#===------------------------------------------------------------------------===#
# Cases
#===------------------------------------------------------------------------===#

CASES = []


def ttype(shape, elem):
    return "tensor<%sx%s>" % ("x".join(str(d) for d in shape), elem)


def mlir_file(name, desc, aliases, in_type, out_type, op_line):
    lines = ["// Generated by test/Integration/gen_cases.py; do not edit.",
             "// %s: %s" % (name, desc),
             "// RUN: rm -rf %%t && %%quant_run %%s --entry main --input "
             "%%S/%s.in0.npy --output-dir %%t" % name,
             "// RUN: %%python %%S/../check_case.py %%t %%S/%s" % name,
             ""]
    for alias, p in aliases:
        lines.append("#%s = %s" % (alias, p.text()))
    lines += ["",
              "func.func @main(%%arg0: %s) -> %s {" % (in_type, out_type),
              "  %s" % op_line,
              "  return %%0 : %s" % out_type,
              "}", ""]
    return "\n".join(lines)


def add_case(name, family, desc, mlir, inp, expected):
    assert all(c["name"] != name for c in CASES), name
    CASES.append(dict(name=name, family=family, desc=desc, mlir=mlir,
                      inputs=[inp], expected=[expected]))


def case_quantize(name, family, desc, p, shape, mode="half_even",
                  explicit_mode=False, x=None, rng=None, saturate=True,
                  precision=None):
    rng = rng or rng_for(name + "/data")
    if x is None:
        gen = gen_real_for_float if is_float_kind(p.kind) else gen_real_for_int
        x = gen(rng, p, shape)
    x = to_input_expressed(x, p.expressed)
    exp = oracle_quantize(x, p, mode, saturate, precision)
    if precision:
        # The case must tell the precision apart from float32 division.
        assert not np.array_equal(exp, oracle_quantize(x, p, mode, saturate),
                                  equal_nan=True), name
    if not saturate:
        assert not np.array_equal(exp, oracle_quantize(x, p, mode, True,
                                                       precision),
                                  equal_nan=True), name
    rnd = " rounding = %s" % mode if (mode != "half_even" or explicit_mode) \
        else ""
    if not saturate:
        rnd += " saturate = false"
    if precision:
        rnd += " precision = %s" % precision
    tin, tout = ttype(shape, p.expressed), ttype(shape, stored_elem_type(p.kind))
    op = "%%0 = qnt.quantize %%arg0 : %s to %s as #params%s" % (tin, tout, rnd)
    add_case(name, family, desc,
             mlir_file(name, desc, [("params", p)], tin, tout, op), x, exp)


def case_dequantize(name, family, desc, p, shape, q=None, rng=None):
    rng = rng or rng_for(name + "/data")
    if q is None:
        q = gen_stored(rng, p, shape)
    exp = oracle_dequantize(q, p)
    tin, tout = ttype(shape, stored_elem_type(p.kind)), ttype(shape, p.expressed)
    op = "%%0 = qnt.dequantize %%arg0 : %s to %s as #params" % (tin, tout)
    add_case(name, family, desc,
             mlir_file(name, desc, [("params", p)], tin, tout, op), q, exp)


def case_fake_quant(name, family, desc, p, shape, mode="half_even", x=None,
                    rng=None):
    rng = rng or rng_for(name + "/data")
    if x is None:
        gen = gen_real_for_float if is_float_kind(p.kind) else gen_real_for_int
        x = gen(rng, p, shape)
    x = to_input_expressed(x, p.expressed)
    exp = oracle_fake_quant(x, p, mode)
    rnd = " rounding = %s" % mode if mode != "half_even" else ""
    t = ttype(shape, p.expressed)
    op = "%%0 = qnt.fake_quant %%arg0 : %s as #params%s" % (t, rnd)
    add_case(name, family, desc,
             mlir_file(name, desc, [("params", p)], t, t, op), x, exp)


def case_requantize(name, desc, pin, pout, shape, mode, q, explicit_mode=False,
                    stated=None):
    """stated: (multipliers, shifts) per group of pout (per channel)."""
    stated_el = None
    if stated is not None:
        idx = group_index(shape, pout.axis, pout.block)
        stated_el = (np.asarray(stated[0])[idx], np.asarray(stated[1])[idx])
    exp = oracle_requantize(q, pin, pout, mode, stated_el)
    md = " mode = %s" % mode if (mode != "float32" or explicit_mode) else ""
    if stated is not None:
        md += (" multipliers = [%s] shifts = [%s]"
               % (", ".join(str(m) for m in stated[0]),
                  ", ".join(str(x) for x in stated[1])))
    tin = ttype(shape, stored_elem_type(pin.kind))
    tout = ttype(shape, stored_elem_type(pout.kind))
    op = ("%%0 = qnt.requantize %%arg0 : %s to %s from #in to #out%s"
          % (tin, tout, md))
    add_case(name, "requantize", desc,
             mlir_file(name, desc, [("in", pin), ("out", pout)], tin, tout, op),
             q.astype(stored_np_dtype(pin.kind)), exp)


# Granularities: (tag, description, list of (shape, axis, block) variants).
GRANULARITIES = [
    ("pt", "per tensor", [((4, 8), -1, 0), ((3, 5, 6), -1, 0)]),
    ("ch0", "per channel, axis 0", [((4, 8), 0, 0), ((3, 5, 6), 0, 0)]),
    ("chlast", "per channel, last axis", [((3, 5, 6), 2, 0), ((4, 8), 1, 0)]),
    ("blk", "per block, block divides the dim",
     [((4, 8), 1, 4), ((2, 6, 4), 1, 3), ((6, 4), 0, 2)]),
    ("blkfull", "per block, block == dim",
     [((4, 8), 1, 8), ((3, 5, 6), 2, 6), ((6, 4), 0, 6)]),
    ("blkshort", "per block, shorter last block",
     [((4, 8), 1, 3), ((2, 7, 4), 1, 3), ((5, 4), 0, 2)]),
]
OPS = ["quant", "dequant", "fakeq"]
SCHEMES = ["sym", "asym", "minval"]
SCHEME_DESC = {"sym": "symmetric", "asym": "asymmetric", "minval": "minval",
               "": "float storage"}


OP_NAMES = {"quant": "quantize", "dequant": "dequantize", "fakeq": "fake_quant"}


def add_op_case(op, name, family, desc, p, shape, mode="half_even", **kw):
    if op == "quant":
        case_quantize(name, family, desc, p, shape, mode, **kw)
    elif op == "dequant":
        case_dequantize(name, family, desc, p, shape, **kw)
    else:
        case_fake_quant(name, family, desc, p, shape, mode, **kw)


def gran_desc(shape, axis, block):
    d = "shape %s" % "x".join(map(str, shape))
    if axis >= 0:
        d += ", axis %d" % axis
    if block:
        d += ", block %d" % block
    return d


def build_matrix():
    """storage kind x granularity x op; integer kinds rotate the scheme so
    that every (kind, op) and (kind, granularity) pair sees all three."""
    for ki, kind in enumerate(BASE_INT_KINDS + BASE_FLOAT_KINDS):
        for gi, (gtag, gdesc, variants) in enumerate(GRANULARITIES):
            shape, axis, block = variants[ki % len(variants)]
            for oi, op in enumerate(OPS):
                scheme = "" if is_float_kind(kind) else \
                    SCHEMES[(ki + gi + oi) % 3]
                name = "%s_%s_%s" % (op, kind, gtag) + \
                    ("_" + scheme if scheme else "")
                rng = rng_for(name)
                p = make_params(rng, kind, scheme, shape, axis, block)
                desc = "%s %s, %s, %s (%s)" % (
                    {"quant": "quantize", "dequant": "dequantize",
                     "fakeq": "fake_quant"}[op], kind, gdesc,
                    SCHEME_DESC[scheme], gran_desc(shape, axis, block))
                add_op_case(op, name, "matrix", desc, p, shape)


def build_rounding():
    grans = [((4, 8), -1, 0), ((4, 8), 0, 0), ((2, 6, 4), 1, 3)]
    i = 0
    for kind in ["i8", "ui4"]:
        for op in ["quant", "fakeq"]:
            for mode in ["half_away", "half_up", "reciprocal"]:
                shape, axis, block = grans[i % 3]
                scheme = SCHEMES[i % 3]
                i += 1
                name = "%s_%s_%s_%s" % (op, kind, scheme, mode)
                rng = rng_for(name)
                # Reciprocal differs from division only for non-dyadic scales.
                p = make_params(rng, kind, scheme, shape, axis, block,
                                dyadic_prob=0.2 if mode == "reciprocal" else 0.8)
                desc = "%s %s, rounding = %s, %s (%s)" % (
                    "quantize" if op == "quant" else "fake_quant", kind, mode,
                    SCHEME_DESC[scheme], gran_desc(shape, axis, block))
                add_op_case(op, name, "rounding", desc, p, shape, mode)
    name = "quant_i8_ch0_asym_half_even_explicit"
    p = make_params(rng_for(name), "i8", "asym", (4, 8), 0, 0, dyadic_prob=0.8)
    case_quantize(name, "rounding", "quantize i8 with an explicit "
                  "rounding = half_even, asymmetric per channel",
                  p, (4, 8), "half_even", explicit_mode=True)
    for op in ["quant", "fakeq"]:
        name = "%s_f8E4M3FN_ch0_reciprocal" % op
        p = make_params(rng_for(name), "f8E4M3FN", "", (4, 8), 0, 0,
                        dyadic_prob=0.0)
        add_op_case(op, name, "rounding", "%s f8E4M3FN, rounding = "
                    "reciprocal, per channel (shape 4x8, axis 0)" % OP_NAMES[op], p, (4, 8), "reciprocal")


def build_narrow():
    specs = [
        ("quant", "i8", "sym", (4, 8), -1, 0),
        ("fakeq", "ui8", "asym", (4, 8), 0, 0),
        ("quant", "i4", "minval", (4, 8), 1, 4),
        ("dequant", "i2", "sym", (4, 8), -1, 0),
        ("quant", "ui4", "sym", (3, 5, 6), 2, 0),
        ("fakeq", "i16", "asym", (4, 8), -1, 0),
        ("dequant", "ui4", "minval", (4, 8), 0, 0),
    ]
    for op, kind, scheme, shape, axis, block in specs:
        name = "%s_%s_narrow_%s" % (op, kind, scheme)
        p = make_params(rng_for(name), kind, scheme, shape, axis, block,
                        narrow=True)
        desc = "%s %s narrow range, %s (%s)" % (OP_NAMES[op], kind, SCHEME_DESC[scheme],
                                                gran_desc(shape, axis, block))
        add_op_case(op, name, "narrow", desc, p, shape)


def build_expressed():
    specs = [
        ("quant", "i8", "sym", "f16", (4, 8), -1, 0),
        ("dequant", "ui4", "asym", "f16", (4, 8), 0, 0),
        ("fakeq", "i4", "minval", "f16", (4, 8), 1, 4),
        ("quant", "f8E4M3FN", "", "bf16", (4, 8), -1, 0),
        ("dequant", "i8", "asym", "bf16", (4, 8), 0, 0),
        ("fakeq", "f8E5M2", "", "bf16", (3, 5, 6), 2, 0),
        ("fakeq", "ui8", "minval", "bf16", (4, 8), -1, 0),
        ("dequant", "f4E2M1FN", "", "f16", (4, 8), 1, 2),
    ]
    for op, kind, scheme, ex, shape, axis, block in specs:
        name = "%s_%s_%s%s" % (op, kind, ex, "_" + scheme if scheme else "")
        p = make_params(rng_for(name), kind, scheme, shape, axis, block,
                        expressed=ex)
        desc = "%s %s:%s, %s (%s)" % (OP_NAMES[op], kind, ex, SCHEME_DESC[scheme],
                                      gran_desc(shape, axis, block))
        add_op_case(op, name, "expressed", desc, p, shape)
    # f16 overflow: |s * (q - z)| beyond 65504 becomes +-Inf.
    name = "dequant_i16_f16_overflow"
    p = Params("i16", [4.0], axis=-1, expressed="f16",
               zps=[0], explicit_zps=False)
    q = gen_stored(rng_for(name), p, (4, 8))
    q.reshape(-1)[:8] = [16375, 16376, 16377, -16376, -16377, 16380, 16381,
                         -16380]
    case_dequantize(name, "expressed", "dequantize i16:f16, results beyond "
                    "the f16 range become Inf", p, (4, 8), q=q)


def f16_scales(p, precision):
    """The parameters with every scale rounded to the precision's type."""
    p.scales = round_precision(p.scales.astype(F64), precision)
    assert np.all(p.scales > 0) and np.all(np.isfinite(p.scales))
    return p


def near_ties(rng, p, shape):
    """Inputs whose quotients lie near rounding ties (within 2^-5 .. 2^-12
    of a step, relative), where rounding the quotient to float16 or
    bfloat16 first moves the result; half of them, the rest as usual, with
    the specials."""
    gen = gen_real_for_float if is_float_kind(p.kind) else gen_real_for_int
    x = gen(rng, p, shape).astype(F64)
    s, z, _ = p.per_element(shape)
    if is_float_kind(p.kind):
        _, vals = minifloat_positive_grid(p.kind)
        i = rng.integers(1, len(vals) - 1, shape)
        mid = (vals[i] + vals[i + 1]) / 2
        step = vals[i + 1] - vals[i]
    else:
        qmin, qmax = p.range()
        mid = rng.integers(qmin, qmax, shape) - z + 0.5
        step = np.ones(shape)
    # No offset at all for half of them: rounding the input to f16 / bf16
    # moves the quotient off the tie by about an ulp of that type.
    delta = step * rng.choice([-1, 0, 0, 1], shape) * \
        2.0 ** -rng.integers(5, 13, shape)
    near = mid + delta
    sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0) \
        if is_float_kind(p.kind) else 1.0
    pick = rng.random(shape) < 0.5
    out = np.where(pick, sign * near * s.astype(F64), x)
    return place_specials(rng, round32(out), SPECIALS)


def build_saturate():
    """saturate = false (ONNX QuantizeLinear's saturate = 0) for every
    float8 kind: values past the largest finite one, infinities included,
    become the infinity (f8E5M2) or the NaN."""
    for kind in F8_KINDS:
        for shape, axis in [((4, 8), -1), ((3, 5, 6), 2)]:
            name = "quant_%s_%s_nosat" % (kind, "pt" if axis < 0 else "chlast")
            p = make_params(rng_for(name), kind, "", shape, axis, 0)
            case_quantize(name, "saturate", "quantize %s, saturate = false "
                          "(%s)" % (kind, gran_desc(shape, axis, 0)), p,
                          shape, saturate=False)


def build_precision():
    """precision = f16 / bf16: the division in the scale's type, as ONNX's
    QuantizeLinear with float16 scales."""
    specs = [
        ("i8", "sym", "f16", "f16", (4, 8), -1, "half_even", True),
        ("ui8", "asym", "f16", "f16", (4, 8), 0, "half_even", True),
        ("i16", "sym", "f16", "f16", (4, 8), 1, "half_even", True),
        ("i8", "asym", "f32", "f16", (4, 8), -1, "half_even", True),
        ("i4", "sym", "f16", "f16", (4, 8), -1, "reciprocal", True),
        ("i8", "asym", "bf16", "bf16", (4, 8), 1, "half_even", True),
        ("f8E4M3FN", "", "f16", "f16", (4, 8), -1, "half_even", True),
        ("f8E5M2FNUZ", "", "f16", "f16", (4, 8), 0, "half_even", False),
    ]
    for kind, scheme, ex, prec, shape, axis, mode, sat in specs:
        name = "quant_%s_%s_precision_%s%s%s" % (
            kind, ex, prec, "_" + scheme if scheme else "",
            "" if sat else "_nosat")
        if mode != "half_even":
            name += "_" + mode
        p = f16_scales(make_params(rng_for(name), kind, scheme, shape, axis,
                                   0, expressed=ex, dyadic_prob=0.0), prec)
        desc = "quantize %s:%s, precision = %s%s%s, %s (%s)" % (
            kind, ex, prec, "" if sat else ", saturate = false",
            "" if mode == "half_even" else ", rounding = " + mode,
            SCHEME_DESC[scheme], gran_desc(shape, axis, 0))
        case_quantize(name, "precision", desc, p, shape, mode,
                      x=near_ties(rng_for(name + "/data"), p, shape),
                      saturate=sat, precision=prec)


def build_zeros():
    shape = (4, 8)
    name = "quant_i8_ch0_asym_zeros"
    p = make_params(rng_for(name), "i8", "asym", shape, 0, 0)
    case_quantize(name, "zeros", "quantize an all-zero tensor (i8 asymmetric "
                  "per channel): every element is its zero point", p, shape,
                  x=np.zeros(shape, F32))
    name = "fakeq_ui4_minval_zeros"
    p = make_params(rng_for(name), "ui4", "minval", shape, -1, 0)
    case_fake_quant(name, "zeros", "fake_quant an all-zero tensor (ui4 "
                    "minval per tensor)", p, shape, x=np.zeros(shape, F32))
    name = "dequant_f8E4M3FN_zeros"
    p = make_params(rng_for(name), "f8E4M3FN", "", shape, 1, 4)
    case_dequantize(name, "zeros", "dequantize an all-zero f8E4M3FN tensor",
                    p, shape, q=np.zeros(shape, F32))
    name = "quant_f4E2M1FN_zeros"
    p = make_params(rng_for(name), "f4E2M1FN", "", shape, -1, 0)
    case_quantize(name, "zeros", "quantize an all-zero tensor to f4E2M1FN",
                  p, shape, x=np.zeros(shape, F32))


def gen_accumulators(rng, pin, pout, shape, extremes=True):
    """Stored inputs of a requantize: values that land all over the output
    range and beyond, exact ties of v * M, and the input range's ends."""
    s_in, z_in, s_out, z_out = requant_groups(pin, pout, shape)
    imin, imax = pin.range()
    omin, omax = pout.range()
    m = s_in.astype(F64) / s_out.astype(F64)
    t = rng.uniform(omin - 8, omax + 8, shape) - z_out
    v = np.round(t / m)
    k = rng.integers(omin - 3, omax + 3, shape) - z_out
    tie = (k + 0.5) / m
    # ties: v * M == k + 1/2 exactly when M = 2^-j (the pow2 cases);
    # otherwise the integers next to the tie.
    r = rng.random(shape)
    use_tie = (r < 0.35) & (tie == np.round(tie))
    spread = np.maximum(1, np.round(2.0 ** -24 * np.abs(tie)) * 4)
    near = np.floor(tie) + np.round(rng.uniform(-1, 1, shape) * spread)
    v = np.where(use_tie, tie, np.where((r >= 0.35) & (r < 0.6), near, v))
    q = np.clip(v + z_in, imin, imax).astype(np.int64)
    if extremes:
        flat = q.reshape(-1)
        pos = rng.permutation(flat.size)[:5]
        flat[pos] = [imin, imax, 0, imin + 1, imax - 1]
    return q


def build_requantize():
    def P(kind, scales, zps=None, axis=-1, block=0, narrow=False):
        return Params(kind, scales, zps=zps, axis=axis, block=block,
                      narrow=narrow)

    specs = []
    # (tag, desc, pin, pout, shape)
    specs.append(("i32_i8_pt_pow2", "i32 -> i8 per tensor, M = 2^-4 "
                  "(exact ties)", P("i32", [0.00390625]),
                  P("i8", [0.0625]), (4, 8)))
    specs.append(("i32_i8_pt_zp", "i32 -> i8 per tensor, z_out = -3",
                  P("i32", [0.000123]), P("i8", [0.05], [-3]), (4, 8)))
    specs.append(("i32_u8_pt", "i32 -> u8 per tensor, z_out = 131",
                  P("i32", [0.0002]), P("ui8", [0.031], [131]), (4, 8)))
    specs.append(("i32_u8_pt_pow2", "i32 -> u8 per tensor, M = 2^-3, "
                  "z_out = 128", P("i32", [0.0009765625]),
                  P("ui8", [0.0078125], [128]), (4, 8)))
    specs.append(("i32_i8_ch0", "i32 -> i8, input per channel (axis 0), "
                  "output per tensor",
                  P("i32", [0.0001, 0.00025, 0.0000733, 0.0004], axis=0),
                  P("i8", [0.02], [4]), (4, 8)))
    specs.append(("i32_u8_chlast", "i32 -> u8, both per channel (last axis)",
                  P("i32", [0.0003, 0.0001, 0.00017, 0.00005, 0.000244140625,
                            0.0009], axis=2),
                  P("ui8", [0.04, 0.01, 0.025, 0.008, 0.0625, 0.1],
                    [128, 0, 255, 17, 100, 200], axis=2), (3, 5, 6)))
    specs.append(("i32_i8_ptin_chout", "i32 -> i8 narrow, input per tensor, "
                  "output per channel (axis 1)",
                  P("i32", [0.0001220703125]),
                  P("i8", [0.03125, 0.05, 0.0078125, 0.2], [0, 5, -7, 0],
                    axis=1, narrow=True), (3, 4)))
    specs.append(("i32_i8_small_m", "i32 -> i8 per tensor, M ~ 1e-6 (the "
                  "float path rounds |q| > 2^24 to float32)",
                  P("i32", [0.0000001]), P("i8", [0.1], [2]), (4, 8)))
    specs.append(("i8_i4_pt", "i8 -> i4 per tensor, z_in = 3, z_out = -2, "
                  "every i8 value", P("i8", [0.05], [3]),
                  P("i4", [0.6], [-2]), (8, 32)))
    specs.append(("i8_i4_pt_pow2", "i8 -> i4 per tensor, M = 1/16, z_in = -5, "
                  "every i8 value", P("i8", [0.0625], [-5]),
                  P("i4", [1.0], [0]), (8, 32)))
    specs.append(("i16_u4_blk", "i16 -> u4, both per block (axis 1, "
                  "block 2)",
                  P("i16", [0.001, 0.002, 0.0005, 0.004, 0.001, 0.003],
                    [0, 10, -20, 0, 7, -1], axis=1, block=2),
                  P("ui4", [0.5, 0.25, 0.125, 0.75, 0.3, 0.2],
                    [8, 0, 15, 3, 8, 8], axis=1, block=2), (3, 4)))
    for tag, desc, pin, pout, shape in specs:
        rng = rng_for("requant_" + tag)
        q = gen_accumulators(rng, pin, pout, shape)
        if tag.startswith("i8_i4"):
            # every i8 value
            q = np.arange(-128, 128, dtype=np.int64)[
                rng.permutation(256)].reshape(shape)
        for mode in ["float32", "fixed_point"]:
            name = "requant_%s_%s" % (tag, "float" if mode == "float32"
                                      else "fixed")
            case_requantize(name, desc + ", mode = " + mode, pin, pout, shape,
                            mode, q, explicit_mode=(tag == "i32_u8_pt"))

    # Stated multipliers, as a TOSA rescale states them (qnt-import-tosa):
    # input scale 1, output scales float32(2^shift / multiplier).
    stated_specs = [
        ("i32_i8_chlast_stated", "i32 -> i8, stated Q31 multipliers per "
         "channel (last axis), shifts 33..40, z_out = -3",
         [1073741824, 1518500250, 2147483647, 1234567890], [33, 38, 40, 36],
         "i32", "i8", (3, 4)),
        ("i8_i8_pt_stated16", "i8 -> i8, a stated 16-bit multiplier "
         "(TOSA scale32 = false), z_in = 5, z_out = -3", [24577], [16],
         "i8", "i8", (8, 32)),
    ]
    for tag, desc, mults, shifts, kin, kout, shape in stated_specs:
        out_scales = [float(np.float32(2.0 ** sh / m))
                      for m, sh in zip(mults, shifts)]
        axis = len(shape) - 1 if len(mults) > 1 else -1
        pin = P(kin, [1.0], [5] if kin == "i8" else None)
        pout = P(kout, out_scales, [-3] * len(mults), axis=axis)
        rng = rng_for("requant_" + tag)
        q = gen_accumulators(rng, pin, pout, shape)
        if kin == "i8":
            q = np.arange(-128, 128, dtype=np.int64)[
                rng.permutation(256)].reshape(shape)
        for mode in ["fixed_point", "fixed_point_double_round"]:
            name = "requant_%s_%s" % (tag, "fixed" if mode == "fixed_point"
                                      else "double")
            case_requantize(name, desc + ", mode = " + mode, pin, pout, shape,
                            mode, q, stated=(mults, shifts))


#===------------------------------------------------------------------------===#
# Driver
#===------------------------------------------------------------------------===#


def write_all():
    os.makedirs(CASES_DIR, exist_ok=True)
    for f in os.listdir(CASES_DIR):
        if f.endswith(".mlir") or f.endswith(".npy"):
            os.remove(os.path.join(CASES_DIR, f))
    for c in CASES:
        with open(os.path.join(CASES_DIR, c["name"] + ".mlir"), "w") as f:
            f.write(c["mlir"])
        for i, a in enumerate(c["inputs"]):
            np.save(os.path.join(CASES_DIR, "%s.in%d.npy" % (c["name"], i)),
                    np.ascontiguousarray(a))
        for i, a in enumerate(c["expected"]):
            np.save(os.path.join(CASES_DIR,
                                 "%s.expected%d.npy" % (c["name"], i)),
                    np.ascontiguousarray(a))


def build_all():
    build_matrix()
    build_rounding()
    build_narrow()
    build_expressed()
    build_zeros()
    build_requantize()
    build_saturate()
    build_precision()


def main(argv):
    build_all()
    if "--list" in argv:
        for c in CASES:
            print("%-45s %-10s %s" % (c["name"], c["family"], c["desc"]))
        return 0
    write_all()
    fams = {}
    for c in CASES:
        fams[c["family"]] = fams.get(c["family"], 0) + 1
    total = sum(os.path.getsize(os.path.join(CASES_DIR, f))
                for f in os.listdir(CASES_DIR))
    print("wrote %d cases to %s (%d bytes): %s" % (
        len(CASES), CASES_DIR, total,
        ", ".join("%s %d" % kv for kv in fams.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
