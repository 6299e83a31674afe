// RUN: quant-opt %s --convert-qnt-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Tests a dynamic matmul: the i32 contraction keeps the op's maps and has no
// zero point inside the reduction; the weight sums are compile-time
// constants (127 + (-25) = 102, 127 + (-64) = 63); the epilogue computes
// float(acc - z_x * sum(w)) * (s_x * s_w) with the run-time s_x, z_x.
// CHECK-DAG: #[[$X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$W:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$O:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @dynamic
// CHECK: %[[SUM:.*]] = arith.constant dense<[102, 63]> : tensor<2xi32>
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#[[$X]], #[[$W]], #[[$O]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %{{.*}} : tensor<?x2xi8>, tensor<2x2xi8>)
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK-NOT: arith.subi
// CHECK: linalg.yield
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[SUM]], %arg1, %arg2, %{{.*}} : tensor<?x2xi32>, tensor<2xi32>, tensor<f32>, tensor<i32>, tensor<2xf32>) outs(%{{.*}} : tensor<?x2xf32>)
// CHECK: %[[ZS:.*]] = arith.muli %{{.*}}, %{{.*}} : i32
// CHECK: %[[C:.*]] = arith.subi %{{.*}}, %[[ZS]] : i32
// CHECK: %[[S:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[F:.*]] = arith.sitofp %[[C]] : i32 to f32
// CHECK: arith.mulf %[[F]], %[[S]] : f32
// CHECK-NOT: qnt.contract
func.func @dynamic(%xq: tensor<?x2xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[127, 127], [-25, -64]]> : tensor<2x2xi8>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<?x2xi8>, tensor<2x2xi8>, tensor<f32>, tensor<i32>) -> tensor<?x2xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input_storage = ui8 weight = #qnt.params<i8, narrow, axis = 1, scales = [0.01, 0.003937008]>
  return %y : tensor<?x2xf32>
}

// -----

// Tests a requantized result: acc - z_x * sum(w) + bias in i32 (z_x = 10,
// sums 3 and -3), qnt.requantize from the accumulator's scale
// 0.5 * 0.25 = 0.125 to the result's (lowered by the same conversion), and
// the stored clamp [3, 200] (200 is -56 as i8) with unsigned min/max.
// CHECK-LABEL: func @requantized
// CHECK: %[[SUM:.*]] = arith.constant dense<[3, -3]> : tensor<2xi32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[SUM]], %arg1 : tensor<2x2xi32>, tensor<2xi32>, tensor<2xi32>) outs(%{{.*}} : tensor<2x2xi32>)
// CHECK: %[[ZX:.*]] = arith.constant 10 : i32
// CHECK: arith.muli %[[ZX]], %{{.*}} : i32
// CHECK: arith.subi
// CHECK: arith.addi
// CHECK: math.roundeven
// CHECK: arith.constant 3 : i8
// CHECK: arith.constant -56 : i8
// CHECK: arith.maxui
// CHECK: arith.minui
func.func @requantized(%xq: tensor<2x3xi8>, %b: tensor<2xi32>) -> tensor<2x2xi8> {
  %w = arith.constant dense<[[1, -1], [1, -1], [1, -1]]> : tensor<3x2xi8>
  %y = qnt.contract %xq, %w bias %b : (tensor<2x3xi8>, tensor<3x2xi8>, tensor<2xi32>) -> tensor<2x2xi8>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]>
         result = #qnt.params<ui8, scales = [1.0], zero_points = [3]> clamp = [3, 200]
  return %y : tensor<2x2xi8>
}

// -----

// Tests the i32 accumulator result: the correction only, no scale.
// CHECK-LABEL: func @accumulator
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x2xi32>)
// CHECK: arith.subi
// CHECK-NOT: arith.sitofp
// CHECK: return %{{.*}} : tensor<2x2xi32>
func.func @accumulator(%xq: tensor<2x3xi8>) -> tensor<2x2xi32> {
  %w = arith.constant dense<[[1, -1], [1, -1], [1, -1]]> : tensor<3x2xi8>
  %y = qnt.contract %xq, %w : (tensor<2x3xi8>, tensor<3x2xi8>) -> tensor<2x2xi32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]>
         result = #qnt.params<i32, scales = [0.125]>
  return %y : tensor<2x2xi32>
}

