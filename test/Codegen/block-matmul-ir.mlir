// qnt-block-matmul on hand-written group-wise layers (qnt.contract's block
// form): the kernel reads the weights stored as u = q_w + c_w in vpdpbusd's
// order (i4 3 -> 11, two nibbles a byte: 0xBB), the weight scales as
// [column block][block][16], and, with weight zero points, t = c_w + z_w
// per block and column (i4 with z = 1, -2: 9, 6) and, unless the
// activations' zero point is known to be 0, the weight sums per block
// (4 * (3 - 1) = 8, 4 * (3 + 2) = 20) and the input zero points. Layers it
// does not take keep their qnt.contract, with a remark saying why.
// RUN: quant-opt %s --qnt-block-matmul 2>&1 | FileCheck %s
// RUN: not quant-opt %s --qnt-block-matmul="lanes=4" 2>&1 | FileCheck %s --check-prefix=LANES
// LANES: error: qnt-block-matmul: lanes must be 16 or 8, not 4
// With threads, one panel per worker (threads=2: [2][K/4][128]).
// RUN: quant-opt %s --qnt-block-matmul="parallel=1 threads=2" 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS-LABEL: func.func @i4_symmetric
// THREADS: memref.alloc() {alignment = 64 : i64} : memref<2x2x128xi8>

// The remarks (of @block_of_6 and @weight_argument below) come first.
// CHECK: remark: qnt-block-matmul: layer 'fc1' keeps the reference loops: the block size is not a multiple of 4
// CHECK: remark: qnt-block-matmul: a group-wise layer keeps the reference loops: the weight is not a constant

