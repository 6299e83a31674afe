// The copies of qnt.kernel (kernel-exec.test runs this function).
func.func @strided(%x: tensor<4x16xf32>, %big: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %s = tensor.extract_slice %x[0, 0] [4, 8] [1, 2] : tensor<4x16xf32> to tensor<4x8xf32>
  %d = tensor.extract_slice %big[2, 0] [4, 8] [1, 1] : tensor<8x8xf32> to tensor<4x8xf32>
  %r = qnt.kernel ins(%s : tensor<4x8xf32>) outs(%d : tensor<4x8xf32>) {
  ^bb0(%xb: memref<4x8xf32, strided<[?, 1], offset: ?>>, %ob: memref<4x8xf32>):
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    scf.for %i = %c0 to %c4 step %c1 {
      %v = vector.load %xb[%i, %c0] : memref<4x8xf32, strided<[?, 1], offset: ?>>, vector<8xf32>
      %o = vector.load %ob[%i, %c0] : memref<4x8xf32>, vector<8xf32>
      %p = arith.addf %v, %o : vector<8xf32>
      vector.store %p, %ob[%i, %c0] : memref<4x8xf32>, vector<8xf32>
    }
  } -> tensor<4x8xf32>
  %y = tensor.insert_slice %r into %big[2, 0] [4, 8] [1, 1] : tensor<4x8xf32> into tensor<8x8xf32>
  return %y : tensor<8x8xf32>
}
