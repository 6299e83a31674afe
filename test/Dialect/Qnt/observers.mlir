// RUN: quant-opt %s --qnt-insert-observers --split-input-file | FileCheck %s
// RUN: quant-opt %s --qnt-insert-observers="per-channel=false" --split-input-file | FileCheck %s --check-prefix=NOCHAN
// RUN: quant-opt %s --qnt-insert-observers="recipe=%S/Inputs/keep-fc2.json" --split-input-file 2>&1 | FileCheck %s --check-prefix=RECIPE
// RUN: quant-opt %s --qnt-insert-observers="recipe=%S/Inputs/block-fc1.json" --split-input-file 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: quant-opt %s --qnt-insert-observers --qnt-lower-observers --split-input-file | FileCheck %s --check-prefix=LOWER
// RUN: quant-opt %s --qnt-insert-observers --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=MIXED
// RUN: quant-opt %s --qnt-insert-observers="moments=hessian per-channel=false" --split-input-file | FileCheck %s --check-prefix=MOMENTS
// RUN: quant-opt %s --qnt-insert-observers="moments=hessian" --qnt-lower-observers --split-input-file | FileCheck %s --check-prefix=LOWERMOM
// RUN: not quant-opt %s --qnt-insert-observers="moments=third" --split-input-file 2>&1 | FileCheck %s --check-prefix=BADMOM

// Observers go on the activation of every layer --qnt-quantize would make
// static (the same plan decides), with the layer names as ids; layers without
// a constant weight are skipped with a remark saying what --qnt-quantize does
// with them.
// CHECK: module attributes {qnt.model_fingerprint = "{{[0-9a-f]+}}"}
// CHECK-LABEL: func @mlp
// CHECK: qnt.observe %arg0 : tensor<4x8xf32> id "fc1" channel_axis = 1
// CHECK-NEXT: linalg.matmul
// CHECK: qnt.observe %{{.*}} : tensor<4x3xf32> id "fc2" channel_axis = 1
// CHECK-NOT: qnt.observe
// NOCHAN: qnt.observe %arg0 : tensor<4x8xf32> id "fc1"{{$}}
// RECIPE: remark: {{.*}}layer 'fc2' not observed: --qnt-quantize keeps it in float: recipe rule layers[0] says keep_float
// RECIPE: remark: layer 'linalg.matmul#2' not observed: --qnt-quantize keeps it in float: its weight is not a compile-time constant
// RECIPE: qnt.observe %arg0 : tensor<4x8xf32> id "fc1"
// RECIPE-NOT: qnt.observe {{.*}} id "fc2"
// Per-block weights take dynamic activations only: the range of fc1 serves
// a calibrated NVFP4 tensor scale, not static activations, and the remark
// says so.
// BLOCK: remark: {{.*}}layer 'fc1' has per-block weights: observed for act-tensor-scale=calibrated; with activations=static --qnt-quantize keeps its activations in float (per-block weights get integer kernels with dynamic activations per row or per block
// BLOCK-NOT: layer 'fc2' has per-block
// BLOCK: qnt.observe %arg0 : tensor<4x8xf32> id "fc1" channel_axis = 1
// BLOCK: qnt.observe %{{.*}} : tensor<4x3xf32> id "fc2" channel_axis = 1
// LOWER: qnt.observers = ["fc1", "fc2"]
// LOWER: func.func private @qnt_observe_f32(i64, i64, i64, tensor<*xf32> {bufferization.access = "read"})
// LOWER: %[[ID:.*]] = arith.constant 0 : i64
// LOWER: %[[AXIS:.*]] = arith.constant 1 : i64
// LOWER: %[[NOMOM:.*]] = arith.constant 0 : i64
// LOWER: %[[CAST:.*]] = tensor.cast %arg0 : tensor<4x8xf32> to tensor<*xf32>
// LOWER: call @qnt_observe_f32(%[[ID]], %[[AXIS]], %[[NOMOM]], %[[CAST]])
// LOWER-NOT: qnt.observe %
// Moments keep the channel axis even without per-channel min/max, and reach
// the runtime as the kind's number (hessian = 2).
// MOMENTS: qnt.observe %arg0 : tensor<4x8xf32> id "fc1" channel_axis = 1 moments = hessian
// MOMENTS: qnt.observe %{{.*}} : tensor<4x3xf32> id "fc2" channel_axis = 1 moments = hessian
// LOWERMOM: %[[AXIS:.*]] = arith.constant 1 : i64
// LOWERMOM: %[[MOM:.*]] = arith.constant 2 : i64
// LOWERMOM: call @qnt_observe_f32(%{{.*}}, %[[AXIS]], %[[MOM]], %{{.*}})
// BADMOM: error: qnt-insert-observers: moments='third': expected none, channels or hessian
func.func @mlp(%x: tensor<4x8xf32>, %w3: tensor<3x2xf32>) -> tensor<4x2xf32> {
  %w1 = arith.constant dense<0.5> : tensor<8x3xf32>
  %w2 = arith.constant dense<0.25> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4x3xf32>
  %c1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c1 : tensor<4x3xf32>) -> tensor<4x3xf32> loc("fc1")
  %e2 = tensor.empty() : tensor<4x2xf32>
  %c2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%h, %w2 : tensor<4x3xf32>, tensor<3x2xf32>) outs(%c2 : tensor<4x2xf32>) -> tensor<4x2xf32> loc("fc2")
  %z = linalg.matmul ins(%h, %w3 : tensor<4x3xf32>, tensor<3x2xf32>) outs(%y : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %z : tensor<4x2xf32>
}

