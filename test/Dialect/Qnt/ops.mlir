// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s --mlir-print-op-generic | quant-opt | FileCheck %s

// Tests that per-tensor quantize/dequantize print in custom form and default
// attributes (f32 expressed type, half_even rounding) are elided.
// CHECK-LABEL: func @per_tensor
func.func @per_tensor(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: %[[Q:.*]] = qnt.quantize %{{.*}} : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.5], zero_points = [3]>{{$}}
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8:f32, scales = [0.5], zero_points = [3]> rounding = half_even
  // CHECK: qnt.dequantize %[[Q]] : tensor<4xi8> to tensor<4xf32> as #qnt.params<i8, scales = [0.5], zero_points = [3]>
  %d = qnt.dequantize %q : tensor<4xi8> to tensor<4xf32> as #qnt.params<i8, scales = [0.5], zero_points = [3]>
  return %d : tensor<4xf32>
}

// Tests per-channel unsigned narrow storage with a non-default rounding.
// CHECK-LABEL: func @per_channel
func.func @per_channel(%x: tensor<2x4xf16>) -> tensor<2x4xi4> {
  // CHECK: qnt.quantize %{{.*}} : tensor<2x4xf16> to tensor<2x4xi4> as #qnt.params<ui4:f16, narrow, axis = 0, scales = [0.1, 1.0], zero_points = [8, 7]> rounding = half_up
  %q = qnt.quantize %x : tensor<2x4xf16> to tensor<2x4xi4> as #qnt.params<ui4:f16, narrow, axis = 0, scales = [0.1, 1.0], zero_points = [8, 7]> rounding = half_up
  return %q : tensor<2x4xi4>
}

// Tests per-block minval parameters with bf16 and dynamic-free shapes.
// CHECK-LABEL: func @per_block_minval
func.func @per_block_minval(%q: tensor<2x4xi4>) -> tensor<2x4xbf16> {
  // CHECK: qnt.dequantize %{{.*}} : tensor<2x4xi4> to tensor<2x4xbf16> as #qnt.params<i4:bf16, axis = 1, block = 2, scales = [0.5, 0.25, 1.0, 2.0], min_values = [-1.0, -2.0, 0.5, 1.0e+10]>
  %x = qnt.dequantize %q : tensor<2x4xi4> to tensor<2x4xbf16> as #qnt.params<i4:bf16, axis = 1, block = 2, scales = [0.5, 0.25, 1.0, 2.0], min_values = [-1.0, -2.0, 0.5, 1.0e10]>
  return %x : tensor<2x4xbf16>
}

// Tests minifloat storage and power-of-two scales.
// CHECK-LABEL: func @minifloat
func.func @minifloat(%x: tensor<3xf32>) -> (tensor<3xf8E4M3FN>, tensor<3xf8E5M2>, tensor<3xf4E2M1FN>) {
  // CHECK: qnt.quantize %{{.*}} as #qnt.params<f8E4M3FN, pow2, scales = [0.125]>
  %a = qnt.quantize %x : tensor<3xf32> to tensor<3xf8E4M3FN> as #qnt.params<f8E4M3FN, pow2, scales = [0.125]>
  // CHECK: qnt.quantize %{{.*}} as #qnt.params<f8E5M2, scales = [3.0e-05]> rounding = reciprocal
  %b = qnt.quantize %x : tensor<3xf32> to tensor<3xf8E5M2> as #qnt.params<f8E5M2, scales = [3.0e-05]> rounding = reciprocal
  // CHECK: qnt.quantize %{{.*}} as #qnt.params<f4E2M1FN, scales = [1.0]>
  %c = qnt.quantize %x : tensor<3xf32> to tensor<3xf4E2M1FN> as #qnt.params<f4E2M1FN, scales = [1.0]>
  return %a, %b, %c : tensor<3xf8E4M3FN>, tensor<3xf8E5M2>, tensor<3xf4E2M1FN>
}

