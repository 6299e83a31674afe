// A linalg.matmul whose activation is rank 1 through a broadcasting map is
// not a kernel's (the kernels check the maps before any dimension): it
// keeps its loops under --qnt-codegen, float and with weight-only int8
// weights, and runs. Before, qnt-f32-matmul and qnt-weight-only-matmul
// asked for dimension 1 of the rank-1 type first (an assertion; an
// out-of-bounds read without assertions). Issue 15.
// RUN: quant-opt %s --qnt-codegen -o %t.f32.mlir
// RUN: quant-opt %s --qnt-quantize="weights=i8 activations=none" --qnt-codegen -o %t.wo.mlir 2>/dev/null
// RUN: %python -c "import numpy as np; np.save('%t.v.npy', np.arange(16, dtype=np.float32))"
// RUN: quant-run %t.f32.mlir --entry vec --input %t.v.npy --output-dir %t.f32
// RUN: quant-run %t.wo.mlir --entry vec --input %t.v.npy --output-dir %t.wo
// Every row is sum_k v[k] * 0.125 = 120 * 0.125 = 15 (0.125 is exact in i8
// with scale 0.125 / 127 * 127).
// RUN: %python -c "import numpy as np; print(np.load('%t.f32/out0.npy').tolist()[0]); print(np.load('%t.wo/out0.npy').tolist()[3])" | FileCheck %s
// CHECK: [15.0, 15.0, 15.0]
// CHECK-NEXT: [15.0, 15.0, 15.0]
func.func @vec(%v: tensor<16xf32>) -> tensor<4x3xf32> {
  %m = arith.constant dense<0.125> : tensor<16x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%v, %m : tensor<16xf32>, tensor<16x3xf32>) outs(%acc : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}
