// RUN: quant-opt %s --qnt-quantize="weights=i4 weight-granularity=block block-size=4 act-storage=i8 act-scheme=symmetric act-granularity=block" --verify-diagnostics | FileCheck %s --check-prefix=BLOCK
// RUN: quant-opt %s --qnt-quantize="weights=i4 weight-granularity=block block-size=4 act-granularity=row" 2>&1 | FileCheck %s --check-prefix=ROW
// RUN: quant-opt %s --qnt-quantize="weights=i4 weight-granularity=block block-size=4" 2>&1 | FileCheck %s --check-prefix=TENSOR
// RUN: quant-opt %s --qnt-quantize="weights=mxfp4 weight-granularity=block block-size=4 act-storage=i8 act-scheme=mx act-granularity=block" 2>&1 | FileCheck %s --check-prefix=MXFP4
// RUN: quant-opt %s --qnt-quantize="weights=mxfp8 weight-granularity=block block-size=4 act-storage=i8 act-scheme=mx act-granularity=block" 2>&1 | FileCheck %s --check-prefix=MXFP8
// RUN: quant-opt %s --qnt-quantize="weights=nvfp4 block-size=4 act-storage=i8 act-scheme=nvfp4 act-granularity=block" 2>&1 | FileCheck %s --check-prefix=NVFP4
// RUN: quant-opt %s --qnt-quantize="weights=i8 act-storage=i8 act-scheme=nvfp4 act-granularity=block" 2>&1 | FileCheck %s --check-prefix=NVFP4-CHANNEL
// RUN: not quant-opt %s --qnt-quantize="weights=nvfp4 act-storage=i8 act-scheme=nvfp4" 2>&1 | FileCheck %s --check-prefix=NVFP4-BAD
// RUN: not quant-opt %s --qnt-quantize="weights=nvfp4 act-scheme=nvfp4 act-granularity=block" 2>&1 | FileCheck %s --check-prefix=NVFP4-BAD
// RUN: not quant-opt %s --qnt-quantize="weights=nvfp4 act-storage=i8 act-scheme=nvfp4 act-granularity=block activations=static stats=%t.json" 2>&1 | FileCheck %s --check-prefix=NVFP4-BAD
// RUN: quant-opt %s --qnt-quantize="weights=nvfp4 block-size=4 act-storage=i8 act-scheme=nvfp4 act-granularity=block act-tensor-scale=calibrated stats=%S/Inputs/nvfp4-stats.json" 2>&1 | FileCheck %s --check-prefix=NVFP4-CAL
// RUN: not quant-opt %s --qnt-quantize="weights=nvfp4 act-storage=i8 act-scheme=nvfp4 act-granularity=block act-tensor-scale=calibrated stats=%S/Inputs/nvfp4-stats.json calibration=mse" 2>&1 | FileCheck %s --check-prefix=NVFP4-CAL-MSE
// RUN: not quant-opt %s --qnt-quantize="act-tensor-scale=calibrated stats=%S/Inputs/nvfp4-stats.json" 2>&1 | FileCheck %s --check-prefix=NVFP4-CAL-SCHEME
// RUN: not quant-opt %s --qnt-quantize="weights=nvfp4 act-storage=i8 act-scheme=nvfp4 act-granularity=block act-tensor-scale=calibrated" 2>&1 | FileCheck %s --check-prefix=NVFP4-CAL-SCHEME
// RUN: not quant-opt %s --qnt-quantize="act-tensor-scale=static" 2>&1 | FileCheck %s --check-prefix=NVFP4-CAL-BAD
// RUN: not quant-opt %s --qnt-quantize="weights=nvfp4 act-storage=i8 act-scheme=nvfp4 act-granularity=block act-tensor-scale=calibrated activations=none stats=%S/Inputs/nvfp4-stats.json" 2>&1 | FileCheck %s --check-prefix=NVFP4-CAL-SCHEME
// RUN: not quant-opt %s --qnt-quantize="weights=nvfp4 act-storage=i8 act-scheme=nvfp4 act-granularity=block act-tensor-scale=calibrated calibration=auto stats=%S/Inputs/nvfp4-stats.json" 2>&1 | FileCheck %s --check-prefix=NVFP4-CAL-AUTO
// RUN: not quant-opt %s --qnt-quantize="act-granularity=group" 2>&1 | FileCheck %s --check-prefix=BAD

