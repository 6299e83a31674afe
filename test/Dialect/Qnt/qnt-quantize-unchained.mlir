// RUN: quant-opt %s --split-input-file --qnt-quantize="activations=static stats=%S/Inputs/unchained-stats.json" -o /dev/null 2>&1 | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-quantize="activations=static layout=keep stats=%S/Inputs/unchained-stats.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=KEEP

// A static layer whose output reaches the next layer's quantization
// through an op the chains do not cross (here y * y) gets a remark naming
// that op; one followed by ReLU chains and gets none.
// CHECK: fc1: remark: qnt-quantize: the layer's output is requantized from float: between it and the next quantization, linalg.generic {arith.mulf} (static int8 chains only through
// CHECK-NOT: fc3: remark: qnt-quantize: the layer's output is requantized

#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.125> : tensor<8x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y1 = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32> loc("fc1")
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%y1 : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %y2 = linalg.matmul ins(%sq, %w : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32> loc("fc2")
  %y3 = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32> loc("fc3")
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%y3 : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.maximumf %in, %zero : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %y4 = linalg.matmul ins(%r, %w : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32> loc("fc4")
  return %y2, %y4 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Two NCHW convolutions, the first's output straight into the second: with
// the default layout=nhwc they chain; with layout=keep the per-channel
// layer's channels are not its last axis, and the remark says so (it used
// to list an empty path).
// CHECK-NOT: c1: remark: qnt-quantize: the layer's output is requantized
// KEEP: c1: remark: qnt-quantize: the layer's output is requantized from float: its output channels are not its last axis (an NCHW layer kept with layout=keep), and per-channel layers chain channels-last only (the default layout=nhwc converts them)
func.func @nchw(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[[[0.5]], [[0.25]]], [[[-0.5]], [[1.0]]]]> : tensor<2x2x1x1xf32>
  %e = tensor.empty() : tensor<1x2x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %y1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) outs(%f : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> loc("c1")
  %y2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%y1, %w : tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) outs(%f : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> loc("c2")
  return %y2 : tensor<1x2x3x3xf32>
}