// Tests the FNUZ float8 kinds, saturate = false and the division's
// precision, printed back (saturate = true is the default and not printed).
// CHECK-LABEL: func @fnuz_saturate_precision
func.func @fnuz_saturate_precision(%x: tensor<3xf16>, %y: tensor<3xf32>) -> (tensor<3xf8E4M3FNUZ>, tensor<3xf8E5M2FNUZ>, tensor<3xi8>, tensor<3xf8E4M3FN>) {
  // CHECK: qnt.quantize %{{.*}} as #qnt.params<f8E4M3FNUZ:f16, scales = [2.0]> saturate = false precision = f16
  %a = qnt.quantize %x : tensor<3xf16> to tensor<3xf8E4M3FNUZ> as #qnt.params<f8E4M3FNUZ:f16, scales = [2.0]> saturate = false precision = f16
  // CHECK: qnt.quantize %{{.*}} as #qnt.params<f8E5M2FNUZ, scales = [0.5]>{{$}}
  %b = qnt.quantize %y : tensor<3xf32> to tensor<3xf8E5M2FNUZ> as #qnt.params<f8E5M2FNUZ, scales = [0.5]> saturate = true
  // CHECK: qnt.quantize %{{.*}} as #qnt.params<i8, scales = [0.125]> rounding = reciprocal precision = bf16
  %c = qnt.quantize %y : tensor<3xf32> to tensor<3xi8> as #qnt.params<i8, scales = [0.125]> rounding = reciprocal precision = bf16
  // CHECK: qnt.quantize %{{.*}} as #qnt.params<f8E4M3FN, scales = [0.25]> precision = f32
  %d = qnt.quantize %y : tensor<3xf32> to tensor<3xf8E4M3FN> as #qnt.params<f8E4M3FN, scales = [0.25]> precision = f32
  return %a, %b, %c, %d : tensor<3xf8E4M3FNUZ>, tensor<3xf8E5M2FNUZ>, tensor<3xi8>, tensor<3xf8E4M3FN>
}

// Tests two-level (NVFP4) scales: each block's scale is tensor_scale times
// an E4M3 value (0.25 * 2 = 0.5, 0.25 * 1.125 = 0.28125), printed back.
// CHECK-LABEL: func @nvfp4
func.func @nvfp4(%q: tensor<32x1xf4E2M1FN>) -> tensor<32x1xf32> {
  // CHECK: qnt.dequantize %{{.*}} as #qnt.params<f4E2M1FN, axis = 0, block = 16, tensor_scale = 0.25, scales = [0.5, 0.28125]>
  %w = qnt.dequantize %q : tensor<32x1xf4E2M1FN> to tensor<32x1xf32> as #qnt.params<f4E2M1FN, axis = 0, block = 16, tensor_scale = 0.25, scales = [0.5, 0.28125]>
  return %w : tensor<32x1xf32>
}

// Tests requantize from an i32 accumulator, per-channel in, per-tensor out,
// in both arithmetic modes, on a dynamic batch dimension.
// CHECK-LABEL: func @requantize
func.func @requantize(%acc: tensor<?x2xi32>) -> (tensor<?x2xi8>, tensor<?x2xi8>) {
  // CHECK: qnt.requantize %{{.*}} : tensor<?x2xi32> to tensor<?x2xi8> from #qnt.params<i32, axis = 1, scales = [0.001, 0.002]> to #qnt.params<i8, scales = [0.05], zero_points = [-3]> mode = fixed_point
  %a = qnt.requantize %acc : tensor<?x2xi32> to tensor<?x2xi8> from #qnt.params<i32, axis = 1, scales = [0.001, 0.002]> to #qnt.params<i8, scales = [0.05], zero_points = [-3]> mode = fixed_point
  // CHECK: qnt.requantize %{{.*}} to #qnt.params<i8, scales = [0.05], zero_points = [-3]>{{$}}
  %b = qnt.requantize %acc : tensor<?x2xi32> to tensor<?x2xi8> from #qnt.params<i32, axis = 1, scales = [0.001, 0.002]> to #qnt.params<i8, scales = [0.05], zero_points = [-3]> mode = float32
  return %a, %b : tensor<?x2xi8>, tensor<?x2xi8>
}

// Tests requantize with TOSA's double rounding and stated multipliers.
// CHECK-LABEL: func @requantize_stated
func.func @requantize_stated(%acc: tensor<?x2xi32>) -> tensor<?x2xi8> {
  // CHECK: qnt.requantize %{{.*}} mode = fixed_point_double_round multipliers = [1073741824, 1518500250] shifts = [33, 38]{{$}}
  %a = qnt.requantize %acc : tensor<?x2xi32> to tensor<?x2xi8> from #qnt.params<i32, scales = [1.0]> to #qnt.params<i8, axis = 1, scales = [8.0, 181.01933], zero_points = [-3, -3]> mode = fixed_point_double_round multipliers = [1073741824, 1518500250] shifts = [33, 38]
  return %a : tensor<?x2xi8>
}

