//===- LowerToLLVM.cpp - The qnt-lower-to-llvm pipeline -------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Pipelines/Pipelines.h"

#include "QuantOpt/Conversion/Passes.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

using namespace mlir;

llvm::StringRef quantopt::getLowerToLLVMPipelineText() {
  return "qnt-export-signatures,"
         "qnt-lower-observers,"
         "convert-qnt-to-linalg,"
         "func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,"
         "tosa-to-tensor),"
         "func.func(convert-elementwise-to-linalg),"
         "canonicalize,"
         "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map},"
         "buffer-deallocation-pipeline,"
         "convert-bufferization-to-memref,"
         "func.func(convert-linalg-to-loops),"
         "expand-strided-metadata,"
         "lower-affine,"
         "convert-scf-to-cf,"
         "arith-expand{include-bf16=true},"
         "convert-math-to-llvm,"
         "convert-math-to-libm,"
         "finalize-memref-to-llvm,"
         "convert-arith-to-llvm,"
         "convert-index-to-llvm,"
         "convert-cf-to-llvm,"
         "convert-func-to-llvm,"
         "reconcile-unrealized-casts";
}

LogicalResult quantopt::buildLowerToLLVMPipeline(OpPassManager &pm) {
  static std::once_flag registered;
  std::call_once(registered, [] {
    mlir::registerAllPasses();
    registerQuantOptPasses();
  });
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(getLowerToLLVMPipelineText(), pm, os))) {
    llvm::errs() << "internal error in the qnt-lower-to-llvm pipeline: "
                 << error << "\n";
    return failure();
  }
  return success();
}

void quantopt::registerQuantOptPasses() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    registerQuantOptConversionPasses();
    registerQntTransformsPasses();
    PassPipelineRegistration<>(
        "qnt-lower-to-llvm",
        "Lower qnt and the float linalg/tensor/arith code around it to the "
        "LLVM dialect (reference path)",
        [](OpPassManager &pm) { (void)buildLowerToLLVMPipeline(pm); });
  });
}
