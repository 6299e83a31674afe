#!/usr/bin/python3
"""Compares quant-run outputs with the expected outputs of one case.

    check_case.py [--ignore-zero-sign] OUTDIR CASE_PREFIX

For K = 0, 1, ... as long as CASE_PREFIX.expectedK.npy exists, OUTDIR/outK.npy
must have the same dtype, the same shape and bit-identical elements:

  - integers: equal values;
  - floats (float32, float16; bf16 and minifloat tensors travel as float32):
    equal bit patterns, except that any NaN matches any NaN (sign and
    payload are not part of the contract). +0 and -0 are different unless
    the case says otherwise: a line `// ZERO-SIGN: any` in CASE_PREFIX.mlir,
    or --ignore-zero-sign. (No generated case uses it today: every result's
    zero sign is defined by the numerics contract.)

OUTDIR must not hold more outK.npy files than there are expected files.
On a mismatch, prints the case, its op, the number of differing elements
and the first ones with their index, input value(s), got and expected
(with bit patterns for floats), and exits 1. Exits 0 when all match.
Runs with Debian's /usr/bin/python3 (numpy).
"""

import os
import re
import sys

import numpy as np

MAX_SHOWN = 20


def load(path):
    return np.load(path, allow_pickle=False)


def uint_view(a):
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def fmt(a, idx):
    """One element, with its bit pattern for floats."""
    v = a[idx]
    if a.dtype.kind == "f":
        bits = uint_view(np.ascontiguousarray(a))[idx]
        return "%r (0x%0*x)" % (v.item(), a.dtype.itemsize * 2, int(bits))
    return repr(v.item())


def case_info(prefix):
    """(description line, op and parameter lines, zero-sign-insensitive)
    from the .mlir."""
    desc, op, zero_any = "", [], False
    try:
        with open(prefix + ".mlir") as f:
            for line in f:
                s = line.strip()
                if s.startswith("// ZERO-SIGN:") and s.split(":", 1)[1].strip() == "any":
                    zero_any = True
                elif s.startswith("//") and not desc and ": " in s and \
                        "RUN:" not in s and "Generated" not in s:
                    desc = s[2:].strip()
                elif re.search(r"\bqnt\.\w+", s) and not s.startswith("//"):
                    op.append(s)
    except OSError:
        pass
    return desc, op, zero_any


def mismatch_mask(got, exp, zero_any):
    if exp.dtype.kind != "f":
        return got != exp
    gb, eb = uint_view(got), uint_view(exp)
    gn, en = np.isnan(got), np.isnan(exp)
    bad = (gb != eb) & ~(gn & en)
    if zero_any:
        bad &= ~((got == 0) & (exp == 0))
    return bad


def hints(got, exp, bad):
    """A few words on what kind of mismatch this is."""
    out = []
    g, e = got[bad], exp[bad]
    if exp.dtype.kind in "iu":
        d = g.astype(np.int64) - e.astype(np.int64)
        n1 = int(np.sum(np.abs(d) == 1))
        if n1:
            out.append("%d off by one (rounding of ties?)" % n1)
        return out
    gn, en = np.isnan(g), np.isnan(e)
    if np.any(gn & ~en):
        out.append("%d NaN where a number was expected" % int(np.sum(gn & ~en)))
    if np.any(en & ~gn):
        out.append("%d number where NaN was expected" % int(np.sum(en & ~gn)))
    z = (g == 0) & (e == 0)
    if np.any(z):
        out.append("%d differ only in the sign of zero" % int(np.sum(z)))
    ok = ~gn & ~en & ~z & np.isfinite(g) & np.isfinite(e)
    if np.any(ok):
        ulps = np.abs(uint_view(np.ascontiguousarray(g[ok])).astype(np.int64) -
                      uint_view(np.ascontiguousarray(e[ok])).astype(np.int64))
        n1 = int(np.sum(ulps == 1))
        if n1:
            out.append("%d off by one ulp (float rounding / fused "
                       "multiply-add?)" % n1)
    return out


def compare(k, outdir, prefix, zero_any, inputs):
    """Returns a list of report lines (empty when the output matches)."""
    exp_path = "%s.expected%d.npy" % (prefix, k)
    got_path = os.path.join(outdir, "out%d.npy" % k)
    exp = load(exp_path)
    if not os.path.exists(got_path):
        return ["output %d: %s is missing" % (k, got_path)]
    try:
        got = load(got_path)
    except Exception as e:  # malformed file
        return ["output %d: cannot read %s: %s" % (k, got_path, e)]
    if got.dtype != exp.dtype:
        return ["output %d: dtype %s, expected %s" % (k, got.dtype, exp.dtype)]
    if got.shape != exp.shape:
        return ["output %d: shape %s, expected %s" % (k, got.shape, exp.shape)]
    bad = mismatch_mask(got, exp, zero_any)
    nbad = int(np.sum(bad))
    if nbad == 0:
        return []
    lines = ["output %d: %d of %d elements differ%s" % (
        k, nbad, exp.size,
        "" if not hints(got, exp, bad) else
        " (" + "; ".join(hints(got, exp, bad)) + ")")]
    for n, idx in enumerate(zip(*np.nonzero(bad)) if exp.ndim else [()]):
        if n == MAX_SHOWN:
            lines.append("  ... %d more" % (nbad - MAX_SHOWN))
            break
        idx = tuple(int(i) for i in idx)
        ins = ", ".join("in%d=%s" % (i, fmt(a, idx))
                        for i, a in enumerate(inputs) if a.shape == exp.shape)
        lines.append("  [%s] %s: got %s, expected %s" % (
            ",".join(map(str, idx)), ins, fmt(got, idx), fmt(exp, idx)))
    return lines


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    opts = [a for a in argv if a.startswith("--")]
    if len(args) != 2 or any(o != "--ignore-zero-sign" for o in opts):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    outdir, prefix = args
    desc, op, zero_any = case_info(prefix)
    zero_any = zero_any or "--ignore-zero-sign" in opts

    inputs = []
    while os.path.exists("%s.in%d.npy" % (prefix, len(inputs))):
        inputs.append(load("%s.in%d.npy" % (prefix, len(inputs))))
    nexp = 0
    while os.path.exists("%s.expected%d.npy" % (prefix, nexp)):
        nexp += 1
    if nexp == 0:
        print("error: no %s.expected0.npy" % prefix, file=sys.stderr)
        return 2

    report = []
    for k in range(nexp):
        report += compare(k, outdir, prefix, zero_any, inputs)
    extra = nexp
    while os.path.exists(os.path.join(outdir, "out%d.npy" % extra)):
        extra += 1
    if extra > nexp:
        report.append("%d outputs written, %d expected" % (extra, nexp))

    name = os.path.basename(prefix)
    if not report:
        print("PASS %s" % name)
        return 0
    print("FAIL %s" % name)
    if desc:
        print("  case: %s" % desc)
    for line in op:
        print("  %s %s" % ("params:" if line.startswith("#") else "op:    ", line))
    for line in report:
        print("  " + line)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
