// RUN: quant-opt %s --qnt-convert-to-nhwc | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
#pooled = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
#mm = affine_map<(d0, d1) -> (d0, d1)>

// A conv, its bias and ReLU, max pooling, padding, a depthwise conv, a
// global average (a reduction) multiplied back, and the flatten into a
// matmul: one transpose remains, on the input, before its padding.
// CHECK: #{{.*}} = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func.func @cnn
// CHECK-SAME: (%[[X:.*]]: tensor<?x2x6x6xf32>)
// The weights' rows in NHWC order: row (h, w, c) of the new weights is row
// (c, h, w) of the old, whose value is 100 c + 10 h + w.
// CHECK: arith.constant dense<{{\[}}[0.000000e+00, 0.000000e+00], [1.000000e+02, 1.000000e+02], [2.000000e+02, 2.000000e+02], [3.000000e+02, 3.000000e+02], [1.000000e+00, 1.000000e+00]
// CHECK-SAME: tensor<36x2xf32>
// CHECK: arith.constant dense<2.500000e-01> : tensor<3x3x4xf32>
// CHECK: arith.constant dense<5.000000e-01> : tensor<3x3x2x4xf32>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[X]] : tensor<?x2x6x6xf32>) outs(%{{.*}} : tensor<?x6x6x2xf32>) permutation = [0, 2, 3, 1]
// CHECK: tensor.pad %[[T]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32>) outs(%{{.*}} : tensor<?x6x6x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x6x6x4xf32>, tensor<4xf32>)
// CHECK: linalg.pooling_nhwc_max {{.*}} outs(%{{.*}} : tensor<?x3x3x4xf32>)
// CHECK: tensor.pad %{{.*}} low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x5x5x4xf32>, tensor<3x3x4xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction", "parallel"]} ins(%{{.*}} : tensor<?x3x3x4xf32>) outs(%{{.*}} : tensor<?x4x1x1xf32>)
// CHECK: %[[M2:.*]] = tensor.collapse_shape %[[MEAN]] {{\[}}[0], [1, 2, 3]] : tensor<?x4x1x1xf32> into tensor<?x4xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[M2]] : tensor<?x3x3x4xf32>, tensor<?x4xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<?x3x3x4xf32> into tensor<?x36xf32>
// CHECK: linalg.matmul ins(%[[FLAT]], %{{.*}} : tensor<?x36xf32>, tensor<36x2xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @cnn(%x: tensor<?x2x6x6xf32>) -> tensor<?x2xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x2x6x6xf32>
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<?x2x6x6xf32> to tensor<?x2x8x8xf32>
  %w1 = arith.constant dense<0.5> : tensor<4x2x3x3xf32>
  %e1 = tensor.empty(%n) : tensor<?x4x6x6xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x4x6x6xf32>) -> tensor<?x4x6x6xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%xp, %w1 : tensor<?x2x8x8xf32>, tensor<4x2x3x3xf32>) outs(%f1 : tensor<?x4x6x6xf32>) -> tensor<?x4x6x6xf32>
  %b1 = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %b1e = tensor.expand_shape %b1 [[0, 1, 2]] output_shape [4, 1, 1] : tensor<4xf32> into tensor<4x1x1xf32>
  %r1 = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c1, %b1e : tensor<?x4x6x6xf32>, tensor<4x1x1xf32>) outs(%e1 : tensor<?x4x6x6xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x4x6x6xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %e2 = tensor.empty(%n) : tensor<?x4x3x3xf32>
  %f2 = linalg.fill ins(%ninf : f32) outs(%e2 : tensor<?x4x3x3xf32>) -> tensor<?x4x3x3xf32>
  %p1 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%r1, %win : tensor<?x4x6x6xf32>, tensor<2x2xf32>) outs(%f2 : tensor<?x4x3x3xf32>) -> tensor<?x4x3x3xf32>
  %pp = tensor.pad %p1 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<?x4x3x3xf32> to tensor<?x4x5x5xf32>
  %w2 = arith.constant dense<0.25> : tensor<4x3x3xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x4x3x3xf32>) -> tensor<?x4x3x3xf32>
  %d2 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%pp, %w2 : tensor<?x4x5x5xf32>, tensor<4x3x3xf32>) outs(%f3 : tensor<?x4x3x3xf32>) -> tensor<?x4x3x3xf32>
  %e4 = tensor.empty(%n) : tensor<?x4x1x1xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<?x4x1x1xf32>) -> tensor<?x4x1x1xf32>
  %mean = linalg.generic {indexing_maps = [#id, #pooled], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%d2 : tensor<?x4x3x3xf32>) outs(%f4 : tensor<?x4x1x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<?x4x1x1xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #pooled, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%d2, %mean : tensor<?x4x3x3xf32>, tensor<?x4x1x1xf32>) outs(%e2 : tensor<?x4x3x3xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %s = arith.mulf %in, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x4x3x3xf32>
  %flat = tensor.collapse_shape %scaled [[0], [1, 2, 3]] : tensor<?x4x3x3xf32> into tensor<?x36xf32>
  %w3 = arith.constant dense<[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [10.0, 10.0], [11.0, 11.0], [12.0, 12.0], [20.0, 20.0], [21.0, 21.0], [22.0, 22.0],
    [100.0, 100.0], [101.0, 101.0], [102.0, 102.0], [110.0, 110.0], [111.0, 111.0], [112.0, 112.0], [120.0, 120.0], [121.0, 121.0], [122.0, 122.0],
    [200.0, 200.0], [201.0, 201.0], [202.0, 202.0], [210.0, 210.0], [211.0, 211.0], [212.0, 212.0], [220.0, 220.0], [221.0, 221.0], [222.0, 222.0],
    [300.0, 300.0], [301.0, 301.0], [302.0, 302.0], [310.0, 310.0], [311.0, 311.0], [312.0, 312.0], [320.0, 320.0], [321.0, 321.0], [322.0, 322.0]]> : tensor<36x2xf32>
  %e5 = tensor.empty(%n) : tensor<?x2xf32>
  %f5 = linalg.fill ins(%zero : f32) outs(%e5 : tensor<?x2xf32>) -> tensor<?x2xf32>
  %y = linalg.matmul ins(%flat, %w3 : tensor<?x36xf32>, tensor<36x2xf32>) outs(%f5 : tensor<?x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// Weights that are not constants are transposed at run time; an
// element-wise op whose other input is read whole in NCHW keeps the
// transpose in front of it (none is added on that input).
// CHECK-LABEL: func.func @mixed
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x5x5xf32>, %[[W:.*]]: tensor<4x3x1x1xf32>, %[[Z:.*]]: tensor<1x4x5x5xf32>)
// CHECK-DAG: linalg.transpose ins(%[[W]] : tensor<4x3x1x1xf32>) outs(%{{.*}} : tensor<1x1x3x4xf32>) permutation = [2, 3, 1, 0]
// CHECK-DAG: linalg.transpose ins(%[[X]] : tensor<1x3x5x5xf32>) outs(%{{.*}} : tensor<1x5x5x3xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_hwcf
// CHECK: %[[B:.*]] = linalg.transpose ins(%[[C]] : tensor<1x5x5x4xf32>) outs(%{{.*}} : tensor<1x4x5x5xf32>) permutation = [0, 3, 1, 2]
// CHECK: linalg.generic {{.*}} ins(%[[B]], %[[Z]] : tensor<1x4x5x5xf32>, tensor<1x4x5x5xf32>)
func.func @mixed(%x: tensor<1x3x5x5xf32>, %w: tensor<4x3x1x1xf32>, %z: tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x5x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x3x5x5xf32>, tensor<4x3x1x1xf32>) outs(%f : tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c, %z : tensor<1x4x5x5xf32>, tensor<1x4x5x5xf32>) outs(%e : tensor<1x4x5x5xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x4x5x5xf32>
  return %r : tensor<1x4x5x5xf32>
}

// A QDQ model: the input's quantize/dequantize pair and padding take the
// input's transpose above them; a per-channel dequantize after a layer
// takes the transpose below it with its axis moved (1 -> 3); the weights'
// dequantize is transposed at run time (qnt-fold-dequantized-layers folds
// that transpose into the constant).
// CHECK-LABEL: func.func @qdq
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[X]] : tensor<1x2x4x4xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[Q:.*]] = qnt.quantize %[[T]] : tensor<1x4x4x2xf32> to tensor<1x4x4x2xi8>
// CHECK: %[[DQ:.*]] = qnt.dequantize %[[Q]] : tensor<1x4x4x2xi8> to tensor<1x4x4x2xf32>
// CHECK: tensor.pad %[[DQ]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_hwcf
// CHECK: %[[Q2:.*]] = qnt.quantize %[[C]] : tensor<1x4x4x3xf32> to tensor<1x4x4x3xi8> as #qnt.params<i8, axis = 3,
// CHECK: %[[D2:.*]] = qnt.dequantize %[[Q2]] : tensor<1x4x4x3xi8> to tensor<1x4x4x3xf32> as #qnt.params<i8, axis = 3,
// CHECK: linalg.transpose ins(%[[D2]] : tensor<1x4x4x3xf32>) {{.*}} permutation = [0, 3, 1, 2]
func.func @qdq(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %q = qnt.quantize %x : tensor<1x2x4x4xf32> to tensor<1x2x4x4xi8> as #qnt.params<ui8, scales = [0.1]>
  %dq = qnt.dequantize %q : tensor<1x2x4x4xi8> to tensor<1x2x4x4xf32> as #qnt.params<ui8, scales = [0.1]>
  %xp = tensor.pad %dq low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x2x4x4xf32> to tensor<1x2x6x6xf32>
  %wq = arith.constant dense<1> : tensor<3x2x3x3xi8>
  %w = qnt.dequantize %wq : tensor<3x2x3x3xi8> to tensor<3x2x3x3xf32> as #qnt.params<i8, axis = 0, scales = [0.1, 0.2, 0.3]>
  %e = tensor.empty() : tensor<1x3x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%xp, %w : tensor<1x2x6x6xf32>, tensor<3x2x3x3xf32>) outs(%f : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %q2 = qnt.quantize %c : tensor<1x3x4x4xf32> to tensor<1x3x4x4xi8> as #qnt.params<i8, axis = 1, scales = [0.5, 0.5, 0.5]>
  %d2 = qnt.dequantize %q2 : tensor<1x3x4x4xi8> to tensor<1x3x4x4xf32> as #qnt.params<i8, axis = 1, scales = [0.5, 0.5, 0.5]>
  return %d2 : tensor<1x3x4x4xf32>
}

