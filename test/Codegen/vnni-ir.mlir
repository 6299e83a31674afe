// The VNNI kernel on hand-written layers (qnt.contract, lowered by
// convert-qnt-to-linalg): @fc takes u8 activations quantized at run time,
// @fc_signed i8 activations, @fc_int4 int4 weights (W4A8).
// RUN: quant-opt %s --convert-qnt-to-linalg --qnt-vnni-matmul 2>&1 | FileCheck %s
// RUN: quant-opt %s --convert-qnt-to-linalg --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefix=SIGNED
// RUN: quant-opt %s --convert-qnt-to-linalg --qnt-vnni-matmul --qnt-lower-dot="isa=vnni" 2>&1 | FileCheck %s --check-prefix=INTRINSIC
// RUN: quant-opt %s --qnt-codegen="isa=vnni" 2>&1 | FileCheck %s --check-prefix=LLVM
// The forced VNNI kernels compile to x86 code on every machine (executing
// them needs the CPU: vnni-exact-avx256.test):
// RUN: quant-opt %s --qnt-codegen="isa=vnni amx=off" 2>/dev/null | mlir-translate --mlir-to-llvmir | llc -O2 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f,+avx512bw,+avx512vl,+avx512vnni -o - | FileCheck %s --check-prefix=ASM512
// RUN: quant-opt %s --qnt-codegen="isa=vnni lanes=8" 2>/dev/null | mlir-translate --mlir-to-llvmir | llc -O2 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f,+avx512bw,+avx512vl,+avx512vnni -o - | FileCheck %s --check-prefix=ASM256
// ASM512: vpdpbusd {{.*}}%zmm
// ASM256: vpdpbusd {{.*}}%ymm
// With AMX (amx=true), from 16 rows on the same layer runs on AMX tiles:
// the weights also packed as [blocks rounded to even * K/4 rounded to 16]
// [64] (K = 6 pads to 64, N = 20 is two blocks: [32][64]), the activation
// rows copied into a zero-padded [32 * blocks][64] buffer, four i32 tiles
// per pair of column blocks (tdpbusd: u8 activations zero-extended,
// tdpbssd for i8), then the epilogue on each row of the tiles' buffer; and
// the VNNI tiles below 16 rows. Compiles to AMX instructions everywhere
// (executing needs the CPU: amx-exact.test).
// RUN: quant-opt %s --convert-qnt-to-linalg --qnt-vnni-matmul=amx=true 2>&1 | FileCheck %s --check-prefix=AMX
// RUN: quant-opt %s --qnt-codegen="amx=on" 2>/dev/null | mlir-translate --mlir-to-llvmir | llc -O2 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f,+avx512bw,+avx512vl,+avx512vnni,+amx-tile,+amx-int8 -o - | FileCheck %s --check-prefix=AMXASM
// RUN: not quant-opt %s --qnt-codegen="amx=maybe" 2>&1 | FileCheck %s --check-prefix=AMXBAD
// AMX-LABEL: func @fc
// AMX: arith.constant dense<{{.*}}> : tensor<32x64xi8>
// AMX: %[[BIG:.*]] = arith.cmpi sge, %{{.*}}, %c16
// AMX: scf.if %[[BIG]] {
// AMX: memref.alloc(%{{.*}}) : memref<?x64xi8>
// AMX: amx.tile_load %{{.*}} : memref<32x32xi32, strided<[32, 1], offset: ?>> into !amx.tile<16x16xi32>
// AMX-COUNT-4: amx.tile_muli %{{.*}} zext, %{{.*}}, %{{.*}} : !amx.tile<16x64xi8>, !amx.tile<16x64xi8>, !amx.tile<16x16xi32>
// AMX: } else {
// AMX: qnt_x86.dot_u8i8
// AMX-LABEL: func @fc_signed
// AMX-COUNT-4: amx.tile_muli %{{.*}}, %{{.*}}, %{{.*}} : !amx.tile<16x64xi8>
// AMXASM: tdpbusd %tmm
// AMXASM: tdpbssd %tmm
// AMXBAD: qnt-codegen: unknown amx='maybe' (expected host, on or off)

