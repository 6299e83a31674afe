// RUN: quant-opt %s --qnt-chain-layers --split-input-file | FileCheck %s
// RUN: quant-opt %s --qnt-chain-layers="requantize=fixed-point" --split-input-file | FileCheck %s --check-prefix=Q31
// RUN: quant-opt %s --qnt-chain-layers="requantize=double-round" --split-input-file | FileCheck %s --check-prefix=DR
// RUN: not quant-opt %s --qnt-chain-layers="requantize=q15" --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: qnt-chain-layers: unknown requantize='q15' (expected float, fixed-point or double-round)

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>

// Tests that a static layer chains into the next layer's quantize through a
// bias and a ReLU6: the bias [0.25, -0.5, 1.0] at s_x * s_w = 0.5 * 0.25
// becomes [2, -4, 8] in int32, the ReLU6 the stored clamp [0, 60] of the
// next input (scale 0.1, zero point 0), and no float value is left.
// CHECK-LABEL: func @chain
// CHECK: %[[B:.*]] = arith.constant dense<[2, -4, 8]> : tensor<3xi32>
// CHECK: %[[Y1:.*]] = qnt.contract %arg0, %{{.*}} bias %[[B]] : (tensor<?x4xi8>, tensor<4x3xi8>, tensor<3xi32>) -> tensor<?x3xi8>
// CHECK-SAME: result = #qnt.params<ui8, scales = [0.1]> clamp = [0, 60]
// CHECK-NOT: qnt.quantize
// CHECK-NOT: linalg.generic
// CHECK: qnt.contract %[[Y1]], %{{.*}} : (tensor<?x3xi8>, tensor<3x2xi8>) -> tensor<?x2xf32>
// Q31-LABEL: func @chain
// Q31: qnt.contract {{.*}} -> tensor<?x3xi8> {{.*}} mode = fixed_point clamp = [0, 60]
// DR-LABEL: func @chain
// DR: qnt.contract {{.*}} -> tensor<?x3xi8> {{.*}} mode = fixed_point_double_round clamp = [0, 60]
func.func @chain(%xq: tensor<?x4xi8>) -> tensor<?x2xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %xq, %c0 : tensor<?x4xi8>
  %w1 = arith.constant dense<1> : tensor<4x3xi8>
  %y1 = qnt.contract %xq, %w1 : (tensor<?x4xi8>, tensor<4x3xi8>) -> tensor<?x3xf32>
          maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]>
  %b = arith.constant dense<[0.25, -0.5, 1.0]> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %e = tensor.empty(%d) : tensor<?x3xf32>
  %h = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%y1, %b : tensor<?x3xf32>, tensor<3xf32>) outs(%e : tensor<?x3xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    %r = arith.maximumf %s, %zero : f32
    %t = arith.minimumf %r, %six : f32
    linalg.yield %t : f32
  } -> tensor<?x3xf32>
  %q = qnt.quantize %h : tensor<?x3xf32> to tensor<?x3xi8> as #qnt.params<ui8, scales = [0.1]>
  %w2 = arith.constant dense<2> : tensor<3x2xi8>
  %y2 = qnt.contract %q, %w2 : (tensor<?x3xi8>, tensor<3x2xi8>) -> tensor<?x2xf32>
          maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.1]> weight = #qnt.params<i8, narrow, scales = [0.5]>
  return %y2 : tensor<?x2xf32>
}

// -----

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>

