// x[n, h, w, c] * s[n, c, 0, 0]: the second operand varies along the
// innermost loop (d3) but is not read along its own innermost dimension.
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#nc = affine_map<(d0, d1, d2, d3) -> (d0, d3, 0, 0)>
func.func @main(%x: tensor<2x3x3x20xf32>, %s: tensor<2x20x1x1xf32>) -> tensor<2x3x3x20xf32> {
  %e = tensor.empty() : tensor<2x3x3x20xf32>
  %y = linalg.generic {indexing_maps = [#id, #nc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %s : tensor<2x3x3x20xf32>, tensor<2x20x1x1xf32>) outs(%e : tensor<2x3x3x20xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<2x3x3x20xf32>
  return %y : tensor<2x3x3x20xf32>
}
