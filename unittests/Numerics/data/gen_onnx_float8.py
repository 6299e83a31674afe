#!/usr/bin/env python3
"""Writes the ONNX float8 vectors used by NumericsOracleTest.cpp.

    /usr/bin/python3 unittests/Numerics/data/gen_onnx_float8.py

The oracle is a transcription of ONNX's reference conversions (onnx 1.16 -
1.18, onnx/helper.py `float32_to_float8e4m3` and `float32_to_float8e5m2`,
which QuantizeLinear and Cast call; onnx/numpy_helper.py's decoders), bit
manipulation on the float32 pattern, written after reading ONNX's source and
independent of our C++ (APFloat). Debian's python3-onnx (1.12) predates
float8, hence the transcription.

Files, for each KIND in f8E4M3FN, f8E5M2, f8E4M3FNUZ, f8E5M2FNUZ:

  onnx_f8/<KIND>_decode.npy   float32 value of every code 0..255
  onnx_f8/<KIND>_x.npy        float32 inputs (scale 1)
  onnx_f8/<KIND>_sat.npy      uint8 codes with saturate = 1
  onnx_f8/<KIND>_nosat.npy    uint8 codes with saturate = 0
  onnx_f8/<KIND>_nosat_keep.npy  bool: compare this non-saturating code
                              (false inside the quirk ranges below)

ONNX 1.16-1.18 has two non-saturating quirks that ONNX 1.19 (which converts
with ml_dtypes) and the Cast operator's table do not: f8E4M3FN maps
[480, 496) to 448 (a mask clears the NaN code's low bit) and f8E5M2 maps
[61440, 65536) to the NaN 0x7F instead of infinity. We follow the table and
ml_dtypes (round to nearest-even, then overflow); the inputs in those ranges
are left out of the non-saturating vectors, and main() checks that the
transcription shows the quirks there, so the exclusion stays justified.
NaN inputs are in the vectors; ONNX keeps the NaN's sign in the non-FNUZ
kinds, and the test compares NaN results by NaN-ness only (docs/Numerics.md).
"""

import os
import struct

import numpy as np

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx_f8")
F32 = np.float32


def f32_bits(x):
    return int.from_bytes(struct.pack("<f", np.float32(x)), "little")


def round_denormal(ret, m, mask):
    """ONNX's nearest-even step for denormal results: `mask` is the highest
    mantissa bit dropped."""
    if m & mask and (ret & 1 or m & (mask - 1) > 0 or
                     (m & mask and m & (mask << 1) and m & (mask - 1) == 0)):
        ret += 1
    return ret


def to_e4m3(x, uz=False, saturate=True):
    """onnx.helper.float32_to_float8e4m3(x, fn=True, uz, saturate)."""
    b = f32_bits(x)
    ret = (b & 0x80000000) >> 24  # sign
    if uz:
        if (b & 0x7FC00000) == 0x7FC00000:
            return 0x80
        if np.isinf(x):
            return ret | 127 if saturate else 0x80
        e = (b & 0x7F800000) >> 23
        m = b & 0x007FFFFF
        if e < 116:
            ret = 0
        elif e < 120:  # denormalized
            ex = e - 119
            if ex >= -2:
                ret |= 1 << (2 + ex)
                ret |= m >> (21 - ex)
            elif m > 0:
                ret |= 1
            else:
                ret = 0
            ret = round_denormal(ret, m, 1 << (20 - ex))
        elif e < 135:  # normalized
            ex = e - 119
            if ex == 0:
                ret |= 0x4
                ret |= m >> 21
            else:
                ret |= ex << 3
                ret |= m >> 20
            if m & 0x80000 and ((m & 0x100000) or (m & 0x7FFFF)):
                if (ret & 0x7F) < 0x7F:
                    ret += 1
                elif not saturate:
                    return 0x80
        elif saturate:
            ret |= 0x7F
        else:
            ret = 0x80
        return int(ret)
    if (b & 0x7FC00000) == 0x7FC00000:
        return 0x7F | ret
    if np.isinf(x):
        return ret | 126 if saturate else 0x7F | ret
    e = (b & 0x7F800000) >> 23
    m = b & 0x007FFFFF
    if e != 0:
        if e < 117:
            pass
        elif e < 121:  # denormalized
            ex = e - 120
            if ex >= -2:
                ret |= 1 << (2 + ex)
                ret |= m >> (21 - ex)
            elif m > 0:
                ret |= 1
            ret = round_denormal(ret, m, 1 << (20 - ex))
        elif e < 136:  # normalized
            ex = e - 120
            if ex == 0:
                ret |= 0x4
                ret |= m >> 21
            else:
                ret |= ex << 3
                ret |= m >> 20
                if (ret & 0x7F) == 0x7F:
                    ret &= 0xFE
            if (m & 0x80000) and ((m & 0x100000) or (m & 0x7FFFF)):
                if (ret & 0x7F) < 0x7E:
                    ret += 1
                elif not saturate:
                    ret |= 0x7F
        elif saturate:
            ret |= 126
        else:
            ret |= 0x7F
    return int(ret)


