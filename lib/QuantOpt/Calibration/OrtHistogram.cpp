//===- OrtHistogram.cpp - ONNX Runtime's histogram calibrators ------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Calibration/OrtHistogram.h"

#include "QuantOpt/Calibration/Calibration.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

using namespace quantopt;
using namespace quantopt::calibration;

NumpyBins::NumpyBins(float firstEdge, float lastEdge, unsigned bins) {
  // _get_outer_edges: a degenerate range widens by 0.5 on both sides, in
  // float64 (a float32 scalar minus a Python float).
  double lo = firstEdge, hi = lastEdge;
  double width;
  if (firstEdge == lastEdge) {
    lo -= 0.5;
    hi += 0.5;
    width = hi - lo;
  } else {
    // _unsigned_subtract of two float32 scalars: a float32 difference.
    width = static_cast<float>(lastEdge - firstEdge);
  }
  // The data are float32, so the scalars are cast to float32 where they
  // meet them (NumPy 1.24's value-based casting).
  first = static_cast<float>(lo);
  last = static_cast<float>(hi);
  // norm = bins / width in float64; the multiply with the float32 data
  // rounds it to float32 unless it exceeds float32's range (a range of a
  // few 1e-36), where NumPy keeps float64.
  norm = static_cast<double>(bins) / width;
  normFitsFloat = norm <= std::numeric_limits<float>::max();
  // numpy.linspace(lo, hi, bins + 1) in float64, then cast to float32:
  // y = i * step + lo (separate operations), the last edge exactly hi.
  double delta = hi - lo;
  double step = delta / bins;
  edges.resize(bins + 1);
  for (unsigned i = 0; i <= bins; ++i) {
    double y;
    if (step == 0) {
      y = static_cast<double>(i) / bins;
      y = y * delta;
    } else {
      y = static_cast<double>(i) * step;
    }
    y = y + lo;
    edges[i] = static_cast<float>(y);
  }
  edges[bins] = static_cast<float>(hi);
}

int64_t NumpyBins::getBin(float x) const {
  if (!(x >= first && x <= last))
    return -1;
  int64_t n = getNumBins();
  float diff = x - first;
  double scaled = normFitsFloat
                      ? static_cast<double>(diff * static_cast<float>(norm))
                      : static_cast<double>(diff) * norm;
  // NumPy truncates to intp; the guards only keep a value no finite range
  // produces (NaN, beyond the bins) inside the array.
  int64_t index = scaled >= 0 && scaled < static_cast<double>(n)
                      ? static_cast<int64_t>(scaled)
                      : (scaled >= 0 ? n : 0);
  if (index == n)
    --index;
  if (index > 0 && x < edges[index])
    --index;
  if (index != n - 1 && x >= edges[index + 1])
    ++index;
  return index;
}

void NumpyBins::add(llvm::ArrayRef<float> values,
                    llvm::MutableArrayRef<uint64_t> counts) const {
  for (float x : values) {
    int64_t bin = getBin(x);
    if (bin >= 0)
      ++counts[bin];
  }
}

NumpyBins quantopt::calibration::getOrtValueBins(float min, float max,
                                                 unsigned bins) {
  float threshold = std::max(std::fabs(min), std::fabs(max));
  return NumpyBins(-threshold, threshold, bins);
}

NumpyBins quantopt::calibration::getOrtAbsoluteBins(float min, float max,
                                                    float absMin,
                                                    unsigned bins) {
  return NumpyBins(absMin, std::max(std::fabs(min), std::fabs(max)), bins);
}

/// numpy.searchsorted(cdf, v) (side 'left'): the first index whose value is
/// not below v.
static size_t searchSorted(llvm::ArrayRef<double> cdf, double v) {
  return std::lower_bound(cdf.begin(), cdf.end(), v) - cdf.begin();
}

std::pair<float, float> quantopt::calibration::getOrtPercentileRange(
    const OrtHistogram &histogram, float min, float max, float absMin,
    double percentile, bool symmetric) {
  llvm::ArrayRef<uint64_t> counts =
      symmetric ? histogram.absolute : histogram.value;
  NumpyBins bins = symmetric
                       ? getOrtAbsoluteBins(min, max, absMin, histogram.bins)
                       : getOrtValueBins(min, max, histogram.bins);
  llvm::ArrayRef<float> edges = bins.getEdges();
  uint64_t total = 0;
  for (uint64_t c : counts)
    total += c;
  // cdf = numpy.cumsum(hist / total): float64, summed in order.
  std::vector<double> cdf;
  cdf.reserve(counts.size());
  double running = 0;
  for (uint64_t c : counts) {
    running += static_cast<double>(c) / static_cast<double>(total);
    cdf.push_back(running);
  }
  float lo, hi;
  if (symmetric) {
    float edge = edges[searchSorted(cdf, percentile / 100.0)];
    lo = -edge, hi = edge;
  } else {
    double cut = (100.0 - percentile) / 200.0;
    lo = edges[searchSorted(cdf, cut)];
    hi = edges[searchSorted(cdf, 1.0 - cut)];
  }
  if (lo < min)
    lo = min;
  if (hi > max)
    hi = max;
  return {lo, hi};
}

