// RUN: quant-opt %s -split-input-file -verify-diagnostics

// Tests that a storage type outside the supported set is rejected.
// expected-error @+1 {{unsupported storage type 'i3'}}
func.func private @f(tensor<4xi3>) attributes {p = #qnt.params<i3, scales = [1.0]>}

// -----

// Tests that unsigned 32-bit storage is rejected (i32 is for accumulators).
// expected-error @+1 {{unsupported storage type 'ui32'}}
func.func private @f() attributes {p = #qnt.params<ui32, scales = [1.0]>}

// -----

// Tests that expressed types other than f32/f16/bf16 are rejected.
// expected-error @+1 {{unsupported expressed type 'f64'}}
func.func private @f() attributes {p = #qnt.params<i8:f64, scales = [1.0]>}

// -----

// Tests that a negative axis is rejected.
// expected-error @+1 {{axis must be non-negative, got -2}}
func.func private @f() attributes {p = #qnt.params<i8, axis = -2, scales = [1.0]>}

// -----

// Tests that a negative block size is rejected.
// expected-error @+1 {{block size must be positive, got -4}}
func.func private @f() attributes {p = #qnt.params<i8, axis = 0, block = -4, scales = [1.0]>}

// -----

// Tests that a block size needs an axis.
// expected-error @+1 {{a block size requires an axis}}
func.func private @f() attributes {p = #qnt.params<i8, block = 4, scales = [1.0]>}

// -----

// Tests that at least one scale is required.
// expected-error @+1 {{at least one scale is required}}
func.func private @f() attributes {p = #qnt.params<i8, scales = []>}

// -----

// Tests that per-tensor parameters take one scale.
// expected-error @+1 {{per-tensor parameters take exactly one scale, got 2}}
func.func private @f() attributes {p = #qnt.params<i8, scales = [1.0, 2.0]>}

// -----

// Tests that a zero scale is rejected.
// expected-error @+1 {{scale #0 must be positive and finite, got 0}}
func.func private @f() attributes {p = #qnt.params<i8, scales = [0.0]>}

// -----

// Tests that a negative scale is rejected.
// expected-error @+1 {{scale #1 must be positive and finite, got -2}}
func.func private @f() attributes {p = #qnt.params<i8, axis = 0, scales = [1.0, -2.0]>}

// -----

// Tests that a scale that overflows float32 is rejected.
// expected-error @+1 {{scale #0 must be positive and finite, got INF}}
func.func private @f() attributes {p = #qnt.params<i8, scales = [1.0e39]>}

// -----

// Tests that a scale that underflows float32 to zero is rejected.
// expected-error @+1 {{scale #0 must be positive and finite, got 0}}
func.func private @f() attributes {p = #qnt.params<i8, scales = [1.0e-50]>}

// -----

// Tests that pow2 checks every scale.
// expected-error @+1 {{scale #0 (3.000000e-01) is not a power of two}}
func.func private @f() attributes {p = #qnt.params<i8, pow2, scales = [0.3]>}

// -----

// Tests that float storage takes no zero points.
// expected-error @+1 {{float storage 'f8E4M3FN' takes no zero points}}
func.func private @f() attributes {p = #qnt.params<f8E4M3FN, scales = [1.0], zero_points = [0]>}

// -----

// Tests that float storage takes no min values.
// expected-error @+1 {{float storage 'f4E2M1FN' takes no min values}}
func.func private @f() attributes {p = #qnt.params<f4E2M1FN, scales = [1.0], min_values = [0.0]>}

// -----

// Tests that narrow range is for integer storage.
// expected-error @+1 {{narrow range applies to integer storage only}}
func.func private @f() attributes {p = #qnt.params<f8E5M2, narrow, scales = [1.0]>}

// -----

// Tests that zero points and min values exclude each other.
// expected-error @+1 {{zero points and min values are exclusive}}
func.func private @f() attributes {p = #qnt.params<i8, scales = [1.0], zero_points = [0], min_values = [0.0]>}

// -----

// Tests that the zero point count must match the scale count.
// expected-error @+1 {{expected 2 zero points (one per scale), got 1}}
func.func private @f() attributes {p = #qnt.params<i8, axis = 0, scales = [1.0, 2.0], zero_points = [0]>}

// -----

// Tests that the min value count must match the scale count.
// expected-error @+1 {{expected 1 min values (one per scale), got 2}}
func.func private @f() attributes {p = #qnt.params<ui8, scales = [1.0], min_values = [0.0, 1.0]>}

// -----

// Tests that a zero point outside the storage range is rejected.
// expected-error @+1 {{zero point #0 (8) is outside the storage range [-8, 7]}}
func.func private @f() attributes {p = #qnt.params<i4, scales = [1.0], zero_points = [8]>}

// -----

// Tests that the narrow range shrinks the zero point range.
// expected-error @+1 {{zero point #0 (-128) is outside the storage range [-127, 127]}}
func.func private @f() attributes {p = #qnt.params<i8, narrow, scales = [1.0], zero_points = [-128]>}

// -----

// Tests that the implicit zero point must be in range too.
// expected-error @+1 {{the default zero point 0 is outside the storage range [1, 255]; give zero_points}}
func.func private @f() attributes {p = #qnt.params<ui8, narrow, scales = [1.0]>}

// -----

// Tests that min values must be finite.
// expected-error @+1 {{min value #0 must be finite}}
func.func private @f() attributes {p = #qnt.params<ui8, scales = [1.0], min_values = [1.0e39]>}

// -----

// Tests that a key may appear once.
// expected-error @+1 {{duplicate 'axis'}}
func.func private @f() attributes {p = #qnt.params<i8, axis = 0, axis = 1, scales = [1.0]>}

// -----

// Tests that unknown keys are named.
// expected-error @+1 {{unknown key 'zero_point' (expected narrow, range, pow2, axis, block, tensor_scale, scales, zero_points or min_values)}}
func.func private @f() attributes {p = #qnt.params<i8, scales = [1.0], zero_point = [1]>}

// -----

// Tests that the input element type must be the expressed type.
func.func @f(%x: tensor<4xf16>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.quantize' op input element type 'f16' does not match the expressed type 'f32'}}
  %q = qnt.quantize %x : tensor<4xf16> to tensor<4xi8> as #qnt.params<i8, scales = [1.0]>
  return %q : tensor<4xi8>
}

// -----

// Tests that the stored element type must match the storage.
func.func @f(%x: tensor<4xf32>) -> tensor<4xi4> {
  // expected-error @+1 {{'qnt.quantize' op result element type 'i4' does not match storage 'i8' (expected 'i8')}}
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi4> as #qnt.params<i8, scales = [1.0]>
  return %q : tensor<4xi4>
}

// -----

// Tests that unsigned storage uses signless stored tensors.
func.func @f(%x: tensor<4xf32>) -> tensor<4xui8> {
  // expected-error @+1 {{'qnt.quantize' op result element type 'ui8' does not match storage 'ui8' (expected 'i8')}}
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xui8> as #qnt.params<ui8, scales = [1.0]>
  return %q : tensor<4xui8>
}

// -----

// Tests that the axis must exist in the tensor.
func.func @f(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.quantize' op quantization axis 1 is out of range for a tensor of rank 1}}
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, axis = 1, scales = [1.0]>
  return %q : tensor<4xi8>
}

// -----

// Tests that a per-channel axis must be static.
func.func @f(%x: tensor<?xf32>) -> tensor<?xi8> {
  // expected-error @+1 {{'qnt.quantize' op quantization axis 0 must have a static size}}
  %q = qnt.quantize %x : tensor<?xf32> to tensor<?xi8> as #qnt.params<i8, axis = 0, scales = [1.0]>
  return %q : tensor<?xi8>
}

// -----

// Tests that per-channel parameters need one scale per channel.
func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  // expected-error @+1 {{'qnt.quantize' op expected 3 scales (one per index of dimension 1), got 2}}
  %q = qnt.quantize %x : tensor<2x3xf32> to tensor<2x3xi8> as #qnt.params<i8, axis = 1, scales = [1.0, 2.0]>
  return %q : tensor<2x3xi8>
}

// -----

// Tests that per-block parameters need a static shape.
func.func @f(%x: tensor<?x4xf32>) -> tensor<?x4xi8> {
  // expected-error @+1 {{'qnt.quantize' op per-block parameters need a static shape}}
  %q = qnt.quantize %x : tensor<?x4xf32> to tensor<?x4xi8> as #qnt.params<i8, axis = 1, block = 2, scales = [1.0, 2.0]>
  return %q : tensor<?x4xi8>
}

// -----

// Tests the scale count of blocks with a shorter last block: ceil(6 / 4) = 2
// blocks per row, 4 in all.
func.func @f(%x: tensor<2x6xf32>) -> tensor<2x6xi8> {
  // expected-error @+1 {{'qnt.quantize' op expected 4 scales (one per block), got 2}}
  %q = qnt.quantize %x : tensor<2x6xf32> to tensor<2x6xi8> as #qnt.params<i8, axis = 1, block = 4, scales = [1.0, 2.0]>
  return %q : tensor<2x6xi8>
}

// -----

// Tests that per-block parameters need one scale per block of every row.
func.func @f(%x: tensor<2x4xf32>) -> tensor<2x4xi8> {
  // expected-error @+1 {{'qnt.quantize' op expected 4 scales (one per block), got 2}}
  %q = qnt.quantize %x : tensor<2x4xf32> to tensor<2x4xi8> as #qnt.params<i8, axis = 1, block = 2, scales = [1.0, 2.0]>
  return %q : tensor<2x4xi8>
}

// -----

// Tests that saturate = false needs a float8 storage (integers saturate).
func.func @f(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.quantize' op saturate = false needs float8 storage (a NaN or an infinity to overflow to), not 'i8'}}
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [1.0]> saturate = false
  return %q : tensor<4xi8>
}

// -----

// Tests that saturate = false needs a type with NaN or infinity (not E2M1).
func.func @f(%x: tensor<4xf32>) -> tensor<4xf4E2M1FN> {
  // expected-error @+1 {{'qnt.quantize' op saturate = false needs float8 storage (a NaN or an infinity to overflow to), not 'f4E2M1FN'}}
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xf4E2M1FN> as #qnt.params<f4E2M1FN, scales = [1.0]> saturate = false
  return %q : tensor<4xf4E2M1FN>
}

// -----

// Tests that the precision is a float type the division can run in.
func.func @f(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.quantize' op precision must be f16, bf16 or f32, not 'f64'}}
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [1.0]> precision = f64
  return %q : tensor<4xi8>
}

// -----

// Tests that every scale must be a value of the precision.
func.func @f(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.quantize' op scale #1 (1.000000e-01) is not a value of 'f16', the division's precision}}
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, axis = 0, scales = [0.5, 0.1, 0.25, 1.0]> precision = f16
  return %q : tensor<4xi8>
}

// -----

// Tests that the precision does not apply to minval parameters.
func.func @f(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.quantize' op precision applies to affine and float storage, not to minval parameters}}
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.5], min_values = [-1.0]> precision = f16
  return %q : tensor<4xi8>
}

// -----

// Tests that packed and packed_flat exclude each other.
func.func @f(%q: tensor<2xi8>) -> tensor<4xf32> {
  // expected-error @+1 {{'qnt.dequantize' op packed and packed_flat exclude each other}}
  %x = qnt.dequantize %q : tensor<2xi8> to tensor<4xf32> as #qnt.params<i4, scales = [1.0]> packed packed_flat
  return %x : tensor<4xf32>
}

// -----

// Tests that packed_flat needs ceil(N * bits / 8) bytes: 9 i4 values are 5.
func.func @f(%q: tensor<4xi8>) -> tensor<3x3xf32> {
  // expected-error @+1 {{'qnt.dequantize' op packed_flat input must hold 5 bytes for 9 4-bit elements, not 4}}
  %x = qnt.dequantize %q : tensor<4xi8> to tensor<3x3xf32> as #qnt.params<i4, scales = [1.0]> packed_flat
  return %x : tensor<3x3xf32>
}

// -----

// Tests that packed_flat takes a 1-D input.
func.func @f(%q: tensor<1x5xi8>) -> tensor<3x3xf32> {
  // expected-error @+1 {{'qnt.dequantize' op packed_flat takes a 1-D input and a static result shape}}
  %x = qnt.dequantize %q : tensor<1x5xi8> to tensor<3x3xf32> as #qnt.params<i4, scales = [1.0]> packed_flat
  return %x : tensor<3x3xf32>
}

// -----

// Tests that packed_flat is for 2- and 4-bit integers.
func.func @f(%q: tensor<9xi8>) -> tensor<3x3xf32> {
  // expected-error @+1 {{'qnt.dequantize' op packed storage is for 2- and 4-bit integers, not 'i8'}}
  %x = qnt.dequantize %q : tensor<9xi8> to tensor<3x3xf32> as #qnt.params<i8, scales = [1.0]> packed_flat
  return %x : tensor<3x3xf32>
}

// -----

// Tests that float storage only rounds to nearest-even.
func.func @f(%x: tensor<4xf32>) -> tensor<4xf8E4M3FN> {
  // expected-error @+1 {{'qnt.quantize' op float storage rounds to nearest-even; rounding 'half_up' applies to integers only}}
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xf8E4M3FN> as #qnt.params<f8E4M3FN, scales = [1.0]> rounding = half_up
  return %q : tensor<4xf8E4M3FN>
}

// -----

// Tests that quantize does not produce accumulators.
func.func @f(%x: tensor<4xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{'qnt.quantize' op i32 storage is for accumulators; use qnt.requantize}}
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi32> as #qnt.params<i32, scales = [1.0]>
  return %q : tensor<4xi32>
}

// -----

// Tests that dequantize checks its result type.
func.func @f(%q: tensor<4xi8>) -> tensor<4xf16> {
  // expected-error @+1 {{'qnt.dequantize' op result element type 'f16' does not match the expressed type 'f32'}}
  %x = qnt.dequantize %q : tensor<4xi8> to tensor<4xf16> as #qnt.params<i8, scales = [1.0]>
  return %x : tensor<4xf16>
}

// -----

// Tests that shapes must agree.
func.func @f(%q: tensor<4xi8>) -> tensor<5xf32> {
  // expected-error @+1 {{'qnt.dequantize' op input shape and result shape must be identical, including dynamic sizes}}
  %x = qnt.dequantize %q : tensor<4xi8> to tensor<5xf32> as #qnt.params<i8, scales = [1.0]>
  return %x : tensor<5xf32>
}

// -----

// Tests that requantize is integer to integer.
func.func @f(%q: tensor<4xi8>) -> tensor<4xf8E4M3FN> {
  // expected-error @+1 {{'qnt.requantize' op requantize maps integers to integers; float storage is not accepted}}
  %x = qnt.requantize %q : tensor<4xi8> to tensor<4xf8E4M3FN> from #qnt.params<i8, scales = [1.0]> to #qnt.params<f8E4M3FN, scales = [1.0]>
  return %x : tensor<4xf8E4M3FN>
}

// -----

// Tests that requantize rejects min values.
func.func @f(%q: tensor<4xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.requantize' op requantize does not accept min values}}
  %x = qnt.requantize %q : tensor<4xi8> to tensor<4xi8> from #qnt.params<i8, scales = [1.0], min_values = [0.5]> to #qnt.params<i8, scales = [1.0]>
  return %x : tensor<4xi8>
}

// -----

// Tests that requantize granularities must be compatible.
func.func @f(%q: tensor<2x2xi32>) -> tensor<2x2xi8> {
  // expected-error @+1 {{'qnt.requantize' op input and output parameters must have the same granularity, or one must be per tensor}}
  %x = qnt.requantize %q : tensor<2x2xi32> to tensor<2x2xi8> from #qnt.params<i32, axis = 0, scales = [1.0, 2.0]> to #qnt.params<i8, axis = 1, scales = [1.0, 2.0]>
  return %x : tensor<2x2xi8>
}

// -----

// Tests that the fixed-point path rejects ratios it cannot represent.
func.func @f(%q: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.requantize' op scale ratio #0: fixed-point multiplier 2147483648.00 is too large (must be below 2^30)}}
  %x = qnt.requantize %q : tensor<4xi32> to tensor<4xi8> from #qnt.params<i32, scales = [2147483648.0]> to #qnt.params<i8, scales = [1.0]> mode = fixed_point
  return %x : tensor<4xi8>
}

// -----

// Tests that the params position takes only #qnt.params.
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected a #qnt.params attribute, got 1 : i32}}
  %y = qnt.fake_quant %x : tensor<4xf32> as 1 : i32
  return %y : tensor<4xf32>
}

// -----

// Tests that fixed-point requantize of accumulators keeps q - z_in in 32 bits.
func.func @f(%q: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.requantize' op fixed_point requantize of i32 storage needs zero input zero points}}
  %x = qnt.requantize %q : tensor<4xi32> to tensor<4xi8> from #qnt.params<i32, scales = [1.0], zero_points = [5]> to #qnt.params<i8, scales = [1.0]> mode = fixed_point
  return %x : tensor<4xi8>
}

// -----

// Tests that a float requantize whose multiplier overflows float32 is rejected.
func.func @f(%q: tensor<4xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.requantize' op scale ratio #0 is not a finite non-zero float32 (INF)}}
  %x = qnt.requantize %q : tensor<4xi8> to tensor<4xi8> from #qnt.params<i8, scales = [1.0e30]> to #qnt.params<i8, scales = [1.0e-10]>
  return %x : tensor<4xi8>
}

// -----

// Tests that a dynamic input with a static result is rejected.
func.func @f(%x: tensor<?xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.quantize' op input shape and result shape must be identical, including dynamic sizes}}
  %q = qnt.quantize %x : tensor<?xf32> to tensor<4xi8> as #qnt.params<i8, scales = [1.0]>
  return %q : tensor<4xi8>
}

// -----

// Tests that tensor encodings are rejected.
func.func @f(%x: tensor<4xf32, "enc">) -> tensor<4xf32, "enc"> {
  // expected-error @+1 {{'qnt.fake_quant' op tensors with an encoding are not supported}}
  %q = qnt.fake_quant %x : tensor<4xf32, "enc"> as #qnt.params<i8, scales = [1.0]>
  return %q : tensor<4xf32, "enc">
}

// -----

// Tests that the mx scheme takes i8 storage only (MXINT8).
func.func @f(%x: tensor<64xf32>) {
  // expected-error @+1 {{'qnt.dynamic_quantize' op scheme mx takes i8 storage (OCP MX's MXINT8), got 'ui8'}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<64xf32> to tensor<64xi8>, tensor<2xf32>, tensor<2xi32> storage = ui8 scheme = mx block = 32
  return
}

// -----

// Tests that the nvfp4 scheme takes i8 storage (the E2M1 values doubled).
func.func @f(%x: tensor<64xf32>) {
  // expected-error @+1 {{'qnt.dynamic_quantize' op scheme nvfp4 takes i8 storage (the E2M1 values doubled), got 'i4'}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<64xf32> to tensor<64xi4>, tensor<4xf32>, tensor<4xi32> storage = i4 scheme = nvfp4 block = 16
  return
}

// -----

// Tests that the nvfp4 scheme needs block scales.
func.func @f(%x: tensor<64xf32>) {
  // expected-error @+1 {{'qnt.dynamic_quantize' op scheme nvfp4 needs per_row or block (NVFP4's block scales)}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<64xf32> to tensor<64xi8>, tensor<f32>, tensor<i32> storage = i8 scheme = nvfp4
  return
}

// -----

// Tests that tensor_scale belongs to the nvfp4 scheme.
func.func @f(%x: tensor<64xf32>) {
  // expected-error @+1 {{'qnt.dynamic_quantize' op tensor_scale applies to scheme nvfp4 only}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<64xf32> to tensor<64xi8>, tensor<2xf32>, tensor<2xi32> storage = i8 scheme = mx block = 32 tensor_scale = 1.0
  return
}

// -----

// Tests that the tensor scale is positive.
func.func @f(%x: tensor<64xf32>) {
  // expected-error @+1 {{'qnt.dynamic_quantize' op tensor_scale must be positive and finite, got 0}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<64xf32> to tensor<64xi8>, tensor<4xf32>, tensor<4xi32> storage = i8 scheme = nvfp4 block = 16 tensor_scale = 0.0
  return
}

// -----

// Tests that dynamic_quantize needs integer storage.
func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnt.dynamic_quantize' op storage must be an integer type of 2 to 16 bits, got 'f8E4M3FN'}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<4xf32> to tensor<4xi8>, tensor<f32>, tensor<i32> storage = f8E4M3FN scheme = symmetric
  return
}

// -----

// Tests that dynamic_quantize rejects the minval scheme: the scheme is an
// enum attribute (asymmetric, symmetric, mx or nvfp4), not a string.
func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{custom op 'qnt.dynamic_quantize' expected string or keyword containing one of the following enum values for attribute 'scheme' [asymmetric, symmetric, mx, nvfp4]}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<4xf32> to tensor<4xi8>, tensor<f32>, tensor<i32> storage = i8 scheme = minval
  return
}

// -----

// Tests that dynamic_quantize checks the stored type.
func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnt.dynamic_quantize' op result element type must be 'i4'}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<4xf32> to tensor<4xi8>, tensor<f32>, tensor<i32> storage = ui4 scheme = asymmetric
  return
}

// -----

// Tests that per-row parameters have the input shape without its last dimension.
func.func @f(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{'qnt.dynamic_quantize' op scales must be 'tensor<3xf32>'}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<3x4xf32> to tensor<3x4xi8>, tensor<f32>, tensor<3xi32> storage = i8 scheme = symmetric per_row
  return
}

// -----

// Tests that per_row needs rows.
func.func @f(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qnt.dynamic_quantize' op per_row needs a tensor of rank 2 or more}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<4xf32> to tensor<4xi8>, tensor<f32>, tensor<i32> storage = i8 scheme = symmetric per_row
  return
}

// -----

// Tests that packed storage is for 2- and 4-bit integers.
func.func @f(%q: tensor<2xi8>) -> tensor<2xf32> {
  // expected-error @+1 {{'qnt.dequantize' op packed storage is for 2- and 4-bit integers, not 'i8'}}
  %x = qnt.dequantize %q : tensor<2xi8> to tensor<2xf32> as #qnt.params<i8, scales = [1.0]> packed
  return %x : tensor<2xf32>
}

// -----

// Tests that the packed shape divides the last dimension.
func.func @f(%q: tensor<2x3xi8>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'qnt.dequantize' op packed input shape must be the result shape with the last dimension (static, a multiple of 2) divided by 2}}
  %x = qnt.dequantize %q : tensor<2x3xi8> to tensor<2x4xf32> as #qnt.params<i4, scales = [1.0]> packed
  return %x : tensor<2x4xf32>
}

// -----

func.func @observe_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.observe' op channel_axis 2 is out of range for a rank-2 tensor}}
  qnt.observe %x : tensor<2x3xf32> id "a" channel_axis = 2
  return
}

// -----

func.func @observe_id(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.observe' op needs a non-empty id}}
  qnt.observe %x : tensor<2x3xf32> id ""
  return
}

// -----

func.func @observe_moments(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.observe' op moments need a channel_axis (the layer's input channels)}}
  qnt.observe %x : tensor<2x3xf32> id "a" moments = hessian
  return
}

// -----

func.func @observe_moments_kind(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{enum values for attribute 'moments' [channels, hessian]}}
  qnt.observe %x : tensor<2x3xf32> id "a" channel_axis = 1 moments = third
  return
}

// -----

// qnt.contract

// Tests that a contraction needs three maps.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{needs three maps (input, weight, result), got 2}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that the maps share their loops.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{maps must have the same loops and no symbols}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n) -> (m, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that each map has one result per operand dimension.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{the weight map has 1 results for a rank-2 weight}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that the result map is a projection.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{the result map must be a projection (distinct loops)}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m + n, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that the weight is indexed by loops, not expressions.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{the weight map must index every weight dimension with one loop}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k + 1, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that a loop has one size.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<5x4xi8>) {
  // expected-error @+1 {{loop d2 has size 3 elsewhere but 5 in dimension 0 of the weight}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<5x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that every loop indexes an operand.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{loop d3 indexes no operand}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k, j) -> (m, k)>, affine_map<(m, n, k, j) -> (k, n)>, affine_map<(m, n, k, j) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that the weight's reduced dimensions are static.
func.func @f(%x: tensor<2x?xi8>, %w: tensor<?x4xi8>) {
  // expected-error @+1 {{the weight's reduced dimensions must be static}}
  %y = qnt.contract %x, %w : (tensor<2x?xi8>, tensor<?x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that blocked static input parameters are rejected (blocked weights
// are the block form, below).
func.func @f(%x: tensor<2x3xui8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{input parameters must be affine (scale and zero point) on integer storage of 2 to 16 bits, per tensor or per channel}}
  %y = qnt.contract %x, %w : (tensor<2x3xui8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, axis = 1, block = 3, scales = [0.5, 0.5], zero_points = [10, 10]> weight = #qnt.params<i8, axis = 0, block = 3, scales = [0.25, 0.25, 0.25, 0.25]> 
  return
}

// -----

// Tests that the weight element type matches its storage.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{weight element type 'i8' does not match storage 'i4'}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i4, scales = [0.25]> 
  return
}

// -----

// Tests that an input needs parameters.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{needs either input parameters or dynamic (scales, zero points) operands}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]  weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that input_storage is for dynamic inputs only.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{input_storage names the stored type of dynamic inputs (and only of those)}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that input parameters are per tensor.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{input parameters must be per tensor}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, axis = 0, scales = [0.5, 0.5]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that input_storage is an integer type.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{input_storage must be an integer type of 2 to 16 bits, got 'f32'}}
  %y = qnt.contract %x, %w dynamic(%s, %z) : (tensor<2x3xi8>, tensor<3x4xi8>, tensor<f32>, tensor<i32>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input_storage = f32 weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that the input matches input_storage.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{input element type 'i8' does not match input_storage 'ui4'}}
  %y = qnt.contract %x, %w dynamic(%s, %z) : (tensor<2x3xi8>, tensor<3x4xi8>, tensor<f32>, tensor<i32>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input_storage = ui4 weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that dynamic scales and zero points have one shape.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>, %s: tensor<2xf32>, %z: tensor<i32>) {
  // expected-error @+1 {{dynamic scales and zero points must have the same shape}}
  %y = qnt.contract %x, %w dynamic(%s, %z) : (tensor<2x3xi8>, tensor<3x4xi8>, tensor<2xf32>, tensor<i32>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that per-row parameters follow the input rows.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>, %s: tensor<3xf32>, %z: tensor<3xi32>) {
  // expected-error @+1 {{per-row dynamic parameters must have the input's shape without its last dimension, which must be reduced while the others index the result}}
  %y = qnt.contract %x, %w dynamic(%s, %z) : (tensor<2x3xi8>, tensor<3x4xi8>, tensor<3xf32>, tensor<3xi32>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that the weight's channel is an output channel.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{the weight's channel axis 0 must index a result dimension (an output channel), not a reduced one}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, axis = 0, scales = [0.25, 0.25, 0.25]> 
  return
}

// -----

// Tests that an accumulator that could overflow is rejected.
func.func @f(%x: tensor<2x8192xi8>, %w: tensor<8192x4xi16>) {
  // expected-error @+1 {{an int32 accumulator could overflow: 8192 products of u8 and i16 values reach 68451041280 (the limit is 2^30)}}
  %y = qnt.contract %x, %w : (tensor<2x8192xi8>, tensor<8192x4xi16>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i16, scales = [0.25]> 
  return
}

// -----

// Tests that an int32 bias needs a static input scale.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>, %b: tensor<4xi32>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{an int32 bias needs static input and weight parameters (its scale is s_x * s_w)}}
  %y = qnt.contract %x, %w bias %b dynamic(%s, %z) : (tensor<2x3xi8>, tensor<3x4xi8>, tensor<4xi32>, tensor<f32>, tensor<i32>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that the bias runs along the last result dimension.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>, %b: tensor<2xi32>) {
  // expected-error @+1 {{bias must be a static vector of the result's last dimension}}
  %y = qnt.contract %x, %w bias %b : (tensor<2x3xi8>, tensor<3x4xi8>, tensor<2xi32>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that mode and clamp belong to requantized results.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{mode and clamp apply to requantized results}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> clamp = [0, 10]
  return
}

// -----

// Tests that a real result takes no parameters.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{a float result is the dequantized accumulator; it takes no result parameters}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> result = #qnt.params<ui8, scales = [1.0]>
  return
}

// -----

// Tests that the result is i32, float or stored integers.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{result must be i32 (accumulator), float (dequantized) or stored integers (requantized)}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xindex>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that integer results need a static input.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{integer results need static input and weight parameters}}
  %y = qnt.contract %x, %w dynamic(%s, %z) : (tensor<2x3xi8>, tensor<3x4xi8>, tensor<f32>, tensor<i32>) -> tensor<2x4xi32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.25]> result = #qnt.params<i32, scales = [1.0]>
  return
}

// -----

// Tests that integer results need parameters.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{integer results need result parameters}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi8>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> 
  return
}

// -----

// Tests that the accumulator's parameters are i32 with zero point 0.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{an i32 result is the accumulator: its parameters must be i32 with zero point 0}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> result = #qnt.params<i32, scales = [0.125], zero_points = [1]>
  return
}

// -----

// Tests that the accumulator is per channel where the weight is.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{the accumulator's axis must be the result's channel axis (1), got -1}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, axis = 1, scales = [0.25, 0.5, 0.25, 0.5]> result = #qnt.params<i32, scales = [0.125]>
  return
}

// -----

// Tests that the accumulator has one scale per channel.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{the accumulator needs 4 scales, got 2}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, axis = 1, scales = [0.25, 0.25, 0.25, 0.25]> result = #qnt.params<i32, axis = 1, scales = [0.125, 0.125]>
  return
}

// -----

// Tests that the accumulator's scale is s_x * s_w.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{accumulator scale #0 is 2.500000e-01 but s_x * s_w is 1.250000e-01}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> result = #qnt.params<i32, scales = [0.25]>
  return
}

// -----

// Tests that requantized results are per tensor.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{requantized results take per-tensor parameters}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi8>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> result = #qnt.params<ui8, axis = 1, scales = [1.0, 1.0, 1.0, 1.0]>
  return
}

// -----

// Tests that the result element type matches its storage.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{result element type 'i8' does not match storage 'ui16'}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi8>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> result = #qnt.params<ui16, scales = [1.0]>
  return
}

// -----

// Tests that a fixed-point requantization needs a representable multiplier.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{scale ratio #0: }}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi8>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> result = #qnt.params<ui8, scales = [1.0e-12]> mode = fixed_point
  return
}

// -----

// Tests that the clamp lies in the storage range.
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>) {
  // expected-error @+1 {{clamp must be [lo, hi] with qmin <= lo <= hi <= qmax of the result storage (0, 255)}}
  %y = qnt.contract %x, %w : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi8>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, scales = [0.25]> result = #qnt.params<ui8, scales = [1.0]> clamp = [10, 300]
  return
}

// -----

// Tests that dynamic parameters come as a pair (generic form: the custom
// syntax always has both).
func.func @f(%x: tensor<2x3xi8>, %w: tensor<3x4xi8>, %s: tensor<f32>) {
  // expected-error @+1 {{dynamic input parameters need scales and zero points}}
  %y = "qnt.contract"(%x, %w, %s) <{maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], input_storage = ui8, operandSegmentSizes = array<i32: 1, 1, 0, 1, 0, 0, 0>, weight_params = #qnt.params<i8, narrow, scales = [0.25]>}> : (tensor<2x3xi8>, tensor<3x4xi8>, tensor<f32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that a weight has either static or run-time parameters.
func.func @f(%x: tensor<2x3x5xi8>, %w: tensor<2x5x4xi8>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{needs either weight parameters or weight_dynamic(scales, zero points) operands}}
  %y = qnt.contract %x, %w dynamic(%s, %z) weight_dynamic(%s, %z) : (tensor<2x3x5xi8>, tensor<2x5x4xi8>, tensor<f32>, tensor<i32>, tensor<f32>, tensor<i32>) -> tensor<2x3x4xf32>
         maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>] input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.25]>
  return
}

