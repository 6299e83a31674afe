#!/usr/bin/python3
"""Re-derives every expected output in cases/ a second, independent way.

    /usr/bin/python3 test/Integration/selfcheck_oracle.py [-v] [NAME ...]

gen_cases.py computes expected outputs with vectorized numpy. This script
shares no code with it: it re-reads the parameters from the generated .mlir
text (decimal -> double -> float32, as the MLIR parser does), walks every
element in a scalar loop, does all arithmetic on exact rationals
(fractions.Fraction) with an explicit round-to-nearest-even into float32 /
float16 / bfloat16, rounds minifloats with an exponent/mantissa formula
(instead of gen_cases.py's search over all codes) and requantizes with
Python integers. Any disagreement with an .expected file is printed and
makes the script exit 1.

It also reports how discriminating the cases are: how many elements are
exact rounding ties, how many would change under another rounding mode,
and where the float32 and fixed-point requantize paths disagree.
"""

import math
import os
import re
import sys
from fractions import Fraction as Fr

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")
HALF = Fr(1, 2)

#===------------------------------------------------------------------------===#
# Exact rounding into binary formats
#===------------------------------------------------------------------------===#

# precision (significand bits incl. the implicit one), min normal exponent,
# max exponent
FORMATS = {"f32": (24, -126, 127), "f16": (11, -14, 15), "bf16": (8, -126, 127)}


def floor_log2(a):
    """floor(log2(a)) for a positive Fraction."""
    e = a.numerator.bit_length() - a.denominator.bit_length()
    while Fr(2) ** e > a:
        e -= 1
    while Fr(2) ** (e + 1) <= a:
        e += 1
    return e


def rne_int(n):
    """Nearest integer to the Fraction n >= 0, ties to even."""
    f = n.numerator // n.denominator
    rem = n - f
    if rem > HALF or (rem == HALF and f % 2 == 1):
        f += 1
    return f


def round_to(fr, fmt):
    """Exact rational -> Python float holding the nearest-even value of
    `fmt` (+-inf on overflow). Zero results carry the sign of `fr`."""
    p, emin, emax = FORMATS[fmt]
    if fr == 0:
        return 0.0
    neg = fr < 0
    a = -fr if neg else fr
    e = max(floor_log2(a), emin)
    quantum = Fr(2) ** (e - p + 1)
    v = rne_int(a / quantum) * quantum
    if v > (2 - Fr(2) ** (1 - p)) * Fr(2) ** emax:
        out = math.inf
    else:
        out = float(v)
    return -out if neg else out


def f32_binop(a, b, op):
    """IEEE float32 a op b for op in '+-*/' (a, b float32 values)."""
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if math.isinf(a) or math.isinf(b):
        with np.errstate(all="ignore"):
            return float({"+": np.add, "-": np.subtract, "*": np.multiply,
                          "/": np.divide}[op](np.float64(a), np.float64(b)))
    A, B = Fr(a), Fr(b)
    exact = {"+": lambda: A + B, "-": lambda: A - B, "*": lambda: A * B,
             "/": lambda: A / B}[op]()
    if exact != 0:
        r = round_to(exact, "f32")
        if r == 0:  # underflow keeps the sign of the exact result
            return math.copysign(0.0, float(exact))
        return r
    # exact zero: sign rules of IEEE 754 (round to nearest)
    sa, sb = math.copysign(1, a) < 0, math.copysign(1, b) < 0
    if op == "*" or op == "/":
        return -0.0 if (sa != sb) else 0.0
    if op == "+":
        return -0.0 if (sa and sb and a == 0 and b == 0) else 0.0
    return -0.0 if (sa and not sb and a == 0 and b == 0) else 0.0


def to_f32_literal(text):
    """An MLIR float literal: parsed to double, then cast to float32."""
    return round_to(Fr(float(text)), "f32")


#===------------------------------------------------------------------------===#
# Storage formats
#===------------------------------------------------------------------------===#

