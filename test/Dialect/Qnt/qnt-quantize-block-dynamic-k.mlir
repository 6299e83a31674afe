// RUN: quant-opt %s --qnt-quantize="weights=mxint8 act-storage=i8 act-scheme=mx act-granularity=block" 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --qnt-quantize="weights=mxint8 act-storage=i8 act-scheme=mx act-granularity=block" 2>/dev/null | quant-opt --qnt-codegen | FileCheck %s --check-prefix=CODEGEN

// Tests that an activation whose reduced dimension is dynamic gets blocks
// of the weight's K: it is cast to it (the matmul's operands must agree)
// before qnt.dynamic_quantize, whose blocks need a static size (this gave
// an invalid op, with a block count computed from the dynamic size).
// CHECK-LABEL: func @main
// CHECK: %[[C:.*]] = tensor.cast %arg0 : tensor<?x?xf32> to tensor<?x32xf32>
// CHECK: qnt.dynamic_quantize %[[C]] : tensor<?x32xf32> to tensor<?x32xi8>, tensor<?x1xf32>, tensor<?x1xi32> storage = i8 scheme = mx block = 32
// CHECK: qnt.contract
// CODEGEN: llvm.func @main
func.func @main(%x: tensor<?x?xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<0.5> : tensor<32x3xf32>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x?xf32>
  %e = tensor.empty(%m) : tensor<?x3xf32>
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x?xf32>, tensor<32x3xf32>) outs(%f : tensor<?x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
