//===- Calibrate.h - Calibration runs over data sets --------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// What quant-run --calibrate and --dump-observed do, as a library: feed a
// data set (one .npy per model input, samples along the leading axis) to an
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

/// One array per model input, all with the same number of samples (leading
/// dimension).
struct DataSet {
  std::vector<NpyArray> arrays;
  std::vector<std::string> paths;
  int64_t samples = 0;

  static llvm::Expected<DataSet> load(llvm::ArrayRef<std::string> paths);
  /// Samples [begin, end) of every array.
  std::vector<NpyArray> slice(int64_t begin, int64_t end) const;
};

struct CalibrateOptions {
  /// Samples per call when the model's batch dimension is dynamic (a static
  /// batch dimension decides by itself).
  int64_t batchSize = 32;
  /// Worker threads (0: up to two, the hardware's concurrency).
  unsigned threads = 0;
  /// Draw a progress bar on stderr.
  bool progress = false;
  unsigned histogramBins = calibration::kDefaultHistogramBins;
  float averagingConstant = calibration::kDefaultAveragingConstant;
  /// For dumpObserved: how many samples to keep.
  int64_t maxSamples = 256;
};

/// The samples per call: the static leading dimension of the first input,
/// or options.batchSize. Fails when a static batch does not divide the data.
llvm::Expected<int64_t> getBatchSize(const Session &session,
                                     const DataSet &data,
                                     const CalibrateOptions &options);

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
