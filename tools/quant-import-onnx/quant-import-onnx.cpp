//===- quant-import-onnx.cpp - ONNX models to MLIR ------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
//   quant-import-onnx model.onnx -o model.mlir [--batch N] [--entry main]
//
// Writes the model's graph as linalg on tensors (docs/Import.md), ready for
// --qnt-quantize, calibration and --qnt-codegen. Nothing is written unless
// the whole model imports.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"),
                                      cl::Required);
static cl::opt<std::string> outputFile("o", cl::desc("Output MLIR file"),
                                       cl::value_desc("file"), cl::init("-"));
static cl::opt<int64_t> batch(
    "batch",
    cl::desc("Static size for the graph inputs' symbolic dimensions "
             "(default: they stay dynamic)"),
    cl::init(-1));
static cl::opt<bool> foldBatchNorm(
    "fold-batchnorm",
    cl::desc("Fold BatchNormalization into the convolution before it "
             "(default: on)"),
    cl::init(true));
static cl::opt<std::string> entry("entry",
                                  cl::desc("Name of the imported function"),
                                  cl::init("main"));

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "quant-import-onnx: ONNX models to MLIR\n");
  auto fail = [](const Twine &message) {
    WithColor::error(errs(), "quant-import-onnx") << message << "\n";
    return 1;
  };
  if (batch.getNumOccurrences() && batch <= 0)
    return fail("--batch must be positive");
  mlir::MLIRContext context;
  quantopt::OnnxImportOptions options;
  options.functionName = entry;
  options.foldBatchNorm = foldBatchNorm;
  if (batch > 0)
    options.batch = batch;
  auto module = quantopt::importOnnxModel(inputFile, context, options);
  if (!module)
    return fail(inputFile + ": " + toString(module.takeError()));
  std::string error;
  auto output = mlir::openOutputFile(outputFile, &error);
  if (!output)
    return fail(error);
  (*module)->print(output->os(),
                   mlir::OpPrintingFlags().enableDebugInfo());
  output->os() << "\n";
  output->keep();
  return 0;
}
