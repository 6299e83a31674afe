// RUN: quant-opt %s --qnt-unstuff-transposed-conv --split-input-file | FileCheck %s
// RUN: quant-opt %s --qnt-unstuff-transposed-conv=per-phase=false --split-input-file | FileCheck %s --check-prefix=KEEP

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bc = affine_map<(d0, d1, d2, d3) -> (d0, d3)>

// A 2x2 stride-2 transposed convolution as quant-import-onnx writes it,
// NHWC (after qnt-convert-to-nhwc): x spread into a 5x5 zero fill from
// (1, 1) every 2 rows and columns, convolved with W[i][j] = [[1, 2], [3, 4]]
// (already flipped). out[2h + r][2w + t] = x[h][w] * W[1 - r][1 - t], so the
// 1x1 convolution's columns (r, t) hold [W11, W10, W01, W00] = [4, 3, 2, 1].
// The bias [5] read at (d0, d3) and the ReLU move above the depth-to-space,
// the bias repeated per column.
// CHECK-LABEL: func.func @nhwc
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}4.000000e+00, 3.000000e+00, 2.000000e+00, 1.000000e+00]]]]> : tensor<1x1x1x4xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<5.000000e+00> : tensor<4xf32>
// CHECK: %[[F:.*]] = linalg.fill {{.*}} -> tensor<1x2x2x4xf32>
// CHECK: %[[Y:.*]] = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%arg0, %[[W]] : tensor<1x2x2x1xf32>, tensor<1x1x1x4xf32>) outs(%[[F]] : tensor<1x2x2x4xf32>)
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[Y]], %[[B]] : tensor<1x2x2x4xf32>, tensor<4xf32>)
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: %[[E:.*]] = tensor.expand_shape %[[G]] {{\[\[}}0], [1], [2], [3, 4, 5]] output_shape [1, 2, 2, 2, 2, 1]
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[E]] : tensor<1x2x2x2x2x1xf32>) outs(%{{.*}} : tensor<1x2x2x2x2x1xf32>) permutation = [0, 1, 3, 2, 4, 5]
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[T]] {{\[\[}}0], [1, 2], [3, 4], [5]] : tensor<1x2x2x2x2x1xf32> into tensor<1x4x4x1xf32>
// CHECK: return %[[C]]
// CHECK-NOT: tensor.insert_slice
func.func @nhwc(%x: tensor<1x2x2x1xf32>) -> tensor<1x4x4x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x5x5x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x5x5x1xf32>) -> tensor<1x5x5x1xf32>
  %s = tensor.insert_slice %x into %z[0, 1, 1, 0] [1, 2, 2, 1] [1, 2, 2, 1] : tensor<1x2x2x1xf32> into tensor<1x5x5x1xf32>
  %w = arith.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %oe = tensor.empty() : tensor<1x4x4x1xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<1x5x5x1xf32>, tensor<2x2x1x1xf32>) outs(%of : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %b = arith.constant dense<5.0> : tensor<1x1xf32>
  %r = linalg.generic {indexing_maps = [#id, #bc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %b : tensor<1x4x4x1xf32>, tensor<1x1xf32>) outs(%oe : tensor<1x4x4x1xf32>) {
  ^bb0(%in: f32, %bi: f32, %out: f32):
    %a = arith.addf %in, %bi : f32
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x1xf32>
  return %r : tensor<1x4x4x1xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#c = affine_map<(d0, d1, d2, d3) -> (d1)>

// The same in NCHW with F = 2 filters (W[f][0] = [[1, 2], [3, 4]] and
// [[5, 6], [7, 8]]) and a dynamic batch: the columns are (f, r, t), so the
// weights are [4, 3, 2, 1, 8, 7, 6, 5] and the bias [10, 20] becomes
// [10, 10, 10, 10, 20, 20, 20, 20].
// CHECK-LABEL: func.func @nchw
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}4.000000e+00]]], {{\[\[\[}}3.000000e+00]]], {{\[\[\[}}2.000000e+00]]], {{\[\[\[}}1.000000e+00]]], {{\[\[\[}}8.000000e+00]]], {{\[\[\[}}7.000000e+00]]], {{\[\[\[}}6.000000e+00]]], {{\[\[\[}}5.000000e+00]]]]> : tensor<8x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[1.000000e+01, 1.000000e+01, 1.000000e+01, 1.000000e+01, 2.000000e+01, 2.000000e+01, 2.000000e+01, 2.000000e+01]> : tensor<8xf32>
// CHECK: %[[Y:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%arg0, %[[W]] : tensor<?x1x2x2xf32>, tensor<8x1x1x1xf32>) outs(%{{.*}} : tensor<?x8x2x2xf32>)
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[Y]], %[[B]] : tensor<?x8x2x2xf32>, tensor<8xf32>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[G]] {{\[\[}}0], [1, 2, 3], [4], [5]] output_shape [%{{.*}}, 2, 2, 2, 2, 2]
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[E]] : tensor<?x2x2x2x2x2xf32>) outs(%{{.*}} : tensor<?x2x2x2x2x2xf32>) permutation = [0, 1, 4, 2, 5, 3]
// CHECK: tensor.collapse_shape %[[T]] {{\[\[}}0], [1], [2, 3], [4, 5]] : tensor<?x2x2x2x2x2xf32> into tensor<?x2x4x4xf32>
func.func @nchw(%x: tensor<?x1x2x2xf32>) -> tensor<?x2x4x4xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1x2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x1x5x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x1x5x5xf32>) -> tensor<?x1x5x5xf32>
  %s = tensor.insert_slice %x into %z[0, 0, 1, 1] [%n, 1, 2, 2] [1, 1, 2, 2] : tensor<?x1x2x2xf32> into tensor<?x1x5x5xf32>
  %w = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]], [[[5.0, 6.0], [7.0, 8.0]]]]> : tensor<2x1x2x2xf32>
  %oe = tensor.empty(%n) : tensor<?x2x4x4xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<?x1x5x5xf32>, tensor<2x1x2x2xf32>) outs(%of : tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32>
  %b = arith.constant dense<[10.0, 20.0]> : tensor<2xf32>
  %r = linalg.generic {indexing_maps = [#id, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %b : tensor<?x2x4x4xf32>, tensor<2xf32>) outs(%oe : tensor<?x2x4x4xf32>) {
  ^bb0(%in: f32, %bi: f32, %out: f32):
    %a = arith.addf %in, %bi : f32
    linalg.yield %a : f32
  } -> tensor<?x2x4x4xf32>
  return %r : tensor<?x2x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#c = affine_map<(d0, d1, d2, d3) -> (d3)>

// A 1x3 window with stride (1, 2), pads 1 and output_padding 1 along the
// width (ONNX ConvTranspose k 3, s 2, p 1, op 1) on x = [x0, x1]: spread from
// column 1 into 6 zeros, flipped weight W = [1, 2, 3], 4 outputs: out =
// [2 x0, x0 + 3 x1, 2 x1, x1]. The window is not a multiple of the stride:
// phase 0 takes tap 1 (out[2u] = 2 x[u]), phase 1 taps 0 and 2 (out[2u + 1]
// = x[u] + 3 x[u + 1], x padded by one zero after). One convolution per
// phase, each inserted every second column into the 4 outputs; the bias
// and ReLU move onto each phase.
// CHECK-LABEL: func.func @per_phase
// CHECK-DAG: %[[W0:.*]] = arith.constant dense<2.000000e+00> : tensor<1x1x1x1xf32>
// CHECK-DAG: %[[W1:.*]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}3.000000e+00]]]]> : tensor<1x2x1x1xf32>
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 1, 0]
// CHECK: %[[S:.*]] = tensor.extract_slice %[[P]][0, 0, 0, 0] [1, 1, 2, 1] [1, 1, 1, 1] : tensor<1x1x3x1xf32> to tensor<1x1x2x1xf32>
// CHECK: %[[Y0:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[S]], %[[W0]] : tensor<1x1x2x1xf32>, tensor<1x1x1x1xf32>) outs(%{{.*}} : tensor<1x1x2x1xf32>)
// CHECK: %[[Y1:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[P]], %[[W1]] : tensor<1x1x3x1xf32>, tensor<1x2x1x1xf32>) outs(%{{.*}} : tensor<1x1x2x1xf32>)
// CHECK: %[[G0:.*]] = linalg.generic {{.*}} ins(%[[Y0]], %{{.*}} : tensor<1x1x2x1xf32>, tensor<1xf32>)
// CHECK: arith.maximumf
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[G0]] into %{{.*}}[0, 0, 0, 0] [1, 1, 2, 1] [1, 1, 2, 1] : tensor<1x1x2x1xf32> into tensor<1x1x4x1xf32>
// CHECK: %[[G1:.*]] = linalg.generic {{.*}} ins(%[[Y1]], %{{.*}} : tensor<1x1x2x1xf32>, tensor<1xf32>)
// CHECK: %[[I1:.*]] = tensor.insert_slice %[[G1]] into %[[I0]][0, 0, 1, 0] [1, 1, 2, 1] [1, 1, 2, 1] : tensor<1x1x2x1xf32> into tensor<1x1x4x1xf32>
// CHECK: return %[[I1]]
func.func @per_phase(%x: tensor<1x1x2x1xf32>) -> tensor<1x1x4x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1x6x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x6x1xf32>) -> tensor<1x1x6x1xf32>
  %s = tensor.insert_slice %x into %z[0, 0, 1, 0] [1, 1, 2, 1] [1, 1, 2, 1] : tensor<1x1x2x1xf32> into tensor<1x1x6x1xf32>
  %w = arith.constant dense<[[[[1.0]], [[2.0]], [[3.0]]]]> : tensor<1x3x1x1xf32>
  %oe = tensor.empty() : tensor<1x1x4x1xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x1x4x1xf32>) -> tensor<1x1x4x1xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<1x1x6x1xf32>, tensor<1x3x1x1xf32>) outs(%of : tensor<1x1x4x1xf32>) -> tensor<1x1x4x1xf32>
  %b = arith.constant dense<5.0> : tensor<1xf32>
  %r = linalg.generic {indexing_maps = [#id, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %b : tensor<1x1x4x1xf32>, tensor<1xf32>) outs(%oe : tensor<1x1x4x1xf32>) {
  ^bb0(%in: f32, %bi: f32, %out: f32):
    %a = arith.addf %in, %bi : f32
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x1x4x1xf32>
  return %r : tensor<1x1x4x1xf32>
}

// -----

// Not rewritten: a window smaller than the stride (a phase would take no
// tap), and, with per-phase=false, a window that is not a multiple of it.
// CHECK-LABEL: func.func @window1
// CHECK: tensor.insert_slice
// CHECK-NOT: linalg.transpose
// KEEP-LABEL: func.func @window1
// KEEP-LABEL: func.func @window3
// KEEP: tensor.insert_slice
// KEEP: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x7x7x1xf32>, tensor<3x3x1x1xf32>)
// KEEP-NOT: tensor.insert_slice
func.func @window1(%x: tensor<1x2x2x1xf32>) -> tensor<1x3x3x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3x3x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x3x1xf32>) -> tensor<1x3x3x1xf32>
  %s = tensor.insert_slice %x into %z[0, 0, 0, 0] [1, 2, 2, 1] [1, 2, 2, 1] : tensor<1x2x2x1xf32> into tensor<1x3x3x1xf32>
  %w = arith.constant dense<1.0> : tensor<1x1x1x1xf32>
  %oe = tensor.empty() : tensor<1x3x3x1xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x3x3x1xf32>) -> tensor<1x3x3x1xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<1x3x3x1xf32>, tensor<1x1x1x1xf32>) outs(%of : tensor<1x3x3x1xf32>) -> tensor<1x3x3x1xf32>
  return %y : tensor<1x3x3x1xf32>
}

