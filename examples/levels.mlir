func.func @main(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x4xf32>
  %w1 = arith.constant dense<[[0.5, -1.0, 0.25], [1.0, 0.5, -0.5], [0.25, 0.75, 1.0], [-0.5, 0.5, 0.5]]> : tensor<4x3xf32>
  %b1 = arith.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %w2 = arith.constant dense<[[1.0, -1.0], [0.5, 0.5], [-0.25, 1.0]]> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty(%d) : tensor<?x3xf32>
  %c1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x3xf32>) -> tensor<?x3xf32>
  %y1 = linalg.matmul ins(%x, %w1 : tensor<?x4xf32>, tensor<4x3xf32>) outs(%c1 : tensor<?x3xf32>) -> tensor<?x3xf32> loc("fc1")
  %h = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%y1, %b1 : tensor<?x3xf32>, tensor<3xf32>) outs(%e1 : tensor<?x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x3xf32>
  %e2 = tensor.empty(%d) : tensor<?x2xf32>
  %c2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x2xf32>) -> tensor<?x2xf32>
  %y2 = linalg.matmul ins(%h, %w2 : tensor<?x3xf32>, tensor<3x2xf32>) outs(%c2 : tensor<?x2xf32>) -> tensor<?x2xf32> loc("fc2")
  return %y2 : tensor<?x2xf32>
}
