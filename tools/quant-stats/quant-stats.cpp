//===- quant-stats.cpp - Merge and inspect calibration statistics ---------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
//   quant-stats merge a.json b.json [c.json ...] -o merged.json
//   quant-stats ranges stats.json [--percentile P] [--act-storage u8]
//               [--act-scheme asymmetric] [--json]
//   quant-stats params stats.json [--calibration M] [--per-channel]
//               [--profile P] [--act-storage u8] [--act-scheme asymmetric]
//               [--reduce-range]
//   quant-stats moments stats.json [-o DIR]
//
// `merge` combines the stats files of separate calibration runs (shards of a
// data set, in order) into the file one run over all the data would give:
// min/max exactly, histograms exactly (docs/Calibration.md), moving averages
// up to float rounding. `ranges` prints the range every calibration method
// picks for every observed activation; `params` the scales and zero points
// one method and profile give them, per tensor or per channel. `moments` lists
// the per-channel moments a `moments=...` calibration kept and, with -o, writes
// them as .npy files (docs/Algorithms.md). See docs/Calibration.md.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Calibration/StatsFile.h"
#include "QuantOpt/Runtime/Npy.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace quantopt;
namespace cal = quantopt::calibration;
namespace num = quantopt::numerics;
namespace cl = llvm::cl;

static cl::OptionCategory category("quant-stats options");
static cl::opt<std::string> command(cl::Positional, cl::Required,
                                    cl::desc("<merge|ranges|params|moments>"),
                                    cl::cat(category));
static cl::list<std::string> files(cl::Positional, cl::OneOrMore,
                                   cl::desc("<stats.json>..."),
                                   cl::cat(category));
static cl::opt<std::string> output("o", cl::desc("Output file (merge) or "
                                                 "directory (moments)"),
                                   cl::value_desc("file"), cl::cat(category));
static cl::opt<double> percentile(
    "percentile", cl::desc("Percentile for the percentile method"),
    cl::init(99.99), cl::cat(category));
static cl::opt<unsigned>
    ortBins("ort-bins",
            cl::desc("With --profile onnxruntime: the bins of ONNX Runtime's "
                     "histogram that percentile and entropy read (0: 2048 for "
                     "percentile, 128 for entropy)"),
            cl::init(0), cl::cat(category));
static cl::opt<bool> ortSymmetricPercentile(
    "ort-symmetric-percentile",
    cl::desc("With --profile onnxruntime and --calibration percentile: ONNX "
             "Runtime's symmetric percentile of |x| (default), or with =false "
             "the two-sided percentiles of x"),
    cl::init(true), cl::cat(category));
static cl::opt<std::string> actStorage(
    "act-storage", cl::desc("Activation storage the ranges are for"),
    cl::init("u8"), cl::cat(category));
static cl::opt<std::string> actScheme(
    "act-scheme", cl::desc("asymmetric (default) or symmetric"),
    cl::init("asymmetric"), cl::cat(category));
static cl::opt<bool> asJSON("json", cl::desc("Print ranges as JSON"),
                            cl::cat(category));
static cl::opt<std::string> calibrationMethod(
    "calibration",
    cl::desc("params: the range estimator (minmax, moving-average, "
             "percentile, mse, entropy, torch-histogram; per channel: minmax "
             "or moving-average)"),
    cl::init("minmax"), cl::cat(category));
static cl::opt<bool> perChannel(
    "per-channel",
    cl::desc("params: one scale and zero point per channel of the observer's "
             "channel axis (torch.ao's PerChannelMinMaxObserver and "
             "MovingAveragePerChannelMinMaxObserver)"),
    cl::init(false), cl::cat(category));
static cl::opt<std::string> profile(
    "profile",
    cl::desc("params: whose formulas (quantopt, torch, onnxruntime, tflite)"),
    cl::init("quantopt"), cl::cat(category));
static cl::opt<bool> reduceRange(
    "reduce-range",
    cl::desc("params: one bit fewer than the storage (torch's reduce_range)"),
    cl::init(false), cl::cat(category));

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
  // Activations whose ONNX Runtime histograms some input held.
  llvm::StringSet<> withOrt;
  auto noteOrt = [&](const cal::StatsFile &file) {
    for (const auto &[id, stats] : file.activations)
      if (!stats.ortHistograms.empty())
        withOrt.insert(id);
  };
  noteOrt(*merged);
  for (const std::string &path : llvm::drop_begin(files)) {
    auto next = cal::StatsFile::load(path);
    if (!next)
      return fail(llvm::toString(next.takeError()));
    noteOrt(*next);
    if (llvm::Error err = merged->merge(*next))
      return fail("'" + path + "': " + llvm::toString(std::move(err)));
  }
  // Their bins depend on each run's extremes, so they do not merge: say so.
  for (const auto &[id, stats] : merged->activations)
    if (withOrt.contains(id) && stats.ortHistograms.empty())
      llvm::errs() << "quant-stats: note: '" << id
                   << "': ONNX Runtime's histograms dropped (their bins "
                      "depend on each run's extremes; calibrate in one run "
                      "with --ort-histogram)\n";
  if (llvm::Error err = merged->save(output))
    return fail(llvm::toString(std::move(err)));
  return 0;
}

