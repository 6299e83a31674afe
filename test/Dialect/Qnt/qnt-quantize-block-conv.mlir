// RUN: quant-opt %s --split-input-file --qnt-quantize="weights=mxint8 act-storage=i8 act-scheme=mx act-granularity=block" 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-quantize="weights=mxint8 act-storage=i8 act-scheme=mx act-granularity=block" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --split-input-file --qnt-quantize="weights=nvfp4 act-storage=i8 act-scheme=nvfp4 act-granularity=block" 2>&1 >/dev/null | FileCheck %s --check-prefix=NVFP4
// RUN: quant-opt %s --split-input-file --qnt-quantize="weights=mxint8 act-storage=i8 act-scheme=mx act-granularity=block layout=keep" 2>&1 >/dev/null | FileCheck %s --check-prefix=KEEP
// RUN: quant-opt %s --split-input-file --qnt-quantize="weights=i4 weight-granularity=block block-size=48 act-storage=i8 act-scheme=symmetric act-granularity=block" 2>&1 >/dev/null | FileCheck %s --check-prefix=DIVIDE

// Tests that a convolution with per-block weights (MXINT8, blocks of 32 of
// its 64 input channels) and MX activations becomes the block form of
// qnt.contract on its im2col matrix: the activation quantized per pixel and
// block of channels, one strided window per kernel tap (3 x 2, stride 2
// along W) for the codes, the scales and the zero points, rows
// [N * 4 * 3][3 * 2 * 64] and [N * 4 * 3][3 * 2 * 2], the weight as
// [3 * 2 * 64][8] in blocks of 32 rows, and the result expanded back.
// NVFP4's blocks of 16 pay from 128 input channels: this 64-channel
// convolution stays weight-only with NVFP4 on both sides.
// NVFP4: remark: layer 'linalg.conv_2d_nhwc_hwcf#0' (conv_2d_nhwc_hwcf): weights quantized, activations stay in float: per-block integer convolutions pay from 128 input channels with blocks of 16 (64 here)
// CHECK-LABEL: func @conv
// CHECK: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = qnt.dynamic_quantize %arg0 : tensor<?x6x7x64xf32> to tensor<?x6x7x64xi8>, tensor<?x6x7x2xf32>, tensor<?x6x7x2xi32> storage = i8 scheme = mx block = 32
// CHECK: tensor.extract_slice %[[Q]][0, 2, 1, 0] [%{{.*}}, 4, 3, 64] [1, 1, 2, 1] : tensor<?x6x7x64xi8> to tensor<?x4x3x64xi8>
// CHECK: %[[XC:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<?x4x3x3x2x64xi8> into tensor<?x384xi8>
// CHECK: %[[SC:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<?x4x3x3x2x2xf32> into tensor<?x12xf32>
// CHECK: %[[ZC:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<?x4x3x3x2x2xi32> into tensor<?x12xi32>
// CHECK: %[[Y:.*]] = qnt.contract %[[XC]], %{{.*}} dynamic(%[[SC]], %[[ZC]]) : (tensor<?x384xi8>, tensor<384x8xi8>, tensor<?x12xf32>, tensor<?x12xi32>) -> tensor<?x8xf32> {{.*}} input_storage = i8 weight = #qnt.params<i8, narrow, pow2, axis = 0, block = 32,
// CHECK: tensor.expand_shape %[[Y]] {{\[\[}}0, 1, 2], [3]] output_shape [%{{.*}}, 4, 3, 8] : tensor<?x8xf32> into tensor<?x4x3x8xf32>
// REMARK: 1 layer(s): 1 integer, 0 weight-only
// DIVIDE: remark: layer 'linalg.conv_2d_nhwc_hwcf#0' (conv_2d_nhwc_hwcf): weights quantized, activations stay in float: per-block integer convolutions need blocks of the input channels that divide them (or one block of all of them)
func.func @conv(%x: tensor<?x6x7x64xf32>) -> tensor<?x4x3x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x6x7x64xf32>
  %w = arith.constant dense<0.25> : tensor<3x2x64x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x4x3x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4x3x8xf32>) -> tensor<?x4x3x8xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<[1, 2]> : tensor<2xi64>} ins(%x, %w : tensor<?x6x7x64xf32>, tensor<3x2x64x8xf32>) outs(%z : tensor<?x4x3x8xf32>) -> tensor<?x4x3x8xf32>
  return %y : tensor<?x4x3x8xf32>
}

// -----

