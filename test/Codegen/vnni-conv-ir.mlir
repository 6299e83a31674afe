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
// [ceil(8/16)][9][ceil(3/4)][64].
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
