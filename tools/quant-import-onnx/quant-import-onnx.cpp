//===- quant-import-onnx.cpp - ONNX models to MLIR ------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
//   quant-import-onnx model.onnx -o model.mlir [--batch N]
//                     [--input-shape name=d0,d1,...] [--entry main]
//
// Writes the model's graph as linalg on tensors (docs/Import.md), ready for
// --qnt-quantize, calibration and --qnt-codegen. Nothing is written unless
// the whole model imports.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Import/OnnxImporter.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "QuantOpt/Support/OutputFile.h"
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
static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Whole shape of a graph input, e.g. x=1,3,48,192; '?' keeps "
             "the model's dimension, dynamic if symbolic (x=?,3,48,192) "
             "(repeatable; overrides --batch for that input)"),
    cl::value_desc("name=d0,d1,..."));
static cl::opt<bool> foldBatchNorm(
    "fold-batchnorm",
    cl::desc("Fold BatchNormalization into the convolution before it "
             "(default: on)"),
    cl::init(true));
static cl::list<std::string> inputValues(
    "input-value",
    cl::desc("Freeze a graph input to a constant, e.g. sr=16000 (one value "
             "fills the input; or one per element: x=1,2,3), so that what "
             "depends on it (an If's condition) folds at import "
             "(repeatable)"),
    cl::value_desc("name=v0,v1,..."));
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
  for (StringRef spec : inputShapes) {
    auto [name, dims] = spec.rsplit('=');
    if (name.empty() || dims.empty() || spec.find('=') == StringRef::npos)
      return fail("--input-shape '" + spec + "' is not name=d0,d1,...");
    std::vector<int64_t> shape;
    SmallVector<StringRef> parts;
    dims.split(parts, ',');
    for (StringRef part : parts) {
      int64_t size;
      if (part.trim() == "?") { // the model's dimension, dynamic if symbolic
        shape.push_back(-1);
        continue;
      }
      if (part.trim().getAsInteger(10, size) || size <= 0)
        return fail("--input-shape '" + spec + "': '" + part +
                    "' is not a positive size");
      shape.push_back(size);
    }
    if (!options.inputShapes.emplace(name.str(), shape).second)
      return fail("--input-shape given twice for '" + name + "'");
  }
  for (StringRef spec : inputValues) {
    auto [name, list] = spec.split('=');
    if (name.empty() || list.empty() || spec.find('=') == StringRef::npos)
      return fail("--input-value '" + spec + "' is not name=v0,v1,...");
    std::vector<double> values;
    SmallVector<StringRef> parts;
    list.split(parts, ',');
    for (StringRef part : parts) {
      double v;
      if (part.trim().getAsDouble(v))
        return fail("--input-value '" + spec + "': '" + part +
                    "' is not a number");
      values.push_back(v);
    }
    if (!options.inputValues.emplace(name.str(), values).second)
      return fail("--input-value given twice for '" + name + "'");
  }
  auto module = quantopt::importOnnxModel(inputFile, context, options);
  if (!module)
    return fail(inputFile + ": " + toString(module.takeError()));
  std::string text;
  llvm::raw_string_ostream os(text);
  (*module)->print(os, mlir::OpPrintingFlags().enableDebugInfo());
  os << "\n";
  if (outputFile == "-") {
    llvm::outs() << text;
    return 0;
  }
  if (llvm::Error err = quantopt::writeOutputFile(outputFile, text))
    return fail("cannot write '" + outputFile + "': " +
                toString(std::move(err)));
  return 0;
}
