// A softmax's last step as ONNX imports it (keepdims sums: tensor<..x1>)
// and a layer norm's scale (a vector along the last dimension), for
// vectorize-keepdims.test.
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#col = affine_map<(d0, d1, d2) -> (d2)>
func.func @main(%x: tensor<3x5x37xf32>, %s: tensor<3x5x1xf32>, %g: tensor<37xf32>) -> tensor<3x5x37xf32> {
  %e = tensor.empty() : tensor<3x5x37xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel", "parallel"]}
       ins(%x, %s, %g : tensor<3x5x37xf32>, tensor<3x5x1xf32>, tensor<37xf32>) outs(%e : tensor<3x5x37xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %q = arith.divf %a, %b : f32
    %r = arith.mulf %q, %c : f32
    linalg.yield %r : f32
  } -> tensor<3x5x37xf32>
  return %y : tensor<3x5x37xf32>
}
