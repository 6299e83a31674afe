// qnt-propagate-non-finite: a public function's float results become NaN
// where its float arguments hold NaN or an infinity, per row of dimension 0
// (batch=rows) or for the whole call (batch=all).
// RUN: quant-opt %s --qnt-propagate-non-finite --split-input-file 2>&1 | FileCheck %s
// RUN: quant-opt %s --qnt-propagate-non-finite=batch=all --split-input-file 2>&1 | FileCheck %s --check-prefix=ALL
// RUN: quant-opt %s --qnt-propagate-non-finite --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: not quant-opt %s --qnt-propagate-non-finite=batch=some --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: qnt-propagate-non-finite: unknown batch='some' (expected rows or all)

// Rows: a flag per row of each argument (a max-reduction of |x| >= inf,
// unordered, so NaN counts), the arguments' flags combined, a select per
// result; a dynamic dimension 0 is checked against the arguments' when the
// function runs. The integer result is left as it is.
// CHECK-LABEL: func.func @rows
// CHECK: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK: %[[F0:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%arg0 : tensor<?x5xf32>) outs(%{{.*}} : tensor<?xi8>)
// CHECK: math.absf
// CHECK: arith.cmpf uge, %{{.*}}, %[[INF]] : f32
// CHECK: arith.extui %{{.*}} : i1 to i8
// CHECK: arith.maxui
// CHECK: %[[F1:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<?x2x3xf32>) outs(%{{.*}} : tensor<?xi8>)
// CHECK: %[[F:.*]] = linalg.generic {{.*}} ins(%[[F0]], %[[F1]] : tensor<?xi8>, tensor<?xi8>)
// CHECK: arith.maxui
// CHECK: cf.assert %{{.*}}, "qnt-propagate-non-finite: a result's dimension 0 differs from the arguments' (use batch=all)"
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[F]] : tensor<?x4xf32>, tensor<?xi8>)
// CHECK: arith.select %{{.*}}, %cst{{.*}}, %{{.*}} : f32
// CHECK: return %[[R]], %arg2 : tensor<?x4xf32>, tensor<?x4xi32>
// ALL-LABEL: func.func @rows
// ALL: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]{{.*}} outs(%{{.*}} : tensor<i8>)
// ALL-NOT: cf.assert
// ALL: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<i8>)
func.func @rows(%x: tensor<?x5xf32>, %y: tensor<?x2x3xf32>, %i: tensor<?x4xi32>) -> (tensor<?x4xf32>, tensor<?x4xi32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x5xf32>
  %e = tensor.empty(%n) : tensor<?x4xf32>
  return %e, %i : tensor<?x4xf32>, tensor<?x4xi32>
}

// -----

// Static batch sizes that agree need no check.
// CHECK-LABEL: func.func @static_rows
// CHECK-NOT: cf.assert
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<3x2xf16>, tensor<3xi8>)
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : f16
func.func @static_rows(%x: tensor<3x7xf16>, %r: tensor<3x2xf16>) -> tensor<3x2xf16> {
  return %r : tensor<3x2xf16>
}

// -----

// No shared dimension 0 (a rank-0 result): the whole call, with a remark.
// REMARK: remark: qnt-propagate-non-finite: the float arguments and results of @no_batch do not share a dimension 0; every float result of a call is NaN when any float argument is not all finite
// CHECK-LABEL: func.func @no_batch
// CHECK: outs(%{{.*}} : tensor<i8>)
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<f32>, tensor<i8>)
func.func @no_batch(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<f32> {
  return %s : tensor<f32>
}

// -----

// Private functions, and functions without float arguments or results, stay.
// CHECK-LABEL: func.func private @helper
// CHECK-NEXT: return
// CHECK-LABEL: func.func @tokens
// CHECK-NEXT: return
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @tokens(%t: tensor<8xi64>, %x: tensor<8xf32>) -> tensor<8xi64> {
  return %t : tensor<8xi64>
}
