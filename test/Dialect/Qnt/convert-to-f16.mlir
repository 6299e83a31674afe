// RUN: quant-opt %s --qnt-convert-to-f16 --split-input-file 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --qnt-convert-to-f16 --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// The f32 weights the layers no longer read are gone.
// RUN: quant-opt %s --qnt-convert-to-f16 --split-input-file 2>/dev/null | FileCheck %s --check-prefix=NOF32
// NOF32-NOT: tensor<3x2xf32>
// NOF32-NOT: tensor<2x2x3x4xf32>
// NOF32-NOT: dense<2.500000e-01> : tensor<3x3x3xf32>
// RUN: quant-opt %s --split-input-file --qnt-quantize=weights=f16 2>&1 | FileCheck %s --check-prefix=PIPE
// RUN: not quant-opt %s --split-input-file --qnt-quantize="weights=f16 activations=static" 2>&1 | FileCheck %s --check-prefix=STATIC

// STATIC: weights=f16 rounds each layer's activations to f16 as it runs; activations=static does not apply

// A matmul takes f16 weights, rounded to nearest even now (hand-derived:
// 1 + 2^-11 is halfway between 1 and 1 + 2^-10 and goes to the even 1.0;
// 1 + 3 * 2^-11 is halfway between 1 + 2^-10 and 1 + 2^-9 and goes to the
// even 1 + 2^-9 = 1.001953125; 65520 is halfway between f16's largest
// 65504 and 2^16 and rounds to +Inf, -70000 to -Inf; 1e-7 is 1.68 times
// the smallest denormal 2^-24 and rounds to the denormal 2^-23 =
// 1.1920929e-7), and its activation is rounded as it runs; the f32 result
// and init stay.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 1.001950e+00], [0x7C00, -2.000000e+00], [1.192090e-07, 0xFC00]]> : tensor<3x2xf16>
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<?x3xf32>) outs(%{{.*}} : tensor<?x3xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: linalg.matmul ins(%[[X]], %[[W]] : tensor<?x3xf16>, tensor<3x2xf16>) outs(%{{.*}} : tensor<?x2xf32>) -> tensor<?x2xf32>
// REMARK: remark: qnt-convert-to-f16: 1 layer(s) in f16 (f16 weights and activations, f32 accumulation), 0 kept in f32
// PIPE: remark: qnt-convert-to-f16: 1 layer(s) in f16
func.func @matmul(%x: tensor<?x3xf32>) -> tensor<?x2xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x3xf32>
  %w = arith.constant dense<[[1.00048828125, 1.00146484375], [65520.0, -2.0], [1.0e-7, -70000.0]]> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x2xf32>) -> tensor<?x2xf32>
  %r = linalg.matmul ins(%x, %w : tensor<?x3xf32>, tensor<3x2xf32>) outs(%f : tensor<?x2xf32>) -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

// An NHWC convolution keeps its strides and dilations, and (unlike bf16)
// an NHWC depthwise convolution converts too; an NCHW depthwise
// convolution, a batched matmul of two activations and a matmul whose
// weights are an argument stay in f32, each with a remark.
// CHECK-LABEL: func.func @layers
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%{{.*}}, %{{.*}} : tensor<1x7x7x3xf16>, tensor<2x2x3x4xf16>)
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%{{.*}}, %{{.*}} : tensor<1x7x7x3xf16>, tensor<3x3x3xf16>)
// CHECK: linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x3x7x7xf32>, tensor<3x3x3xf32>)
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<2x4x5xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<4x5xf32>)
// REMARK: remark: layer 'linalg.depthwise_conv_2d_nchw_chw#0' (depthwise_conv_2d_nchw_chw): kept in f32: NCHW depthwise convolution (run the layout conversion first)
// REMARK: remark: layer 'linalg.batch_matmul#0' (batch_matmul): kept in f32: batched matmuls of two activations stay in f32
// REMARK: remark: layer 'linalg.matmul#0' (matmul): kept in f32: weights are not a constant
// REMARK: remark: qnt-convert-to-f16: 2 layer(s) in f16 (f16 weights and activations, f32 accumulation), 3 kept in f32
func.func @layers(%x: tensor<1x7x7x3xf32>, %xc: tensor<1x3x7x7xf32>, %q: tensor<2x3x4xf32>, %k: tensor<2x4x5xf32>, %a: tensor<3x4xf32>, %b: tensor<4x5xf32>)
    -> (tensor<1x5x5x4xf32>, tensor<1x3x3x3xf32>, tensor<1x3x5x5xf32>, tensor<2x3x5xf32>, tensor<3x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<2x2x3x4xf32>
  %e = tensor.empty() : tensor<1x5x5x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x5x5x4xf32>) -> tensor<1x5x5x4xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x7x7x3xf32>, tensor<2x2x3x4xf32>) outs(%f : tensor<1x5x5x4xf32>) -> tensor<1x5x5x4xf32>
  %dw = arith.constant dense<0.25> : tensor<3x3x3xf32>
  %e2 = tensor.empty() : tensor<1x3x3x3xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  %d = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %dw : tensor<1x7x7x3xf32>, tensor<3x3x3xf32>) outs(%f2 : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  %dwc = arith.constant dense<0.125> : tensor<3x3x3xf32>
  %e5 = tensor.empty() : tensor<1x3x5x5xf32>
  %f5 = linalg.fill ins(%zero : f32) outs(%e5 : tensor<1x3x5x5xf32>) -> tensor<1x3x5x5xf32>
  %dc = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xc, %dwc : tensor<1x3x7x7xf32>, tensor<3x3x3xf32>) outs(%f5 : tensor<1x3x5x5xf32>) -> tensor<1x3x5x5xf32>
  %e3 = tensor.empty() : tensor<2x3x5xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %bm = linalg.batch_matmul ins(%q, %k : tensor<2x3x4xf32>, tensor<2x4x5xf32>) outs(%f3 : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %e4 = tensor.empty() : tensor<3x5xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<3x5xf32>) -> tensor<3x5xf32>
  %m = linalg.matmul ins(%a, %b : tensor<3x4xf32>, tensor<4x5xf32>) outs(%f4 : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %c, %d, %dc, %bm, %m : tensor<1x5x5x4xf32>, tensor<1x3x3x3xf32>, tensor<1x3x5x5xf32>, tensor<2x3x5xf32>, tensor<3x5xf32>
}
