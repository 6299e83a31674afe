// RUN: quant-opt %s --split-input-file --verify-diagnostics --qnt-import-upstream

// A storage range that is neither the full nor the narrow one.
func.func @custom_range(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8<-5:10>:f32, 0.5>> {
  // expected-error @+1 {{qnt-import-upstream: '!quant.uniform<i8<-5:10>:f32, 5.000000e-01>': the storage range [-5, 10] is neither the full nor the narrow range of the storage type}}
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8<-5:10>:f32, 0.5>>
  return %q : tensor<4x!quant.uniform<i8<-5:10>:f32, 0.5>>
}

// -----

// Blocks on two dimensions.
func.func @two_block_dims(%w: tensor<4x4xi8>) -> tensor<4x4xf32> {
  // expected-error @+1 {{sub-channel blocks on more than one dimension}}
  %c = quant.scast %w : tensor<4x4xi8> to tensor<4x4x!quant.uniform<i8:f32:{0:2, 1:2}, {{1.0, 2.0}, {3.0, 4.0}}>>
  %d = quant.dcast %c : tensor<4x4x!quant.uniform<i8:f32:{0:2, 1:2}, {{1.0, 2.0}, {3.0, 4.0}}>> to tensor<4x4xf32>
  return %d : tensor<4x4xf32>
}

// -----

// Another op on !quant values.
func.func @other_op(%x: tensor<4xf32>) -> tensor<2x!quant.uniform<i8:f32, 0.5>> {
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5>>
  // expected-error @+1 {{qnt-import-upstream: 'tensor.extract_slice' works on !quant values; only quant.qcast, quant.dcast, quant.scast and function boundaries convert}}
  %s = tensor.extract_slice %q[0] [2] [1] : tensor<4x!quant.uniform<i8:f32, 0.5>> to tensor<2x!quant.uniform<i8:f32, 0.5>>
  return %s : tensor<2x!quant.uniform<i8:f32, 0.5>>
}
