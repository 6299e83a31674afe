// On a model --qnt-quantize rewrote, the observers see what each integer
// layer consumes: the dequantized stored input (static), or the float input
// of the run-time quantization (dynamic, with a remark). Layer names live in
// the locations of the qnt.contract ops: --mlir-print-debuginfo keeps them
// in the text between the two runs.
// RUN: quant-opt %s --qnt-quantize="activations=static stats=%S/Inputs/stats.json" --mlir-print-debuginfo | quant-opt --qnt-insert-observers --mlir-print-debuginfo | FileCheck %s --check-prefix=STATIC
// RUN: quant-opt %s --qnt-quantize --mlir-print-debuginfo | quant-opt --qnt-insert-observers 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// STATIC: %[[Q:.*]] = qnt.quantize %arg0 : tensor<4x8xf32> to tensor<4x8xi8> as #qnt.params<ui8, [[P:.*]]>
// STATIC: %[[D:.*]] = qnt.dequantize %[[Q]] : tensor<4x8xi8> to tensor<4x8xf32> as #qnt.params<ui8, [[P]]>
// STATIC: qnt.observe %[[D]] : tensor<4x8xf32> id "fc1"
// STATIC: qnt.contract %[[Q]], {{.*}} loc(#[[LOC:.*]])
// STATIC: #[[LOC]] = loc("fc1")
// DYNAMIC: remark: {{.*}}layer 'fc1' quantizes its activation at run time: observed at the float input of qnt.dynamic_quantize
// DYNAMIC: qnt.observe %arg0 : tensor<4x8xf32> id "fc1"
func.func @fc(%x: tensor<4x8xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<0.5> : tensor<8x3xf32>
  %c = arith.constant dense<0.0> : tensor<4x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c : tensor<4x3xf32>) -> tensor<4x3xf32> loc("fc1")
  return %y : tensor<4x3xf32>
}
