//===- Calibrate.cpp - Calibration runs over data sets --------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Runtime/Calibrate.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <mutex>

using namespace mlir;
using namespace quantopt;
using namespace quantopt::runtime;
namespace cal = quantopt::calibration;
namespace json = llvm::json;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<DataSet> DataSet::load(llvm::ArrayRef<std::string> paths,
                                      llvm::ArrayRef<int64_t> axes) {
  if (!axes.empty() && axes.size() != paths.size())
    return makeError(llvm::formatv("{0} sample axes for {1} data file(s): give "
                                   "one per file, or none (axis 0)",
                                   axes.size(), paths.size()));
  DataSet set;
  for (auto [i, path] : llvm::enumerate(paths)) {
    auto array = readNpy(path);
    if (!array)
      return array.takeError();
    int64_t axis = axes.empty() ? 0 : axes[i];
    if (array->shape.empty())
      return makeError("'" + path +
                       "' is a scalar; calibration data needs a sample axis");
    if (axis < 0 || axis >= static_cast<int64_t>(array->shape.size()))
      return makeError(llvm::formatv(
          "'{0}' has rank {1}: it has no sample axis {2}", path,
          array->shape.size(), axis));
    int64_t count = array->shape[axis];
    if (!set.arrays.empty() && count != set.samples)
      return makeError(llvm::formatv(
          "'{0}' has {1} samples but '{2}' has {3}: every --data file needs "
          "the same number of samples (along its sample axis)",
          path, count, set.paths.front(), set.samples));
    set.samples = count;
    set.arrays.push_back(std::move(*array));
    set.paths.push_back(path);
    set.axes.push_back(axis);
  }
  if (set.arrays.empty())
    return makeError("no --data files");
  if (set.samples == 0)
    return makeError("the data set has no samples");
  return set;
}

/// The bytes of one row along `axis`, and the number of blocks of rows (the
/// product of the dimensions before it).
static std::pair<size_t, int64_t> getRowLayout(const NpyArray &array,
                                               int64_t axis) {
  size_t rowBytes = getDTypeSize(array.dtype);
  for (size_t d = axis + 1; d < array.shape.size(); ++d)
    rowBytes *= array.shape[d];
  int64_t blocks = 1;
  for (int64_t d = 0; d < axis; ++d)
    blocks *= array.shape[d];
  return {rowBytes, blocks};
}

NpyArray quantopt::runtime::sliceAxis(const NpyArray &array, int64_t axis,
                                      int64_t begin, int64_t end) {
  NpyArray part;
  part.dtype = array.dtype;
  part.shape = array.shape;
  part.shape[axis] = end - begin;
  auto [rowBytes, blocks] = getRowLayout(array, axis);
  size_t blockBytes = rowBytes * array.shape[axis];
  part.data.reserve(rowBytes * (end - begin) * blocks);
  for (int64_t b = 0; b < blocks; ++b) {
    auto first = array.data.begin() + b * blockBytes + begin * rowBytes;
    part.data.insert(part.data.end(), first, first + (end - begin) * rowBytes);
  }
  return part;
}

NpyArray quantopt::runtime::concatenateAxis(llvm::ArrayRef<NpyArray> parts,
                                            int64_t axis) {
  NpyArray all;
  all.dtype = parts.front().dtype;
  all.shape = parts.front().shape;
  all.shape[axis] = 0;
  for (const NpyArray &part : parts)
    all.shape[axis] += part.shape[axis];
  int64_t blocks = getRowLayout(all, axis).second;
  for (int64_t b = 0; b < blocks; ++b)
    for (const NpyArray &part : parts) {
      size_t partBlock = part.data.size() / blocks;
      auto first = part.data.begin() + b * partBlock;
      all.data.insert(all.data.end(), first, first + partBlock);
    }
  return all;
}

std::vector<NpyArray> DataSet::slice(int64_t begin, int64_t end) const {
  std::vector<NpyArray> parts;
  for (auto [array, axis] : llvm::zip_equal(arrays, axes))
    parts.push_back(sliceAxis(array, axis, begin, end));
  return parts;
}

