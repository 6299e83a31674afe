"""quant-params --profile onnxruntime against a NumPy transcription of ONNX
Runtime's quantizer: compute_scale_zp and get_qmin_qmax_for_qType in
onnxruntime/python/tools/quantization/quant_utils.py (ONNX Runtime 1.19 and
later; the Python package is not in Debian, so the functions are transcribed
in ort_quant_utils.py). For every tensor, storage,
scheme and reduce_range, per tensor and per channel: the scales bit for bit
and the zero points exactly. Prints one line per case; exits non-zero on a
mismatch.

usage: check_onnxruntime_profile.py BINDIR WORKDIR"""
import os
import sys

import numpy as np

import profile_check
from ort_quant_utils import compute_scale_zp, get_qmin_qmax

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)

rng = np.random.default_rng(8)
TENSORS = {
    "normal": (rng.normal(size=(4, 24)) * [[0.01], [1.0], [3.7], [250.0]]
               + [[0.004], [0.3], [-1.1], [40.0]]).astype(np.float32),
    "degenerate": np.stack([
        np.zeros(24), np.full(24, 0.7), np.full(24, -2.5),
        1e-40 + np.zeros(24)]).astype(np.float32),
    "tiny": (rng.uniform(-1, 1, size=(4, 24)) *
             [[1e-30], [1e-37], [3e-38], [1e-6]]).astype(np.float32),
    # Rows [lo, hi] whose asymmetric u8 zero point from ORT's float64 scale
    # differs from the one from that scale rounded to float32 (106 / 107,
    # 111 / 112, 169 / 170), found once by a random search of float32 pairs
    # for round(-lo / s) != round(-lo / float32(s)), s = (hi - lo) / 255.
    "zp_ties": np.array([[float.fromhex(v) for v in row] for row in [
        ["-0x1.24d6bap+0", "0x1.985312p+0"],
        ["-0x1.c3c67ep+1", "0x1.22b768p+2"],
        ["-0x1.852e22p-1", "0x1.889fd2p-2"]]], np.float32),
}
failures = cases = 0
for name, t in TENSORS.items():
    path = os.path.join(work, name + ".npy")
    np.save(path, t)
    for storage in ("i8", "u8", "i16", "u16", "i4", "u4"):
        for scheme in ("asymmetric", "symmetric"):
            for reduce_range in (False, True):
                for per_channel in (False, True):
                    qmin, qmax = get_qmin_qmax(storage, reduce_range,
                                               scheme == "symmetric")
                    groups = t if per_channel else t.reshape(1, -1)
                    want = [compute_scale_zp(np.array(g.min(), np.float32),
                                             np.array(g.max(), np.float32),
                                             qmin, qmax, scheme == "symmetric")
                            for g in groups]
                    args = [os.path.join(bindir, "quant-params"), path,
                            "--profile", "onnxruntime", "--storage", storage,
                            "--scheme", scheme]
                    if per_channel:
                        args += ["--axis", "0"]
                    if reduce_range:
                        args.append("--reduce-range")
                    label = f"{name} {storage} {scheme}" + (
                        " reduce_range" if reduce_range else "") + (
                        " per-channel" if per_channel else "")
                    cases += 1
                    scales, zps, text = profile_check.solve(args)
                    if scales is None:
                        failures += 1
                        print(f"{label}: quant-params failed: {text}")
                        continue
                    want_scales = np.array([w[1] for w in want], np.float32)
                    want_zps = [int(w[0]) for w in want]
                    # Values clamp to the storage's full range, as
                    # QuantizeLinear does: no range in the attribute.
                    failures += not profile_check.compare(
                        label, text, scales, zps, want_scales, want_zps,
                        "range" not in text and "narrow" not in text)
print(f"{cases} cases, {failures} mismatches")
sys.exit(1 if failures else 0)
