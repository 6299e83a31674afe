// RUN: quant-opt %s --qnt-quantize="weights=i4 activations=none" 2>/dev/null | FileCheck %s
// RUN: rm -rf %t && quant-opt %s --qnt-quantize="weights=i4 activations=none" -o %t.packed.mlir 2>/dev/null
// RUN: %python -c "import numpy as np; np.save('%t.x.npy', np.arange(8, dtype=np.float32).reshape(2, 4) / 8)"
// RUN: quant-run %t.packed.mlir --entry main --input %t.x.npy --output-dir %t/packed
// RUN: quant-opt %s --qnt-quantize="weights=i4 activations=none" --convert-qnt-to-linalg -o %t.lowered.mlir 2>/dev/null

// Tests that i4 weights are stored packed two per byte along the last
// dimension. Column amax 7 and 3.5 over narrow i4 [-7, 7]: scales 1 and 0.5;
// row [7, 3.5] -> [7, 7] = 0x77, row [-1, 0.5] -> [-1, 1] = 0x1F.
// CHECK-LABEL: func @main
// CHECK: %[[P:.*]] = arith.constant dense<{{\[\[}}119], [31], [0], [0]]> : tensor<4x1xi8>
// CHECK: qnt.dequantize %[[P]] : tensor<4x1xi8> to tensor<4x2xf32> as #qnt.params<i4, narrow, axis = 1, scales = [1.0, 0.5]> packed
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[7.0, 3.5], [-1.0, 0.5], [0.0, 0.0], [0.0, 0.0]]> : tensor<4x2xf32>
  %c = arith.constant dense<0.0> : tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x2xf32>) outs(%c : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
