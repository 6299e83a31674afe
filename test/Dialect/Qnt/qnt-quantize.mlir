// The layouts as written (layout=keep): NCHW layers are quantized as such;
// test/Codegen/nhwc.test has the default conversion to NHWC.
// RUN: quant-opt %s --qnt-quantize="activations=none layout=keep" --split-input-file --verify-diagnostics | FileCheck %s

// Tests the default weights: int8 symmetric narrow per output channel (axis 1 of a
// [K, N] weight). Column amax 1.27 and 0.5: scales 0.01 and 0.5/127;
// 0.5 / (0.5/127) = 127, -0.25 / (0.5/127) = -63.5 -> -64 (half to even).
// CHECK-LABEL: func @matmul
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}127, 127], [-25, -64]]> : tensor<2x2xi8>
// CHECK: %[[D:.*]] = qnt.dequantize %[[W]] : tensor<2x2xi8> to tensor<2x2xf32> as #qnt.params<i8, narrow, axis = 1, scales = [0.01, 0.003937008]>
// CHECK: linalg.matmul ins(%{{.*}}, %[[D]] : tensor<4x2xf32>, tensor<2x2xf32>)
// CHECK-NOT: dense<{{\[\[}}1.27
// expected-remark @below {{qnt-quantize: 1 layer(s): 0 integer, 1 weight-only, 0 kept in float (weights i8 symmetric per-channel unless a recipe says otherwise; activations none)}}
module {
func.func @matmul(%x: tensor<4x2xf32>, %acc: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.27, 0.5], [-0.25, -0.25]]> : tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
}

// -----

// Tests that a transposed-B matmul ([N, K] weight) is per-channel on axis 0.
// CHECK-LABEL: func @matmul_transpose_b
// CHECK: qnt.dequantize %{{.*}} : tensor<3x2xi8> to tensor<3x2xf32> as #qnt.params<i8, narrow, axis = 0, scales = [0.01, 0.02, 0.03]>
// expected-remark @below {{1 layer(s): 0 integer, 1 weight-only, 0 kept in float}}
module {
func.func @matmul_transpose_b(%x: tensor<4x2xf32>, %acc: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<[[1.27, 0.0], [2.54, 1.0], [-3.81, 0.0]]> : tensor<3x2xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<4x2xf32>, tensor<3x2xf32>) outs(%acc : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
}

// -----

// Tests convolutions: HWCF filters are per-channel on axis 3, FCHW on axis 0,
// depthwise HWC on axis 2.
// CHECK-LABEL: func @convs
// CHECK: qnt.dequantize %{{.*}} : tensor<3x3x2x4xi8> to tensor<3x3x2x4xf32> as #qnt.params<i8, narrow, axis = 3,
// CHECK: qnt.dequantize %{{.*}} : tensor<4x2x3x3xi8> to tensor<4x2x3x3xf32> as #qnt.params<i8, narrow, axis = 0,
// CHECK: qnt.dequantize %{{.*}} : tensor<3x3x2xi8> to tensor<3x3x2xf32> as #qnt.params<i8, narrow, axis = 2,
// expected-remark @below {{3 layer(s): 0 integer, 3 weight-only, 0 kept in float}}
module {
func.func @convs(%x: tensor<1x5x5x2xf32>, %o: tensor<1x3x3x4xf32>, %xc: tensor<1x2x5x5xf32>, %oc: tensor<1x4x3x3xf32>, %od: tensor<1x3x3x2xf32>) -> (tensor<1x3x3x4xf32>, tensor<1x4x3x3xf32>, tensor<1x3x3x2xf32>) {
  %w1 = arith.constant dense<0.5> : tensor<3x3x2x4xf32>
  %w2 = arith.constant dense<0.25> : tensor<4x2x3x3xf32>
  %w3 = arith.constant dense<0.125> : tensor<3x3x2xf32>
  %a = linalg.conv_2d_nhwc_hwcf ins(%x, %w1 : tensor<1x5x5x2xf32>, tensor<3x3x2x4xf32>) outs(%o : tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  %b = linalg.conv_2d_nchw_fchw ins(%xc, %w2 : tensor<1x2x5x5xf32>, tensor<4x2x3x3xf32>) outs(%oc : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %c = linalg.depthwise_conv_2d_nhwc_hwc ins(%x, %w3 : tensor<1x5x5x2xf32>, tensor<3x3x2xf32>) outs(%od : tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32>
  return %a, %b, %c : tensor<1x3x3x4xf32>, tensor<1x4x3x3xf32>, tensor<1x3x3x2xf32>
}
}

// -----

// Tests TOSA layers: conv2d [OC, KH, KW, IC] on axis 0, depthwise [KH, KW, C, M]
// on axis 2, matmul b [N, C, W] on axis 2.
// CHECK-LABEL: func @tosa
// CHECK: qnt.dequantize %{{.*}} : tensor<4x3x3x2xi8> to tensor<4x3x3x2xf32> as #qnt.params<i8, narrow, axis = 0,
// CHECK: tosa.conv2d
// CHECK: qnt.dequantize %{{.*}} : tensor<3x3x2x1xi8> to tensor<3x3x2x1xf32> as #qnt.params<i8, narrow, axis = 2,
// CHECK: tosa.depthwise_conv2d
// CHECK: qnt.dequantize %{{.*}} : tensor<1x4x3xi8> to tensor<1x4x3xf32> as #qnt.params<i8, narrow, axis = 2,
// CHECK: tosa.matmul
// expected-remark @below {{3 layer(s): 0 integer, 3 weight-only, 0 kept in float}}
module {
func.func @tosa(%x: tensor<1x5x5x2xf32>, %a: tensor<1x2x4xf32>) -> (tensor<1x3x3x4xf32>, tensor<1x3x3x2xf32>, tensor<1x2x3xf32>) {
  %w = "tosa.const"() {values = dense<0.5> : tensor<4x3x3x2xf32>} : () -> tensor<4x3x3x2xf32>
  %wd = "tosa.const"() {values = dense<0.5> : tensor<3x3x2x1xf32>} : () -> tensor<3x3x2x1xf32>
  %b = "tosa.const"() {values = dense<0.5> : tensor<1x4x3xf32>} : () -> tensor<1x4x3xf32>
  %bias4 = "tosa.const"() {values = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %bias2 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %bias4, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x5x2xf32>, tensor<4x3x3x2xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x4xf32>
  %d = tosa.depthwise_conv2d %x, %wd, %bias2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x5x2xf32>, tensor<3x3x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x2xf32>
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x2x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3xf32>
  return %c, %d, %m : tensor<1x3x3x4xf32>, tensor<1x3x3x2xf32>, tensor<1x2x3xf32>
}
}

// -----

// Tests that a layer whose weight is not a constant stays in float with a
// remark saying why.
// CHECK-LABEL: func @runtime_weight
// CHECK-NOT: qnt.dequantize
// expected-remark @below {{qnt-quantize: 1 layer(s): 0 integer, 0 weight-only, 1 kept in float}}
module {
func.func @runtime_weight(%x: tensor<4x2xf32>, %w: tensor<2x2xf32>, %acc: tensor<4x2xf32>) -> tensor<4x2xf32> {
  // expected-remark @below {{layer 'linalg.matmul#0' (matmul) kept in float: its weight is not a compile-time constant}}
  %y = linalg.matmul ins(%x, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
}