func.func @window3(%x: tensor<1x2x2x1xf32>) -> tensor<1x5x5x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x7x7x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x7x7x1xf32>) -> tensor<1x7x7x1xf32>
  %s = tensor.insert_slice %x into %z[0, 2, 2, 0] [1, 2, 2, 1] [1, 2, 2, 1] : tensor<1x2x2x1xf32> into tensor<1x7x7x1xf32>
  %w = arith.constant dense<1.0> : tensor<3x3x1x1xf32>
  %oe = tensor.empty() : tensor<1x5x5x1xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x5x5x1xf32>) -> tensor<1x5x5x1xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<1x7x7x1xf32>, tensor<3x3x1x1xf32>) outs(%of : tensor<1x5x5x1xf32>) -> tensor<1x5x5x1xf32>
  return %y : tensor<1x5x5x1xf32>
}

// -----

// A 2x2 stride-2 window with pads 1 (spread from (0, 0) into a 4x4 fill, 3x3
// outputs): out[o] = x[(o + 1) / 2] * W[(o + 1) mod 2 == 1 ? 0 : 1], so the
// phase grid starts one before the output (a = 1): the 1x1 convolution's 2x2
// grid, its depth-to-space (4x4), then the 3x3 from (1, 1).
// CHECK-LABEL: func.func @padded
// CHECK: %[[Y:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %{{.*}} : tensor<1x2x2x1xf32>, tensor<1x1x1x4xf32>) outs(%{{.*}} : tensor<1x2x2x4xf32>)
// CHECK: %[[C:.*]] = tensor.collapse_shape {{.*}} into tensor<1x4x4x1xf32>
// CHECK: %[[S:.*]] = tensor.extract_slice %[[C]][0, 1, 1, 0] [1, 3, 3, 1] [1, 1, 1, 1] : tensor<1x4x4x1xf32> to tensor<1x3x3x1xf32>
// CHECK: return %[[S]]
func.func @padded(%x: tensor<1x2x2x1xf32>) -> tensor<1x3x3x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %s = tensor.insert_slice %x into %z[0, 0, 0, 0] [1, 2, 2, 1] [1, 2, 2, 1] : tensor<1x2x2x1xf32> into tensor<1x4x4x1xf32>
  %w = arith.constant dense<1.0> : tensor<2x2x1x1xf32>
  %oe = tensor.empty() : tensor<1x3x3x1xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x3x3x1xf32>) -> tensor<1x3x3x1xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<1x4x4x1xf32>, tensor<2x2x1x1xf32>) outs(%of : tensor<1x3x3x1xf32>) -> tensor<1x3x3x1xf32>
  return %y : tensor<1x3x3x1xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#c = affine_map<(d0, d1, d2, d3) -> (d3)>

