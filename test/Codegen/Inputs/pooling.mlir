// NHWC pooling ops for pooling.test: channel tails (37 = 2 x 16 + 5; 20 =
// 16 + 4), 8 channels (vectors of 8), strides, dilations, a 3x3 window,
// maximum and minimum (signed and unsigned, on bytes) and sums, and one
// pooling large enough to be shared among threads.
func.func @main(%a: tensor<3x9x11x37xf32>, %b: tensor<2x11x13x8xi8>,
                %c: tensor<2x7x7x20xi8>, %d: tensor<2x9x9x16xf32>,
                %e: tensor<4x64x64x16xf32>)
    -> (tensor<3x4x5x37xf32>, tensor<2x7x9x8xi8>, tensor<2x5x5x20xi8>,
        tensor<2x4x4x16xf32>, tensor<4x32x32x16xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %u0 = arith.constant 0 : i8
  %imax = arith.constant 127 : i8
  %w2 = tensor.empty() : tensor<2x2xf32>
  %w3 = tensor.empty() : tensor<3x3xf32>
  // Maximum, 2x2 windows, stride 2.
  %e0 = tensor.empty() : tensor<3x4x5x37xf32>
  %i0 = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<3x4x5x37xf32>) -> tensor<3x4x5x37xf32>
  %r0 = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%a, %w2 : tensor<3x9x11x37xf32>, tensor<2x2xf32>) outs(%i0 : tensor<3x4x5x37xf32>) -> tensor<3x4x5x37xf32>
  // Unsigned maximum of bytes, 3x3 windows, dilation 2.
  %e1 = tensor.empty() : tensor<2x7x9x8xi8>
  %i1 = linalg.fill ins(%u0 : i8) outs(%e1 : tensor<2x7x9x8xi8>) -> tensor<2x7x9x8xi8>
  %r1 = linalg.pooling_nhwc_max_unsigned {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%b, %w3 : tensor<2x11x13x8xi8>, tensor<3x3xf32>) outs(%i1 : tensor<2x7x9x8xi8>) -> tensor<2x7x9x8xi8>
  // Signed minimum, 3x3 windows, stride 1, dilation 1.
  %e2 = tensor.empty() : tensor<2x5x5x20xi8>
  %i2 = linalg.fill ins(%imax : i8) outs(%e2 : tensor<2x5x5x20xi8>) -> tensor<2x5x5x20xi8>
  %r2 = linalg.pooling_nhwc_min {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%c, %w3 : tensor<2x7x7x20xi8>, tensor<3x3xf32>) outs(%i2 : tensor<2x5x5x20xi8>) -> tensor<2x5x5x20xi8>
  // Sums, 3x3 windows, stride 2 (in the reference's order: the same bits).
  %e3 = tensor.empty() : tensor<2x4x4x16xf32>
  %i3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x4x4x16xf32>) -> tensor<2x4x4x16xf32>
  %r3 = linalg.pooling_nhwc_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%d, %w3 : tensor<2x9x9x16xf32>, tensor<3x3xf32>) outs(%i3 : tensor<2x4x4x16xf32>) -> tensor<2x4x4x16xf32>
  // 65536 input elements: shared among threads.
  %e4 = tensor.empty() : tensor<4x32x32x16xf32>
  %i4 = linalg.fill ins(%ninf : f32) outs(%e4 : tensor<4x32x32x16xf32>) -> tensor<4x32x32x16xf32>
  %r4 = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%e, %w2 : tensor<4x64x64x16xf32>, tensor<2x2xf32>) outs(%i4 : tensor<4x32x32x16xf32>) -> tensor<4x32x32x16xf32>
  return %r0, %r1, %r2, %r3, %r4 : tensor<3x4x5x37xf32>, tensor<2x7x9x8xi8>, tensor<2x5x5x20xi8>, tensor<2x4x4x16xf32>, tensor<4x32x32x16xf32>
}
