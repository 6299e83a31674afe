// The kernels apply the element-wise code after a contraction to the
// accumulators in registers (docs/Codegen.md, "Fused epilogues"): two static
// layers written as qnt.contract ops, the first requantized to the second's
// input (bias in int32; float or Q31 path), store i8 straight from the first
// kernel and f32 from the second; no element-wise generic is left after
// them. A dynamic layer fuses its scales, a float bias and a ReLU.
// RUN: sed s/MODE/float32/ %s | quant-opt --split-input-file --convert-qnt-to-linalg --canonicalize --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefixes=CHECK,FLOAT
// RUN: sed s/MODE/fixed_point/ %s | quant-opt --split-input-file --convert-qnt-to-linalg --canonicalize --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefixes=CHECK,Q31
// RUN: sed s/MODE/float32/ %s | quant-opt --split-input-file --convert-qnt-to-linalg --canonicalize --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefix=DYN
// The reference path keeps the separate generics:
// RUN: sed s/MODE/float32/ %s | quant-opt --split-input-file --convert-qnt-to-linalg --canonicalize 2>&1 | FileCheck %s --check-prefix=REF

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>

// CHECK-LABEL: func.func @mlp
// First layer: i8 out; the bias is an input of the kernel.
// CHECK: %[[L1:.*]] = qnt.kernel ins(%{{.*}}, %arg0, %{{.*}} : tensor<2x2x64xi8>, tensor<?x6xi8>, tensor<20xi32>) outs(%{{.*}} : tensor<?x20xi8>) {
// CHECK-NEXT: ^bb0(%{{.*}}: memref<2x2x64xi8>, %{{.*}}: memref<?x6xi8, strided<[?, 1], offset: ?>>, %{{.*}}: memref<20xi32, strided<[1], offset: ?>>, %[[OUT1:.*]]: memref<?x20xi8>):
// CHECK: qnt_x86.dot_u8i8
// FLOAT: arith.sitofp %{{.*}} : vector<16xi{{32|64}}> to vector<16xf32>
// FLOAT: math.roundeven %{{.*}} : vector<16xf32>
// Q31: arith.muli %{{.*}}, %{{.*}} : vector<16xi64>
// Q31: arith.shrsi %{{.*}}, %{{.*}} : vector<16xi64>
// CHECK: arith.trunci %{{.*}} : vector<16xi{{32|64}}> to vector<16xi8>
// CHECK: vector.transfer_write %{{.*}}, %[[OUT1]]{{.*}} : vector<16xi8>, memref<?x20xi8>
// The second layer reads it and stores f32:
// CHECK: qnt.kernel ins(%{{.*}}, %[[L1]], %{{.*}} : tensor<1x5x64xi8>, tensor<?x20xi8>, tensor<5xi32>) outs(%{{.*}} : tensor<?x5xf32>) {
// CHECK-NEXT: ^bb0(%{{.*}}: memref<1x5x64xi8>, %{{.*}}: memref<?x20xi8, strided<[?, 1], offset: ?>>, %{{.*}}: memref<5xi32, strided<[1], offset: ?>>, %[[OUT2:.*]]: memref<?x5xf32>):
// CHECK: vector.transfer_write %{{.*}}, %[[OUT2]]{{.*}} : vector<16xf32>, memref<?x5xf32>
// CHECK-NOT: linalg.generic
// CHECK: return

