// MXFP4 weights in qnt-block-matmul: the f4E2M1FN codes stay packed two per
// byte (int4's layout: [column blocks][groups of four][32 bytes]), and each
// group's nibbles go through qnt_x86.lookup_bytes to the bytes vpdpbusd
// reads, 2 * value + 12 (codes 0..7: 0, 0.5, 1, 1.5, 2, 3, 4, 6; 8..15
// their negatives).
// RUN: quant-opt %s --qnt-block-matmul | FileCheck %s
// CHECK-LABEL: func @mxfp4
// CHECK: qnt.kernel ins(%{{.*}} : tensor<1x16x32xi8>, tensor<1x2x16xi16>,
// CHECK: %[[RAW:.*]] = vector.load %{{.*}} : memref<1x16x32xi8>, vector<32xi8>
// CHECK: %[[NIB:.*]] = vector.shuffle
// CHECK: %[[U:.*]] = qnt_x86.lookup_bytes %[[NIB]] table = [12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0] : vector<64xi8>
// CHECK: qnt_x86.dot_u8i8 %{{.*}}, %[[U]], %{{.*}} : vector<64xi8> into vector<16xi32>
// The forced AVX512 kernel compiles to vpshufb on zmm registers.
// RUN: quant-opt %s --qnt-codegen="isa=vnni" 2>/dev/null | mlir-translate --mlir-to-llvmir | llc -O2 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f,+avx512bw,+avx512vl,+avx512vnni -o - | FileCheck %s --check-prefix=ASM
// ASM: vpshufb {{.*}}%zmm
// ASM: vpdpbusd {{.*}}%zmm
func.func @mxfp4(%x: tensor<?x64xi8>, %s: tensor<?x2xf32>, %z: tensor<?x2xi32>) -> tensor<?x16xf32> {
  %wt = arith.constant dense<-1.5> : tensor<64x16xf4E2M1FN>
  %y = qnt.contract %x, %wt dynamic(%s, %z) : (tensor<?x64xi8>, tensor<64x16xf4E2M1FN>, tensor<?x2xf32>, tensor<?x2xi32>) -> tensor<?x16xf32>
         maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         input_storage = i8 weight = #qnt.params<f4E2M1FN, pow2, axis = 0, block = 32, scales = [0.25, 8.0, 1.0, 0.5, 0.25, 8.0, 1.0, 0.5, 0.25, 8.0, 1.0, 0.5, 0.25, 8.0, 1.0, 0.5, 0.25, 8.0, 1.0, 0.5, 0.25, 8.0, 1.0, 0.5, 0.25, 8.0, 1.0, 0.5, 0.25, 8.0, 1.0, 0.5]>
  return %y : tensor<?x16xf32>
}
