// RUN: quant-opt %s --convert-qnt-to-linalg --split-input-file | FileCheck %s

// Tests the per-tensor affine quantize body: divide, round half to even, add
// the zero point, NaN to the zero point, float clamp, convert (to i32: the
// bounds are exact in f32 and i32, so no integer clamp is needed).
// CHECK-LABEL: func @quantize_per_tensor
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel"]
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: i8):
// CHECK: %[[S:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[Y:.*]] = arith.divf %[[IN]], %[[S]] : f32
// CHECK: %[[Z:.*]] = arith.constant 3.000000e+00 : f32
// CHECK: %[[R:.*]] = math.roundeven %[[Y]] : f32
// CHECK: %[[V:.*]] = arith.addf %[[R]], %[[Z]] : f32
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[Y]], %[[Y]] : f32
// CHECK: %[[SEL:.*]] = arith.select %[[NAN]], %[[Z]], %[[V]] : f32
// CHECK: arith.constant -1.280000e+02 : f32
// CHECK: %[[LO:.*]] = arith.maximumf %[[SEL]]
// CHECK: %[[HI:.*]] = arith.minimumf %[[LO]]
// CHECK: %[[I:.*]] = arith.fptosi %[[HI]] : f32 to i32
// CHECK-NEXT: %[[T:.*]] = arith.trunci %[[I]] : i32 to i8
// CHECK-NEXT: linalg.yield %[[T]] : i8
func.func @quantize_per_tensor(%x: tensor<4xf32>) -> tensor<4xi8> {
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.5], zero_points = [3]>
  return %q : tensor<4xi8>
}

// -----

// Tests the conversion's width by storage: unsigned ranges convert unsigned
// (LLVM may narrow a truncated conversion: fptosi to i8 of 200.0 would be
// poison); an i32 result (a requantization to i32), whose bounds f32 does
// not hold exactly, goes through i64 with the exact integer clamp.
// CHECK-LABEL: func @saturate_widths
// CHECK: %[[U:.*]] = arith.fptoui %{{.*}} : f32 to i32
// CHECK-NEXT: arith.trunci %[[U]] : i32 to i8
// CHECK: %[[W:.*]] = arith.fptosi %{{.*}} : f32 to i64
// CHECK: %[[LO:.*]] = arith.maxsi %[[W]], %{{.*}} : i64
// CHECK: %[[HI:.*]] = arith.minsi %[[LO]], %{{.*}} : i64
// CHECK: arith.trunci %[[HI]] : i64 to i32
func.func @saturate_widths(%x: tensor<4xf32>, %q: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi32>) {
  %u = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<ui8, scales = [0.5], zero_points = [128]>
  %w = qnt.requantize %q : tensor<4xi8> to tensor<4xi32> from #qnt.params<i8, scales = [0.5]> to #qnt.params<i32, scales = [2.0]>
  return %u, %w : tensor<4xi8>, tensor<4xi32>
}

// -----

// Tests that per-channel scales become a constant read through (d0, d1) -> (d1)
// and that a dynamic dimension sizes the init tensor.
// CHECK-DAG: #[[$CH:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @quantize_per_channel
// CHECK: %[[SC:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 4.000000e+00]> : tensor<3xf32>
// CHECK: %[[DIM:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<?x3xf32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[DIM]]) : tensor<?x3xi8>
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$CH]], #[[$ID]]]
// CHECK-SAME: ins(%{{.*}}, %[[SC]] : tensor<?x3xf32>, tensor<3xf32>) outs(%[[INIT]] : tensor<?x3xi8>)
func.func @quantize_per_channel(%x: tensor<?x3xf32>) -> tensor<?x3xi8> {
  %q = qnt.quantize %x : tensor<?x3xf32> to tensor<?x3xi8> as #qnt.params<i8, axis = 1, scales = [1.0, 2.0, 4.0]>
  return %q : tensor<?x3xi8>
}

// -----

