// RUN: quant-opt %s --qnt-quantize="weights=i4 weight-granularity=block block-size=4 act-storage=i8 act-scheme=symmetric act-granularity=block" --verify-diagnostics | FileCheck %s --check-prefix=BLOCK
// RUN: quant-opt %s --qnt-quantize="weights=i4 weight-granularity=block block-size=4 act-granularity=row" 2>&1 | FileCheck %s --check-prefix=ROW
// RUN: quant-opt %s --qnt-quantize="weights=i4 weight-granularity=block block-size=4" 2>&1 | FileCheck %s --check-prefix=TENSOR
// RUN: not quant-opt %s --qnt-quantize="act-granularity=group" 2>&1 | FileCheck %s --check-prefix=BAD

// Tests that per-block weights with dynamic activations give the block form
// of qnt.contract: act-granularity=block quantizes the activation per row
// and per block of the weights' block size (K = 10: blocks 4, 4, 2), row
// per row; the weight stays the stored i4 constant.
// BLOCK-LABEL: func @matmul
// BLOCK: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = qnt.dynamic_quantize %arg0 : tensor<?x10xf32> to tensor<?x10xi8>, tensor<?x3xf32>, tensor<?x3xi32> storage = i8 scheme = symmetric block = 4
// BLOCK: qnt.contract %[[Q]], %{{.*}} dynamic(%[[S]], %[[Z]]) : (tensor<?x10xi8>, tensor<10x3xi4>, tensor<?x3xf32>, tensor<?x3xi32>) -> tensor<?x3xf32> {{.*}} input_storage = i8 weight = #qnt.params<i4, narrow, axis = 0, block = 4,
// act-granularity=row quantizes the activation per row, for the same
// block form.
// ROW-LABEL: func @matmul
// ROW: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = qnt.dynamic_quantize %arg0 : tensor<?x10xf32> to tensor<?x10xi8>, tensor<?xf32>, tensor<?xi32> storage = ui8 scheme = asymmetric per_row
// ROW: qnt.contract %[[Q]], %{{.*}} dynamic(%[[S]], %[[Z]]) : (tensor<?x10xi8>, tensor<10x3xi4>, tensor<?xf32>, tensor<?xi32>) -> tensor<?x3xf32> {{.*}} input_storage = ui8 weight = #qnt.params<i4, narrow, axis = 0, block = 4,
// The default (per-tensor activations) keeps such layers weight-only, with a
// remark: the block form is opt-in.
// TENSOR: remark: layer 'linalg.matmul#0' (matmul): weights quantized, activations stay in float: per-block weights get integer kernels with dynamic activations per row or per block (act-granularity=row or block)
// TENSOR-LABEL: func @matmul
// TENSOR: qnt.dequantize %{{.*}} : tensor<10x3xi4> to tensor<10x3xf32> as #qnt.params<i4, narrow, axis = 0, block = 4,
// TENSOR-NOT: qnt.contract
// BAD: unknown act-granularity='group' (expected tensor, row or block)
// expected-remark @below {{1 layer(s): 1 integer, 0 weight-only, 0 kept in float}}
module {
func.func @matmul(%x: tensor<?x10xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<[[0.5, -1.0, 2.0], [1.0, 0.25, -2.0], [0.5, 1.5, 1.0], [-0.5, 1.0, 2.0], [1.0, -1.0, 0.5], [2.0, 0.5, -1.0], [0.25, 1.0, 1.5], [-1.0, 2.0, 0.5], [1.0, 1.0, -0.5], [0.5, -2.0, 1.0]]> : tensor<10x3xf32>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e = tensor.empty(%m) : tensor<?x3xf32>
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x10xf32>, tensor<10x3xf32>) outs(%f : tensor<?x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
}
