//===- quant-stats.cpp - Merge and inspect calibration statistics ---------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
//   quant-stats merge a.json b.json [c.json ...] -o merged.json
//   quant-stats ranges stats.json [--percentile P] [--act-storage u8]
//               [--act-scheme asymmetric] [--json]
//
// `merge` combines the stats files of separate calibration runs (shards of a
// data set, in order) into the file one run over all the data would give:
// min/max exactly, histograms exactly (docs/Calibration.md), moving averages
// up to float rounding. `ranges` prints the range every calibration method
// picks for every observed activation. See docs/Calibration.md.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Calibration/StatsFile.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace quantopt;
namespace cal = quantopt::calibration;
namespace num = quantopt::numerics;
namespace cl = llvm::cl;

static cl::OptionCategory category("quant-stats options");
static cl::opt<std::string> command(cl::Positional, cl::Required,
                                    cl::desc("<merge|ranges>"),
                                    cl::cat(category));
static cl::list<std::string> files(cl::Positional, cl::OneOrMore,
                                   cl::desc("<stats.json>..."),
                                   cl::cat(category));
static cl::opt<std::string> output("o", cl::desc("Output file (merge)"),
                                   cl::value_desc("file"), cl::cat(category));
static cl::opt<double> percentile(
    "percentile", cl::desc("Percentile for the percentile method"),
    cl::init(99.99), cl::cat(category));
static cl::opt<std::string> actStorage(
    "act-storage", cl::desc("Activation storage the ranges are for"),
    cl::init("u8"), cl::cat(category));
static cl::opt<std::string> actScheme(
    "act-scheme", cl::desc("asymmetric (default) or symmetric"),
    cl::init("asymmetric"), cl::cat(category));
static cl::opt<bool> asJSON("json", cl::desc("Print ranges as JSON"),
                            cl::cat(category));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "quant-stats") << message << "\n";
  return 1;
}

static int merge() {
  if (output.empty())
    return fail("merge needs -o FILE");
  if (files.size() < 2)
    return fail("merge needs at least two stats files");
  auto merged = cal::StatsFile::load(files[0]);
  if (!merged)
    return fail(llvm::toString(merged.takeError()));
  for (const std::string &path : llvm::drop_begin(files)) {
    auto next = cal::StatsFile::load(path);
    if (!next)
      return fail(llvm::toString(next.takeError()));
    if (llvm::Error err = merged->merge(*next))
      return fail("'" + path + "': " + llvm::toString(std::move(err)));
  }
  if (llvm::Error err = merged->save(output))
    return fail(llvm::toString(std::move(err)));
  return 0;
}

static int ranges() {
  if (files.size() != 1)
    return fail("ranges takes one stats file");
  auto stats = cal::StatsFile::load(files[0]);
  if (!stats)
    return fail(llvm::toString(stats.takeError()));
  auto storage = num::parseStorageName(actStorage);
  auto scheme = num::parseSchemeName(actScheme);
  if (!storage || num::isFloatStorage(*storage) ||
      *storage == num::StorageKind::I32)
    return fail("--act-storage must be an integer type of 2 to 16 bits");
  if (!scheme || *scheme == num::Scheme::Minval)
    return fail("--act-scheme must be asymmetric or symmetric");
  cal::EstimateOptions options;
  options.storage = *storage;
  options.scheme = *scheme;
  options.narrowRange = *scheme == num::Scheme::Symmetric;
  options.percentile = percentile;
  const cal::Method methods[] = {cal::Method::MinMax, cal::Method::MovingAverage,
                                 cal::Method::Percentile, cal::Method::Mse,
                                 cal::Method::Entropy};
  llvm::json::Object all;
  if (!asJSON)
    llvm::outs() << llvm::formatv("{0,-24} {1,-15} {2,14} {3,14}\n", "activation",
                                  "method", "min", "max");
  for (const auto &[id, observed] : stats->activations) {
    llvm::json::Object perMethod;
    for (cal::Method method : methods) {
      if (method != cal::Method::MinMax && !stats->hasFullStatistics())
        continue;
      options.method = method;
      auto range = cal::estimateRange(observed, options);
      if (!range)
        return fail("'" + id + "': " + llvm::toString(range.takeError()));
      if (asJSON)
        perMethod[cal::getMethodName(method)] =
            llvm::json::Array{range->min, range->max};
      else
        llvm::outs() << llvm::formatv("{0,-24} {1,-15} {2,14:e6} {3,14:e6}\n", id,
                                      cal::getMethodName(method), range->min,
                                      range->max);
    }
    all[id] = std::move(perMethod);
  }
  if (asJSON)
    llvm::outs() << llvm::formatv(
        "{0:2}\n", llvm::json::Value(llvm::json::Object{
                       {"version", 1},
                       {"percentile", percentile.getValue()},
                       {"ranges", std::move(all)}}));
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "quant-stats: merge and inspect calibration statistics\n\n"
      "  quant-stats merge a.json b.json ... -o merged.json\n"
      "  quant-stats ranges stats.json [--json]\n");
  if (command == "merge")
    return merge();
  if (command == "ranges")
    return ranges();
  return fail("unknown command '" + command + "' (expected merge or ranges)");
}
