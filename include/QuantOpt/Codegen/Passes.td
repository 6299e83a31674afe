//===- Passes.td - QuantOpt code generation passes ---------*- tablegen -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CODEGEN_PASSES_TD
#define QUANTOPT_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def QntVnniMatmul : Pass<"qnt-vnni-matmul", "::mlir::ModuleOp"> {
  let summary = "AVX512-VNNI kernels for u8 x i8 integer matmuls";
  let description = [{
    Rewrites the integer contraction of each 2-D matmul layer
    `--qnt-quantize` built (`qnt.layer`; u8 activations, constant i8
    weights, i32 accumulator from zeros) into a register-tiled loop nest on
    weights packed at compile time in vpdpbusd order
    (`[ceil(N/16)][ceil(K/4)][16][4]`, zero-padded; a private
    `memref.global`): four rows share every 64-byte weight load, sixteen
    columns per `llvm.x86.avx512.vpdpbusd.512`, accumulators in registers over
    K, masked loads for a K tail and masked stores for an N tail. The result is
    bit-exact with the reference contraction. Other contractions keep the
    reference loops with a remark. Needs a CPU with AVX512-VNNI to run
    (docs/Codegen.md).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::qnt::QntDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntF32Matmul : Pass<"qnt-f32-matmul", "::mlir::ModuleOp"> {
  let summary = "Register-tiled f32 kernels for matmuls with constant weights";
  let description = [{
    Rewrites each 2-D `linalg.matmul` of f32 with a constant weight into the
    structure of the VNNI kernels (docs/Codegen.md): weights packed at compile
    time as `[ceil(N/16)][K][16]` (a private `memref.global`), four rows per
    tile sharing every weight load, `vector.fma` with a broadcast activation,
    accumulators in registers over K starting from the init, masked loads and
    stores for an N tail. This keeps int8-against-fp32 comparisons fair.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntLowerDot : Pass<"qnt-lower-dot", "::mlir::ModuleOp"> {
  let summary = "Lower qnt.dot_u8i8 to the x86 vpdpbusd intrinsics";
  let description = [{
    Replaces `qnt.dot_u8i8` with `llvm.call_intrinsic
    "llvm.x86.avx512.vpdpbusd.512"` (16 lanes) or `".256"` (8 lanes). Runs
    after bufferization in `--qnt-codegen` (deallocation does not accept the
    intrinsic call, whose effects it cannot see).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // QUANTOPT_CODEGEN_PASSES_TD
