// Tests quant-run end to end: values of a quantize and a dequantize of
// unsigned 4-bit storage (exchanged as uint8), --repeat timing, and running an
// already-lowered module.
// RUN: rm -rf %t && quant-run %s --entry quantize --input %S/Inputs/f32_4.npy --output-dir %t/q --repeat 3 | FileCheck %s --check-prefix=TIME
// RUN: %python -c "import numpy as np; a = np.load('%t/q/out0.npy'); assert a.dtype == np.int8, a.dtype; assert a.tolist() == [3, 5, 1, 127], a"
// RUN: quant-run %s --entry dequantize_u4 --input %S/Inputs/u8_4.npy --output-dir %t/d
// RUN: %python -c "import numpy as np; a = np.load('%t/d/out0.npy'); assert a.dtype == np.float32; assert a.tolist() == [-2.0, 1.75, 0.0, -1.75], a"
// RUN: quant-run %s --entry quantize_u4 --input %S/Inputs/f32_4.npy --output-dir %t/u
// RUN: %python -c "import numpy as np; a = np.load('%t/u/out0.npy'); assert a.dtype == np.uint8; assert a.tolist() == [9, 11, 3, 15], a"
// Repeated calls see the same inputs (arguments are never written to), and
// stale outputs of an earlier run with more results are removed.
// RUN: quant-run %s --entry double --input %S/Inputs/f32_4.npy --output-dir %t/r --repeat 5
// RUN: %python -c "import numpy as np; a = np.load('%t/r/out0.npy'); assert a.tolist() == [0.5, 1.5, -2.5, 200.0], a"
// RUN: cp %t/r/out0.npy %t/r/out1.npy && quant-run %s --entry double --input %S/Inputs/f32_4.npy --output-dir %t/r
// RUN: not test -e %t/r/out1.npy
// RUN: quant-opt %s --qnt-lower-to-llvm -o %t/lowered.mlir
// RUN: quant-run %t/lowered.mlir --entry quantize --input %S/Inputs/f32_4.npy --output-dir %t/l
// RUN: cmp %t/q/out0.npy %t/l/out0.npy

// TIME: @quantize: median {{[0-9.]+}} ms over 3 calls (min {{[0-9.]+}} ms, max {{[0-9.]+}} ms)

func.func @quantize(%x: tensor<4xf32>) -> tensor<4xi8> {
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.5], zero_points = [3]>
  return %q : tensor<4xi8>
}

func.func @double(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = arith.addf %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// (q - 8) * 0.25
func.func @dequantize_u4(%q: tensor<4xi4>) -> tensor<4xf32> {
  %x = qnt.dequantize %q : tensor<4xi4> to tensor<4xf32> as #qnt.params<ui4, scales = [0.25], zero_points = [8]>
  return %x : tensor<4xf32>
}

// round(x / 0.25) + 8, clamped to [0, 15]: 1 -> 9, 3 -> 11, -5 -> 3, 400 -> 15
func.func @quantize_u4(%x: tensor<4xf32>) -> tensor<4xi4> {
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi4> as #qnt.params<ui4, scales = [0.25], zero_points = [8]>
  return %q : tensor<4xi4>
}
