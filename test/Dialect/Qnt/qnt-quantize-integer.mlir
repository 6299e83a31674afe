// RUN: quant-opt %s --qnt-quantize --split-input-file 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --qnt-quantize --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --qnt-quantize="act-granularity=row act-storage=i8 act-scheme=symmetric" --split-input-file 2>/dev/null | FileCheck %s --check-prefix=ROW
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/stats.json" --split-input-file 2>/dev/null | FileCheck %s --check-prefix=STATIC
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/stats.json" --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=STATICREMARK
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/stats.json profile=torch reduce-range=activations" --split-input-file 2>&1 | FileCheck %s --check-prefix=TORCH
// RUN: quant-opt %s --qnt-quantize="profile=torch weights=f8E4M3FN" --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=TORCHF8
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/stats.json profile=tflite" --split-input-file 2>/dev/null | FileCheck %s --check-prefix=TFLITE
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/stats.json profile=onnxruntime reduce-range=activations" --split-input-file 2>&1 | FileCheck %s --check-prefix=ORT

// Tests the default integer matmul: u8 asymmetric dynamic activation, i8
// per-channel weights, one qnt.contract with the layer's maps whose result
// is the real value, and the layer's init (a function argument here) added
// after it. The arithmetic is the op's lowering
// (test/Conversion/QntToLinalg/convert-qnt-contract.mlir).
// CHECK-DAG: #[[$X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$W:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$O:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @matmul
// CHECK: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = qnt.dynamic_quantize %{{.*}} : tensor<4x2xf32> to tensor<4x2xi8>, tensor<f32>, tensor<i32> storage = ui8 scheme = asymmetric
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}127, 127], [-25, -64]]> : tensor<2x2xi8>
// CHECK: %[[Y:.*]] = qnt.contract %[[Q]], %[[W]] dynamic(%[[S]], %[[Z]]) : (tensor<4x2xi8>, tensor<2x2xi8>, tensor<f32>, tensor<i32>) -> tensor<4x2xf32>
// CHECK-SAME: maps = [#[[$X]], #[[$W]], #[[$O]]] input_storage = ui8 weight = #qnt.params<i8, narrow, axis = 1, scales = [0.01, 0.003937008]>
// CHECK: linalg.generic {{.*}} ins(%arg1, %[[Y]] : tensor<4x2xf32>, tensor<4x2xf32>)
// CHECK: arith.addf
// REMARK: remark: qnt-quantize: 1 layer(s): 1 integer, 0 weight-only, 0 kept in float (weights i8 symmetric per-channel unless a recipe says otherwise; activations dynamic)

// Tests per-row symmetric int8 activations: one scale per row.
// ROW-LABEL: func @matmul
// ROW: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = qnt.dynamic_quantize %{{.*}} : tensor<4x2xf32> to tensor<4x2xi8>, tensor<4xf32>, tensor<4xi32> storage = i8 scheme = symmetric per_row
// ROW: qnt.contract %[[Q]], %{{.*}} dynamic(%[[S]], %[[Z]]) : (tensor<4x2xi8>, tensor<2x2xi8>, tensor<4xf32>, tensor<4xi32>) -> tensor<4x2xf32> {{.*}} input_storage = i8

// Tests static activations from the stats file: [-1, 3] as u8 asymmetric is
// s = 4/255, z = round(1 / s) = 64, quantized with qnt.quantize; the layer
// states the same parameters.
// STATIC-LABEL: func @matmul
// STATIC: %[[Q:.*]] = qnt.quantize %{{.*}} : tensor<4x2xf32> to tensor<4x2xi8> as #qnt.params<ui8, scales = [0.015686275], zero_points = [64]>{{$}}
// STATIC: qnt.contract %[[Q]], %{{.*}} : (tensor<4x2xi8>, tensor<2x2xi8>) -> tensor<4x2xf32> {{.*}} input = #qnt.params<ui8, scales = [0.015686275], zero_points = [64]>

// Tests the torch profile (profile=torch): the weights on torch's full int8
// range, s = amax / 127.5 (1.27 / 127.5, 0.5 / 127.5), not narrow; the
// static activation [-1, 3] with reduce_range on u8 [0, 127]: s = 4 / 127,
// z = round(1 / s) = round(31.75) = 32.
// TORCH: remark: qnt-quantize: 1 layer(s): 1 integer, 0 weight-only, 0 kept in float (weights i8 symmetric per-channel (torch profile) unless a recipe says otherwise; activations static)
// TORCH-LABEL: func @matmul
// The static activation rounds as torch.quantize_per_tensor does: times
// the float32 reciprocal of the scale, then half to even.
// TORCH: qnt.quantize %{{.*}} : tensor<4x2xf32> to tensor<4x2xi8> as #qnt.params<ui8, range = [0, 127], scales = [0.031496063], zero_points = [32]> rounding = reciprocal{{$}}
// TORCH: qnt.contract {{.*}} weight = #qnt.params<i8, axis = 1, scales = [0.009960785, 0.003921569]>
// Float weights are outside the torch profile: the layers stay in float,
// with a remark saying why.
// TORCHF8: remark: layer 'fc1' (matmul) kept in float: f8E4M3FN symmetric per-channel (torch profile) does not apply: the torch profile takes integer storage with the symmetric or asymmetric scheme, not f8E4M3FN with symmetric

