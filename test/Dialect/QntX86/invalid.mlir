// RUN: quant-opt %s -split-input-file -verify-diagnostics

// Tests that a dot product needs four bytes per i32 lane.
func.func @dot(%acc: vector<16xi32>, %a: vector<32xi8>) -> vector<16xi32> {
  // expected-error @+1 {{'qnt_x86.dot_u8i8' op needs four bytes per i32 lane}}
  %r = qnt_x86.dot_u8i8 %acc, %a, %a : vector<32xi8> into vector<16xi32>
  return %r : vector<16xi32>
}

// -----

// Tests that the vector widths are those of vpdpbusd.
func.func @dot(%acc: vector<4xi32>, %a: vector<16xi8>) -> vector<4xi32> {
  // expected-error @+1 {{'qnt_x86.dot_u8i8' op operand #0 must be vector of 32-bit signless integer values of length 8/16}}
  %r = qnt_x86.dot_u8i8 %acc, %a, %a : vector<16xi8> into vector<4xi32>
  return %r : vector<4xi32>
}

// -----

// Tests that a bf16 dot takes 32 bf16 values into 16 f32 lanes.
func.func @dot_bf16(%acc: vector<16xf32>, %a: vector<16xbf16>) -> vector<16xf32> {
  // expected-error @+1 {{'qnt_x86.dot_bf16' op operand #1 must be vector of bfloat16 type values of length 32}}
  %r = qnt_x86.dot_bf16 %acc, %a, %a : vector<16xbf16> into vector<16xf32>
  return %r : vector<16xf32>
}

// -----

func.func @short_table(%codes: vector<64xi8>) -> vector<64xi8> {
  // expected-error @+1 {{needs a table of 16 bytes, got 15}}
  %u = qnt_x86.lookup_bytes %codes table = [12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4] : vector<64xi8>
  return %u : vector<64xi8>
}
