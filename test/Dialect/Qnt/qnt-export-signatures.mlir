// RUN: quant-opt %s --qnt-export-signatures --split-input-file --verify-diagnostics | FileCheck %s

// Tests that a public tensor function gets its signature, the C interface
// request and the unsigned-storage markers of its arguments and results.
// CHECK-LABEL: func @f
// CHECK-SAME: (%{{.*}}: tensor<4xf32> {bufferization.writable = false}, %{{.*}}: tensor<4xi8> {bufferization.writable = false})
// CHECK-SAME: attributes {llvm.emit_c_interface, qnt.signature = (tensor<4xf32>, tensor<4xi8>) -> (tensor<4xi4>, tensor<4xf32>), qnt.unsigned_args = array<i1: false, true>, qnt.unsigned_results = array<i1: true, false>}
func.func @f(%x: tensor<4xf32>, %q: tensor<4xi8>) -> (tensor<4xi4>, tensor<4xf32>) {
  %a = qnt.quantize %x : tensor<4xf32> to tensor<4xi4> as #qnt.params<ui4, scales = [0.5]>
  %b = qnt.dequantize %q : tensor<4xi8> to tensor<4xf32> as #qnt.params<ui8, scales = [0.5], zero_points = [128]>
  return %a, %b : tensor<4xi4>, tensor<4xf32>
}

// -----

// Tests that signed storage needs no markers.
// CHECK-LABEL: func @signed
// CHECK-SAME: attributes {llvm.emit_c_interface, qnt.signature = (tensor<4xf32>) -> tensor<4xi8>}
func.func @signed(%x: tensor<4xf32>) -> tensor<4xi8> {
  %a = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.5]>
  return %a : tensor<4xi8>
}

// -----

// Tests that private functions and scalar signatures are left alone, the
// latter with a remark.
// CHECK-LABEL: func private @helper
// CHECK-NOT: qnt.signature
// CHECK-LABEL: func @scalar
// CHECK-NOT: qnt.signature
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
// expected-remark @+1 {{not exported for quant-run: arguments and results must all be ranked tensors or identity-layout memrefs}}
func.func @scalar(%x: f32) -> f32 {
  return %x : f32
}
// CHECK-LABEL: func @strided
// CHECK-NOT: qnt.signature
// expected-remark @+1 {{not exported for quant-run}}
func.func @strided(%x: memref<4xf32, strided<[1], offset: 3>>) {
  return
}