// A 1x4 window with stride (1, 2) and pads 1 (ONNX ConvTranspose k 4, s 2,
// p 1 along the width) on x = [x0, x1, x2]: spread from column 2 into 9
// zeros, flipped weight W = [1, 2, 3, 4], 6 outputs. low = 2, so a = 1 and
// delta = -1: out[2u + t - 1] = xp[u] V[0][t] + xp[u + 1] V[1][t] with xp
// = [0, x0, x1, x2, 0] and V[j][t] = W[1 - t + 2j]: V = [[2, 1], [4, 3]]
// (out[0] = 3 x0, out[1] = 2 x0 + 4 x1, as the stuffed sums give). A 1x2
// convolution of the padded x into 4 columns of 2 phases, the bias [7]
// and the ReLU above the depth-to-space and the crop.
// CHECK-LABEL: func.func @k4s2p1
// CHECK-DAG: %[[V:.*]] = arith.constant dense<{{\[\[\[\[}}2.000000e+00, 1.000000e+00]], {{\[\[}}4.000000e+00, 3.000000e+00]]]]> : tensor<1x2x1x2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<7.000000e+00> : tensor<2xf32>
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 0, 1, 0] high[0, 0, 1, 0]
// CHECK: } : tensor<1x1x3x1xf32> to tensor<1x1x5x1xf32>
// CHECK: %[[Y:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[P]], %[[V]] : tensor<1x1x5x1xf32>, tensor<1x2x1x2xf32>) outs(%{{.*}} : tensor<1x1x4x2xf32>)
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[Y]], %[[B]] : tensor<1x1x4x2xf32>, tensor<2xf32>)
// CHECK: arith.maximumf
// CHECK: tensor.expand_shape %[[G]] {{\[\[}}0], [1], [2], [3, 4, 5]] output_shape [1, 1, 4, 1, 2, 1]
// CHECK: %[[C:.*]] = tensor.collapse_shape {{.*}} into tensor<1x1x8x1xf32>
// CHECK: %[[S:.*]] = tensor.extract_slice %[[C]][0, 0, 1, 0] [1, 1, 6, 1] [1, 1, 1, 1] : tensor<1x1x8x1xf32> to tensor<1x1x6x1xf32>
// CHECK: return %[[S]]
func.func @k4s2p1(%x: tensor<1x1x3x1xf32>) -> tensor<1x1x6x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1x9x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x9x1xf32>) -> tensor<1x1x9x1xf32>
  %s = tensor.insert_slice %x into %z[0, 0, 2, 0] [1, 1, 3, 1] [1, 1, 2, 1] : tensor<1x1x3x1xf32> into tensor<1x1x9x1xf32>
  %w = arith.constant dense<[[[[1.0]], [[2.0]], [[3.0]], [[4.0]]]]> : tensor<1x4x1x1xf32>
  %oe = tensor.empty() : tensor<1x1x6x1xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x1x6x1xf32>) -> tensor<1x1x6x1xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<1x1x9x1xf32>, tensor<1x4x1x1xf32>) outs(%of : tensor<1x1x6x1xf32>) -> tensor<1x1x6x1xf32>
  %b = arith.constant dense<7.0> : tensor<1xf32>
  %r = linalg.generic {indexing_maps = [#id, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %b : tensor<1x1x6x1xf32>, tensor<1xf32>) outs(%oe : tensor<1x1x6x1xf32>) {
  ^bb0(%in: f32, %bi: f32, %out: f32):
    %a = arith.addf %in, %bi : f32
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x1x6x1xf32>
  return %r : tensor<1x1x6x1xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// The depth-to-space stays below a generic whose other operand is not a
// constant (it varies per pixel).
// CHECK-LABEL: func.func @not_sunk
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x2x2x4xf32>
// CHECK: linalg.transpose
// CHECK: tensor.collapse_shape
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
func.func @not_sunk(%x: tensor<1x2x2x1xf32>, %v: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x5x5x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x5x5x1xf32>) -> tensor<1x5x5x1xf32>
  %s = tensor.insert_slice %x into %z[0, 1, 1, 0] [1, 2, 2, 1] [1, 2, 2, 1] : tensor<1x2x2x1xf32> into tensor<1x5x5x1xf32>
  %w = arith.constant dense<1.0> : tensor<2x2x1x1xf32>
  %oe = tensor.empty() : tensor<1x4x4x1xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<1x5x5x1xf32>, tensor<2x2x1x1xf32>) outs(%of : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %v : tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>) outs(%oe : tensor<1x4x4x1xf32>) {
  ^bb0(%in: f32, %p: f32, %out: f32):
    %m = arith.mulf %in, %p : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x1xf32>
  return %r : tensor<1x4x4x1xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bc = affine_map<(d0, d1, d2, d3) -> (d3)>

// Two 2x2 stride-2 transposed convolutions in a row (PaddleOCR's detector
// head), the second with no more columns (4) than the first has channels
// (4): the second's 1x1 convolution runs on the first's phases side by side
// ([N][H][W*4][4], reshapes of its result) before the first's
// depth-to-space, which moves the second's 4 columns instead of the first's
// 4 channels; the bias and ReLU run on that convolution with their 4
// constants. Both depth-to-spaces follow at the end.
// CHECK-LABEL: func.func @two_transposed
// CHECK-DAG: %[[B:.*]] = arith.constant dense<5.000000e-01> : tensor<4xf32>
// CHECK: %[[Z:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %{{.*}} : tensor<?x1x1x2xf32>, tensor<1x1x2x16xf32>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[Z]] {{\[\[}}0], [1], [2], [3, 4]] {{.*}} into tensor<?x1x1x4x4xf32>
// CHECK: %[[P:.*]] = tensor.collapse_shape %[[E]] {{\[\[}}0], [1], [2, 3], [4]] {{.*}} into tensor<?x1x4x4xf32>
// CHECK-NOT: linalg.transpose
// CHECK: %[[Y:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[P]], %{{.*}} : tensor<?x1x4x4xf32>, tensor<1x1x4x4xf32>)
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[Y]], %[[B]] : tensor<?x1x4x4xf32>, tensor<4xf32>)
// CHECK: tensor.expand_shape %[[G]] {{\[\[}}0], [1], [2, 3], [4]]
// CHECK: linalg.transpose ins(%{{.*}} : tensor<?x1x1x2x2x4xf32>) {{.*}} permutation = [0, 1, 3, 2, 4, 5]
// CHECK: linalg.transpose ins(%{{.*}} : tensor<?x2x2x2x2x1xf32>) {{.*}} permutation = [0, 1, 3, 2, 4, 5]
func.func @two_transposed(%x: tensor<?x1x1x2xf32>) -> tensor<?x4x4x1xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1x1x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x3x3x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x3x3x2xf32>) -> tensor<?x3x3x2xf32>
  %s = tensor.insert_slice %x into %z[0, 1, 1, 0] [%n, 1, 1, 2] [1, 2, 2, 1] : tensor<?x1x1x2xf32> into tensor<?x3x3x2xf32>
  %w = arith.constant dense<[[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]], [[9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0]]], [[[17.0, 18.0, 19.0, 20.0], [21.0, 22.0, 23.0, 24.0]], [[25.0, 26.0, 27.0, 28.0], [29.0, 30.0, 31.0, 32.0]]]]> : tensor<2x2x2x4xf32>
  %oe = tensor.empty(%n) : tensor<?x2x2x4xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<?x2x2x4xf32>) -> tensor<?x2x2x4xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<?x3x3x2xf32>, tensor<2x2x2x4xf32>) outs(%of : tensor<?x2x2x4xf32>) -> tensor<?x2x2x4xf32>
  %e2 = tensor.empty(%n) : tensor<?x5x5x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x5x5x4xf32>) -> tensor<?x5x5x4xf32>
  %s2 = tensor.insert_slice %y into %z2[0, 1, 1, 0] [%n, 2, 2, 4] [1, 2, 2, 1] : tensor<?x2x2x4xf32> into tensor<?x5x5x4xf32>
  %w2 = arith.constant dense<[[[[1.0], [2.0], [3.0], [4.0]], [[5.0], [6.0], [7.0], [8.0]]], [[[9.0], [10.0], [11.0], [12.0]], [[13.0], [14.0], [15.0], [16.0]]]]> : tensor<2x2x4x1xf32>
  %oe2 = tensor.empty(%n) : tensor<?x4x4x1xf32>
  %of2 = linalg.fill ins(%zero : f32) outs(%oe2 : tensor<?x4x4x1xf32>) -> tensor<?x4x4x1xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s2, %w2 : tensor<?x5x5x4xf32>, tensor<2x2x4x1xf32>) outs(%of2 : tensor<?x4x4x1xf32>) -> tensor<?x4x4x1xf32>
  %b = arith.constant dense<0.5> : tensor<1xf32>
  %r = linalg.generic {indexing_maps = [#id, #bc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y2, %b : tensor<?x4x4x1xf32>, tensor<1xf32>) outs(%oe2 : tensor<?x4x4x1xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %a = arith.addf %in, %bias : f32
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x4x4x1xf32>
  return %r : tensor<?x4x4x1xf32>
}

// -----

// The second with more columns (4) than the first has channels (1): the
// first's depth-to-space stays before it (moving it would move more).
// CHECK-LABEL: func.func @wider
// CHECK: %[[T:.*]] = linalg.transpose {{.*}} permutation = [0, 1, 3, 2, 4, 5]
// CHECK: %[[D:.*]] = tensor.collapse_shape %[[T]]
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[D]], %{{.*}} : tensor<1x2x2x1xf32>, tensor<1x1x1x4xf32>)
func.func @wider(%x: tensor<1x1x1x1xf32>) -> tensor<1x4x4x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3x3x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x3x1xf32>) -> tensor<1x3x3x1xf32>
  %s = tensor.insert_slice %x into %z[0, 1, 1, 0] [1, 1, 1, 1] [1, 2, 2, 1] : tensor<1x1x1x1xf32> into tensor<1x3x3x1xf32>
  %w = arith.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %oe = tensor.empty() : tensor<1x2x2x1xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s, %w : tensor<1x3x3x1xf32>, tensor<2x2x1x1xf32>) outs(%of : tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32>
  %e2 = tensor.empty() : tensor<1x5x5x1xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x5x5x1xf32>) -> tensor<1x5x5x1xf32>
  %s2 = tensor.insert_slice %y into %z2[0, 1, 1, 0] [1, 2, 2, 1] [1, 2, 2, 1] : tensor<1x2x2x1xf32> into tensor<1x5x5x1xf32>
  %oe2 = tensor.empty() : tensor<1x4x4x1xf32>
  %of2 = linalg.fill ins(%zero : f32) outs(%oe2 : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%s2, %w : tensor<1x5x5x1xf32>, tensor<2x2x1x1xf32>) outs(%of2 : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  return %y2 : tensor<1x4x4x1xf32>
}
