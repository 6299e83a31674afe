//===- quant-run.cpp - Execute a (q)MLIR function on .npy data ------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
//   quant-run FILE.mlir --entry NAME --input a.npy [--input b.npy ...]
//             [--output-dir DIR] [--repeat N]
//
// Lowers FILE with --qnt-lower-to-llvm unless it is already in the LLVM
// dialect, JIT-compiles it, calls NAME and writes DIR/out0.npy, ... Nothing
// is written when any step fails. See docs/Tools.md.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/ExternalModels/QuantizableLayerModels.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Pipelines/Pipelines.h"
#include "QuantOpt/Runtime/Runner.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("quant-run options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> entry("entry", cl::desc("Function to call"),
                                  cl::Required, cl::cat(category));
static cl::list<std::string> inputs("input",
                                    cl::desc("A .npy file per argument, in order"),
                                    cl::cat(category));
static cl::opt<std::string>
    outputDir("output-dir",
              cl::desc("Directory for out0.npy, out1.npy, ... (created)"),
              cl::cat(category));
static cl::opt<unsigned> repeat(
    "repeat", cl::desc("Call the function N times and print the median time"),
    cl::init(0), cl::cat(category));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "quant-run") << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "quant-run: execute MLIR functions on .npy data\n");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<qnt::QntDialect>();
  quantopt::registerQuantizableLayerModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  MLIRContext context(registry);

  std::string error;
  auto file = openInputFile(inputFile, &error);
  if (!file)
    return fail(error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return fail("cannot parse '" + inputFile + "'");

  quantopt::runtime::RunOptions options;
  options.entry = entry;
  options.inputPaths.assign(inputs.begin(), inputs.end());
  options.outputDir = outputDir;
  options.repeat = repeat;
  quantopt::runtime::Timing timing;
  auto results = quantopt::runtime::runEntry(*module, options, &timing);
  if (!results)
    return fail(llvm::toString(results.takeError()));
  if (repeat > 0)
    llvm::outs() << llvm::formatv(
        "@{0}: median {1:f5} ms over {2} calls (min {3:f5} ms, max {4:f5} ms)\n",
        std::string(entry), timing.medianMs, timing.calls, timing.minMs, timing.maxMs);
  if (!outputDir.empty())
    if (llvm::Error err = quantopt::runtime::writeResults(outputDir, *results))
      return fail(llvm::toString(std::move(err)));
  return 0;
}
