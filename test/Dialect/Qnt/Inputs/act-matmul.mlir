// A batched matmul of two activations (act-matmul-exec.test).
func.func @main(%a: tensor<2x5x7xf32>, %b: tensor<2x7x3xf32>) -> tensor<2x5x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x5x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %y = linalg.batch_matmul ins(%a, %b : tensor<2x5x7xf32>, tensor<2x7x3xf32>) outs(%init : tensor<2x5x3xf32>) -> tensor<2x5x3xf32> loc("scores")
  return %y : tensor<2x5x3xf32>
}