// K = 6 (one full group of 4 and a tail of 2), N = 20 (a full block of 16
// and a tail of 4): packed weights [2][2][64], zero-padded, a tensor
// constant. The kernel is a qnt.kernel on tensors whose body gets buffers:
// the packed weights, the activation (any strides, unit innermost), the
// scale and zero point of the dynamic activation (the fused epilogue's
// inputs) and a fresh f32 result: the zero-point correction and the scales
// are fused, so the kernel stores f32. Bufferization chooses the buffers.
// CHECK-LABEL: func @fc
// CHECK-SAME: (%[[X:.*]]: tensor<?x6xi8>, %[[S:.*]]: tensor<f32>, %[[Z:.*]]: tensor<i32>)
// CHECK: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<2x2x64xi8>
// CHECK: %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x20xf32>
// CHECK: %[[R:.*]] = qnt.kernel ins(%[[W]], %[[X]], %[[S]], %[[Z]] : tensor<2x2x64xi8>, tensor<?x6xi8>, tensor<f32>, tensor<i32>) outs(%[[EMPTY]] : tensor<?x20xf32>) {
// CHECK-NEXT: ^bb0(%{{.*}}: memref<2x2x64xi8>, %[[A:.*]]: memref<?x6xi8, strided<[?, 1], offset: ?>>, %{{.*}}: memref<f32>, %{{.*}}: memref<i32>, %[[OUT:.*]]: memref<?x20xf32>):
// Four rows per tile, one weight load shared by four dots:
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// CHECK: vector.load %{{.*}} : memref<2x2x64xi8>, vector<64xi8>
// CHECK-COUNT-4: qnt_x86.dot_u8i8 %{{.*}} : vector<64xi8> into vector<16xi32>
// The K tail reads the activation with a mask, N tails store with one:
// CHECK: vector.transfer_read %[[A]]{{.*}} : memref<?x6xi8, strided<[?, 1], offset: ?>>, vector<4xi8>
// CHECK: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[OUT]][%{{.*}}, %{{.*}}] : vector<16xf32>, memref<?x20xf32>
// CHECK: } -> tensor<?x20xf32>
// CHECK-NEXT: return %[[R]]
// CHECK-NOT: qnt.contract

// SIGNED-LABEL: func @fc_signed
// SIGNED: %[[C:.*]] = arith.constant dense<{{.*}}> : tensor<2x16xi32>
// SIGNED: qnt.kernel ins(%{{.*}}, %[[C]], %{{.*}} : tensor<2x2x64xi8>, tensor<2x16xi32>,
// SIGNED: arith.xori %{{.*}}, %{{.*}} : i32
// SIGNED: qnt_x86.dot_u8i8

// INTRINSIC: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// INTRINSIC-NOT: qnt_x86.dot_u8i8