INT_BITS = {"i2": 2, "i4": 4, "i8": 8, "i16": 16, "i32": 32,
            "ui2": 2, "ui4": 4, "ui8": 8, "ui16": 16}
# mantissa bits, bias, max finite, has NaN
MINI = {"f8E4M3FN": (3, 7, 448, True), "f8E5M2": (2, 15, 57344, True),
        "f4E2M1FN": (1, 1, 6, False), "f6E2M3FN": (3, 1, 7.5, False),
        "f6E3M2FN": (2, 3, 28, False), "f8E4M3FNUZ": (3, 8, 240, True),
        "f8E5M2FNUZ": (2, 16, 57344, True)}
# No negative zero (the sign bit alone is the NaN).
FNUZ = {"f8E4M3FNUZ", "f8E5M2FNUZ"}


def int_range(kind, narrow):
    b = INT_BITS[kind]
    if kind.startswith("u"):
        return (1 if narrow else 0), 2 ** b - 1
    return -(2 ** (b - 1)) + (1 if narrow else 0), 2 ** (b - 1) - 1


def mini_round(y, kind, saturate=True):
    """Nearest-even minifloat value of the float32 y, saturating; without
    saturation, a magnitude rounding (with an unbounded exponent) past the
    largest finite value is the infinity of f8E5M2 or the NaN."""
    mbits, bias, maxf, has_nan = MINI[kind]
    if math.isnan(y):
        return math.nan if has_nan else 0.0
    if not saturate and math.isinf(y):
        return y if kind == "f8E5M2" else math.nan
    a = min(abs(Fr(y)) if math.isfinite(y) else Fr(maxf), Fr(maxf)) \
        if saturate else abs(Fr(y))
    if a == 0:
        return 0.0 if kind in FNUZ else math.copysign(0.0, y)
    e = max(floor_log2(a), 1 - bias)
    quantum = Fr(2) ** (e - mbits)
    v = rne_int(a / quantum) * quantum
    if v > maxf:
        assert not saturate
        return math.copysign(math.inf, y) if kind == "f8E5M2" else math.nan
    if v == 0 and kind in FNUZ:
        return 0.0
    return math.copysign(float(v), y)


def is_mini_value(v, kind):
    mbits, bias, maxf, has_nan = MINI[kind]
    if math.isnan(v):
        return has_nan
    if math.isinf(v):
        return kind == "f8E5M2"
    if v == 0 and math.copysign(1, v) < 0 and kind in FNUZ:
        return False
    return mini_round(v, kind) == v and abs(v) <= maxf


#===------------------------------------------------------------------------===#
# Reading a case
#===------------------------------------------------------------------------===#


def split_top(s):
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return out


def parse_params(body):
    items = split_top(body)
    kind, _, expressed = items[0].partition(":")
    p = dict(kind=kind, expressed=expressed or "f32", narrow=False, axis=-1,
             block=0, zps=None, mins=None)
    for it in items[1:]:
        if it == "narrow":
            p["narrow"] = True
            continue
        key, val = [t.strip() for t in it.split("=", 1)]
        if key in ("axis", "block"):
            p[key] = int(val)
        else:
            vals = [v.strip() for v in val.strip("[]").split(",")]
            if key == "scales":
                p["scales"] = [to_f32_literal(v) for v in vals]
            elif key == "min_values":
                p["mins"] = [to_f32_literal(v) for v in vals]
            elif key == "zero_points":
                p["zps"] = [int(v) for v in vals]
            else:
                raise ValueError(key)
    return p


