//===- quant-opt.cpp - The QuantOpt optimizer driver ----------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Registers dialects, passes and pipelines, then runs the mlir-opt driver.
// The result is buffered and `-o FILE` is written (atomically) only when the
// run succeeded, so bad input never clobbers an existing file.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Support/SourceNesting.h"
#include "QuantOpt/Dialect/Qnt/ExternalModels/QuantizableLayerModels.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"
#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"
#include "QuantOpt/Pipelines/Pipelines.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/MemoryBuffer.h"
#include "QuantOpt/Support/OutputFile.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  // A crash prints LLVM's stack trace.
  llvm::InitLLVM init(argc, argv);
  mlir::registerAllPasses();
  quantopt::registerQuantOptPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::qnt::QntDialect, mlir::qnt_x86::QntX86Dialect>();
  quantopt::registerQuantizableLayerModels(registry);

  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "QuantOpt quantization compiler driver\n", registry);
  mlir::MlirOptMainConfig config = mlir::MlirOptMainConfig::createFromCLOptions();
  // Layer names in bare locations print readably (not under verification,
  // which matches diagnostics by line).
  if (!config.shouldVerifyDiagnostics()) {
    mlir::MlirOptMainConfig pipeline = config;
    config.setPassPipelineSetupFn([pipeline](mlir::PassManager &pm) {
      quantopt::registerLayerNameDiagnostics(pm.getContext());
      return pipeline.setupPassPipeline(pm);
    });
  }
  if (config.shouldShowDialects() || config.shouldListPasses())
    return mlir::asMainReturnCode(
        mlir::MlirOptMain(argc, argv, inputFilename, outputFilename, registry));

  std::string errorMessage;
  auto input = mlir::openInputFile(inputFilename, &errorMessage);
  if (!input) {
    llvm::errs() << errorMessage << "\n";
    return 1;
  }
  if (llvm::Error err =
          quantopt::checkSourceNesting(input->getBuffer(), inputFilename)) {
    llvm::errs() << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  std::string result;
  llvm::raw_string_ostream os(result);
  if (mlir::failed(mlir::MlirOptMain(os, std::move(input), registry, config)))
    return 1;
  if (outputFilename == "-") {
    llvm::outs() << result;
    return 0;
  }
  if (llvm::Error err = quantopt::writeOutputFile(outputFilename, result)) {
    llvm::errs() << "cannot write '" << outputFilename
                 << "': " << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  return 0;
}