// LLVM: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// LLVM-NOT: qnt_x86.dot_u8i8

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>
func.func @fc(%xq: tensor<?x6xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<?x20xf32> {
  %w = arith.constant dense<127> : tensor<6x20xi8>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<?x6xi8>, tensor<6x20xi8>, tensor<f32>, tensor<i32>) -> tensor<?x20xf32>
         maps = [#x, #w, #o] input_storage = ui8 weight = #qnt.params<i8, narrow, scales = [0.0039370079]> loc("fc")
  return %y : tensor<?x20xf32>
}
func.func @fc_signed(%xq: tensor<?x6xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<?x20xf32> {
  %w = arith.constant dense<127> : tensor<6x20xi8>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<?x6xi8>, tensor<6x20xi8>, tensor<f32>, tensor<i32>) -> tensor<?x20xf32>
         maps = [#x, #w, #o] input_storage = i8 weight = #qnt.params<i8, narrow, scales = [0.0039370079]> loc("fc_signed")
  return %y : tensor<?x20xf32>
}
func.func @fc_int4(%xq: tensor<?x6xi8>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<?x20xf32> {
  %w = arith.constant dense<7> : tensor<6x20xi4>
  %y = qnt.contract %xq, %w dynamic(%s, %z) : (tensor<?x6xi8>, tensor<6x20xi4>, tensor<f32>, tensor<i32>) -> tensor<?x20xf32>
         maps = [#x, #w, #o] input_storage = ui8 weight = #qnt.params<i4, narrow, scales = [0.0714285746]> loc("fc_int4")
  return %y : tensor<?x20xf32>
}

// RUN: quant-opt %s --convert-qnt-to-linalg --qnt-vnni-matmul --qnt-lower-dot="isa=generic" 2>&1 | FileCheck %s --check-prefix=GENERIC
// GENERIC-NOT: llvm.call_intrinsic
// GENERIC: arith.extui %{{.*}} : vector<64xi8> to vector<64xi32>
// GENERIC: arith.extsi %{{.*}} : vector<64xi8> to vector<64xi32>
// GENERIC: %[[P:.*]] = arith.muli %{{.*}}, %{{.*}} : vector<64xi32>
// GENERIC: vector.shuffle %[[P]], %[[P]] [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60] : vector<64xi32>, vector<64xi32>
// GENERIC-COUNT-4: arith.addi %{{.*}}, %{{.*}} : vector<16xi32>
// RUN: quant-opt %s --convert-qnt-to-linalg --qnt-vnni-matmul="lanes=8" --qnt-lower-dot="isa=vnni" 2>&1 | FileCheck %s --check-prefix=AVX256
// AVX256: qnt.kernel ins(%{{.*}} : tensor<3x2x32xi8>,
// AVX256: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// RUN: not quant-opt %s --convert-qnt-to-linalg --qnt-vnni-matmul="lanes=4" 2>&1 | FileCheck %s --check-prefix=LANES
// LANES: error: qnt-vnni-matmul: lanes must be 16 or 8, not 4
// RUN: not quant-opt %s --convert-qnt-to-linalg --qnt-vnni-matmul --qnt-lower-dot="isa=sse" 2>&1 | FileCheck %s --check-prefix=ISA
// ISA: error: qnt-lower-dot: isa must be host, vnni, avx2 or generic, not 'sse'

// int4 weights: [ceil(N/16)][ceil(K/4)][32] bytes, two nibbles (+8) per
// byte, unpacked to the 64 signed bytes vpdpbusd reads.
// RUN: quant-opt %s --convert-qnt-to-linalg --qnt-vnni-matmul 2>&1 | FileCheck %s --check-prefix=INT4
// INT4-LABEL: func @fc_int4
// INT4: qnt.kernel ins(%{{.*}} : tensor<2x2x32xi8>,
// INT4: %[[RAW:.*]] = vector.load %{{.*}} : memref<2x2x32xi8>, vector<32xi8>
// INT4: %[[LO:.*]] = arith.andi %[[RAW]], %{{.*}} : vector<32xi8>
// INT4: %[[SH:.*]] = arith.shrui %[[RAW]], %{{.*}} : vector<32xi8>
// INT4: %[[HI:.*]] = arith.andi %[[SH]], %{{.*}} : vector<32xi8>
// INT4: %[[BOTH:.*]] = vector.shuffle %[[LO]], %[[HI]] [0, 1, 2, {{.*}}, 63] : vector<32xi8>, vector<32xi8>
// INT4: %[[W:.*]] = arith.subi %[[BOTH]], %{{.*}} : vector<64xi8>
// INT4: qnt_x86.dot_u8i8 %{{.*}}, %{{.*}}, %[[W]] : vector<64xi8> into vector<16xi32>
