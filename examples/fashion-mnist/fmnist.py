"""Shared helpers of the Fashion-MNIST example: the data set reader, the two
model definitions (as numpy reference code) and small utilities.

The data set is read from the IDX files Debian ships (gzip-compressed):
    /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
Set FASHION_MNIST_DIR to read them from somewhere else.
"""
import gzip
import os

import numpy as np

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS_DIR = os.path.join(HERE, "weights")
MODELS = ("mlp", "cnn")
DIALECTS = ("linalg", "tosa")


def _read_idx(path, ndim):
    """Reads an IDX file (uint8 data): big-endian magic 0x0000 08 NDIM, then
    NDIM big-endian uint32 sizes, then the bytes."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    if magic != 0x0800 | ndim:
        raise ValueError(f"{path}: bad IDX magic {magic:#x} (expected {0x0800 | ndim:#x})")
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} bytes of data, header says {dims}")
    return data.reshape(dims)


def load_split(split):
    """Returns (images uint8 [N, 28, 28], labels uint8 [N]) of split 'train'
    or 't10k' (the test set)."""
    images = _read_idx(os.path.join(DATA_DIR, f"{split}-images-idx3-ubyte.gz"), 3)
    labels = _read_idx(os.path.join(DATA_DIR, f"{split}-labels-idx1-ubyte.gz"), 1)
    assert images.shape[0] == labels.shape[0]
    return images, labels


def model_input(images_u8, model):
    """The float32 input a model's @main takes: x/255, flat [N, 784] for the
    MLP, NHWC [N, 28, 28, 1] for the CNN."""
    x = images_u8.astype(np.float32) / np.float32(255.0)
    if model == "mlp":
        return np.ascontiguousarray(x.reshape(-1, 784))
    return np.ascontiguousarray(x.reshape(-1, 28, 28, 1))


def weights_path(model):
    return os.path.join(WEIGHTS_DIR, f"{model}.npz")


def load_weights(model):
    """The trained weights, in torch's layouts (Linear [out, in], Conv2d
    [OC, IC, KH, KW]), as a dict of float32 arrays."""
    with np.load(weights_path(model)) as npz:
        return {k: npz[k].astype(np.float32) for k in npz.files}
