// Tests that the torch profile quantizes weights as torch.quantize_per_channel
// does: multiplying by the float32 reciprocal of the scale (qnt's
// `reciprocal` rounding). The expected integers and scales are torch's
// (python3-torch 1.13: PerChannelMinMaxObserver(ch_axis=1,
// per_channel_symmetric, qint8), then quantize_per_channel(...).int_repr()):
// column 1 is -0.3 / (0.3 / 127.5), -127.5 by division (half to even:
// -128) and -127.49999 by the reciprocal (-127). QuantOpt's own formulas on
// the same full range divide and give -128.
// RUN: quant-opt %s --qnt-quantize="profile=torch" 2>/dev/null | FileCheck %s --check-prefix=TORCH
// RUN: quant-opt %s --qnt-quantize="weight-range=full" 2>/dev/null | FileCheck %s --check-prefix=DIVIDE
// TORCH: arith.constant dense<{{\[\[}}127, -127, 127], [-25, -127, -96], [40, -127, 21], [3, -127, 42]]> : tensor<4x3xi8>
// TORCH: weight = #qnt.params<i8, axis = 1, scales = [0.009960785, 0.0023529413, 0.0047058826]>
// DIVIDE: arith.constant dense<{{\[\[}}127, -128, 127], [-25, -128, -96], [40, -128, 21], [3, -128, 42]]> : tensor<4x3xi8>
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[1.27, -0.3, 0.6], [-0.25, -0.3, -0.45], [0.4, -0.3, 0.1], [0.03, -0.3, 0.2]]> : tensor<4x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32> loc("fc")
  return %y : tensor<2x3xf32>
}
