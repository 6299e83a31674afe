// qnt-vectorize-copy-loops: innermost element-by-element copy loops along a
// unit-stride dimension of two buffers that cannot overlap become 64-byte
// vector loads and stores and a masked tail; others stay.
// RUN: quant-opt %s --qnt-vectorize-copy-loops | FileCheck %s

// 200 floats per row into a strided slice of a fresh buffer: 12 vectors of
// 16 and a masked tail of 8.
// CHECK-LABEL: func.func @rows
// CHECK: scf.for %[[R:.*]] = %c0 to %c4
// CHECK: scf.for %[[K:.*]] = %c0 to %c192 step %c16
// CHECK: %[[V:.*]] = vector.load %arg0[%[[R]], %[[K]]] : memref<4x200xf32>, vector<16xf32>
// CHECK: vector.store %[[V]], %{{.*}}[%[[R]], %[[K]]] : memref<4x200xf32, strided<[600, 1], offset: 200>>, vector<16xf32>
// CHECK: %[[M:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.maskedload %arg0[%[[R]], %c192], %[[M]]
// CHECK: vector.maskedstore %{{.*}}[%[[R]], %c192], %[[M]]
// CHECK-NOT: memref.load
func.func @rows(%src: memref<4x200xf32>) -> memref<4x600xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c200 = arith.constant 200 : index
  %dst = memref.alloc() : memref<4x600xf32>
  %view = memref.subview %dst[0, 200] [4, 200] [1, 1] : memref<4x600xf32> to memref<4x200xf32, strided<[600, 1], offset: 200>>
  scf.for %r = %c0 to %c4 step %c1 {
    scf.for %k = %c0 to %c200 step %c1 {
      %v = memref.load %src[%r, %k] : memref<4x200xf32>
      memref.store %v, %view[%r, %k] : memref<4x200xf32, strided<[600, 1], offset: 200>>
    }
  }
  return %dst : memref<4x600xf32>
}

// A dynamic length of bytes: vectors of 64, the tail under scf.if.
// CHECK-LABEL: func.func @dynamic
// CHECK: scf.for %{{.*}} step %c64
// CHECK: vector.load {{.*}} : memref<?xi8>, vector<64xi8>
// CHECK: scf.if
// CHECK: vector.maskedstore
func.func @dynamic(%src: memref<?xi8>, %n: index) -> memref<?xi8> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %dst = memref.alloc(%n) : memref<?xi8>
  scf.for %k = %c0 to %n step %c1 {
    %v = memref.load %src[%k] : memref<?xi8>
    memref.store %v, %dst[%k] : memref<?xi8>
  }
  return %dst : memref<?xi8>
}

// Left alone: two function arguments (they may overlap), a strided
// innermost dimension, a row shorter than a vector, a loop that computes.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: vector.
// CHECK: return
func.func @kept(%a: memref<64xf32>, %b: memref<64xf32>, %t: memref<4x64xf32>) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  scf.for %k = %c0 to %c64 step %c1 {
    %v = memref.load %a[%k] : memref<64xf32>
    memref.store %v, %b[%k] : memref<64xf32>
  }
  %d = memref.alloc() : memref<64x4xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %k = %c0 to %c64 step %c1 {
      %v = memref.load %t[%i, %k] : memref<4x64xf32>
      memref.store %v, %d[%k, %i] : memref<64x4xf32>
    }
  }
  %s = memref.alloc() : memref<8xf32>
  scf.for %k = %c0 to %c8 step %c1 {
    %v = memref.load %a[%k] : memref<64xf32>
    memref.store %v, %s[%k] : memref<8xf32>
  }
  %e = memref.alloc() : memref<64xf32>
  scf.for %k = %c0 to %c64 step %c1 {
    %v = memref.load %a[%k] : memref<64xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %e[%k] : memref<64xf32>
  }
  return %s : memref<8xf32>
}
