// The model of moments.test: x [N, 6] -> fc1 (6 -> 5) -> ReLU -> fc2 (5 -> 3).
func.func @main(%x: tensor<?x6xf32>) -> tensor<?x3xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x6xf32>
  %zero = arith.constant 0.0 : f32
  %w1 = arith.constant dense<[[0.5, -1.0, 0.25, 2.0, 1.0], [0.1, 0.2, -0.3, 0.4, 0.5], [1.5, 0.0, -0.5, 0.25, -1.0], [-0.75, 0.5, 1.0, 0.0, 0.3], [0.2, 0.2, 0.2, -0.2, 0.6], [1.0, -1.0, 0.5, 0.5, 0.0]]> : tensor<6x5xf32>
  %e1 = tensor.empty(%n) : tensor<?x5xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x5xf32>) -> tensor<?x5xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<?x6xf32>, tensor<6x5xf32>) outs(%z1 : tensor<?x5xf32>) -> tensor<?x5xf32> loc("fc1")
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%h : tensor<?x5xf32>) outs(%e1 : tensor<?x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x5xf32>
  %w2 = arith.constant dense<[[1.0, 0.5, -0.5], [0.25, -1.0, 2.0], [0.0, 1.0, 1.0], [-0.5, 0.5, 0.0], [1.0, 1.0, -1.0]]> : tensor<5x3xf32>
  %e2 = tensor.empty(%n) : tensor<?x3xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x3xf32>) -> tensor<?x3xf32>
  %y = linalg.matmul ins(%r, %w2 : tensor<?x5xf32>, tensor<5x3xf32>) outs(%z2 : tensor<?x3xf32>) -> tensor<?x3xf32> loc("fc2")
  return %y : tensor<?x3xf32>
}
