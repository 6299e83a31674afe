"""Writes torch_moving.json: torch.ao's MinMaxObserver,
MovingAverageMinMaxObserver and HistogramObserver, and the per-channel
PerChannelMinMaxObserver and MovingAveragePerChannelMinMaxObserver along axis
1 (Debian's python3-torch, 1.13) fed six batches of 8 x 16 activations one
call each, with their running extremes and the scales and zero points they
compute, and the integers of torch.ao's fake quantization with those
parameters (torch.quantize_per_tensor's, clamped to the observer's
quant_min/quant_max; on the batches and on near-ties), for check_torch_moving.py (a layer
calibrated by quant-run --calibrate --batch-size 8 and quantized with
--qnt-quantize profile=torch must give the same numbers bit for bit).
Run once with /usr/bin/python3; the JSON is checked in:

    /usr/bin/python3 gen_torch_moving.py > torch_moving.json"""
import json

import numpy as np
import torch
from torch.ao.quantization.observer import (
    HistogramObserver, MinMaxObserver, MovingAverageMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver, PerChannelMinMaxObserver)

rng = np.random.default_rng(21)
# Batches whose ranges drift (wider, shifted), so that the moving average
# differs from the overall extremes in every bit position it can.
batches = [(rng.normal(size=(8, 16)) * (1 + 0.37 * i) + 0.11 * i)
           .astype(np.float32) for i in range(6)]
CONFIGS = [("quint8", "affine", False), ("qint8", "symmetric", False),
           ("quint8", "affine", True), ("qint8", "affine", True),
           ("qint8", "symmetric", True)]
DTYPES = {"qint8": torch.qint8, "quint8": torch.quint8}
QSCHEMES = {"affine": torch.per_tensor_affine,
            "symmetric": torch.per_tensor_symmetric}
cases = []
for method, cls in (("minmax", MinMaxObserver),
                    ("moving-average", MovingAverageMinMaxObserver),
                    ("torch-histogram", HistogramObserver)):
    for dtype, scheme, reduce_range in CONFIGS:
        obs = cls(dtype=DTYPES[dtype], qscheme=QSCHEMES[scheme],
                  reduce_range=reduce_range)
        for b in batches:
            obs(torch.from_numpy(b))
        scale, zp = obs.calculate_qparams()
        # The integers of those parameters, on the batches and on a probe of
        # near-ties: (j + 0.5) * scale in float32
        # and its two float neighbours, where multiplying by the float32
        # reciprocal (torch) and dividing round differently.
        s32 = np.float32(float(scale))
        ties = ((np.arange(-144, 144) + 0.5) * s32).astype(np.float32)
        probe = np.concatenate([ties, np.nextafter(ties, np.float32(np.inf)),
                                np.nextafter(ties, np.float32(-np.inf))])
        def quantized(x):
            # torch.ao's fake quantization: clamp(nearbyint(x * (1 / s)) +
            # zp, quant_min, quant_max), i.e. quantize_per_tensor's integers
            # (clamped to the type) clamped to the observer's range (7 bits
            # with reduce_range).
            q = torch.quantize_per_tensor(torch.from_numpy(x), float(scale),
                                          int(zp), DTYPES[dtype])
            q = np.clip(q.int_repr().numpy().astype(np.int64),
                        obs.quant_min, obs.quant_max)
            return q.astype(np.int8 if dtype == "qint8" else np.uint8) \
                .view(np.uint8).tobytes().hex()
        cases.append({
            "method": method, "dtype": dtype, "scheme": scheme,
            "reduce_range": reduce_range,
            "min_hex": float(obs.min_val).hex(),
            "max_hex": float(obs.max_val).hex(),
            "scale_hex": float(scale).hex(), "zero_point": int(zp),
            "quantized_batches": quantized(np.concatenate(batches)),
            "probe": probe.tobytes().hex(),
            "quantized_probe": quantized(probe)})
# The per-channel observers along axis 1 (16 channels) over the same batches.
PER_CHANNEL = {"affine": torch.per_channel_affine,
               "symmetric": torch.per_channel_symmetric}
channel_cases = []
for method, cls in (("minmax", PerChannelMinMaxObserver),
                    ("moving-average", MovingAveragePerChannelMinMaxObserver)):
    for dtype, scheme, reduce_range in CONFIGS:
        obs = cls(ch_axis=1, dtype=DTYPES[dtype], qscheme=PER_CHANNEL[scheme],
                  reduce_range=reduce_range)
        for b in batches:
            obs(torch.from_numpy(b))
        scales, zps = obs.calculate_qparams()
        channel_cases.append({
            "method": method, "dtype": dtype, "scheme": scheme,
            "reduce_range": reduce_range, "axis": 1,
            "min_hex": [float(v).hex() for v in obs.min_val.tolist()],
            "max_hex": [float(v).hex() for v in obs.max_val.tolist()],
            "scales_hex": [float(v).hex() for v in scales.tolist()],
            "zero_points": [int(z) for z in zps.tolist()]})
print(json.dumps({
    "torch_version": torch.__version__,
    "averaging_constant": 0.01,
    "batches_hex": [[float(v).hex() for v in b.reshape(-1).tolist()]
                    for b in batches],
    "batch_shape": [8, 16],
    "cases": cases,
    "channel_cases": channel_cases}, indent=0))