// Tests the onnxruntime profile: weights over ONNX Runtime's symmetric
// [-127, 127], s = 2 amax / 254 in float64 (1.27 / 127, 0.5 / 127), the
// attribute on the full range (QuantizeLinear's clamp); the activation with
// reduce_range over [0, 127], s = 4 / 127, z = round(1 / s) = 32, stated
// without a range.
// TFLite's Quantize op rounds half away from zero (TfLiteRound).
// TFLITE-LABEL: func @matmul
// TFLITE: qnt.quantize %{{.*}} : tensor<4x2xf32> to tensor<4x2xi8> as #qnt.params<ui8, scales = [0.015686275], zero_points = [64]> rounding = half_away{{$}}
// ORT: remark: qnt-quantize: 1 layer(s): 1 integer, 0 weight-only, 0 kept in float (weights i8 symmetric per-channel (onnxruntime profile) unless a recipe says otherwise; activations static)
// ORT-LABEL: func @matmul
// ORT: qnt.quantize %{{.*}} : tensor<4x2xf32> to tensor<4x2xi8> as #qnt.params<ui8, scales = [0.031496063], zero_points = [32]>{{$}}
// ORT: qnt.contract {{.*}} weight = #qnt.params<i8, axis = 1, scales = [0.01, 0.003937008]>
func.func @matmul(%x: tensor<4x2xf32>, %acc: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.27, 0.5], [-0.25, -0.25]]> : tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32> loc("fc1")
  return %y : tensor<4x2xf32>
}

// -----

// Tests a convolution: the layer keeps the convolution's maps (the window
// as oh + kh), per-channel weights on F (axis 3), per-tensor activations
// (per-row does not apply to a window).
// CHECK-DAG: #[[$CX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 + d4, d2 + d5, d6)>
// CHECK-LABEL: func @conv
// CHECK: qnt.dynamic_quantize %{{.*}} : tensor<1x5x5x2xf32> to tensor<1x5x5x2xi8>, tensor<f32>, tensor<i32>
// CHECK: qnt.contract {{.*}} -> tensor<1x3x3x4xf32> maps = [#[[$CX]], {{.*}}] input_storage = ui8 weight = #qnt.params<i8, narrow, axis = 3,
// ROW-LABEL: func @conv
// ROW: qnt.dynamic_quantize %{{.*}} : tensor<1x5x5x2xf32> to tensor<1x5x5x2xi8>, tensor<f32>, tensor<i32> storage = i8 scheme = symmetric{{$}}
// STATICREMARK: remark: layer 'linalg.conv_2d_nhwc_hwcf#0' (conv_2d_nhwc_hwcf): weights quantized, activations stay in float: '{{.*}}stats.json' has no range for it
func.func @conv(%x: tensor<1x5x5x2xf32>, %o: tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x2x4xf32>
  %y = linalg.conv_2d_nhwc_hwcf ins(%x, %w : tensor<1x5x5x2xf32>, tensor<3x3x2x4xf32>) outs(%o : tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  return %y : tensor<1x3x3x4xf32>
}

// -----

// Tests that TOSA layers get integer kernels too: tosa.matmul is lowered to
// linalg.batch_matmul first ([B, K, N] weight: channels on axis 2), and its
// tosa.const weight is quantized.
// REMARK: remark: qnt-quantize: 1 layer(s): 1 integer, 0 weight-only, 0 kept in float
// CHECK-LABEL: func @tosa
// CHECK: qnt.dynamic_quantize %{{.*}} : tensor<1x2x4xf32> to tensor<1x2x4xi8>
// CHECK: %[[TW:.*]] = arith.constant dense<127> : tensor<1x4x3xi8>
// CHECK: qnt.contract %{{.*}}, %[[TW]] {{.*}} -> tensor<1x2x3xf32> {{.*}} weight = #qnt.params<i8, narrow, axis = 2,
// CHECK-NOT: {{= tosa.matmul}}
func.func @tosa(%a: tensor<1x2x4xf32>) -> tensor<1x2x3xf32> {
  %b = "tosa.const"() {values = dense<0.5> : tensor<1x4x3xf32>} : () -> tensor<1x4x3xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x2x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3xf32>
  return %m : tensor<1x2x3xf32>
}
