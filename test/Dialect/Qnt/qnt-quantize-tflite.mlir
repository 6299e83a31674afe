// Tests that the tflite profile quantizes symmetric weights as TFLite's
// converter does (SymmetricPerChannelQuantizeValues): round half away from
// zero of x * (127 / amax), the inverse of the range in float32, clamped to
// [-127, 127]. Hand-derived per column (axis 1):
// - column 0, amax 127: inverse 1, so 2.5, -2.5 and 0.5 round away from
//   zero to 3, -3 and 1, where QuantOpt's division by the scale 1 rounds
//   half to even: 2, -2, 0;
// - column 1, amax 0.3: 0.253937 / (0.3 / 127) is 107.5 in float32, but
//   0.253937 * (127 / 0.3) is 107.49999: TFLite 107, QuantOpt 108; 0.1 gives
//   42 either way;
// - column 2, all zero: inverse 0 and integers 0 (scale 1, TFLite's 0).
// RUN: quant-opt %s --qnt-quantize="profile=tflite" 2>/dev/null | FileCheck %s --check-prefix=TFLITE
// RUN: quant-opt %s --qnt-quantize 2>/dev/null | FileCheck %s --check-prefix=QUANTOPT
// With pow2 the scales round up to powers of two (1, 2^-8, 1), TFLite's own
// integers no longer fit them, and the weights divide by the scale, rounding
// half away from zero (TfLiteRound): 0.3 / 2^-8 = 76.8 -> 77, 0.253937 ->
// 65.007 -> 65, 0.1 -> 25.6 -> 26; 2.5 / 1 -> 3.
// RUN: quant-opt %s --qnt-quantize="profile=tflite pow2=true" 2>/dev/null | FileCheck %s --check-prefix=POW2
// POW2: arith.constant dense<{{\[\[}}127, 77, 0], [3, 65, 0], [-3, -65, 0], [1, 26, 0]]> : tensor<4x3xi8>
// POW2: weight = #qnt.params<i8, narrow, pow2, axis = 1, scales = [1.0, 0.00390625, 1.0]>
// TFLITE: arith.constant dense<{{\[\[}}127, 127, 0], [3, 107, 0], [-3, -107, 0], [1, 42, 0]]> : tensor<4x3xi8>
// TFLITE: weight = #qnt.params<i8, narrow, axis = 1, scales = [1.0, 0.0023622047, 1.0]>
// QUANTOPT: arith.constant dense<{{\[\[}}127, 127, 0], [2, 108, 0], [-2, -108, 0], [0, 42, 0]]> : tensor<4x3xi8>
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[127.0, 0.3, 0.0], [2.5, 0.253937, 0.0], [-2.5, -0.253937, 0.0], [0.5, 0.1, 0.0]]> : tensor<4x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32> loc("fc")
  return %y : tensor<2x3xf32>
}
