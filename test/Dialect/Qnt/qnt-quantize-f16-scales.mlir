// RUN: quant-opt %s --qnt-quantize="weights=i4 weight-granularity=block block-size=32 weight-scale=f16 activations=dynamic act-granularity=block act-storage=i8" 2>&1 | FileCheck %s
// RUN: quant-opt %s --qnt-quantize="recipe=%S/Inputs/recipe-f16-scales.json activations=none" 2>&1 | FileCheck %s --check-prefix=RECIPE
// RUN: not quant-opt %s --qnt-quantize="recipe=%S/Inputs/recipe-bad-weight-scale.json" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: quant-opt %s --qnt-quantize="weights=i4 weight-granularity=block block-size=32 weight-scale=f16 activations=none" 2>&1 >/dev/null | FileCheck %s --check-prefix=FLOOR
// RUN: not quant-opt %s --qnt-quantize="recipe=%S/Inputs/recipe-f16-scales-wide.json activations=none" 2>&1 | FileCheck %s --check-prefix=WIDE

// weight-scale=f16: the i4 symmetric scale of a block of 0.37 is
// 0.37 / 7 = 0.052857143 in float32, rounded to the nearest f16,
// 0x2AC4 = 1732 / 32768 = 0.052856445; the values are quantized with it
// (round(0.37 / 0.052856445) = round(7.0001) = 7) and the layer takes the
// group-wise kernel (qnt-block-matmul streams such scales as f16 bits).
// CHECK: remark: qnt-quantize: 4 layer(s): 4 integer, 0 weight-only, 0 kept in float (weights i4 symmetric per-block(32) f16-scales
// CHECK-LABEL: func.func @two
// CHECK: qnt.contract
// CHECK-SAME: weight = #qnt.params<i4, narrow, axis = 0, block = 32, scales = [0.052856445,
// CHECK-NOT: 0.0528571
// CHECK: return

// A recipe rule gives fc2 alone f16 scales (the default f32 scale of fc1
// is 0.052857142, printed to 9 digits).
// RECIPE-LABEL: func.func @two
// RECIPE: scales = [0.052857142,
// RECIPE: scales = [0.052856445,

// BAD: weight_scale{{.*}}expected "f32" or "f16"

// A rule whose configuration cannot take f16 scales is an error before any
// layer is planned (not a remark per layer it names), naming the rule.
// WIDE: error: qnt-quantize: {{.*}}recipe-f16-scales-wide.json: layers[1]: weight_scale f16 with i16 symmetric per-channel f16-scales: f16 scales take integer ranges of at most 11 bits
// WIDE-NOT: remark

func.func @two(%a: tensor<3x64xf32>) -> tensor<3x20xf32> {
  %w = arith.constant dense<0.37> : tensor<64x20xf32>
  %0 = tensor.empty() : tensor<3x20xf32>
  %c = arith.constant 0.0 : f32
  %1 = linalg.fill ins(%c : f32) outs(%0 : tensor<3x20xf32>) -> tensor<3x20xf32>
  %2 = linalg.matmul ins(%a, %w : tensor<3x64xf32>, tensor<64x20xf32>) outs(%1 : tensor<3x20xf32>) -> tensor<3x20xf32> loc("fc1")
  %w2 = arith.constant dense<0.37> : tensor<20x20xf32>
  %3 = linalg.matmul ins(%2, %w2 : tensor<3x20xf32>, tensor<20x20xf32>) outs(%1 : tensor<3x20xf32>) -> tensor<3x20xf32> loc("fc2")
  return %3 : tensor<3x20xf32>
}

// The values are quantized with the rounded scale: 0.184999 / 0.052857142
// = 3.49998 would give 3, 0.184999 / 0.052856445 = 3.50003 gives 4.
// CHECK-LABEL: func.func @rounded
// CHECK: arith.constant dense<{{\[\[}}7], [4], [0],
// CHECK-SAME: tensor<32x1xi4>
func.func @rounded(%a: tensor<3x32xf32>) -> tensor<3x1xf32> {
  %w = arith.constant dense<[[0.37], [0.184999], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0]]> : tensor<32x1xf32>
  %0 = tensor.empty() : tensor<3x1xf32>
  %c = arith.constant 0.0 : f32
  %1 = linalg.fill ins(%c : f32) outs(%0 : tensor<3x1xf32>) -> tensor<3x1xf32>
  %2 = linalg.matmul ins(%a, %w : tensor<3x32xf32>, tensor<32x1xf32>) outs(%1 : tensor<3x1xf32>) -> tensor<3x1xf32>
  return %2 : tensor<3x1xf32>
}

// A block whose scale would be below 2^-14 (1e-4 / 7 = 1.4e-5) is raised to
// it, and the layer says so: its value is round(1e-4 / 2^-14) = round(1.64)
// = 2 instead of 7.
// FLOOR-NOT: layer 'fc1'
// FLOOR: remark: layer 'tiny' (matmul): 1 of 2 weight scales are 2^-14, the smallest normal f16 (weight-scale=f16)
// FLOOR-NOT: layer 'fc1'
// CHECK-LABEL: func.func @tiny
// CHECK: arith.constant dense<{{\[\[}}2, 7], [0, 0],
// CHECK: scales = [6.1035156e-05, 0.052856445]
func.func @tiny(%a: tensor<3x32xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0e-4, 0.37],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0],
    [0.0, 0.0]]> : tensor<32x2xf32>
  %0 = tensor.empty() : tensor<3x2xf32>
  %c = arith.constant 0.0 : f32
  %1 = linalg.fill ins(%c : f32) outs(%0 : tensor<3x2xf32>) -> tensor<3x2xf32>
  %2 = linalg.matmul ins(%a, %w : tensor<3x32xf32>, tensor<32x2xf32>) outs(%1 : tensor<3x2xf32>) -> tensor<3x2xf32> loc("tiny")
  return %2 : tensor<3x2xf32>
}
