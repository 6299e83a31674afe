// RUN: quant-opt %s --split-input-file --qnt-import-tosa --mlir-print-local-scope | FileCheck %s

// Tests a per-channel DOUBLE_ROUND rescale of an accumulator: stated
// multipliers and shifts, output scales 2^shift / multiplier, the output
// zero point per channel.
// CHECK-LABEL: func @rescale_per_channel
// CHECK: qnt.requantize %arg0 : tensor<2x3xi32> to tensor<2x3xi8> from #qnt.params<i32, scales = [1.0]> to #qnt.params<i8, axis = 1, scales = [8.0, 181.01933, 512.0], zero_points = [-3, -3, -3]> mode = fixed_point_double_round multipliers = [1073741824, 1518500250, 2147483647] shifts = [33, 38, 40]
// CHECK-NOT: tosa.rescale
func.func @rescale_per_channel(%x: tensor<2x3xi32>) -> tensor<2x3xi8> {
  %m = "tosa.const"() {values = dense<[1073741824, 1518500250, 2147483647]> : tensor<3xi32>} : () -> tensor<3xi32>
  %s = "tosa.const"() {values = dense<[33, 38, 40]> : tensor<3xi8>} : () -> tensor<3xi8>
  %izp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %ozp = "tosa.const"() {values = dense<-3> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.rescale %x, %m, %s, %izp, %ozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = true, input_unsigned = false, output_unsigned = false} : (tensor<2x3xi32>, tensor<3xi32>, tensor<3xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<2x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

// Tests unsigned input and output (the zero points read unsigned) and that
// DOUBLE_ROUND with a 16-bit multiplier is a single rounding, as TOSA's
// apply_scale_16 is.
// CHECK-LABEL: func @rescale_unsigned
// CHECK: qnt.requantize %arg0 : tensor<4xi8> to tensor<4xi8> from #qnt.params<ui8, scales = [1.0], zero_points = [128]> to #qnt.params<i8, scales = [1.0]> mode = fixed_point multipliers = [1073741824] shifts = [30]
// CHECK: qnt.requantize %{{.*}} : tensor<4xi8> to tensor<4xi8> from #qnt.params<i8, scales = [1.0], zero_points = [-5]> to #qnt.params<ui8, scales = [2.6665583], zero_points = [130]> mode = fixed_point multipliers = [24577] shifts = [16]{{$}}
func.func @rescale_unsigned(%x: tensor<4xi8>) -> tensor<4xi8> {
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<30> : tensor<1xi8>} : () -> tensor<1xi8>
  %zu = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %z0 = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %a = tosa.rescale %x, %m, %s, %zu, %z0 {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = true, output_unsigned = false} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  %m16 = "tosa.const"() {values = dense<24577> : tensor<1xi16>} : () -> tensor<1xi16>
  %s16 = "tosa.const"() {values = dense<16> : tensor<1xi8>} : () -> tensor<1xi8>
  %z5 = "tosa.const"() {values = dense<-5> : tensor<1xi8>} : () -> tensor<1xi8>
  %z130 = "tosa.const"() {values = dense<-126> : tensor<1xi8>} : () -> tensor<1xi8>
  %b = tosa.rescale %a, %m16, %s16, %z5, %z130 {scale32 = false, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = true} : (tensor<4xi8>, tensor<1xi16>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  return %b : tensor<4xi8>
}

// -----

// Tests conv2d: the input padded with its zero point (TOSA's pad is [top,
// bottom, left, right]), strides and dilations in the input map, the OHWI
// weight, the bias, and unit scales with the zero points.
// CHECK-LABEL: func @conv
// CHECK: %[[ZP:.*]] = arith.constant -9 : i8
// CHECK: %[[PAD:.*]] = tensor.pad %arg0 low[0, 1, 0, 0] high[0, 1, 1, 0]
// CHECK: tensor.yield %[[ZP]]
// CHECK: } : tensor<1x5x5x2xi8> to tensor<1x7x6x2xi8>
// CHECK: qnt.contract %[[PAD]], %{{.*}} bias %{{.*}} : (tensor<1x7x6x2xi8>, tensor<3x3x2x2xi8>, tensor<3xi32>) -> tensor<1x2x5x3xi32> maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 * 2 + d4 * 2, d2 + d5, d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d3, d4, d5, d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>] input = #qnt.params<i8, scales = [1.0], zero_points = [-9]> weight = #qnt.params<i8, scales = [1.0], zero_points = [4]> result = #qnt.params<i32, scales = [1.0]>
func.func @conv(%x: tensor<1x5x5x2xi8>) -> tensor<1x2x5x3xi32> {
  %w = "tosa.const"() {values = dense<1> : tensor<3x3x2x2xi8>} : () -> tensor<3x3x2x2xi8>
  %b = "tosa.const"() {values = dense<[1, 2, 3]> : tensor<3xi32>} : () -> tensor<3xi32>
  %zx = "tosa.const"() {values = dense<-9> : tensor<1xi8>} : () -> tensor<1xi8>
  %zw = "tosa.const"() {values = dense<4> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.conv2d %x, %w, %b, %zx, %zw {acc_type = i32, pad = array<i64: 1, 1, 0, 1>, stride = array<i64: 2, 1>, dilation = array<i64: 2, 1>} : (tensor<1x5x5x2xi8>, tensor<3x3x2x2xi8>, tensor<3xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x2x5x3xi32>
  return %y : tensor<1x2x5x3xi32>
}

// -----

// Tests a one-value bias (broadcast to the channels) and a depthwise
// convolution (weight [KH, KW, C, 1] reshaped to [KH, KW, C]).
// CHECK-LABEL: func @depthwise
// CHECK-DAG: %[[B:.*]] = arith.constant dense<7> : tensor<4xi32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[}}1, 2, 3, 4], [5, 6, 7, 8]], {{\[\[}}9, 10, 11, 12], [13, 14, 15, 16]]]> : tensor<2x2x4xi8>
// CHECK: qnt.contract %arg0, %[[W]] bias %[[B]] : (tensor<1x3x3x4xi8>, tensor<2x2x4xi8>, tensor<4xi32>) -> tensor<1x2x2x4xi32> maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d4, d2 + d5, d3)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5, d3)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>]
// CHECK-SAME: input = #qnt.params<i8, scales = [1.0]> weight = #qnt.params<i8, scales = [1.0]> result = #qnt.params<i32, scales = [1.0]>
func.func @depthwise(%x: tensor<1x3x3x4xi8>) -> tensor<1x2x2x4xi32> {
  %w = "tosa.const"() {values = dense<[[[[1], [2], [3], [4]], [[5], [6], [7], [8]]], [[[9], [10], [11], [12]], [[13], [14], [15], [16]]]]> : tensor<2x2x4x1xi8>} : () -> tensor<2x2x4x1xi8>
  %b = "tosa.const"() {values = dense<7> : tensor<1xi32>} : () -> tensor<1xi32>
  %z = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.depthwise_conv2d %x, %w, %b, %z, %z {acc_type = i32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x4xi8>, tensor<2x2x4x1xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x2x2x4xi32>
  return %y : tensor<1x2x2x4xi32>
}

// -----

// Tests a matmul with a constant right-hand side: a batched contraction.
// CHECK-LABEL: func @matmul
// CHECK: qnt.contract %arg0, %{{.*}} : (tensor<2x5x3xi8>, tensor<2x3x4xi8>) -> tensor<2x5x4xi32> maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>] input = #qnt.params<i8, scales = [1.0], zero_points = [3]> weight = #qnt.params<i8, scales = [1.0], zero_points = [-1]>
func.func @matmul(%a: tensor<2x5x3xi8>) -> tensor<2x5x4xi32> {
  %b = "tosa.const"() {values = dense<3> : tensor<2x3x4xi8>} : () -> tensor<2x3x4xi8>
  %za = "tosa.const"() {values = dense<3> : tensor<1xi8>} : () -> tensor<1xi8>
  %zb = "tosa.const"() {values = dense<-1> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.matmul %a, %b, %za, %zb : (tensor<2x5x3xi8>, tensor<2x3x4xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x5x4xi32>
  return %y : tensor<2x5x4xi32>
}

// -----

// Tests that float TOSA layers are not touched.
// CHECK-LABEL: func @float_conv
// CHECK: tosa.conv2d
// CHECK-NOT: qnt.
func.func @float_conv(%x: tensor<1x3x3x1xf32>) -> tensor<1x3x3x1xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x1xf32>
  return %y : tensor<1x3x3x1xf32>
}
