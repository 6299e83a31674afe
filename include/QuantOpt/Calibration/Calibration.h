//===- Calibration.h - Activation statistics and range estimators -*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// What calibration collects for one observed activation and how ranges are
// estimated from it (docs/Calibration.md). Plain C++ over LLVM Support: the
// runtime library compiled code calls (quant-run --calibrate), the stats-file
// reader of --qnt-quantize, quant-stats and the unit tests all use it.
//
// The streaming histogram has a fixed number of bins on a grid anchored at
// zero: bin i covers [i * w, (i + 1) * w) with w = 2^e. It always covers
// [min(0, lo), max(0, hi)] of the values seen (quantization ranges include
// zero). When a value falls outside, e grows (pairs of bins merge, exactly)
// until everything fits; e is therefore the smallest exponent >= kMinLog2Width
// whose grid holds the data in the bins, which makes merging two histograms
// give exactly the histogram of one pass over all the data.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CALIBRATION_CALIBRATION_H
#define QUANTOPT_CALIBRATION_CALIBRATION_H

#include "QuantOpt/Calibration/Moments.h"
#include "QuantOpt/Calibration/OrtHistogram.h"
#include "QuantOpt/Calibration/TorchHistogram.h"
#include "QuantOpt/Numerics/Numerics.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace quantopt {
namespace calibration {

/// Default number of histogram bins.
constexpr unsigned kDefaultHistogramBins = 2048;
/// The finest bin width is 2^kMinLog2Width.
constexpr int kMinLog2Width = -64;
/// The averaging constant of moving-average min/max (torch.ao's default).
constexpr float kDefaultAveragingConstant = 0.01f;

class Histogram {
public:
  explicit Histogram(unsigned numBins = kDefaultHistogramBins);

  /// Adds the finite values of `values` (NaN and infinities are not
  /// binned; ObserverStats counts them).
  void add(llvm::ArrayRef<float> values);
  /// Adds every sample of `other` (same number of bins).
  llvm::Error merge(const Histogram &other);

  unsigned getNumBins() const { return counts.size(); }
  /// True before the first finite value.
  bool empty() const { return total == 0; }
  int getLog2Width() const { return log2Width; }
  double getWidth() const;
  /// Index (on the zero-anchored grid) of the first stored bin.
  int64_t getStart() const { return start; }
  llvm::ArrayRef<uint64_t> getCounts() const { return counts; }
  uint64_t getTotal() const { return total; }
  /// Lower edge of stored bin `b` (0 <= b <= numBins).
  double getEdge(unsigned b) const;

  /// The value below which a fraction `q` (0..1) of the samples lie, with
  /// samples spread uniformly inside their bin.
  double quantile(double q) const;

  /// Bytes of state this histogram keeps (constant for a bin count).
  size_t getStateBytes() const;

  llvm::json::Value toJSON() const;
  static llvm::Expected<Histogram> fromJSON(const llvm::json::Value &value,
                                            llvm::StringRef where);

  /// Builds a histogram directly (tests, files).
  static llvm::Expected<Histogram> fromParts(int log2Width, int64_t start,
                                             std::vector<uint64_t> counts);

private:
  /// Grows the width until [lo, hi] (which includes 0) fits.
  void fit(double lo, double hi);
  void coarsen();

  std::vector<uint64_t> counts;
  int log2Width = kMinLog2Width;
  int64_t start = 0;
  uint64_t total = 0;
};

struct Range {
  double min, max;
};

/// numpy.sum of a float32 array as NumPy 1.24 reduces it (contiguous, or
/// over axis 0 of an (n, 1) array): pairwise sums (below 8 values in order,
/// eight accumulators up to 128, halves above) of chunks of 8192 values (its
/// buffer), added in order to -0.0. numpy.mean is that divided by n in
/// float32 (NaN for no values).
float getNumpyMeanF32(llvm::ArrayRef<float> values);
float getNumpySumF32(llvm::ArrayRef<float> values);

/// Everything calibration keeps for one observed activation.
struct ObserverStats {
  explicit ObserverStats(unsigned numBins = kDefaultHistogramBins,
                         float averagingConstant = kDefaultAveragingConstant)
      : histogram(numBins), averagingConstant(averagingConstant) {}

