// The kernels apply the element-wise code after a contraction to the
// accumulators in registers (docs/Codegen.md, "Fused epilogues"): two static
// layers chained in integers store i8 straight from the first kernel
// (correction, bias and requantize: float or Q31 path) and f32 from the
// second (scales and bias); no element-wise generic is left after them.
// RUN: echo '{"version": 1, "activations": {"fc1": {"min": -1.0, "max": 3.0}, "fc2": {"min": 0.0, "max": 6.0}}}' > %t.json
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%t.json" --convert-qnt-to-linalg --canonicalize --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefixes=CHECK,FLOAT
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%t.json requantize=fixed-point" --convert-qnt-to-linalg --canonicalize --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefixes=CHECK,Q31
// Dynamic activations: the correction and scales in f32, then bias + ReLU.
// RUN: quant-opt %s --qnt-quantize --convert-qnt-to-linalg --canonicalize --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefix=DYN
// The reference path keeps the separate generics:
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%t.json" --convert-qnt-to-linalg --canonicalize 2>&1 | FileCheck %s --check-prefix=REF

// CHECK-LABEL: func.func @mlp
// First layer: i8 out.
// CHECK: %[[OUT1:.*]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x20xi8>
// CHECK: qnt_x86.dot_u8i8
// FLOAT: arith.sitofp %{{.*}} : vector<16xi{{32|64}}> to vector<16xf32>
// FLOAT: math.roundeven %{{.*}} : vector<16xf32>
// Q31: arith.muli %{{.*}}, %{{.*}} : vector<16xi64>
// Q31: arith.shrsi %{{.*}}, %{{.*}} : vector<16xi64>
// CHECK: arith.trunci %{{.*}} : vector<16xi{{32|64}}> to vector<16xi8>
// CHECK: vector.transfer_write %{{.*}}, %[[OUT1]]{{.*}} : vector<16xi8>, memref<?x20xi8>
// The second layer reads it and stores f32:
// CHECK: %[[A2:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<?x20xi8>
// CHECK: %[[OUT2:.*]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x5xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[OUT2]]{{.*}} : vector<16xf32>, memref<?x5xf32>
// CHECK-NOT: linalg.generic
// CHECK: return

// DYN-LABEL: func.func @mlp
// DYN: memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x20xf32>
// DYN: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// DYN: arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// DYN: vector.transfer_write %{{.*}} : vector<16xf32>, memref<?x20xf32>

// REF-LABEL: func.func @mlp
// REF: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<?x20xi32>, {{.*}}) outs(%{{.*}} : tensor<?x20xi32>)
// REF: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<?x20xi32>, {{.*}}) outs(%{{.*}} : tensor<?x20xi8>)

func.func @mlp(%x: tensor<?x6xf32>) -> tensor<?x5xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x6xf32>
  %w1 = arith.constant dense<[[0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.125, 2.0], [1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 0.75, -2.0], [0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.125, 2.0], [1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 0.75, -2.0], [0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.125, 2.0], [1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 1.0, 0.5, -0.5, 0.5, -1.0, 0.25, 0.75, -2.0]]> : tensor<6x20xf32>
  %b1 = arith.constant dense<0.25> : tensor<20xf32>
  %w2 = arith.constant dense<0.5> : tensor<20x5xf32>
  %b2 = arith.constant dense<[0.1, 0.2, 0.3, 0.4, 0.5]> : tensor<5xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty(%d) : tensor<?x20xf32>
  %c1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x20xf32>) -> tensor<?x20xf32>
  %y1 = linalg.matmul ins(%x, %w1 : tensor<?x6xf32>, tensor<6x20xf32>) outs(%c1 : tensor<?x20xf32>) -> tensor<?x20xf32> loc("fc1")
  %h = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y1, %b1 : tensor<?x20xf32>, tensor<20xf32>) outs(%e1 : tensor<?x20xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x20xf32>
  %e2 = tensor.empty(%d) : tensor<?x5xf32>
  %c2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<?x5xf32>) -> tensor<?x5xf32>
  %y2 = linalg.matmul ins(%h, %w2 : tensor<?x20xf32>, tensor<20x5xf32>) outs(%c2 : tensor<?x5xf32>) -> tensor<?x5xf32> loc("fc2")
  %z = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y2, %b2 : tensor<?x5xf32>, tensor<5xf32>) outs(%e2 : tensor<?x5xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x5xf32>
  return %z : tensor<?x5xf32>
}

// A consumer that reads its position (linalg.index) is not element-wise
// mappable: the kernel stores i32 and the generic stays.
// RUN: quant-opt %s --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefix=INDEX
// INDEX-LABEL: func.func @indexed
// INDEX: memref.alloc() {alignment = 64 : i64} : memref<4x20xi32>
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
