// Tests the option and recipe errors of --qnt-quantize, and the remarks for
// layers a configuration does not fit.
// RUN: not quant-opt %s --qnt-quantize="weights=i9" 2>&1 | FileCheck %s --check-prefix=WEIGHTS
// WEIGHTS: error: qnt-quantize: unknown weights='i9'
// A configuration error names the problem, without printing the module.
// WEIGHTS-NOT: see current operation
// RUN: not quant-opt %s --qnt-quantize="weight-scheme=affine" 2>&1 | FileCheck %s --check-prefix=SCHEME
// SCHEME: error: qnt-quantize: unknown weight-scheme='affine' (expected symmetric, asymmetric, minval, mx or nvfp4)
// RUN: not quant-opt %s --qnt-quantize="weight-granularity=row" 2>&1 | FileCheck %s --check-prefix=GRAN
// GRAN: error: qnt-quantize: unknown weight-granularity='row' (expected tensor, channel or block)
// RUN: not quant-opt %s --qnt-quantize="block-size=0" 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK: error: qnt-quantize: block-size must be positive
// RUN: not quant-opt %s --qnt-quantize="weight-range=wide" 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: error: qnt-quantize: unknown weight-range='wide' (expected narrow or full)
// RUN: not quant-opt %s --qnt-quantize="profile=mxnet" 2>&1 | FileCheck %s --check-prefix=PROFILE
// PROFILE: error: qnt-quantize: unknown profile='mxnet' (expected quantopt, torch, onnxruntime or tflite)
// RUN: not quant-opt %s --qnt-quantize="weight-scale=bf16" 2>&1 | FileCheck %s --check-prefix=WSCALE
// WSCALE: error: qnt-quantize: unknown weight-scale='bf16' (expected f32 or f16)
// RUN: not quant-opt %s --qnt-quantize="weights=mxfp4 weight-scale=f16" 2>&1 | FileCheck %s --check-prefix=WSCALEMX
// RUN: not quant-opt %s --qnt-quantize="weights=nvfp4 weight-scale=f16" 2>&1 | FileCheck %s --check-prefix=WSCALEMX
// RUN: not quant-opt %s --qnt-quantize="profile=torch weight-scale=f16" 2>&1 | FileCheck %s --check-prefix=WSCALEMX
// RUN: not quant-opt %s --qnt-quantize="weights=i8 weight-scheme=mx weight-granularity=block weight-scale=f16" 2>&1 | FileCheck %s --check-prefix=WSCALEMX
// RUN: not quant-opt %s --qnt-quantize="weights=i16 weight-scale=f16" 2>&1 | FileCheck %s --check-prefix=WSCALE16
// WSCALE16: error: qnt-quantize: weight-scale=f16 with weights=i16: f16 scales take integer ranges of at most 11 bits (the nearest f16 can be 2^-11 below the scale), not [-32767, 32767]
// RUN: not quant-opt %s --qnt-quantize="weights=bf16 weight-scale=f16" 2>&1 | FileCheck %s --check-prefix=WSCALEBF
// WSCALEBF: error: qnt-quantize: weights=bf16 keeps float weights without scales; weight-scale=f16 does not apply
// WSCALEMX: error: qnt-quantize: weight-scale=f16 with weights={{.*}}: f16 scales take the quantopt profile and the symmetric, asymmetric or minval scheme (MX and NVFP4 scales have formats of their own)
// RUN: not quant-opt %s --qnt-quantize="reduce-range=both" 2>&1 | FileCheck %s --check-prefix=REDUCE
// REDUCE: error: qnt-quantize: unknown reduce-range='both' (expected none, activations, weights or all)
// RUN: not quant-opt %s --qnt-quantize="reduce-range=weights weights=f8E4M3FN" 2>&1 | FileCheck %s --check-prefix=REDUCEF
// REDUCEF: error: qnt-quantize: reduce-range=weights needs weights in integer storage of 3 bits or more, not f8E4M3FN
// RUN: not quant-opt %s --qnt-quantize="reduce-range=activations" 2>&1 | FileCheck %s --check-prefix=REDUCED
// REDUCED: error: qnt-quantize: reduce-range=activations applies to static activations (activations=static); dynamic ones are solved at run time from each tensor's range
// RUN: not quant-opt %s --qnt-quantize="activations=sometimes" 2>&1 | FileCheck %s --check-prefix=ACT
// ACT: error: qnt-quantize: unknown activations='sometimes' (expected dynamic, static or none)
// RUN: not quant-opt %s --qnt-quantize="act-storage=f8E4M3FN" 2>&1 | FileCheck %s --check-prefix=ACTSTORAGE
// ACTSTORAGE: error: qnt-quantize: act-storage='f8E4M3FN' must be an integer type of 2 to 16 bits
// RUN: not quant-opt %s --qnt-quantize="act-scheme=minval" 2>&1 | FileCheck %s --check-prefix=ACTSCHEME
// ACTSCHEME: error: qnt-quantize: act-scheme='minval' (expected asymmetric, symmetric, mx or nvfp4)
// RUN: not quant-opt %s --qnt-quantize="act-granularity=channel" 2>&1 | FileCheck %s --check-prefix=ACTGRAN
// ACTGRAN: error: qnt-quantize: unknown act-granularity='channel' (expected tensor, row or block)
// RUN: not quant-opt %s --qnt-quantize="requantize=q15" 2>&1 | FileCheck %s --check-prefix=REQUANT
// REQUANT: error: qnt-quantize: unknown requantize='q15' (expected float, fixed-point or double-round)
// RUN: not quant-opt %s --qnt-quantize="activations=static" 2>&1 | FileCheck %s --check-prefix=NOSTATS
// NOSTATS: error: qnt-quantize: activations=static needs stats=FILE
// RUN: not quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/missing.json" 2>&1 | FileCheck %s --check-prefix=STATSMISSING
// STATSMISSING: error: qnt-quantize: cannot read stats '{{.*}}missing.json'
// RUN: not quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/bad-stats.json" 2>&1 | FileCheck %s --check-prefix=BADSTATS
// BADSTATS: error: qnt-quantize: {{.*}}bad-stats.json: activations.fc1: min must not exceed max
// RUN: not quant-opt %s --qnt-quantize="recipe=%S/Inputs/missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: qnt-quantize: cannot read recipe '{{.*}}missing.json'
// RUN: not quant-opt %s --qnt-quantize="recipe=%S/Inputs/bad-storage.json" 2>&1 | FileCheck %s --check-prefix=BADSTORAGE
// BADSTORAGE: error: qnt-quantize: {{.*}}bad-storage.json: layers[0].weights: unknown storage 'i9'
// RUN: not quant-opt %s --qnt-quantize="recipe=%S/Inputs/bad-version.json" 2>&1 | FileCheck %s --check-prefix=VERSION
// VERSION: error: qnt-quantize: {{.*}}bad-version.json: version: unsupported recipe version (expected 1)
// RUN: not quant-opt %s --qnt-quantize="recipe=%S/Inputs/bad-key.json" 2>&1 | FileCheck %s --check-prefix=KEY
// KEY: error: qnt-quantize: {{.*}}bad-key.json: layers[0].colour: unknown key
// RUN: not quant-opt %s --qnt-quantize="recipe=%S/Inputs/bad-json.json" 2>&1 | FileCheck %s --check-prefix=JSON
// JSON: error: qnt-quantize: {{.*}}bad-json.json: JSON:

