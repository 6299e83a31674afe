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

llvm::Expected<DataSet> DataSet::load(llvm::ArrayRef<std::string> paths) {
  DataSet set;
  for (const std::string &path : paths) {
    auto array = readNpy(path);
    if (!array)
      return array.takeError();
    if (array->shape.empty())
      return makeError("'" + path +
                       "' is a scalar; calibration data needs a leading "
                       "sample axis");
    if (!set.arrays.empty() && array->shape[0] != set.samples)
      return makeError(llvm::formatv(
          "'{0}' has {1} samples but '{2}' has {3}: every --data file needs "
          "the same number of samples (leading dimension)",
          path, array->shape[0], set.paths.front(), set.samples));
    set.samples = array->shape[0];
    set.arrays.push_back(std::move(*array));
    set.paths.push_back(path);
  }
  if (set.arrays.empty())
    return makeError("no --data files");
  if (set.samples == 0)
    return makeError("the data set has no samples");
  return set;
}

std::vector<NpyArray> DataSet::slice(int64_t begin, int64_t end) const {
  std::vector<NpyArray> parts;
  for (const NpyArray &array : arrays) {
    NpyArray part;
    part.dtype = array.dtype;
    part.shape = array.shape;
    part.shape[0] = end - begin;
    size_t sampleBytes = array.data.size() / array.shape[0];
    part.data.assign(array.data.begin() + begin * sampleBytes,
                     array.data.begin() + end * sampleBytes);
    parts.push_back(std::move(part));
  }
  return parts;
}

llvm::Expected<int64_t>
quantopt::runtime::getBatchSize(const Session &session, const DataSet &data,
                                const CalibrateOptions &options) {
  FunctionType signature = session.getSignature();
  if (signature.getNumInputs() != data.arrays.size())
    return makeError(llvm::formatv("the model takes {0} input(s), got {1} "
                                   "--data file(s)",
                                   signature.getNumInputs(),
                                   data.arrays.size()));
  int64_t batch = options.batchSize;
  if (batch <= 0)
    return makeError("the batch size must be positive");
  auto first = dyn_cast<RankedTensorType>(signature.getInput(0));
  if (first && first.getRank() > 0 && !first.isDynamicDim(0)) {
    batch = first.getDimSize(0);
    if (data.samples % batch != 0)
      return makeError(llvm::formatv(
          "the model's batch dimension is fixed at {0}, which does not "
          "divide the {1} samples of the data set",
          batch, data.samples));
  }
  return std::min(batch, data.samples);
}

namespace {
/// Statistics of every observer, for the batches of one thread.
struct StatsSink : ObserverSink {
  StatsSink(size_t observers, const CalibrateOptions &options)
      : stats(observers, cal::ObserverStats(options.histogramBins,
                                            options.averagingConstant)) {}
  void observe(int64_t index, int64_t axis, llvm::ArrayRef<float> data,
               llvm::ArrayRef<int64_t> shape) override {
    if (index >= 0 && static_cast<size_t>(index) < stats.size())
      stats[index].observe(data, shape, axis);
  }
  std::vector<cal::ObserverStats> stats;
};

/// The first samples each observer saw.
struct DumpSink : ObserverSink {
  explicit DumpSink(size_t observers) : seen(observers) {}
  void observe(int64_t index, int64_t, llvm::ArrayRef<float> data,
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

void drawProgress(int64_t done, int64_t total) {
  constexpr int kWidth = 40;
  int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
  std::string bar(filled, '=');
  bar.resize(kWidth, ' ');
  llvm::errs() << llvm::formatv("\rcalibrating [{0}] {1}/{2} batches", bar,
                                done, total);
  llvm::errs().flush();
}
} // namespace

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
  unsigned threads = options.threads
                         ? options.threads
                         : std::min(2u, llvm::hardware_concurrency().compute_thread_count());
  threads = std::max<unsigned>(
      1, std::min<int64_t>(threads, numBatches));

  // Contiguous shards of batches, one per thread, merged in order.
  std::vector<std::unique_ptr<StatsSink>> sinks;
  std::vector<std::string> errors(threads);
  std::atomic<int64_t> done{0};
  llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
  std::vector<std::shared_future<void>> futures;
  for (unsigned t = 0; t < threads; ++t) {
    sinks.push_back(std::make_unique<StatsSink>(numObservers, options));
    int64_t first = numBatches * t / threads;
    int64_t last = numBatches * (t + 1) / threads;
    StatsSink *sink = sinks.back().get();
    std::string *error = &errors[t];
    futures.push_back(pool.async([&, sink, error, first, last]() {
      setThreadObserverSink(sink);
      for (int64_t b = first; b < last && error->empty(); ++b) {
        int64_t begin = b * *batch;
        int64_t end = std::min(data.samples, begin + *batch);
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
      drawProgress(done, numBatches);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  pool.wait();
  if (options.progress) {
    drawProgress(done, numBatches);
    llvm::errs() << "\n";
  }
  for (const std::string &error : errors)
    if (!error.empty())
      return makeError(error);

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
  return file;
}

/// Concatenates arrays along axis 0.
static NpyArray concatenate(llvm::ArrayRef<NpyArray> parts) {
  NpyArray all = parts.front();
  for (const NpyArray &part : parts.drop_front()) {
    all.shape[0] += part.shape[0];
    all.data.insert(all.data.end(), part.data.begin(), part.data.end());
  }
  return all;
}

llvm::Error quantopt::runtime::dumpObserved(const Session &session,
                                            const DataSet &data,
                                            const CalibrateOptions &options,
                                            llvm::StringRef dir) {
  llvm::ArrayRef<std::string> ids = session.getObserverIds();
  auto batch = getBatchSize(session, data, options);
  if (!batch)
    return batch.takeError();
  int64_t samples = std::min(data.samples, std::max<int64_t>(1, options.maxSamples));
  if (samples % *batch != 0 &&
      !cast<RankedTensorType>(session.getSignature().getInput(0))
           .isDynamicDim(0))
    samples = (samples + *batch - 1) / *batch * *batch;
  samples = std::min(samples, data.samples);
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
    for (auto [i, r] : llvm::enumerate(*results)) {
      if (outputs.size() <= i)
        outputs.emplace_back();
      if (r.shape.empty() || r.shape[0] != end - begin) {
        setThreadObserverSink(nullptr);
        return makeError(llvm::formatv(
            "result #{0} does not have the batch as its leading dimension", i));
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
  llvm::StringSet<> used;
  for (auto [i, id] : llvm::enumerate(ids)) {
    std::string base = id;
    for (char &ch : base)
      if (!llvm::isAlnum(ch) && ch != '.' && ch != '_' && ch != '#' && ch != '-')
        ch = '_';
    if (base.empty() || base[0] == '.')
      base.insert(base.begin(), '_');
    std::string file = base + ".npy";
    for (unsigned n = 1; !used.insert(file).second; ++n)
      file = base + "." + std::to_string(n) + ".npy";
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
    std::memcpy(array.data.data(), seen.values.data(), array.data.size());
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, file);
    if (llvm::Error err = writeNpy(path, array))
      return err;
    order.push_back(id);
  }
  std::vector<NpyArray> results;
  for (auto &parts : outputs)
    results.push_back(concatenate(parts));
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
