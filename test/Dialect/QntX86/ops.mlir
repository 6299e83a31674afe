// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s --mlir-print-op-generic | quant-opt | FileCheck %s

// Tests that the dot product prints in its custom form, 512- and 256-bit.
// CHECK-LABEL: func @dot
// CHECK: qnt_x86.dot_u8i8 %arg0, %arg1, %arg2 : vector<64xi8> into vector<16xi32>
// CHECK: qnt_x86.dot_u8i8 %arg3, %{{.*}}, %{{.*}} : vector<32xi8> into vector<8xi32>
func.func @dot(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>, %acc8: vector<8xi32>, %a8: vector<32xi8>) -> (vector<16xi32>, vector<8xi32>) {
  %r = qnt_x86.dot_u8i8 %acc, %a, %b : vector<64xi8> into vector<16xi32>
  %r8 = qnt_x86.dot_u8i8 %acc8, %a8, %a8 : vector<32xi8> into vector<8xi32>
  return %r, %r8 : vector<16xi32>, vector<8xi32>
}

// Tests the bf16 dot's custom form.
// CHECK-LABEL: func @dot_bf16
// CHECK: qnt_x86.dot_bf16 %arg0, %arg1, %arg2 : vector<32xbf16> into vector<16xf32>
func.func @dot_bf16(%acc: vector<16xf32>, %a: vector<32xbf16>, %b: vector<32xbf16>) -> vector<16xf32> {
  %r = qnt_x86.dot_bf16 %acc, %a, %b : vector<32xbf16> into vector<16xf32>
  return %r : vector<16xf32>
}
