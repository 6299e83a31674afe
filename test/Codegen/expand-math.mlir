// qnt-expand-math: the math ops no upstream conversion lowers, in arith.
// RUN: quant-opt %s --qnt-expand-math | FileCheck %s

// CHECK-LABEL: func.func @isinf
// CHECK-DAG: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK-DAG: %[[ABS:.*]] = math.absf %arg0 : f32
// CHECK: %[[R:.*]] = arith.cmpf oeq, %[[ABS]], %[[INF]] : f32
// CHECK: return %[[R]]
func.func @isinf(%x: f32) -> i1 {
  %r = math.isinf %x : f32
  return %r : i1
}

// Vectors, and the smallest normal of the operand's own type (f16: 2^-14).
// CHECK-LABEL: func.func @isnormal
// CHECK-DAG: %[[TINY:.*]] = arith.constant dense<6.103520e-05> : vector<8xf16>
// CHECK-DAG: %[[INF:.*]] = arith.constant dense<0x7C00> : vector<8xf16>
// CHECK-DAG: %[[ABS:.*]] = math.absf %arg0 : vector<8xf16>
// CHECK-DAG: %[[LO:.*]] = arith.cmpf oge, %[[ABS]], %[[TINY]]
// CHECK-DAG: %[[HI:.*]] = arith.cmpf olt, %[[ABS]], %[[INF]]
// CHECK: arith.andi %[[LO]], %[[HI]] : vector<8xi1>
// CHECK-NOT: math.isnormal
func.func @isnormal(%x: vector<8xf16>) -> vector<8xi1> {
  %r = math.isnormal %x : vector<8xf16>
  return %r : vector<8xi1>
}

// np.clip's order: the lower bound first, then the upper; NaN propagates
// (maximumf, minimumf); the fast-math flags are kept.
// CHECK-LABEL: func.func @clampf
// CHECK: %[[L:.*]] = arith.maximumf %arg0, %arg1 fastmath<nnan> : vector<16xf32>
// CHECK: %[[R:.*]] = arith.minimumf %[[L]], %arg2 fastmath<nnan> : vector<16xf32>
// CHECK: return %[[R]]
func.func @clampf(%x: vector<16xf32>, %lo: vector<16xf32>, %hi: vector<16xf32>) -> vector<16xf32> {
  %r = math.clampf %x to [%lo, %hi] fastmath<nnan> : vector<16xf32>
  return %r : vector<16xf32>
}

// Other math ops are left to the math lowerings.
// CHECK-LABEL: func.func @others
// CHECK: math.isnan
// CHECK: math.ipowi
func.func @others(%x: f32, %i: i32) -> (i1, i32) {
  %a = math.isnan %x : f32
  %b = math.ipowi %i, %i : i32
  return %a, %b : i1, i32
}