/// quant_utils.smooth_distribution on integer counts, in float32: zeros
/// become eps, the others lose eps * zeros / nonzeros. Empty when every
/// count is zero (ONNX Runtime's None); std::nullopt where its asserts fail
/// (eps1 >= 1: more than 10^4 empty bins per occupied one).
static std::optional<std::vector<float>>
smoothDistribution(llvm::ArrayRef<int64_t> p) {
  constexpr double kEps = 0.0001;
  size_t zeros = llvm::count(p, 0);
  size_t nonZeros = p.size() - zeros;
  if (nonZeros == 0)
    return std::vector<float>();
  double eps1 = kEps * static_cast<double>(zeros) / static_cast<double>(nonZeros);
  if (!(eps1 < 1.0))
    return std::nullopt;
  // hist = p.astype(float32); hist += eps * is_zeros + (-eps1) * is_nonzeros
  // (the Python floats become float32 against the float32 arrays).
  float epsF = static_cast<float>(kEps), minusEps1 = static_cast<float>(-eps1);
  std::vector<float> hist;
  hist.reserve(p.size());
  for (int64_t c : p)
    hist.push_back(static_cast<float>(c) + (c == 0 ? epsF : minusEps1));
  return hist;
}

/// scipy.stats.entropy(p, q) for float32 p and q (SciPy 1.10): both divided
/// by their NumPy sums in float32, rel_entr computed in float64 and rounded
/// to float32, then NumPy's float32 sum.
static float scipyEntropy(llvm::ArrayRef<float> p, llvm::ArrayRef<float> q) {
  float pSum = getNumpySumF32(p), qSum = getNumpySumF32(q);
  std::vector<float> terms(p.size());
  for (size_t j = 0; j < p.size(); ++j) {
    double x = p[j] / pSum, y = q[j] / qSum;
    double r;
    if (std::isnan(x) || std::isnan(y))
      r = std::numeric_limits<double>::quiet_NaN();
    else if (x > 0 && y > 0)
      r = x * std::log(x / y);
    else if (x == 0 && y >= 0)
      r = 0;
    else
      r = std::numeric_limits<double>::infinity();
    terms[j] = static_cast<float>(r);
  }
  return getNumpySumF32(terms);
}

llvm::Expected<std::pair<float, float>>
quantopt::calibration::getOrtEntropyRange(const OrtHistogram &histogram,
                                          float min, float max,
                                          unsigned quantizedBins) {
  llvm::ArrayRef<uint64_t> hist = histogram.value;
  size_t numBins = hist.size();
  size_t zeroBin = numBins / 2, half = quantizedBins / 2;
  if (quantizedBins == 0 || zeroBin < half)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("ONNX Runtime's entropy calibration needs at least {0} "
                      "histogram bins ({1} quantized bins), the statistics "
                      "have {2}",
                      2 * half, quantizedBins, numBins));
  NumpyBins bins = getOrtValueBins(min, max, histogram.bins);
  llvm::ArrayRef<float> edges = bins.getEdges();
  std::vector<uint64_t> prefix(numBins + 1, 0);
  for (size_t b = 0; b < numBins; ++b)
    prefix[b + 1] = prefix[b] + hist[b];

  // numpy.argmin: the first least divergence (the first NaN, if any).
  float best = 0;
  std::pair<float, float> bestRange{0, 0};
  bool haveBest = false, bestIsNaN = false;
  for (size_t i = half; i <= zeroBin && !bestIsNaN; ++i) {
    size_t start = zeroBin - i;
    size_t end = std::min(zeroBin + i + 1, numBins);
    llvm::ArrayRef<uint64_t> sliced = hist.slice(start, end - start);
    std::vector<int64_t> p(sliced.begin(), sliced.end());
    p.front() += static_cast<int64_t>(prefix[start]);
    p.back() += static_cast<int64_t>(prefix[numBins] - prefix[end]);
    size_t merged = sliced.size() / quantizedBins;
    std::vector<int64_t> quantized(quantizedBins, 0);
    for (size_t index = 0; index < quantizedBins; ++index)
      for (size_t j = index * merged; j < (index + 1) * merged; ++j)
        quantized[index] += static_cast<int64_t>(sliced[j]);
    for (size_t j = quantizedBins * merged; j < sliced.size(); ++j)
      quantized.back() += static_cast<int64_t>(sliced[j]);
    // q[start:end] = float(quantized) / float(norm), stored in an int64
    // array: truncated.
    std::vector<int64_t> q(p.size(), 0);
    for (size_t index = 0; index < quantizedBins; ++index) {
      size_t begin = index * merged, stop = begin + merged;
      int64_t norm = 0;
      for (size_t j = begin; j < stop; ++j)
        norm += p[j] != 0;
      if (norm != 0)
        for (size_t j = begin; j < stop; ++j)
          q[j] = static_cast<int64_t>(static_cast<double>(quantized[index]) /
                                      static_cast<double>(norm));
    }
    std::optional<std::vector<float>> ps = smoothDistribution(p);
    std::optional<std::vector<float>> qs = smoothDistribution(q);
    if (!ps || !qs)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("ONNX Runtime's entropy calibration fails here: "
                        "smooth_distribution asserts eps * zeros / nonzeros "
                        "< 1, and the window of {0} bins has more than 10^4 "
                        "empty bins per occupied one",
                        p.size()));
    float kl = qs->empty() || ps->empty()
                   ? std::numeric_limits<float>::infinity()
                   : scipyEntropy(*ps, *qs);
    std::pair<float, float> range{edges[start], edges[end]};
    if (std::isnan(kl)) {
      best = kl, bestRange = range, haveBest = bestIsNaN = true;
    } else if (!haveBest || kl < best) {
      best = kl, bestRange = range, haveBest = true;
    }
  }
  if (bestRange.first < min)
    bestRange.first = min;
  if (bestRange.second > max)
    bestRange.second = max;
  return bestRange;
}