llvm::Expected<int64_t>
quantopt::runtime::getBatchSize(const Session &session, const DataSet &data,
                                const CalibrateOptions &options,
                                int64_t samples) {
  if (samples < 0)
    samples = data.samples;
  FunctionType signature = session.getSignature();
  if (signature.getNumInputs() != data.arrays.size())
    return makeError(llvm::formatv("the model takes {0} input(s), got {1} "
                                   "--data file(s)",
                                   signature.getNumInputs(),
                                   data.arrays.size()));
  int64_t batch = options.batchSize;
  if (batch <= 0)
    return makeError("the batch size must be positive");
  // The first input's extent on its sample axis fixes the batch when static.
  auto first = dyn_cast<RankedTensorType>(signature.getInput(0));
  int64_t axis = data.axes.front();
  if (first && first.getRank() > axis && !first.isDynamicDim(axis)) {
    batch = first.getDimSize(axis);
    if (samples % batch != 0)
      return makeError(llvm::formatv(
          "the model's batch dimension is fixed at {0}, which does not "
          "divide the {1} samples {2}",
          batch, samples,
          samples == data.samples ? "of the data set" : "to run"));
  }
  return std::min(batch, samples);
}

namespace {
/// Statistics of every observer, for the batches of one thread.
struct StatsSink : ObserverSink {
  StatsSink(size_t observers, const CalibrateOptions &options)
      : stats(observers, cal::ObserverStats(options.histogramBins,
                                            options.averagingConstant)) {}
  void observe(int64_t index, int64_t axis, int64_t moments,
               llvm::ArrayRef<float> data,
               llvm::ArrayRef<int64_t> shape) override {
    if (index < 0 || static_cast<size_t>(index) >= stats.size())
      return;
    stats[index].observe(data, shape, axis);
    if (moments == 0 || !error.empty())
      return;
    if (moments != static_cast<int64_t>(cal::MomentsKind::Channels) &&
        moments != static_cast<int64_t>(cal::MomentsKind::Hessian)) {
      error = llvm::formatv("observer #{0} asks for unknown moments {1}",
                            index, moments);
      return;
    }
    if (llvm::Error err = stats[index].observeMoments(
            data, shape, axis, static_cast<cal::MomentsKind>(moments)))
      error = llvm::formatv("observer #{0}: {1}", index,
                            llvm::toString(std::move(err)));
  }
  std::vector<cal::ObserverStats> stats;
  /// The first failure to keep moments (the batch's other statistics stand).
  std::string error;
};

/// ONNX Runtime's histograms of every observer (the second pass of
/// --ort-histogram), on bins fixed by the first pass's extremes.
struct OrtHistogramSink : ObserverSink {
  /// What the first pass found about each observer's finite values.
  struct Extremes {
    uint64_t count;
    float min, max, absMin;
  };
  OrtHistogramSink(llvm::ArrayRef<Extremes> first,
                   llvm::ArrayRef<unsigned> binCounts) {
    for (const Extremes &s : first) {
      std::vector<Observer> perBins;
      if (s.count)
        for (unsigned bins : binCounts)
          perBins.push_back(
              {cal::getOrtValueBins(s.min, s.max, bins),
               cal::getOrtAbsoluteBins(s.min, s.max, s.absMin, bins),
               std::vector<uint64_t>(bins, 0), std::vector<uint64_t>(bins, 0)});
      observers.push_back(std::move(perBins));
    }
  }
  void observe(int64_t index, int64_t, int64_t, llvm::ArrayRef<float> data,
               llvm::ArrayRef<int64_t>) override {
    if (index < 0 || static_cast<size_t>(index) >= observers.size())
      return;
    std::vector<float> magnitudes(data.size());
    for (size_t i = 0; i < data.size(); ++i)
      magnitudes[i] = std::fabs(data[i]);
    for (Observer &o : observers[index]) {
      o.valueBins.add(data, o.value);
      o.absoluteBins.add(magnitudes, o.absolute);
    }
  }
  struct Observer {
    cal::NumpyBins valueBins, absoluteBins;
    std::vector<uint64_t> value, absolute;
  };
  std::vector<std::vector<Observer>> observers;
};

/// The first samples each observer saw.
struct DumpSink : ObserverSink {
  explicit DumpSink(size_t observers) : seen(observers) {}
  void observe(int64_t index, int64_t, int64_t, llvm::ArrayRef<float> data,
               llvm::ArrayRef<int64_t> shape) override {
    if (index < 0 || static_cast<size_t>(index) >= seen.size())
      return;
    Seen &s = seen[index];
    if (s.calls++ != batchIndex) { // seen twice in one call
      s.error = "it is observed more than once per call";
      return;
    }
    // The leading dimension holds the call's samples, or a multiple of
    // them (a layer on [N * T, C] tokens, as transformers reshape); the
    // dumps of the float and the quantized model line up either way.
    if (shape.empty() || shape[0] == 0 || shape[0] % batchSamples != 0) {
      s.error = llvm::formatv("its leading dimension is neither the batch "
                              "nor a multiple of it ({0} samples per call)",
                              batchSamples)
                    .str();
      return;
    }
    if (s.shape.empty())
      s.shape.assign(shape.begin(), shape.end());
    else
      s.shape[0] += shape[0];
    s.values.insert(s.values.end(), data.begin(), data.end());
  }
  struct Seen {
    std::vector<float> values;
    std::vector<int64_t> shape;
    int64_t calls = 0;
    std::string error;
  };
  std::vector<Seen> seen;
  int64_t batchIndex = 0, batchSamples = 0;
};

void drawProgress(llvm::StringRef what, int64_t done, int64_t total) {
  constexpr int kWidth = 40;
  int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
  std::string bar(filled, '=');
  bar.resize(kWidth, ' ');
  llvm::errs() << llvm::formatv("\r{0} [{1}] {2}/{3} batches", what, bar, done,
                                total);
  llvm::errs().flush();
}
} // namespace

