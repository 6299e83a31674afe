// Two entries, several results of different element types (one stored
// unsigned), a rank-0 result: what the header declares for each.
func.func @two(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xi32>, tensor<f32>) {
  %init = tensor.empty() : tensor<3xf32>
  %doubled = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : tensor<3xf32>) outs(%init : tensor<3xf32>) {
  ^bb0(%a: f32, %b: f32):
    %y = arith.addf %a, %a : f32
    linalg.yield %y : f32
  } -> tensor<3xf32>
  %iinit = tensor.empty() : tensor<3xi32>
  %ints = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : tensor<3xf32>) outs(%iinit : tensor<3xi32>) {
  ^bb0(%a: f32, %b: i32):
    %y = arith.fptosi %a : f32 to i32
    linalg.yield %y : i32
  } -> tensor<3xi32>
  %zero = arith.constant 0.0 : f32
  %sinit = tensor.empty() : tensor<f32>
  %fill = linalg.fill ins(%zero : f32) outs(%sinit : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%x : tensor<3xf32>) outs(%fill : tensor<f32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %doubled, %ints, %sum : tensor<3xf32>, tensor<3xi32>, tensor<f32>
}

func.func @quantize(%x: tensor<4xf32>) -> tensor<4xi8> {
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [10]>
  return %q : tensor<4xi8>
}

func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
