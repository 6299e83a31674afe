// RUN: quant-opt %s --qnt-quantize --split-input-file 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --qnt-quantize --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --qnt-quantize="act-granularity=row act-storage=i8 act-scheme=symmetric" --split-input-file 2>/dev/null | FileCheck %s --check-prefix=ROW
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/stats.json" --split-input-file 2>/dev/null | FileCheck %s --check-prefix=STATIC
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/stats.json" --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=STATICREMARK

// Tests the default integer matmul: u8 asymmetric dynamic activation, i8
// per-channel weights, an i32 contraction with the layer's maps, compile-time
// weight sums (column sums 127+(-25) = 102 and 127+(-64) = 63), and one
// epilogue: c + float(acc - z_x * colsum) * (s_x * s_w).
// CHECK-LABEL: func @matmul
// CHECK: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = qnt.dynamic_quantize %{{.*}} : tensor<4x2xf32> to tensor<4x2xi8>, tensor<f32>, tensor<i32> storage = ui8 scheme = "asymmetric"
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}127, 127], [-25, -64]]> : tensor<2x2xi8>
// CHECK: %[[SUM:.*]] = arith.constant dense<[102, 63]> : tensor<2xi32>
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[Q]], %[[W]] : tensor<4x2xi8>, tensor<2x2xi8>)
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK-NOT: arith.subi
// CHECK: linalg.yield
// CHECK: %[[SW:.*]] = arith.constant dense<[0.00999999977, 0.00393700786]> : tensor<2xf32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %{{.*}}, %[[SUM]], %[[SW]], %[[S]], %[[Z]] :
// CHECK: %[[ZS:.*]] = arith.muli %{{.*}}, %{{.*}} : i32
// CHECK: %[[C:.*]] = arith.subi %{{.*}}, %[[ZS]] : i32
// CHECK: arith.sitofp %[[C]] : i32 to f32
// REMARK: remark: qnt-quantize: 1 layer(s): 1 integer, 0 weight-only, 0 kept in float (weights i8 symmetric per-channel unless a recipe says otherwise; activations dynamic)

// Tests per-row symmetric int8 activations: one scale per row, read through
// (d0, d1) -> (d0) in the epilogue.
// ROW-DAG: #[[$ROWMAP:.*]] = affine_map<(d0, d1) -> (d0)>
// ROW-LABEL: func @matmul
// ROW: qnt.dynamic_quantize %{{.*}} : tensor<4x2xf32> to tensor<4x2xi8>, tensor<4xf32>, tensor<4xi32> storage = i8 scheme = "symmetric" per_row
// ROW: arith.extsi %{{.*}} : i8 to i32
// ROW: linalg.generic {indexing_maps = [{{.*}}, #[[$ROWMAP]], #[[$ROWMAP]], {{.*}}]

// Tests static activations from the stats file: [-1, 3] as u8 asymmetric is
// s = 4/255, z = round(1 / s) = 64, quantized with qnt.quantize; the
// epilogue uses constants.
// STATIC-LABEL: func @matmul
// STATIC: qnt.quantize %{{.*}} : tensor<4x2xf32> to tensor<4x2xi8> as #qnt.params<ui8, scales = [0.015686275], zero_points = [64]>
// STATIC-DAG: arith.constant 0.0156862754 : f32
// STATIC-DAG: arith.constant 64 : i32
func.func @matmul(%x: tensor<4x2xf32>, %acc: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.27, 0.5], [-0.25, -0.25]]> : tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32> loc("fc1")
  return %y : tensor<4x2xf32>
}

// -----

// Tests a convolution: the filter sums run over KH, KW and C per output
// channel (3 * 3 * 2 * 127 = 2286), per-tensor activations (per-row does not
// apply to a window).
// CHECK-LABEL: func @conv
// CHECK: qnt.dynamic_quantize %{{.*}} : tensor<1x5x5x2xf32> to tensor<1x5x5x2xi8>, tensor<f32>, tensor<i32>
// CHECK: arith.constant dense<2286> : tensor<4xi32>
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// ROW-LABEL: func @conv
// ROW: qnt.dynamic_quantize %{{.*}} : tensor<1x5x5x2xf32> to tensor<1x5x5x2xi8>, tensor<f32>, tensor<i32> storage = i8 scheme = "symmetric"{{$}}
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
// CHECK: arith.constant dense<127> : tensor<1x4x3xi8>
// CHECK: arith.constant dense<508> : tensor<1x3xi32>
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-NOT: {{= tosa.matmul}}
func.func @tosa(%a: tensor<1x2x4xf32>) -> tensor<1x2x3xf32> {
  %b = "tosa.const"() {values = dense<0.5> : tensor<1x4x3xf32>} : () -> tensor<1x4x3xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x2x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3xf32>
  return %m : tensor<1x2x3xf32>
}
