// A 'same' 3x3 convolution: a zero padding, then the layer
// (dynamic-quantize-before-pad.test).
func.func @main(%x: tensor<1x6x6x3xf32>) -> tensor<1x6x6x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %w3 = arith.constant dense<[[[[-0.75, -0.5 , -0.25,  0.  ],
       [ 0.25,  0.5 ,  0.75, -0.75],
       [-0.5 , -0.25,  0.  ,  0.25]],
    
      [[ 0.5 ,  0.75, -0.75, -0.5 ],
       [-0.25,  0.  ,  0.25,  0.5 ],
       [ 0.75, -0.75, -0.5 , -0.25]],
    
      [[ 0.  ,  0.25,  0.5 ,  0.75],
       [-0.75, -0.5 , -0.25,  0.  ],
       [ 0.25,  0.5 ,  0.75, -0.75]]],
    
    
     [[[-0.5 , -0.25,  0.  ,  0.25],
       [ 0.5 ,  0.75, -0.75, -0.5 ],
       [-0.25,  0.  ,  0.25,  0.5 ]],
    
      [[ 0.75, -0.75, -0.5 , -0.25],
       [ 0.  ,  0.25,  0.5 ,  0.75],
       [-0.75, -0.5 , -0.25,  0.  ]],
    
      [[ 0.25,  0.5 ,  0.75, -0.75],
       [-0.5 , -0.25,  0.  ,  0.25],
       [ 0.5 ,  0.75, -0.75, -0.5 ]]],
    
    
     [[[-0.25,  0.  ,  0.25,  0.5 ],
       [ 0.75, -0.75, -0.5 , -0.25],
       [ 0.  ,  0.25,  0.5 ,  0.75]],
    
      [[-0.75, -0.5 , -0.25,  0.  ],
       [ 0.25,  0.5 ,  0.75, -0.75],
       [-0.5 , -0.25,  0.  ,  0.25]],
    
      [[ 0.5 ,  0.75, -0.75, -0.5 ],
       [-0.25,  0.  ,  0.25,  0.5 ],
       [ 0.75, -0.75, -0.5 , -0.25]]]]> : tensor<3x3x3x4xf32>
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %c0 : f32
  } : tensor<1x6x6x3xf32> to tensor<1x8x8x3xf32>
  %e = tensor.empty() : tensor<1x6x6x4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %w3 : tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>) outs(%z : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
  return %y : tensor<1x6x6x4xf32>
}
