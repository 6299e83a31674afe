// RUN: quant-opt %s --qnt-fold-dequantized-layers --split-input-file | FileCheck %s
// RUN: quant-opt %s --qnt-fold-dequantized-layers --qnt-chain-layers --split-input-file | FileCheck %s --check-prefix=CHAIN
// RUN: quant-opt %s --qnt-fold-dequantized-layers --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK

// Tests that a QDQ matmul (dequantized activation and constant weight, zero
// init) becomes one qnt.contract with the same parameters and maps, and that
// a quantize of its result then chains into it.
// CHECK-LABEL: func @qdq
// CHECK: %[[Y:.*]] = qnt.contract %arg0, %{{.*}} : (tensor<4x8xi8>, tensor<8x3xi8>) -> tensor<4x3xf32>
// CHECK-SAME: input = #qnt.params<ui8, scales = [0.05], zero_points = [128]> weight = #qnt.params<i8, axis = 1, scales = [0.01, 0.02, 0.03]>
// CHECK-NOT: linalg.matmul
// CHECK: qnt.quantize %[[Y]]
// CHAIN-LABEL: func @qdq
// CHAIN: %[[Q:.*]] = qnt.contract {{.*}} -> tensor<4x3xi8> {{.*}} result = #qnt.params<i8, scales = [0.1]>
// CHAIN-NOT: qnt.quantize
// CHAIN: return %[[Q]]
func.func @qdq(%xq: tensor<4x8xi8>) -> tensor<4x3xi8> {
  %x = qnt.dequantize %xq : tensor<4x8xi8> to tensor<4x8xf32> as #qnt.params<ui8, scales = [0.05], zero_points = [128]>
  %wq = arith.constant dense<3> : tensor<8x3xi8>
  %w = qnt.dequantize %wq : tensor<8x3xi8> to tensor<8x3xf32> as #qnt.params<i8, axis = 1, scales = [0.01, 0.02, 0.03]>
  %c = arith.constant dense<0.0> : tensor<4x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32>
  %q = qnt.quantize %y : tensor<4x3xf32> to tensor<4x3xi8> as #qnt.params<i8, scales = [0.1]>
  return %q : tensor<4x3xi8>
}

// -----

