// RUN: quant-opt %s --qnt-single-lane-stores --split-input-file | FileCheck %s

// One active lane (lane 0 of an i8 vector: the last column of a row of 33
// after two full vectors): a scalar store of that lane.
// CHECK-LABEL: func.func @lane0
// CHECK-NOT: llvm.intr.masked.store
// CHECK: %[[I:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK: %[[E:.*]] = llvm.extractelement %arg0[%[[I]] : i64] : vector<16xi8>
// CHECK: %[[P:.*]] = llvm.getelementptr inbounds %arg1[0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: llvm.store %[[E]], %[[P]] {alignment = 1 : i64} : i8, !llvm.ptr
func.func @lane0(%v: vector<16xi8>, %p: !llvm.ptr) {
  %m = arith.constant dense<[true, false, false, false, false, false, false, false, false, false, false, false, false, false, false, false]> : vector<16xi1>
  llvm.intr.masked.store %v, %p, %m {alignment = 1 : i32} : vector<16xi8>, vector<16xi1> into !llvm.ptr
  return
}

// -----

// Another lane, f32 elements of a 64-byte aligned vector, the mask an LLVM
// constant: the lane's address, aligned to its element.
// CHECK-LABEL: func.func @lane3
// CHECK: %[[I:.*]] = llvm.mlir.constant(3 : i64) : i64
// CHECK: %[[E:.*]] = llvm.extractelement %arg0[%[[I]] : i64] : vector<8xf32>
// CHECK: %[[P:.*]] = llvm.getelementptr inbounds %arg1[3] : (!llvm.ptr) -> !llvm.ptr, f32
// CHECK: llvm.store %[[E]], %[[P]] {alignment = 4 : i64} : f32, !llvm.ptr
func.func @lane3(%v: vector<8xf32>, %p: !llvm.ptr) {
  %m = llvm.mlir.constant(dense<[false, false, false, true, false, false, false, false]> : vector<8xi1>) : vector<8xi1>
  llvm.intr.masked.store %v, %p, %m {alignment = 64 : i32} : vector<8xf32>, vector<8xi1> into !llvm.ptr
  return
}

// -----

// Two lanes, a mask known only at run time, or lanes narrower than a byte:
// unchanged.
// CHECK-LABEL: func.func @unchanged
// CHECK: llvm.intr.masked.store %arg0, %arg1, %{{.*}} {alignment = 1 : i32}
// CHECK: llvm.intr.masked.store %arg0, %arg1, %arg2 {alignment = 1 : i32}
// CHECK: llvm.intr.masked.store %arg3, %arg1, %{{.*}} {alignment = 1 : i32}
// CHECK-NOT: llvm.store
func.func @unchanged(%v: vector<16xi8>, %p: !llvm.ptr, %dyn: vector<16xi1>, %bits: vector<16xi1>) {
  %m = arith.constant dense<[true, true, false, false, false, false, false, false, false, false, false, false, false, false, false, false]> : vector<16xi1>
  %one = arith.constant dense<[true, false, false, false, false, false, false, false, false, false, false, false, false, false, false, false]> : vector<16xi1>
  llvm.intr.masked.store %v, %p, %m {alignment = 1 : i32} : vector<16xi8>, vector<16xi1> into !llvm.ptr
  llvm.intr.masked.store %v, %p, %dyn {alignment = 1 : i32} : vector<16xi8>, vector<16xi1> into !llvm.ptr
  llvm.intr.masked.store %bits, %p, %one {alignment = 1 : i32} : vector<16xi1>, vector<16xi1> into !llvm.ptr
  return
}
