// Tests that a diagnostic at a layer's bare name location (no file position,
// as after a round trip with --mlir-print-debuginfo or from an importer)
// prints with the layer's name instead of `<unknown>:0:`, and that
// diagnostics with a file position keep it.
// RUN: quant-opt %s --qnt-quantize 2>&1 >/dev/null | FileCheck %s
// CHECK-DAG: {{^}}fc_runtime: remark: layer 'fc_runtime' (matmul) kept in float: its weight is not a compile-time constant
// CHECK-DAG: {{^}}{{.*}}layer-name-remarks.mlir:0:0: remark: qnt-quantize: 1 layer(s): 0 integer, 0 weight-only, 1 kept in float
func.func @fc(%x: tensor<4x8xf32>, %w: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %c = arith.constant dense<0.0> : tensor<4x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32> loc("fc_runtime")
  return %y : tensor<4x3xf32>
}