// Tests that per-block scales are read through `d1 floordiv block`.
// CHECK-DAG: #[[$BLK:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 2)>
// CHECK-LABEL: func @quantize_per_block
// CHECK: arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$BLK]], #{{.*}}]
func.func @quantize_per_block(%x: tensor<2x4xf32>) -> tensor<2x4xi4> {
  %q = qnt.quantize %x : tensor<2x4xf32> to tensor<2x4xi4> as #qnt.params<i4, axis = 1, block = 2, scales = [1.0, 2.0, 3.0, 4.0]>
  return %q : tensor<2x4xi4>
}

// -----

// Tests the rounding modes: half_away is math.round, half_up compares the
// exact fraction with 0.5, reciprocal multiplies by 1/s.
// CHECK-LABEL: func @rounding_modes
// CHECK: math.round %
// CHECK: %[[F:.*]] = math.floor %[[Y:.*]] : f32
// CHECK: %[[FRAC:.*]] = arith.subf %[[Y]], %[[F]] : f32
// CHECK: arith.cmpf oge, %[[FRAC]]
// CHECK: %[[INV:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: arith.mulf %{{.*}}, %[[INV]] : f32
// CHECK: math.roundeven
func.func @rounding_modes(%x: tensor<4xf32>) -> (tensor<4xi8>, tensor<4xi8>, tensor<4xi8>) {
  %a = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.5]> rounding = half_away
  %b = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.5]> rounding = half_up
  %c = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.5]> rounding = reciprocal
  return %a, %b, %c : tensor<4xi8>, tensor<4xi8>, tensor<4xi8>
}

// -----

// Tests dequantize of unsigned storage (zero-extended) to f16.
// CHECK-LABEL: func @dequantize_unsigned_f16
// CHECK: ^bb0(%[[Q:.*]]: i4, %{{.*}}: f16):
// CHECK: %[[W:.*]] = arith.extui %[[Q]] : i4 to i64
// CHECK: %[[D:.*]] = arith.subi %[[W]], %{{.*}} : i64
// CHECK: %[[F:.*]] = arith.sitofp %[[D]] : i64 to f32
// CHECK: %[[X:.*]] = arith.mulf %{{.*}}, %[[F]] : f32
// CHECK: %[[H:.*]] = arith.truncf %[[X]] : f32 to f16
// CHECK: linalg.yield %[[H]] : f16
func.func @dequantize_unsigned_f16(%q: tensor<4xi4>) -> tensor<4xf16> {
  %x = qnt.dequantize %q : tensor<4xi4> to tensor<4xf16> as #qnt.params<ui4:f16, scales = [0.25], zero_points = [8]>
  return %x : tensor<4xf16>
}

// -----

// Tests minval dequantize: s * (q - qmin) + m.
// CHECK-LABEL: func @dequantize_minval
// CHECK: %[[W:.*]] = arith.extsi %{{.*}} : i8 to i64
// CHECK: %[[QMIN:.*]] = arith.constant -128 : i64
// CHECK: %[[D:.*]] = arith.subi %[[W]], %[[QMIN]] : i64
// CHECK: %[[P:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.addf %[[P]], %{{.*}} : f32
func.func @dequantize_minval(%q: tensor<4xi8>) -> tensor<4xf32> {
  %x = qnt.dequantize %q : tensor<4xi8> to tensor<4xf32> as #qnt.params<i8, scales = [0.25], min_values = [-1.5]>
  return %x : tensor<4xf32>
}

// -----

// Tests minifloat encoding by bit manipulation ending in a bitcast, NaN
// mapped to 0x7F.
// CHECK-LABEL: func @quantize_f8
// CHECK: math.absf
// CHECK: arith.minimumf %{{.*}}, %{{.*}} : f32
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: math.roundeven
// CHECK: %[[NANCODE:.*]] = arith.constant 127 : i32
// CHECK: arith.select %{{.*}}, %[[NANCODE]], %{{.*}} : i32
// CHECK: %[[B:.*]] = arith.trunci %{{.*}} : i32 to i8
// CHECK: arith.bitcast %[[B]] : i8 to f8E4M3FN
func.func @quantize_f8(%x: tensor<4xf32>) -> tensor<4xf8E4M3FN> {
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xf8E4M3FN> as #qnt.params<f8E4M3FN, scales = [0.5]>
  return %q : tensor<4xf8E4M3FN>
}

