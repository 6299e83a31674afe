// Tests that -o is written only when the run succeeds: bad input leaves an
// existing file untouched, good input replaces it.
// RUN: rm -rf %t && mkdir -p %t && echo precious > %t/out.mlir
// RUN: not quant-opt %s --convert-qnt-to-linalg -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: FileCheck %s --check-prefix=KEPT < %t/out.mlir
// RUN: quant-opt %S/Inputs/good.mlir -o %t/out.mlir
// RUN: FileCheck %s --check-prefix=NEW < %t/out.mlir

// ERR: error: 'qnt.quantize' op result element type 'i4' does not match storage 'i8'
// KEPT: precious
// NEW: func.func @good

func.func @bad(%x: tensor<4xf32>) -> tensor<4xi4> {
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi4> as #qnt.params<i8, scales = [1.0]>
  return %q : tensor<4xi4>
}
