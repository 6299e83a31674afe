// RUN: quant-opt %s --split-input-file --qnt-reciprocal-division | FileCheck %s

// A division by a broadcast scalar whose quotient is rounded and tested for
// NaN: the reciprocal once, a multiplication, the test against 2^-20 |t|
// (9.53674316E-7) and |s| <= 2^126, and the division on the slow path; the
// roundeven user takes the scf.if's second result.
// CHECK-LABEL: func.func @quantize
// CHECK-SAME: (%[[X:.*]]: vector<16xf32>, %[[S:.*]]: f32)
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[HALF:.*]] = arith.constant dense<5.000000e-01> : vector<16xf32>
// CHECK-DAG: %[[EPS:.*]] = arith.constant dense<9.53674316E-7> : vector<16xf32>
// CHECK: %[[SV:.*]] = vector.broadcast %[[S]] : f32 to vector<16xf32>
// CHECK: %[[R:.*]] = arith.divf %[[ONE]], %[[S]] : f32
// CHECK: %[[RV:.*]] = vector.broadcast %[[R]] : f32 to vector<16xf32>
// CHECK: %[[T:.*]] = arith.mulf %[[X]], %[[RV]] : vector<16xf32>
// CHECK: %[[N:.*]] = math.roundeven %[[T]] : vector<16xf32>
// CHECK: %[[D:.*]] = arith.subf %[[T]], %[[N]] : vector<16xf32>
// CHECK: %[[AD:.*]] = math.absf %[[D]] : vector<16xf32>
// CHECK: %[[FROM:.*]] = arith.subf %[[HALF]], %[[AD]] : vector<16xf32>
// CHECK: %[[AT:.*]] = math.absf %[[T]] : vector<16xf32>
// CHECK: %[[M:.*]] = arith.mulf %[[AT]], %[[EPS]] : vector<16xf32>
// CHECK: %[[FAR:.*]] = arith.cmpf ogt, %[[FROM]], %[[M]] : vector<16xf32>
// CHECK: %[[AS:.*]] = math.absf %[[S]] : f32
// CHECK: %[[OK:.*]] = arith.cmpf ole, %[[AS]], %{{.*}} : f32
// CHECK: %[[RED:.*]] = vector.reduction <and>, %[[FAR]] : vector<16xi1> into i1
// CHECK: %[[ALL:.*]] = arith.andi %[[RED]], %[[OK]] : i1
// CHECK: %[[IF:.*]]:2 = scf.if %[[ALL]] -> (vector<16xf32>, vector<16xf32>) {
// CHECK:   scf.yield %[[T]], %[[N]] : vector<16xf32>, vector<16xf32>
// CHECK: } else {
// CHECK:   %[[Q:.*]] = arith.divf %[[X]], %[[SV]] : vector<16xf32>
// CHECK:   %[[QN:.*]] = math.roundeven %[[Q]] : vector<16xf32>
// CHECK:   scf.yield %[[Q]], %[[QN]] : vector<16xf32>, vector<16xf32>
// CHECK: }
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[IF]]#0, %[[IF]]#0 : vector<16xf32>
// CHECK: arith.select %[[NAN]], %{{.*}}, %[[IF]]#1 : vector<16xi1>, vector<16xf32>
func.func @quantize(%x: vector<16xf32>, %s: f32) -> vector<16xf32> {
  %sv = vector.broadcast %s : f32 to vector<16xf32>
  %q = arith.divf %x, %sv : vector<16xf32>
  %r = math.roundeven %q : vector<16xf32>
  %nan = arith.cmpf uno, %q, %q : vector<16xf32>
  %z = arith.constant dense<3.0> : vector<16xf32>
  %y = arith.select %nan, %z, %r : vector<16xi1>, vector<16xf32>
  return %y : vector<16xf32>
}

// -----

// A splat constant divisor, rounded half away from zero: the same test;
// math.round applies to the first result.
// CHECK-LABEL: func.func @splat_round
// CHECK: %[[IF:.*]]:2 = scf.if
// CHECK: math.round %[[IF]]#0 : vector<16xf32>
func.func @splat_round(%x: vector<16xf32>) -> vector<16xf32> {
  %s = arith.constant dense<0.1> : vector<16xf32>
  %q = arith.divf %x, %s : vector<16xf32>
  %r = math.round %q : vector<16xf32>
  return %r : vector<16xf32>
}

// -----

// Left alone: a quotient used as a float, a divisor that varies by lane, a
// scalar division.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: scf.if
// CHECK: arith.divf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: arith.divf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK-NOT: scf.if
func.func @kept(%x: vector<16xf32>, %v: vector<16xf32>, %s: f32, %a: f32) -> (vector<16xf32>, vector<16xf32>, f32) {
  %sv = vector.broadcast %s : f32 to vector<16xf32>
  %q = arith.divf %x, %sv : vector<16xf32>
  %r = math.roundeven %q : vector<16xf32>
  %sum = arith.addf %r, %q : vector<16xf32>
  %q2 = arith.divf %x, %v : vector<16xf32>
  %r2 = math.roundeven %q2 : vector<16xf32>
  %q3 = arith.divf %a, %s : f32
  %r3 = math.roundeven %q3 : f32
  return %sum, %r2, %r3 : vector<16xf32>, vector<16xf32>, f32
}

// -----

// A quotient rounded both ways and tested with ord: roundeven takes the
// second result, round and the test the first. A division inside an scf.if
// (as the slow path's own) is left alone.
// CHECK-LABEL: func.func @both
// CHECK: %[[IF:.*]]:2 = scf.if
// CHECK: } else {
// CHECK: arith.divf
// CHECK: }
// CHECK-DAG: math.round %[[IF]]#0 : vector<16xf32>
// CHECK-DAG: arith.cmpf ord, %[[IF]]#0, %[[IF]]#0 : vector<16xf32>
// CHECK-DAG: arith.addf %[[IF]]#1, %{{.*}} : vector<16xf32>
// CHECK-LABEL: func.func @inside_if
// CHECK-NOT: vector.reduction
// CHECK: scf.if %{{.*}} -> (vector<16xf32>) {
// CHECK-NEXT: arith.divf
func.func @both(%x: vector<16xf32>, %s: f32) -> (vector<16xf32>, vector<16xi1>) {
  %sv = vector.broadcast %s : f32 to vector<16xf32>
  %q = arith.divf %x, %sv : vector<16xf32>
  %a = math.roundeven %q : vector<16xf32>
  %b = math.round %q : vector<16xf32>
  %c = arith.addf %a, %b : vector<16xf32>
  %o = arith.cmpf ord, %q, %q : vector<16xf32>
  return %c, %o : vector<16xf32>, vector<16xi1>
}
func.func @inside_if(%x: vector<16xf32>, %s: f32, %p: i1) -> vector<16xf32> {
  %sv = vector.broadcast %s : f32 to vector<16xf32>
  %r = scf.if %p -> (vector<16xf32>) {
    %q = arith.divf %x, %sv : vector<16xf32>
    %n = math.roundeven %q : vector<16xf32>
    scf.yield %n : vector<16xf32>
  } else {
    scf.yield %x : vector<16xf32>
  }
  return %r : vector<16xf32>
}