// Tests that a quantized concatenation chains its layer operand and
// quantizes the float one, and that a last bias moves into its layer as
// int32 (the real result stays).
// CHECK-LABEL: func @concat_and_bias
// CHECK: %[[L:.*]] = qnt.contract {{.*}} -> tensor<2x3xi8> {{.*}} result = #qnt.params<ui8, scales = [0.05]>
// CHECK: %[[F:.*]] = qnt.quantize %arg1 : tensor<2x5xf32> to tensor<2x5xi8>
// CHECK: %[[C:.*]] = tensor.concat dim(1) %[[L]], %[[F]] : (tensor<2x3xi8>, tensor<2x5xi8>) -> tensor<2x8xi8>
// CHECK: %[[B:.*]] = arith.constant dense<[8, 16]> : tensor<2xi32>
// CHECK: %[[Y:.*]] = qnt.contract %[[C]], %{{.*}} bias %[[B]] : (tensor<2x8xi8>, tensor<8x2xi8>, tensor<2xi32>) -> tensor<2x2xf32>
// CHECK: return %[[Y]]
func.func @concat_and_bias(%xq: tensor<2x4xi8>, %f: tensor<2x5xf32>) -> tensor<2x2xf32> {
  %w1 = arith.constant dense<1> : tensor<4x3xi8>
  %y1 = qnt.contract %xq, %w1 : (tensor<2x4xi8>, tensor<4x3xi8>) -> tensor<2x3xf32>
          maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]>
  %cat = tensor.concat dim(1) %y1, %f : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  %q = qnt.quantize %cat : tensor<2x8xf32> to tensor<2x8xi8> as #qnt.params<ui8, scales = [0.05]>
  %w2 = arith.constant dense<1> : tensor<8x2xi8>
  %y2 = qnt.contract %q, %w2 : (tensor<2x8xi8>, tensor<8x2xi8>) -> tensor<2x2xf32>
          maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.05]> weight = #qnt.params<i8, narrow, scales = [0.5]>
  %b = arith.constant dense<[0.2, 0.4]> : tensor<2xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%y2, %b : tensor<2x2xf32>, tensor<2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x2xf32>
  return %z : tensor<2x2xf32>
}

// -----

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>

