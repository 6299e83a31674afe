// qnt-vectorize-elementwise: element-wise generics and min/max reductions
// on vectors; other generics stay.
// RUN: quant-opt %s --qnt-vectorize-elementwise --split-input-file 2>&1 | FileCheck %s
// RUN: quant-opt %s --qnt-vectorize-elementwise="lanes=8" --split-input-file 2>&1 | FileCheck %s --check-prefix=LANES8
// RUN: not quant-opt %s --qnt-vectorize-elementwise="lanes=5" --split-input-file 2>&1 | FileCheck %s --check-prefix=BADLANES
// BADLANES: error: qnt-vectorize-elementwise: lanes must be 16 or 8, not 5
// RUN: quant-opt %s --qnt-vectorize-elementwise="reassociate-float-sums=true" --split-input-file 2>&1 | FileCheck %s --check-prefix=SUMS

// Identity maps and a scalar (0-d) input: one loop over all elements,
// written into the init (destination passing; the input is f32). The
// loops are tensor code: they read the inputs as tensors and leave the
// buffers to bufferization.
// CHECK-LABEL: func.func @quantize
// CHECK: %[[X:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : tensor<?x28x28x1xf32> into tensor<?xf32>
// CHECK: tensor.extract %{{.*}}[] : tensor<f32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : tensor<?x28x28x1xi8> into tensor<?xi8>
// CHECK: scf.for {{.*}} -> (tensor<?xi8>)
// CHECK: vector.transfer_read %[[X]]{{.*}} {in_bounds = [true]} : tensor<?xf32>, vector<16xf32>
// CHECK: arith.divf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: math.roundeven %{{.*}} : vector<16xf32>
// CHECK: arith.fptosi %{{.*}} : vector<16xf32> to vector<16xi8>
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<16xi8>, tensor<?xi8>
// The tail: one masked vector.
// CHECK: scf.for
// CHECK: vector.transfer_read %[[X]]{{.*}} : tensor<?xf32>, vector<16xf32>
// CHECK-NOT: in_bounds
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2, 3]] output_shape [%{{.*}}, 28, 28, 1] : tensor<?xi8> into tensor<?x28x28x1xi8>
// CHECK-NOT: linalg.generic
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar = affine_map<(d0, d1, d2, d3) -> ()>
func.func @quantize(%x: tensor<?x28x28x1xf32>, %s: tensor<f32>) -> tensor<?x28x28x1xi8> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x28x28x1xf32>
  %e = tensor.empty(%n) : tensor<?x28x28x1xi8>
  %q = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %s : tensor<?x28x28x1xf32>, tensor<f32>) outs(%e : tensor<?x28x28x1xi8>) {
  ^bb0(%a: f32, %scale: f32, %o: i8):
    %d = arith.divf %a, %scale : f32
    %r = math.roundeven %d : f32
    %lo = arith.constant -128.0 : f32
    %hi = arith.constant 127.0 : f32
    %c = arith.maximumf %r, %lo : f32
    %c2 = arith.minimumf %c, %hi : f32
    %i = arith.fptosi %c2 : f32 to i8
    linalg.yield %i : i8
  } -> tensor<?x28x28x1xi8>
  return %q : tensor<?x28x28x1xi8>
}

// -----

// A per-channel input: vectors along the last dimension, of its size (8)
// when it is shorter than the lanes; the result written into %x.
// CHECK-LABEL: func.func @bias_relu
// CHECK: scf.for {{.*}} -> (tensor<?x14x14x8xf32>)
// CHECK: scf.for {{.*}} -> (tensor<?x14x14x8xf32>)
// CHECK: scf.for {{.*}} -> (tensor<?x14x14x8xf32>)
// CHECK: vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<8xf32>, vector<8xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: vector.transfer_write {{.*}} : vector<8xf32>, tensor<?x14x14x8xf32>
// CHECK-NOT: linalg.generic
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#col = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @bias_relu(%x: tensor<?x14x14x8xf32>) -> tensor<?x14x14x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x14x14x8xf32>
  %b = arith.constant dense<[0.1, 0.2, 0.3, -0.4, 0.5, 0.6, 0.7, 0.8]> : tensor<8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x14x14x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %b : tensor<?x14x14x8xf32>, tensor<8xf32>) outs(%e : tensor<?x14x14x8xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x14x14x8xf32>
  return %y : tensor<?x14x14x8xf32>
}

// -----

