// act-depthwise: with activations=dynamic (the default) a depthwise
// convolution keeps float activations and weights, with a remark (its 9-25
// multiply-adds per input element cost less than the run-time range and
// quantization of its input: PaddleOCR's classifier at one thread, 11.0 ms
// with its 11 depthwise layers quantized, 9.2 ms without, fp32 9.4 ms);
// act-depthwise=quantize and profile=onnxruntime (whose quantize_dynamic
// makes them ConvInteger) quantize it; static activations quantize it (it
// chains); act-depthwise=float keeps it in float with any activations. A
// grouped convolution with one channel per group (and two filters each: 18
// multiply-adds per input element) is depthwise; with two channels per
// group it is not, nor is a depthwise convolution with a channel
// multiplier of 4 (36 multiply-adds per input element, past 32).
// RUN: quant-opt %s --qnt-quantize 2>/dev/null | FileCheck %s --check-prefix=AUTO
// RUN: quant-opt %s --qnt-quantize -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --qnt-quantize=act-depthwise=quantize 2>/dev/null | FileCheck %s --check-prefix=QUANT
// RUN: quant-opt %s --qnt-quantize=profile=onnxruntime 2>/dev/null | FileCheck %s --check-prefix=QUANT
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/depthwise-stats.json" 2>/dev/null | FileCheck %s --check-prefix=QUANT
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/depthwise-stats.json act-depthwise=float" -o /dev/null 2>&1 | FileCheck %s --check-prefix=STATICFLOAT
// RUN: not quant-opt %s --qnt-quantize=act-depthwise=int8 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// AUTO-LABEL: func.func @layers
// AUTO: linalg.depthwise_conv_2d_nhwc_hwc
// AUTO: qnt.contract
// AUTO: linalg.conv_2d_ngchw_gfchw
// AUTO: qnt.contract
// AUTO: qnt.contract {{.*}} -> tensor<1x4x4x4x4xf32>
// REMARK: dw: remark: layer 'dw' (depthwise_conv_2d_nhwc_hwc) kept in float: a depthwise convolution with activations=dynamic: the run-time range and quantization of its input cost more than its few multiply-adds per input element save (act-depthwise=quantize quantizes it)
// REMARK: group1: remark: layer 'group1' (conv_2d_ngchw_gfchw) kept in float: a depthwise convolution with activations=dynamic
// REMARK-NOT: layer 'mult4'
// REMARK: remark: qnt-quantize: 5 layer(s): 3 integer, 0 weight-only, 2 kept in float
// QUANT-LABEL: func.func @layers
// QUANT-NOT: linalg.depthwise_conv_2d_nhwc_hwc
// QUANT-NOT: linalg.conv_2d_ngchw_gfchw
// QUANT-COUNT-5: qnt.contract
// STATICFLOAT: dw: remark: layer 'dw' (depthwise_conv_2d_nhwc_hwc) kept in float: act-depthwise=float keeps depthwise convolutions in float
// STATICFLOAT: remark: qnt-quantize: 5 layer(s): 3 integer, 0 weight-only, 2 kept in float
// BAD: qnt-quantize: unknown act-depthwise='int8' (expected auto, float or quantize)
func.func @layers(%x: tensor<1x6x6x4xf32>, %g: tensor<1x2x1x5x5xf32>, %h: tensor<1x2x2x5x5xf32>)
    -> (tensor<1x4x4x8xf32>, tensor<1x2x2x3x3xf32>, tensor<1x2x3x3x3xf32>, tensor<1x4x4x4x4xf32>) {
  %z = arith.constant 0.0 : f32
  %wd = arith.constant dense<[[[0.5, -1.0, 0.25, 2.0], [1.0, 1.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5]], [[0.1, 0.2, 0.3, 0.4], [1.0, -1.0, 1.0, -1.0], [0.5, 0.5, 0.5, 0.5]], [[0.5, -1.0, 0.25, 2.0], [1.0, 1.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5]]]> : tensor<3x3x4xf32>
  %ed = tensor.empty() : tensor<1x4x4x4xf32>
  %fd = linalg.fill ins(%z : f32) outs(%ed : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %d = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %wd : tensor<1x6x6x4xf32>, tensor<3x3x4xf32>) outs(%fd : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("dw")
  %wc = arith.constant dense<0.25> : tensor<1x1x4x8xf32>
  %ec = tensor.empty() : tensor<1x4x4x8xf32>
  %fc = linalg.fill ins(%z : f32) outs(%ec : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%d, %wc : tensor<1x4x4x4xf32>, tensor<1x1x4x8xf32>) outs(%fc : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("dense")
  // Two groups of one channel each, two filters per group.
  %w1 = arith.constant dense<0.5> : tensor<2x2x1x3x3xf32>
  %e1 = tensor.empty() : tensor<1x2x2x3x3xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<1x2x2x3x3xf32>) -> tensor<1x2x2x3x3xf32>
  %g1 = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%g, %w1 : tensor<1x2x1x5x5xf32>, tensor<2x2x1x3x3xf32>) outs(%f1 : tensor<1x2x2x3x3xf32>) -> tensor<1x2x2x3x3xf32> loc("group1")
  // Two groups of two channels each, three filters per group.
  %w2 = arith.constant dense<0.5> : tensor<2x3x2x3x3xf32>
  %e2 = tensor.empty() : tensor<1x2x3x3x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<1x2x3x3x3xf32>) -> tensor<1x2x3x3x3xf32>
  %g2 = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%h, %w2 : tensor<1x2x2x5x5xf32>, tensor<2x3x2x3x3xf32>) outs(%f2 : tensor<1x2x3x3x3xf32>) -> tensor<1x2x3x3x3xf32> loc("group2")
  // A channel multiplier of 4.
  %w4 = arith.constant dense<0.25> : tensor<3x3x4x4xf32>
  %e4 = tensor.empty() : tensor<1x4x4x4x4xf32>
  %f4 = linalg.fill ins(%z : f32) outs(%e4 : tensor<1x4x4x4x4xf32>) -> tensor<1x4x4x4x4xf32>
  %m4 = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w4 : tensor<1x6x6x4xf32>, tensor<3x3x4x4xf32>) outs(%f4 : tensor<1x4x4x4x4xf32>) -> tensor<1x4x4x4x4xf32> loc("mult4")
  return %c, %g1, %g2, %m4 : tensor<1x4x4x8xf32>, tensor<1x2x2x3x3xf32>, tensor<1x2x3x3x3xf32>, tensor<1x4x4x4x4xf32>
}
