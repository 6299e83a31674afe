// RUN: quant-opt %s --qnt-single-share --split-input-file | FileCheck %s

// A dynamic trip count (a share of rows of a one-row input): scf.if on
// trips == 1, the body inline with the lower bounds, else the loop.
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[M:.*]]: index, %[[B:.*]]: memref<?x64xf32>)
// CHECK: %[[D:.*]] = arith.subi %[[M]], %{{.*}} : index
// CHECK: %[[N:.*]] = arith.ceildivui %[[D]], %{{.*}} : index
// CHECK: %[[EMPTY:.*]] = arith.cmpi sle, %[[M]], %{{.*}} : index
// CHECK: %[[T:.*]] = arith.select %[[EMPTY]], %{{.*}}, %[[N]] : index
// CHECK: %[[P:.*]] = arith.muli %{{.*}}, %[[T]] : index
// CHECK-NOT: arith.muli
// CHECK: %[[ONE:.*]] = arith.cmpi eq, %[[P]], %{{.*}} : index
// CHECK: scf.if %[[ONE]] {
// CHECK-NEXT: memref.store %{{.*}}, %[[B]][%{{.*}}, %{{.*}}] : memref<?x64xf32>
// CHECK-NEXT: } else {
// CHECK-NEXT: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK-NEXT: memref.store %{{.*}}, %[[B]][%[[I]], %[[J]]] : memref<?x64xf32>
func.func @dynamic(%m: index, %buf: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%m, %c64) step (%c1, %c64) {
    memref.store %f, %buf[%i, %j] : memref<?x64xf32>
  }
  return
}

// -----

// One iteration statically: the body alone. Two or more, a reduction, or a
// loop nested in a parallel loop: unchanged.
// CHECK-LABEL: func.func @static
// CHECK-NOT: scf.if
// CHECK: memref.store %{{.*}}, %arg0[%c0] : memref<8xf32>
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%c0) to (%c8) step (%c4) {
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%arg1) step (%c1) init
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c8) step (%c4) {
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%c0) to (%arg1) step (%c1) {
// CHECK-NOT: scf.if
func.func @static(%buf: memref<8xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c1) step (%c1) {
    memref.store %f, %buf[%i] : memref<8xf32>
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c4) {
    memref.store %f, %buf[%i] : memref<8xf32>
  }
  %s = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%f) -> f32 {
    scf.reduce(%f : f32) {
    ^bb0(%a: f32, %b: f32):
      %t = arith.addf %a, %b : f32
      scf.reduce.return %t : f32
    }
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c4) {
    scf.parallel (%j) = (%c0) to (%n) step (%c1) {
      memref.store %f, %buf[%i] : memref<8xf32>
    }
  }
  return %s : f32
}

// -----

// A body that allocates on the stack: unchanged (inline, the allocation
// would outlive the iteration).
// CHECK-LABEL: func.func @allocates
// CHECK-NOT: scf.if
// CHECK: scf.parallel
// CHECK: memref.alloca
func.func @allocates(%m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%m) step (%c1) {
    %a = memref.alloca() : memref<16xf32>
    memref.store %f, %a[%c0] : memref<16xf32>
  }
  return
}
