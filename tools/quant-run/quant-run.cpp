//===- quant-run.cpp - Execute a (q)MLIR function on .npy data ------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
//   quant-run FILE.mlir --entry NAME --input a.npy [--input b.npy ...]
//             [--output-dir DIR] [--repeat N]
//   quant-run FILE.mlir --entry NAME --calibrate --data x.npy ... --stats S
//             [--quantize-output Q.mlir [--quantize-options "..."]]
//   quant-run FILE.mlir --entry NAME --dump-observed DIR --data x.npy ...
//
// Lowers FILE with --qnt-lower-to-llvm unless it is already in the LLVM
// dialect, JIT-compiles it, calls NAME and writes DIR/out0.npy, ... Nothing
// is written when any step fails. See docs/Tools.md and
// docs/Calibration.md.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Support/SourceNesting.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Pipelines/Pipelines.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"
#include "QuantOpt/Runtime/Calibrate.h"
#include "QuantOpt/Runtime/Runner.h"
#include "QuantOpt/Support/OutputFile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Process.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
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
static cl::opt<std::string> nonFinite(
    "non-finite",
    cl::desc("NaN and infinities in float inputs and results: warn (default: "
             "count them on stderr), error (refuse such inputs before the "
             "run, and such results: nothing is written) or ignore"),
    cl::init("warn"), cl::cat(category));
static cl::opt<unsigned> repeat(
    "repeat", cl::desc("Call the function N times and print the median time"),
    cl::init(0), cl::cat(category));

static cl::OptionCategory calibrationCategory("calibration options");
static cl::opt<bool> calibrateMode(
    "calibrate",
    cl::desc("Run the model over --data and write activation statistics to "
             "--stats (observers are inserted first if the model has none)"),
    cl::cat(calibrationCategory));
static cl::list<std::string> dataFiles(
    "data",
    cl::desc("A .npy data set per model input, samples along the leading axis"),
    cl::cat(calibrationCategory));
// `--stats` is also LLVM's statistics flag: main() retires that one and
// creates this option afterwards (getStatsFile).
static cl::opt<std::string> &getStatsFile() {
  static cl::opt<std::string> option(
      "stats", cl::desc("Statistics file to write (docs/Calibration.md)"),
      cl::cat(calibrationCategory));
  return option;
}
static cl::opt<int64_t> batchSize(
    "batch-size",
    cl::desc("Samples per call when the batch dimension is dynamic"),
    cl::init(32), cl::cat(calibrationCategory));
static cl::opt<unsigned> threads(
    "jobs", cl::desc("Calibration threads (0: up to two)"), cl::init(0),
    cl::cat(calibrationCategory));
static cl::opt<unsigned> histogramBins(
    "histogram-bins", cl::desc("Bins of each streaming histogram"),
    cl::init(quantopt::calibration::kDefaultHistogramBins),
    cl::cat(calibrationCategory));
static cl::opt<bool> torchHistogram(
    "torch-histogram",
    cl::desc("Also run torch.ao's HistogramObserver (python3-torch 1.13's, "
             "bit for bit) on every activation, for --qnt-quantize "
             "calibration=torch-histogram; it takes the batches in order, so "
             "calibration runs on one thread"),
    cl::cat(calibrationCategory));
static cl::opt<bool> batchExtremes(
    "batch-extremes",
    cl::desc("Keep every batch's min and max in the statistics (a few bytes "
             "per batch): ONNX Runtime's moving-average calibration, "
             "--qnt-quantize calibration=moving-average profile=onnxruntime, "
             "averages them"),
    cl::cat(calibrationCategory));
static cl::opt<bool> ortHistogram(
    "ort-histogram",
    cl::desc("Also bin every activation as ONNX Runtime's histogram "
             "calibrators do (numpy.histogram over all the batches, a second "
             "pass over the data), for --qnt-quantize calibration=percentile "
             "or entropy with profile=onnxruntime"),
    cl::cat(calibrationCategory));
