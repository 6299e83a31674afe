// The model of data-axis.test: a recurrent step with its samples on axis 0
// of the input %x [N, 3] and on axis 1 of the state %s [2, N, 3] (as
// Silero's voice-activity model holds its LSTM state). The layer sees
// x + s[0]; the new state is 2 * s. The batch is fixed at 4.
func.func @step(%x: tensor<4x3xf32>, %s: tensor<2x4x3xf32>) -> (tensor<4x2xf32>, tensor<2x4x3xf32>) {
  %s0 = tensor.extract_slice %s[0, 0, 0] [1, 4, 3] [1, 1, 1] : tensor<2x4x3xf32> to tensor<4x3xf32>
  %ea = tensor.empty() : tensor<4x3xf32>
  %a = linalg.add ins(%x, %s0 : tensor<4x3xf32>, tensor<4x3xf32>) outs(%ea : tensor<4x3xf32>) -> tensor<4x3xf32>
  %w = arith.constant dense<[[0.5, -1.0], [0.25, 2.0], [1.0, 0.0]]> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%a, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  %es = tensor.empty() : tensor<2x4x3xf32>
  %n = linalg.add ins(%s, %s : tensor<2x4x3xf32>, tensor<2x4x3xf32>) outs(%es : tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
  return %y, %n : tensor<4x2xf32>, tensor<2x4x3xf32>
}