def read_case(path):
    text = open(path).read()
    aliases = {m.group(1): parse_params(m.group(2)) for m in
               re.finditer(r"^#(\w+) = #qnt\.params<(.*)>$", text, re.M)}
    m = re.search(r"qnt\.(\w+) %arg0 : (tensor<[^>]*>)(?: to (tensor<[^>]*>))?"
                  r"(?: as #(\w+))?(?: from #(\w+) to #(\w+))?"
                  r"(?: rounding = (\w+))?(?: saturate = (\w+))?"
                  r"(?: precision = (\w+))?(?: mode = (\w+))?"
                  r"(?: multipliers = \[([^]]*)\] shifts = \[([^]]*)\])?\s*$",
                  text, re.M)
    assert m, path
    op, _, _, pa, pin, pout, rnd, sat, prec, mode, mults, shifts = m.groups()
    stated = None
    if mults is not None:
        stated = ([int(v) for v in mults.split(",")],
                  [int(v) for v in shifts.split(",")])
    return dict(op=op, params=aliases.get(pa), pin=aliases.get(pin),
                pout=aliases.get(pout), rounding=rnd or "half_even",
                saturate=sat != "false", precision=prec,
                mode=mode or "float32", stated=stated)


def group_of(index, shape, p):
    """Flat parameter index of the element at multi-index `index`."""
    if p["axis"] < 0:
        return 0
    ax, blk = p["axis"], p["block"]
    if blk == 0:
        return index[ax]
    g = 0
    for d, (i, n) in enumerate(zip(index, shape)):
        if d == ax:
            i, n = i // blk, -(-n // blk)  # the last block may be shorter
        g = g * n + i
    return g


#===------------------------------------------------------------------------===#
# Scalar semantics
#===------------------------------------------------------------------------===#


def round_mode(y, mode):
    """Integer nearest to the finite float32 y under `mode`."""
    Y = Fr(y)
    if mode == "half_up":
        return math.floor(Y + HALF)
    if mode == "half_away":
        return int(math.copysign(math.floor(abs(Y) + HALF), y))
    fl = math.floor(Y)
    d = Y - fl
    if d != HALF:
        return fl + (1 if d > HALF else 0)
    return fl if fl % 2 == 0 else fl + 1


def to_precision(v, precision):
    """The float v rounded to f16 / bf16 (exact rationals); NaN, infinities
    and zeros (with their sign) stay."""
    if not precision or not math.isfinite(v) or v == 0:
        return v
    r = round_to(Fr(v), precision)
    return math.copysign(0.0, v) if r == 0 else r


def inverse_scale(t, s, mode, precision=None):
    """t / s in float32, or t * (1 / s); with a precision, t, 1 / s and the
    result rounded to it from their exact values."""
    if not precision:
        if mode == "reciprocal":
            return f32_binop(t, f32_binop(1.0, s, "/"), "*")
        return f32_binop(t, s, "/")
    t = to_precision(t, precision)
    if mode == "reciprocal":
        inv = round_to(Fr(1) / Fr(s), precision)
        if not math.isfinite(t) or t == 0:
            return f32_binop(t, inv, "*")
        return to_precision_exact(Fr(t) * Fr(inv), t, precision)
    if not math.isfinite(t) or t == 0:
        return f32_binop(t, s, "/")
    return to_precision_exact(Fr(t) / Fr(s), t, precision)


def to_precision_exact(fr, t, precision):
    r = round_to(fr, precision)
    return math.copysign(0.0, t) if r == 0 else r


def quant_int(x, s, z, m, lo, hi, mode, precision=None):
    """Returns (q, info) with info in {'nan', 'inf', 'tie', ''}."""
    t, off = (f32_binop(x, m, "-"), lo) if m is not None else (x, z)
    y = inverse_scale(t, s, mode, precision)
    if math.isnan(y):
        return off, "nan"
    if math.isinf(y):
        return (hi if y > 0 else lo), "inf"
    tie = (Fr(y) - math.floor(Fr(y))) == HALF
    return min(max(round_mode(y, mode) + off, lo), hi), ("tie" if tie else "")


def dequant_int(q, s, z, m, lo):
    if m is not None:
        return f32_binop(f32_binop(s, float(q - lo), "*"), m, "+")
    return f32_binop(s, float(q - z), "*")


def quant_mini(x, s, kind, mode, saturate=True, precision=None):
    return mini_round(inverse_scale(x, s, mode, precision), kind, saturate)


