// RUN: quant-opt %s --qnt-quantize --qnt-vnni-matmul 2>&1 | FileCheck %s
// RUN: quant-opt %s --qnt-quantize="act-storage=i8 act-scheme=symmetric" --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefix=SIGNED
// RUN: quant-opt %s --qnt-quantize --qnt-vnni-matmul --qnt-lower-dot 2>&1 | FileCheck %s --check-prefix=INTRINSIC
// RUN: quant-opt %s --qnt-quantize --qnt-codegen 2>&1 | FileCheck %s --check-prefix=LLVM

// K = 6 (one full group of 4 and a tail of 2), N = 20 (a full block of 16
// and a tail of 4): packed weights [2][2][64], zero-padded.
// CHECK: memref.global "private" constant @qnt_vnni_weights_0 : memref<2x2x64xi8> = dense<{{.*}}> {alignment = 64 : i64}
// CHECK-LABEL: func @fc
// CHECK: %[[A:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<?x6xi8> to memref<?x6xi8, strided<[?, 1], offset: ?>>
// The epilogue (zero-point correction and scales of the dynamic activation)
// is fused: the kernel stores f32.
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x20xf32>
// Four rows per tile, one weight load shared by four dots:
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// CHECK: vector.load %{{.*}} : memref<2x2x64xi8>, vector<64xi8>
// CHECK-COUNT-4: qnt.dot_u8i8 %{{.*}} : vector<64xi8> into vector<16xi32>
// The K tail reads the activation with a mask, N tails store with one:
// CHECK: vector.transfer_read %[[A]]{{.*}} : memref<?x6xi8, strided<[?, 1], offset: ?>>, vector<4xi8>
// CHECK: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[OUT]][%{{.*}}, %{{.*}}] : vector<16xf32>, memref<?x20xf32>
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: qnt.layer = "fc"

// SIGNED: memref.global "private" constant @qnt_vnni_compensation_0 : memref<2x16xi32>
// SIGNED: arith.xori %{{.*}}, %{{.*}} : i32
// SIGNED: qnt.dot_u8i8

// INTRINSIC: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// INTRINSIC-NOT: qnt.dot_u8i8

// LLVM: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// LLVM-NOT: qnt.dot_u8i8

func.func @fc(%x: tensor<?x6xf32>) -> tensor<?x20xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x6xf32>
  %w = arith.constant dense<0.5> : tensor<6x20xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%d) : tensor<?x20xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<?x20xf32>) -> tensor<?x20xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x6xf32>, tensor<6x20xf32>) outs(%c : tensor<?x20xf32>) -> tensor<?x20xf32> loc("fc")
  return %y : tensor<?x20xf32>
}

// RUN: quant-opt %s --qnt-quantize --qnt-vnni-matmul --qnt-lower-dot="isa=generic" 2>&1 | FileCheck %s --check-prefix=GENERIC
// GENERIC-NOT: llvm.call_intrinsic
// GENERIC: arith.extui %{{.*}} : vector<64xi8> to vector<64xi32>
// GENERIC: arith.extsi %{{.*}} : vector<64xi8> to vector<64xi32>
// GENERIC: %[[P:.*]] = arith.muli %{{.*}}, %{{.*}} : vector<64xi32>
// GENERIC: vector.shuffle %[[P]], %[[P]] [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60] : vector<64xi32>, vector<64xi32>
// GENERIC-COUNT-4: arith.addi %{{.*}}, %{{.*}} : vector<16xi32>
// RUN: quant-opt %s --qnt-quantize --qnt-vnni-matmul="lanes=8" --qnt-lower-dot="isa=vnni" 2>&1 | FileCheck %s --check-prefix=AVX256
// AVX256: memref.global "private" constant @qnt_vnni_weights_0 : memref<3x2x32xi8>
// AVX256: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// RUN: not quant-opt %s --qnt-quantize --qnt-vnni-matmul="lanes=4" 2>&1 | FileCheck %s --check-prefix=LANES
// LANES: error: qnt-vnni-matmul: lanes must be 16 or 8, not 4
// RUN: not quant-opt %s --qnt-quantize --qnt-vnni-matmul --qnt-lower-dot="isa=sse" 2>&1 | FileCheck %s --check-prefix=ISA
// ISA: error: qnt-lower-dot: isa must be host, vnni or generic, not 'sse'

// int4 weights: [ceil(N/16)][ceil(K/4)][32] bytes, two nibbles (+8) per
// byte, unpacked to the 64 signed bytes vpdpbusd reads.
// RUN: quant-opt %s --qnt-quantize="weights=i4" --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefix=INT4
// INT4: memref.global "private" constant @qnt_vnni_weights_0 : memref<2x2x32xi8>
// INT4: %[[RAW:.*]] = vector.load %{{.*}} : memref<2x2x32xi8>, vector<32xi8>
// INT4: %[[LO:.*]] = arith.andi %[[RAW]], %{{.*}} : vector<32xi8>
// INT4: %[[SH:.*]] = arith.shrui %[[RAW]], %{{.*}} : vector<32xi8>
// INT4: %[[HI:.*]] = arith.andi %[[SH]], %{{.*}} : vector<32xi8>
// INT4: %[[BOTH:.*]] = vector.shuffle %[[LO]], %[[HI]] [0, 1, 2, {{.*}}, 63] : vector<32xi8>, vector<32xi8>
// INT4: %[[W:.*]] = arith.subi %[[BOTH]], %{{.*}} : vector<64xi8>
// INT4: qnt.dot_u8i8 %{{.*}}, %{{.*}}, %[[W]] : vector<64xi8> into vector<16xi32>