// A transpose sinks through a generic that gathers with linalg.index and
// tensor.extract (a 2x nearest-neighbour upsampling: the extract reads the
// untransposed tensor at the permuted indices, each linalg.index i becomes
// linalg.index p[i]), through a concatenation (insert_slice into an empty
// tensor, then into the first insert's result) and through a strided
// insert_slice into a fill; the transposes around the layers cancel.
// CHECK-LABEL: func.func @gather_concat
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[X]] : tensor<1x2x4x4xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x4x4x3xf32>
// CHECK: %[[UP:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x8x8x3xf32>)
// CHECK-DAG: %[[H:.*]] = linalg.index 1 : index
// CHECK-DAG: %[[W:.*]] = linalg.index 2 : index
// CHECK-DAG: %[[CH:.*]] = linalg.index 3 : index
// CHECK-DAG: %[[HS:.*]] = arith.divui %[[H]]
// CHECK-DAG: %[[WS:.*]] = arith.divui %[[W]]
// CHECK: tensor.extract %[[C]][%c0, %[[HS]], %[[WS]], %[[CH]]] : tensor<1x4x4x3xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x8x8x6xf32>
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[UP]] into %[[E]][0, 0, 0, 0] [1, 8, 8, 3] [1, 1, 1, 1] : tensor<1x8x8x3xf32> into tensor<1x8x8x6xf32>
// CHECK: %[[I1:.*]] = tensor.insert_slice %[[UP]] into %[[I0]][0, 0, 0, %c3] [1, 8, 8, 3] [1, 1, 1, 1]
// CHECK: %[[F:.*]] = linalg.fill {{.*}} -> tensor<1x17x17x6xf32>
// CHECK: %[[Z:.*]] = tensor.insert_slice %[[I1]] into %[[F]][0, 1, 1, 0] [1, 8, 8, 6] [1, 2, 2, 1] : tensor<1x8x8x6xf32> into tensor<1x17x17x6xf32>
// CHECK: %[[Y:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[Z]], %{{.*}} : tensor<1x17x17x6xf32>, tensor<2x2x6x2xf32>)
// CHECK: linalg.transpose ins(%[[Y]] : tensor<1x16x16x2xf32>) {{.*}} permutation = [0, 3, 1, 2]
// CHECK-NOT: linalg.transpose
func.func @gather_concat(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x16x16xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %w = arith.constant dense<0.5> : tensor<3x2x1x1xf32>
  %e = tensor.empty() : tensor<1x3x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) outs(%f : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %eu = tensor.empty() : tensor<1x3x8x8xf32>
  %up = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%eu : tensor<1x3x8x8xf32>) {
  ^bb0(%out: f32):
    %ci = linalg.index 1 : index
    %hi = linalg.index 2 : index
    %wi = linalg.index 3 : index
    %hs = arith.divui %hi, %c2 : index
    %ws = arith.divui %wi, %c2 : index
    %v = tensor.extract %c[%c0, %ci, %hs, %ws] : tensor<1x3x4x4xf32>
    linalg.yield %v : f32
  } -> tensor<1x3x8x8xf32>
  %ecat = tensor.empty() : tensor<1x6x8x8xf32>
  %cat0 = tensor.insert_slice %up into %ecat[0, 0, 0, 0] [1, 3, 8, 8] [1, 1, 1, 1] : tensor<1x3x8x8xf32> into tensor<1x6x8x8xf32>
  %cat = tensor.insert_slice %up into %cat0[0, %c3, 0, 0] [1, 3, 8, 8] [1, 1, 1, 1] : tensor<1x3x8x8xf32> into tensor<1x6x8x8xf32>
  %ez = tensor.empty() : tensor<1x6x17x17xf32>
  %fz = linalg.fill ins(%zero : f32) outs(%ez : tensor<1x6x17x17xf32>) -> tensor<1x6x17x17xf32>
  %z = tensor.insert_slice %cat into %fz[0, 0, 1, 1] [1, 6, 8, 8] [1, 1, 2, 2] : tensor<1x6x8x8xf32> into tensor<1x6x17x17xf32>
  %wt = arith.constant dense<0.25> : tensor<2x6x2x2xf32>
  %ey = tensor.empty() : tensor<1x2x16x16xf32>
  %fy = linalg.fill ins(%zero : f32) outs(%ey : tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%z, %wt : tensor<1x6x17x17xf32>, tensor<2x6x2x2xf32>) outs(%fy : tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  return %y : tensor<1x2x16x16xf32>
}

