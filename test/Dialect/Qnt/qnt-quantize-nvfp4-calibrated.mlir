// RUN: quant-opt %s --qnt-quantize="weights=i4 weight-granularity=block block-size=4 act-storage=i8 act-scheme=nvfp4 act-granularity=block act-tensor-scale=calibrated stats=%S/Inputs/nvfp4-smooth-stats.json smoothquant=0" 2>&1 >/dev/null | FileCheck %s

// Tests that a calibrated NVFP4 tensor scale needs a finite range: the
// statistics have a channel of +-3e38, which SmoothQuant (alpha 0: the
// channels scaled by 1 / max |w|, down to 1e-5) turns into an infinite
// range, so the layer keeps float activations, with the reason, instead of
// failing.
// CHECK: remark: layer 'linalg.matmul#0' (matmul): weights quantized, activations stay in float: the calibrated range [-INF, INF] gives no NVFP4 tensor scale
// CHECK: 1 layer(s): 0 integer, 1 weight-only, 0 kept in float
func.func @matmul(%x: tensor<?x16xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<[[0.5, -1.0, 2.0e6], [1.0, 0.25, -2.0], [0.5, 1.5, 1.0], [-0.5, 1.0, 2.0], [1.0, -1.0, 0.5], [2.0, 0.5, -1.0], [0.25, 1.0, 1.5], [-1.0, 2.0, 0.5], [1.0, 1.0, -0.5], [0.5, -2.0, 1.0], [0.5, -1.0, 2.0], [1.0, 0.25, -2.0], [0.5, 1.5, 1.0], [-0.5, 1.0, 2.0], [1.0, -1.0, 0.5], [2.0, 0.5, -1.0]]> : tensor<16x3xf32>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x16xf32>
  %e = tensor.empty(%m) : tensor<?x3xf32>
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x16xf32>, tensor<16x3xf32>) outs(%f : tensor<?x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
