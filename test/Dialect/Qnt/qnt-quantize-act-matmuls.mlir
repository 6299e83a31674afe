// RUN: quant-opt %s --qnt-quantize 2>&1 >/dev/null | FileCheck %s --check-prefix=FLOAT
// RUN: quant-opt %s --qnt-quantize=act-matmuls=dynamic 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --qnt-quantize=act-matmuls=dynamic 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --qnt-quantize="act-matmuls=dynamic act-granularity=row act-storage=i8 act-scheme=symmetric" 2>/dev/null | FileCheck %s --check-prefix=ROW
// RUN: quant-opt %s --qnt-quantize="act-matmuls=dynamic recipe=%S/Inputs/keep-attention.json" 2>&1 >/dev/null | FileCheck %s --check-prefix=RECIPE
// RUN: not quant-opt %s --qnt-quantize=act-matmuls=int8 2>&1 | FileCheck %s --check-prefix=BAD

// The two matmuls of attention multiply activations by activations. By
// default they stay in float with a remark; act-matmuls=dynamic quantizes
// both operands at run time (u8 asymmetric per tensor, as ONNX Runtime's
// DynamicQuantizeLinear + MatMulInteger) into one qnt.contract whose weight
// parameters are operands too. The arithmetic is checked against an ONNX
// oracle in act-matmul-exec.test.
// FLOAT: remark: layer 'scores' (batch_matmul) kept in float: its weight is not a compile-time constant (act-matmuls=dynamic quantizes both operands at run time)
// FLOAT: remark: qnt-quantize: 2 layer(s): 1 integer, 0 weight-only, 1 kept in float

// CHECK-LABEL: func @attention
// CHECK: %[[Q:.*]], %[[SQ:.*]], %[[ZQ:.*]] = qnt.dynamic_quantize %arg0 : tensor<2x5x7xf32> to tensor<2x5x7xi8>, tensor<f32>, tensor<i32> storage = ui8 scheme = asymmetric
// CHECK: %[[K:.*]], %[[SK:.*]], %[[ZK:.*]] = qnt.dynamic_quantize %arg1 : tensor<2x7x3xf32> to tensor<2x7x3xi8>, tensor<f32>, tensor<i32> storage = ui8 scheme = asymmetric
// CHECK: %[[S:.*]] = qnt.contract %[[Q]], %[[K]] dynamic(%[[SQ]], %[[ZQ]]) weight_dynamic(%[[SK]], %[[ZK]]) : (tensor<2x5x7xi8>, tensor<2x7x3xi8>, tensor<f32>, tensor<i32>, tensor<f32>, tensor<i32>) -> tensor<2x5x3xf32>
// CHECK-SAME: input_storage = ui8 weight_storage = ui8
// The layer with a constant weight keeps its static weight parameters.
// CHECK: qnt.contract {{.*}} weight = #qnt.params<i8
// REMARK: remark: layer 'scores' (batch_matmul): both operands are activations, quantized at run time (act-matmuls=dynamic)
// REMARK: remark: qnt-quantize: 2 layer(s): 2 integer, 0 weight-only, 0 kept in float

// With act-granularity=row the first operand takes one scale per row; the
// second stays per tensor.
// ROW: qnt.dynamic_quantize %arg0 : tensor<2x5x7xf32> to tensor<2x5x7xi8>, tensor<2x5xf32>, tensor<2x5xi32> storage = i8 scheme = symmetric per_row
// ROW: qnt.dynamic_quantize %arg1 : tensor<2x7x3xf32> to tensor<2x7x3xi8>, tensor<f32>, tensor<i32> storage = i8 scheme = symmetric
// ROW-NOT: per_row
// ROW: qnt.contract {{.*}} -> tensor<2x5x3xf32> {{.*}} input_storage = i8 weight_storage = i8

// A recipe's keep_float applies to them like to any layer.
// RECIPE: remark: layer 'scores' (batch_matmul) kept in float: recipe {{.*}} says keep_float

// BAD: qnt-quantize: unknown act-matmuls='int8' (expected float or dynamic)
func.func @attention(%q: tensor<2x5x7xf32>, %k: tensor<2x7x3xf32>) -> tensor<2x5x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x5x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<2x5x7xf32>, tensor<2x7x3xf32>) outs(%init : tensor<2x5x3xf32>) -> tensor<2x5x3xf32> loc("scores")
  %w = arith.constant dense<[[[0.5, -0.25, 1.0, 0.0], [0.125, 0.75, -1.0, 0.5], [1.0, 0.25, 0.5, -0.5]], [[0.5, -0.25, 1.0, 0.0], [0.125, 0.75, -1.0, 0.5], [1.0, 0.25, 0.5, -0.5]]]> : tensor<2x3x4xf32>
  %e2 = tensor.empty() : tensor<2x5x4xf32>
  %init2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x5x4xf32>) -> tensor<2x5x4xf32>
  %y = linalg.batch_matmul ins(%s, %w : tensor<2x5x3xf32>, tensor<2x3x4xf32>) outs(%init2 : tensor<2x5x4xf32>) -> tensor<2x5x4xf32> loc("proj")
  return %y : tensor<2x5x4xf32>
}