// Squeeze and excitation: a global average [N][C][1][1] through a 1x1
// convolution and back onto the feature map. The transposes left around the
// [N][C][1][1] vectors move only unit dimensions: they become views (a
// collapse_shape and an expand_shape), with a dynamic N; only the input's
// and the output's transposes remain.
// CHECK-LABEL: func.func @squeeze_excite
// CHECK: linalg.transpose ins(%{{.*}} : tensor<?x4x3x3xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x4x1x1xf32>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[MEAN]] {{\[}}[0], [1, 2, 3]] : tensor<?x4x1x1xf32> into tensor<?x4xf32>
// CHECK: %[[V:.*]] = tensor.expand_shape %[[C]] {{\[}}[0, 1, 2], [3]] output_shape [%{{.*}}, 1, 1, 4] : tensor<?x4xf32> into tensor<?x1x1x4xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[V]], %{{.*}} : tensor<?x1x1x4xf32>, tensor<1x1x4x4xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: linalg.transpose ins(%{{.*}} : tensor<?x3x3x4xf32>) {{.*}} permutation = [0, 3, 1, 2]
// CHECK-NEXT: return
#se_map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#se_pool = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @squeeze_excite(%x: tensor<?x4x3x3xf32>) -> tensor<?x4x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4x3x3xf32>
  %w = arith.constant dense<0.5> : tensor<4x4x3x3xf32>
  %e = tensor.empty(%n) : tensor<?x4x1x1xf32>
  %ef = tensor.empty(%n) : tensor<?x4x3x3xf32>
  %ff = linalg.fill ins(%zero : f32) outs(%ef : tensor<?x4x3x3xf32>) -> tensor<?x4x3x3xf32>
  %pad = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<?x4x3x3xf32> to tensor<?x4x5x5xf32>
  %feat = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%pad, %w : tensor<?x4x5x5xf32>, tensor<4x4x3x3xf32>) outs(%ff : tensor<?x4x3x3xf32>) -> tensor<?x4x3x3xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4x1x1xf32>) -> tensor<?x4x1x1xf32>
  %mean = linalg.generic {indexing_maps = [#se_map, #se_pool], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%feat : tensor<?x4x3x3xf32>) outs(%f0 : tensor<?x4x1x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<?x4x1x1xf32>
  %w1 = arith.constant dense<0.25> : tensor<4x4x1x1xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4x1x1xf32>) -> tensor<?x4x1x1xf32>
  %g = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%mean, %w1 : tensor<?x4x1x1xf32>, tensor<4x4x1x1xf32>) outs(%f1 : tensor<?x4x1x1xf32>) -> tensor<?x4x1x1xf32>
  %y = linalg.generic {indexing_maps = [#se_map, #se_pool, #se_map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%feat, %g : tensor<?x4x3x3xf32>, tensor<?x4x1x1xf32>) outs(%ef : tensor<?x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<?x4x3x3xf32>
  return %y : tensor<?x4x3x3xf32>
}

// A model that starts with a transposed convolution (its input spread into
// zeros, as quant-import-onnx writes ConvTranspose): the input is
// transposed, not the 4x larger spread, and the spread meets the layer in
// NHWC (with its offsets, sizes and strides permuted), where
// qnt-unstuff-transposed-conv finds it; the fill's sizes serve the tensor.dim.
// CHECK-LABEL: func.func @spread_argument
// CHECK: %[[T:.*]] = linalg.transpose ins(%arg0 : tensor<?x2x2x2xf32>) outs(%{{.*}} : tensor<?x2x2x2xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[S:.*]] = tensor.insert_slice %[[T]] into %{{.*}}[0, 1, 1, 0] [%{{.*}}, 2, 2, 2] [1, 2, 2, 1] : tensor<?x2x2x2xf32> into tensor<?x5x5x2xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[S]], %{{.*}} : tensor<?x5x5x2xf32>, tensor<2x2x2x1xf32>)
func.func @spread_argument(%x: tensor<?x2x2x2xf32>) -> tensor<?x1x4x4xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x2x2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x2x5x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x2x5x5xf32>) -> tensor<?x2x5x5xf32>
  %s = tensor.insert_slice %x into %z[0, 0, 1, 1] [%n, 2, 2, 2] [1, 1, 2, 2] : tensor<?x2x2x2xf32> into tensor<?x2x5x5xf32>
  %w = arith.constant dense<1.0> : tensor<1x2x2x2xf32>
  %oe = tensor.empty(%n) : tensor<?x1x4x4xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<?x1x4x4xf32>) -> tensor<?x1x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<?x2x5x5xf32>, tensor<1x2x2x2xf32>) outs(%of : tensor<?x1x4x4xf32>) -> tensor<?x1x4x4xf32>
  return %y : tensor<?x1x4x4xf32>
}