// The range reduction of qnt.dynamic_quantize: min and max of the finite
// elements, per row. One vector of partial results each, then the tail as
// one masked vector (the body on every lane, the lanes past the end keeping
// their partial results), then vector.reduction.
// CHECK-LABEL: func.func @range
// CHECK: scf.for
// CHECK: %[[V:.*]]:2 = scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// CHECK: math.absf %{{.*}} : vector<16xf32>
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK: %[[M:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.transfer_read {{.*}} : memref<?x100xf32>, vector<16xf32>
// CHECK: math.absf %{{.*}} : vector<16xf32>
// CHECK: %[[T0:.*]] = arith.select %[[M]], %{{.*}}, %[[V]]#0 : vector<16xi1>, vector<16xf32>
// CHECK: vector.reduction <minimumf>, %[[T0]] : vector<16xf32> into f32
// CHECK: %[[T1:.*]] = arith.select %[[M]], %{{.*}}, %[[V]]#1 : vector<16xi1>, vector<16xf32>
// CHECK: vector.reduction <maximumf>, %[[T1]] : vector<16xf32> into f32
// CHECK: memref.store
// CHECK-NOT: linalg.generic
// LANES8-LABEL: func.func @range
// LANES8: vector.reduction <minimumf>, %{{.*}} : vector<8xf32> into f32
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @range(%x: tensor<?x100xf32>, %lo: tensor<?xf32>, %hi: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %inf = arith.constant 0x7F800000 : f32
  %r:2 = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x100xf32>) outs(%lo, %hi : tensor<?xf32>, tensor<?xf32>) {
  ^bb0(%a: f32, %mn: f32, %mx: f32):
    %abs = math.absf %a : f32
    %finite = arith.cmpf olt, %abs, %inf : f32
    %m1 = arith.minimumf %mn, %a : f32
    %m2 = arith.maximumf %mx, %a : f32
    %s1 = arith.select %finite, %m1, %mn : f32
    %s2 = arith.select %finite, %m2, %mx : f32
    linalg.yield %s1, %s2 : f32, f32
  } -> (tensor<?xf32>, tensor<?xf32>)
  return %r#0, %r#1 : tensor<?xf32>, tensor<?xf32>
}

// -----

// A sum is not order-independent in f32, and a body reading linalg.index is
// not element-wise mappable: both stay. With reassociate-float-sums the sum
// is a reduction over 16 lanes starting at -0.0 (so that a sum of negative
// zeros stays -0, as in order), the lanes combined with the init as a tree.
// SUMS-LABEL: func.func @kept
// SUMS: qnt.kernel
// SUMS: arith.constant dense<-0.000000e+00> : vector<16xf32>
// SUMS: scf.for
// SUMS: arith.addf %{{.*}}, %{{.*}} : vector<16xf32>
// SUMS: vector.reduction <add>, %{{.*}}, %{{.*}} fastmath<reassoc> : vector<16xf32> into f32
// SUMS: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK-LABEL: func.func @kept
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK: linalg.index 0
func.func @kept(%x: tensor<64xf32>, %acc: tensor<f32>, %e: tensor<64xf32>) -> (tensor<f32>, tensor<64xf32>) {
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%x : tensor<64xf32>) outs(%acc : tensor<f32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %i = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<64xf32>) outs(%e : tensor<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %idx = linalg.index 0 : index
    %c = arith.index_cast %idx : index to i32
    %f = arith.sitofp %c : i32 to f32
    %r = arith.addf %a, %f : f32
    linalg.yield %r : f32
  } -> tensor<64xf32>
  return %s, %i : tensor<f32>, tensor<64xf32>
}

// -----

// Integer division (the padding of a masked tail would divide by zero) and
// i1 tensors (bit-packed in vectors) are left alone.
// CHECK-LABEL: func.func @division_and_i1
// CHECK: linalg.generic
// CHECK: arith.divsi
// CHECK: linalg.generic
// CHECK: arith.cmpf
#id1 = affine_map<(d0) -> (d0)>
func.func @division_and_i1(%a: tensor<20xi32>, %b: tensor<20xi32>, %x: tensor<20xf32>) -> (tensor<20xi32>, tensor<20xi1>) {
  %e = tensor.empty() : tensor<20xi32>
  %q = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]} ins(%a, %b : tensor<20xi32>, tensor<20xi32>) outs(%e : tensor<20xi32>) {
  ^bb0(%u: i32, %v: i32, %o: i32):
    %d = arith.divsi %u, %v : i32
    linalg.yield %d : i32
  } -> tensor<20xi32>
  %eb = tensor.empty() : tensor<20xi1>
  %zero = arith.constant 0.0 : f32
  %c = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%x : tensor<20xf32>) outs(%eb : tensor<20xi1>) {
  ^bb0(%u: f32, %o: i1):
    %p = arith.cmpf ogt, %u, %zero : f32
    linalg.yield %p : i1
  } -> tensor<20xi1>
  return %q, %c : tensor<20xi32>, tensor<20xi1>
}

// -----

