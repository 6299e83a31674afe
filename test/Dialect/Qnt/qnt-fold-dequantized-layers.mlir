// RUN: quant-opt %s --qnt-fold-dequantized-layers --split-input-file | FileCheck %s
// RUN: quant-opt %s --qnt-fold-dequantized-layers --qnt-chain-layers --split-input-file | FileCheck %s --check-prefix=CHAIN

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
func.func @left_alone(%xq: tensor<4x8xi8>, %w: tensor<8x3xf32>, %xs: tensor<4x8xi16>) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %c = arith.constant dense<0.0> : tensor<4x3xf32>
  %x = qnt.dequantize %xq : tensor<4x8xi8> to tensor<4x8xf32> as #qnt.params<ui8, scales = [0.05]>
  %a = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32>
  %xc = qnt.dequantize %xq : tensor<4x8xi8> to tensor<4x8xf32> as #qnt.params<ui8, axis = 1, scales = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]>
  %wq = arith.constant dense<3> : tensor<8x3xi8>
  %wd = qnt.dequantize %wq : tensor<8x3xi8> to tensor<8x3xf32> as #qnt.params<i8, scales = [0.01]>
  %b = linalg.matmul ins(%xc, %wd : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32>
  %x16 = qnt.dequantize %xs : tensor<4x8xi16> to tensor<4x8xf32> as #qnt.params<i16, scales = [0.05]>
  %w16q = arith.constant dense<3> : tensor<8x3xi16>
  %w16 = qnt.dequantize %w16q : tensor<8x3xi16> to tensor<8x3xf32> as #qnt.params<i16, scales = [0.01]>
  %d = linalg.matmul ins(%x16, %w16 : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %a, %b, %d : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}
