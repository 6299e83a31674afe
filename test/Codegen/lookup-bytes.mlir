// qnt_x86.lookup_bytes (the MXFP4 code table of qnt-block-matmul) and its
// three lowerings by qnt-lower-dot.
// RUN: quant-opt %s | FileCheck %s --check-prefix=ROUND
// RUN: quant-opt %s --qnt-lower-dot="isa=vnni" | FileCheck %s --check-prefix=VNNI
// RUN: quant-opt %s --qnt-lower-dot="isa=avx2" | FileCheck %s --check-prefix=AVX2
// RUN: quant-opt %s --qnt-lower-dot="isa=generic" | FileCheck %s --check-prefix=GENERIC

// ROUND: qnt_x86.lookup_bytes %{{.*}} table = [12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0] : vector<64xi8>
// ROUND: qnt_x86.lookup_bytes %{{.*}} table = [12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0] : vector<32xi8>
// With AVX512 (isa=vnni) one vpshufb per 64 bytes, the table repeated in
// each of the four 128-bit lanes; 32 bytes use AVX2's.
// VNNI: %[[T:.*]] = arith.constant dense<[12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0, 12, 13, {{.*}}, 4, 0]> : vector<64xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"(%[[T]], %arg0) : (vector<64xi8>, vector<64xi8>) -> vector<64xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%{{.*}}, %arg1) : (vector<32xi8>, vector<32xi8>) -> vector<32xi8>
// isa=avx2: 64 bytes as two halves of 32.
// AVX2: %[[LO:.*]] = vector.extract_strided_slice %arg0 {offsets = [0], sizes = [32], strides = [1]}
// AVX2: %[[T0:.*]] = arith.constant dense<[12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0, 12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0]> : vector<32xi8>
// AVX2: %[[R0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[T0]], %[[LO]])
// AVX2: %[[P:.*]] = vector.insert_strided_slice %[[R0]], %{{.*}} {offsets = [0], strides = [1]}
// AVX2: %[[HI:.*]] = vector.extract_strided_slice %arg0 {offsets = [32], sizes = [32], strides = [1]}
// AVX2: %[[R1:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%{{.*}}, %[[HI]])
// AVX2: vector.insert_strided_slice %[[R1]], %[[P]] {offsets = [32], strides = [1]}
// AVX2-NOT: pshuf.b.512
// isa=generic: the low four bits compared with 1 .. 15, starting from
// table[0] = 12.
// GENERIC: %[[I:.*]] = arith.andi %arg0, %{{.*}} : vector<64xi8>
// GENERIC-COUNT-15: arith.select
// GENERIC-NOT: llvm.call_intrinsic
func.func @lookup(%codes: vector<64xi8>, %half: vector<32xi8>) -> (vector<64xi8>, vector<32xi8>) {
  %u = qnt_x86.lookup_bytes %codes table = [12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0] : vector<64xi8>
  %v = qnt_x86.lookup_bytes %half table = [12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0] : vector<32xi8>
  return %u, %v : vector<64xi8>, vector<32xi8>
}

