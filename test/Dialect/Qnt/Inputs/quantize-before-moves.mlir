// A float chain (x * x - 1) before zero padding, a transpose and a strided
// insertion into zeros (a transposed convolution's zero stuffing), then a
// quantization with a zero point of 3: qnt-chain-layers quantizes before
// the padding, the transpose and the insertion (quantize-before-moves.test); the result
// is dequantized, so every stored byte shows in the output.
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @main(%x: tensor<2x5x4x3xf32>) -> tensor<2x3x15x13xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<2x5x4x3xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x5x4x3xf32>) outs(%e : tensor<2x5x4x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    %d = arith.subf %m, %one : f32
    linalg.yield %d : f32
  } -> tensor<2x5x4x3xf32>
  %p = tensor.pad %s low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<2x5x4x3xf32> to tensor<2x7x6x3xf32>
  %e2 = tensor.empty() : tensor<2x3x7x6xf32>
  %t = linalg.transpose ins(%p : tensor<2x7x6x3xf32>) outs(%e2 : tensor<2x3x7x6xf32>) permutation = [0, 3, 1, 2]
  %ez = tensor.empty() : tensor<2x3x15x13xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%ez : tensor<2x3x15x13xf32>) -> tensor<2x3x15x13xf32>
  %z = tensor.insert_slice %t into %zeros[0, 0, 1, 1] [2, 3, 7, 6] [1, 1, 2, 2] : tensor<2x3x7x6xf32> into tensor<2x3x15x13xf32>
  %r = qnt.quantize %z : tensor<2x3x15x13xf32> to tensor<2x3x15x13xi8> as #qnt.params<ui8, scales = [0.05], zero_points = [3]>
  %d = qnt.dequantize %r : tensor<2x3x15x13xi8> to tensor<2x3x15x13xf32> as #qnt.params<ui8, scales = [0.05], zero_points = [3]>
  return %d : tensor<2x3x15x13xf32>
}