// -----

// Tests weight zero points: sum(q_x) over K by one more reduction (the loops
// without the output channel), then acc - z_w * (sum(q_x) - K * z_x) with
// K = 3 and the per-channel z_w.
// CHECK-LABEL: func @weight_zero_points
// CHECK: %[[ROWS:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0, %{{.*}} : tensor<2x3xi8>, tensor<3xi8>) outs(%{{.*}} : tensor<2xi32>)
// CHECK: %[[ZW:.*]] = arith.constant dense<[128, 120]> : tensor<2xi32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[ROWS]], %[[ZW]] : tensor<2x2xi32>, tensor<2xi32>, tensor<2xi32>)
// CHECK: arith.constant 3 : i32
func.func @weight_zero_points(%xq: tensor<2x3xi8>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[130, 0], [128, 255], [1, 120]]> : tensor<3x2xi8>
  %y = qnt.contract %xq, %w : (tensor<2x3xi8>, tensor<3x2xi8>) -> tensor<2x2xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<ui8, axis = 1, scales = [0.25, 0.5], zero_points = [128, 120]>
  return %y : tensor<2x2xf32>
}

// -----

// Tests a strided NHWC convolution: the filter sums run over KH, KW and C per
// output channel (3 * 3 * 2 * 127 = 2286) and the window map is kept.
// CHECK-DAG: #[[$CX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 * 2 + d4, d2 * 2 + d5, d6)>
// CHECK-LABEL: func @conv
// CHECK: arith.constant dense<2286> : tensor<4xi32>
// CHECK: linalg.generic {indexing_maps = [#[[$CX]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
func.func @conv(%xq: tensor<1x7x7x2xi8>) -> tensor<1x3x3x4xf32> {
  %w = arith.constant dense<127> : tensor<3x3x2x4xi8>
  %y = qnt.contract %xq, %w : (tensor<1x7x7x2xi8>, tensor<3x3x2x4xi8>) -> tensor<1x3x3x4xf32>
         maps = [affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh * 2 + kh, ow * 2 + kw, c)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (kh, kw, c, f)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>]
         input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]>
  return %y : tensor<1x3x3x4xf32>
}

// -----

// Tests a weight that is not a constant (an activation, quantized at run
// time): its sums over the reduced axis are one more reduction at run time
// (per batch and output column), and its run-time zero point and scale are
// operands of the epilogues.
// CHECK-DAG: #[[$BW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$BS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$SCALAR:.*]] = affine_map<(d0, d1, d2) -> ()>
// CHECK-LABEL: func @runtime_weight
// CHECK: linalg.generic {indexing_maps = [#[[$BW]], #[[$BS]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg1 : tensor<2x3x5xi8>) outs(%{{.*}} : tensor<2x5xi32>)
// CHECK: arith.extui
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<2x4x3xi8>, tensor<2x3x5xi8>)
// CHECK: linalg.generic {{.*}} ins(%arg0, %{{.*}} : tensor<2x4x3xi8>, tensor<3xi8>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %arg5, %arg3 : tensor<2x4x5xi32>, tensor<2x4xi32>, tensor<i32>, tensor<i32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %arg2, %arg3, %arg4 : tensor<2x4x5xi32>, tensor<2x5xi32>, tensor<f32>, tensor<i32>, tensor<f32>)
// CHECK: arith.sitofp
// CHECK: arith.mulf
func.func @runtime_weight(%xq: tensor<2x4x3xi8>, %wq: tensor<2x3x5xi8>, %sx: tensor<f32>, %zx: tensor<i32>, %sw: tensor<f32>, %zw: tensor<i32>) -> tensor<2x4x5xf32> {
  %y = qnt.contract %xq, %wq dynamic(%sx, %zx) weight_dynamic(%sw, %zw) : (tensor<2x4x3xi8>, tensor<2x3x5xi8>, tensor<f32>, tensor<i32>, tensor<f32>, tensor<i32>) -> tensor<2x4x5xf32>
         maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
         input_storage = i8 weight_storage = ui8
  return %y : tensor<2x4x5xf32>
}

// -----

