// expm1 and log1p near 0 (polynomial-math.test): LLVM's lowering would give
// exp(x) - 1 = 1.1920929e-07 for x = 1e-7; libm gives 1.00000008e-07.
func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = math.expm1 %x : tensor<4xf32>
  %b = math.log1p %x : tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}