// Tests fake_quant and attribute aliases.
#p = #qnt.params<i2, axis = 0, scales = [0.5, 0.25]>
// CHECK-LABEL: func @fake_quant
func.func @fake_quant(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: qnt.fake_quant %{{.*}} : tensor<2x3xf32> as #qnt.params<i2, axis = 0, scales = [0.5, 0.25]>
  %y = qnt.fake_quant %x : tensor<2x3xf32> as #p
  return %y : tensor<2x3xf32>
}

// Tests dynamic_quantize per tensor, per row, and MXINT8 per block.
// CHECK-LABEL: func @dynamic
func.func @dynamic(%x: tensor<?x8xf32>) -> (tensor<?x8xi8>, tensor<?xf32>) {
  // CHECK: qnt.dynamic_quantize %{{.*}} : tensor<?x8xf32> to tensor<?x8xi8>, tensor<f32>, tensor<i32> storage = ui8 scheme = asymmetric{{$}}
  %q, %s, %z = qnt.dynamic_quantize %x : tensor<?x8xf32> to tensor<?x8xi8>, tensor<f32>, tensor<i32> storage = ui8 scheme = asymmetric
  // CHECK: qnt.dynamic_quantize %{{.*}} : tensor<?x8xf32> to tensor<?x8xi8>, tensor<?xf32>, tensor<?xi32> storage = i8 scheme = symmetric per_row
  %q2, %s2, %z2 = qnt.dynamic_quantize %x : tensor<?x8xf32> to tensor<?x8xi8>, tensor<?xf32>, tensor<?xi32> storage = i8 scheme = symmetric per_row
  // CHECK: qnt.dynamic_quantize %{{.*}} : tensor<?x8xf32> to tensor<?x8xi8>, tensor<?x2xf32>, tensor<?x2xi32> storage = i8 scheme = mx block = 4{{$}}
  %q3, %s3, %z3 = qnt.dynamic_quantize %x : tensor<?x8xf32> to tensor<?x8xi8>, tensor<?x2xf32>, tensor<?x2xi32> storage = i8 scheme = mx block = 4
  // CHECK: qnt.dynamic_quantize %{{.*}} : tensor<?x8xf32> to tensor<?x8xi8>, tensor<?x2xf32>, tensor<?x2xi32> storage = i8 scheme = nvfp4 block = 4{{$}}
  %q4, %s4, %z4 = qnt.dynamic_quantize %x : tensor<?x8xf32> to tensor<?x8xi8>, tensor<?x2xf32>, tensor<?x2xi32> storage = i8 scheme = nvfp4 block = 4
  // CHECK: qnt.dynamic_quantize %{{.*}} : tensor<?x8xf32> to tensor<?x8xi8>, tensor<?xf32>, tensor<?xi32> storage = i8 scheme = nvfp4 per_row tensor_scale = 1.250000e-01{{$}}
  %q5, %s5, %z5 = qnt.dynamic_quantize %x : tensor<?x8xf32> to tensor<?x8xi8>, tensor<?xf32>, tensor<?xi32> storage = i8 scheme = nvfp4 per_row tensor_scale = 0.125
  return %q, %s2 : tensor<?x8xi8>, tensor<?xf32>
}