// An NHWC model (as tf2onnx exports one) transposes its input to NCHW and
// pads it: the layer's transpose back meets the input's across the pad and
// both go; only the output's transpose stays.
// CHECK-LABEL: func.func @nhwc_input_padded
// CHECK-NOT: linalg.transpose
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK-NOT: linalg.transpose
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[P]], %{{.*}} : tensor<1x8x8x2xf32>, tensor<3x3x2x3xf32>)
// CHECK: linalg.transpose {{.*}} permutation = [0, 3, 1, 2]
// CHECK-NEXT: return
func.func @nhwc_input_padded(%x: tensor<1x6x6x2xf32>) -> tensor<1x3x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %te = tensor.empty() : tensor<1x2x6x6xf32>
  %t = linalg.transpose ins(%x : tensor<1x6x6x2xf32>) outs(%te : tensor<1x2x6x6xf32>) permutation = [0, 3, 1, 2]
  %p = tensor.pad %t low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x2x6x6xf32> to tensor<1x2x8x8xf32>
  %w = arith.constant dense<1.0> : tensor<3x2x3x3xf32>
  %oe = tensor.empty() : tensor<1x3x6x6xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x3x6x6xf32>) -> tensor<1x3x6x6xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %w : tensor<1x2x8x8xf32>, tensor<3x2x3x3xf32>) outs(%of : tensor<1x3x6x6xf32>) -> tensor<1x3x6x6xf32>
  return %y : tensor<1x3x6x6xf32>
}

