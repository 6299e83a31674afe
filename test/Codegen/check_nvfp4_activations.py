#!/usr/bin/python3
"""qnt.dynamic_quantize scheme = nvfp4 (NVFP4 activations: blocks of 16
along the last dimension, the last block shorter) against a NumPy
transcription of torchao's NVFP4 quantization (torchao/prototype/mx_formats
nvfp4_tensor.py: per_tensor_amax_to_scale and nvfp4_quantize with a
per-tensor scale), written from its description:

  G   = amax(|x|) / (448 * 6) in float32 (the tensor's largest finite
        magnitude; 1 for an all-zero tensor), or the op's tensor_scale
  per row and block of values V_i (NaN and infinities ignored for amax):
    s_b = e4m3(clamp(amax_block / 6 / G, 2^-6, 448))   (float32 divisions)
    s   = G * s_b                                       (float32)
    P_i = e2m1(clamp(V_i / s, -6, 6))                   (NaN gives 0)
  and the op returns 2 P_i (i8), the scale s / 2 (f32) and zero points 0.

e4m3 and e2m1 round to the nearest value of the format, ties to the even
code; the oracle (checklib.nvfp4_quantize) finds them by searching each
format's list of values (enumerated from the bit layouts), not by the bit
manipulation the lowering uses.

Rows hold random values, exact ties of both formats, values beyond the
clamps, zeros, tiny and huge blocks (block scales clamped to 2^-6 and
448), NaN and infinities, and a row without finite values; a second input
is all zeros, a third tiny (G subnormal). The reference lowering and
--qnt-codegen must both equal the transcription bit for bit, with G solved
at run time and with tensor_scale given.

Usage: check_nvfp4_activations.py BINDIR WORKDIR
"""
import os
import sys

import numpy as np

from checklib import nvfp4_quantize, run

bindir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
K, B = 70, 16
G_BLOCKS = -(-K // B)
f32 = np.float32


rng = np.random.default_rng(13)
x = (rng.standard_normal((8, K)) * np.exp2(rng.integers(-6, 6, (8, 1)))).astype(np.float32)
# Row 1: E2M1 ties. amax 6 * s with s = G * s_b exact: put 6.0 in each
# block and the midpoints 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5 (times s).
mids = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, -0.25, -0.75, -2.5, -5.0,
                 0.3, 4.9, 5.1, 6.0, -6.0], np.float32)
x[1, :] = np.resize(mids, K)
x[1, 64:70] = [6.0, 1.25, -1.75, 2.5, 0.0, -0.0]
# Row 2: block maxima whose amax / 6 / G falls on E4M3 ties and beyond
# its clamps (tiny and huge blocks next to ordinary ones).
x[2, :B] = np.float32(1e-30)
x[2, B:2 * B] = np.float32(3e3)
x[2, 2 * B:3 * B] = np.linspace(-1, 1, B, dtype=np.float32) * np.float32(6 * 1.0625)
x[3, :B] = 0.0
x[3, B] = np.nan
x[3, B + 1] = np.inf
x[3, 2 * B] = -np.inf
x[4, :] = -np.abs(x[4, :])
x[5, B:2 * B] = np.inf                                 # no finite value
x[6, :] = np.float32(6.5) * np.sign(rng.standard_normal(K)).astype(np.float32)
x[7, ::3] = 0.0

inputs = {
    "mixed": x,
    "zeros": np.zeros((3, K), np.float32),
    "tiny": (rng.standard_normal((3, K)) * np.float32(1e-41)).astype(np.float32),
}

failures = 0
for tensor_scale in (None, 0.015625, 3.5e-3):
    attr = "" if tensor_scale is None else f" tensor_scale = {tensor_scale:.9e}"
    tag = "run-time G" if tensor_scale is None else f"tensor_scale {tensor_scale}"
    name = "dyn" if tensor_scale is None else f"g{tensor_scale}"
    model = os.path.join(work, f"nv.{name}.mlir")
    with open(model, "w") as f:
        f.write(f"""func.func @main(%x: tensor<?x{K}xf32>) -> (tensor<?x{K}xi8>, tensor<?x{G_BLOCKS}xf32>, tensor<?x{G_BLOCKS}xi32>) {{
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<?x{K}xf32> to tensor<?x{K}xi8>, tensor<?x{G_BLOCKS}xf32>, tensor<?x{G_BLOCKS}xi32> storage = i8 scheme = nvfp4 block = {B}{attr}
  return %q, %s, %z : tensor<?x{K}xi8>, tensor<?x{G_BLOCKS}xf32>, tensor<?x{G_BLOCKS}xi32>
}}
""")
    fast = os.path.join(work, f"nv.{name}.fast.mlir")
    run([f"{bindir}/quant-opt", model, "--qnt-codegen", "-o", fast])
    for data_name, data in inputs.items():
        if tensor_scale is not None and data_name != "mixed":
            continue
        xpath = os.path.join(work, f"{data_name}.npy")
        np.save(xpath, data)
        want_q, want_s, g = nvfp4_quantize(
            data, B, None if tensor_scale is None else f32(tensor_scale))
        for label, module in (("reference", model), ("codegen", fast)):
            out = os.path.join(work, f"{name}.{data_name}.{label}")
            run([f"{bindir}/quant-run", module, "--entry", "main", "--input", xpath,
                 "--output-dir", out])
            q, s, z = (np.load(os.path.join(out, f"out{i}.npy")) for i in range(3))
            ok = (q.tobytes() == want_q.tobytes() and s.tobytes() == want_s.tobytes()
                  and not z.any() and z.shape == want_s.shape)
            failures += not ok
            print(f"{tag}, {data_name}, {label}: " + ("identical" if ok else "DIFFERENT"))
            if not ok:
                bad = np.argwhere(q != want_q)[:5]
                print("G", g, [(tuple(i), int(q[tuple(i)]), int(want_q[tuple(i)]),
                               float(data[tuple(i)])) for i in bad])
                bads = np.argwhere(s != want_s)[:5]
                print([(tuple(i), s[tuple(i)], want_s[tuple(i)]) for i in bads])
print(f"{failures} mismatches")
sys.exit(1 if failures else 0)