def to_e5m2(x, uz=False, saturate=True):
    """onnx.helper.float32_to_float8e5m2(x, fn=uz, uz, saturate)."""
    b = f32_bits(x)
    ret = (b & 0x80000000) >> 24
    if uz:
        if (b & 0x7FC00000) == 0x7FC00000:
            return 0x80
        if (b & 0x7FFFFFFF) == 0x7F800000:
            return ret | 0x7F if saturate else 0x80
        e = (b & 0x7F800000) >> 23
        m = b & 0x007FFFFF
        if e < 109:
            ret = 0
        elif e < 112:  # denormalized
            ex = e - 111
            if ex >= -1:
                ret |= 1 << (1 + ex)
                ret |= m >> (22 - ex)
            elif m > 0:
                ret |= 1
            else:
                ret = 0
            ret = round_denormal(ret, m, 1 << (21 - ex))
        elif e < 143:  # normalized
            ex = e - 111
            ret |= ex << 2
            ret |= m >> 21
            if m & 0x100000 and ((m & 0xFFFFF) or (m & 0x200000)):
                if (ret & 0x7F) < 0x7F:
                    ret += 1
                elif not saturate:
                    ret = 0x80
        elif saturate:
            ret |= 0x7F
        else:
            ret = 0x80
        return int(ret)
    if (b & 0x7FC00000) == 0x7FC00000:
        return 0x7F | ret
    if np.isinf(x):
        return 0x7B | ret if saturate else 0x7C | ret
    e = (b & 0x7F800000) >> 23
    m = b & 0x007FFFFF
    if e != 0:
        if e < 110:
            pass
        elif e < 113:  # denormalized
            ex = e - 112
            if ex >= -1:
                ret |= 1 << (1 + ex)
                ret |= m >> (22 - ex)
            elif m > 0:
                ret |= 1
            ret = round_denormal(ret, m, 1 << (21 - ex))
        elif e < 143:  # normalized
            ex = e - 112
            ret |= ex << 2
            ret |= m >> 21
            if m & 0x100000 and ((m & 0xFFFFF) or (m & 0x200000)):
                if (ret & 0x7F) < 0x7B:
                    ret += 1
                elif saturate:
                    ret |= 0x7B
                else:
                    ret |= 0x7C
        elif saturate:
            ret |= 0x7B
        else:
            ret |= 0x7C
    return int(ret)


def decode_e4m3(ival, uz=False):
    """numpy_helper's float8e4m3 -> float32."""
    if uz:
        bias = 8
        if ival == 0x80:
            return np.nan
    else:
        bias = 7
        if ival in (0x7F, 0xFF):
            return np.nan
    expo, mant, sign = (ival & 0x78) >> 3, ival & 0x07, ival & 0x80
    res = sign << 24
    if expo == 0:
        if mant > 0:
            expo = 0x7F - bias
            if mant & 0x4 == 0:
                mant &= 0x3
                mant <<= 1
                expo -= 1
            if mant & 0x4 == 0:
                mant &= 0x3
                mant <<= 1
                expo -= 1
            res |= (mant & 0x3) << 21
            res |= expo << 23
    else:
        res |= mant << 20
        expo += 0x7F - bias
        res |= expo << 23
    return struct.unpack("<f", struct.pack("<I", res))[0]


