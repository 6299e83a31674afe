// A TOSA layer given to qnt-quantize-layers without the pipeline's TOSA
// lowering keeps float activations (its weights are quantized), with a
// remark saying why; the pipeline gives it an integer kernel.
// RUN: quant-opt %s --qnt-quantize-layers 2>&1 | FileCheck %s --check-prefix=ALONE
// ALONE: remark: layer 'tosa.matmul#0' (matmul): weights quantized, activations stay in float: integer kernels are built on linalg; the qnt-quantize pipeline lowers TOSA layers first
// ALONE: remark: qnt-quantize: 1 layer(s): 0 integer, 1 weight-only, 0 kept in float
// RUN: quant-opt %s --qnt-quantize 2>&1 | FileCheck %s --check-prefix=PIPELINE
// PIPELINE: remark: qnt-quantize: 1 layer(s): 1 integer, 0 weight-only, 0 kept in float
// PIPELINE: qnt.contract

func.func @f(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %w = "tosa.const"() {values = dense<0.5> : tensor<1x8x8xf32>} : () -> tensor<1x8x8xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.matmul %x, %w, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}
