//===- OrtHistogram.h - ONNX Runtime's histogram calibrators -----*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// ONNX Runtime's PercentileCalibrater and EntropyCalibrater
// (onnxruntime/python/tools/quantization/calibrate.py, HistogramCollector)
// over one collection, its default: every batch's values of a tensor are
// binned together by numpy.histogram, then the percentile or the KL
// divergence search picks the range (docs/Calibration.md). Transcribed here
// because the results must be ONNX Runtime's bits under Debian 12's NumPy
// 1.24 and SciPy 1.10 (NumPy 2 promotes scalars differently), not a better
// estimate; the estimators of Calibration.h are QuantOpt's own.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CALIBRATION_ORTHISTOGRAM_H
#define QUANTOPT_CALIBRATION_ORTHISTOGRAM_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace quantopt {
namespace calibration {

/// ONNX Runtime's default bin counts: PercentileCalibrater's num_bins, and
/// EntropyCalibrater's num_bins and num_quantized_bins.
constexpr unsigned kOrtPercentileBins = 2048;
constexpr unsigned kOrtEntropyBins = 128;
constexpr unsigned kOrtQuantizedBins = 128;

/// numpy.histogram(a, bins, range=(first, last)) of float32 data `a` with
/// equal bins, as NumPy 1.24 bins it: the edges are numpy.linspace in
/// float64 rounded to float32; a value's bin is (x - first) * (bins /
/// (last - first)) in float32, truncated, then moved by one where the edges
/// say so; values outside [first, last] are dropped; a degenerate range
/// becomes [first - 0.5, last + 0.5].
class NumpyBins {
public:
  NumpyBins(float first, float last, unsigned bins);
  /// The bins + 1 edges (float32).
  llvm::ArrayRef<float> getEdges() const { return edges; }
  unsigned getNumBins() const { return edges.size() - 1; }
  /// The bin of `x`, or -1 for a value numpy.histogram drops.
  int64_t getBin(float x) const;
  /// Adds the bins of `values` to `counts` (getNumBins() entries).
  void add(llvm::ArrayRef<float> values,
           llvm::MutableArrayRef<uint64_t> counts) const;

private:
  std::vector<float> edges;
  float first, last;
  /// bins / width in float64; NumPy multiplies by it in float32 when it
  /// fits there (value-based casting), else in float64.
  double norm;
  bool normFitsFloat;
};

/// The histograms ONNX Runtime's HistogramCollector builds for one tensor
/// with `bins` bins over all its finite values.
struct OrtHistogram {
  unsigned bins = 0;
  /// collect_value (entropy; percentile with symmetric=False):
  /// numpy.histogram(x, bins, range=(-t, t)), t = max(|min|, |max|).
  std::vector<uint64_t> value;
  /// collect_absolute_value (percentile with symmetric=True, the default of
  /// quantize_static):
  /// numpy.histogram(|x|, bins) over [min |x|, max |x|].
  std::vector<uint64_t> absolute;
};

/// The bins of OrtHistogram::value and ::absolute for data with finite
/// extremes `min`, `max` and smallest magnitude `absMin`.
NumpyBins getOrtValueBins(float min, float max, unsigned bins);
NumpyBins getOrtAbsoluteBins(float min, float max, float absMin,
                             unsigned bins);

/// PercentileCalibrater (compute_percentile), clamped to [min, max]. With
/// `symmetric` (quantize_static's default, through create_calibrator): on
/// the absolute histogram, the edge at
/// numpy.searchsorted of the cumulated float64 fractions for percentile /
/// 100, as [-edge, edge]. Without: on the value histogram, the edges at
/// (100 - percentile) / 200 and at 1 minus that.
std::pair<float, float> getOrtPercentileRange(const OrtHistogram &histogram,
                                              float min, float max,
                                              float absMin, double percentile,
                                              bool symmetric = true);

/// EntropyCalibrater (get_entropy_threshold): on the value histogram, for
/// every window of 2i + 1 bins around the middle from `quantizedBins` / 2
/// on, the KL divergence (scipy.stats.entropy, float32) between the window
/// with the outliers added to its end bins and its quantization to
/// `quantizedBins` bins, both smoothed (smooth_distribution); the window
/// edges with the least divergence, clamped to [min, max]. Fails when the
/// histogram has fewer bins than `quantizedBins` (numpy.argmin of nothing).
llvm::Expected<std::pair<float, float>>
getOrtEntropyRange(const OrtHistogram &histogram, float min, float max,
                   unsigned quantizedBins = kOrtQuantizedBins);

} // namespace calibration
} // namespace quantopt

#endif // QUANTOPT_CALIBRATION_ORTHISTOGRAM_H
