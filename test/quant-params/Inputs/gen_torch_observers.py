"""Writes torch_observers.json: the scales and zero points torch.ao's
MinMaxObserver and PerChannelMinMaxObserver compute (Debian's python3-torch,
1.13) for test tensors, with torch's fake-quantized integers, for
check_torch_profile.py (quant-params --profile torch must give the same
parameters bit for bit). Run once, with /usr/bin/python3 (python3-torch);
the JSON is checked in:

    /usr/bin/python3 gen_torch_observers.py > torch_observers.json

Cases: both 8-bit dtypes, affine and symmetric, reduce_range, customised
ranges (quant_min/quant_max: the narrow int8 range, a 4-bit range in quint8),
per tensor and per channel, and degenerate ranges (all zero, a single value,
an eps-sized range, all negative, all positive)."""
import json

import numpy as np
import torch
from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver

rng = np.random.default_rng(5)
TENSORS = {
    "normal": (rng.normal(size=64) * 3 + 0.5).astype(np.float32),
    "positive": rng.uniform(0.5, 2.0, size=40).astype(np.float32),
    "negative": -rng.uniform(0.1, 7.0, size=40).astype(np.float32),
    "zeros": np.zeros(16, np.float32),
    "single": np.full(16, 0.7, np.float32),
    "eps_range": (1e-9 + rng.uniform(0, 2e-9, size=16)).astype(np.float32),
    "channels": np.concatenate([
        (rng.normal(size=(2, 16)) * [[0.2], [5.0]]),
        np.zeros((1, 16)), np.full((1, 16), -0.3)]).astype(np.float32),
}
# (dtype, qscheme, reduce_range, quant_min, quant_max)
TENSOR_CONFIGS = [
    ("qint8", "affine", False, None, None),
    ("qint8", "symmetric", False, None, None),
    ("quint8", "affine", False, None, None),
    ("quint8", "symmetric", False, None, None),
    ("qint8", "affine", True, None, None),
    ("qint8", "symmetric", True, None, None),
    ("quint8", "affine", True, None, None),
    ("qint8", "symmetric", False, -127, 127),
    ("quint8", "affine", False, 0, 15),
    ("quint8", "symmetric", False, 0, 15),
]
DTYPES = {"qint8": torch.qint8, "quint8": torch.quint8}


def observe(name, data, per_channel, dtype, scheme, reduce_range, qmin, qmax):
    qscheme = {
        (False, "affine"): torch.per_tensor_affine,
        (False, "symmetric"): torch.per_tensor_symmetric,
        (True, "affine"): torch.per_channel_affine,
        (True, "symmetric"): torch.per_channel_symmetric,
    }[(per_channel, scheme)]
    kwargs = dict(dtype=DTYPES[dtype], qscheme=qscheme,
                  reduce_range=reduce_range)
    if qmin is not None:
        kwargs.update(quant_min=qmin, quant_max=qmax)
    if per_channel:
        obs = PerChannelMinMaxObserver(ch_axis=0, **kwargs)
    else:
        obs = MinMaxObserver(**kwargs)
    x = torch.from_numpy(data)
    obs(x)
    scale, zp = obs.calculate_qparams()
    lo, hi = obs.quant_min, obs.quant_max
    if per_channel:
        q = torch.fake_quantize_per_channel_affine(
            x, scale, zp.to(torch.int32), 0, lo, hi)
        ints = torch.round(x / scale[:, None]) + zp[:, None]
    else:
        q = torch.fake_quantize_per_tensor_affine(
            x, float(scale), int(zp), lo, hi)
        ints = torch.round(x / scale) + zp
    return {
        "tensor": name, "per_channel": per_channel, "dtype": dtype,
        "scheme": scheme, "reduce_range": reduce_range,
        "quant_min": qmin, "quant_max": qmax,
        "observer_range": [int(lo), int(hi)],
        "scales_hex": [float(s).hex() for s in scale.reshape(-1).tolist()],
        "zero_points": [int(z) for z in zp.reshape(-1).tolist()],
        "fake_quantized_hex": [float(v).hex() for v in q.reshape(-1).tolist()],
    }


cases = []
for name, data in TENSORS.items():
    per_channel = data.ndim == 2
    for cfg in TENSOR_CONFIGS:
        cases.append(observe(name, data, per_channel, *cfg))
print(json.dumps({
    "torch_version": torch.__version__,
    "tensors": {k: [float(v).hex() for v in t.reshape(-1).tolist()]
                for k, t in TENSORS.items()},
    "shapes": {k: list(t.shape) for k, t in TENSORS.items()},
    "cases": cases}, indent=0))
