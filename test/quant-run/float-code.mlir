// Tests that --qnt-lower-to-llvm (through quant-run) executes the float
// linalg/tensor/arith code a model is made of: matmul, element-wise arith on
// tensors, transpose, reshape, slices, padding and reductions, compared with
// numpy.
// RUN: rm -rf %t && quant-run %s --entry main --input %S/Inputs/f32_3x4.npy --input %S/Inputs/f32_4x5.npy --output-dir %t
// RUN: %python %S/Inputs/check_float_code.py %S/Inputs %t

func.func @main(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> (tensor<3x5xf32>, tensor<5x3xf32>, tensor<15xf32>, tensor<2x5xf32>, tensor<5x7xf32>, tensor<3xf32>) {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<3x5xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%init : tensor<3x5xf32>) -> tensor<3x5xf32>
  %mm = linalg.matmul ins(%a, %b : tensor<3x4xf32>, tensor<4x5xf32>) outs(%fill : tensor<3x5xf32>) -> tensor<3x5xf32>
  %relu = arith.maximumf %mm, %fill : tensor<3x5xf32>
  %tinit = tensor.empty() : tensor<5x3xf32>
  %t = linalg.transpose ins(%relu : tensor<3x5xf32>) outs(%tinit : tensor<5x3xf32>) permutation = [1, 0]
  %flat = tensor.collapse_shape %relu [[0, 1]] : tensor<3x5xf32> into tensor<15xf32>
  %slice = tensor.extract_slice %mm[1, 0] [2, 5] [1, 1] : tensor<3x5xf32> to tensor<2x5xf32>
  %pad = tensor.pad %t low[0, 2] high[0, 2] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<5x3xf32> to tensor<5x7xf32>
  %rinit = tensor.empty() : tensor<3xf32>
  %rfill = linalg.fill ins(%zero : f32) outs(%rinit : tensor<3xf32>) -> tensor<3xf32>
  %sum = linalg.reduce ins(%mm : tensor<3x5xf32>) outs(%rfill : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %mm, %t, %flat, %slice, %pad, %sum : tensor<3x5xf32>, tensor<5x3xf32>, tensor<15xf32>, tensor<2x5xf32>, tensor<5x7xf32>, tensor<3xf32>
}