// -----

// Tests minifloat decoding through a 16-entry table.
// CHECK-LABEL: func @dequantize_f4
// CHECK: %[[TABLE:.*]] = arith.constant dense<[0.000000e+00, 5.000000e-01, 1.000000e+00, 1.500000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 6.000000e+00, -0.000000e+00, {{.*}}]> : tensor<16xf32>
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f4E2M1FN to i4
// CHECK: %[[IDX:.*]] = arith.index_castui %[[BITS]] : i4 to index
// CHECK: tensor.extract %[[TABLE]][%[[IDX]]] : tensor<16xf32>
func.func @dequantize_f4(%q: tensor<4xf4E2M1FN>) -> tensor<4xf32> {
  %x = qnt.dequantize %q : tensor<4xf4E2M1FN> to tensor<4xf32> as #qnt.params<f4E2M1FN, scales = [0.5]>
  return %x : tensor<4xf32>
}

// -----

// Tests the fixed-point requantize: per-channel shifts, the multiplier and
// zero points uniform across channels folded to scalars, 64-bit rounding shift.
// CHECK-LABEL: func @requantize_fixed_point
// CHECK: %[[SH:.*]] = arith.constant dense<[31, 30]> : tensor<2xi64>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[SH]] :
// CHECK: ^bb0(%[[Q:.*]]: i32, %[[SHIFT:.*]]: i64, %{{.*}}: i8):
// CHECK: arith.extsi %[[Q]] : i32 to i64
// CHECK: %[[MUL:.*]] = arith.constant 1073741824 : i64
// CHECK: %[[P:.*]] = arith.muli %{{.*}}, %[[MUL]] : i64
// CHECK: %[[HALF:.*]] = arith.shli %{{.*}}, %{{.*}} : i64
// CHECK: %[[SUM:.*]] = arith.addi %[[P]], %[[HALF]] : i64
// CHECK: arith.shrsi %[[SUM]], %[[SHIFT]] : i64
// CHECK: arith.trunci %{{.*}} : i64 to i8
func.func @requantize_fixed_point(%acc: tensor<3x2xi32>) -> tensor<3x2xi8> {
  %y = qnt.requantize %acc : tensor<3x2xi32> to tensor<3x2xi8> from #qnt.params<i32, axis = 1, scales = [0.5, 1.0]> to #qnt.params<i8, scales = [1.0], zero_points = [2]> mode = fixed_point
  return %y : tensor<3x2xi8>
}

// -----

// Tests the float requantize: f32 multiply by s_in / s_out, round half to even.
// An input zero point of 0 converts q from i32 (the same float as from i64);
// another subtracts it in i64 first.
// CHECK-LABEL: func @requantize_float
// CHECK: %[[E:.*]] = arith.extsi %{{.*}} : i8 to i32
// CHECK: %[[F:.*]] = arith.sitofp %[[E]] : i32 to f32
// CHECK: %[[M:.*]] = arith.constant 2.500000e-01 : f32
// CHECK: %[[P:.*]] = arith.mulf %[[F]], %[[M]] : f32
// CHECK: math.roundeven %[[P]] : f32
// CHECK: arith.trunci %{{.*}} : i32 to i4
// CHECK: arith.extsi %{{.*}} : i8 to i64
// CHECK: %[[D:.*]] = arith.subi %{{.*}}, %{{.*}} : i64
// CHECK: arith.sitofp %[[D]] : i64 to f32
func.func @requantize_float(%q: tensor<4xi8>) -> (tensor<4xi4>, tensor<4xi4>) {
  %y = qnt.requantize %q : tensor<4xi8> to tensor<4xi4> from #qnt.params<i8, scales = [0.5]> to #qnt.params<i4, scales = [2.0]>
  %z = qnt.requantize %q : tensor<4xi8> to tensor<4xi4> from #qnt.params<i8, scales = [0.5], zero_points = [5]> to #qnt.params<i4, scales = [2.0]>
  return %y, %z : tensor<4xi4>, tensor<4xi4>
}