// Per-block weights on a depthwise convolution (no reduction axis that indexes
// the input directly) stay in float; a block size larger than K (3 > 2) is
// one shorter block, as ONNX allows.
// RUN: quant-opt %s --qnt-quantize="weight-granularity=block block-size=3 activations=none" 2>&1 | FileCheck %s --check-prefix=FIT
// FIT-DAG: remark: layer 'linalg.depthwise_conv_2d_nhwc_hwc#0' (depthwise_conv_2d_nhwc_hwc) kept in float: i8 symmetric per-block(3) does not apply: per-block weights need a reduction axis, and this layer has none
// FIT-DAG: remark: qnt-quantize: 3 layer(s): 0 integer, 1 weight-only, 2 kept in float
// FIT-DAG: remark: layer 'linalg.matmul#1' (matmul) kept in float: its weight is not a float tensor

func.func @f(%x: tensor<1x5x5x2xf32>, %od: tensor<1x3x3x2xf32>, %m: tensor<4x2xf32>, %acc: tensor<4x2xf32>, %mi: tensor<4x2xi8>, %acci: tensor<4x2xi32>) -> (tensor<1x3x3x2xf32>, tensor<4x2xf32>, tensor<4x2xi32>) {
  %w3 = arith.constant dense<0.125> : tensor<3x3x2xf32>
  %c = linalg.depthwise_conv_2d_nhwc_hwc ins(%x, %w3 : tensor<1x5x5x2xf32>, tensor<3x3x2xf32>) outs(%od : tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32>
  %w = arith.constant dense<0.5> : tensor<2x2xf32>
  %y = linalg.matmul ins(%m, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  %wi = arith.constant dense<3> : tensor<2x2xi8>
  %z = linalg.matmul ins(%mi, %wi : tensor<4x2xi8>, tensor<2x2xi8>) outs(%acci : tensor<4x2xi32>) -> tensor<4x2xi32>
  return %c, %y, %z : tensor<1x3x3x2xf32>, tensor<4x2xf32>, tensor<4x2xi32>
}