  /// Observes one batch: `data` is a row-major tensor of `shape`;
  /// `channelAxis` (or -1) selects per-channel min/max.
  void observe(llvm::ArrayRef<float> data, llvm::ArrayRef<int64_t> shape,
               int64_t channelAxis);
  /// Adds one batch to the moments (docs/Algorithms.md), created on the
  /// first call with `kind` and the channel count on `axis`.
  llvm::Error observeMoments(llvm::ArrayRef<float> data,
                             llvm::ArrayRef<int64_t> shape, int64_t axis,
                             MomentsKind kind);
  /// Appends the batches of `later` (observed after this one's).
  llvm::Error merge(const ObserverStats &later);
  /// Moves the moving averages by one finite batch with extremes lo, hi.
  void updateMovingAverages(float lo, float hi);
  /// Moves channel `c`'s moving averages by one batch with extremes lo, hi
  /// in that channel (the first such batch sets them).
  void moveChannelAverages(int64_t c, float lo, float hi);

  /// Finite values seen, values that were NaN or infinite, batches.
  uint64_t count = 0, nonFinite = 0, batches = 0;
  /// Batches that had finite values (those that moved the moving average).
  uint64_t finiteBatches = 0;
  /// Exact extremes of the finite values.
  float min = 0, max = 0;
  /// Extremes of the first batch (to merge moving averages).
  float firstMin = 0, firstMax = 0;
  /// Moving-average min/max over batches, as torch.ao's
  /// MovingAverageMinMaxObserver: the first batch sets them, then
  /// m = m + c * (batch - m), in float32.
  float movingMin = 0, movingMax = 0;
  /// With `keepBatchExtremes`, each finite batch's extremes in order (a
  /// few bytes per batch), so that merge() replays them onto the earlier
  /// shard's moving averages exactly as one sequential run computes them.
  /// The calibration threads keep them for every shard after the first:
  /// --jobs does not change the moving averages. Without them (stats files
  /// merged by quant-stats) the merge continues the average in closed form,
  /// within float rounding. When every shard keeps them (quant-run
  /// --calibrate --batch-extremes), merge() appends them and stats files
  /// hold them: ONNX Runtime's moving-average calibration averages them
  /// (hasAllBatchExtremes, getMeanBatchExtremes).
  bool keepBatchExtremes = false;
  std::vector<std::pair<float, float>> batchExtremes;
  /// Whether batchExtremes holds every finite batch's extremes.
  bool hasAllBatchExtremes() const {
    return keepBatchExtremes && batchExtremes.size() == finiteBatches;
  }
  /// ONNX Runtime's MinMaxCalibrater with moving_average (one collection,
  /// its default): NumPy's float32 means of the batches' minima and maxima.
  Range getMeanBatchExtremes() const;
  Histogram histogram;
  float averagingConstant;
  /// The observed shape (of the last batch) and per-channel extremes.
  std::vector<int64_t> shape;
  int64_t channelAxis = -1;
  std::vector<float> channelMin, channelMax;
  /// Per-channel moving-average min/max, as torch.ao's
  /// MovingAveragePerChannelMinMaxObserver: per channel, the first batch
  /// with finite values in the channel sets them, then m = m + c * (batch
  /// extreme - m), in float32. channelFirstMin/Max and channelMovingBatches
  /// (the batches that moved each channel) continue them across a merge.
  std::vector<float> channelMovingMin, channelMovingMax;
  std::vector<float> channelFirstMin, channelFirstMax;
  std::vector<uint64_t> channelMovingBatches;
  /// With `keepBatchExtremes`: each batch's per-channel extremes, one
  /// channel count after another (NaN where a channel had no finite value),
  /// which merge() replays as for the per-tensor moving averages.
  std::vector<float> channelBatchMin, channelBatchMax;
  /// Per-input-channel moments, when the observer asked for them.
  std::optional<ChannelMoments> moments;
  /// torch.ao's HistogramObserver over the finite values of each batch, in
  /// order (quant-run --calibrate --torch-histogram), and why it stopped if
  /// it did. It depends on the order of the batches, so it does not merge.
  std::optional<TorchHistogramObserver> torchHistogram;
  std::string torchHistogramError;
  /// The smallest magnitude of the finite values (+inf before any), and how
  /// many of the non-finite values were NaN (ONNX Runtime's histograms drop
  /// NaN where it gives the range, and fail on infinities).
  float absMin = std::numeric_limits<float>::infinity();
  uint64_t nans = 0;
  /// ONNX Runtime's histograms over all the finite values, one per bin
  /// count (quant-run --calibrate --ort-histogram bins them in a second
  /// pass, once min, max and absMin are known). Their bins depend on the
  /// extremes of all the data, so they do not merge with other batches.
  std::vector<OrtHistogram> ortHistograms;
  /// The histogram with `bins` bins, or null.
  const OrtHistogram *getOrtHistogram(unsigned bins) const;

private:
  void moveAverage(float &average, float value) const;
  void mergeChannels(const ObserverStats &later);
};

/// The range estimators of --qnt-quantize calibration=...
enum class Method {
  MinMax,
  MovingAverage,
  Percentile,
  Mse,
  Entropy,
  /// torch.ao's HistogramObserver search (ObserverStats::torchHistogram).
  TorchHistogram
};
std::optional<Method> parseMethodName(llvm::StringRef name);
llvm::StringRef getMethodName(Method method);

struct EstimateOptions {
  Method method = Method::MinMax;
  /// For Percentile: the percentage of values kept inside on each side.
  double percentile = 99.99;
  /// The storage and scheme the range is for (Mse, Entropy).
  numerics::StorageKind storage = numerics::StorageKind::U8;
  numerics::Scheme scheme = numerics::Scheme::Asymmetric;
  bool narrowRange = false;
  numerics::Profile profile = numerics::Profile::QuantOpt;
  bool reduceRange = false;
  /// Under the onnxruntime profile, Percentile and Entropy are ONNX
  /// Runtime's calibrators on the ObserverStats::ortHistograms with this
  /// many bins (0: its defaults, kOrtPercentileBins and kOrtEntropyBins).
  unsigned ortBins = 0;
  /// Percentile under the onnxruntime profile: PercentileCalibrater's
  /// `symmetric` (its CalibTensorRangeSymmetric), on |x| when true (its
  /// default), else on x.
  bool ortSymmetricPercentile = true;

