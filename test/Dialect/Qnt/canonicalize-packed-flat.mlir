// RUN: quant-opt %s -canonicalize | FileCheck %s

// Tests that packed_flat whose rows end on byte boundaries becomes packed
// over the reshaped bytes (the same bytes): 2x4 i4 values, 4 bytes, two per
// row.
// CHECK-LABEL: func @aligned
// CHECK: %[[B:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [2, 2] : tensor<4xi8> into tensor<2x2xi8>
// CHECK: qnt.dequantize %[[B]] : tensor<2x2xi8> to tensor<2x4xf32> as #qnt.params<i4, scales = [0.5]> packed{{$}}
func.func @aligned(%q: tensor<4xi8>) -> tensor<2x4xf32> {
  %x = qnt.dequantize %q : tensor<4xi8> to tensor<2x4xf32> as #qnt.params<i4, scales = [0.5]> packed_flat
  return %x : tensor<2x4xf32>
}

// Tests that a 1-D result needs no reshape.
// CHECK-LABEL: func @one_dim
// CHECK: qnt.dequantize %arg0 : tensor<3xi8> to tensor<12xf32> as #qnt.params<ui2, scales = [1.0]> packed{{$}}
func.func @one_dim(%q: tensor<3xi8>) -> tensor<12xf32> {
  %x = qnt.dequantize %q : tensor<3xi8> to tensor<12xf32> as #qnt.params<ui2, scales = [1.0]> packed_flat
  return %x : tensor<12xf32>
}

// Tests that rows starting mid-byte stay packed_flat (3 i4 values a row).
// CHECK-LABEL: func @odd_rows
// CHECK: qnt.dequantize %arg0 : tensor<5xi8> to tensor<3x3xf32> {{.*}} packed_flat
func.func @odd_rows(%q: tensor<5xi8>) -> tensor<3x3xf32> {
  %x = qnt.dequantize %q : tensor<5xi8> to tensor<3x3xf32> as #qnt.params<i4, scales = [0.5]> packed_flat
  return %x : tensor<3x3xf32>
}