// Tests that per-block weights with dynamic activations give the block form
// of qnt.contract: act-granularity=block quantizes the activation per row
// and per block of the weights' block size (K = 10: blocks 4, 4, 2), row
// per row; the weight stays the stored i4 constant.
// BLOCK-LABEL: func @matmul
// BLOCK: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = qnt.dynamic_quantize %arg0 : tensor<?x10xf32> to tensor<?x10xi8>, tensor<?x3xf32>, tensor<?x3xi32> storage = i8 scheme = symmetric block = 4
// BLOCK: qnt.contract %[[Q]], %{{.*}} dynamic(%[[S]], %[[Z]]) : (tensor<?x10xi8>, tensor<10x3xi4>, tensor<?x3xf32>, tensor<?x3xi32>) -> tensor<?x3xf32> {{.*}} input_storage = i8 weight = #qnt.params<i4, narrow, axis = 0, block = 4,
// act-granularity=row quantizes the activation per row, for the same
// block form.
// ROW-LABEL: func @matmul
// ROW: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = qnt.dynamic_quantize %arg0 : tensor<?x10xf32> to tensor<?x10xi8>, tensor<?xf32>, tensor<?xi32> storage = ui8 scheme = asymmetric per_row
// ROW: qnt.contract %[[Q]], %{{.*}} dynamic(%[[S]], %[[Z]]) : (tensor<?x10xi8>, tensor<10x3xi4>, tensor<?xf32>, tensor<?xi32>) -> tensor<?x3xf32> {{.*}} input_storage = ui8 weight = #qnt.params<i4, narrow, axis = 0, block = 4,
// The default (per-tensor activations) keeps such layers weight-only, with a
// remark: the block form is opt-in.
// TENSOR: remark: layer 'linalg.matmul#0' (matmul): weights quantized, activations stay in float: per-block weights get integer kernels with dynamic activations per row or per block (act-granularity=row or block)
// TENSOR-LABEL: func @matmul
// TENSOR: qnt.dequantize %{{.*}} : tensor<10x3xi4> to tensor<10x3xf32> as #qnt.params<i4, narrow, axis = 0, block = 4,
// TENSOR-NOT: qnt.contract
// MXFP4 weights with MXINT8 activations: the block form with the f4E2M1FN
// codes as the weight (hand-derived, blocks of 4: column 0's first block
// [0.5, 1, 0.5, -0.5] has amax 1, scale 2^(0 - 2), codes 2, 4, 2, -2;
// column 1's [-1, 0.25, 1.5, 1] amax 1.5, scale 0.25, codes -4, 1, 6, 4;
// column 2's [2, -2, 1, 2] amax 2, scale 2^(1 - 2), codes 4, -4, 2, 4).
// MXFP4-LABEL: func @matmul
// MXFP4: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = qnt.dynamic_quantize %arg0 : tensor<?x10xf32> to tensor<?x10xi8>, tensor<?x3xf32>, tensor<?x3xi32> storage = i8 scheme = mx block = 4
// MXFP4: arith.constant dense<{{\[\[}}2.000000e+00, -4.000000e+00, 4.000000e+00], [4.000000e+00, 1.000000e+00, -4.000000e+00], [2.000000e+00, 6.000000e+00, 2.000000e+00], [-2.000000e+00, 4.000000e+00, 4.000000e+00],
// MXFP4: qnt.contract %[[Q]], %{{.*}} dynamic(%[[S]], %[[Z]]) : (tensor<?x10xi8>, tensor<10x3xf4E2M1FN>, tensor<?x3xf32>, tensor<?x3xi32>) -> tensor<?x3xf32> {{.*}} input_storage = i8 weight = #qnt.params<f4E2M1FN, pow2, axis = 0, block = 4, scales = [0.25, 0.25, 0.5, 0.5, 0.5, 0.25, 0.25, 0.5, 0.25]>
// MXFP8's elements are not integers times a power of two in i8: the layer
// stays weight-only, and says why.
// MXFP8: remark: layer 'linalg.matmul#0' (matmul): weights quantized, activations stay in float: integer kernels need integer weights with affine (symmetric or asymmetric) per-tensor, per-channel or per-block parameters, or MXFP4 / MXFP6 (E2M3) weights per block
// MXFP8: qnt.dequantize %{{.*}} : tensor<10x3xf8E4M3FN> to tensor<10x3xf32>
// MXFP8-NOT: qnt.contract
// NVFP4 weights with NVFP4 activations: the activation quantized at run
// time in the weights' blocks (qnt.dynamic_quantize scheme = nvfp4, its
// tensor scale solved at run time), the block form with the f4E2M1FN codes
// as the weight.
// NVFP4-LABEL: func @matmul
// NVFP4: %[[Q:.*]], %[[S:.*]], %[[Z:.*]] = qnt.dynamic_quantize %arg0 : tensor<?x10xf32> to tensor<?x10xi8>, tensor<?x3xf32>, tensor<?x3xi32> storage = i8 scheme = nvfp4 block = 4{{$}}
// NVFP4: qnt.contract %[[Q]], %{{.*}} dynamic(%[[S]], %[[Z]]) : (tensor<?x10xi8>, tensor<10x3xf4E2M1FN>, tensor<?x3xf32>, tensor<?x3xi32>) -> tensor<?x3xf32> {{.*}} input_storage = i8 weight = #qnt.params<f4E2M1FN, axis = 0, block = 4, tensor_scale =
// act-tensor-scale=calibrated: the tensor scale from the layer input's
// range in the statistics, [-2, 5.376]: G = 5.376 / 2688 (float32:
// 0.00199999986), fixed in the op instead of solved at run time.
// NVFP4-CAL-LABEL: func @matmul
// NVFP4-CAL: qnt.dynamic_quantize %arg0 : tensor<?x10xf32> to tensor<?x10xi8>, tensor<?x3xf32>, tensor<?x3xi32> storage = i8 scheme = nvfp4 block = 4 tensor_scale = 0.00199999986{{$}}
// NVFP4-CAL-MSE: error: qnt-quantize: act-tensor-scale=calibrated takes the range of calibration=minmax, moving-average or percentile, not mse
// NVFP4-CAL-SCHEME: error: qnt-quantize: act-tensor-scale=calibrated sets the tensor scale of NVFP4 activations (act-scheme=nvfp4, activations=dynamic) from stats=FILE
// NVFP4-CAL-AUTO: error: qnt-quantize: act-tensor-scale=calibrated does not combine with calibration=auto
// NVFP4-CAL-BAD: error: qnt-quantize: unknown act-tensor-scale='static' (expected dynamic or calibrated)
// NVFP4 activations have no blocks to take from per-channel weights: the
// layer stays weight-only, and says why.
// NVFP4-CHANNEL: remark: layer 'linalg.matmul#0' (matmul): weights quantized, activations stay in float: NVFP4 activations take the blocks of per-block weights along a matmul's reduced dimension (act-granularity=block)
// NVFP4-CHANNEL-NOT: qnt.contract
// NVFP4-BAD: error: qnt-quantize: act-scheme=nvfp4 (NVFP4 activations, block scales solved at run time) needs act-storage=i8, act-granularity=block and activations=dynamic
// BAD: unknown act-granularity='group' (expected tensor, row or block)
// expected-remark @below {{1 layer(s): 1 integer, 0 weight-only, 0 kept in float}}
module {
func.func @matmul(%x: tensor<?x10xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<[[0.5, -1.0, 2.0], [1.0, 0.25, -2.0], [0.5, 1.5, 1.0], [-0.5, 1.0, 2.0], [1.0, -1.0, 0.5], [2.0, 0.5, -1.0], [0.25, 1.0, 1.5], [-1.0, 2.0, 0.5], [1.0, 1.0, -0.5], [0.5, -2.0, 1.0]]> : tensor<10x3xf32>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e = tensor.empty(%m) : tensor<?x3xf32>
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x10xf32>, tensor<10x3xf32>) outs(%f : tensor<?x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
}