// i4 symmetric weights, i8 symmetric activations per block (zero point 0:
// neither zero points nor weight sums are read).
// CHECK-LABEL: func.func @i4_symmetric
// CHECK: %[[W:.*]] = arith.constant dense<-69> : tensor<1x2x32xi8>
// The scales (0.5 and 0.25) are normal f16 values: stored as their bits
// (0x3800, 0x3400).
// CHECK: %[[S:.*]] = arith.constant dense<{{\[\[\[}}14336, {{.*}}], [13312, {{.*}}]]]> : tensor<1x2x16xi16>
// CHECK: qnt.kernel ins(%[[W]], %[[S]], %{{.*}}, %{{.*}} : tensor<1x2x32xi8>, tensor<1x2x16xi16>, tensor<?x8xi8>, tensor<?x2xf32>) outs(%{{.*}} : tensor<?x16xf32>)
// CHECK: memref.alloc(%{{.*}}) : memref<?x2xi32>
// CHECK: vector.reduction <add>, %{{.*}} : vector<4xi32> into i32
// Each block's accumulators start at -c_w R_g = -8 R_g.
// CHECK: arith.muli %{{.*}}, %c-8_i32 : i32
// CHECK: arith.andi %{{.*}}, %{{.*}} : vector<32xi8>
// CHECK: arith.shrui %{{.*}}, %{{.*}} : vector<32xi8>
// CHECK: vector.shuffle
// CHECK: %[[W4:.*]] = vector.shuffle
// Fewer than 4 rows: 4 column blocks per tile (here 1), each weight
// stream prefetched 2 KB (64 groups of four, clamped to the last) ahead.
// CHECK: memref.prefetch %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}], read, locality<3>, data : memref<1x2x32xi8>
// CHECK: qnt_x86.dot_u8i8 %{{.*}}, %[[W4]], %{{.*}} : vector<64xi8> into vector<16xi32>
// CHECK-NOT: arith.subi
// The decode tile prefetches the scales of a block ahead (clamped),
// then widens them exactly to f32: (h << 13) + ((127 - 15) << 23).
// CHECK: memref.prefetch %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}], read, locality<3>, data : memref<1x2x16xi16>
// CHECK: %[[H:.*]] = arith.extui %{{.*}} : vector<16xi16> to vector<16xi32>
// CHECK: %[[C13:.*]] = arith.constant dense<13> : vector<16xi32>
// CHECK: %[[SH:.*]] = arith.shli %[[H]], %[[C13]] : vector<16xi32>
// CHECK: %[[C112:.*]] = arith.constant dense<939524096> : vector<16xi32>
// CHECK: %[[B:.*]] = arith.addi %[[SH]], %[[C112]] : vector<16xi32>
// CHECK: arith.bitcast %[[B]] : vector<16xi32> to vector<16xf32>
// CHECK: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// From 16 rows on, the nibbles of a column group are unpacked once into a
// panel of bytes [groups of four][2 columns x 64] that the row tiles read.
// CHECK: arith.cmpi sge, %{{.*}}, %c16
// CHECK: %[[PANELS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x2x128xi8>
// CHECK: %[[PANEL:.*]] = memref.subview %[[PANELS]]
// CHECK: vector.store %{{.*}}, %[[PANEL]][%{{.*}}, %{{.*}}] : memref<2x128xi8, strided<[128, 1], offset: ?>>, vector<64xi8>
// CHECK: vector.load %[[PANEL]][%{{.*}}, %{{.*}}] : memref<2x128xi8, strided<[128, 1], offset: ?>>, vector<64xi8>
// CHECK: qnt_x86.dot_u8i8
// CHECK: arith.mulf
// CHECK: vector.fma
// CHECK-NOT: qnt.contract
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>
func.func @i4_symmetric(%a: tensor<?x8xf32>) -> tensor<?x16xf32> {
  %w = arith.constant dense<3> : tensor<8x16xi4>
  %xq, %sx, %zx = qnt.dynamic_quantize %a : tensor<?x8xf32> to tensor<?x8xi8>, tensor<?x2xf32>, tensor<?x2xi32> storage = i8 scheme = symmetric block = 4
  %y = qnt.contract %xq, %w dynamic(%sx, %zx) : (tensor<?x8xi8>, tensor<8x16xi4>, tensor<?x2xf32>, tensor<?x2xi32>) -> tensor<?x16xf32>
         maps = [#x, #w, #o] input_storage = i8
         weight = #qnt.params<i4, narrow, axis = 0, block = 4, scales = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]>
  return %y : tensor<?x16xf32>
}

// i4 weights with zero points, u8 asymmetric activations: the byte table t
// and the weight sums are constants, the zero points an input. A scale
// that is not an f16 value (0.1) keeps the scales in f32.
// CHECK-LABEL: func.func @u8_asymmetric
// CHECK: arith.constant dense<{{\[\[\[}}1.000000e-01, 5.000000e-01, {{.*}}]]]> : tensor<1x2x16xf32>
// CHECK: %[[T:.*]] = arith.constant dense<{{\[\[\[}}9, 9, {{.*}}], [6, 6, {{.*}}]]]> : tensor<1x2x16xi8>
// CHECK: %[[WS:.*]] = arith.constant dense<{{\[\[\[}}8, 8, {{.*}}], [20, 20, {{.*}}]]]> : tensor<1x2x16xi32>
// CHECK: qnt.kernel ins(%{{.*}}, %{{.*}}, %[[T]], %[[WS]], %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x2x32xi8>, tensor<1x2x16xf32>, tensor<1x2x16xi8>, tensor<1x2x16xi32>, tensor<?x8xi8>, tensor<?x2xf32>, tensor<?x2xi32>)
// CHECK: arith.xori %{{.*}}, %{{.*}} : vector<4xi8>
// CHECK: arith.xori %{{.*}}, %c-2139062144_i32 : i32
// CHECK: qnt_x86.dot_u8i8
// CHECK: arith.extui %{{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: arith.subi %{{.*}}, %c128_i32 : i32
// CHECK: vector.fma
// CHECK-NOT: qnt.contract
func.func @u8_asymmetric(%a: tensor<?x8xf32>) -> tensor<?x16xf32> {
  %w = arith.constant dense<3> : tensor<8x16xi4>
  %xq, %sx, %zx = qnt.dynamic_quantize %a : tensor<?x8xf32> to tensor<?x8xi8>, tensor<?x2xf32>, tensor<?x2xi32> storage = ui8 scheme = asymmetric block = 4
  %y = qnt.contract %xq, %w dynamic(%sx, %zx) : (tensor<?x8xi8>, tensor<8x16xi4>, tensor<?x2xf32>, tensor<?x2xi32>) -> tensor<?x16xf32>
         maps = [#x, #w, #o] input_storage = ui8
         weight = #qnt.params<i4, axis = 0, block = 4, scales = [0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25], zero_points = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2]>
  return %y : tensor<?x16xf32>
}

// Blocks of 6 (groups of four would straddle blocks) and a weight that is
// not a constant keep the reference loops.
// CHECK-LABEL: func.func @block_of_6
// CHECK: qnt.contract
// CHECK-LABEL: func.func @weight_argument
// CHECK: qnt.contract
func.func @block_of_6(%a: tensor<?x12xf32>) -> tensor<?x20xf32> {
  %w = arith.constant dense<3> : tensor<12x20xi8>
  %xq, %sx, %zx = qnt.dynamic_quantize %a : tensor<?x12xf32> to tensor<?x12xi8>, tensor<?x2xf32>, tensor<?x2xi32> storage = i8 scheme = symmetric block = 6
  %y = qnt.contract %xq, %w dynamic(%sx, %zx) : (tensor<?x12xi8>, tensor<12x20xi8>, tensor<?x2xf32>, tensor<?x2xi32>) -> tensor<?x20xf32>
         maps = [#x, #w, #o] input_storage = i8
         weight = #qnt.params<i8, narrow, axis = 0, block = 6, scales = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]> loc("fc1")
  return %y : tensor<?x20xf32>
}
func.func @weight_argument(%a: tensor<?x12xf32>, %w: tensor<12x20xi8>) -> tensor<?x20xf32> {
  %xq, %sx, %zx = qnt.dynamic_quantize %a : tensor<?x12xf32> to tensor<?x12xi8>, tensor<?x3xf32>, tensor<?x3xi32> storage = i8 scheme = symmetric block = 4
  %y = qnt.contract %xq, %w dynamic(%sx, %zx) : (tensor<?x12xi8>, tensor<12x20xi8>, tensor<?x3xf32>, tensor<?x3xi32>) -> tensor<?x20xf32>
         maps = [#x, #w, #o] input_storage = i8
         weight = #qnt.params<i8, narrow, axis = 0, block = 4, scales = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]>
  return %y : tensor<?x20xf32>
}