// Tests that a layer with run-time input parameters does not chain (its
// accumulator's scale is not known at compile time).
// CHECK-LABEL: func @dynamic
// CHECK: qnt.contract {{.*}} dynamic
// CHECK: qnt.quantize
func.func @dynamic(%xq: tensor<2x4xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<2x3xi8> {
  %w1 = arith.constant dense<1> : tensor<4x3xi8>
  %y1 = qnt.contract %xq, %w1 dynamic(%s, %z) : (tensor<2x4xi8>, tensor<4x3xi8>, tensor<f32>, tensor<i32>) -> tensor<2x3xf32>
          maps = [#x, #w, #o] input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.25]>
  %q = qnt.quantize %y1 : tensor<2x3xf32> to tensor<2x3xi8> as #qnt.params<ui8, scales = [0.1]>
  return %q : tensor<2x3xi8>
}

// -----

// Tests that a requantization of dequantized values seen through max
// pooling and a transpose (a QDQ model's pair around its pooling) becomes
// the pooling and the transpose on the stored integers, and that other
// parameters keep the float path.
// CHECK-LABEL: func @requantized_pooling
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x4x2xi8>)
// CHECK: %[[LOW:.*]] = arith.constant 0 : i8
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[LOW]] : i8)
// CHECK: %[[P:.*]] = linalg.pooling_nhwc_max_unsigned {{.*}} ins(%[[Q]], %{{.*}} : tensor<1x4x4x2xi8>, tensor<2x2xf32>) outs(%[[INIT]] : tensor<1x2x2x2xi8>)
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[P]] : tensor<1x2x2x2xi8>)
// CHECK-NOT: qnt.dequantize
// CHECK-NOT: qnt.quantize
// CHECK: return %[[T]]
func.func @requantized_pooling(%q: tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8> {
  %x = qnt.dequantize %q : tensor<1x4x4x2xi8> to tensor<1x4x4x2xf32> as #qnt.params<ui8, scales = [0.1], zero_points = [3]>
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %k = tensor.empty() : tensor<2x2xf32>
  %p = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %k : tensor<1x4x4x2xf32>, tensor<2x2xf32>) outs(%f : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %e2 = tensor.empty() : tensor<1x2x2x2xf32>
  %t = linalg.transpose ins(%p : tensor<1x2x2x2xf32>) outs(%e2 : tensor<1x2x2x2xf32>) permutation = [0, 3, 1, 2]
  %r = qnt.quantize %t : tensor<1x2x2x2xf32> to tensor<1x2x2x2xi8> as #qnt.params<ui8, scales = [0.1], zero_points = [3]>
  return %r : tensor<1x2x2x2xi8>
}

// CHECK-LABEL: func @other_params
// CHECK: qnt.dequantize
// CHECK: qnt.quantize
func.func @other_params(%q: tensor<4xi8>) -> tensor<4xi8> {
  %x = qnt.dequantize %q : tensor<4xi8> to tensor<4xf32> as #qnt.params<ui8, scales = [0.1], zero_points = [3]>
  %r = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<ui8, scales = [0.2], zero_points = [3]>
  return %r : tensor<4xi8>
}

// -----

// A float chain the layers do not take (here x * x) before zero padding
// and a transpose: the quantization moves above them, and the padding and
// the transpose run on the stored integers, the padding with the zero
// point (3), so the chain ends in the quantization.
// CHECK-LABEL: func @quantize_before_moves
// CHECK: %[[SQ:.*]] = linalg.generic
// CHECK: %[[Q:.*]] = qnt.quantize %[[SQ]] : tensor<1x4x4x2xf32> to tensor<1x4x4x2xi8>
// CHECK: %[[ZP:.*]] = arith.constant 3 : i8
// CHECK: %[[P:.*]] = tensor.pad %[[Q]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: tensor.yield %[[ZP]] : i8
// CHECK: } : tensor<1x4x4x2xi8> to tensor<1x6x6x2xi8>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[P]] : tensor<1x6x6x2xi8>)
// CHECK-NOT: qnt.quantize
// CHECK: return %[[T]]
#sq = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @quantize_before_moves(%x: tensor<1x4x4x2xf32>) -> tensor<1x2x6x6xi8> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x2xf32>
  %s = linalg.generic {indexing_maps = [#sq, #sq], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x4x4x2xf32>) outs(%e : tensor<1x4x4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x2xf32>
  %p = tensor.pad %s low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x2xf32> to tensor<1x6x6x2xf32>
  %e2 = tensor.empty() : tensor<1x2x6x6xf32>
  %t = linalg.transpose ins(%p : tensor<1x6x6x2xf32>) outs(%e2 : tensor<1x2x6x6xf32>) permutation = [0, 3, 1, 2]
  %r = qnt.quantize %t : tensor<1x2x6x6xf32> to tensor<1x2x6x6xi8> as #qnt.params<ui8, scales = [0.1], zero_points = [3]>
  return %r : tensor<1x2x6x6xi8>
}

// A tensor read only in slices quantized alike (a transposed convolution's
// phases reading one padded input; here plain slices of an argument and the
// whole of it): quantized once, the slices taken of the stored integers; its
// tensor.dim reads the shape only.
// CHECK-LABEL: func @quantize_before_slices
// CHECK: %[[Q:.*]] = qnt.quantize %arg0 : tensor<?x5xf32> to tensor<?x5xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [3]>
// CHECK-NOT: qnt.quantize
// CHECK-DAG: tensor.extract_slice %[[Q]][0, 0] [%{{.*}}, 4] [1, 1] : tensor<?x5xi8> to tensor<?x4xi8>
// CHECK-DAG: tensor.extract_slice %[[Q]][0, 1] [%{{.*}}, 4] [1, 1] : tensor<?x5xi8> to tensor<?x4xi8>
// CHECK: return %{{.*}}, %{{.*}}, %[[Q]] :
func.func @quantize_before_slices(%x: tensor<?x5xf32>) -> (tensor<?x4xi8>, tensor<?x4xi8>, tensor<?x5xi8>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x5xf32>
  %a = tensor.extract_slice %x[0, 0] [%n, 4] [1, 1] : tensor<?x5xf32> to tensor<?x4xf32>
  %b = tensor.extract_slice %x[0, 1] [%n, 4] [1, 1] : tensor<?x5xf32> to tensor<?x4xf32>
  %qa = qnt.quantize %a : tensor<?x4xf32> to tensor<?x4xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [3]>
  %qb = qnt.quantize %b : tensor<?x4xf32> to tensor<?x4xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [3]>
  %qx = qnt.quantize %x : tensor<?x5xf32> to tensor<?x5xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [3]>
  return %qa, %qb, %qx : tensor<?x4xi8>, tensor<?x4xi8>, tensor<?x5xi8>
}

// Slices quantized with different parameters, a slice read in float too,
// and one small slice of a large tensor stay as they are.
// CHECK-LABEL: func @slices_stay
// CHECK: %[[A:.*]] = tensor.extract_slice %arg0
// CHECK: %[[B:.*]] = tensor.extract_slice %arg0
// CHECK: qnt.quantize %[[A]] : tensor<4x4xf32>
// CHECK: qnt.quantize %[[B]] : tensor<4x4xf32>
// CHECK: %[[C:.*]] = tensor.extract_slice %arg1
// CHECK: qnt.quantize %[[C]] : tensor<4x4xf32>
// CHECK: %[[D:.*]] = tensor.extract_slice %arg2
// CHECK: qnt.quantize %[[D]] : tensor<1x4xf32>
func.func @slices_stay(%x: tensor<4x5xf32>, %y: tensor<4x5xf32>, %z: tensor<4x100xf32>) -> (tensor<4x4xi8>, tensor<4x4xi8>, tensor<4x4xi8>, tensor<4x4xf32>, tensor<1x4xi8>) {
  %a = tensor.extract_slice %x[0, 0] [4, 4] [1, 1] : tensor<4x5xf32> to tensor<4x4xf32>
  %b = tensor.extract_slice %x[0, 1] [4, 4] [1, 1] : tensor<4x5xf32> to tensor<4x4xf32>
  %qa = qnt.quantize %a : tensor<4x4xf32> to tensor<4x4xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [3]>
  %qb = qnt.quantize %b : tensor<4x4xf32> to tensor<4x4xi8> as #qnt.params<ui8, scales = [0.25], zero_points = [3]>
  %c = tensor.extract_slice %y[0, 0] [4, 4] [1, 1] : tensor<4x5xf32> to tensor<4x4xf32>
  %qc = qnt.quantize %c : tensor<4x4xf32> to tensor<4x4xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [3]>
  %d = tensor.extract_slice %z[0, 0] [1, 4] [1, 1] : tensor<4x100xf32> to tensor<1x4xf32>
  %qd = qnt.quantize %d : tensor<1x4xf32> to tensor<1x4xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [3]>
  return %qa, %qb, %qc, %c, %qd : tensor<4x4xi8>, tensor<4x4xi8>, tensor<4x4xi8>, tensor<4x4xf32>, tensor<1x4xi8>
}

// A tensor assembled from parts by strided insertions into an empty tensor
// (the interleave of a transposed convolution's phases), cropped: each part
// is quantized where it is made, the parts inserted as stored integers, the
// crop taken of those.
// CHECK-LABEL: func @quantize_parts
// CHECK-DAG: %[[Q0:.*]] = qnt.quantize %arg0 : tensor<2x2xf32> to tensor<2x2xi8>
// CHECK-DAG: %[[Q1:.*]] = qnt.quantize %arg1 : tensor<2x2xf32> to tensor<2x2xi8>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x4xi8>
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[Q0]] into %[[E]][0, 0] [2, 2] [2, 2]
// CHECK: %[[I1:.*]] = tensor.insert_slice %[[Q1]] into %[[I0]][1, 1] [2, 2] [2, 2]
// CHECK: %[[C:.*]] = tensor.extract_slice %[[I1]][0, 0] [3, 3] [1, 1] : tensor<4x4xi8> to tensor<3x3xi8>
// CHECK: return %[[C]]
func.func @quantize_parts(%p0: tensor<2x2xf32>, %p1: tensor<2x2xf32>) -> tensor<3x3xi8> {
  %e = tensor.empty() : tensor<4x4xf32>
  %i0 = tensor.insert_slice %p0 into %e[0, 0] [2, 2] [2, 2] : tensor<2x2xf32> into tensor<4x4xf32>
  %i1 = tensor.insert_slice %p1 into %i0[1, 1] [2, 2] [2, 2] : tensor<2x2xf32> into tensor<4x4xf32>
  %c = tensor.extract_slice %i1[0, 0] [3, 3] [1, 1] : tensor<4x4xf32> to tensor<3x3xf32>
  %q = qnt.quantize %c : tensor<3x3xf32> to tensor<3x3xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [3]>
  return %q : tensor<3x3xi8>
}

// A zero-stuffed input with a dynamic batch (a transposed convolution the
// unstuffing leaves, its window smaller than its stride): the quantization
// moves above the spread, which fills with the zero point (3) and takes the
// batch from the float fill's tensor.empty.
// CHECK-LABEL: func @quantize_before_dynamic_spread
// CHECK: %[[Q:.*]] = qnt.quantize %arg0 : tensor<?x2x2x1xf32> to tensor<?x2x2x1xi8>
// CHECK: %[[ZP:.*]] = arith.constant 3 : i8
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x5x5x1xi8>
// CHECK: %[[F:.*]] = linalg.fill ins(%[[ZP]] : i8) outs(%[[E]] : tensor<?x5x5x1xi8>)
// CHECK: %[[S:.*]] = tensor.insert_slice %[[Q]] into %[[F]][0, 1, 1, 0] [%{{.*}}, 2, 2, 1] [1, 3, 3, 1]
// CHECK: return %[[S]]
func.func @quantize_before_dynamic_spread(%x: tensor<?x2x2x1xf32>) -> tensor<?x5x5x1xi8> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x2x2x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x5x5x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x5x5x1xf32>) -> tensor<?x5x5x1xf32>
  %s = tensor.insert_slice %x into %z[0, 1, 1, 0] [%n, 2, 2, 1] [1, 3, 3, 1] : tensor<?x2x2x1xf32> into tensor<?x5x5x1xf32>
  %q = qnt.quantize %s : tensor<?x5x5x1xf32> to tensor<?x5x5x1xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [3]>
  return %q : tensor<?x5x5x1xi8>
}