//===----------------------------------------------------------------------===//
// The onnxruntime profile's percentile and entropy (estimateRange)
//===----------------------------------------------------------------------===//

/// ONNX Runtime's ranges as its quantizer reads them. Clamping an edge to
/// [min, max] can cross them (an edge below a positive minimum becomes the
/// minimum, the other edge stays below it); compute_scale_zp then takes
/// [min(lo, 0), max(hi, 0)], which is [0, hi] or [lo, 0]: that range, which
/// solveFromRange accepts and treats alike.
static Range includeZeroIfCrossed(float lo, float hi) {
  if (lo > hi)
    return Range{std::min(lo, 0.0f), std::max(hi, 0.0f)};
  return Range{lo, hi};
}

/// The ONNX Runtime histogram the onnxruntime profile's percentile or
/// entropy reads: options.ortBins bins, or `defaultBins`.
static llvm::Expected<const OrtHistogram *>
getOrtHistogramFor(const ObserverStats &stats, const EstimateOptions &options,
                   unsigned defaultBins) {
  unsigned bins = options.ortBins ? options.ortBins : defaultBins;
  llvm::StringRef method = getMethodName(options.method);
  const OrtHistogram *h = stats.getOrtHistogram(bins);
  if (!h)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv(
            "the onnxruntime profile's {0} calibration needs ONNX Runtime's "
            "histogram with {1} bins, which the statistics do not hold "
            "(calibrate with quant-run --calibrate --ort-histogram "
            "--ort-histogram-bins {1})",
            method, bins));
  // numpy.histogram fails on a range that is not finite: infinities always
  // (ONNX Runtime's extremes are nanmin and nanmax), NaN where the range is
  // numpy's own (the absolute histogram of the symmetric percentile).
  uint64_t infinities = stats.nonFinite - std::min(stats.nans, stats.nonFinite);
  if (infinities)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv(
            "the onnxruntime profile's {0} calibration bins the values with "
            "numpy.histogram, which fails on infinities, and this activation "
            "had "
            "{1}",
            method, infinities));
  if (stats.nans && options.method == Method::Percentile &&
      options.ortSymmetricPercentile)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv(
            "the onnxruntime profile's symmetric percentile bins |x| with "
            "numpy.histogram's own range, which fails on NaN, and this "
            "activation had {0} (ort-symmetric-percentile=false and entropy "
            "drop NaN, as ONNX Runtime does)",
            stats.nans));
  return h;
}

llvm::Expected<Range> quantopt::calibration::estimateOrtHistogramRange(
    const ObserverStats &stats, const EstimateOptions &options) {
  if (options.method == Method::Percentile) {
    // ONNX Runtime's compute_percentile takes [0, 100].
    if (!(options.percentile >= 0 && options.percentile <= 100))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv(
              "percentile must be in [0, 100] (onnxruntime profile), got {0}",
              options.percentile));
    auto h = getOrtHistogramFor(stats, options, kOrtPercentileBins);
    if (!h)
      return h.takeError();
    auto [lo, hi] = getOrtPercentileRange(**h, stats.min, stats.max,
                                          stats.absMin, options.percentile,
                                          options.ortSymmetricPercentile);
    return includeZeroIfCrossed(lo, hi);
  }
  auto h = getOrtHistogramFor(stats, options, kOrtEntropyBins);
  if (!h)
    return h.takeError();
  auto range = getOrtEntropyRange(**h, stats.min, stats.max);
  if (!range)
    return range.takeError();
  return includeZeroIfCrossed(range->first, range->second);
}
