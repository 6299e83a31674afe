// The model of dump-tokens.test: [N, 4, 3] tokens reshaped to [N * 4, 3]
// before a matmul with a constant weight, and back to [N, 4, 2].
func.func @tokens(%x: tensor<?x4x3xf32>) -> tensor<?x4x2xf32> {
  %flat = tensor.collapse_shape %x [[0, 1], [2]] : tensor<?x4x3xf32> into tensor<?x3xf32>
  %w = arith.constant dense<[[0.5, -1.0], [0.25, 2.0], [1.0, 0.0]]> : tensor<3x2xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %flat, %c0 : tensor<?x3xf32>
  %e = tensor.empty(%n) : tensor<?x2xf32>
  %zero = arith.constant 0.0 : f32
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x2xf32>) -> tensor<?x2xf32>
  %y = linalg.matmul ins(%flat, %w : tensor<?x3xf32>, tensor<3x2xf32>) outs(%z : tensor<?x2xf32>) -> tensor<?x2xf32>
  %c4 = arith.constant 4 : index
  %b = arith.divui %n, %c4 : index
  %r = tensor.expand_shape %y [[0, 1], [2]] output_shape [%b, 4, 2] : tensor<?x2xf32> into tensor<?x4x2xf32>
  return %r : tensor<?x4x2xf32>
}
