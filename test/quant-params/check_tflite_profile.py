"""quant-params --profile tflite against a NumPy transcription of TFLite's
converter (GetSymmetricQuantizationParams, GetAsymmetricQuantizationParams
and the per-channel weight scales, half_range / 127, in
tensorflow/lite/tools/optimize/quantization_utils.cc), in float32 as the
C++ computes: i8 and u8 asymmetric, i8 and i16 symmetric, per tensor and
per channel, with zero points whose from-min value lies exactly on a half
(std::round rounds it away from zero), and degenerate ranges (TFLite's
scale 0 becomes 1, documented). Scales bit for bit, zero points exactly.
Prints one line per case; exits non-zero on a mismatch.

usage: check_tflite_profile.py BINDIR WORKDIR"""
import os
import sys

import numpy as np

import profile_check

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
f32 = np.float32
RANGES = {"i8": (-128, 127), "u8": (0, 255), "i16": (-32768, 32767)}


def std_round(x):
    """std::round on a float32: half away from zero (exact in float64)."""
    x = float(x)
    return float(np.sign(x) * np.floor(abs(x) + 0.5))


def asymmetric(lo, hi, qmin, qmax):
    qmin_f, qmax_f = f32(qmin), f32(qmax)
    lo = min(f32(lo), f32(0))
    hi = max(f32(hi), f32(0))
    scale = f32(f32(hi - lo) / f32(qmax_f - qmin_f))
    from_min = qmin_f
    if scale != 0:
        from_min = f32(qmin_f - f32(lo / scale))
    if from_min < qmin_f:
        zp = qmin
    elif from_min > qmax_f:
        zp = qmax
    else:
        zp = int(std_round(from_min))
    return (scale if scale != 0 else f32(1)), zp


def symmetric(lo, hi, half_range):
    lo = min(f32(lo), f32(0))
    hi = max(f32(hi), f32(0))
    scale = f32(max(abs(hi), abs(lo)) / f32(half_range))
    return (scale if scale != 0 else f32(1)), 0


rng = np.random.default_rng(17)
s = 1.0 / 256
TENSORS = {
    "normal": (rng.normal(size=(4, 24)) * [[0.01], [1.0], [3.7], [250.0]]
               + [[0.004], [0.3], [-1.1], [40.0]]).astype(np.float32),
    # From-min values on halves: -lo / s = 2.5 and 3.5 with s = 2^-8 (u8:
    # 2.5 -> 3, half to even 2; i8: -128 + 3.5 = -124.5 -> -125, even
    # -124), and their int16 counterparts; then all zero and a constant.
    "halves": np.array([
        [-2.5 * s] + [252.5 * s] * 3,
        [-3.5 * s] + [251.5 * s] * 3,
        [0.0] * 4,
        [-0.7] * 4], np.float32),
}
failures = cases = 0
for name, t in TENSORS.items():
    path = os.path.join(work, name + ".npy")
    np.save(path, t)
    for storage, scheme in (("i8", "asymmetric"), ("u8", "asymmetric"),
                            ("i8", "symmetric"), ("i16", "symmetric")):
        qmin, qmax = RANGES[storage]
        for per_channel in (False, True):
            groups = t if per_channel else t.reshape(1, -1)
            if scheme == "symmetric":
                want = [symmetric(g.min(), g.max(), qmax) for g in groups]
            else:
                want = [asymmetric(g.min(), g.max(), qmin, qmax)
                        for g in groups]
            args = [os.path.join(bindir, "quant-params"), path, "--profile",
                    "tflite", "--storage", storage, "--scheme", scheme]
            if per_channel:
                args += ["--axis", "0"]
            label = f"{name} {storage} {scheme}" + (
                " per-channel" if per_channel else "")
            cases += 1
            scales, zps, text = profile_check.solve(args)
            if scales is None:
                failures += 1
                print(f"{label}: quant-params failed: {text}")
                continue
            want_scales = np.array([w[0] for w in want], f32)
            want_zps = [w[1] for w in want]
            # Symmetric: the narrow range [-qmax, qmax] (int8 weights in
            # [-127, 127]); asymmetric: the type's.
            narrow_ok = ("narrow" in text) == (scheme == "symmetric")
            failures += not profile_check.compare(
                label, text, scales, zps, want_scales, want_zps, narrow_ok)
print(f"{cases} cases, {failures} mismatches")
sys.exit(1 if failures else 0)
