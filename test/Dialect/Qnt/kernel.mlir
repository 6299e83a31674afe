// qnt.kernel: a kernel written on buffers inside tensor code. It round-trips,
// and one-shot bufferization gives its body the buffers: allocations for
// fresh outputs, globals for constants, casts where a buffer's layout fits
// the body's, copies where it does not (kernel-exec.test runs them).
// RUN: quant-opt %s --split-input-file | quant-opt --split-input-file | FileCheck %s --check-prefix=ROUND
// RUN: quant-opt %s --split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s

// ROUND-LABEL: func.func @scale
// ROUND: qnt.kernel ins(%{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<8xf32>) outs(%{{.*}} : tensor<?x8xf32>) {
// ROUND-NEXT: ^bb0(%{{.*}}: memref<?x8xf32, strided<[?, 1], offset: ?>>, %{{.*}}: memref<8xf32>, %{{.*}}: memref<?x8xf32>):
// ROUND: } -> tensor<?x8xf32>

// CHECK: memref.global "private" constant @[[$G:.*]] : memref<8xf32> = dense<2.000000e+00> {alignment = 64 : i64}
// CHECK-LABEL: func.func @scale
// CHECK-SAME: (%[[X:.*]]: memref<?x8xf32>) -> memref<?x8xf32>
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x8xf32>
// CHECK: %[[W:.*]] = memref.get_global @[[$G]] : memref<8xf32>
// CHECK: %[[XC:.*]] = memref.cast %[[X]] : memref<?x8xf32> to memref<?x8xf32, strided<[?, 1], offset: ?>>
// CHECK-NOT: qnt.kernel
// CHECK: vector.load %[[W]]
// CHECK: scf.for
// CHECK: vector.load %[[XC]]
// CHECK: vector.store %{{.*}}, %[[OUT]]
// CHECK: return %[[OUT]]
func.func @scale(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %w = arith.constant dense<2.0> : tensor<8xf32>
  %r = qnt.kernel ins(%x, %w : tensor<?x8xf32>, tensor<8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%xb: memref<?x8xf32, strided<[?, 1], offset: ?>>, %wb: memref<8xf32>, %ob: memref<?x8xf32>):
    %c0_0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %m = memref.dim %xb, %c0_0 : memref<?x8xf32, strided<[?, 1], offset: ?>>
    %wv = vector.load %wb[%c0_0] : memref<8xf32>, vector<8xf32>
    scf.for %i = %c0_0 to %m step %c1 {
      %v = vector.load %xb[%i, %c0_0] : memref<?x8xf32, strided<[?, 1], offset: ?>>, vector<8xf32>
      %p = arith.mulf %v, %wv : vector<8xf32>
      vector.store %p, %ob[%i, %c0_0] : memref<?x8xf32>, vector<8xf32>
    }
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// An input whose innermost stride is 2 cannot be cast to the body's unit
// innermost stride: it is copied. The output, written in place into a
// window of %big (a static offset the body's identity layout cannot take),
// is copied in, and back after the body.
// ROUND-LABEL: func.func @strided
// CHECK-LABEL: func.func @strided
// CHECK-SAME: (%[[X:.*]]: memref<4x16xf32>, %[[BIG:.*]]: memref<8x8xf32>)
// CHECK: %[[S:.*]] = memref.subview %[[X]][0, 0] [4, 8] [1, 2]
// CHECK: %[[D:.*]] = memref.subview %[[BIG]][2, 0] [4, 8] [1, 1]
// CHECK: %[[XCOPY:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x8xf32>
// CHECK: memref.copy %[[S]], %[[XCOPY]]
// CHECK: %[[XC:.*]] = memref.cast %[[XCOPY]] : memref<4x8xf32> to memref<4x8xf32, strided<[?, 1], offset: ?>>
// CHECK: %[[OCOPY:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x8xf32>
// CHECK: memref.copy %[[D]], %[[OCOPY]]
// CHECK: scf.for
// CHECK: vector.load %[[XC]]
// CHECK: vector.store %{{.*}}, %[[OCOPY]]
// CHECK: }
// CHECK-NEXT: memref.copy %[[OCOPY]], %[[D]]
// CHECK: return %[[BIG]]
func.func @strided(%x: tensor<4x16xf32>, %big: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %s = tensor.extract_slice %x[0, 0] [4, 8] [1, 2] : tensor<4x16xf32> to tensor<4x8xf32>
  %d = tensor.extract_slice %big[2, 0] [4, 8] [1, 1] : tensor<8x8xf32> to tensor<4x8xf32>
  %r = qnt.kernel ins(%s : tensor<4x8xf32>) outs(%d : tensor<4x8xf32>) {
  ^bb0(%xb: memref<4x8xf32, strided<[?, 1], offset: ?>>, %ob: memref<4x8xf32>):
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    scf.for %i = %c0 to %c4 step %c1 {
      %v = vector.load %xb[%i, %c0] : memref<4x8xf32, strided<[?, 1], offset: ?>>, vector<8xf32>
      %o = vector.load %ob[%i, %c0] : memref<4x8xf32>, vector<8xf32>
      %p = arith.addf %v, %o : vector<8xf32>
      vector.store %p, %ob[%i, %c0] : memref<4x8xf32>, vector<8xf32>
    }
  } -> tensor<4x8xf32>
  %y = tensor.insert_slice %r into %big[2, 0] [4, 8] [1, 1] : tensor<4x8xf32> into tensor<8x8xf32>
  return %y : tensor<8x8xf32>
}