// Left in float: per-channel parameters, a padding with another value, a
// padding used twice, and max pooling (which commutes with quantization
// only for finite values).
// CHECK-LABEL: func @quantize_stays
// CHECK: } : tensor<4x2xf32> to tensor<6x2xf32>
// CHECK: qnt.quantize %{{.*}} : tensor<6x2xf32> to tensor<6x2xi8> as #qnt.params<i8, axis = 1
// CHECK: } : tensor<4x2xf32> to tensor<6x2xf32>
// CHECK: qnt.quantize %{{.*}} : tensor<6x2xf32> to tensor<6x2xi8> as #qnt.params<i8, scales = [0.1]>
// CHECK: %[[TWICE:.*]] = tensor.pad
// CHECK: qnt.quantize %[[TWICE]]
// CHECK: linalg.pooling_nhwc_max {{.*}} -> tensor<1x2x2x2xf32>
// CHECK: qnt.quantize %{{.*}} : tensor<1x2x2x2xf32>
func.func @quantize_stays(%x: tensor<4x2xf32>, %y: tensor<1x4x4x2xf32>) -> (tensor<6x2xi8>, tensor<6x2xi8>, tensor<6x2xi8>, tensor<6x2xf32>, tensor<1x2x2x2xi8>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %p1 = tensor.pad %x low[1, 0] high[1, 0] {
  ^bb0(%a: index, %b: index):
    tensor.yield %zero : f32
  } : tensor<4x2xf32> to tensor<6x2xf32>
  %q1 = qnt.quantize %p1 : tensor<6x2xf32> to tensor<6x2xi8> as #qnt.params<i8, axis = 1, scales = [0.1, 0.2]>
  %p2 = tensor.pad %x low[1, 0] high[1, 0] {
  ^bb0(%a: index, %b: index):
    tensor.yield %one : f32
  } : tensor<4x2xf32> to tensor<6x2xf32>
  %q2 = qnt.quantize %p2 : tensor<6x2xf32> to tensor<6x2xi8> as #qnt.params<i8, scales = [0.1]>
  %p3 = tensor.pad %x low[1, 0] high[1, 0] {
  ^bb0(%a: index, %b: index):
    tensor.yield %zero : f32
  } : tensor<4x2xf32> to tensor<6x2xf32>
  %q3 = qnt.quantize %p3 : tensor<6x2xf32> to tensor<6x2xi8> as #qnt.params<i8, scales = [0.1]>
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %k = tensor.empty() : tensor<2x2xf32>
  %pool = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%y, %k : tensor<1x4x4x2xf32>, tensor<2x2xf32>) outs(%f : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %q4 = qnt.quantize %pool : tensor<1x2x2x2xf32> to tensor<1x2x2x2xi8> as #qnt.params<i8, scales = [0.1]>
  return %q1, %q2, %q3, %p3, %q4 : tensor<6x2xi8>, tensor<6x2xi8>, tensor<6x2xi8>, tensor<6x2xf32>, tensor<1x2x2x2xi8>
}

