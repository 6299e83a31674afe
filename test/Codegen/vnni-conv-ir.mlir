// Depthwise and NCHW convolutions through the VNNI micro-kernel, from
// hand-written layers (qnt.contract with dynamic u8 inputs).
// RUN: quant-opt %s --convert-qnt-to-linalg --canonicalize --qnt-vnni-matmul 2>&1 | FileCheck %s
// RUN: quant-opt %s --qnt-codegen="isa=vnni" 2>&1 | FileCheck %s --check-prefix=LLVM
// The forced VNNI convolution kernels compile to x86 code on every machine
// (executing them needs the CPU: vnni-conv-avx256.test):
// RUN: quant-opt %s --qnt-codegen="isa=vnni lanes=8" 2>/dev/null | mlir-translate --mlir-to-llvmir | llc -O2 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f,+avx512bw,+avx512vl,+avx512vnni -o - | FileCheck %s --check-prefix=ASM256
// ASM256: vpdpbusd {{.*}}%ymm
// LLVM-NOT: remark
// LLVM-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"

// Depthwise, 20 channels and a 3x3 window: a lane is a channel, the four
// bytes of a lane four window positions; packed [ceil(20/16)][ceil(9/4)][64].
// CHECK-LABEL: func.func @depthwise
// CHECK: qnt.kernel ins(%{{.*}} : tensor<2x3x64xi8>, tensor<1x6x6x20xi8>,
// Four positions of 16 channels interleaved (byte 4j + r = position r of channel j):
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 16, 1, 17, {{.*}}] : vector<16xi8>, vector<16xi8>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 32, 33, 2, 3, 34, 35, {{.*}}] : vector<32xi8>, vector<32xi8>
// CHECK: qnt_x86.dot_u8i8
// The epilogue is fused: f32 stores.
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, memref<1x4x4x20xf32>

// NCHW (C = 3, F = 8, 3x3): transposed to NHWC/HWCF, packed
// [ceil(8/16)][9][ceil(3/4)][64] (three channels of a 3-wide window fill 9
// of 12 bytes in either kernel: not the first-layer kernel below).
func.func @depthwise(%xq: tensor<1x6x6x20xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<1x4x4x20xf32> {
  %w = arith.constant dense<127> : tensor<3x3x20xi8>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<1x6x6x20xi8>, tensor<3x3x20xi8>, tensor<f32>, tensor<i32>) -> tensor<1x4x4x20xf32>
         maps = [affine_map<(n, oh, ow, c, kh, kw) -> (n, oh + kh, ow + kw, c)>,
                 affine_map<(n, oh, ow, c, kh, kw) -> (kh, kw, c)>,
                 affine_map<(n, oh, ow, c, kh, kw) -> (n, oh, ow, c)>]
         input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.003937008]>
  return %y : tensor<1x4x4x20xf32>
}

// CHECK-LABEL: func.func @nchw
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x6x6xi8>) outs(%{{.*}} : tensor<2x6x6x3xi8>) permutation = [0, 2, 3, 1]
// CHECK: qnt.kernel ins(%{{.*}} : tensor<1x9x1x64xi8>, tensor<2x6x6x3xi8>) outs(%{{.*}} : tensor<2x4x4x8xi32>)
// CHECK: qnt_x86.dot_u8i8
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x4x4x8xi32>) outs(%{{.*}} : tensor<2x8x4x4xi32>) permutation = [0, 3, 1, 2]
func.func @nchw(%xq: tensor<2x3x6x6xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<2x8x4x4xf32> {
  %w = arith.constant dense<127> : tensor<8x3x3x3xi8>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<2x3x6x6xi8>, tensor<8x3x3x3xi8>, tensor<f32>, tensor<i32>) -> tensor<2x8x4x4xf32>
         maps = [affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>,
                 affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>,
                 affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>]
         input_storage = ui8 weight = #qnt.params<i8, narrow, axis = 0, scales = [0.002, 0.002, 0.002, 0.002, 0.002, 0.002, 0.002, 0.002]>
  return %y : tensor<2x8x4x4xf32>
}

