"""Writes the Fashion-MNIST test data of test/Models (run once with Debian's
python3: /usr/bin/python3 make_test_data.py; the outputs are checked in).

t10k-images-1000.npy  uint8 [1000, 28, 28]: the first 1000 images of the
                      Fashion-MNIST test set (t10k), pixel values 0..255
t10k-labels-1000.npy  uint8 [1000]: their labels (classes 0..9)

The models in test/Models/*.mlir take x/255 as float32: flat [N, 784] for the
MLP, NHWC [N, 28, 28, 1] for the CNN. Source: Debian's copy of the data set,
/usr/share/datasets/fashion-mnist/t10k-{images-idx3,labels-idx1}-ubyte.gz
(IDX format: big-endian magic 0x0000 08 NDIM, NDIM uint32 sizes, uint8 data).
"""
import gzip
import os

import numpy as np

SOURCE = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
COUNT = 1000
here = os.path.dirname(os.path.abspath(__file__))


def read_idx(path, ndim):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    assert int.from_bytes(raw[0:4], "big") == 0x0800 | ndim, f"{path}: not an IDX uint8 file"
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


images = read_idx(os.path.join(SOURCE, "t10k-images-idx3-ubyte.gz"), 3)[:COUNT]
labels = read_idx(os.path.join(SOURCE, "t10k-labels-idx1-ubyte.gz"), 1)[:COUNT]
assert images.shape == (COUNT, 28, 28) and labels.shape == (COUNT,)
np.save(os.path.join(here, "t10k-images-1000.npy"), np.ascontiguousarray(images))
np.save(os.path.join(here, "t10k-labels-1000.npy"), np.ascontiguousarray(labels))
