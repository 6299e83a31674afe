// Run-time quantizations of zero paddings (dynamic-quantize-before-pad.test):
// asymmetric ui8 and symmetric i8, per tensor, and two that stay (a
// padding with 1.0; per-row parameters).
func.func @asym(%x: tensor<2x5x4x3xf32>) -> (tensor<2x7x6x3xi8>, tensor<f32>, tensor<i32>) {
  %c0 = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %c0 : f32
  } : tensor<2x5x4x3xf32> to tensor<2x7x6x3xf32>
  %q, %s, %z = qnt.dynamic_quantize %p : tensor<2x7x6x3xf32> to tensor<2x7x6x3xi8>, tensor<f32>, tensor<i32> storage = ui8 scheme = asymmetric
  return %q, %s, %z : tensor<2x7x6x3xi8>, tensor<f32>, tensor<i32>
}

func.func @sym(%x: tensor<2x5x4x3xf32>) -> (tensor<2x5x9x4xi8>, tensor<f32>, tensor<i32>) {
  %c0 = arith.constant -0.0 : f32
  %p = tensor.pad %x low[0, 0, 2, 1] high[0, 0, 3, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %c0 : f32
  } : tensor<2x5x4x3xf32> to tensor<2x5x9x4xf32>
  %q, %s, %z = qnt.dynamic_quantize %p : tensor<2x5x9x4xf32> to tensor<2x5x9x4xi8>, tensor<f32>, tensor<i32> storage = i8 scheme = symmetric
  return %q, %s, %z : tensor<2x5x9x4xi8>, tensor<f32>, tensor<i32>
}

func.func @kept(%x: tensor<2x5x4x3xf32>) -> (tensor<2x7x6x3xi8>, tensor<f32>, tensor<i32>, tensor<2x7x6x3xi8>, tensor<2x7x6xf32>, tensor<2x7x6xi32>) {
  %c0 = arith.constant 0.0 : f32
  %c1 = arith.constant 1.0 : f32
  %p1 = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %c1 : f32
  } : tensor<2x5x4x3xf32> to tensor<2x7x6x3xf32>
  %q, %s, %z = qnt.dynamic_quantize %p1 : tensor<2x7x6x3xf32> to tensor<2x7x6x3xi8>, tensor<f32>, tensor<i32> storage = ui8 scheme = asymmetric
  %p0 = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %c0 : f32
  } : tensor<2x5x4x3xf32> to tensor<2x7x6x3xf32>
  %qr, %sr, %zr = qnt.dynamic_quantize %p0 : tensor<2x7x6x3xf32> to tensor<2x7x6x3xi8>, tensor<2x7x6xf32>, tensor<2x7x6xi32> storage = ui8 scheme = asymmetric per_row
  return %q, %s, %z, %qr, %sr, %zr : tensor<2x7x6x3xi8>, tensor<f32>, tensor<i32>, tensor<2x7x6x3xi8>, tensor<2x7x6xf32>, tensor<2x7x6xi32>
}
