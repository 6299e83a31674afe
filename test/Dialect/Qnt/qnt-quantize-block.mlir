// RUN: quant-opt %s --qnt-quantize="weights=i4 weight-granularity=block block-size=2 activations=none" --verify-diagnostics | FileCheck %s

// Tests batch_matmul ([B, K, N] weight: channels on axis 2, blocks on axis 1).
// CHECK-LABEL: func @batch_matmul
// CHECK: qnt.dequantize %{{.*}} : tensor<2x4x3xi4> to tensor<2x4x3xf32> as #qnt.params<i4, narrow, axis = 1, block = 2,
// expected-remark @below {{1 layer(s): 0 integer, 1 weight-only, 0 kept in float (weights i4 symmetric per-block(2)}}
module {
func.func @batch_matmul(%x: tensor<2x5x4xf32>, %acc: tensor<2x5x3xf32>) -> tensor<2x5x3xf32> {
  %w = arith.constant dense<0.5> : tensor<2x4x3xf32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<2x5x4xf32>, tensor<2x4x3xf32>) outs(%acc : tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}
}