// Tests what stays float: a weight that is not dequantized, a per-channel
// activation, and a layer whose accumulator could overflow (i16 x i16).
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-3: linalg.matmul
// CHECK-NOT: qnt.contract
// Each is reported, naming the layer and why.
// REMARK: float_weight: remark: qnt-fold-dequantized-layers: layer kept in float over dequantized values: its weight is not dequantized
// REMARK: per_channel_x: remark: qnt-fold-dequantized-layers: layer kept in float over dequantized values: its parameters do not make a qnt.contract
// REMARK: wide: remark: qnt-fold-dequantized-layers: layer kept in float over dequantized values: its parameters do not make a qnt.contract
func.func @left_alone(%xq: tensor<4x8xi8>, %w: tensor<8x3xf32>, %xs: tensor<4x8xi16>) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %c = arith.constant dense<0.0> : tensor<4x3xf32>
  %x = qnt.dequantize %xq : tensor<4x8xi8> to tensor<4x8xf32> as #qnt.params<ui8, scales = [0.05]>
  %a = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32> loc("float_weight")
  %xc = qnt.dequantize %xq : tensor<4x8xi8> to tensor<4x8xf32> as #qnt.params<ui8, axis = 1, scales = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]>
  %wq = arith.constant dense<3> : tensor<8x3xi8>
  %wd = qnt.dequantize %wq : tensor<8x3xi8> to tensor<8x3xf32> as #qnt.params<i8, scales = [0.01]>
  %b = linalg.matmul ins(%xc, %wd : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32> loc("per_channel_x")
  %x16 = qnt.dequantize %xs : tensor<4x8xi16> to tensor<4x8xf32> as #qnt.params<i16, scales = [0.05]>
  %w16q = arith.constant dense<3> : tensor<8x3xi16>
  %w16 = qnt.dequantize %w16q : tensor<8x3xi16> to tensor<8x3xf32> as #qnt.params<i16, scales = [0.01]>
  %d = linalg.matmul ins(%x16, %w16 : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32> loc("wide")
  return %a, %b, %d : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

// The QDQ form torch.onnx exports for QAT: the float weight quantized and
// dequantized (qnt.quantize of a constant folds into its stored integers,
// computed with the numerics library: 0.25 / 0.1 = 2.5 rounds to 2, -0.35 /
// 0.1 = -3.5 to -4, 20 saturates to 127), the activation zero-padded and
// max-pooled after its dequantization (requantized exactly with the same
// parameters, the padding value 0.0 being the zero point), and a Gemm
// weight transposed after its dequantization (the constant is transposed
// and the parameters' axis with it).
// CHECK-LABEL: func @qat_export
// CHECK-DAG: arith.constant dense<{{.*}}2, -4], [127, 0]]], {{.*}}2, 2], [2, 2]]]]> : tensor<2x1x2x2xi8>
// CHECK-DAG: arith.constant dense<{{.*}}1, 3], [2, 4]]> : tensor<2x2xi8>
// CHECK: %[[POOL:.*]] = linalg.pooling_nchw_max
// CHECK: %[[PAD:.*]] = tensor.pad %[[POOL]]
// CHECK: %[[Q:.*]] = qnt.quantize %[[PAD]] : tensor<1x1x4x4xf32> to tensor<1x1x4x4xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [10]>
// CHECK: qnt.contract %[[Q]]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: qnt.contract {{.*}} weight = #qnt.params<i8, axis = 1, scales = [0.5, 0.25]>
// CHECK-NOT: linalg.matmul
func.func @qat_export(%xq: tensor<1x1x4x4xi8>, %a: tensor<3x2xi8>) -> (tensor<1x2x2x2xf32>, tensor<3x2xf32>) {
  %x = qnt.dequantize %xq : tensor<1x1x4x4xi8> to tensor<1x1x4x4xf32> as #qnt.params<ui8, scales = [0.5], zero_points = [10]>
  %ninf = arith.constant 0xFF800000 : f32
  %pe = tensor.empty() : tensor<1x1x2x2xf32>
  %pi = linalg.fill ins(%ninf : f32) outs(%pe : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %win = tensor.empty() : tensor<3x3xf32>
  %pool = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %win : tensor<1x1x4x4xf32>, tensor<3x3xf32>) outs(%pi : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %pool low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x1x2x2xf32> to tensor<1x1x4x4xf32>
  %wf = arith.constant dense<[[[[0.25, -0.35], [20.0, 0.0]]], [[[0.1, 0.1], [0.1, 0.1]]]]> : tensor<2x1x2x2xf32>
  %wq = qnt.quantize %wf : tensor<2x1x2x2xf32> to tensor<2x1x2x2xi8> as #qnt.params<i8, axis = 0, scales = [0.1, 0.05]>
  %w = qnt.dequantize %wq : tensor<2x1x2x2xi8> to tensor<2x1x2x2xf32> as #qnt.params<i8, axis = 0, scales = [0.1, 0.05]>
  %ce = tensor.empty() : tensor<1x2x3x3xf32>
  %cz = linalg.fill ins(%zero : f32) outs(%ce : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %conv = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %w : tensor<1x1x4x4xf32>, tensor<2x1x2x2xf32>) outs(%cz : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %crop = tensor.extract_slice %conv[0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x2x3x3xf32> to tensor<1x2x2x2xf32>
  %ad = qnt.dequantize %a : tensor<3x2xi8> to tensor<3x2xf32> as #qnt.params<i8, scales = [0.1]>
  %bq = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %b = qnt.dequantize %bq : tensor<2x2xi8> to tensor<2x2xf32> as #qnt.params<i8, axis = 0, scales = [0.5, 0.25]>
  %te = tensor.empty() : tensor<2x2xf32>
  %bt = linalg.transpose ins(%b : tensor<2x2xf32>) outs(%te : tensor<2x2xf32>) permutation = [1, 0]
  %me = tensor.empty() : tensor<3x2xf32>
  %mz = linalg.fill ins(%zero : f32) outs(%me : tensor<3x2xf32>) -> tensor<3x2xf32>
  %m = linalg.matmul ins(%ad, %bt : tensor<3x2xf32>, tensor<2x2xf32>) outs(%mz : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %crop, %m : tensor<1x2x2x2xf32>, tensor<3x2xf32>
}

// -----

// A padding value off the activation's grid (0.3 with scale 0.5) is not
// requantized: the layer stays in float, with a remark.
// CHECK-LABEL: func @off_grid_padding
// CHECK: linalg.conv_2d_nchw_fchw
// REMARK: off_grid: remark: {{.*}}its activation is not dequantized
func.func @off_grid_padding(%xq: tensor<1x1x2x2xi8>) -> tensor<1x1x3x3xf32> {
  %x = qnt.dequantize %xq : tensor<1x1x2x2xi8> to tensor<1x1x2x2xf32> as #qnt.params<ui8, scales = [0.5]>
  %v = arith.constant 0.3 : f32
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %v : f32
  } : tensor<1x1x2x2xf32> to tensor<1x1x4x4xf32>
  %wq = arith.constant dense<1> : tensor<1x1x2x2xi8>
  %w = qnt.dequantize %wq : tensor<1x1x2x2xi8> to tensor<1x1x2x2xf32> as #qnt.params<i8, scales = [0.1]>
  %zero = arith.constant 0.0 : f32
  %ce = tensor.empty() : tensor<1x1x3x3xf32>
  %cz = linalg.fill ins(%zero : f32) outs(%ce : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %conv = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %w : tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>) outs(%cz : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32> loc("off_grid")
  return %conv : tensor<1x1x3x3xf32>
}

// -----

// A qnt.quantize of a constant folds with its own rounding: 2.5 steps is 3
// with half_away (2 with half_even, above), and minifloat storage folds too
// (0.3 / 0.1 = 3.0 exactly in f8E4M3FN).
// CHECK-LABEL: func @fold_rounding
// CHECK-DAG: arith.constant dense<3> : tensor<2xi8>
// CHECK-DAG: arith.constant dense<3.000000e+00> : tensor<2xf8E4M3FN>
// CHECK-NOT: qnt.quantize
func.func @fold_rounding() -> (tensor<2xi8>, tensor<2xf8E4M3FN>) {
  %c = arith.constant dense<0.25> : tensor<2xf32>
  %a = qnt.quantize %c : tensor<2xf32> to tensor<2xi8> as #qnt.params<i8, scales = [0.1]> rounding = half_away
  %d = arith.constant dense<0.3> : tensor<2xf32>
  %f = qnt.quantize %d : tensor<2xf32> to tensor<2xf8E4M3FN> as #qnt.params<f8E4M3FN, scales = [0.1]>
  return %a, %f : tensor<2xi8>, tensor<2xf8E4M3FN>
}

// -----

// Tests that an activation seen through a transpose (the flatten of a model
// converted to NHWC) is requantized exactly after it and the layer folds.
// CHECK-LABEL: func @through_transpose
// CHECK: %[[T:.*]] = linalg.transpose ins(%{{.*}} : tensor<2x3x2xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[T]]
// CHECK: %[[R:.*]] = qnt.quantize %[[F]] : tensor<2x6xf32> to tensor<2x6xi8> as #qnt.params<ui8, scales = [0.05], zero_points = [10]>
// CHECK: qnt.contract %[[R]], %{{.*}} : (tensor<2x6xi8>, tensor<6x3xi8>) -> tensor<2x3xf32>
// CHECK-NOT: linalg.matmul
func.func @through_transpose(%xq: tensor<2x2x3xi8>) -> tensor<2x3xf32> {
  %x = qnt.dequantize %xq : tensor<2x2x3xi8> to tensor<2x2x3xf32> as #qnt.params<ui8, scales = [0.05], zero_points = [10]>
  %e = tensor.empty() : tensor<2x3x2xf32>
  %t = linalg.transpose ins(%x : tensor<2x2x3xf32>) outs(%e : tensor<2x3x2xf32>) permutation = [0, 2, 1]
  %flat = tensor.collapse_shape %t [[0], [1, 2]] : tensor<2x3x2xf32> into tensor<2x6xf32>
  %wq = arith.constant dense<3> : tensor<6x3xi8>
  %w = qnt.dequantize %wq : tensor<6x3xi8> to tensor<6x3xf32> as #qnt.params<i8, scales = [0.01]>
  %c = arith.constant dense<0.0> : tensor<2x3xf32>
  %y = linalg.matmul ins(%flat, %w : tensor<2x6xf32>, tensor<6x3xf32>) outs(%c : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
