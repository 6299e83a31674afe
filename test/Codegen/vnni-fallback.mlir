// Contractions the VNNI kernel does not cover keep the reference loops, with
// a remark: here a batched matmul of two batches and a convolution with u8
// (asymmetric) weights; the matmul with u8 weights is covered.
// RUN: quant-opt %s --qnt-quantize="weights=u8 weight-scheme=asymmetric" --qnt-vnni-matmul 2>&1 | FileCheck %s
// RUN: quant-opt %s --qnt-quantize --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefix=BATCH
// CHECK-NOT: layer 'fc' keeps the reference loops
// CHECK: remark: {{.*}}qnt-vnni-matmul: layer 'linalg.conv_2d_nhwc_hwcf#0' keeps the reference loops
// CHECK-NOT: layer 'fc' keeps the reference loops
// BATCH: remark: qnt-vnni-matmul: layer 'linalg.batch_matmul#0' keeps the reference loops
func.func @fc(%x: tensor<4x8xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<[[0.5, -1.0, 0.25], [1.0, 0.5, -0.5], [0.5, -1.0, 0.25], [1.0, 0.5, -0.5], [0.5, -1.0, 0.25], [1.0, 0.5, -0.5], [0.5, -1.0, 0.25], [1.0, 0.5, -0.5]]> : tensor<8x3xf32>
  %c = arith.constant dense<0.0> : tensor<4x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32> loc("fc")
  return %y : tensor<4x3xf32>
}
func.func @batch(%x: tensor<2x4x8xf32>) -> tensor<2x4x3xf32> {
  %w = arith.constant dense<0.5> : tensor<2x8x3xf32>
  %c = arith.constant dense<0.0> : tensor<2x4x3xf32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<2x4x8xf32>, tensor<2x8x3xf32>) outs(%c : tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
  return %y : tensor<2x4x3xf32>
}
func.func @conv(%x: tensor<1x5x5x2xf32>) -> tensor<1x3x3x4xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x2x4xf32>
  %c = arith.constant dense<0.0> : tensor<1x3x3x4xf32>
  %y = linalg.conv_2d_nhwc_hwcf ins(%x, %w : tensor<1x5x5x2xf32>, tensor<3x3x2x4xf32>) outs(%c : tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  return %y : tensor<1x3x3x4xf32>
}
