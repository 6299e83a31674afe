// Two layers written as importers do (an i32 accumulator, then
// qnt.requantize / qnt.dequantize of it); canonicalize.mlir runs this
// before and after --canonicalize and compares the outputs.
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>
func.func @main(%x: tensor<5x6xf32>) -> (tensor<5x4xi8>, tensor<5x4xf32>) {
  %q = qnt.quantize %x : tensor<5x6xf32> to tensor<5x6xi8> as #qnt.params<ui8, scales = [0.02], zero_points = [100]>
  %w = arith.constant dense<[[12, -7, 100, -127], [45, 3, -60, 8], [-90, 77, 1, 0], [5, -5, 64, -64], [127, 20, -33, 90], [-1, -100, 50, 25]]> : tensor<6x4xi8>
  %acc = qnt.contract %q, %w : (tensor<5x6xi8>, tensor<6x4xi8>) -> tensor<5x4xi32>
           maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.02], zero_points = [100]>
           weight = #qnt.params<i8, narrow, axis = 1, scales = [0.01, 0.02, 0.005, 0.0125]>
           result = #qnt.params<i32, axis = 1, scales = [2.0e-04, 4.0e-04, 1.0e-04, 2.5e-04]>
  %r = qnt.requantize %acc : tensor<5x4xi32> to tensor<5x4xi8>
         from #qnt.params<i32, axis = 1, scales = [2.0e-04, 4.0e-04, 1.0e-04, 2.5e-04]>
         to #qnt.params<i8, scales = [0.01], zero_points = [-3]> mode = fixed_point
  %acc2 = qnt.contract %q, %w : (tensor<5x6xi8>, tensor<6x4xi8>) -> tensor<5x4xi32>
           maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.02], zero_points = [100]>
           weight = #qnt.params<i8, narrow, axis = 1, scales = [0.01, 0.02, 0.005, 0.0125]>
           result = #qnt.params<i32, axis = 1, scales = [2.0e-04, 4.0e-04, 1.0e-04, 2.5e-04]>
  %d = qnt.dequantize %acc2 : tensor<5x4xi32> to tensor<5x4xf32>
         as #qnt.params<i32, axis = 1, scales = [2.0e-04, 4.0e-04, 1.0e-04, 2.5e-04]>
  return %r, %d : tensor<5x4xi8>, tensor<5x4xf32>
}