/// Runs the batches on `threads` threads, contiguous shards in order,
/// thread t's qnt.observe calls going to sinkOf(t).
static llvm::Error
runShards(const Session &session, const DataSet &data,
          const CalibrateOptions &options, int64_t batch, int64_t numBatches,
          unsigned threads, llvm::function_ref<ObserverSink *(unsigned)> sinkOf,
          llvm::StringRef what) {
  std::vector<std::string> errors(threads);
  std::atomic<int64_t> done{0};
  llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
  std::vector<std::shared_future<void>> futures;
  for (unsigned t = 0; t < threads; ++t) {
    int64_t first = numBatches * t / threads;
    int64_t last = numBatches * (t + 1) / threads;
    ObserverSink *sink = sinkOf(t);
    std::string *error = &errors[t];
    futures.push_back(pool.async([&, sink, error, first, last]() {
      setThreadObserverSink(sink);
      for (int64_t b = first; b < last && error->empty(); ++b) {
        int64_t begin = b * batch;
        int64_t end = std::min(data.samples, begin + batch);
        auto results = session.call(data.slice(begin, end), data.paths);
        if (!results)
          *error = llvm::formatv("batch {0} (samples {1}..{2}): {3}", b, begin,
                                 end - 1, llvm::toString(results.takeError()))
                       .str();
        ++done;
      }
      setThreadObserverSink(nullptr);
    }));
  }
  if (options.progress) {
    while (done < numBatches &&
           llvm::any_of(futures, [](const std::shared_future<void> &f) {
             return f.wait_for(std::chrono::milliseconds(0)) !=
                    std::future_status::ready;
           })) {
      drawProgress(what, done, numBatches);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  pool.wait();
  if (options.progress) {
    drawProgress(what, done, numBatches);
    llvm::errs() << "\n";
  }
  for (const std::string &error : errors)
    if (!error.empty())
      return makeError(error);
  return llvm::Error::success();
}

llvm::Expected<cal::StatsFile>
quantopt::runtime::calibrate(const Session &session, const DataSet &data,
                             const CalibrateOptions &options,
                             llvm::StringRef model) {
  size_t numObservers = session.getObserverIds().size();
  if (numObservers == 0)
    return makeError("the model has no qnt.observe ops: instrument it with "
                     "quant-opt --qnt-insert-observers first");
  auto batch = getBatchSize(session, data, options);
  if (!batch)
    return batch.takeError();
  int64_t numBatches = (data.samples + *batch - 1) / *batch;
  unsigned threads =
      options.threads
          ? options.threads
          : std::min(2u, llvm::hardware_concurrency().compute_thread_count());
  threads = std::max<unsigned>(1, std::min<int64_t>(threads, numBatches));
  // torch's HistogramObserver depends on the order of the batches and its
  // states do not merge: one thread, whatever --jobs says.
  if (options.torchHistogram)
    threads = 1;

  // Contiguous shards of batches, one per thread, merged in order.
  std::vector<std::unique_ptr<StatsSink>> sinks;
  for (unsigned t = 0; t < threads; ++t) {
    sinks.push_back(std::make_unique<StatsSink>(numObservers, options));
    // The later shards keep their batches' extremes, which the merge below
    // replays: the moving averages do not depend on the thread count.
    for (cal::ObserverStats &stats : sinks.back()->stats) {
      stats.keepBatchExtremes = t > 0 || options.batchExtremes;
      if (options.torchHistogram)
        stats.torchHistogram.emplace();
    }
  }
  auto sinkOf = [&](unsigned t) -> ObserverSink * { return sinks[t].get(); };
  if (llvm::Error err = runShards(session, data, options, *batch, numBatches,
                                  threads, sinkOf, "calibrating"))
    return std::move(err);
  for (const auto &sink : sinks)
    if (!sink->error.empty())
      return makeError(sink->error);

  cal::StatsFile file;
  file.model = model.str();
  file.histogramBins = options.histogramBins;
  file.averagingConstant = options.averagingConstant;
  llvm::ArrayRef<std::string> ids = session.getObserverIds();
  for (size_t i = 0; i < numObservers; ++i) {
    cal::ObserverStats merged = sinks[0]->stats[i];
    for (unsigned t = 1; t < threads; ++t)
      if (llvm::Error err = merged.merge(sinks[t]->stats[i]))
        return err;
    if (merged.batches == 0)
      return makeError("observer '" + ids[i] +
                       "' saw nothing: is it on a path the entry executes?");
    file.activations.emplace_back(ids[i], std::move(merged));
  }
  if (options.ortHistogramBins.empty())
    return file;

  // ONNX Runtime bins all of a tensor's values at once, on edges set by
  // their extremes: a second pass, with the first pass's extremes. Counts
  // add up, so the shards and their order do not matter.
  sinks.clear();
  std::vector<OrtHistogramSink::Extremes> first;
  for (auto &[id, stats] : file.activations)
    first.push_back({stats.count, stats.min, stats.max, stats.absMin});
  threads =
      options.threads
          ? options.threads
          : std::min(2u, llvm::hardware_concurrency().compute_thread_count());
  threads = std::max<unsigned>(1, std::min<int64_t>(threads, numBatches));
  std::vector<std::unique_ptr<OrtHistogramSink>> ortSinks;
  for (unsigned t = 0; t < threads; ++t)
    ortSinks.push_back(
        std::make_unique<OrtHistogramSink>(first, options.ortHistogramBins));
  auto ortSinkOf = [&](unsigned t) -> ObserverSink * {
    return ortSinks[t].get();
  };
  if (llvm::Error err =
          runShards(session, data, options, *batch, numBatches, threads,
                    ortSinkOf, "ONNX Runtime histograms"))
    return std::move(err);
  for (size_t i = 0; i < numObservers; ++i) {
    cal::ObserverStats &stats = file.activations[i].second;
    for (size_t b = 0; b < ortSinks[0]->observers[i].size(); ++b) {
      cal::OrtHistogram h;
      h.bins = options.ortHistogramBins[b];
      h.value.assign(h.bins, 0);
      h.absolute.assign(h.bins, 0);
      for (const auto &sink : ortSinks) {
        const OrtHistogramSink::Observer &o = sink->observers[i][b];
        for (unsigned k = 0; k < h.bins; ++k) {
          h.value[k] += o.value[k];
          h.absolute[k] += o.absolute[k];
        }
      }
      // The second pass must see the first pass's values (a model whose
      // activations change between runs would lose some to the bins).
      uint64_t valueTotal = 0, absoluteTotal = 0;
      for (unsigned k = 0; k < h.bins; ++k)
        valueTotal += h.value[k], absoluteTotal += h.absolute[k];
      if (valueTotal != stats.count || absoluteTotal != stats.count)
        return makeError(llvm::formatv(
            "observer '{0}': the second pass for ONNX Runtime's histograms "
            "binned {1} of the {2} finite values the first pass saw (does "
            "the model compute the same activations on every run?)",
            ids[i], std::min(valueTotal, absoluteTotal), stats.count));
      stats.ortHistograms.push_back(std::move(h));
    }
  }
  return file;
}

llvm::Error quantopt::runtime::dumpObserved(const Session &session,
                                            const DataSet &data,
                                            const CalibrateOptions &options,
                                            llvm::StringRef dir) {
  llvm::ArrayRef<std::string> ids = session.getObserverIds();
  // The first maxSamples samples; with a static batch, rounded up to whole
  // batches while the data set has them.
  int64_t samples = std::min(data.samples, std::max<int64_t>(1, options.maxSamples));
  auto first = cast<RankedTensorType>(session.getSignature().getInput(0));
  int64_t axis = data.axes.front();
  if (first.getRank() > axis && !first.isDynamicDim(axis)) {
    int64_t fixed = first.getDimSize(axis);
    if (fixed > 0 && samples % fixed != 0)
      samples = std::min((samples + fixed - 1) / fixed * fixed, data.samples);
  }
  auto batch = getBatchSize(session, data, options, samples);
  if (!batch)
    return batch.takeError();
  DumpSink sink(ids.size());
  std::vector<std::vector<NpyArray>> outputs;
  setThreadObserverSink(&sink);
  for (int64_t begin = 0; begin < samples; begin += *batch) {
    int64_t end = std::min(samples, begin + *batch);
    sink.batchSamples = end - begin;
    auto results = session.call(data.slice(begin, end), data.paths);
    ++sink.batchIndex;
    if (!results) {
      setThreadObserverSink(nullptr);
      return results.takeError();
    }
    if (!options.outputAxes.empty() &&
        options.outputAxes.size() != results->size()) {
      setThreadObserverSink(nullptr);
      return makeError(llvm::formatv("{0} output sample axes for {1} results",
                                     options.outputAxes.size(),
                                     results->size()));
    }
    for (auto [i, r] : llvm::enumerate(*results)) {
      if (outputs.size() <= i)
        outputs.emplace_back();
      int64_t axis = options.outputAxes.empty() ? 0 : options.outputAxes[i];
      if (axis < 0 || static_cast<size_t>(axis) >= r.shape.size() ||
          r.shape[axis] != end - begin) {
        setThreadObserverSink(nullptr);
        return makeError(llvm::formatv(
            "result #{0} does not have the batch ({1} samples) on its sample "
            "axis {2}{3}",
            i, end - begin, axis,
            options.outputAxes.empty() ? " (name it with --output-axis)" : ""));
      }
      outputs[i].push_back(std::move(r));
    }
  }
  setThreadObserverSink(nullptr);

  // Everything is in memory: write it all.
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return makeError("cannot create '" + dir + "': " + ec.message());
  // File names: the id with every character but [A-Za-z0-9._#-] replaced
  // by '_' (and a leading '.' too), numbered when two ids collide; the
  // mapping is in observers.json.
  json::Array order;
  json::Object files;
  std::vector<std::string> used;
  for (auto [i, id] : llvm::enumerate(ids)) {
    std::string file = getUniqueNpyName(id, used);
    files[id] = file;
    const DumpSink::Seen &seen = sink.seen[i];
    if (!seen.error.empty())
      return makeError("observer '" + id + "': " + seen.error);
    if (seen.calls == 0)
      return makeError("observer '" + id + "' saw nothing");
    NpyArray array;
    array.dtype = DType::F32;
    array.shape = seen.shape;
    array.data.resize(seen.values.size() * sizeof(float));
    if (!array.data.empty())
      std::memcpy(array.data.data(), seen.values.data(), array.data.size());
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, file);
    if (llvm::Error err = writeNpy(path, array))
      return err;
    order.push_back(id);
  }
  std::vector<NpyArray> results;
  for (auto [i, parts] : llvm::enumerate(outputs))
    results.push_back(concatenateAxis(
        parts, options.outputAxes.empty() ? 0 : options.outputAxes[i]));
  if (llvm::Error err = writeResults(dir, results))
    return err;
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "observers.json");
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return makeError("cannot write '" + path + "': " + ec.message());
  os << llvm::formatv("{0:2}",
                      json::Value(json::Object{{"observers", std::move(order)},
                                               {"files", std::move(files)},
                                               {"samples", samples}}))
     << "\n";
  return llvm::Error::success();
}