def decode_e5m2(ival, uz=False):
    """numpy_helper's float8e5m2 -> float32."""
    if uz:
        bias = 16
        if ival == 0x80:
            return np.nan
    else:
        bias = 15
        if ival in (0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF):
            return np.nan
        if ival == 0x7C:
            return np.inf
        if ival == 0xFC:
            return -np.inf
    expo, mant, sign = (ival & 0x7C) >> 2, ival & 0x03, ival & 0x80
    res = sign << 24
    if expo == 0:
        if mant > 0:
            expo = 0x7F - bias
            if mant & 0x2 == 0:
                mant &= 0x1
                mant <<= 1
                expo -= 1
            res |= (mant & 0x1) << 22
            res |= expo << 23
    else:
        res |= mant << 21
        expo += 0x7F - bias
        res |= expo << 23
    return struct.unpack("<f", struct.pack("<I", res))[0]


KINDS = {
    "f8E4M3FN": (lambda x, s: to_e4m3(x, False, s), lambda c: decode_e4m3(c)),
    "f8E5M2": (lambda x, s: to_e5m2(x, False, s), lambda c: decode_e5m2(c)),
    "f8E4M3FNUZ": (lambda x, s: to_e4m3(x, True, s),
                   lambda c: decode_e4m3(c, True)),
    "f8E5M2FNUZ": (lambda x, s: to_e5m2(x, True, s),
                   lambda c: decode_e5m2(c, True)),
}
# The ONNX 1.16-1.18 non-saturating quirks: [lo, hi) magnitudes.
QUIRKS = {"f8E4M3FN": (480.0, 496.0), "f8E5M2": (61440.0, 65536.0)}


def inputs(values, rng):
    """Every finite value, every midpoint, their float32 neighbours, past the
    maximum, the specials, and random magnitudes over the whole range."""
    pos = np.unique(np.abs(values[np.isfinite(values)]).astype(np.float64))
    mids = (pos[:-1] + pos[1:]) / 2
    top = pos[-1] - pos[-2]
    over = pos[-1] + top * np.array([0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0])
    base = np.concatenate([pos, mids, over]).astype(F32)
    base = np.concatenate([base, -base])
    x = np.concatenate([base, np.nextafter(base, F32(np.inf)),
                        np.nextafter(base, F32(-np.inf))])
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e30,
                        -1e30, 3.4e38, 1e-40, -1e-40, 1e-7, -1e-7], F32)
    rand = (np.exp(rng.uniform(np.log(pos[1] / 8), np.log(pos[-1] * 3), 2000))
            * np.where(rng.random(2000) < 0.5, -1.0, 1.0)).astype(F32)
    # ONNX's Cast test inputs (onnx/backend/test/case/node/cast.py).
    cast = np.array([0.47892547, 0.48033667, 0.49968487, 0.81910545,
                     0.47031248, 0.7229038, 1000000.0, 1e-7], F32)
    return np.concatenate([x, special, rand, cast, -cast])


def main():
    os.makedirs(DATA_DIR, exist_ok=True)
    rng = np.random.default_rng(20261205)
    total = 0
    for kind, (encode, decode) in KINDS.items():
        table = np.array([decode(c) for c in range(256)], F32)
        x = inputs(table, rng)
        sat = np.array([encode(float(v), True) for v in x], np.uint8)
        nosat = np.array([encode(float(v), False) for v in x], np.uint8)
        # Sanity of the transcription: decoding what it encodes is within
        # half a step, and the Cast table's overflow values.
        assert np.all(np.isnan(table[sat]) == np.isnan(x))
        if kind in QUIRKS:
            lo, hi = QUIRKS[kind]
            quirk = (np.abs(x) >= lo) & (np.abs(x) < hi)
            assert quirk.any()
            got = table[nosat[quirk]]
            if kind == "f8E4M3FN":
                assert np.all(np.abs(got) == 448.0), got
            else:
                assert np.all(np.isnan(got)), got
            keep = ~quirk
        else:
            keep = np.ones(x.size, bool)
        np.save(os.path.join(DATA_DIR, kind + "_decode.npy"), table)
        np.save(os.path.join(DATA_DIR, kind + "_x.npy"), x)
        np.save(os.path.join(DATA_DIR, kind + "_sat.npy"), sat)
        # Non-saturating: the quirk ranges are marked 0 in a mask file.
        np.save(os.path.join(DATA_DIR, kind + "_nosat.npy"), nosat)
        np.save(os.path.join(DATA_DIR, kind + "_nosat_keep.npy"), keep)
        print("%-12s %d inputs, %d left out of the non-saturating check" %
              (kind, x.size, int((~keep).sum())))
        total += x.size
    print("total %d inputs" % total)


if __name__ == "__main__":
    main()
