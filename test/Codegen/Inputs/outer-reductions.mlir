// Reductions over outer dimensions with the innermost dimension parallel
// (outer-reductions.test): the global average pooling of NHWC tensors as
// the ONNX importer leaves it after the layout conversion (sums over H and
// W into an [N, C, 1, 1] result), a maximum over H into [N, W, C], and a
// sum over dimension 0 of a [K, 8] matrix into a 1-D result with a nonzero
// init.
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @main(%x: tensor<3x5x7x37xf32>, %y: tensor<2x9x4x40xf32>, %z: tensor<33x8xf32>)
    -> (tensor<3x37x1x1xf32>, tensor<2x4x40xf32>, tensor<8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<3x37x1x1xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<3x37x1x1xf32>) -> tensor<3x37x1x1xf32>
  %pool = linalg.generic {indexing_maps = [#id4, affine_map<(d0, d1, d2, d3) -> (d0, d3, 0, 0)>], iterator_types = ["parallel", "reduction", "reduction", "parallel"]} ins(%x : tensor<3x5x7x37xf32>) outs(%f0 : tensor<3x37x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<3x37x1x1xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e1 = tensor.empty() : tensor<2x4x40xf32>
  %f1 = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<2x4x40xf32>) -> tensor<2x4x40xf32>
  %max = linalg.generic {indexing_maps = [#id4, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>], iterator_types = ["parallel", "reduction", "parallel", "parallel"]} ins(%y : tensor<2x9x4x40xf32>) outs(%f1 : tensor<2x4x40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<2x4x40xf32>
  %bias = arith.constant dense<[0.5, -0.25, 1.0e8, -1.0e8, 3.0, 0.0, -0.0, 7.0]> : tensor<8xf32>
  %cols = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%z : tensor<33x8xf32>) outs(%bias : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %pool, %max, %cols : tensor<3x37x1x1xf32>, tensor<2x4x40xf32>, tensor<8xf32>
}
