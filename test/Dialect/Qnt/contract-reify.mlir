// RUN: quant-opt %s --resolve-ranked-shaped-type-result-dims --split-input-file | FileCheck %s

// qnt.contract reifies its result's sizes: a dynamic batch is the input's.
// A layer read only for its batch (as chaining leaves a float copy of a
// chained layer) is then dead.
// CHECK-LABEL: func.func @batch_from_input
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xi8>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x3xi8>
// CHECK-NOT: qnt.contract
// CHECK: return %[[D]]
func.func @batch_from_input(%x: tensor<?x3xi8>) -> index {
  %c0 = arith.constant 0 : index
  %w = arith.constant dense<1> : tensor<3x4xi8>
  %y = qnt.contract %x, %w : (tensor<?x3xi8>, tensor<3x4xi8>) -> tensor<?x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<ui8, scales = [0.5], zero_points = [10]>
         weight = #qnt.params<i8, narrow, scales = [0.25]>
  %d = tensor.dim %y, %c0 : tensor<?x4xf32>
  return %d : index
}

// -----

// A dynamic size the weight holds (an activation weight's columns, the
// keys of attention) is the weight's; the batch of a batched matmul the
// input's.
// CHECK-LABEL: func.func @sizes_from_both
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x8xi8>, %[[K:.*]]: tensor<?x8x?xi8>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[B:.*]] = tensor.dim %[[Q]], %[[C0]] : tensor<?x4x8xi8>
// CHECK-DAG: %[[N:.*]] = tensor.dim %[[K]], %[[C2]] : tensor<?x8x?xi8>
// CHECK-NOT: qnt.contract
// CHECK: return %[[B]], %[[N]]
func.func @sizes_from_both(%q: tensor<?x4x8xi8>, %k: tensor<?x8x?xi8>, %s: tensor<f32>, %z: tensor<i32>) -> (index, index) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %y = qnt.contract %q, %k dynamic(%s, %z) weight_dynamic(%s, %z) : (tensor<?x4x8xi8>, tensor<?x8x?xi8>, tensor<f32>, tensor<i32>, tensor<f32>, tensor<i32>) -> tensor<?x4x?xf32>
         maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
         input_storage = ui8 weight_storage = ui8
  %b = tensor.dim %y, %c0 : tensor<?x4x?xf32>
  %n = tensor.dim %y, %c2 : tensor<?x4x?xf32>
  return %b, %n : index, index
}

// -----

// The output rows of a convolution over an input of dynamic height are a
// window's count, not an operand's size: the op does not reify them, and
// the tensor.dim stays on the layer.
// CHECK-LABEL: func.func @window_not_reified
// CHECK: %[[Y:.*]] = qnt.contract
// CHECK: tensor.dim %[[Y]]
func.func @window_not_reified(%img: tensor<1x?x9x2xi8>) -> index {
  %c1 = arith.constant 1 : index
  %wc = arith.constant dense<1> : tensor<5x3x3x2xi8>
  %y = qnt.contract %img, %wc : (tensor<1x?x9x2xi8>, tensor<5x3x3x2xi8>) -> tensor<1x?x7x5xf32>
         maps = [affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh + kh, ow + kw, c)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (f, kh, kw, c)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>]
         input = #qnt.params<ui8, scales = [0.5]> weight = #qnt.params<i8, axis = 0, scales = [0.1, 0.2, 0.3, 0.4, 0.5]>
  %d = tensor.dim %y, %c1 : tensor<1x?x7x5xf32>
  return %d : index
}
