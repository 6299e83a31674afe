// RUN: quant-opt %s --qnt-export-upstream --verify-diagnostics | FileCheck %s

// What !quant.uniform cannot say stays in qnt, with a remark: minval
// parameters, minifloat storage, packed sub-byte storage, a rounding other
// than half_even. The rest is exported.
// CHECK-LABEL: func @mixed
// CHECK: quant.qcast %arg0 : tensor<4x8xf32> to tensor<4x8x!quant.uniform<i4:f32, 5.000000e-01>>
// CHECK: quant.scast {{.*}} to tensor<4x8xi4>
// CHECK-COUNT-4: qnt.
func.func @mixed(%x: tensor<4x8xf32>, %p: tensor<4x4xi8>) -> (tensor<4x8xi4>, tensor<4x8xi8>, tensor<4x8xf8E4M3FN>, tensor<4x8xf32>, tensor<4x8xi8>) {
  %a = qnt.quantize %x : tensor<4x8xf32> to tensor<4x8xi4> as #qnt.params<i4, scales = [0.5]>
  // expected-remark @+1 {{qnt-export-upstream: 'qnt.quantize' stays in qnt: minval parameters (a per-group minimum instead of a zero point) have no !quant.uniform form}}
  %b = qnt.quantize %x : tensor<4x8xf32> to tensor<4x8xi8> as #qnt.params<ui8, scales = [0.5], min_values = [-1.0]>
  // expected-remark @+1 {{qnt-export-upstream: 'qnt.quantize' stays in qnt: float (minifloat) storage has no !quant.uniform form here}}
  %c = qnt.quantize %x : tensor<4x8xf32> to tensor<4x8xf8E4M3FN> as #qnt.params<f8E4M3FN, scales = [0.5]>
  // expected-remark @+1 {{qnt-export-upstream: 'qnt.dequantize' stays in qnt: its input is packed sub-byte storage}}
  %d = qnt.dequantize %p : tensor<4x4xi8> to tensor<4x8xf32> as #qnt.params<i4, scales = [0.5]> packed
  // expected-remark @+1 {{qnt-export-upstream: 'qnt.quantize' stays in qnt: its rounding (half_away) would be lost}}
  %e = qnt.quantize %x : tensor<4x8xf32> to tensor<4x8xi8> as #qnt.params<i8, scales = [0.5]> rounding = half_away
  return %a, %b, %c, %d, %e : tensor<4x8xi4>, tensor<4x8xi8>, tensor<4x8xf8E4M3FN>, tensor<4x8xf32>, tensor<4x8xi8>
}

// A shorter last block (blocks of 3 over 8 columns: 3 + 3 + 2) stays in qnt:
// the quant dialect's sub-channel blocks divide the dimension.
// CHECK-LABEL: func @short_block
// CHECK: qnt.quantize
func.func @short_block(%x: tensor<2x8xf32>) -> tensor<2x8xi8> {
  // expected-remark @+1 {{qnt-export-upstream: 'qnt.quantize' stays in qnt: a shorter last block has no sub-channel !quant.uniform form}}
  %q = qnt.quantize %x : tensor<2x8xf32> to tensor<2x8xi8> as #qnt.params<i8, axis = 1, block = 3, scales = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]>
  return %q : tensor<2x8xi8>
}
