// RUN: quant-opt %s --qnt-fuse-elementwise | FileCheck %s
// RUN: quant-opt %s --qnt-fuse-elementwise=producers-only | FileCheck %s --check-prefix=ONLY
// RUN: quant-opt %s --qnt-fuse-elementwise | FileCheck %s --check-prefix=FOLD

#id = affine_map<(d0, d1) -> (d0, d1)>

// HardSwish as ONNX exporters spell it, op by op (x + 3, a clip, the
// product with x, the division by 6): one generic, reading x once.
// CHECK-LABEL: func.func @hardswish
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0 : tensor<4x16xf32>)
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.mulf
// CHECK: arith.divf
// CHECK-NOT: linalg.generic
func.func @hardswish(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %c0 = arith.constant 0.0 : f32
  %c3 = arith.constant 3.0 : f32
  %c6 = arith.constant 6.0 : f32
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %c3 : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %lo = arith.maximumf %in, %c0 : f32
    %hi = arith.minimumf %lo, %c6 : f32
    linalg.yield %hi : f32
  } -> tensor<4x16xf32>
  %m = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %b : tensor<4x16xf32>, tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %r = arith.mulf %in, %in2 : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  %d = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.divf %in, %c6 : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %d : tensor<4x16xf32>
}

// A producer with another user is not computed twice; a reduction is not
// fused into.
// CHECK-LABEL: func.func @kept
// CHECK: %[[A:.*]] = linalg.generic
// CHECK: linalg.generic {{.*}} ins(%[[A]] : tensor<4x16xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[A]] : tensor<4x16xf32>)
func.func @kept(%x: tensor<4x16xf32>, %acc: tensor<4xf32>) -> (tensor<4x16xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4x16xf32>
  %c3 = arith.constant 3.0 : f32
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %c3 : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.mulf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  %s = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%a : tensor<4x16xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %b, %s : tensor<4x16xf32>, tensor<4xf32>
}

// producers-only: the element-wise chain still fuses, but a splat constant
// operand (here the weights of an integer contraction, as the qnt lowering
// writes them) stays an operand; without the option upstream's folding
// moves it into the body, where the kernels would no longer see weights.
// ONLY-LABEL: func @splat_weights
// ONLY: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x6xi8>, tensor<6x4xi8>)
// ONLY: linalg.generic
// ONLY-SAME: ins(%{{.*}} : tensor<2x4xi32>)
// ONLY: arith.sitofp
// ONLY: arith.mulf
// ONLY-NOT: linalg.generic
// FOLD-LABEL: func @splat_weights
// FOLD: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x6xi8>)
#a = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @splat_weights(%x: tensor<2x6xi8>) -> tensor<2x4xf32> {
  %w = arith.constant dense<3> : tensor<6x4xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x4xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<2x4xi32>) -> tensor<2x4xi32>
  %acc = linalg.generic {indexing_maps = [#a, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<2x6xi8>, tensor<6x4xi8>) outs(%f : tensor<2x4xi32>) {
  ^bb0(%xa: i8, %wb: i8, %out: i32):
    %xe = arith.extsi %xa : i8 to i32
    %we = arith.extsi %wb : i8 to i32
    %p = arith.muli %xe, %we : i32
    %s = arith.addi %out, %p : i32
    linalg.yield %s : i32
  } -> tensor<2x4xi32>
  %ef = tensor.empty() : tensor<2x4xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%acc : tensor<2x4xi32>) outs(%ef : tensor<2x4xf32>) {
  ^bb0(%in: i32, %out: f32):
    %c = arith.sitofp %in : i32 to f32
    linalg.yield %c : f32
  } -> tensor<2x4xf32>
  %half = arith.constant 0.5 : f32
  %y = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%r : tensor<2x4xf32>) outs(%ef : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %half : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
