// RUN: quant-opt %s --qnt-lower-to-llvm | FileCheck %s

// Tests that qnt ops and the float linalg/tensor/arith code around them end up
// entirely in the LLVM dialect, with the C interface and the recorded
// signature kept on the function.
// CHECK-LABEL: llvm.func @main
// CHECK-SAME: llvm.emit_c_interface
// CHECK-SAME: qnt.signature = (tensor<2x4xf32>, tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xi8>)
// CHECK: llvm.intr.roundeven
// CHECK-LABEL: llvm.func @_mlir_ciface_main
// CHECK-NOT: linalg.
// CHECK-NOT: qnt.quantize
// CHECK-NOT: arith.
// CHECK-NOT: memref.
// CHECK-NOT: builtin.unrealized_conversion_cast
func.func @main(%a: tensor<2x4xf32>, %b: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xi8>) {
  %sum = arith.addf %a, %b : tensor<2x4xf32>
  %init = tensor.empty() : tensor<2x4xf32>
  %relu = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%sum : tensor<2x4xf32>) outs(%init : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %fq = qnt.fake_quant %relu : tensor<2x4xf32> as #qnt.params<f8E4M3FN, axis = 0, scales = [0.5, 0.25]>
  %q = qnt.quantize %relu : tensor<2x4xf32> to tensor<2x4xi8> as #qnt.params<i8, axis = 1, block = 2, scales = [0.1, 0.2, 0.3, 0.4], zero_points = [1, 2, 3, 4]>
  return %fq, %q : tensor<2x4xf32>, tensor<2x4xi8>
}
