// RUN: quant-opt %s --qnt-strided-copies | FileCheck %s

// A copy into the interior of a padded buffer (a strided target) becomes
// linalg.copy; a copy between contiguous buffers stays for llvm.memcpy.
// CHECK-LABEL: func.func @copies
// CHECK-SAME: (%[[A:.*]]: memref<2x3x3x8xf32>, %[[B:.*]]: memref<2x5x5x8xf32>, %[[C:.*]]: memref<2x3x3x8xf32>)
// CHECK: %[[SUB:.*]] = memref.subview %[[B]][0, 1, 1, 0] [2, 3, 3, 8] [1, 1, 1, 1]
// The trailing dimensions contiguous in both (w, c: 3 x 8) are one.
// CHECK: %[[FA:.*]] = memref.collapse_shape %[[A]] {{\[}}[0], [1], [2, 3]] : memref<2x3x3x8xf32> into memref<2x3x24xf32>
// CHECK: %[[FS:.*]] = memref.collapse_shape %[[SUB]] {{\[}}[0], [1], [2, 3]] : memref<2x3x3x8xf32, strided<[200, 40, 8, 1], offset: 48>> into memref<2x3x24xf32, strided<[200, 40, 1], offset: 48>>
// CHECK: linalg.copy ins(%[[FA]] : memref<2x3x24xf32>) outs(%[[FS]] : memref<2x3x24xf32, strided<[200, 40, 1], offset: 48>>)
// CHECK: memref.copy %[[A]], %[[C]] : memref<2x3x3x8xf32> to memref<2x3x3x8xf32>
func.func @copies(%a: memref<2x3x3x8xf32>, %b: memref<2x5x5x8xf32>, %c: memref<2x3x3x8xf32>) {
  %sub = memref.subview %b[0, 1, 1, 0] [2, 3, 3, 8] [1, 1, 1, 1] : memref<2x5x5x8xf32> to memref<2x3x3x8xf32, strided<[200, 40, 8, 1], offset: 48>>
  memref.copy %a, %sub : memref<2x3x3x8xf32> to memref<2x3x3x8xf32, strided<[200, 40, 8, 1], offset: 48>>
  memref.copy %a, %c : memref<2x3x3x8xf32> to memref<2x3x3x8xf32>
  return
}

// A padded buffer: its fill (linalg.map, as bufferization writes a
// tensor.pad) covers only the border the copy leaves, in slabs: dimension
// 1 before and after the interior, then dimension 2 within the interior
// rows (dimension 0 and 3 are not padded: no slab).
// CHECK-LABEL: func.func @pad_fill
// CHECK: %[[P:.*]] = memref.alloc() : memref<2x5x6x8xf32>
// CHECK-NOT: linalg.map
// CHECK: %[[S0:.*]] = memref.subview %[[P]][0, 0, 0, 0] [2, 1, 6, 8] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[S0]]
// CHECK: %[[S1:.*]] = memref.subview %[[P]][0, 4, 0, 0] [2, 1, 6, 8] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[S1]]
// CHECK: %[[S2:.*]] = memref.subview %[[P]][0, 1, 0, 0] [2, 3, 2, 8] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[S2]]
// CHECK: %[[S3:.*]] = memref.subview %[[P]][0, 1, 5, 0] [2, 3, 1, 8] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[S3]]
// CHECK-NOT: linalg.fill
// CHECK: linalg.copy ins(%{{.*}} : memref<2x3x24xf32>) outs(%{{.*}} : memref<2x3x24xf32, strided<[240, 48, 1], offset: 64>>)
func.func @pad_fill(%a: memref<2x3x3x8xf32>) -> memref<2x5x6x8xf32> {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<2x5x6x8xf32>
  linalg.map outs(%p : memref<2x5x6x8xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  %sub = memref.subview %p[0, 1, 2, 0] [2, 3, 3, 8] [1, 1, 1, 1] : memref<2x5x6x8xf32> to memref<2x3x3x8xf32, strided<[240, 48, 8, 1], offset: 64>>
  memref.copy %a, %sub : memref<2x3x3x8xf32> to memref<2x3x3x8xf32, strided<[240, 48, 8, 1], offset: 64>>
  return %p : memref<2x5x6x8xf32>
}

// The buffer read between the fill and the copy: the whole fill stays.
// CHECK-LABEL: func.func @pad_fill_read
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<2x5x6x8xf32>)
// CHECK-NOT: linalg.fill
func.func @pad_fill_read(%a: memref<2x3x3x8xf32>, %out: memref<2x5x6x8xf32>) -> memref<2x5x6x8xf32> {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<2x5x6x8xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<2x5x6x8xf32>)
  memref.copy %p, %out : memref<2x5x6x8xf32> to memref<2x5x6x8xf32>
  %sub = memref.subview %p[0, 1, 2, 0] [2, 3, 3, 8] [1, 1, 1, 1] : memref<2x5x6x8xf32> to memref<2x3x3x8xf32, strided<[240, 48, 8, 1], offset: 64>>
  memref.copy %a, %sub : memref<2x3x3x8xf32> to memref<2x3x3x8xf32, strided<[240, 48, 8, 1], offset: 64>>
  return %p : memref<2x5x6x8xf32>
}