// -----

// An NCHW convolution's activation channels are dimension 1.
// CHECK-LABEL: func @nchw
// CHECK: qnt.observe %arg0 : tensor<1x2x5x5xf32> id "linalg.conv_2d_nchw_fchw#0" channel_axis = 1
// MOMENTS-LABEL: func @nchw
// MOMENTS: qnt.observe %arg0 : tensor<1x2x5x5xf32> id "linalg.conv_2d_nchw_fchw#0" channel_axis = 1 moments = hessian
func.func @nchw(%x: tensor<1x2x5x5xf32>) -> tensor<1x3x3x3xf32> {
  %w = arith.constant dense<0.5> : tensor<3x2x3x3xf32>
  %c = arith.constant dense<0.0> : tensor<1x3x3x3xf32>
  %y = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) outs(%c : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  return %y : tensor<1x3x3x3xf32>
}

// -----

// Tests that a layer --qnt-quantize gives weight-only quantization (f16
// activations: integer kernels take f32) is not observed, with the plan's
// reason, while the f32 layer beside it is.
// CHECK-LABEL: func @mixed
// CHECK: qnt.observe %arg1 : tensor<2x8xf32> id "f32layer"
// CHECK-NOT: qnt.observe
// MIXED: remark: {{.*}}layer 'f16layer' not observed: --qnt-quantize keeps its activations in float: integer kernels need f32 activations and outputs
func.func @mixed(%h: tensor<2x8xf16>, %x: tensor<2x8xf32>) -> (tensor<2x3xf16>, tensor<2x3xf32>) {
  %wh = arith.constant dense<0.5> : tensor<8x3xf16>
  %ch = arith.constant dense<0.0> : tensor<2x3xf16>
  %yh = linalg.matmul ins(%h, %wh : tensor<2x8xf16>, tensor<8x3xf16>) outs(%ch : tensor<2x3xf16>) -> tensor<2x3xf16> loc("f16layer")
  %w = arith.constant dense<0.5> : tensor<8x3xf32>
  %c = arith.constant dense<0.0> : tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x8xf32>, tensor<8x3xf32>) outs(%c : tensor<2x3xf32>) -> tensor<2x3xf32> loc("f32layer")
  return %yh, %y : tensor<2x3xf16>, tensor<2x3xf32>
}

// -----

// A matmul whose activation is stored transposed ([K, M], A^T B): its input
// channels are the reduction dimension K, axis 0.
// CHECK-LABEL: func @transposed_a
// CHECK: qnt.observe %arg0 : tensor<8x4xf32> id "ta" channel_axis = 0
func.func @transposed_a(%xt: tensor<8x4xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<0.5> : tensor<8x3xf32>
  %c = arith.constant dense<0.0> : tensor<4x3xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%xt, %w : tensor<8x4xf32>, tensor<8x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32> loc("ta")
  return %y : tensor<4x3xf32>
}
