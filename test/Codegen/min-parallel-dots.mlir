// With threads, a matmul kernel with fewer multiply-adds (M x K x N) than
// min-parallel-dots runs on one thread: an OpenMP fork and join costs more
// than it shares. The f32 default is 2^16.
// RUN: quant-opt %s --split-input-file --qnt-f32-matmul="parallel=true threads=2" | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-f32-matmul="parallel=true threads=2 min-parallel-dots=0" | FileCheck %s --check-prefix=ALWAYS
// RUN: quant-opt %s --split-input-file --qnt-f32-matmul="parallel=true threads=2 min-parallel-dots=1000000" | FileCheck %s --check-prefix=HIGH

// One row of 1024 x 32 (32768 multiply-adds): no parallel loop, unless
// min-parallel-dots=0.
// CHECK-LABEL: func.func @one_row
// CHECK-NOT: scf.parallel
// CHECK: return
// ALWAYS-LABEL: func.func @one_row
// ALWAYS: scf.parallel
// HIGH-LABEL: func.func @one_row
// HIGH-NOT: scf.parallel
// HIGH: return
func.func @one_row(%a: tensor<1x1024xf32>) -> tensor<1x32xf32> {
  %w = arith.constant dense<0.5> : tensor<1024x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x32xf32>) -> tensor<1x32xf32>
  %r = linalg.matmul ins(%a, %w : tensor<1x1024xf32>, tensor<1024x32xf32>) outs(%f : tensor<1x32xf32>) -> tensor<1x32xf32>
  return %r : tensor<1x32xf32>
}

// -----

// 64 rows (2^21 multiply-adds): shared; above min-parallel-dots=1000000 too.
// CHECK-LABEL: func.func @rows
// CHECK: scf.parallel
// HIGH-LABEL: func.func @rows
// HIGH: scf.parallel
func.func @rows(%a: tensor<64x1024xf32>) -> tensor<64x32xf32> {
  %w = arith.constant dense<0.5> : tensor<1024x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<64x32xf32>) -> tensor<64x32xf32>
  %r = linalg.matmul ins(%a, %w : tensor<64x1024xf32>, tensor<1024x32xf32>) outs(%f : tensor<64x32xf32>) -> tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}

// -----

// A dynamic M: a run-time test, M < ceil(2^16 / 32768) = 2 rows on one
// thread (the nest without scf.parallel), else the shared nest; with
// min-parallel-dots=1000000, M < 31.
// CHECK-LABEL: func.func @dynamic
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[M:.*]] = memref.dim
// CHECK: %[[FEW:.*]] = arith.cmpi ult, %[[M]], %[[TWO]] : index
// CHECK: scf.if %[[FEW]] {
// CHECK-NOT: scf.parallel
// CHECK: } else {
// CHECK: scf.parallel
// HIGH-LABEL: func.func @dynamic
// HIGH: %[[N31:.*]] = arith.constant 31 : index
// HIGH: arith.cmpi ult, %{{.*}}, %[[N31]] : index
// ALWAYS-LABEL: func.func @dynamic
// ALWAYS-NOT: arith.cmpi ult
// ALWAYS: scf.parallel
func.func @dynamic(%a: tensor<?x1024xf32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x1024xf32>
  %w = arith.constant dense<0.5> : tensor<1024x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%m) : tensor<?x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %r = linalg.matmul ins(%a, %w : tensor<?x1024xf32>, tensor<1024x32xf32>) outs(%f : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}
