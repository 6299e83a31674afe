// RUN: quant-opt %s --split-input-file --qnt-import-tosa -verify-diagnostics

// Tests that INEXACT_ROUND stays TOSA, with a remark.
func.func @inexact(%x: tensor<4xi32>) -> tensor<4xi8> {
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<33> : tensor<1xi8>} : () -> tensor<1xi8>
  %zi = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %zo = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  // expected-remark @+1 {{qnt-import-tosa: 'tosa.rescale' stays TOSA: INEXACT_ROUND leaves the rounding to the implementation}}
  %y = tosa.rescale %x, %m, %s, %zi, %zo {scale32 = true, rounding_mode = INEXACT_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<4xi8>
  return %y : tensor<4xi8>
}

// -----

// Tests that a zero multiplier (no scale) stays TOSA.
func.func @zero_multiplier(%x: tensor<4xi32>) -> tensor<4xi8> {
  %m = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<33> : tensor<1xi8>} : () -> tensor<1xi8>
  %zi = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %zo = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  // expected-remark @+1 {{'tosa.rescale' stays TOSA: multiplier #0 (0 * 2^-33) is outside [1, 2^31) * 2^-[1, 62]; a zero multiplier has no scale}}
  %y = tosa.rescale %x, %m, %s, %zi, %zo {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<4xi8>
  return %y : tensor<4xi8>
}

// -----

// Tests that multipliers computed at run time stay TOSA.
func.func @runtime_multiplier(%x: tensor<4xi32>, %m: tensor<1xi32>) -> tensor<4xi8> {
  %s = "tosa.const"() {values = dense<33> : tensor<1xi8>} : () -> tensor<1xi8>
  %zi = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %zo = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  // expected-remark @+1 {{'tosa.rescale' stays TOSA: its multipliers and shifts are not constants}}
  %y = tosa.rescale %x, %m, %s, %zi, %zo {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<4xi8>
  return %y : tensor<4xi8>
}

// -----

// Tests that an int16 convolution (int48 accumulator) and its rescale stay
// TOSA.
func.func @int16_conv(%x: tensor<1x3x3x1xi16>) -> tensor<1x3x3x1xi16> {
  %w = "tosa.const"() {values = dense<1> : tensor<1x1x1x1xi8>} : () -> tensor<1x1x1x1xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<1xi48>} : () -> tensor<1xi48>
  %zx = "tosa.const"() {values = dense<0> : tensor<1xi16>} : () -> tensor<1xi16>
  %zw = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  // expected-remark @+1 {{'tosa.conv2d' stays TOSA: qnt layers take int8 operands to an int32 accumulator (int16 inputs accumulate in int48)}}
  %acc = tosa.conv2d %x, %w, %b, %zx, %zw {acc_type = i48, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x1xi16>, tensor<1x1x1x1xi8>, tensor<1xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x3x3x1xi48>
  %m = "tosa.const"() {values = dense<16384> : tensor<1xi16>} : () -> tensor<1xi16>
  %s = "tosa.const"() {values = dense<15> : tensor<1xi8>} : () -> tensor<1xi8>
  %zi = "tosa.const"() {values = dense<0> : tensor<1xi48>} : () -> tensor<1xi48>
  %zo = "tosa.const"() {values = dense<0> : tensor<1xi16>} : () -> tensor<1xi16>
  // expected-remark @+1 {{'tosa.rescale' stays TOSA: only 8-, 16- and 32-bit integers rescale in qnt (int48 accumulators of int16 layers do not)}}
  %y = tosa.rescale %acc, %m, %s, %zi, %zo {scale32 = false, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x3x3x1xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi16>) -> tensor<1x3x3x1xi16>
  return %y : tensor<1x3x3x1xi16>
}

// -----

// Tests that a depthwise channel multiplier above 1 stays TOSA.
func.func @depthwise_multiplier(%x: tensor<1x3x3x2xi8>) -> tensor<1x3x3x4xi32> {
  %w = "tosa.const"() {values = dense<1> : tensor<1x1x2x2xi8>} : () -> tensor<1x1x2x2xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<4xi32>} : () -> tensor<4xi32>
  %z = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  // expected-remark @+1 {{'tosa.depthwise_conv2d' stays TOSA: its channel multiplier is 2 (qnt.contract's depthwise form has one output per input channel)}}
  %y = tosa.depthwise_conv2d %x, %w, %b, %z, %z {acc_type = i32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x2xi8>, tensor<1x1x2x2xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x3x3x4xi32>
  return %y : tensor<1x3x3x4xi32>
}

// -----

// Tests that a matmul of two activations (attention) stays TOSA.
func.func @activation_matmul(%a: tensor<1x4x8xi8>, %b: tensor<1x8x4xi8>) -> tensor<1x4x4xi32> {
  %z = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  // expected-remark @+1 {{'tosa.matmul' stays TOSA: its weight (right-hand side) is not a constant: qnt.contract computes the weight sums at compile time}}
  %y = tosa.matmul %a, %b, %z, %z : (tensor<1x4x8xi8>, tensor<1x8x4xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4xi32>
  return %y : tensor<1x4x4xi32>
}

// -----

// Tests that a reduction too long for an int32 accumulator stays TOSA:
// 40000 products of (127 - (-128)) * (127 - (-128)) reach 2.6e9.
func.func @overflow(%a: tensor<1x1x40000xi8>) -> tensor<1x1x1xi32> {
  %b = "tosa.const"() {values = dense<1> : tensor<1x40000x1xi8>} : () -> tensor<1x40000x1xi8>
  %z = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  // expected-remark @+1 {{'tosa.matmul' stays TOSA: its int32 accumulator could overflow (40000 products per output)}}
  %y = tosa.matmul %a, %b, %z, %z : (tensor<1x1x40000xi8>, tensor<1x40000x1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1xi32>
  return %y : tensor<1x1x1xi32>
}
