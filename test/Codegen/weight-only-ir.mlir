// qnt-weight-only-matmul on hand-written weight-only layers (an f32 matmul
// on qnt.dequantize of constant stored weights): the kernel reads the
// stored integers (repacked per 16 columns; i4 two nibbles a byte) and the
// scales (and zero points) as constants [groups][column block][16], the
// activation and the init (unless the init is uniform, a zero fill: a
// constant in the kernel), and writes a fresh result. Layers it does not
// take (minval weights) stay as they are.
// RUN: quant-opt %s --qnt-weight-only-matmul --split-input-file 2>&1 | FileCheck %s
// With threads, one f32 panel per worker, allocated once per call
// (threads=2: [2][K][64]); one thread: a panel on the stack.
// RUN: quant-opt %s --qnt-weight-only-matmul="parallel=1 threads=2" --split-input-file 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS-LABEL: func.func @i8_channel
// THREADS: memref.alloc() {alignment = 64 : i64} : memref<2x8x64xf32>
// THREADS-NOT: memref.alloca

// i8, per channel, N = 20: two column units of 16, a tail of 4.
// CHECK-LABEL: func.func @i8_channel
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK: qnt.kernel ins(%{{.*}}, %{{.*}}, %[[X]] : tensor<2x8x16xi8>, tensor<1x2x16xf32>, tensor<?x8xf32>) outs(%{{.*}} : tensor<?x20xf32>)
// CHECK: arith.sitofp %{{.*}} : vector<16xi8> to vector<16xf32>
// CHECK: vector.fma
// CHECK-NOT: qnt.dequantize
// CHECK-NOT: linalg.matmul
func.func @i8_channel(%x: tensor<?x8xf32>) -> tensor<?x20xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %q = arith.constant dense<3> : tensor<8x20xi8>
  %w = qnt.dequantize %q : tensor<8x20xi8> to tensor<8x20xf32> as #qnt.params<i8, narrow, axis = 1, scales = [0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25]>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x20xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x20xf32>) -> tensor<?x20xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x20xf32>) outs(%f : tensor<?x20xf32>) -> tensor<?x20xf32>
  return %y : tensor<?x20xf32>
}

// -----

