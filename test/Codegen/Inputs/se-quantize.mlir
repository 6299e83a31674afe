// A squeeze-and-excitation product and the quantization of its result
// (fuse-after-lowering.test).
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#se = affine_map<(d0, d1, d2, d3) -> (d0, d3)>
func.func @main(%x: tensor<2x3x4x8xf32>, %s: tensor<2x8xf32>) -> tensor<2x3x4x8xi8> {
  %e = tensor.empty() : tensor<2x3x4x8xf32>
  %m = linalg.generic {indexing_maps = [#id, #se, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %s : tensor<2x3x4x8xf32>, tensor<2x8xf32>) outs(%e : tensor<2x3x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<2x3x4x8xf32>
  %q = qnt.quantize %m : tensor<2x3x4x8xf32> to tensor<2x3x4x8xi8> as #qnt.params<ui8, scales = [0.05], zero_points = [3]>
  return %q : tensor<2x3x4x8xi8>
}
