// Tests that an LLVM-dialect module lowered without qnt-export-signatures is
// rejected with a hint.
// RUN: not quant-run %s --entry f --input %S/Inputs/f32_4.npy 2>&1 | FileCheck %s
// CHECK: error: function '@f' has no tensor signature (lower it with --qnt-lower-to-llvm, which records it, or pass the module before lowering)
llvm.func @f(%arg0: !llvm.ptr) {
  llvm.return
}