// -----

// Tests that run-time weight parameters name their storage.
func.func @f(%x: tensor<2x3x5xi8>, %w: tensor<2x5x4xi8>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{weight_storage names the stored type of dynamic weights (and only of those)}}
  %y = qnt.contract %x, %w dynamic(%s, %z) weight_dynamic(%s, %z) : (tensor<2x3x5xi8>, tensor<2x5x4xi8>, tensor<f32>, tensor<i32>, tensor<f32>, tensor<i32>) -> tensor<2x3x4xf32>
         maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>] input_storage = ui8
  return
}

// -----

// Tests that the weight's element type matches weight_storage.
func.func @f(%x: tensor<2x3x5xi8>, %w: tensor<2x5x4xi8>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{weight element type 'i8' does not match weight_storage 'i16'}}
  %y = qnt.contract %x, %w dynamic(%s, %z) weight_dynamic(%s, %z) : (tensor<2x3x5xi8>, tensor<2x5x4xi8>, tensor<f32>, tensor<i32>, tensor<f32>, tensor<i32>) -> tensor<2x3x4xf32>
         maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>] input_storage = ui8 weight_storage = i16
  return
}

// -----

// Tests that run-time weight parameters are per tensor.
func.func @f(%x: tensor<2x3x5xi8>, %w: tensor<2x5x4xi8>, %s: tensor<f32>, %z: tensor<i32>, %ws: tensor<4xf32>, %wz: tensor<4xi32>) {
  // expected-error @+1 {{dynamic weight parameters must be per tensor (rank 0)}}
  %y = qnt.contract %x, %w dynamic(%s, %z) weight_dynamic(%ws, %wz) : (tensor<2x3x5xi8>, tensor<2x5x4xi8>, tensor<f32>, tensor<i32>, tensor<4xf32>, tensor<4xi32>) -> tensor<2x3x4xf32>
         maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>] input_storage = ui8 weight_storage = ui8
  return
}