// -----

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>

// Tests that a quantization with a profile's rounding (torch's reciprocal)
// chains too, the requantization's rounding replacing it, and that the
// float operand of a concatenation keeps it.
// CHECK-LABEL: func @concat_reciprocal
// CHECK: %[[L:.*]] = qnt.contract {{.*}} -> tensor<2x3xi8> {{.*}} result = #qnt.params<ui8, scales = [0.05]>
// CHECK: %[[F:.*]] = qnt.quantize %arg1 : tensor<2x5xf32> to tensor<2x5xi8> as #qnt.params<ui8, scales = [0.05]> rounding = reciprocal
// CHECK: tensor.concat dim(1) %[[L]], %[[F]]
// CHECK-NOT: qnt.quantize
func.func @concat_reciprocal(%xq: tensor<2x4xi8>, %f: tensor<2x5xf32>) -> tensor<2x2xf32> {
  %w1 = arith.constant dense<1> : tensor<4x3xi8>
  %y1 = qnt.contract %xq, %w1 : (tensor<2x4xi8>, tensor<4x3xi8>) -> tensor<2x3xf32>
          maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]>
  %cat = tensor.concat dim(1) %y1, %f : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  %q = qnt.quantize %cat : tensor<2x8xf32> to tensor<2x8xi8> as #qnt.params<ui8, scales = [0.05]> rounding = reciprocal
  %w2 = arith.constant dense<1> : tensor<8x2xi8>
  %y2 = qnt.contract %q, %w2 : (tensor<2x8xi8>, tensor<8x2xi8>) -> tensor<2x2xf32>
          maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.05]> weight = #qnt.params<i8, narrow, scales = [0.5]>
  return %y2 : tensor<2x2xf32>
}

// -----

// Tests that a layer with per-block weights (here MXFP4 codes, static
// input) does not chain: the block form returns real values only, so the
// quantization after it stays.
// CHECK-LABEL: func @block_not_chained
// CHECK: %[[Y:.*]] = qnt.contract {{.*}} -> tensor<2x2xf32>
// CHECK: qnt.quantize %[[Y]] : tensor<2x2xf32> to tensor<2x2xi8>
func.func @block_not_chained(%x: tensor<2x8xi8>) -> tensor<2x2xi8> {
  %w = arith.constant dense<1.5> : tensor<8x2xf4E2M1FN>
  %y = qnt.contract %x, %w : (tensor<2x8xi8>, tensor<8x2xf4E2M1FN>) -> tensor<2x2xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<i8, scales = [0.5]>
         weight = #qnt.params<f4E2M1FN, pow2, axis = 0, block = 4, scales = [0.25, 8.0, 1.0, 0.0078125]>
  %q = qnt.quantize %y : tensor<2x2xf32> to tensor<2x2xi8> as #qnt.params<i8, scales = [0.1]>
  return %q : tensor<2x2xi8>
}
