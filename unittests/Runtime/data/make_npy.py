#!/usr/bin/env python3
"""Writes the .npy fixtures used by unittests/Runtime/NpyTest.cpp.

Run from anywhere (needs numpy, e.g. /usr/bin/python3 with python3-numpy):

    python3 unittests/Runtime/data/make_npy.py

The files are written next to this script. The output is deterministic: the
values are fixed, no randomness is used, and re-running overwrites the files.
The expected values are hard-coded in NpyTest.cpp; keep the two in sync.
"""

import os

import numpy as np

DATA_DIR = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(DATA_DIR, name)


def save(name, array):
    np.save(path(name), array, allow_pickle=False)


def main():
    # Valid files.
    f32 = (np.arange(6, dtype=np.float32) * 1.5 - 2.0).reshape(2, 3)
    save("f32_2x3.npy", f32)  # [[-2, -0.5, 1], [2.5, 4, 5.5]]
    save("i8_1d.npy", np.array([-128, -1, 0, 1, 127], dtype=np.int8))
    save("u8_scalar.npy", np.array(200, dtype=np.uint8))  # shape ()
    save("f16.npy", np.array([1.0, -2.0, 0.5, 65504.0], dtype=np.float16))
    save("i32_3d.npy", np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 12)
    save("bool.npy", np.array([True, False, True]))
    save("i64.npy", np.array([np.iinfo(np.int64).min, -1, np.iinfo(np.int64).max],
                             dtype=np.int64))
    # Big-endian data: the reader byte-swaps it to little-endian.
    save("f32_big_endian.npy", np.array([1.0, -2.5, 3.25], dtype=">f4"))
    # Format version 2.0 (4-byte header length).
    with open(path("f64_v2.npy"), "wb") as f:
        np.lib.format.write_array(
            f, np.array([[1.5, -0.25], [1e10, 3.0]], dtype=np.float64),
            version=(2, 0), allow_pickle=False)

    # Invalid files.
    save("fortran.npy",
         np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    with open(path("f32_2x3.npy"), "rb") as f:
        good = f.read()
    with open(path("truncated.npy"), "wb") as f:
        f.write(good[:-5])  # 19 of 24 data bytes.
    with open(path("bad_magic.npy"), "wb") as f:
        f.write(b"\x93NUMPX" + good[6:])


if __name__ == "__main__":
    main()
