// Tests packed sub-byte storage end to end; packed tensors travel as raw
// bytes (uint8). Bytes 0x21, 0xF8 hold the i4
// values [1, 2, -8, -1] (low nibble first); with scale 0.5 they are
// [0.5, 1.0, -4.0, -0.5]. Bytes 0xE4 hold the u2 values [0, 1, 2, 3]; with
// zero point 2 and scale 1: [-2, -1, 0, 1].
// RUN: rm -rf %t && %python -c "import numpy as np; np.save('%t.i4.npy', np.array([[0x21, 0xF8]], np.uint8)); np.save('%t.u2.npy', np.array([[0xE4]], np.uint8))"
// RUN: quant-run %s --entry i4 --input %t.i4.npy --output-dir %t/a
// RUN: %python -c "import numpy as np; a = np.load('%t/a/out0.npy'); assert a.tolist() == [[0.5, 1.0, -4.0, -0.5]], a"
// RUN: quant-run %s --entry u2 --input %t.u2.npy --output-dir %t/b
// RUN: %python -c "import numpy as np; a = np.load('%t/b/out0.npy'); assert a.tolist() == [[-2.0, -1.0, 0.0, 1.0]], a"

func.func @i4(%q: tensor<1x2xi8>) -> tensor<1x4xf32> {
  %x = qnt.dequantize %q : tensor<1x2xi8> to tensor<1x4xf32> as #qnt.params<i4, scales = [0.5]> packed
  return %x : tensor<1x4xf32>
}

func.func @u2(%q: tensor<1x1xi8>) -> tensor<1x4xf32> {
  %x = qnt.dequantize %q : tensor<1x1xi8> to tensor<1x4xf32> as #qnt.params<ui2, scales = [1.0], zero_points = [2]> packed
  return %x : tensor<1x4xf32>
}
