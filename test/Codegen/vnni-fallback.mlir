// Contractions the VNNI kernel does not cover keep the reference loops, with
// a remark naming the layer (from its location): here a batched matmul of
// two batches and a convolution with u8 (asymmetric) weights; the matmul
// with u8 weights is covered.
// RUN: quant-opt %s --convert-qnt-to-linalg --qnt-vnni-matmul 2>&1 | FileCheck %s
// CHECK-NOT: layer 'fc' keeps the reference loops
// CHECK: remark: {{.*}}qnt-vnni-matmul: layer 'batch' keeps the reference loops
// CHECK: remark: {{.*}}qnt-vnni-matmul: layer 'conv' keeps the reference loops
// CHECK-NOT: layer 'fc' keeps the reference loops
// CHECK-LABEL: func.func @fc
// CHECK: qnt_x86.dot_u8i8
// CHECK-LABEL: func.func @batch
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-LABEL: func.func @conv
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
func.func @fc(%xq: tensor<4x8xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<[[138, 0, 255], [200, 139, 10], [138, 0, 255], [200, 139, 10], [138, 0, 255], [200, 139, 10], [138, 0, 255], [200, 139, 10]]> : tensor<8x3xi8>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<4x8xi8>, tensor<8x3xi8>, tensor<f32>, tensor<i32>) -> tensor<4x3xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input_storage = ui8 weight = #qnt.params<ui8, axis = 1, scales = [0.0058, 0.0058, 0.0058], zero_points = [138, 139, 122]> loc("fc")
  return %y : tensor<4x3xf32>
}
func.func @batch(%xq: tensor<2x4x8xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<2x4x3xf32> {
  %w = arith.constant dense<127> : tensor<2x8x3xi8>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<2x4x8xi8>, tensor<2x8x3xi8>, tensor<f32>, tensor<i32>) -> tensor<2x4x3xf32>
         maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
         input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.0039]> loc("batch")
  return %y : tensor<2x4x3xf32>
}
func.func @conv(%xq: tensor<1x5x5x2xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<1x3x3x4xf32> {
  %w = arith.constant dense<200> : tensor<3x3x2x4xi8>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<1x5x5x2xi8>, tensor<3x3x2x4xi8>, tensor<f32>, tensor<i32>) -> tensor<1x3x3x4xf32>
         maps = [affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh + kh, ow + kw, c)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (kh, kw, c, f)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>]
         input_storage = ui8 weight = #qnt.params<ui8, scales = [0.0039], zero_points = [128]> loc("conv")
  return %y : tensor<1x3x3x4xf32>
}
