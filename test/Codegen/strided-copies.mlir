// RUN: quant-opt %s --qnt-strided-copies | FileCheck %s

// A copy into the interior of a padded buffer (a strided target) becomes
// linalg.copy; a copy between contiguous buffers stays for llvm.memcpy.
// CHECK-LABEL: func.func @copies
// CHECK-SAME: (%[[A:.*]]: memref<2x3x3x8xf32>, %[[B:.*]]: memref<2x5x5x8xf32>, %[[C:.*]]: memref<2x3x3x8xf32>)
// CHECK: %[[SUB:.*]] = memref.subview %[[B]][0, 1, 1, 0] [2, 3, 3, 8] [1, 1, 1, 1]
// CHECK: linalg.copy ins(%[[A]] : memref<2x3x3x8xf32>) outs(%[[SUB]] : memref<2x3x3x8xf32, strided<[200, 40, 8, 1], offset: 48>>)
// CHECK: memref.copy %[[A]], %[[C]] : memref<2x3x3x8xf32> to memref<2x3x3x8xf32>
func.func @copies(%a: memref<2x3x3x8xf32>, %b: memref<2x5x5x8xf32>, %c: memref<2x3x3x8xf32>) {
  %sub = memref.subview %b[0, 1, 1, 0] [2, 3, 3, 8] [1, 1, 1, 1] : memref<2x5x5x8xf32> to memref<2x3x3x8xf32, strided<[200, 40, 8, 1], offset: 48>>
  memref.copy %a, %sub : memref<2x3x3x8xf32> to memref<2x3x3x8xf32, strided<[200, 40, 8, 1], offset: 48>>
  memref.copy %a, %c : memref<2x3x3x8xf32> to memref<2x3x3x8xf32>
  return
}
