//===- Calibrate.h - Calibration runs over data sets --------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// What quant-run --calibrate and --dump-observed do, as a library: feed a
// data set (one .npy per model input, samples along the leading axis or the
// axis the caller names) to an
// instrumented model batch by batch, and collect what its qnt.observe ops
// see (docs/Calibration.md).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_RUNTIME_CALIBRATE_H
#define QUANTOPT_RUNTIME_CALIBRATE_H

#include "QuantOpt/Calibration/StatsFile.h"
#include "QuantOpt/Runtime/Runner.h"

#include <string>
#include <vector>

namespace quantopt {
namespace runtime {

/// One array per model input, all with the same number of samples along
/// their sample axes (the leading axis unless stated: a recurrent model's
/// state such as Silero's [2, N, 128] holds its samples on axis 1).
struct DataSet {
  std::vector<NpyArray> arrays;
  std::vector<std::string> paths;
  /// The sample axis of each array.
  std::vector<int64_t> axes;
  int64_t samples = 0;

  /// `axes` is empty (every array's samples on axis 0) or one axis per path.
  static llvm::Expected<DataSet> load(llvm::ArrayRef<std::string> paths,
                                      llvm::ArrayRef<int64_t> axes = {});
  /// Samples [begin, end) of every array, along its sample axis.
  std::vector<NpyArray> slice(int64_t begin, int64_t end) const;
};

/// Rows [begin, end) of `array` along `axis`.
NpyArray sliceAxis(const NpyArray &array, int64_t axis, int64_t begin,
                   int64_t end);
/// `parts` (same shapes but on `axis`) joined along `axis`.
NpyArray concatenateAxis(llvm::ArrayRef<NpyArray> parts, int64_t axis);

struct CalibrateOptions {
  /// Samples per call when the model's batch dimension is dynamic (a static
  /// batch dimension decides by itself).
  int64_t batchSize = 32;
  /// Worker threads (0: up to two, the hardware's concurrency).
  unsigned threads = 0;
  /// Draw a progress bar on stderr.
  bool progress = false;
  unsigned histogramBins = calibration::kDefaultHistogramBins;
  /// Also run torch.ao's HistogramObserver on every activation (the torch
  /// profile's calibration=torch-histogram). It takes the batches in order,
  /// so calibration runs on one thread.
  bool torchHistogram = false;
  /// Keep every batch's extremes in the statistics (the onnxruntime
  /// profile's calibration=moving-average averages them).
  bool batchExtremes = false;
  /// ONNX Runtime's histograms (the onnxruntime profile's percentile and
  /// entropy), one per bin count here; empty: none. They take a second pass
  /// over the data, binned on the first pass's extremes.
  std::vector<unsigned> ortHistogramBins;
  float averagingConstant = calibration::kDefaultAveragingConstant;
  /// For dumpObserved: how many samples to keep.
  int64_t maxSamples = 256;
  /// For dumpObserved: the sample axis of each result (empty: axis 0 of
  /// every result), where the calls' results are joined.
  std::vector<int64_t> outputAxes;
};

/// The samples per call: the static extent of the first input's sample axis,
/// or options.batchSize. Fails when a static batch does not divide the
/// `samples` to run (default: the whole data set).
llvm::Expected<int64_t> getBatchSize(const Session &session,
                                     const DataSet &data,
                                     const CalibrateOptions &options,
                                     int64_t samples = -1);

/// Runs the model over `data` and returns the statistics of every observer
/// (contiguous shards of batches run on separate threads and are merged in
/// order). `model` is the model fingerprint recorded in the file.
llvm::Expected<calibration::StatsFile>
calibrate(const Session &session, const DataSet &data,
          const CalibrateOptions &options, llvm::StringRef model);

/// Runs the first options.maxSamples samples and writes what each observer
/// saw as `dir/<file>.npy` (samples along axis 0; the file is the id with
/// characters other than [A-Za-z0-9._#-] replaced by '_'), the model outputs
/// as `dir/out<i>.npy` and `dir/observers.json`: {"observers": [ids in model
/// order], "files": {id: file}, "samples": n}.
llvm::Error dumpObserved(const Session &session, const DataSet &data,
                         const CalibrateOptions &options, llvm::StringRef dir);

} // namespace runtime
} // namespace quantopt

#endif // QUANTOPT_RUNTIME_CALIBRATE_H
