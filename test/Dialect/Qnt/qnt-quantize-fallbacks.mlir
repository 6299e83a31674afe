// RUN: quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/chain-stats.json" --split-input-file 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --qnt-quantize="weights=i16 act-granularity=row recipe=%S/Inputs/tosa-keep.json" --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --qnt-quantize="act-granularity=row act-depthwise=quantize recipe=%S/Inputs/tosa-keep.json" --split-input-file 2>/dev/null | FileCheck %s --check-prefix=DYN

// Tests that a ReLU written in place (outs = its input) chains, and that the
// float producers it replaces are erased exactly once.
// CHECK-LABEL: func @inplace
// CHECK-COUNT-1: qnt.quantize
// CHECK: qnt.contract {{.*}} result = #qnt.params
// CHECK-NOT: qnt.quantize
func.func @inplace(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<0.5> : tensor<4x4xf32>
  %w2 = arith.constant dense<0.25> : tensor<4x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y1 = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%c : tensor<2x4xf32>) -> tensor<2x4xf32> loc("l1")
  %h = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y1 : tensor<2x4xf32>) outs(%y1 : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %y2 = linalg.matmul ins(%h, %w2 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%c : tensor<2x4xf32>) -> tensor<2x4xf32> loc("l2")
  return %y2 : tensor<2x4xf32>
}

// -----

// Tests that an element-wise op that also transposes does not chain.
// CHECK-LABEL: func @transposing_relu
// CHECK-COUNT-2: qnt.quantize
// CHECK-NOT: result = #qnt.params
func.func @transposing_relu(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %w1 = arith.constant dense<0.5> : tensor<4x4xf32>
  %w2 = arith.constant dense<0.25> : tensor<4x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y1 = linalg.matmul ins(%x, %w1 : tensor<4x4xf32>, tensor<4x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32> loc("l1")
  %h = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1, d0)>], iterator_types = ["parallel", "parallel"]} ins(%y1 : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %y2 = linalg.matmul ins(%h, %w2 : tensor<4x4xf32>, tensor<4x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32> loc("l2")
  return %y2 : tensor<4x4xf32>
}

// -----

// Tests the fallbacks: i16 weights with u8 activations over K = 512 could
// overflow an i32 accumulator; a depthwise HWCM filter with M = 1 is
// per-channel on C; a rank-1 activation gets per-tensor parameters even when
// rows were asked for; a recipe rule on the TOSA op name still applies after
// the pass lowers TOSA layers to linalg (the layer computes in float).
// REMARK: remark: {{.*}}layer 'big' (matmul): weights quantized, activations stay in float: an i32 accumulator could overflow (u8 activations x i16 weights over 512 terms)
// REMARK: remark: {{.*}}layer 'tconv' (conv2d) kept in float: recipe rule layers[0] says keep_float
// DYN-LABEL: func @fallbacks
// DYN: qnt.dynamic_quantize %{{.*}} : tensor<512xf32> to tensor<512xi8>, tensor<f32>, tensor<i32> storage = ui8 scheme = asymmetric{{$}}
// DYN: qnt.contract {{.*}} -> tensor<1x5x5x4x1xf32> {{.*}} weight = #qnt.params<i8, narrow, axis = 2, scales = [0.003937008, 0.007874016, 0.015748031, 0.031496063]>
// DYN: linalg.conv_2d_nhwc_fhwc {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x5x5x4xf32>, tensor<2x3x3x4xf32>)
func.func @fallbacks(%v: tensor<512xf32>, %acc: tensor<4x8xf32>, %accm: tensor<4x8xf32>, %x: tensor<1x5x5x4xf32>, %xm: tensor<4x512xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<1x3x3x4xf32>, tensor<1x3x3x2xf32>) {
  %m = arith.constant dense<0.125> : tensor<512x8xf32>
  %vec = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
           ins(%v, %m : tensor<512xf32>, tensor<512x8xf32>) outs(%acc : tensor<4x8xf32>) -> tensor<4x8xf32>
  %wbig = arith.constant dense<1.0> : tensor<512x8xf32>
  %big = linalg.matmul ins(%xm, %wbig : tensor<4x512xf32>, tensor<512x8xf32>) outs(%accm : tensor<4x8xf32>) -> tensor<4x8xf32> loc("big")
  %wd = "tosa.const"() {values = dense<[[[[0.5], [1.0], [2.0], [4.0]]]]> : tensor<1x1x4x1xf32>} : () -> tensor<1x1x4x1xf32>
  %wc = "tosa.const"() {values = dense<0.5> : tensor<2x3x3x4xf32>} : () -> tensor<2x3x3x4xf32>
  %b4 = "tosa.const"() {values = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %b2 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %dw = tosa.depthwise_conv2d %x, %wd, %b4, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x5x4xf32>, tensor<1x1x4x1xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x5x5x4xf32>
  %dws = tensor.extract_slice %dw[0, 0, 0, 0] [1, 3, 3, 4] [1, 1, 1, 1] : tensor<1x5x5x4xf32> to tensor<1x3x3x4xf32>
  %c = tosa.conv2d %x, %wc, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x5x4xf32>, tensor<2x3x3x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x2xf32> loc("tconv")
  return %vec, %big, %dws, %c : tensor<4x8xf32>, tensor<4x8xf32>, tensor<1x3x3x4xf32>, tensor<1x3x3x2xf32>
}
