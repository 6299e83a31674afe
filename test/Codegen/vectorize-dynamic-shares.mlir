// qnt-vectorize-elementwise with threads on a dynamic shape: the number of
// shares is decided at run time, `threads` from 2^15 elements on, else one
// (which qnt-single-share then runs without an OpenMP fork: a one-row
// input's quantization is not worth a thread). A static shape keeps its
// constant count.
// RUN: quant-opt %s --qnt-vectorize-elementwise="threads=2" | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @dynamic
// CHECK: %[[ROWS:.*]] = tensor.dim %arg0, %c0
// CHECK: %[[COUNT:.*]] = arith.muli %{{.*}}, %[[ROWS]] : index
// CHECK: %[[ELEMS:.*]] = arith.muli %[[COUNT]], %c1024 : index
// CHECK: %[[BIG:.*]] = arith.cmpi uge, %[[ELEMS]], %c32768 : index
// CHECK: %[[N:.*]] = arith.select %[[BIG]], %c2, %c1 : index
// CHECK: scf.forall (%{{.*}}) in (%[[N]])
func.func @dynamic(%x: tensor<?x1024xf32>) -> tensor<?x1024xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x1024xf32>
  %e = tensor.empty(%d) : tensor<?x1024xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x1024xf32>) outs(%e : tensor<?x1024xf32>) {
  ^bb0(%v: f32, %o: f32):
    %h = arith.constant 0.5 : f32
    %t = arith.mulf %v, %h : f32
    linalg.yield %t : f32
  } -> tensor<?x1024xf32>
  return %r : tensor<?x1024xf32>
}

// CHECK-LABEL: func.func @static
// CHECK-NOT: arith.select
// CHECK: scf.forall (%{{.*}}) in (2)
func.func @static(%x: tensor<64x1024xf32>) -> tensor<64x1024xf32> {
  %e = tensor.empty() : tensor<64x1024xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x1024xf32>) outs(%e : tensor<64x1024xf32>) {
  ^bb0(%v: f32, %o: f32):
    %h = arith.constant 0.5 : f32
    %t = arith.mulf %v, %h : f32
    linalg.yield %t : f32
  } -> tensor<64x1024xf32>
  return %r : tensor<64x1024xf32>
}
