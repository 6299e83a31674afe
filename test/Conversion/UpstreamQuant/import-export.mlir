// RUN: quant-opt %s --split-input-file --qnt-import-upstream | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-import-upstream --qnt-export-upstream --qnt-import-upstream | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-import-upstream=rounding=half_away | FileCheck %s --check-prefix=AWAY

// Per-layer, per-axis and narrow/unsigned types: qcast -> qnt.quantize,
// dcast -> qnt.dequantize, scast disappears, signatures become storage
// integers. Exported and imported again, the module is the same.
// CHECK-LABEL: func @casts
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %[[S:.*]]: tensor<4x3xi8>) -> (tensor<4x3xi8>, tensor<4x3xf32>, tensor<4x3xf32>)
// CHECK: %[[Q:.*]] = qnt.quantize %[[X]] : tensor<4x3xf32> to tensor<4x3xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [128]>
// CHECK: qnt.dequantize %[[S]] : tensor<4x3xi8> to tensor<4x3xf32> as #qnt.params<i8, narrow, axis = 1, scales = [0.25, 0.5, 1.0], zero_points = [0, 1, -1]>
// CHECK: qnt.dequantize %[[Q]] : tensor<4x3xi8> to tensor<4x3xf32> as #qnt.params<ui8, scales = [0.5], zero_points = [128]>
// CHECK-NOT: quant.
// AWAY: qnt.quantize {{.*}} rounding = half_away
func.func @casts(%x: tensor<4x3xf32>, %s: tensor<4x3xi8>) -> (tensor<4x3x!quant.uniform<u8:f32, 0.5:128>>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %q = quant.qcast %x : tensor<4x3xf32> to tensor<4x3x!quant.uniform<u8:f32, 0.5:128>>
  %c = quant.scast %s : tensor<4x3xi8> to tensor<4x3x!quant.uniform<i8<-127:127>:f32:1, {0.25, 0.5:1, 1.0:-1}>>
  %d = quant.dcast %c : tensor<4x3x!quant.uniform<i8<-127:127>:f32:1, {0.25, 0.5:1, 1.0:-1}>> to tensor<4x3xf32>
  %e = quant.dcast %q : tensor<4x3x!quant.uniform<u8:f32, 0.5:128>> to tensor<4x3xf32>
  return %q, %d, %e : tensor<4x3x!quant.uniform<u8:f32, 0.5:128>>, tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

// A sub-channel type with blocks of 2 along dimension 0 is qnt's per-block
// form (the scales in the blocks' row-major order).
// CHECK-LABEL: func @sub_channel
// CHECK: qnt.dequantize %{{.*}} : tensor<4x2xi8> to tensor<4x2xf32> as #qnt.params<i8, axis = 0, block = 2, scales = [1.0, 2.0, 3.0, 4.0]>
func.func @sub_channel(%w: tensor<4x2xi8>) -> tensor<4x2xf32> {
  %c = quant.scast %w : tensor<4x2xi8> to tensor<4x2x!quant.uniform<i8:f32:{0:2, 1:1}, {{1.0, 2.0}, {3.0, 4.0}}>>
  %d = quant.dcast %c : tensor<4x2x!quant.uniform<i8:f32:{0:2, 1:1}, {{1.0, 2.0}, {3.0, 4.0}}>> to tensor<4x2xf32>
  return %d : tensor<4x2xf32>
}

// -----

// A QDQ matmul written with the quant dialect (as TOSA- and TFLite-derived
// pipelines write it) imports and folds into one typed layer.
// RUN: quant-opt %s --split-input-file --qnt-import-upstream --qnt-fold-dequantized-layers | FileCheck %s --check-prefix=FOLD
// FOLD-LABEL: func @qdq_matmul
// FOLD: qnt.contract %{{.*}}, %{{.*}} : (tensor<2x3xi8>, tensor<3x2xi8>) -> tensor<2x2xf32> {{.*}}input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, axis = 1, scales = [0.25, 0.125]>
// FOLD-NOT: linalg.matmul
func.func @qdq_matmul(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %q = quant.qcast %x : tensor<2x3xf32> to tensor<2x3x!quant.uniform<u8:f32, 0.5:10>>
  %xd = quant.dcast %q : tensor<2x3x!quant.uniform<u8:f32, 0.5:10>> to tensor<2x3xf32>
  %ws = arith.constant dense<[[1, -2], [3, 4], [-5, 6]]> : tensor<3x2xi8>
  %wq = quant.scast %ws : tensor<3x2xi8> to tensor<3x2x!quant.uniform<i8:f32:1, {0.25, 0.125}>>
  %w = quant.dcast %wq : tensor<3x2x!quant.uniform<i8:f32:1, {0.25, 0.125}>> to tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = linalg.matmul ins(%xd, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%c : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