static cl::list<unsigned> ortHistogramBins(
    "ort-histogram-bins",
    cl::desc("With --ort-histogram: the bin counts to keep, comma-separated "
             "(default 2048,128: ONNX Runtime's percentile and entropy "
             "defaults)"),
    cl::CommaSeparated, cl::cat(calibrationCategory));
static cl::opt<bool> noProgress(
    "no-progress", cl::desc("Never draw the progress bar (it is drawn when "
                            "stderr is a terminal)"),
    cl::cat(calibrationCategory));
static cl::opt<std::string> quantizeOutput(
    "quantize-output",
    cl::desc("With --calibrate: also quantize the model with the statistics "
             "(--qnt-quantize activations=static) and write it here"),
    cl::cat(calibrationCategory));
static cl::opt<std::string> quantizeOptions(
    "quantize-options",
    cl::desc("More --qnt-quantize options for --quantize-output, e.g. "
             "\"calibration=entropy weights=i8\""),
    cl::cat(calibrationCategory));
static cl::opt<std::string> dumpDir(
    "dump-observed",
    cl::desc("Write what each observer sees on the first --max-samples "
             "samples of --data to DIR/<id>.npy (and outputs, observers.json)"),
    cl::cat(calibrationCategory));
static cl::list<int64_t> dataAxes(
    "data-axis",
    cl::desc("The sample axis of each --data file, in order (default 0), "
             "e.g. --data-axis=0,1 for an input [N, T] and a state [2, N, H]"),
    cl::CommaSeparated, cl::cat(calibrationCategory));
static cl::list<int64_t> outputAxes(
    "output-axis",
    cl::desc("With --dump-observed: the sample axis of each result, in order "
             "(default 0), where the calls' results are joined"),
    cl::CommaSeparated, cl::cat(calibrationCategory));
static cl::opt<int64_t> maxSamples("max-samples",
                                   cl::desc("Samples for --dump-observed"),
                                   cl::init(256), cl::cat(calibrationCategory));

static cl::opt<std::string> pipeline(
    "pipeline",
    cl::desc("How a module not yet in the LLVM dialect is compiled: "
             "reference (--qnt-lower-to-llvm, the default for a plain run) "
             "or codegen (--qnt-codegen, the kernels; the default for "
             "--calibrate and --dump-observed)"),
    cl::value_desc("reference|codegen"), cl::cat(category));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "quant-run") << message << "\n";
  return 1;
}

static bool hasObservers(ModuleOp module) {
  bool found = false;
  module.walk([&](qnt::ObserveOp) { found = true; });
  return found || module->hasAttr(qnt::QntDialect::kObserversAttrName);
}

/// Whether the entry is in the LLVM dialect already.
static bool isLowered(ModuleOp module) {
  Operation *op = module.lookupSymbol(entry);
  return op && !isa<func::FuncOp>(op);
}

/// Compiles `module` with --qnt-codegen when --pipeline (or, without it,
/// `defaultPipeline`) says codegen; the reference lowering is Session's.
static int lowerForPipeline(ModuleOp module, llvm::StringRef defaultPipeline) {
  std::string chosen =
      pipeline.getNumOccurrences() ? pipeline.getValue() : defaultPipeline.str();
  if (chosen != "reference" && chosen != "codegen")
    return fail("--pipeline must be reference or codegen, not '" + chosen +
                "'");
  if (chosen == "reference")
    return 0;
  if (isLowered(module))
    return 0;
  PassManager pm(module.getContext());
  if (failed(quantopt::buildCodegenPipeline(pm)) || failed(pm.run(module)))
    return fail("compiling with --qnt-codegen failed (see the diagnostics "
                "above)");
  return 0;
}

