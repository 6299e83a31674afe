// RUN: rm -rf %t && quant-run %s --entry main --input %S/Inputs/range-in.npy --output-dir %t
// RUN: %python -c "import numpy as np; print(np.load('%t/out0.npy').tolist(), np.load('%t/out1.npy').tolist())" | FileCheck %s

// A custom range inside the storage type (3-bit values in i4): quantize
// clamps to [-4, 3], not to i4's [-8, 7]. Scale 1, zero point 0, round half
// to even: [-10, 0.3, 2.6, 10, -3.5, 3.5] -> [-4, 0, 3, 3, -4, 3]; read back
// as the same values. With zero point -1 and scale 0.5: round(x / 0.5) - 1
// = [-21, 0, 4, 19, -8, 6] (0.6 rounds to 1, 5.2 to 5, -7 and 7 are exact),
// clamped to [-4, 0, 3, 3, -4, 3], read back as 0.5 * (q + 1).
// CHECK: [-4, 0, 3, 3, -4, 3] [-1.5, 0.5, 2.0, 2.0, -1.5, 2.0]
func.func @main(%x: tensor<6xf32>) -> (tensor<6xi4>, tensor<6xf32>) {
  %q = qnt.quantize %x : tensor<6xf32> to tensor<6xi4> as #qnt.params<i4, range = [-4, 3], scales = [1.0]>
  %q2 = qnt.quantize %x : tensor<6xf32> to tensor<6xi4> as #qnt.params<i4, range = [-4, 3], scales = [0.5], zero_points = [-1]>
  %d = qnt.dequantize %q2 : tensor<6xi4> to tensor<6xf32> as #qnt.params<i4, range = [-4, 3], scales = [0.5], zero_points = [-1]>
  return %q, %d : tensor<6xi4>, tensor<6xf32>
}