// i4, packed, per tensor, N = 32: one unit of 32 columns, 16 bytes a row
// (low nibbles: columns 0-15, high nibbles: 16-31).
// CHECK-LABEL: func.func @i4_packed
// CHECK: qnt.kernel ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8x16xi8>, tensor<1x2x16xf32>, tensor<?x8xf32>) outs(
// CHECK: arith.shli %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK: arith.shrsi %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK-NOT: qnt.dequantize
func.func @i4_packed(%x: tensor<?x8xf32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %q = arith.constant dense<0x21> : tensor<8x16xi8>
  %w = qnt.dequantize %q : tensor<8x16xi8> to tensor<8x32xf32> as #qnt.params<i4, narrow, scales = [0.125]> packed
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x32xf32>) outs(%f : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// Zero points: subtracted from the converted weights in registers.
// CHECK-LABEL: func.func @zero_points
// CHECK: qnt.kernel ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8x16xi8>, tensor<1x1x16xf32>, tensor<1x1x16xf32>, tensor<4x8xf32>) outs(
// CHECK: arith.sitofp
// CHECK: arith.subf
// CHECK: vector.fma
// CHECK-NOT: qnt.dequantize
func.func @zero_points(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
  %q = arith.constant dense<3> : tensor<8x16xi8>
  %w = qnt.dequantize %q : tensor<8x16xi8> to tensor<8x16xf32> as #qnt.params<i8, scales = [0.5], zero_points = [2]>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// An init that is not uniform (a matmul accumulating into %acc) is an input
// of the kernel, read where the sums are stored and added to them.
// CHECK-LABEL: func.func @accumulate
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[ACC:.*]]: tensor<4x16xf32>)
// CHECK: qnt.kernel ins(%{{.*}}, %{{.*}}, %[[X]], %[[ACC]] : tensor<1x8x16xi8>, tensor<1x1x16xf32>, tensor<4x8xf32>, tensor<4x16xf32>) outs(
// CHECK-NEXT: ^bb0(%{{.*}}: memref<1x8x16xi8>, %{{.*}}: memref<1x1x16xf32>, %{{.*}}: memref<4x8xf32, {{.*}}>, %[[INIT:.*]]: memref<4x16xf32, {{.*}}>, %[[OUT:.*]]: memref<4x16xf32>):
// CHECK: %[[BASE:.*]] = vector.transfer_read %[[INIT]]
// CHECK: %[[SUM:.*]] = arith.addf %[[BASE]], %{{.*}} : vector<16xf32>
// CHECK: vector.transfer_write %[[SUM]], %[[OUT]]
func.func @accumulate(%x: tensor<4x8xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %q = arith.constant dense<3> : tensor<8x16xi8>
  %w = qnt.dequantize %q : tensor<8x16xi8> to tensor<8x16xf32> as #qnt.params<i8, narrow, scales = [0.5]>
  %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// Per block along K (blocks of 3 over K = 8: 3 blocks, the last of 2): with
// few rows the k loop runs per block (bounds min(k0 + 3, 8)) inside a loop over the
// blocks, whose sums are scaled by the block's scales with one fma.
// CHECK-LABEL: func.func @per_block
// From 16 rows on (one thread), a panel of dequantized weights first: the
// scaled weights stored once per column tile, then read by the row tiles.
// CHECK: qnt.kernel ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8x16xi8>, tensor<3x1x16xf32>, tensor<4x8xf32>) outs(
// CHECK: arith.cmpi sge, %{{.*}}, %c16
// CHECK: scf.if
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<8x64xf32>
// CHECK: arith.mulf
// CHECK: vector.store %{{.*}}, %{{.*}} : memref<8x64xf32>, vector<16xf32>
// CHECK: vector.load %{{.*}} : memref<8x64xf32>, vector<16xf32>
// CHECK: } else {
// CHECK: scf.for %[[G:[a-z0-9_]+]] = %{{[a-z0-9_]+}} to %c3{{.*}} iter_args
// CHECK: arith.minsi
// CHECK: scf.for
// CHECK: vector.fma
// CHECK: vector.load %{{.*}}[%[[G]], %{{.*}}, %{{.*}}] : memref<3x1x16xf32>
// CHECK: vector.fma
func.func @per_block(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
  %q = arith.constant dense<3> : tensor<8x16xi8>
  %w = qnt.dequantize %q : tensor<8x16xi8> to tensor<8x16xf32> as #qnt.params<i8, narrow, axis = 0, block = 3, scales = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// i2 weights: four 2-bit fields a byte, 64 columns a unit (N = 16: one unit,
// three of its column blocks beyond N), each field unpacked by shifts.
// CHECK-LABEL: func.func @i2
// CHECK: qnt.kernel ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8x16xi8>, tensor<1x4x16xf32>, tensor<4x8xf32>) outs(
// CHECK-COUNT-3: arith.shli
// CHECK-NOT: qnt.dequantize
func.func @i2(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
  %q = arith.constant dense<1> : tensor<8x16xi2>
  %w = qnt.dequantize %q : tensor<8x16xi2> to tensor<8x16xf32> as #qnt.params<i2, scales = [0.5]>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// Minval weights (x = s q + m): not taken.
// CHECK-LABEL: func.func @minval
// CHECK: qnt.dequantize
// CHECK: linalg.matmul
// CHECK-NOT: qnt.kernel
func.func @minval(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
  %q = arith.constant dense<1> : tensor<8x16xi8>
  %w = qnt.dequantize %q : tensor<8x16xi8> to tensor<8x16xf32> as #qnt.params<ui8, scales = [0.5], min_values = [-1.0]>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