/// The activation storage and scheme of --act-storage and --act-scheme.
static llvm::Error parseActivationOptions(cal::EstimateOptions &options) {
  auto storage = num::parseStorageName(actStorage);
  auto scheme = num::parseSchemeName(actScheme);
  if (!storage || num::isFloatStorage(*storage) ||
      *storage == num::StorageKind::I32)
    return llvm::createStringError(
        "--act-storage must be an integer type of 2 to 16 bits");
  if (!scheme || *scheme == num::Scheme::Minval || *scheme == num::Scheme::Mx ||
      *scheme == num::Scheme::NvFp4)
    return llvm::createStringError(
        "--act-scheme must be asymmetric or symmetric");
  options.storage = *storage;
  options.scheme = *scheme;
  options.narrowRange = *scheme == num::Scheme::Symmetric;
  options.percentile = percentile;
  options.ortBins = ortBins;
  options.ortSymmetricPercentile = ortSymmetricPercentile;
  return llvm::Error::success();
}

static int ranges() {
  if (files.size() != 1)
    return fail("ranges takes one stats file");
  auto stats = cal::StatsFile::load(files[0]);
  if (!stats)
    return fail(llvm::toString(stats.takeError()));
  cal::EstimateOptions options;
  if (llvm::Error err = parseActivationOptions(options))
    return fail(llvm::toString(std::move(err)));
  const cal::Method methods[] = {
      cal::Method::MinMax,     cal::Method::MovingAverage,
      cal::Method::Percentile, cal::Method::Mse,
      cal::Method::Entropy,    cal::Method::TorchHistogram};
  llvm::json::Object all;
  if (!asJSON)
    llvm::outs() << llvm::formatv("{0,-24} {1,-15} {2,14} {3,14}\n", "activation",
                                  "method", "min", "max");
  for (const auto &[id, observed] : stats->activations) {
    llvm::json::Object perMethod;
    for (cal::Method method : methods) {
      if (method != cal::Method::MinMax && !stats->hasFullStatistics())
        continue;
      if (method == cal::Method::TorchHistogram &&
          (!observed.torchHistogram || !observed.torchHistogramError.empty()))
        continue; // calibrated without --torch-histogram, or it stopped
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

/// Prints, as JSON, the scale and zero point (per tensor, or per channel)
/// of every observed activation under one estimator and profile: the
/// numbers --qnt-quantize gives static activations (per tensor), or those of
/// torch.ao's per-channel observers' calculate_qparams (per channel).
static int params() {
  if (files.size() != 1)
    return fail("params takes one stats file");
  auto stats = cal::StatsFile::load(files[0]);
  if (!stats)
    return fail(llvm::toString(stats.takeError()));
  std::optional<cal::Method> method = cal::parseMethodName(calibrationMethod);
  if (!method)
    return fail("unknown --calibration '" + calibrationMethod +
                "' (expected minmax, moving-average, percentile, mse, entropy "
                "or torch-histogram)");
  std::optional<num::Profile> parsedProfile = num::parseProfileName(profile);
  if (!parsedProfile)
    return fail("unknown --profile '" + profile +
                "' (expected quantopt, torch, onnxruntime or tflite)");
  cal::EstimateOptions options;
  if (llvm::Error err = parseActivationOptions(options))
    return fail(llvm::toString(std::move(err)));
  if (reduceRange && num::getStorageBitWidth(options.storage) < 3)
    return fail("--reduce-range needs integer storage of 3 bits or more");
  // The activation parameters' solver, as --qnt-quantize sets it up.
  num::SolverOptions solver;
  solver.storage = options.storage;
  solver.scheme = options.scheme;
  solver.profile = *parsedProfile;
  solver.reduceRange = reduceRange;
  solver.setDefaults();
  options.method = *method;
  options.narrowRange = solver.narrowRange;
  options.profile = solver.profile;
  options.reduceRange = solver.reduceRange;
  if (*method != cal::Method::MinMax && !stats->hasFullStatistics())
    return fail("'" + files[0] +
                "' holds min/max only (a version 1 file): "
                "only --calibration=minmax applies");

  llvm::json::Object all;
  for (const auto &[id, observed] : stats->activations) {
    std::vector<cal::Range> ranges;
    if (perChannel) {
      auto channels = cal::estimateChannelRanges(observed, *method);
      if (!channels)
        return fail("'" + id + "': " + llvm::toString(channels.takeError()));
      ranges = std::move(*channels);
    } else {
      auto range = cal::estimateRange(observed, options);
      if (!range)
        return fail("'" + id + "': " + llvm::toString(range.takeError()));
      ranges.push_back(*range);
    }
    llvm::json::Array scales, zeroPoints;
    for (const cal::Range &range : ranges) {
      auto solved = num::solveFromRange(range.min, range.max, solver);
      if (!solved)
        return fail("'" + id + "': " + llvm::toString(solved.takeError()));
      scales.push_back(static_cast<double>(solved->scale));
      zeroPoints.push_back(solved->zeroPoint);
    }
    llvm::json::Object entry{{"scales", std::move(scales)},
                             {"zero_points", std::move(zeroPoints)}};
    if (perChannel)
      entry["axis"] = observed.channelAxis;
    all[id] = std::move(entry);
  }
  num::IntRange q = solver.getIntRange();
  llvm::outs() << llvm::formatv(
      "{0:2}\n", llvm::json::Value(llvm::json::Object{
                     {"version", 1},
                     {"calibration", cal::getMethodName(*method)},
                     {"profile", profile.getValue()},
                     {"storage", actStorage.getValue()},
                     {"scheme", actScheme.getValue()},
                     {"qmin", q.qmin},
                     {"qmax", q.qmax},
                     {"params", std::move(all)}}));
  return 0;
}

template <typename T>
static quantopt::runtime::NpyArray makeArray(quantopt::runtime::DType dtype,
                                             std::vector<int64_t> shape,
                                             const std::vector<T> &values) {
  quantopt::runtime::NpyArray array;
  array.dtype = dtype;
  array.shape = std::move(shape);
  array.data.resize(values.size() * sizeof(T));
  std::memcpy(array.data.data(), values.data(), array.data.size());
  return array;
}

/// Lists the moments; with -o, writes each layer's as .npy files and an
/// index, moments.json (the index last, so that a directory with an index
/// is complete).
static int moments() {
  namespace rt = quantopt::runtime;
  if (files.size() != 1)
    return fail("moments takes one stats file");
  auto stats = cal::StatsFile::load(files[0]);
  if (!stats)
    return fail(llvm::toString(stats.takeError()));
  if (!stats->hasMoments())
    return fail("'" + files[0] + "' has no moments: calibrate a model "
                "instrumented with --qnt-insert-observers=\"moments=channels\" "
                "or \"moments=hessian\"");
  if (!output.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(output))
      return fail("cannot create '" + output + "': " + ec.message());
  llvm::json::Object layers;
  std::vector<std::string> used;
  llvm::outs() << llvm::formatv("{0,-32} {1,-9} {2,9} {3,12} {4,8}\n", "layer",
                                "moments", "channels", "rows", "skipped");
  for (const auto &[id, observed] : stats->activations) {
    if (!observed.moments)
      continue;
    const cal::ChannelMoments &m = *observed.moments;
    llvm::outs() << llvm::formatv("{0,-32} {1,-9} {2,9} {3,12} {4,8}\n", id,
                                  cal::getMomentsName(m.kind), m.channels,
                                  m.rows, m.skippedRows);
    llvm::json::Object entry{{"kind", cal::getMomentsName(m.kind)},
                             {"channels", m.channels},
                             {"rows", static_cast<int64_t>(m.rows)},
                             {"skipped_rows", static_cast<int64_t>(m.skippedRows)}};
    if (!output.empty()) {
      std::vector<std::pair<std::string, rt::NpyArray>> arrays;
      arrays.emplace_back("abs_max",
                          makeArray(rt::DType::F32, {m.channels}, m.absMax));
      arrays.emplace_back("mean_abs",
                          makeArray(rt::DType::F64, {m.channels}, m.getMeanAbs()));
      arrays.emplace_back("mean",
                          makeArray(rt::DType::F64, {m.channels}, m.getMean()));
      if (m.kind == cal::MomentsKind::Hessian)
        arrays.emplace_back("xtx", makeArray(rt::DType::F64,
                                             {m.channels, m.channels},
                                             m.getGram()));
      llvm::json::Object names;
      for (auto &[what, array] : arrays) {
        std::string name = rt::getUniqueNpyName(id, used, "." + what);
        llvm::SmallString<256> path(output.getValue());
        llvm::sys::path::append(path, name);
        if (llvm::Error err = rt::writeNpy(path, array))
          return fail(llvm::toString(std::move(err)));
        names[what] = name;
      }
      entry["files"] = std::move(names);
    }
    layers[id] = std::move(entry);
  }
  if (output.empty())
    return 0;
  llvm::SmallString<256> index(output.getValue());
  llvm::sys::path::append(index, "moments.json");
  std::error_code ec;
  llvm::raw_fd_ostream os(index, ec);
  if (ec)
    return fail("cannot write '" + index + "': " + ec.message());
  os << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                   {"version", 1},
                                   {"model", stats->model},
                                   {"layers", std::move(layers)}}))
     << "\n";
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "quant-stats: merge and inspect calibration statistics\n\n"
      "  quant-stats merge a.json b.json ... -o merged.json\n"
      "  quant-stats ranges stats.json [--json]\n"
      "  quant-stats params stats.json [--calibration M] [--per-channel] "
      "[--profile P] [--act-storage S] [--act-scheme S] [--reduce-range]\n"
      "  quant-stats moments stats.json [-o DIR]\n");
  if (command == "merge")
    return merge();
  if (command == "ranges")
    return ranges();
  if (command == "params")
    return params();
  if (command == "moments")
    return moments();
  return fail("unknown command '" + command +
              "' (expected merge, ranges, params or moments)");
}
