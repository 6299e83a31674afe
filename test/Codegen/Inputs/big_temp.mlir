// A 1 MiB intermediate (2x) freed inside each call, and a small result: the
// sum of 2x over 262144 elements.
func.func @sum2(%x: tensor<262144xf32>) -> tensor<f32> {
  %init = tensor.empty() : tensor<262144xf32>
  %doubled = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : tensor<262144xf32>) outs(%init : tensor<262144xf32>) {
  ^bb0(%a: f32, %b: f32):
    %y = arith.addf %a, %a : f32
    linalg.yield %y : f32
  } -> tensor<262144xf32>
  %zero = arith.constant 0.0 : f32
  %sinit = tensor.empty() : tensor<f32>
  %fill = linalg.fill ins(%zero : f32) outs(%sinit : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%doubled : tensor<262144xf32>) outs(%fill : tensor<f32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %sum : tensor<f32>
}