// Tests that below 64 input channels (blocks of 32) the convolution stays
// weight-only, with the reason: the im2col form costs more than it saves
// there.
// REMARK: remark: layer 'linalg.conv_2d_nhwc_hwcf#0' (conv_2d_nhwc_hwcf): weights quantized, activations stay in float: per-block integer convolutions pay from 64 input channels with blocks of 32 (32 here)
// CHECK-LABEL: func @small
// CHECK-NOT: qnt.contract
func.func @small(%x: tensor<?x6x7x32xf32>) -> tensor<?x4x6x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x6x7x32xf32>
  %w = arith.constant dense<0.25> : tensor<3x2x32x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x4x6x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4x6x8xf32>) -> tensor<?x4x6x8xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<?x6x7x32xf32>, tensor<3x2x32x8xf32>) outs(%z : tensor<?x4x6x8xf32>) -> tensor<?x4x6x8xf32>
  return %y : tensor<?x4x6x8xf32>
}

// -----

// Tests that FHWC weights (as tosa.conv2d lowers) take the same form: the
// weight's codes and parameters are moved to [KH KW C][F] at compile time,
// CHECK-LABEL: func @fhwc
// CHECK: qnt.contract %{{.*}} : (tensor<?x384xi8>, tensor<384x8xi8>, tensor<?x12xf32>, tensor<?x12xi32>) -> tensor<?x8xf32>
func.func @fhwc(%x: tensor<?x6x7x64xf32>) -> tensor<?x4x3x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x6x7x64xf32>
  %w = arith.constant dense<0.25> : tensor<8x3x2x64xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x4x3x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4x3x8xf32>) -> tensor<?x4x3x8xf32>
  %y = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<[1, 2]> : tensor<2xi64>} ins(%x, %w : tensor<?x6x7x64xf32>, tensor<8x3x2x64xf32>) outs(%z : tensor<?x4x3x8xf32>) -> tensor<?x4x3x8xf32>
  return %y : tensor<?x4x3x8xf32>
}

// -----

// Tests that a static input batch with a dynamic output batch (and the
// converse) gives valid IR: the result is built in the input's batch and
// cast to the layer's type.
// CHECK-LABEL: func @static_in_dynamic_out
// CHECK: %[[E:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2], [3]] output_shape [2, 4, 5, 8] : tensor<40x8xf32> into tensor<2x4x5x8xf32>
// CHECK: tensor.cast %[[E]] : tensor<2x4x5x8xf32> to tensor<?x4x5x8xf32>
func.func @static_in_dynamic_out(%x: tensor<2x6x7x64xf32>, %n: index) -> tensor<?x4x5x8xf32> {
  %w = arith.constant dense<0.25> : tensor<3x3x64x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x4x5x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4x5x8xf32>) -> tensor<?x4x5x8xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<2x6x7x64xf32>, tensor<3x3x64x8xf32>) outs(%z : tensor<?x4x5x8xf32>) -> tensor<?x4x5x8xf32>
  return %y : tensor<?x4x5x8xf32>
}

// -----

// Tests that an NCHW convolution takes the form once qnt-convert-to-nhwc has
// made it NHWC (the default layout=nhwc), and stays weight-only with
// layout=keep, saying why.
// CHECK-LABEL: func @nchw
// CHECK: qnt.contract %{{.*}} : (tensor<?x576xi8>, tensor<576x8xi8>, tensor<?x18xf32>, tensor<?x18xi32>) -> tensor<?x8xf32>
// KEEP: remark: layer 'linalg.conv_2d_nchw_fchw#0' (conv_2d_nchw_fchw): weights quantized, activations stay in float: per-block integer convolutions take NHWC inputs and HWCF or FHWC weights (linalg.conv_2d_nhwc_hwcf or _fhwc)
func.func @nchw(%x: tensor<?x64x6x7xf32>) -> tensor<?x8x4x5xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64x6x7xf32>
  %w = arith.constant dense<0.25> : tensor<8x64x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x8x4x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x8x4x5xf32>) -> tensor<?x8x4x5xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<?x64x6x7xf32>, tensor<8x64x3x3xf32>) outs(%z : tensor<?x8x4x5xf32>) -> tensor<?x8x4x5xf32>
  return %y : tensor<?x8x4x5xf32>
}

// -----

// CHECK-LABEL: func @dynamic_in_static_out
// CHECK: %[[E:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2], [3]] output_shape [%{{.*}}, 4, 5, 8] : tensor<?x8xf32> into tensor<?x4x5x8xf32>
// CHECK: tensor.cast %[[E]] : tensor<?x4x5x8xf32> to tensor<2x4x5x8xf32>
func.func @dynamic_in_static_out(%x: tensor<?x6x7x64xf32>) -> tensor<2x4x5x8xf32> {
  %w = arith.constant dense<0.25> : tensor<3x3x64x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x5x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x5x8xf32>) -> tensor<2x4x5x8xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<?x6x7x64xf32>, tensor<3x3x64x8xf32>) outs(%z : tensor<2x4x5x8xf32>) -> tensor<2x4x5x8xf32>
  return %y : tensor<2x4x5x8xf32>
}