def to_expressed(v, ex):
    if ex == "f32" or math.isnan(v) or math.isinf(v):
        return v
    if v == 0:
        return v
    return round_to(Fr(v), ex)


def requant(q, s_in, z_in, s_out, z_out, lo, hi, mode, stated=None):
    """stated: (multiplier, shift) as a TOSA rescale gives them."""
    v = q - z_in
    if stated is not None:
        mult, shift = stated
        # The exact rational v * mult / 2^shift, rounded half up (floor of
        # the value plus one half), with TOSA's DOUBLE_ROUND adding
        # +-2^30 / 2^shift first when shift > 31.
        t = Fr(v * mult, 2 ** shift) + HALF
        if mode == "fixed_point_double_round" and shift > 31:
            t += Fr(2 ** 30 if v >= 0 else -2 ** 30, 2 ** shift)
        return min(max(math.floor(t) + z_out, lo), hi)
    if mode.startswith("fixed_point"):
        assert mode == "fixed_point", "double rounding is stated only"
        mm = Fr(s_in / s_out)  # double division, as specified
        e = 0
        while mm >= 1:
            mm /= 2
            e += 1
        while mm < HALF:
            mm *= 2
            e -= 1
        mult = math.floor(mm * 2 ** 31 + HALF)
        if mult == 2 ** 31:
            mult, e = 2 ** 30, e + 1
        shift = 31 - e
        r = (v * mult + 2 ** (shift - 1)) // 2 ** shift
        return min(max(r + z_out, lo), hi)
    mult = round_to(Fr(s_in / s_out), "f32")
    scaled = f32_binop(round_to(Fr(v), "f32"), mult, "*")
    return min(max(round_mode(scaled, "half_even") + z_out, lo), hi)


#===------------------------------------------------------------------------===#
# Checking
#===------------------------------------------------------------------------===#

NP_STORED = {"i2": np.int8, "i4": np.int8, "i8": np.int8, "i16": np.int16,
             "i32": np.int32, "ui2": np.uint8, "ui4": np.uint8,
             "ui8": np.uint8, "ui16": np.uint16}


def np_stored(kind):
    return np.float32 if kind in MINI else NP_STORED[kind]


def np_real(ex):
    return np.float16 if ex == "f16" else np.float32


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return int(a) == int(b)


