"""Writes the first N test images as the CNN's input: float32 x/255, [N, 28, 28, 1]."""
import sys

import numpy as np

images = np.load(sys.argv[1])[: int(sys.argv[3])]
np.save(sys.argv[2], (images.astype(np.float32) / 255).reshape(-1, 28, 28, 1))