// Tests per-block weights (blocks of 4 over K = 10: 4, 4, 2) with per-block
// dynamic input parameters: the int32 sums of each block (the reduced loop
// writes block k floordiv 4, the zero points of input and weight subtracted
// inside), then the blocks summed with fma in f32.
func.func @contract_block(%x: tensor<?x10xi8>, %s: tensor<?x3xf32>, %z: tensor<?x3xi32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1> : tensor<10x3xi4>
  %y = qnt.contract %x, %w dynamic(%s, %z) : (tensor<?x10xi8>, tensor<10x3xi4>, tensor<?x3xf32>, tensor<?x3xi32>) -> tensor<?x3xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input_storage = i8
         weight = #qnt.params<i4, axis = 0, block = 4, scales = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], zero_points = [1, 0, 0, 0, 0, 0, 0, 0, 2]>
  return %y : tensor<?x3xf32>
}
// CHECK-LABEL: func @contract_block
// CHECK: %[[INIT:.*]] = linalg.fill {{.*}} -> tensor<?x3x3xi32>
// CHECK: %[[ZW:.*]] = arith.constant dense<{{\[\[}}1, 0, 0], [0, 0, 0], [0, 0, 2]]> : tensor<3x3xi32>
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[XB:.*]], #[[WB:.*]], #[[AB:.*]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %{{.*}}, %arg2, %[[ZW]] : {{.*}}) outs(%[[INIT]] : tensor<?x3x3xi32>)
// CHECK: arith.subi
// CHECK: arith.subi
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %{{.*}}, %arg1 : tensor<?x3x3xi32>, tensor<3x3xf32>, tensor<?x3xf32>) outs(%{{.*}} : tensor<?x3xf32>)
// CHECK: %[[SC:.*]] = arith.mulf
// CHECK: %[[F:.*]] = arith.sitofp
// CHECK: math.fma %[[F]], %[[SC]], %{{.*}} : f32

// -----

// Tests MXFP4 weights (f4E2M1FN codes per block of 4 over K = 8): the op
// reads each code as the integer 2 * value through a table of the 16 codes
// (0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives, times 2), and the block
// scales halved (2^-2 -> 2^-3, 2^3 -> 2^2): the same real weights.
func.func @contract_mxfp4(%x: tensor<?x8xi8>, %s: tensor<?x2xf32>, %z: tensor<?x2xi32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[0.5, -6.0], [1.5, 3.0], [0.0, -0.5], [4.0, 2.0], [1.0, 6.0], [-1.5, -1.0], [2.0, 0.5], [-4.0, 0.0]]> : tensor<8x2xf4E2M1FN>
  %y = qnt.contract %x, %w dynamic(%s, %z) : (tensor<?x8xi8>, tensor<8x2xf4E2M1FN>, tensor<?x2xf32>, tensor<?x2xi32>) -> tensor<?x2xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input_storage = i8
         weight = #qnt.params<f4E2M1FN, pow2, axis = 0, block = 4, scales = [0.25, 8.0, 1.0, 0.0078125]>
  return %y : tensor<?x2xf32>
}
// CHECK-LABEL: func @contract_mxfp4
// CHECK: %[[CODES:.*]] = arith.constant dense<[0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]> : tensor<16xi32>
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}} ins(%arg0, %{{.*}}, %arg2 : tensor<?x8xi8>, tensor<8x2xf4E2M1FN>, tensor<?x2xi32>)
// CHECK: ^bb0(%{{.*}}: i8, %[[W:.*]]: f4E2M1FN,
// CHECK: %[[BITS:.*]] = arith.bitcast %[[W]] : f4E2M1FN to i4
// CHECK: %[[I:.*]] = arith.index_castui %[[BITS]] : i4 to index
// CHECK: tensor.extract %[[CODES]][%[[I]]] : tensor<16xi32>
// CHECK: arith.muli
// CHECK: %[[SW:.*]] = arith.constant dense<{{\[\[}}1.250000e-01, 4.000000e+00], [5.000000e-01, 3.906250e-03]]> : tensor<2x2xf32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[SW]], %arg1 : tensor<?x2x2xi32>, tensor<2x2xf32>, tensor<?x2xf32>)
// CHECK: math.fma
