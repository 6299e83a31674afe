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
// packed_flat (ONNX's layout, packed over the flattened tensor): the i4
// values [1, 2, 3, 4, 5, 6, 7, -8, -1] of a 3x3 tensor are the five bytes
// 0x21 0x43 0x65 0x87 0x0F (the last high nibble unused), rows starting
// mid-byte; per-row scales [0.5, 1, 0.25] give [[0.5, 1, 1.5], [4, 5, 6],
// [1.75, -2, -0.25]]. The u2 values [3, 0, 2] are the byte 0x23; with zero
// point 1 and scale 2: [4, -2, 2]. Both pipelines.
// RUN: %python -c "import numpy as np; np.save('%t.f4.npy', np.array([0x21, 0x43, 0x65, 0x87, 0x0F], np.uint8)); np.save('%t.f2.npy', np.array([0x23], np.uint8))"
// RUN: quant-run %s --entry flat_i4 --input %t.f4.npy --output-dir %t/c
// RUN: %python -c "import numpy as np; a = np.load('%t/c/out0.npy'); assert a.tolist() == [[0.5, 1.0, 1.5], [4.0, 5.0, 6.0], [1.75, -2.0, -0.25]], a"
// RUN: quant-run %s --pipeline=codegen --entry flat_i4 --input %t.f4.npy --output-dir %t/d
// RUN: %python -c "import numpy as np; a = np.load('%t/d/out0.npy'); assert a.tolist() == [[0.5, 1.0, 1.5], [4.0, 5.0, 6.0], [1.75, -2.0, -0.25]], a"
// RUN: quant-run %s --entry flat_u2 --input %t.f2.npy --output-dir %t/e
// RUN: %python -c "import numpy as np; a = np.load('%t/e/out0.npy'); assert a.tolist() == [[4.0, -2.0, 2.0]], a"

func.func @i4(%q: tensor<1x2xi8>) -> tensor<1x4xf32> {
  %x = qnt.dequantize %q : tensor<1x2xi8> to tensor<1x4xf32> as #qnt.params<i4, scales = [0.5]> packed
  return %x : tensor<1x4xf32>
}

func.func @u2(%q: tensor<1x1xi8>) -> tensor<1x4xf32> {
  %x = qnt.dequantize %q : tensor<1x1xi8> to tensor<1x4xf32> as #qnt.params<ui2, scales = [1.0], zero_points = [2]> packed
  return %x : tensor<1x4xf32>
}

func.func @flat_i4(%q: tensor<5xi8>) -> tensor<3x3xf32> {
  %x = qnt.dequantize %q : tensor<5xi8> to tensor<3x3xf32> as #qnt.params<i4, axis = 0, scales = [0.5, 1.0, 0.25]> packed_flat
  return %x : tensor<3x3xf32>
}

func.func @flat_u2(%q: tensor<1xi8>) -> tensor<1x3xf32> {
  %x = qnt.dequantize %q : tensor<1xi8> to tensor<1x3xf32> as #qnt.params<ui2, scales = [2.0], zero_points = [1]> packed_flat
  return %x : tensor<1x3xf32>
}