// Two non-constant inputs (they might be views of one buffer): the vectors
// go into the init, not into an input.
// CHECK-LABEL: func.func @two_inputs
// CHECK: %[[E:.*]] = tensor.empty() : tensor<40xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[E]]) -> (tensor<40xf32>)
// An input with constant companions is written in place.
// CHECK-LABEL: func.func @in_place
// CHECK-SAME: (%[[X:.*]]: tensor<40xf32>)
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[X]]) -> (tensor<40xf32>)
#id2 = affine_map<(d0) -> (d0)>
func.func @two_inputs(%x: tensor<40xf32>, %y: tensor<40xf32>) -> tensor<40xf32> {
  %e = tensor.empty() : tensor<40xf32>
  %s = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel"]} ins(%x, %y : tensor<40xf32>, tensor<40xf32>) outs(%e : tensor<40xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %a = arith.addf %u, %v : f32
    linalg.yield %a : f32
  } -> tensor<40xf32>
  return %s : tensor<40xf32>
}
func.func @in_place(%x: tensor<40xf32>) -> tensor<40xf32> {
  %b = arith.constant dense<2.0> : tensor<40xf32>
  %e = tensor.empty() : tensor<40xf32>
  %s = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel"]} ins(%x, %b : tensor<40xf32>, tensor<40xf32>) outs(%e : tensor<40xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %a = arith.mulf %u, %v : f32
    linalg.yield %a : f32
  } -> tensor<40xf32>
  return %s : tensor<40xf32>
}

// -----

// An integer sum wraps, so it does not depend on the order either: lanes
// start at 0, the init is added once.
// A second input whose value the body does not use (it only gives the loops
// their shape, as in the row sums of asymmetric weights) is allowed.
// CHECK-LABEL: func.func @int_sum
// CHECK: %[[Z:.*]] = arith.constant dense<0> : vector<16xi32>
// CHECK: %[[V:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[Z]]) -> (vector<16xi32>)
// CHECK: arith.extui %{{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: %[[T:.*]] = arith.select %{{.*}}, %{{.*}}, %[[V]] : vector<16xi1>, vector<16xi32>
// CHECK: %[[R:.*]] = vector.reduction <add>, %[[T]] : vector<16xi32> into i32
// CHECK: arith.addi %{{.*}}, %[[R]] : i32
// CHECK-NOT: linalg.generic
func.func @int_sum(%x: tensor<?x100xi8>, %shape: tensor<100xi8>, %init: tensor<?xi32>) -> tensor<?xi32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x, %shape : tensor<?x100xi8>, tensor<100xi8>) outs(%init : tensor<?xi32>) {
  ^bb0(%a: i8, %unused: i8, %acc: i32):
    %w = arith.extui %a : i8 to i32
    %s = arith.addi %acc, %w : i32
    linalg.yield %s : i32
  } -> tensor<?xi32>
  return %r : tensor<?xi32>
}

// -----

// Keepdims row reductions (`(d0, d1, d2) -> (d0, d1, 0)`, as ONNX's
// ReduceMax, Softmax and LayerNormalization import): the result's trailing
// dimension of size 1 is dropped with the rows; the maximum is vectorized
// (exact), the sum only with reassociate-float-sums. A zero index into a
// dimension larger than 1 is not a keepdims reduction and stays.
// CHECK-LABEL: func.func @keepdims
// CHECK: qnt.kernel
// CHECK: vector.reduction <maximumf>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.maximumf
// SUMS-LABEL: func.func @keepdims
// SUMS: vector.reduction <maximumf>
// SUMS: vector.reduction <add>
// SUMS: linalg.generic
// SUMS: arith.maximumf
func.func @keepdims(%x: tensor<2x3x37xf32>, %m: tensor<2x3x1xf32>, %s: tensor<2x3x1xf32>, %w: tensor<2x3x2xf32>) -> (tensor<2x3x1xf32>, tensor<2x3x1xf32>, tensor<2x3x2xf32>) {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, 0)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x3x37xf32>) outs(%m : tensor<2x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<2x3x1xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, 0)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x3x37xf32>) outs(%s : tensor<2x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<2x3x1xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, 0)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x3x37xf32>) outs(%w : tensor<2x3x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<2x3x2xf32>
  return %0, %1, %2 : tensor<2x3x1xf32>, tensor<2x3x1xf32>, tensor<2x3x2xf32>
}

// -----

// A reduction along outer dimensions whose innermost loop is parallel (NHWC
// pooling sums) runs on vectors along that loop, in the reference's order.
// A parallel loop the result does not index (d0 here) would accumulate
// across it in the reference's loops: such a generic stays.
// CHECK-LABEL: func.func @outer
// CHECK: qnt.kernel
// CHECK: arith.addf %{{.*}} : vector<16xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction", "parallel"]
func.func @outer(%x: tensor<2x5x32xf32>, %acc: tensor<2x32xf32>, %acc1: tensor<32xf32>) -> (tensor<2x32xf32>, tensor<32xf32>) {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%x : tensor<2x5x32xf32>) outs(%acc : tensor<2x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<2x32xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%x : tensor<2x5x32xf32>) outs(%acc1 : tensor<32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<32xf32>
  return %0, %1 : tensor<2x32xf32>, tensor<32xf32>
}