// -----

// Tests that fake_quant is a single generic computing both directions.
// CHECK-LABEL: func @fake_quant
// CHECK-COUNT-1: linalg.generic
// CHECK: math.roundeven
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK: arith.extsi %{{.*}} : i8 to i64
// CHECK: linalg.yield %{{.*}} : f32
// CHECK-NOT: linalg.generic
func.func @fake_quant(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = qnt.fake_quant %x : tensor<4xf32> as #qnt.params<i8, scales = [0.5]>
  return %y : tensor<4xf32>
}

// -----

// Tests dynamic_quantize: a reduction over the finite elements (per row: the
// last dimension is reduced), a generic solving scale and zero point, and
// the quantization reading them through (d0, d1) -> (d0).
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @dynamic_quantize
// CHECK: %[[RANGE:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.cmpf olt
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: %[[P:.*]]:3 = linalg.generic {{.*}} ins(%[[RANGE]]#0, %[[RANGE]]#1 : tensor<?xf32>, tensor<?xf32>)
// CHECK: math.roundeven
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$ROW]], #[[$ROW]], #{{.*}}]
// CHECK-SAME: ins(%{{.*}}, %[[P]]#0, %[[P]]#2 :
// CHECK: return %{{.*}}, %[[P]]#0, %[[P]]#1
func.func @dynamic_quantize(%x: tensor<?x8xf32>) -> (tensor<?x8xi8>, tensor<?xf32>, tensor<?xi32>) {
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<?x8xf32> to tensor<?x8xi8>, tensor<?xf32>, tensor<?xi32> storage = ui8 scheme = asymmetric per_row
  return %q, %s, %z : tensor<?x8xi8>, tensor<?xf32>, tensor<?xi32>
}

// -----

// Tests dynamic_quantize per block: the input padded with zeros to whole
// blocks (a zero never changes a block's parameters), viewed as
// [rows][blocks][B] and quantized per row of that view (the per-row
// lowering, which qnt-vectorize-elementwise vectorizes), then collapsed and
// sliced back to the input's shape.
// CHECK-LABEL: func @dynamic_quantize_blocks
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[PAD:.*]] = tensor.pad %{{.*}} low[0, 0] high[0, 8]
// CHECK: tensor.yield %[[ZERO]]
// CHECK: tensor<?x40xf32> to tensor<?x48xf32>
// CHECK: %[[VIEW:.*]] = tensor.expand_shape %[[PAD]] {{\[\[}}0], [1, 2]] output_shape [%{{.*}}, 3, 16] : tensor<?x48xf32> into tensor<?x3x16xf32>
// CHECK: %[[RANGE:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[VIEW]] : tensor<?x3x16xf32>) outs(%{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?x3xf32>)
// CHECK: %[[P:.*]]:3 = linalg.generic {{.*}} ins(%[[RANGE]]#0, %[[RANGE]]#1 : tensor<?x3xf32>, tensor<?x3xf32>)
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%[[VIEW]], %[[P]]#0, %[[P]]#2 : tensor<?x3x16xf32>, tensor<?x3xf32>, tensor<?x3xf32>) outs(%{{.*}} : tensor<?x3x16xi8>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[Q]] {{\[\[}}0], [1, 2]] : tensor<?x3x16xi8> into tensor<?x48xi8>
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %[[FLAT]][0, 0] [%{{.*}}, 40] [1, 1] : tensor<?x48xi8> to tensor<?x40xi8>
// CHECK: return %[[SLICE]], %[[P]]#0, %[[P]]#1
func.func @dynamic_quantize_blocks(%x: tensor<?x40xf32>) -> (tensor<?x40xi8>, tensor<?x3xf32>, tensor<?x3xi32>) {
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<?x40xf32> to tensor<?x40xi8>, tensor<?x3xf32>, tensor<?x3xi32> storage = i8 scheme = symmetric block = 16
  return %q, %s, %z : tensor<?x40xi8>, tensor<?x3xf32>, tensor<?x3xi32>
}