// REF-LABEL: func.func @mlp
// REF: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<?x20xi32>, {{.*}}) outs(%{{.*}} : tensor<?x20xi32>)
// REF: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<?x20xi32>) outs(%{{.*}} : tensor<?x20xi8>)
func.func @mlp(%xq: tensor<?x6xi8>) -> tensor<?x5xf32> {
  %w1 = arith.constant dense<[[64, -127, 32, 127, 64, -64, 64, -127, 32, 127, 64, -64, 64, -127, 32, 127, 64, -64, 16, 127], [127, 64, -64, 64, -127, 32, 127, 64, -64, 64, -127, 32, 127, 64, -64, 64, -127, 32, 95, -127], [64, -127, 32, 127, 64, -64, 64, -127, 32, 127, 64, -64, 64, -127, 32, 127, 64, -64, 16, 127], [127, 64, -64, 64, -127, 32, 127, 64, -64, 64, -127, 32, 127, 64, -64, 64, -127, 32, 95, -127], [64, -127, 32, 127, 64, -64, 64, -127, 32, 127, 64, -64, 64, -127, 32, 127, 64, -64, 16, 127], [127, 64, -64, 64, -127, 32, 127, 64, -64, 64, -127, 32, 127, 64, -64, 64, -127, 32, 95, -127]]> : tensor<6x20xi8>
  %b1 = arith.constant dense<2032> : tensor<20xi32>
  %h = qnt.contract %xq, %w1 bias %b1 : (tensor<?x6xi8>, tensor<6x20xi8>, tensor<20xi32>) -> tensor<?x20xi8>
         maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.0156862754], zero_points = [64]>
         weight = #qnt.params<i8, narrow, scales = [0.0157480314]>
         result = #qnt.params<ui8, scales = [0.0235294122]> mode = MODE
  %w2 = arith.constant dense<127> : tensor<20x5xi8>
  %b2 = arith.constant dense<[1, 2, 3, 4, 5]> : tensor<5xi32>
  %y = qnt.contract %h, %w2 bias %b2 : (tensor<?x20xi8>, tensor<20x5xi8>, tensor<5xi32>) -> tensor<?x5xf32>
         maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [0.0235294122]>
         weight = #qnt.params<i8, narrow, scales = [0.00393700786]>
  return %y : tensor<?x5xf32>
}

// -----

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>

// Dynamic activations: the correction and scales in f32, then bias + ReLU.
// DYN-LABEL: func.func @dynamic
// DYN: qnt.kernel {{.*}} outs(%{{.*}} : tensor<?x20xf32>)
// DYN: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// DYN: arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// DYN: vector.transfer_write %{{.*}} : vector<16xf32>, memref<?x20xf32>
func.func @dynamic(%xq: tensor<?x6xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<?x20xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %xq, %c0 : tensor<?x6xi8>
  %w1 = arith.constant dense<127> : tensor<6x20xi8>
  %y = qnt.contract %xq, %w1 dynamic(%s, %z) : (tensor<?x6xi8>, tensor<6x20xi8>, tensor<f32>, tensor<i32>) -> tensor<?x20xf32>
         maps = [#x, #w, #o] input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.0157480314]>
  %b1 = arith.constant dense<0.25> : tensor<20xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty(%d) : tensor<?x20xf32>
  %h = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y, %b1 : tensor<?x20xf32>, tensor<20xf32>) outs(%e1 : tensor<?x20xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %sum = arith.addf %a, %b : f32
    %r = arith.maximumf %sum, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x20xf32>
  return %h : tensor<?x20xf32>
}

// -----

// A consumer that reads its position (linalg.index) is not element-wise
// mappable: the kernel stores i32 and the generic stays.
// RUN: sed s/MODE/float32/ %s | quant-opt --split-input-file --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefix=INDEX
// INDEX-LABEL: func.func @indexed
// INDEX: qnt.kernel {{.*}} outs(%{{.*}} : tensor<4x20xi32>)
// INDEX: vector.transfer_write %{{.*}} : vector<16xi32>, memref<4x20xi32>
// INDEX: linalg.index 1
func.func @indexed(%x: tensor<4x8xi8>) -> tensor<4x20xi32> {
  %w = arith.constant dense<3> : tensor<8x20xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x20xi32>
  %c = linalg.fill ins(%z : i32) outs(%e : tensor<4x20xi32>) -> tensor<4x20xi32>
  %acc = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<4x8xi8>, tensor<8x20xi8>) outs(%c : tensor<4x20xi32>) {
  ^bb0(%a: i8, %b: i8, %o: i32):
    %a32 = arith.extui %a : i8 to i32
    %b32 = arith.extsi %b : i8 to i32
    %p = arith.muli %a32, %b32 : i32
    %s = arith.addi %o, %p : i32
    linalg.yield %s : i32
  } -> tensor<4x20xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>], iterator_types = ["parallel", "parallel"]} ins(%acc : tensor<4x20xi32>) outs(%e : tensor<4x20xi32>) {
  ^bb0(%a: i32, %o: i32):
    %i = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %s = arith.addi %a, %ii : i32
    linalg.yield %s : i32
  } -> tensor<4x20xi32>
  return %r : tensor<4x20xi32>
}
