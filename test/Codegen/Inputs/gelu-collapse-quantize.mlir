// A GELU on [B][T][C], collapsed to [B*T][C] and quantized, as a
// transformer's MLP feeds its second layer (fuse-after-lowering.test).
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @main(%x: tensor<2x5x24xf32>) -> tensor<10x24xi8> {
  %e = tensor.empty() : tensor<2x5x24xf32>
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %rsqrt2 = arith.constant 0.707106769 : f32
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<2x5x24xf32>) outs(%e : tensor<2x5x24xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.mulf %a, %rsqrt2 : f32
    %f = math.erf %s : f32
    %p = arith.addf %f, %one : f32
    %h = arith.mulf %a, %half : f32
    %y = arith.mulf %h, %p : f32
    linalg.yield %y : f32
  } -> tensor<2x5x24xf32>
  %c = tensor.collapse_shape %g [[0, 1], [2]] : tensor<2x5x24xf32> into tensor<10x24xf32>
  %q = qnt.quantize %c : tensor<10x24xf32> to tensor<10x24xi8> as #qnt.params<ui8, scales = [0.02], zero_points = [9]>
  return %q : tensor<10x24xi8>
}
