// RUN: quant-opt %s --canonicalize --split-input-file | FileCheck %s
// The folded and the written forms compute the same numbers:
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.random.default_rng(3).standard_normal((5, 6)).astype(np.float32))"
// RUN: quant-opt %S/Inputs/accumulator-epilogues.mlir --canonicalize -o %t/folded.mlir
// RUN: FileCheck %s --check-prefix=FOLDED < %t/folded.mlir
// RUN: quant-run %S/Inputs/accumulator-epilogues.mlir --entry main --input %t/x.npy --output-dir %t/written
// RUN: quant-run %t/folded.mlir --entry main --input %t/x.npy --output-dir %t/folded
// RUN: cmp %t/written/out0.npy %t/folded/out0.npy
// RUN: cmp %t/written/out1.npy %t/folded/out1.npy
// FOLDED-COUNT-2: qnt.contract
// FOLDED-NOT: qnt.requantize
// FOLDED-NOT: qnt.dequantize

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>

// Tests that the requantization of a layer's accumulator folds into the
// layer (result parameters and mode move onto it).
// CHECK-LABEL: func @requantize
// CHECK: %[[Y:.*]] = qnt.contract %arg0, %{{.*}} : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi8> {{.*}} result = #qnt.params<i8, scales = [0.1]> mode = fixed_point
// CHECK-NOT: qnt.requantize
// CHECK: return %[[Y]]
func.func @requantize(%xq: tensor<2x3xi8>) -> tensor<2x4xi8> {
  %w = arith.constant dense<1> : tensor<3x4xi8>
  %acc = qnt.contract %xq, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
           maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]>
           result = #qnt.params<i32, scales = [0.125]>
  %y = qnt.requantize %acc : tensor<2x4xi32> to tensor<2x4xi8> from #qnt.params<i32, scales = [0.125]> to #qnt.params<i8, scales = [0.1]> mode = fixed_point
  return %y : tensor<2x4xi8>
}

// -----

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>

// Tests that a requantization with stated multipliers (which the layer
// cannot carry) stays a separate op.
// CHECK-LABEL: func @requantize_stated
// CHECK: %[[ACC:.*]] = qnt.contract {{.*}} -> tensor<2x4xi32>
// CHECK: qnt.requantize %[[ACC]] {{.*}} multipliers = [1073741824] shifts = [33]
func.func @requantize_stated(%xq: tensor<2x3xi8>) -> tensor<2x4xi8> {
  %w = arith.constant dense<1> : tensor<3x4xi8>
  %acc = qnt.contract %xq, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
           maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]>
           result = #qnt.params<i32, scales = [0.125]>
  %y = qnt.requantize %acc : tensor<2x4xi32> to tensor<2x4xi8> from #qnt.params<i32, scales = [0.125]> to #qnt.params<i8, scales = [1.0]> mode = fixed_point multipliers = [1073741824] shifts = [33]
  return %y : tensor<2x4xi8>
}

// -----

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>

// Tests that the dequantization of a layer's accumulator folds into the
// layer, which then returns real values.
// CHECK-LABEL: func @dequantize
// CHECK: %[[Y:.*]] = qnt.contract %arg0, %{{.*}} : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
// CHECK-NOT: qnt.dequantize
// CHECK: return %[[Y]]
func.func @dequantize(%xq: tensor<2x3xi8>) -> tensor<2x4xf32> {
  %w = arith.constant dense<1> : tensor<3x4xi8>
  %acc = qnt.contract %xq, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
           maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]>
           result = #qnt.params<i32, scales = [0.125]>
  %y = qnt.dequantize %acc : tensor<2x4xi32> to tensor<2x4xf32> as #qnt.params<i32, scales = [0.125]>
  return %y : tensor<2x4xf32>
}

// -----

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>

// Tests what does not fold: an accumulator with another use, and a
// requantization from other parameters than the accumulator's.
// CHECK-LABEL: func @no_fold
// CHECK: %[[A:.*]] = qnt.contract {{.*}} -> tensor<2x4xi32>
// CHECK: qnt.requantize %[[A]]
// CHECK: %[[B:.*]] = qnt.contract {{.*}} -> tensor<2x4xi32>
// CHECK: qnt.requantize %[[B]]
func.func @no_fold(%xq: tensor<2x3xi8>) -> (tensor<2x4xi8>, tensor<2x4xi32>, tensor<2x4xi8>) {
  %w = arith.constant dense<1> : tensor<3x4xi8>
  %acc = qnt.contract %xq, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
           maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]>
           result = #qnt.params<i32, scales = [0.125]>
  %y = qnt.requantize %acc : tensor<2x4xi32> to tensor<2x4xi8> from #qnt.params<i32, scales = [0.125]> to #qnt.params<i8, scales = [0.1]>
  %acc2 = qnt.contract %xq, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
           maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]>
           result = #qnt.params<i32, scales = [0.125]>
  %z = qnt.requantize %acc2 : tensor<2x4xi32> to tensor<2x4xi8> from #qnt.params<i32, scales = [0.25]> to #qnt.params<i8, scales = [0.1]>
  return %y, %acc, %z : tensor<2x4xi8>, tensor<2x4xi32>, tensor<2x4xi8>
}