/// --calibrate (and --quantize-output) and --dump-observed.
static int runCalibration(ModuleOp module, MLIRContext &context) {
  const std::string statsFile = getStatsFile();
  if (calibrateMode && !dumpDir.empty())
    return fail("--calibrate and --dump-observed are separate runs");
  if (dataFiles.empty())
    return fail("--calibrate and --dump-observed need --data FILE.npy (one per "
                "model input)");
  if (!inputs.empty())
    return fail("calibration reads --data, not --input");
  if (calibrateMode && statsFile.empty() && quantizeOutput.empty())
    return fail("--calibrate needs --stats FILE (or --quantize-output)");
  if (histogramBins < 2 || histogramBins > 65536)
    return fail("--histogram-bins must be between 2 and 65536");

  // The model to instrument, and the float model to quantize afterwards.
  OwningOpRef<ModuleOp> original;
  if (!quantizeOutput.empty())
    original = module.clone();
  std::string fingerprint;
  if (auto attr = module->getAttrOfType<StringAttr>(
              qnt::QntDialect::kModelFingerprintAttrName))
    fingerprint = attr.str();
  if (!quantizeOutput.empty() && hasObservers(module))
    return fail("--quantize-output needs the float model; this one already "
                "has observers (calibrate it with --stats, then run "
                "--qnt-quantize on the float model)");
  if (!hasObservers(module)) {
    if (!dumpDir.empty())
      return fail("the model has no qnt.observe ops: instrument it with "
                  "quant-opt --qnt-insert-observers");
    llvm::errs() << "quant-run: the model has no observers; inserting them "
                    "(--qnt-insert-observers)\n";
    PassManager pm(module.getContext());
    pm.addPass(quantopt::createQntInsertObservers());
    if (failed(pm.run(module)))
      return fail("cannot insert observers");
    fingerprint = module->getAttrOfType<StringAttr>(
              qnt::QntDialect::kModelFingerprintAttrName).str();
  }
  if (fingerprint.empty())
    fingerprint = quantopt::computeModelFingerprint(module);

  if (!outputAxes.empty() && dumpDir.empty())
    return fail("--output-axis is for --dump-observed");
  auto data = quantopt::runtime::DataSet::load(
      std::vector<std::string>(dataFiles.begin(), dataFiles.end()),
      std::vector<int64_t>(dataAxes.begin(), dataAxes.end()));
  if (!data)
    return fail(llvm::toString(data.takeError()));
  bool alreadyLowered = isLowered(module);
  if (int rc = lowerForPipeline(module, "codegen"))
    return rc;
  bool usedCodegen = !alreadyLowered && isLowered(module);
  auto session = quantopt::runtime::Session::create(module, entry);
  if (!session)
    return fail(llvm::toString(session.takeError()));
  quantopt::runtime::CalibrateOptions options;
  options.batchSize = batchSize;
  options.threads = threads;
  options.histogramBins = histogramBins;
  options.torchHistogram = torchHistogram;
  options.batchExtremes = batchExtremes;
  if (!ortHistogramBins.empty() && !ortHistogram)
    return fail("--ort-histogram-bins needs --ort-histogram");
  if (ortHistogram) {
    options.ortHistogramBins.assign(ortHistogramBins.begin(),
                                    ortHistogramBins.end());
    if (options.ortHistogramBins.empty())
      options.ortHistogramBins = {quantopt::calibration::kOrtPercentileBins,
                                  quantopt::calibration::kOrtEntropyBins};
    llvm::sort(options.ortHistogramBins);
    options.ortHistogramBins.erase(llvm::unique(options.ortHistogramBins),
                                   options.ortHistogramBins.end());
    for (unsigned bins : options.ortHistogramBins)
      if (bins < 1 || bins > (1u << 16))
        return fail("--ort-histogram-bins: each bin count must be in [1, "
                    "65536]");
  }
  if (torchHistogram && threads != 1 && calibrateMode)
    llvm::errs() << "quant-run: note: --torch-histogram observes the batches "
                    "in order: calibrating on one thread\n";
  options.maxSamples = maxSamples;
  options.outputAxes.assign(outputAxes.begin(), outputAxes.end());
  options.progress = !noProgress && llvm::sys::Process::StandardErrIsDisplayed();

  if (!dumpDir.empty()) {
    if (llvm::Error err = quantopt::runtime::dumpObserved(**session, *data,
                                                          options, dumpDir))
      return fail(llvm::toString(std::move(err)));
    return 0;
  }

  auto stats =
      quantopt::runtime::calibrate(**session, *data, options, fingerprint);
  if (!stats)
    return fail(llvm::toString(stats.takeError()));
  llvm::errs() << llvm::formatv(
      "quant-run: {0} observer(s) over {1} sample(s){2} ({3})\n",
      stats->activations.size(), data->samples,
      statsFile.empty() ? std::string() : " -> " + statsFile,
      alreadyLowered ? "compiled before"
      : usedCodegen  ? "--qnt-codegen"
                     : "--qnt-lower-to-llvm");

  // One shot: quantize with the statistics (handed to the pass in memory),
  // and write nothing unless that works too.
  if (!quantizeOutput.empty()) {
    PassManager pm(original->getContext());
    if (failed(quantopt::buildQntQuantizePipeline(
            pm, "activations=static " + quantizeOptions,
            [](const llvm::Twine &msg) {
              llvm::WithColor::error(llvm::errs(), "quant-run")
                  << "--quantize-options: " << msg << "\n";
              return failure();
            },
            std::make_shared<const quantopt::calibration::StatsFile>(*stats))))
      return fail("bad --quantize-options '" + quantizeOptions + "'");
    if (failed(pm.run(*original)))
      return fail("quantization failed (see the diagnostics above)");
    std::string quantizedText;
    llvm::raw_string_ostream os(quantizedText);
    original->print(os, OpPrintingFlags().enableDebugInfo());
    os << "\n";
    // Both files or neither: the quantized module is staged first (a
    // directory that does not exist fails here, before anything is
    // written), then the statistics are saved, then the module moved in.
    std::string target = quantopt::resolveOutputPath(quantizeOutput);
    if (quantopt::isInPlaceOutput(target)) {
      // A device or pipe: written in place, after the statistics.
      if (!statsFile.empty())
        if (llvm::Error err = stats->save(statsFile))
          return fail(llvm::toString(std::move(err)));
      if (llvm::Error err = quantopt::writeInPlace(target, quantizedText))
        return fail("cannot write '" + quantizeOutput +
                    "': " + llvm::toString(std::move(err)));
      return 0;
    }
    auto staged = llvm::sys::fs::TempFile::create(target + ".tmp-%%%%%%%%");
    if (!staged)
      return fail("cannot write '" + quantizeOutput +
                  "': " + llvm::toString(staged.takeError()));
    {
      llvm::raw_fd_ostream out(staged->FD, /*shouldClose=*/false);
      out << quantizedText;
      out.flush();
      if (out.has_error()) {
        std::string why = out.error().message();
        out.clear_error();
        llvm::consumeError(staged->discard());
        return fail("cannot write '" + quantizeOutput + "': " + why);
      }
    }
    if (!statsFile.empty())
      if (llvm::Error err = stats->save(statsFile)) {
        llvm::consumeError(staged->discard());
        return fail(llvm::toString(std::move(err)));
      }
    if (llvm::Error err = staged->keep(target)) {
      if (!statsFile.empty())
        (void)llvm::sys::fs::remove(statsFile);
      return fail("cannot write '" + quantizeOutput +
                  "': " + llvm::toString(std::move(err)));
    }
    return 0;
  }
  if (llvm::Error err = stats->save(statsFile))
    return fail(llvm::toString(std::move(err)));
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  {
    auto &registered = cl::getRegisteredOptions();
    auto it = registered.find("stats");
    if (it != registered.end())
      it->second->removeArgument();
    (void)getStatsFile();
  }
  cl::HideUnrelatedOptions({&category, &calibrationCategory});
  cl::ParseCommandLineOptions(argc, argv,
                              "quant-run: execute MLIR functions on .npy data\n");

  DialectRegistry registry;
  quantopt::runtime::registerRunnerDialects(registry);
  MLIRContext context(registry);
  quantopt::registerQuantOptPasses();

  std::string error;
  auto file = openInputFile(inputFile, &error);
  if (!file)
    return fail(error);
  if (llvm::Error err =
          quantopt::checkSourceNesting(file->getBuffer(), inputFile)) {
    llvm::errs() << llvm::toString(std::move(err)) << "\n";
    return fail("cannot parse '" + inputFile + "'");
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return fail("cannot parse '" + inputFile + "'");

  if (calibrateMode || !dumpDir.empty())
    return runCalibration(*module, context);
  if (!quantizeOutput.empty())
    return fail("--quantize-output needs --calibrate");
  if (!dataFiles.empty() || !dataAxes.empty())
    return fail("--data and --data-axis are for --calibrate and "
                "--dump-observed; a plain run reads --input");

  if (nonFinite != "warn" && nonFinite != "error" && nonFinite != "ignore")
    return fail("unknown --non-finite='" + nonFinite +
                "' (expected warn, error or ignore)");
  // What a non-finite value becomes depends on the model: a float model
  // propagates NaN; a quantized one maps NaN to the zero point and
  // infinities to the ends of the range unless it was quantized with
  // non-finite=propagate (docs/Numerics.md). Counted here, so that a run on
  // such data does not pass unnoticed.
  auto describe = [](const quantopt::runtime::NonFiniteCount &c,
                     int64_t total) {
    return llvm::formatv("{0} NaN, {1} +Inf and {2} -Inf of {3} values", c.nan,
                         c.posInf, c.negInf, total)
        .str();
  };
  if (int rc = lowerForPipeline(*module, "reference"))
    return rc;
  quantopt::runtime::RunOptions options;
  options.entry = entry;
  options.inputPaths.assign(inputs.begin(), inputs.end());
  options.outputDir = outputDir;
  options.repeat = repeat;
  if (nonFinite != "ignore")
    options.checkInput = [&](size_t i, const quantopt::runtime::NpyArray &array)
        -> llvm::Error {
      quantopt::runtime::NonFiniteCount c =
          quantopt::runtime::countNonFinite(array);
      if (c.total() == 0)
        return llvm::Error::success();
      std::string what =
          llvm::formatv("input {0} ('{1}') holds {2}", i, inputs[i],
                        describe(c, array.numElements()));
      if (nonFinite == "error")
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       what + " (--non-finite=error)");
      llvm::WithColor::warning(llvm::errs(), "quant-run") << what << "\n";
      return llvm::Error::success();
    };
  quantopt::runtime::Timing timing;
  auto results = quantopt::runtime::runEntry(*module, options, &timing);
  if (!results)
    return fail(llvm::toString(results.takeError()));
  if (repeat > 0)
    llvm::outs() << llvm::formatv(
        "@{0}: median {1:f5} ms over {2} calls (min {3:f5} ms, max {4:f5} ms)\n",
        std::string(entry), timing.medianMs, timing.calls, timing.minMs, timing.maxMs);
  if (nonFinite != "ignore") {
    for (auto [i, array] : llvm::enumerate(*results)) {
      quantopt::runtime::NonFiniteCount c =
          quantopt::runtime::countNonFinite(array);
      if (c.total() == 0)
        continue;
      std::string what = llvm::formatv("result {0} holds {1}", i,
                                       describe(c, array.numElements()));
      if (nonFinite == "error")
        return fail(what + " (--non-finite=error; nothing written)");
      llvm::WithColor::warning(llvm::errs(), "quant-run") << what << "\n";
    }
  }
  if (!outputDir.empty())
    if (llvm::Error err = quantopt::runtime::writeResults(outputDir, *results))
      return fail(llvm::toString(std::move(err)));
  return 0;
}
