// RUN: quant-opt %s --qnt-parallel-loops=threads=2 | FileCheck %s
// RUN: not quant-opt %s --qnt-parallel-loops=threads=0 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: qnt-parallel-loops: threads must be at least 1, not 0

// The outer parallel loops of a linalg op on buffers become one
// scf.parallel, as many as it takes to reach 4 x threads iterations
// (2 x 64 = 128 >= 8); the inner loops stay scf.for.
// CHECK-LABEL: func.func @copy
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c2, %c64) step (%c1, %c1) {
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c64 step %c1 {
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c8 step %c1 {
// CHECK: memref.load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<2x64x64x8xf32>
// CHECK: memref.store
// CHECK: scf.reduce
func.func @copy(%a: memref<2x64x64x8xf32>, %b: memref<2x64x64x8xf32, strided<[36992, 544, 8, 1], offset: 552>>) {
  linalg.copy ins(%a : memref<2x64x64x8xf32>) outs(%b : memref<2x64x64x8xf32, strided<[36992, 544, 8, 1], offset: 552>>)
  return
}

// A dynamic outer dimension is enough on its own; the reduction of a
// pooling stays inside, sequential.
// CHECK-LABEL: func.func @pool
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%{{.*}}) step (%c1) {
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for
// CHECK-NOT: scf.parallel
func.func @pool(%x: memref<?x4x4x8xf32>, %k: memref<2x2xf32>, %y: memref<?x2x2x8xf32>) {
  linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %k : memref<?x4x4x8xf32>, memref<2x2xf32>) outs(%y : memref<?x2x2x8xf32>)
  return
}

// Ops already inside a parallel loop (a kernel's) and ops whose outer
// dimension is a reduction are left to convert-linalg-to-loops.
// CHECK-LABEL: func.func @left
// CHECK: scf.parallel
// CHECK: linalg.fill
// CHECK: linalg.generic
func.func @left(%x: memref<4x8xf32>, %s: memref<8xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    linalg.fill ins(%v : f32) outs(%x : memref<4x8xf32>)
    scf.reduce
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%x : memref<4x8xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// Fewer than 2^15 iterations in all: one thread.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// CHECK: linalg.copy
func.func @small(%a: memref<4x8xf32>, %b: memref<4x8xf32, strided<[16, 1]>>) {
  linalg.copy ins(%a : memref<4x8xf32>) outs(%b : memref<4x8xf32, strided<[16, 1]>>)
  return
}
