// A weight-only matmul accumulating into its second argument (an init that
// is not a fill): y[i][n] = acc[i][n] + sum_k x[i][k] * 3 * s[n], with
// s = 0.5 for even columns and 0.25 for odd ones (N = 20: a column tail).
func.func @main(%x: tensor<?x8xf32>, %acc: tensor<?x20xf32>) -> tensor<?x20xf32> {
  %q = arith.constant dense<3> : tensor<8x20xi8>
  %w = qnt.dequantize %q : tensor<8x20xi8> to tensor<8x20xf32> as #qnt.params<i8, narrow, axis = 1, scales = [0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25]>
  %y = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x20xf32>) outs(%acc : tensor<?x20xf32>) -> tensor<?x20xf32>
  return %y : tensor<?x20xf32>
}
