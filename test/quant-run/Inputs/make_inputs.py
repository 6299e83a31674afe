# Writes the small .npy inputs of the quant-run tests (run with Debian's
# python3 and python3-numpy: /usr/bin/python3 make_inputs.py). Deterministic.
import os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
def save(name, array):
    np.save(os.path.join(here, name), array)

save("f32_4.npy", np.array([0.25, 0.75, -1.25, 100.0], dtype=np.float32))
save("f32_5.npy", np.arange(5, dtype=np.float32))
save("f64_4.npy", np.zeros(4, dtype=np.float64))
save("f32_2x4.npy", np.array([[0.05, 0.15, 0.25, -0.35], [0.5, 1.5, 2.5, -7.5]], dtype=np.float32))
save("i8_4.npy", np.array([-8, 7, 0, 1], dtype=np.int8))
save("i8_4_out_of_i4.npy", np.array([-8, 7, 8, 1], dtype=np.int8))
save("u8_4.npy", np.array([0, 15, 8, 1], dtype=np.uint8))
with open(os.path.join(here, "not_npy.npy"), "wb") as f:
    f.write(b"this is not a numpy file")
save("f32_4_not_f8.npy", np.array([0.5, 0.3, 448.0, -1.0], dtype=np.float32))
save("f32_3x4.npy", (np.arange(12, dtype=np.float32).reshape(3, 4) - 5) / 4)
save("f32_4x5.npy", (np.arange(20, dtype=np.float32).reshape(4, 5) - 7) / 8)