// A first layer (C = 1, F = 8, 3x3; 18 output pixels per row): pixels are
// the lanes. Packed [KH][ceil(KW*C/4)][F] dwords; per window row one load of
// the input row and a shuffle giving lane j the bytes j .. j + 2 (the fourth
// repeats the last: its weight is 0); one vpdpbusd per filter with its four
// weights broadcast; the epilogue along the pixels (the dynamic scale a
// broadcast scalar), and the 8 vectors of 16 pixels transposed into the
// 16 x 8 floats of the tile, stored 16 at a time; the tail masked.
// CHECK-LABEL: func.func @first_layer
// CHECK: qnt.kernel ins(%{{.*}} : tensor<3x1x8xi32>, tensor<1x6x20x1xi8>
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x6x20x1xi8> into memref<1x6x20xi8>
// CHECK: vector.transfer_read %{{.*}} : memref<1x6x20xi8>, vector<64xi8>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 2, 1, 2, 3, 3, 2, 3, 4, 4, {{.*}}] : vector<64xi8>, vector<64xi8>
// CHECK: vector.broadcast %{{.*}} : i32 to vector<16xi32>
// CHECK: qnt_x86.dot_u8i8
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 16, 32, 48, 64, 80, 96, 112, 1, 17, {{.*}}] : vector<128xf32>, vector<128xf32>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<16xf32>, memref<1x4x144xf32>
// CHECK: scf.if
// CHECK: vector.transfer_write %{{.*}} : vector<16xf32>, memref<1x4x144xf32>
func.func @first_layer(%xq: tensor<1x6x20x1xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<1x4x18x8xf32> {
  %w = arith.constant dense<[[[[1, 2, 3, 4, 5, 6, 7, 8]], [[9, 10, 11, 12, 13, 14, 15, 16]], [[17, 18, 19, 20, 21, 22, 23, 24]]],
                             [[[-1, -2, -3, -4, -5, -6, -7, -8]], [[-9, -10, -11, -12, -13, -14, -15, -16]], [[-17, -18, -19, -20, -21, -22, -23, -24]]],
                             [[[1, 2, 3, 4, 5, 6, 7, 8]], [[9, 10, 11, 12, 13, 14, 15, 16]], [[17, 18, 19, 20, 21, 22, 23, 24]]]]> : tensor<3x3x1x8xi8>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<1x6x20x1xi8>, tensor<3x3x1x8xi8>, tensor<f32>, tensor<i32>) -> tensor<1x4x18x8xf32>
         maps = [affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh + kh, ow + kw, c)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (kh, kw, c, f)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>]
         input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.003937008]>
  return %y : tensor<1x4x18x8xf32>
}

// The same layer followed by the addition of a full tensor (which varies
// along the width): the epilogue cannot run along the pixels, so the
// channel-lane kernel takes it, packed [ceil(8/16)][9][ceil(1/4)][64].
// CHECK-LABEL: func.func @first_layer_residual
// CHECK: qnt.kernel ins(%{{.*}} : tensor<1x9x1x64xi8>, tensor<1x6x20x1xi8>
// CHECK-NOT: vector<128xf32>
// CHECK: return
func.func @first_layer_residual(%xq: tensor<1x6x20x1xi8>, %s: tensor<f32>, %z: tensor<i32>, %r: tensor<1x4x18x8xf32>) -> tensor<1x4x18x8xf32> {
  %w = arith.constant dense<3> : tensor<3x3x1x8xi8>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<1x6x20x1xi8>, tensor<3x3x1x8xi8>, tensor<f32>, tensor<i32>) -> tensor<1x4x18x8xf32>
         maps = [affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh + kh, ow + kw, c)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (kh, kw, c, f)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>]
         input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.003937008]>
  %e = tensor.empty() : tensor<1x4x18x8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %r : tensor<1x4x18x8xf32>, tensor<1x4x18x8xf32>) outs(%e : tensor<1x4x18x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %t = arith.addf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<1x4x18x8xf32>
  return %sum : tensor<1x4x18x8xf32>
}

// An RGB-like first layer (C = 3, F = 80, 3x3; 8 output pixels per row) keeps
// the channel-lane kernel, with tiles of at most 8 accumulators
// (kConvFewChannelColTile, kConvFewChannelRestAccumulators): the four
// blocks of 16 filters go in groups of two over 4 pixels, and the fifth
// block alone over 8 pixels, each window position a masked load of the
// three channels (after a loop over the full groups of four channels that
// canonicalization removes: there are none).
// CHECK-LABEL: func.func @rgb_first_layer
// CHECK: qnt.kernel ins(%{{.*}} : tensor<5x9x1x64xi8>, tensor<1x6x10x3xi8>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c2{{(_[0-9]+)?}} {
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c4{{(_[0-9]+)?}} {
// CHECK: %{{.*}}:8 = scf.for %{{.*}} = %{{.*}} to %c9
// CHECK: vector.transfer_read %{{.*}} : memref<1x6x10x3xi8, {{.*}}>, vector<4xi8>
// CHECK-COUNT-8: qnt_x86.dot_u8i8
// CHECK-NOT: qnt_x86.dot_u8i8
// CHECK: vector.transfer_write
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8{{(_[0-9]+)?}} {
// CHECK: %{{.*}}:8 = scf.for %{{.*}} = %{{.*}} to %c9
// CHECK: vector.transfer_read %{{.*}} : memref<1x6x10x3xi8, {{.*}}>, vector<4xi8>
// CHECK-COUNT-8: qnt_x86.dot_u8i8
// CHECK-NOT: qnt_x86.dot_u8i8
// CHECK: vector.transfer_write
// CHECK-LABEL: return
func.func @rgb_first_layer(%xq: tensor<1x6x10x3xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<1x4x8x80xf32> {
  %w = arith.constant dense<127> : tensor<3x3x3x80xi8>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<1x6x10x3xi8>, tensor<3x3x3x80xi8>, tensor<f32>, tensor<i32>) -> tensor<1x4x8x80xf32>
         maps = [affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh + kh, ow + kw, c)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (kh, kw, c, f)>,
                 affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>]
         input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.003937008]>
  return %y : tensor<1x4x8x80xf32>
}