// The same with a spread: no transpose is left before the layer.
// CHECK-LABEL: func.func @nhwc_input_spread
// CHECK-NOT: linalg.transpose
// CHECK: %[[S:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 1, 1, 0] [1, 3, 3, 2] [1, 2, 2, 1] : tensor<1x3x3x2xf32> into tensor<1x7x7x2xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[S]], %{{.*}} : tensor<1x7x7x2xf32>, tensor<2x2x2x1xf32>)
func.func @nhwc_input_spread(%x: tensor<1x3x3x2xf32>) -> tensor<1x1x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %te = tensor.empty() : tensor<1x2x3x3xf32>
  %t = linalg.transpose ins(%x : tensor<1x3x3x2xf32>) outs(%te : tensor<1x2x3x3xf32>) permutation = [0, 3, 1, 2]
  %e = tensor.empty() : tensor<1x2x7x7xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x7x7xf32>) -> tensor<1x2x7x7xf32>
  %s = tensor.insert_slice %t into %z[0, 0, 1, 1] [1, 2, 3, 3] [1, 1, 2, 2] : tensor<1x2x3x3xf32> into tensor<1x2x7x7xf32>
  %w = arith.constant dense<1.0> : tensor<1x2x2x2xf32>
  %oe = tensor.empty() : tensor<1x1x6x6xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x1x6x6xf32>) -> tensor<1x1x6x6xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<1x2x7x7xf32>, tensor<1x2x2x2xf32>) outs(%of : tensor<1x1x6x6xf32>) -> tensor<1x1x6x6xf32>
  return %y : tensor<1x1x6x6xf32>
}
