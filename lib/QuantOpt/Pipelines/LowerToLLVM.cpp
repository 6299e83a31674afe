//===- LowerToLLVM.cpp - The qnt-lower-to-llvm pipeline -------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Pipelines/Pipelines.h"
#include "QuantOpt/Codegen/Passes.h"

#include "QuantOpt/Conversion/Passes.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

using namespace mlir;

/// The passes of both pipelines: `--qnt-lower-to-llvm` when `codegen` is
/// null, `--qnt-codegen` (its kernels, the vector lowering and OpenMP for
/// threads > 1) otherwise.
static std::string getPipelineText(const quantopt::CodegenOptions *codegen) {
  bool parallel = codegen && codegen->threads > 1;
  std::string p = parallel ? "true" : "false";
  std::string text = "qnt-export-signatures,"
                     "qnt-lower-observers,";
  // The weight-only kernels match qnt.dequantize, so they come before the
  // qnt lowering; the integer kernels come after it (and after canonicalize)
  // so that they fuse the element-wise generics that follow them, requantize
  // included.
  if (codegen)
    text += "qnt-f32-matmul{parallel=" + p + "},"
            "qnt-weight-only-matmul{parallel=" + p + "},";
  text += "convert-qnt-to-linalg,"
          "func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,"
          "tosa-to-tensor),"
          "func.func(convert-elementwise-to-linalg),"
          "canonicalize,";
  if (codegen)
    text += "qnt-vnni-matmul{lanes=" + std::to_string(codegen->lanes) +
            " parallel=" + p + "},"
            "qnt-vectorize-elementwise{lanes=" +
            std::to_string(codegen->lanes) + "},"
            "canonicalize,"; // the inits of the replaced contractions
  text += "one-shot-bufferize{bufferize-function-boundaries "
          "function-boundary-type-conversion=identity-layout-map},"
          "buffer-deallocation-pipeline,"
          "convert-bufferization-to-memref,"
          "func.func(convert-linalg-to-loops),";
  if (codegen)
    text += "convert-vector-to-scf,";
  // canonicalize inlines the memref.alloca_scope the OpenMP conversion
  // wraps the loop bodies in (they allocate nothing), which scf-to-cf needs;
  // it can only tell that they allocate nothing while the dots are still
  // qnt.dot_u8i8 (an llvm.call_intrinsic might allocate).
  if (parallel)
    text += "convert-scf-to-openmp{num-threads=" +
            std::to_string(codegen->threads) + "},canonicalize,";
  if (codegen)
    text += "qnt-lower-dot{isa=" + codegen->isa.getValue() + "},";
  text += "expand-strided-metadata,"
          "lower-affine,"
          "convert-scf-to-cf,"
          "arith-expand{include-bf16=true},";
  if (codegen)
    text += "convert-vector-to-llvm,";
  text += "convert-math-to-llvm,"
          "convert-math-to-libm,"
          "finalize-memref-to-llvm,"
          "convert-arith-to-llvm,"
          "convert-index-to-llvm,"
          "convert-cf-to-llvm,";
  if (parallel)
    text += "convert-openmp-to-llvm,";
  text += "convert-func-to-llvm,";
  if (codegen)
    text += "convert-ub-to-llvm,";
  text += "reconcile-unrealized-casts";
  return text;
}

std::string quantopt::getLowerToLLVMPipelineText() {
  return getPipelineText(nullptr);
}

std::string quantopt::getCodegenPipelineText(const CodegenOptions &options) {
  return getPipelineText(&options);
}

static LogicalResult buildPipeline(OpPassManager &pm, llvm::StringRef text,
                                   llvm::StringRef name) {
  static std::once_flag registered;
  std::call_once(registered, [] {
    mlir::registerAllPasses();
    quantopt::registerQuantOptPasses();
  });
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(text, pm, os))) {
    llvm::errs() << "internal error in the " << name << " pipeline: " << error
                 << "\n";
    return failure();
  }
  return success();
}

LogicalResult quantopt::buildCodegenPipeline(OpPassManager &pm,
                                             const CodegenOptions &options) {
  return buildPipeline(pm, getCodegenPipelineText(options), "qnt-codegen");
}

LogicalResult quantopt::buildLowerToLLVMPipeline(OpPassManager &pm) {
  return buildPipeline(pm, getLowerToLLVMPipelineText(), "qnt-lower-to-llvm");
}

void quantopt::registerQuantOptPasses() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    registerQuantOptConversionPasses();
    registerQntTransformsPasses();
    registerQuantOptCodegenPasses();
    PassPipelineRegistration<>(
        "qnt-lower-to-llvm",
        "Lower qnt and the float linalg/tensor/arith code around it to the "
        "LLVM dialect (reference path)",
        [](OpPassManager &pm) { (void)buildLowerToLLVMPipeline(pm); });
    PassPipelineRegistration<CodegenOptions>(
        "qnt-codegen",
        "Lower quantized models to the LLVM dialect through the vector "
        "dialect: VNNI kernels for integer matmuls, the reference path for "
        "the rest",
        [](OpPassManager &pm, const CodegenOptions &options) {
          (void)buildCodegenPipeline(pm, options);
        });
  });
}
