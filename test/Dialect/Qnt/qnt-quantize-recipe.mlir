// RUN: quant-opt %s --qnt-quantize="recipe=%S/Inputs/recipe.json activations=none" 2>&1 | FileCheck %s

// Tests a recipe (values: column [1, 0.25] minval i4 -> s = 0.75/15, m = 0.25;
// column [-0.5, 2] -> s = 2.5/15, m = -0.5; u8 asymmetric: s = 1/255, z = 0 and
// s = 2.5/255, z = round(0.5 / s) = 51; fp8: 0.5 / 448): "default" turns the base into u8 asymmetric; a name rule
// keeps "head" in float; an op glob sends convolutions to fp8 per tensor; a
// name glob gives "fc*" i4 minval blocks. The first matching rule wins.

// Layer names come from name locations; remarks carry them.
// CHECK: head: remark: layer 'head' (matmul) kept in float: recipe rule layers[0] says keep_float
// CHECK: remark: qnt-quantize: 4 layer(s): 0 integer, 3 weight-only, 1 kept in float (weights i8 symmetric per-channel unless a recipe says otherwise; activations none)
module {
// CHECK-LABEL: func @f
func.func @f(%x: tensor<4x2xf32>, %acc: tensor<4x2xf32>, %img: tensor<1x5x5x2xf32>, %o: tensor<1x3x3x4xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<1x3x3x4xf32>) {
  %w = arith.constant dense<[[1.0, -0.5], [0.25, 2.0]]> : tensor<2x2xf32>
  %wc = arith.constant dense<0.5> : tensor<3x3x2x4xf32>
  // CHECK: qnt.dequantize %{{.*}} as #qnt.params<i4, axis = 0, block = 2, scales = [0.05, 0.16666667], min_values = [0.25, -0.5]>
  %a = linalg.matmul ins(%x, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32> loc("fc1")
  // CHECK: qnt.dequantize %{{.*}} as #qnt.params<ui8, axis = 1, scales = [0.003921569, 0.009803922], zero_points = [0, 51]>
  %b = linalg.matmul ins(%x, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32> loc("proj")
  %c = linalg.matmul ins(%x, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32> loc("head")
  // CHECK: qnt.dequantize %{{.*}} as #qnt.params<f8E4M3FN, scales = [0.0011160715]>
  %d = linalg.conv_2d_nhwc_hwcf ins(%img, %wc : tensor<1x5x5x2xf32>, tensor<3x3x2x4xf32>) outs(%o : tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  return %a, %b, %c, %d : tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<1x3x3x4xf32>
}
}