def check_case(name, verbose):
    c = read_case(os.path.join(CASES_DIR, name + ".mlir"))
    x = np.load(os.path.join(CASES_DIR, name + ".in0.npy"))
    e = np.load(os.path.join(CASES_DIR, name + ".expected0.npy"))
    errors, stats = [], dict(ties=0, nan=0, inf=0, sat=0, alt=0, n=x.size)
    op, p = c["op"], c["params"]

    # dtypes first
    if op == "requantize":
        want_in, want_out = np_stored(c["pin"]["kind"]), np_stored(c["pout"]["kind"])
    elif op == "quantize":
        want_in, want_out = np_real(p["expressed"]), np_stored(p["kind"])
    elif op == "dequantize":
        want_in, want_out = np_stored(p["kind"]), np_real(p["expressed"])
    else:
        want_in = want_out = np_real(p["expressed"])
    if x.dtype != want_in or e.dtype != want_out or x.shape != e.shape:
        return ["dtype/shape: in %s%s out %s%s, want %s / %s" % (
            x.dtype, x.shape, e.dtype, e.shape, np.dtype(want_in).name,
            np.dtype(want_out).name)], stats

    shape = x.shape
    for idx in np.ndindex(*shape):
        xv = x[idx].item()
        if op == "requantize":
            pi, po = c["pin"], c["pout"]
            gi, go = group_of(idx, shape, pi), group_of(idx, shape, po)
            zi = pi["zps"][gi] if pi["zps"] else 0
            zo = po["zps"][go] if po["zps"] else 0
            lo, hi = int_range(po["kind"], po["narrow"])
            args = (int(xv), pi["scales"][gi], zi, po["scales"][go], zo, lo, hi)
            st = None
            if c["stated"]:
                g = max(gi, go)
                st = (c["stated"][0][g], c["stated"][1][g])
            want = requant(*args, c["mode"], st)
            other = requant(*args, "fixed_point" if c["mode"] == "float32"
                            else "float32")
            stats["alt"] += other != want
            stats["sat"] += want in (lo, hi)
        else:
            g = group_of(idx, shape, p)
            s = p["scales"][g]
            if p["kind"] in MINI:
                if op == "dequantize":
                    if not is_mini_value(xv, p["kind"]):
                        errors.append("%s: input %r is not a %s value" % (
                            idx, xv, p["kind"]))
                    want = to_expressed(f32_binop(s, xv, "*"), p["expressed"])
                else:
                    v = quant_mini(xv, s, p["kind"], c["rounding"],
                                   c["saturate"], c["precision"])
                    if op == "quantize":
                        want = v
                    else:
                        want = to_expressed(f32_binop(s, v, "*"),
                                            p["expressed"])
                    y = f32_binop(xv, s, "/")
                    if math.isfinite(y) and abs(y) <= MINI[p["kind"]][2]:
                        mb, bias = MINI[p["kind"]][:2]
                        q = Fr(2) ** (max(floor_log2(abs(Fr(y))), 1 - bias)
                                      - mb) if y else Fr(1)
                        stats["ties"] += (Fr(abs(y)) / q) % 1 == HALF
                    stats["nan"] += math.isnan(xv)
                    stats["inf"] += math.isinf(xv)
            else:
                lo, hi = int_range(p["kind"], p["narrow"])
                z = p["zps"][g] if p["zps"] else 0
                m = p["mins"][g] if p["mins"] else None
                if op == "dequantize":
                    if not lo <= int(xv) <= hi:
                        errors.append("%s: input %d outside [%d, %d]" % (
                            idx, xv, lo, hi))
                    want = to_expressed(dequant_int(int(xv), s, z, m, lo),
                                        p["expressed"])
                else:
                    q, info = quant_int(xv, s, z, m, lo, hi, c["rounding"],
                                        c["precision"])
                    stats["ties"] += info == "tie"
                    stats["nan"] += info == "nan"
                    stats["inf"] += info == "inf"
                    stats["sat"] += q in (lo, hi)
                    alts = [quant_int(xv, s, z, m, lo, hi, md)[0] for md in
                            ("half_even", "half_away", "half_up", "reciprocal")
                            if md != c["rounding"]]
                    stats["alt"] += any(a != q for a in alts)
                    if op == "quantize":
                        want = q
                    else:
                        want = to_expressed(dequant_int(q, s, z, m, lo),
                                            p["expressed"])
        got = e[idx].item()
        if not same(got, want):
            errors.append("%s: input %r expected-file %r, scalar oracle %r" % (
                idx, xv, got, want))
    return errors, stats


def main(argv):
    verbose = "-v" in argv
    names = [a for a in argv if not a.startswith("-")]
    if not names:
        names = sorted(f[:-5] for f in os.listdir(CASES_DIR)
                       if f.endswith(".mlir"))
    bad = 0
    totals = {}
    for name in names:
        errors, stats = check_case(name, verbose)
        for k, v in stats.items():
            totals[k] = totals.get(k, 0) + int(v)
        if errors:
            bad += 1
            print("MISMATCH %s (%d elements)" % (name, len(errors)))
            for line in errors[:10]:
                print("   ", line)
        elif verbose:
            print("ok %-45s %s" % (name, " ".join(
                "%s=%d" % kv for kv in stats.items())))
    print("%d cases checked, %d mismatching; %d elements, %d exact ties, "
          "%d NaN inputs, %d +-Inf quotients, %d saturated, %d elements where "
          "another rounding mode / requantize path gives another result" % (
              len(names), bad, totals.get("n", 0), totals.get("ties", 0),
              totals.get("nan", 0), totals.get("inf", 0),
              totals.get("sat", 0), totals.get("alt", 0)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
