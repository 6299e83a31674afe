"""A NumPy transcription of ONNX Runtime's quantizer formulas:
compute_scale_zp and get_qmin_qmax_for_qType in
onnxruntime/python/tools/quantization/quant_utils.py (ONNX Runtime 1.19 and
later; the Python package is not in Debian), with the same NumPy dtypes:
float32 ranges, float64 scale, integer ranges in the storage's dtype,
numpy.round. Shared by check_onnxruntime_profile.py and
test/Calibration/check_ort_moving.py."""
import numpy as np

# get_qmin_qmax_for_qType's tables (the int4 types as int8 / uint8).
DTYPE = {"i8": np.int8, "u8": np.uint8, "i16": np.int16, "u16": np.uint16,
         "i4": np.int8, "u4": np.uint8}
FULL = {"i8": (-128, 127), "u8": (0, 255), "i16": (-32768, 32767),
        "u16": (0, 65535), "i4": (-8, 7), "u4": (0, 15)}
SYMMETRIC = {"i8": (-127, 127), "u8": (0, 254), "i16": (-32767, 32767),
             "u16": (0, 65534)}
REDUCED = {"i8": (-64, 64), "u8": (0, 127), "i16": (-16384, 16384),
           "u16": (0, 32767), "i4": (-4, 3), "u4": (0, 7)}


def get_qmin_qmax(storage, reduce_range, symmetric):
    if reduce_range:
        lo, hi = REDUCED[storage]
    elif symmetric and storage in SYMMETRIC:
        lo, hi = SYMMETRIC[storage]
    else:
        lo, hi = FULL[storage]
    dtype = DTYPE[storage]
    return np.array(lo, dtype=dtype), np.array(hi, dtype=dtype)


def compute_scale_zp(rmin, rmax, qmin, qmax, symmetric):
    rmin = np.minimum(rmin, np.array(0, dtype=rmin.dtype))
    rmax = np.maximum(rmax, np.array(0, dtype=rmax.dtype))
    if symmetric:
        absmax = np.maximum(np.abs(rmin), np.abs(rmax))
        rmin = -absmax
        rmax = +absmax
    dr = np.array(rmax - rmin, dtype=np.float64)
    dq = np.array(qmax, dtype=np.float64) - np.array(qmin, dtype=np.float64)
    scale = np.array(dr / dq)
    if scale < np.finfo(rmax.dtype).tiny:
        scale = np.array(1.0, dtype=rmax.dtype)
        zero_point = np.array(0, dtype=qmin.dtype)
    else:
        if symmetric:
            zero_point = np.array(
                np.round((qmin + qmax) / np.array(2.0, dtype=np.float64)),
                dtype=qmin.dtype)
        else:
            zero_point = np.array(np.round(qmin - rmin / scale),
                                  dtype=qmin.dtype)
        scale = scale.astype(rmax.dtype)
    return [zero_point, scale]