// -----

// Tests that a layer with run-time weight parameters returns real values.
func.func @f(%x: tensor<2x3x5xi8>, %w: tensor<2x5x4xi8>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{integer results need static input and weight parameters}}
  %y = qnt.contract %x, %w weight_dynamic(%s, %z) : (tensor<2x3x5xi8>, tensor<2x5x4xi8>, tensor<f32>, tensor<i32>) -> tensor<2x3x4xi32>
         maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>] input = #qnt.params<ui8, scales = [0.5]> weight_storage = ui8 result = #qnt.params<i32, scales = [0.5]>
  return
}

// -----

// qnt.kernel: one buffer per operand.
func.func @f(%x: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'qnt.kernel' op body takes 1 buffers for 2 operands (one per input and output)}}
  %r = qnt.kernel ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%b: memref<4xf32>):
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// qnt.kernel: each buffer has its operand's shape and element type.
func.func @f(%x: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'qnt.kernel' op buffer 0 has type 'memref<8xf32>', expected a memref of the shape and element type of 'tensor<4xf32>'}}
  %r = qnt.kernel ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%b: memref<8xf32>, %o: memref<4xf32>):
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// qnt.kernel: result i is output i.
func.func @f(%x: tensor<4xf32>, %e: tensor<4xf32>) {
  // expected-error @+1 {{'qnt.kernel' op result type 'tensor<4xf16>' differs from its output's 'tensor<4xf32>'}}
  %r = "qnt.kernel"(%x, %e) <{operandSegmentSizes = array<i32: 1, 1>}> ({
  ^bb0(%b: memref<4xf32>, %o: memref<4xf32>):
  }) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

// qnt.kernel: tensors enter as operands (the body is inlined on buffers).
func.func @f(%x: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'qnt.kernel' op body uses a tensor defined outside; pass it as an input}}
  %r = qnt.kernel outs(%e : tensor<4xf32>) {
  ^bb0(%o: memref<4xf32>):
    %c0 = arith.constant 0 : index
    %v = tensor.extract %x[%c0] : tensor<4xf32>
    memref.store %v, %o[%c0] : memref<4xf32>
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// The runtime ABI attributes are verified: qnt.signature is a function type.
// expected-error @+1 {{'func.func' op 'qnt.signature' must be a function type, not "(tensor<4xf32>) -> ()"}}
func.func @f(%x: tensor<4xf32>) attributes {qnt.signature = "(tensor<4xf32>) -> ()"} {
  return
}

// -----

// One unsigned flag per argument of the signature.
// expected-error @+1 {{'func.func' op 'qnt.unsigned_args' has 2 flags for 1 arguments of 'qnt.signature'}}
func.func @f(%x: tensor<4xi8>) attributes {qnt.signature = (tensor<4xi8>) -> (), qnt.unsigned_args = array<i1: true, false>} {
  return
}

// -----

// expected-error @+1 {{'func.func' op 'qnt.unsigned_results' must be an array<i1: ...>, not [true]}}
func.func @f(%x: tensor<4xi8>) attributes {qnt.unsigned_results = [true]} {
  return
}

// -----

// Observer ids are distinct strings on a module.
// expected-error @+1 {{'builtin.module' op 'qnt.observers' names observer 'fc1' twice}}
module attributes {qnt.observers = ["fc1", "fc1"]} {
}

// -----

// expected-error @+1 {{'builtin.module' op 'qnt.model_fingerprint' must be 16 hex digits on a module, not "xyz"}}
module attributes {qnt.model_fingerprint = "xyz"} {
}

// -----

// No other qnt attributes: the strings that used to carry layer metadata
// (qnt.layer, qnt.input_params, qnt.static_epilogue) cannot come back.
// expected-error @+1 {{'func.func' op has an unknown qnt attribute 'qnt.layer'}}
func.func @f() attributes {qnt.layer = "fc1"} {
  return
}

// -----

// Tests that stated multipliers need a fixed-point mode.
func.func @f(%q: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.requantize' op stated multipliers need a fixed-point mode}}
  %x = qnt.requantize %q : tensor<4xi32> to tensor<4xi8> from #qnt.params<i32, scales = [1.0]> to #qnt.params<i8, scales = [8.0]> multipliers = [1073741824] shifts = [33]
  return %x : tensor<4xi8>
}

// -----

// Tests that stated multipliers come one per parameter group.
func.func @f(%q: tensor<2x2xi32>) -> tensor<2x2xi8> {
  // expected-error @+1 {{'qnt.requantize' op expected 2 multipliers and shifts (one per parameter group), got 1 and 1}}
  %x = qnt.requantize %q : tensor<2x2xi32> to tensor<2x2xi8> from #qnt.params<i32, scales = [1.0]> to #qnt.params<i8, axis = 1, scales = [8.0, 4.0]> mode = fixed_point multipliers = [1073741824] shifts = [33]
  return %x : tensor<2x2xi8>
}

// -----

// Tests that stated multipliers agree with the scales (2^30 * 2^-33 = 1/8,
// but the scales say 1/4).
func.func @f(%q: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.requantize' op multiplier #0 (1073741824 * 2^-33) must be in [1, 2^31) with a shift in [1, 62] and agree with the scale ratio 0.25}}
  %x = qnt.requantize %q : tensor<4xi32> to tensor<4xi8> from #qnt.params<i32, scales = [1.0]> to #qnt.params<i8, scales = [4.0]> mode = fixed_point multipliers = [1073741824] shifts = [33]
  return %x : tensor<4xi8>
}

// -----

// Tests the range of stated shifts.
func.func @f(%q: tensor<4xi32>) -> tensor<4xi8> {
  // expected-error @+1 {{'qnt.requantize' op multiplier #0 (1 * 2^-0) must be in [1, 2^31) with a shift in [1, 62]}}
  %x = qnt.requantize %q : tensor<4xi32> to tensor<4xi8> from #qnt.params<i32, scales = [1.0]> to #qnt.params<i8, scales = [1.0]> mode = fixed_point multipliers = [1] shifts = [0]
  return %x : tensor<4xi8>
}

// -----

// expected-error @+1 {{range [-9, 3] must be increasing and inside the storage range [-8, 7]}}
func.func @range_outside() attributes {p = #qnt.params<i4, range = [-9, 3], scales = [1.0]>} {
  return
}

// -----

// expected-error @+1 {{range = [...] states the range: it excludes narrow}}
func.func @range_narrow() attributes {p = #qnt.params<i4, narrow, range = [-4, 3], scales = [1.0]>} {
  return
}

// -----

// expected-error @+1 {{a custom range applies to integer storage only}}
func.func @range_float() attributes {p = #qnt.params<f8E4M3FN, range = [-4, 3], scales = [1.0]>} {
  return
}

// -----

// expected-error @+1 {{zero point #0 (4) is outside the storage range [-4, 3]}}
func.func @range_zero_point() attributes {p = #qnt.params<i4, range = [-4, 3], scales = [1.0], zero_points = [4]>} {
  return
}

// -----

// expected-error @+1 {{range [0, 0] is empty}}
func.func @range_empty() attributes {p = #qnt.params<i4, range = [0, 0], scales = [1.0]>} {
  return
}

// -----

// Tests that per-block weights need their blocks along the reduced loop,
// which must be the input's last dimension.
func.func @contract_block_axis(%x: tensor<2x8xi8>, %w: tensor<8x4xi8>) -> tensor<2x4xf32> {
  // expected-error @+1 {{per-block weights need one reduced loop, indexing the weight's block axis 1 and the input's last dimension}}
  %y = qnt.contract %x, %w : (tensor<2x8xi8>, tensor<8x4xi8>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<i8, scales = [0.5]>
         weight = #qnt.params<i8, narrow, axis = 1, block = 2, scales = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that a layer with per-block weights returns f32 real values.
func.func @contract_block_result(%x: tensor<2x8xi8>, %w: tensor<8x4xi8>) -> tensor<2x4xi32> {
  // expected-error @+1 {{a layer with per-block weights returns real values (an f32 result) and takes no bias}}
  %y = qnt.contract %x, %w : (tensor<2x8xi8>, tensor<8x4xi8>) -> tensor<2x4xi32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<i8, scales = [0.5]>
         weight = #qnt.params<i8, narrow, axis = 0, block = 4, scales = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]>
         result = #qnt.params<i32, scales = [0.5]>
  return %y : tensor<2x4xi32>
}

// -----

// Tests that per-block input parameters count the last dimension in the
// weight's blocks.
func.func @contract_block_input(%x: tensor<2x8xi8>, %w: tensor<8x4xi8>, %s: tensor<2x3xf32>, %z: tensor<2x3xi32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{per-block dynamic parameters must have the input's shape with its last dimension counted in blocks of 4 ('tensor<2x2xf32>')}}
  %y = qnt.contract %x, %w dynamic(%s, %z) : (tensor<2x8xi8>, tensor<8x4xi8>, tensor<2x3xf32>, tensor<2x3xi32>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input_storage = i8
         weight = #qnt.params<i8, narrow, axis = 0, block = 4, scales = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that MX float codes are per-block weights: not per channel.
func.func @contract_codes_per_channel(%x: tensor<2x8xi8>, %w: tensor<8x4xf4E2M1FN>) -> tensor<2x4xf32> {
  // expected-error @+1 {{weight float codes ('f4E2M1FN') must be per block with zero point 0}}
  %y = qnt.contract %x, %w : (tensor<2x8xi8>, tensor<8x4xf4E2M1FN>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<i8, scales = [0.5]>
         weight = #qnt.params<f4E2M1FN, axis = 1, scales = [1.0, 1.0, 1.0, 1.0]>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that float codes whose values are not integers in i8 once scaled
// by a power of two (f6E3M2FN: up to 28 in steps of 1/16) are refused.
func.func @contract_codes_e3m2(%x: tensor<2x8xi8>, %w: tensor<8x4xf6E3M2FN>, %s: tensor<2x2xf32>, %z: tensor<2x2xi32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{weight parameters must be affine (scale and zero point) on integer storage of 2 to 16 bits, per tensor or per channel or per block (or f4E2M1FN / f6E2M3FN codes per block)}}
  %y = qnt.contract %x, %w dynamic(%s, %z) : (tensor<2x8xi8>, tensor<8x4xf6E3M2FN>, tensor<2x2xf32>, tensor<2x2xi32>) -> tensor<2x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input_storage = i8
         weight = #qnt.params<f6E3M2FN, axis = 0, block = 4, scales = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that a dynamic quantization is per row or per block, not both.
func.func @dynamic_quantize_row_block(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{per_row and block exclude each other}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<2x8xf32> to tensor<2x8xi8>, tensor<2xf32>, tensor<2xi32> storage = i8 scheme = symmetric per_row block = 4
  return
}

// -----

// Tests the parameter shape of a per-block dynamic quantization.
func.func @dynamic_quantize_block_shape(%x: tensor<2x9xf32>) {
  // expected-error @+1 {{scales must be 'tensor<2x3xf32>'}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<2x9xf32> to tensor<2x9xi8>, tensor<2x2xf32>, tensor<2x2xi32> storage = i8 scheme = symmetric block = 4
  return
}

// -----

// Tests that two-level (NVFP4) scales are checked: each scale must be
// tensor_scale times an E4M3 value in [2^-6, 448] (0.3 / 0.25 = 1.2 is not
// one: E4M3 has 1.125 and 1.25).
// expected-error @+1 {{scale #1 (3.000000e-01) is not tensor_scale (2.500000e-01) times an f8E4M3FN value in [2^-6, 448]}}
func.func private @f() attributes {p = #qnt.params<f4E2M1FN, axis = 0, block = 16, tensor_scale = 0.25, scales = [0.5, 0.3]>}

// -----

// Tests that a tensor scale must be positive.
// expected-error @+1 {{tensor_scale must be positive and finite, got -2.500000e-01}}
func.func private @f() attributes {p = #qnt.params<f4E2M1FN, axis = 0, block = 16, tensor_scale = -0.25, scales = [0.5]>}

// -----

// Tests that two-level scales exclude pow2.
// expected-error @+1 {{tensor_scale (two-level scales) excludes pow2}}
func.func private @f() attributes {p = #qnt.params<f4E2M1FN, pow2, axis = 0, block = 16, tensor_scale = 0.25, scales = [0.5]>}

// -----

// Tests that two-level scales take float storage.
// expected-error @+1 {{tensor_scale (two-level scales) applies to float storage only}}
func.func private @f() attributes {p = #qnt.params<i4, axis = 0, block = 16, tensor_scale = 0.25, scales = [0.5]>}