// Tests packed 4-bit storage.
// CHECK-LABEL: func @packed
func.func @packed(%q: tensor<3x2xi8>) -> tensor<3x4xf32> {
  // CHECK: qnt.dequantize %{{.*}} : tensor<3x2xi8> to tensor<3x4xf32> as #qnt.params<ui4, axis = 0, scales = [1.0, 2.0, 3.0], zero_points = [8, 8, 8]> packed
  %x = qnt.dequantize %q : tensor<3x2xi8> to tensor<3x4xf32> as #qnt.params<ui4, axis = 0, scales = [1.0, 2.0, 3.0], zero_points = [8, 8, 8]> packed
  return %x : tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func @custom_range
// CHECK: qnt.dequantize %arg0 : tensor<4xi4> to tensor<4xf32> as #qnt.params<i4, range = [-4, 3], axis = 0, scales = [0.5, 0.25, 1.0, 2.0], zero_points = [0, 1, -4, 3]>
func.func @custom_range(%q: tensor<4xi4>) -> tensor<4xf32> {
  %x = qnt.dequantize %q : tensor<4xi4> to tensor<4xf32> as #qnt.params<i4, range = [-4, 3], axis = 0, scales = [0.5, 0.25, 1.0, 2.0], zero_points = [0, 1, -4, 3]>
  return %x : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @observe
// CHECK: qnt.observe %arg0 : tensor<?x8xf32> id "fc1" channel_axis = 1
// CHECK: qnt.observe %arg0 : tensor<?x8xf32> id "fc2"{{$}}
// CHECK: qnt.observe %arg0 : tensor<?x8xf32> id "fc3" channel_axis = 1 moments = channels
// CHECK: qnt.observe %arg0 : tensor<?x8xf32> id "fc4" channel_axis = 1 moments = hessian
func.func @observe(%x: tensor<?x8xf32>) {
  qnt.observe %x : tensor<?x8xf32> id "fc1" channel_axis = 1
  qnt.observe %x : tensor<?x8xf32> id "fc2"
  qnt.observe %x : tensor<?x8xf32> id "fc3" channel_axis = 1 moments = channels
  qnt.observe %x : tensor<?x8xf32> id "fc4" channel_axis = 1 moments = hessian
  return
}

// Tests the forms of qnt.contract: a requantized layer with a bias, a mode
// and a clamp; a dynamic input with a real result; both operands dynamic;
// an i32 accumulator; a strided convolution. The default mode is elided.
// CHECK-LABEL: func @contract
func.func @contract(%x: tensor<?x3xi8>, %b: tensor<4xi32>, %s: tensor<f32>, %z: tensor<i32>, %img: tensor<1x9x9x2xi8>)
    -> (tensor<?x4xi8>, tensor<?x4xf32>, tensor<?x4xi32>, tensor<1x4x4x5xf32>) {
  %w = arith.constant dense<1> : tensor<3x4xi8>
  // CHECK: qnt.contract %{{.*}}, %{{.*}} bias %{{.*}} : (tensor<?x3xi8>, tensor<3x4xi8>, tensor<4xi32>) -> tensor<?x4xi8> maps = [#{{.*}}, #{{.*}}, #{{.*}}] input = #qnt.params<ui8, scales = [0.5], zero_points = [10]> weight = #qnt.params<i8, narrow, axis = 1, scales = [0.25, 0.5, 0.25, 0.5]> result = #qnt.params<ui8, scales = [1.0], zero_points = [3]> mode = fixed_point clamp = [3, 200]{{$}}
  %r = qnt.contract %x, %w bias %b : (tensor<?x3xi8>, tensor<3x4xi8>, tensor<4xi32>) -> tensor<?x4xi8>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<ui8, scales = [0.5], zero_points = [10]>
         weight = #qnt.params<i8, narrow, axis = 1, scales = [0.25, 0.5, 0.25, 0.5]>
         result = #qnt.params<ui8, scales = [1.0], zero_points = [3]> mode = fixed_point clamp = [3, 200]
  // CHECK: qnt.contract %{{.*}}, %{{.*}} dynamic(%{{.*}}, %{{.*}}) : (tensor<?x3xi8>, tensor<3x4xi8>, tensor<f32>, tensor<i32>) -> tensor<?x4xf32> maps = [#{{.*}}, #{{.*}}, #{{.*}}] input_storage = i8 weight = #qnt.params<i8, narrow, scales = [0.25]>{{$}}
  %d = qnt.contract %x, %w dynamic(%s, %z) : (tensor<?x3xi8>, tensor<3x4xi8>, tensor<f32>, tensor<i32>) -> tensor<?x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input_storage = i8 weight = #qnt.params<i8, narrow, scales = [0.25]> mode = float32
  // CHECK: qnt.contract %{{.*}}, %{{.*}} dynamic(%{{.*}}, %{{.*}}) weight_dynamic(%{{.*}}, %{{.*}}) : (tensor<?x3xi8>, tensor<3x4xi8>, tensor<f32>, tensor<i32>, tensor<f32>, tensor<i32>) -> tensor<?x4xf32> maps = [#{{.*}}, #{{.*}}, #{{.*}}] input_storage = i8 weight_storage = i8{{$}}
  %dd = qnt.contract %x, %w dynamic(%s, %z) weight_dynamic(%s, %z) : (tensor<?x3xi8>, tensor<3x4xi8>, tensor<f32>, tensor<i32>, tensor<f32>, tensor<i32>) -> tensor<?x4xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input_storage = i8 weight_storage = i8
  // CHECK: qnt.contract {{.*}} -> tensor<?x4xi32> {{.*}} result = #qnt.params<i32, axis = 1, scales = [0.125, 0.25, 0.125, 0.25]>{{$}}
  %a = qnt.contract %x, %w : (tensor<?x3xi8>, tensor<3x4xi8>) -> tensor<?x4xi32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input = #qnt.params<ui8, scales = [0.5], zero_points = [10]>
         weight = #qnt.params<i8, narrow, axis = 1, scales = [0.25, 0.5, 0.25, 0.5]>
         result = #qnt.params<i32, axis = 1, scales = [0.125, 0.25, 0.125, 0.25]>
  %wc = arith.constant dense<1> : tensor<5x3x3x2xi8>
  // CHECK: qnt.contract {{.*}} : (tensor<1x9x9x2xi8>, tensor<5x3x3x2xi8>) -> tensor<1x4x4x5xf32>
  %c = qnt.contract %img, %wc : (tensor<1x9x9x2xi8>, tensor<5x3x3x2xi8>) -> tensor<1x4x4x5xf32>
         maps = [affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh * 2 + kh, ow * 2 + kw, c)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (f, kh, kw, c)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>]
         input = #qnt.params<ui8, scales = [0.5]> weight = #qnt.params<i8, axis = 0, scales = [0.1, 0.2, 0.3, 0.4, 0.5]>
  return %r, %d, %a, %c : tensor<?x4xi8>, tensor<?x4xf32>, tensor<?x4xi32>, tensor<1x4x4x5xf32>
}

// Tests MX float codes as per-block weights of qnt.contract: MXFP4
// (f4E2M1FN) and MXFP6 E2M3 (f6E2M3FN) with power-of-two block scales,
// against MXINT8 activations in blocks of the same size.
// CHECK-LABEL: func @contract_mx_codes
func.func @contract_mx_codes(%x: tensor<?x8xi8>, %s: tensor<?x2xf32>, %z: tensor<?x2xi32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %w4 = arith.constant dense<1.5> : tensor<8x2xf4E2M1FN>
  %w6 = arith.constant dense<-7.5> : tensor<8x2xf6E2M3FN>
  // CHECK: qnt.contract %{{.*}}, %{{.*}} dynamic(%{{.*}}, %{{.*}}) : (tensor<?x8xi8>, tensor<8x2xf4E2M1FN>, tensor<?x2xf32>, tensor<?x2xi32>) -> tensor<?x2xf32> maps = [#{{.*}}, #{{.*}}, #{{.*}}] input_storage = i8 weight = #qnt.params<f4E2M1FN, pow2, axis = 0, block = 4, scales = [0.25, 8.0, 1.0, 0.0078125]>{{$}}
  %a = qnt.contract %x, %w4 dynamic(%s, %z) : (tensor<?x8xi8>, tensor<8x2xf4E2M1FN>, tensor<?x2xf32>, tensor<?x2xi32>) -> tensor<?x2xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input_storage = i8 weight = #qnt.params<f4E2M1FN, pow2, axis = 0, block = 4, scales = [0.25, 8.0, 1.0, 0.0078125]>
  // CHECK: qnt.contract {{.*}} tensor<8x2xf6E2M3FN>{{.*}} weight = #qnt.params<f6E2M3FN, pow2, axis = 0, block = 4,
  %b = qnt.contract %x, %w6 dynamic(%s, %z) : (tensor<?x8xi8>, tensor<8x2xf6E2M3FN>, tensor<?x2xf32>, tensor<?x2xi32>) -> tensor<?x2xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input_storage = i8 weight = #qnt.params<f6E2M3FN, pow2, axis = 0, block = 4, scales = [0.25, 8.0, 1.0, 0.0078125]>
  return %a, %b : tensor<?x2xf32>, tensor<?x2xf32>
}