  /// The solver options of the range's parameters.
  numerics::SolverOptions getSolverOptions() const;
};

/// The range `options.method` picks from `stats` (docs/Calibration.md).
llvm::Expected<Range> estimateRange(const ObserverStats &stats,
                                    const EstimateOptions &options);

/// Method::Percentile or Method::Entropy under the onnxruntime profile:
/// ONNX Runtime's calibrators on stats.ortHistograms (OrtHistogram.cpp).
llvm::Expected<Range> estimateOrtHistogramRange(const ObserverStats &stats,
                                                const EstimateOptions &options);

/// Per-channel ranges of `stats` (observed with a channel axis): its
/// per-channel min/max for Method::MinMax (torch.ao's
/// PerChannelMinMaxObserver), its per-channel moving averages for
/// Method::MovingAverage (MovingAveragePerChannelMinMaxObserver). Other
/// methods, observers without per-channel statistics and channels that saw
/// no finite value give an error.
llvm::Expected<std::vector<Range>>
estimateChannelRanges(const ObserverStats &stats, Method method);

/// The expected squared quantization error over the histogram of quantizing
/// to the parameters solved from `range` (the Mse objective): values inside
/// the representable range cost scale^2 / 12, values outside cost their
/// squared distance (bin centre) to the nearest representable end.
double expectedSquaredError(const Histogram &histogram, Range range,
                            const EstimateOptions &options);

} // namespace calibration
} // namespace quantopt

#endif // QUANTOPT_CALIBRATION_CALIBRATION_H
