// qnt_x86.dot_u8i8 on the values that saturate vpmaddubsw's i16 pair sums
// (activations 255 against weights -128 and 127), at 16 and 8 lanes.
func.func @dot16(%a: tensor<64xi8>, %b: tensor<64xi8>, %acc: tensor<16xi32>) -> tensor<16xi32> {
  %c0 = arith.constant 0 : index
  %p8 = arith.constant 0 : i8
  %p32 = arith.constant 0 : i32
  %va = vector.transfer_read %a[%c0], %p8 {in_bounds = [true]} : tensor<64xi8>, vector<64xi8>
  %vb = vector.transfer_read %b[%c0], %p8 {in_bounds = [true]} : tensor<64xi8>, vector<64xi8>
  %vc = vector.transfer_read %acc[%c0], %p32 {in_bounds = [true]} : tensor<16xi32>, vector<16xi32>
  %r = qnt_x86.dot_u8i8 %vc, %va, %vb : vector<64xi8> into vector<16xi32>
  %out = vector.transfer_write %r, %acc[%c0] {in_bounds = [true]} : vector<16xi32>, tensor<16xi32>
  return %out : tensor<16xi32>
}

func.func @dot8(%a: tensor<32xi8>, %b: tensor<32xi8>, %acc: tensor<8xi32>) -> tensor<8xi32> {
  %c0 = arith.constant 0 : index
  %p8 = arith.constant 0 : i8
  %p32 = arith.constant 0 : i32
  %va = vector.transfer_read %a[%c0], %p8 {in_bounds = [true]} : tensor<32xi8>, vector<32xi8>
  %vb = vector.transfer_read %b[%c0], %p8 {in_bounds = [true]} : tensor<32xi8>, vector<32xi8>
  %vc = vector.transfer_read %acc[%c0], %p32 {in_bounds = [true]} : tensor<8xi32>, vector<8xi32>
  %r = qnt_x86.dot_u8i8 %vc, %va, %vb : vector<32xi8> into vector<8xi32>
  %out = vector.transfer_write %r, %acc[%c0] {in_bounds = [true]} : vector<8xi32>, tensor<8xi32>
  return %out : tensor<8xi32>
}
