"""Writes the inputs of dot_extremes.mlir: activation bytes (as int8: -1 is
255), weights and accumulators, lane by lane (four bytes per lane):

lane  activations (u8)    weights (i8)          acc   expected
0     255 255 255 255     -128 -128 -128 -128   0     -130560
1     255 255 255 255     127 127 127 127       0     129540
2     255 255 255 255     127 -128 1 0          0     0
3     255 255 255 255     -1 -1 -1 -1           0     -1020
4     255 255 0 0         -128 -128 5 5         7     -65273
5     1 2 3 4             -128 127 -1 1         -9    118
6     255 254 253 252     -128 127 -127 126     100   -661
7     0 0 0 0             -128 -128 -128 -128   -5    -5
lanes 8..15 of the 16-lane call: lanes 7..0 again (reversed).
"""
import sys

import numpy as np

a = [[255] * 4] * 4 + [[255, 255, 0, 0], [1, 2, 3, 4], [255, 254, 253, 252], [0] * 4]
b = [[-128] * 4, [127] * 4, [127, -128, 1, 0], [-1] * 4, [-128, -128, 5, 5],
     [-128, 127, -1, 1], [-128, 127, -127, 126], [-128] * 4]
acc = [0, 0, 0, 0, 7, -9, 100, -5]
out = sys.argv[1]
a8 = np.array(a, np.uint8).reshape(-1).view(np.int8)
b8 = np.array(b, np.int8).reshape(-1)
np.save(f"{out}/a8.npy", a8)
np.save(f"{out}/b8.npy", b8)
np.save(f"{out}/acc8.npy", np.array(acc, np.int32))
np.save(f"{out}/a16.npy", np.concatenate([a8, np.array(a[::-1], np.uint8).reshape(-1).view(np.int8)]))
np.save(f"{out}/b16.npy", np.concatenate([b8, np.array(b[::-1], np.int8).reshape(-1)]))
np.save(f"{out}/acc16.npy", np.array(acc + acc[::-1], np.int32))
