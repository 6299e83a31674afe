# Writes the inputs of the quant-params tests (Debian python3 + numpy).
import os
import numpy as np
here = os.path.dirname(os.path.abspath(__file__))
np.save(os.path.join(here, "w.npy"),
        np.array([[1.27, -0.5, 0.25, 0.1], [3.0, -1.0, 0.0, 0.5]], dtype=np.float32))
np.save(os.path.join(here, "zeros.npy"), np.zeros((2, 3), dtype=np.float32))
np.save(os.path.join(here, "i8.npy"), np.zeros(3, dtype=np.int8))
