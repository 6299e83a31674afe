//===- Calibration.cpp - Activation statistics and range estimators -------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Calibration/Calibration.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace quantopt;
using namespace quantopt::calibration;
namespace num = quantopt::numerics;
namespace json = llvm::json;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

//===----------------------------------------------------------------------===//
// Histogram
//===----------------------------------------------------------------------===//

Histogram::Histogram(unsigned numBins) : counts(std::max(numBins, 2u), 0) {}

double Histogram::getWidth() const { return std::ldexp(1.0, log2Width); }

double Histogram::getEdge(unsigned b) const {
  return std::ldexp(static_cast<double>(start + static_cast<int64_t>(b)),
                    log2Width);
}

/// The grid bin of `x` at width 2^e (exact in double: x is a float).
static int64_t gridIndex(double x, int e) {
  return static_cast<int64_t>(std::floor(std::ldexp(x, -e)));
}

/// floor(g / 2^shift) for any shift >= 0 (shifts of 64 or more give -1 or 0).
static int64_t coarsenIndex(int64_t g, int shift) {
  if (shift >= 63)
    return g < 0 ? -1 : 0;
  return g >> shift;
}

/// The smallest e >= max(minE, kMinLog2Width) whose grid holds [lo, hi] in n
/// bins.
static int fittingLog2Width(double lo, double hi, unsigned n, int minE) {
  int e = std::max(minE, kMinLog2Width);
  // Start near the answer: the span needs about (hi - lo) / n per bin.
  if (hi > lo) {
    int guess = static_cast<int>(std::floor(std::log2((hi - lo) / n))) - 1;
    e = std::max(e, guess);
  }
  while (gridIndex(hi, e) - gridIndex(lo, e) + 1 > static_cast<int64_t>(n))
    ++e;
  return e;
}

void Histogram::fit(double lo, double hi) {
  unsigned n = counts.size();
  if (total == 0) {
    log2Width = fittingLog2Width(lo, hi, n, kMinLog2Width);
    start = gridIndex(lo, log2Width);
    return;
  }
  // The stored samples' extremes lie in the first and last occupied bins;
  // at this width or coarser their lower edges index the same bins.
  unsigned first = 0, last = n - 1;
  while (counts[first] == 0)
    ++first;
  while (counts[last] == 0)
    --last;
  double newLo = std::min(lo, getEdge(first));
  double newHi = std::max(hi, getEdge(last));
  int e = fittingLog2Width(newLo, newHi, n, log2Width);
  int64_t newStart = gridIndex(newLo, e);
  if (e == log2Width && newStart == start)
    return;
  std::vector<uint64_t> rebinned(n, 0);
  int shift = e - log2Width;
  for (unsigned b = first; b <= last; ++b)
    if (counts[b]) // floor((start + b) / 2^shift), negative indices too
      rebinned[coarsenIndex(start + static_cast<int64_t>(b), shift) - newStart] +=
          counts[b];
  counts = std::move(rebinned);
  log2Width = e;
  start = newStart;
}

void Histogram::add(llvm::ArrayRef<float> values) {
  // The window covers [min(0, lo), max(0, hi)] of all the data.
  double lo = 0, hi = 0;
  bool any = false;
  for (float v : values) {
    if (!std::isfinite(v))
      continue;
    lo = std::min(lo, static_cast<double>(v));
    hi = std::max(hi, static_cast<double>(v));
    any = true;
  }
  if (!any)
    return;
  fit(lo, hi);
  for (float v : values) {
    if (!std::isfinite(v))
      continue;
    ++counts[gridIndex(v, log2Width) - start];
    ++total;
  }
}

llvm::Error Histogram::merge(const Histogram &other) {
  if (other.counts.size() != counts.size())
    return makeError(llvm::formatv("cannot merge histograms of {0} and {1} bins",
                                   counts.size(), other.counts.size()));
  if (other.total == 0)
    return llvm::Error::success();
  if (total == 0) {
    *this = other;
    return llvm::Error::success();
  }
  unsigned n = counts.size();
  unsigned first = 0, last = n - 1;
  while (other.counts[first] == 0)
    ++first;
  while (other.counts[last] == 0)
    --last;
  // Bring this histogram to a grid that holds the other's samples and is at
  // least as coarse as the other's, then add the other's bins.
  double otherLo = std::min(0.0, other.getEdge(first));
  double otherHi = std::max(0.0, other.getEdge(last));
  unsigned myFirst = 0, myLast = n - 1;
  while (counts[myFirst] == 0)
    ++myFirst;
  while (counts[myLast] == 0)
    --myLast;
  double lo = std::min({otherLo, getEdge(myFirst), 0.0});
  double hi = std::max({otherHi, getEdge(myLast), 0.0});
  int e = fittingLog2Width(lo, hi, n, std::max(log2Width, other.log2Width));
  int64_t newStart = gridIndex(lo, e);
  std::vector<uint64_t> merged(n, 0);
  auto addFrom = [&](const Histogram &h) {
    int shift = e - h.log2Width;
    for (unsigned b = 0; b < n; ++b)
      if (h.counts[b])
        merged[coarsenIndex(h.start + static_cast<int64_t>(b), shift) - newStart] +=
            h.counts[b];
  };
  addFrom(*this);
  addFrom(other);
  counts = std::move(merged);
  log2Width = e;
  start = newStart;
  total += other.total;
  return llvm::Error::success();
}

double Histogram::quantile(double q) const {
  if (total == 0)
    return 0;
  double target = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  double width = getWidth();
  uint64_t cumulative = 0;
  for (unsigned b = 0; b < counts.size(); ++b) {
    uint64_t c = counts[b];
    if (c == 0)
      continue;
    if (static_cast<double>(cumulative + c) >= target)
      return getEdge(b) +
             (target - static_cast<double>(cumulative)) / static_cast<double>(c) *
                 width;
    cumulative += c;
  }
  unsigned last = counts.size() - 1;
  while (counts[last] == 0)
    --last;
  return getEdge(last + 1);
}

size_t Histogram::getStateBytes() const {
  return sizeof(*this) + counts.capacity() * sizeof(uint64_t);
}

json::Value Histogram::toJSON() const {
  json::Array array;
  for (uint64_t c : counts)
    array.push_back(static_cast<int64_t>(c));
  return json::Object{{"log2_width", log2Width},
                      {"start", start},
                      {"counts", std::move(array)}};
}

llvm::Expected<Histogram> Histogram::fromParts(int log2Width, int64_t start,
                                               std::vector<uint64_t> counts) {
  if (counts.size() < 2)
    return makeError("a histogram needs at least 2 bins");
  if (log2Width < kMinLog2Width || log2Width > 1100)
    return makeError(llvm::formatv("log2_width {0} is out of range", log2Width));
  // The window always holds 0 (it covers [min(0, lo), max(0, hi)]).
  int64_t n = static_cast<int64_t>(counts.size());
  if (start > 0 || start < -n)
    return makeError(llvm::formatv(
        "start {0} does not put bin 0 inside the {1} bins", start, n));
  Histogram h(counts.size());
  h.log2Width = log2Width;
  h.start = start;
  h.total = 0;
  for (uint64_t c : counts) {
    if (h.total + c < h.total)
      return makeError("the counts overflow 64 bits");
    h.total += c;
  }
  h.counts = std::move(counts);
  return h;
}

llvm::Expected<Histogram> Histogram::fromJSON(const json::Value &value,
                                              llvm::StringRef where) {
  const json::Object *object = value.getAsObject();
  if (!object)
    return makeError(where + ": expected a histogram object");
  std::optional<int64_t> e = object->getInteger("log2_width");
  std::optional<int64_t> start = object->getInteger("start");
  const json::Array *array = object->getArray("counts");
  if (!e || !start || !array)
    return makeError(where + ": expected {\"log2_width\": int, \"start\": "
                             "int, \"counts\": [int, ...]}");
  std::vector<uint64_t> counts;
  for (const json::Value &c : *array) {
    std::optional<int64_t> v = c.getAsInteger();
    if (!v || *v < 0)
      return makeError(where + ".counts: expected non-negative integers");
    counts.push_back(static_cast<uint64_t>(*v));
  }
  if (*e < kMinLog2Width || *e > 1100)
    return makeError(where + llvm::formatv(": log2_width {0} is out of range", *e));
  auto h = fromParts(static_cast<int>(*e), *start, std::move(counts));
  if (!h)
    return makeError(where + ": " + llvm::toString(h.takeError()));
  return h;
}

//===----------------------------------------------------------------------===//
// ObserverStats
//===----------------------------------------------------------------------===//

void ObserverStats::observe(llvm::ArrayRef<float> data,
                            llvm::ArrayRef<int64_t> batchShape,
                            int64_t axis) {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -lo;
  uint64_t finite = 0;
  for (float v : data) {
    if (!std::isfinite(v)) {
      ++nonFinite;
      nans += std::isnan(v);
      continue;
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    absMin = std::min(absMin, std::fabs(v));
    ++finite;
  }
  shape.assign(batchShape.begin(), batchShape.end());
  ++batches;
  if (finite) {
    ++finiteBatches;
    if (count == 0) {
      min = lo, max = hi;
      firstMin = lo, firstMax = hi;
      movingMin = lo, movingMax = hi;
    } else {
      min = std::min(min, lo), max = std::max(max, hi);
      updateMovingAverages(lo, hi);
    }
    if (keepBatchExtremes)
      batchExtremes.emplace_back(lo, hi);
    count += finite;
    histogram.add(data);
    if (torchHistogram && torchHistogramError.empty()) {
      // torch raises on NaN and infinities; like the other statistics, the
      // observer takes the finite values.
      std::vector<float> values;
      values.reserve(finite);
      for (float v : data)
        if (std::isfinite(v))
          values.push_back(v);
      if (llvm::Error err = torchHistogram->observe(values))
        torchHistogramError = llvm::toString(std::move(err));
    }
  }
  // Per-channel extremes.
  if (axis < 0 || axis >= static_cast<int64_t>(batchShape.size()))
    return;
  int64_t channels = batchShape[axis];
  int64_t inner = 1;
  for (size_t d = axis + 1; d < batchShape.size(); ++d)
    inner *= batchShape[d];
  float inf = std::numeric_limits<float>::infinity();
  if (channelAxis != axis || static_cast<int64_t>(channelMin.size()) != channels) {
    channelAxis = axis;
    channelMin.assign(channels, inf);
    channelMax.assign(channels, -inf);
    channelMovingMin.assign(channels, 0.0f);
    channelMovingMax.assign(channels, 0.0f);
    channelFirstMin.assign(channels, 0.0f);
    channelFirstMax.assign(channels, 0.0f);
    channelMovingBatches.assign(channels, 0);
    channelBatchMin.clear();
    channelBatchMax.clear();
  }
  std::vector<float> lows(channels, inf), highs(channels, -inf);
  for (size_t i = 0; i < data.size(); ++i) {
    float v = data[i];
    if (!std::isfinite(v))
      continue;
    int64_t c = (static_cast<int64_t>(i) / inner) % channels;
    lows[c] = std::min(lows[c], v);
    highs[c] = std::max(highs[c], v);
  }
  for (int64_t c = 0; c < channels; ++c) {
    if (lows[c] > highs[c]) {
      // No finite value in this channel: its averages do not move.
      lows[c] = highs[c] = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    channelMin[c] = std::min(channelMin[c], lows[c]);
    channelMax[c] = std::max(channelMax[c], highs[c]);
    moveChannelAverages(c, lows[c], highs[c]);
  }
  if (keepBatchExtremes) {
    channelBatchMin.insert(channelBatchMin.end(), lows.begin(), lows.end());
    channelBatchMax.insert(channelBatchMax.end(), highs.begin(), highs.end());
  }
}

void ObserverStats::moveChannelAverages(int64_t c, float lo, float hi) {
  if (channelMovingBatches[c]++ == 0) {
    channelFirstMin[c] = channelMovingMin[c] = lo;
    channelFirstMax[c] = channelMovingMax[c] = hi;
    return;
  }
  moveAverage(channelMovingMin[c], lo);
  moveAverage(channelMovingMax[c], hi);
}

llvm::Error ObserverStats::observeMoments(llvm::ArrayRef<float> data,
                                          llvm::ArrayRef<int64_t> batchShape,
                                          int64_t axis, MomentsKind kind) {
  if (axis < 0 || axis >= static_cast<int64_t>(batchShape.size()))
    return makeError(llvm::formatv("moments on axis {0} of a rank-{1} tensor",
                                   axis, batchShape.size()));
  // X^T X grows with the square of the channels: 16384 channels take 2 GB.
  constexpr int64_t kMaxHessianChannels = 16384;
  if (!moments && kind == MomentsKind::Hessian &&
      batchShape[axis] > kMaxHessianChannels)
    return makeError(llvm::formatv(
        "X^T X of {0} input channels would take {1} GB (at most {2} channels; "
        "use moments=channels for this model)",
        batchShape[axis],
        batchShape[axis] * (batchShape[axis] + 1) / 2 * 16 / (1 << 30),
        kMaxHessianChannels));
  if (!moments)
    moments.emplace(kind, batchShape[axis]);
  else if (moments->kind != kind)
    return makeError("moments of two kinds for one observer");
  return moments->observe(data, batchShape, axis);
}

/// NumPy's pairwise summation of float32 values (its FLOAT_pairwise_sum:
/// sequential below 8 values, eight interleaved accumulators up to 128,
/// halves at multiples of 8 above), in float32.
static float numpyPairwiseSum(const float *a, size_t n) {
  if (n < 8) {
    float sum = -0.0f;
    for (size_t i = 0; i < n; ++i)
      sum += a[i];
    return sum;
  }
  if (n <= 128) {
    float r[8];
    for (size_t j = 0; j < 8; ++j)
      r[j] = a[j];
    size_t i = 8;
    for (; i < n - n % 8; i += 8)
      for (size_t j = 0; j < 8; ++j)
        r[j] += a[i + j];
    float sum =
        ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i)
      sum += a[i];
    return sum;
  }
  size_t half = n / 2;
  half -= half % 8;
  return numpyPairwiseSum(a, half) + numpyPairwiseSum(a + half, n - half);
}

float quantopt::calibration::getNumpyMeanF32(llvm::ArrayRef<float> values) {
  return getNumpySumF32(values) / static_cast<float>(values.size());
}

const OrtHistogram *ObserverStats::getOrtHistogram(unsigned bins) const {
  for (const OrtHistogram &h : ortHistograms)
    if (h.bins == bins)
      return &h;
  return nullptr;
}

float quantopt::calibration::getNumpySumF32(llvm::ArrayRef<float> values) {
  // Written out because the result must be NumPy's bits, not a better sum:
  // its reductions run the pairwise sum on blocks of its 8192-element
  // buffer, added in order to -0.0.
  constexpr size_t kNumpyBufferSize = 8192;
  float sum = -0.0f;
  for (size_t i = 0; i < values.size(); i += kNumpyBufferSize)
    sum += numpyPairwiseSum(values.data() + i,
                            std::min(kNumpyBufferSize, values.size() - i));
  return sum;
}

Range ObserverStats::getMeanBatchExtremes() const {
  std::vector<float> lows, highs;
  lows.reserve(batchExtremes.size());
  highs.reserve(batchExtremes.size());
  for (auto [lo, hi] : batchExtremes) {
    lows.push_back(lo);
    highs.push_back(hi);
  }
  return {getNumpyMeanF32(lows), getNumpyMeanF32(highs)};
}

void ObserverStats::moveAverage(float &average, float value) const {
  // torch.ao's `m + c * (x - m)` on float32 tensors (no contraction: this
  // file is compiled with -ffp-contract=off).
  average = average + averagingConstant * (value - average);
}

void ObserverStats::updateMovingAverages(float lo, float hi) {
  moveAverage(movingMin, lo);
  moveAverage(movingMax, hi);
}

/// Continues `average` (over earlier batches) through `n` later batches
/// whose own average started at `laterFirst` and reached `laterAverage`:
/// m = later_m + (1 - c)^n * (m - later_first), in double, then rounded.
static float continueAverage(float average, float laterFirst,
                             float laterAverage, uint64_t n, float c) {
  double decay = std::pow(1.0 - static_cast<double>(c), static_cast<double>(n));
  return static_cast<float>(laterAverage +
                            decay * (double(average) - laterFirst));
}

llvm::Error ObserverStats::merge(const ObserverStats &later) {
  if (later.averagingConstant != averagingConstant)
    return makeError(llvm::formatv(
        "cannot merge moving averages with averaging constants {0} and {1}",
        averagingConstant, later.averagingConstant));
  if (later.channelAxis >= 0 && channelAxis >= 0 &&
      (later.channelAxis != channelAxis ||
       later.channelMin.size() != channelMin.size()))
    return makeError("per-channel statistics of different channel axes or "
                     "channel counts");
  if (moments.has_value() != later.moments.has_value() &&
      (batches && later.batches))
    return makeError("one side has per-channel moments, the other not");
  // A torch histogram covers exactly the batches it saw, in order: it merges
  // with nothing that saw batches.
  bool hasTorch = torchHistogram && torchHistogram->isInitialized();
  bool laterHasTorch =
      later.torchHistogram && later.torchHistogram->isInitialized();
  if ((hasTorch && later.batches) || (laterHasTorch && batches))
    return makeError("torch histograms depend on the order of the batches and "
                     "do not merge: calibrate in one run");
  if (llvm::Error err = histogram.merge(later.histogram))
    return err;
  absMin = std::min(absMin, later.absMin);
  nans += later.nans;
  // ONNX Runtime's bins depend on the extremes of all the data they hold.
  if (batches && later.batches)
    ortHistograms.clear();
  else if (!batches)
    ortHistograms = later.ortHistograms;
  if (later.torchHistogram &&
      (!torchHistogram || !torchHistogram->isInitialized())) {
    torchHistogram = later.torchHistogram;
    torchHistogramError = later.torchHistogramError;
  }
  if (later.moments) {
    if (!moments)
      moments = later.moments;
    else if (llvm::Error err = moments->merge(*later.moments))
      return err;
  }
  // Both sides hold all their batches' extremes: so does the merge.
  if (hasAllBatchExtremes() && later.hasAllBatchExtremes())
    batchExtremes.insert(batchExtremes.end(), later.batchExtremes.begin(),
                         later.batchExtremes.end());
  else
    keepBatchExtremes = false, batchExtremes.clear();
  if (later.count) {
    if (count == 0) {
      min = later.min, max = later.max;
      firstMin = later.firstMin, firstMax = later.firstMax;
      movingMin = later.movingMin, movingMax = later.movingMax;
    } else if (later.batchExtremes.size() == later.finiteBatches) {
      // The later batches' extremes, replayed in order: the sequential
      // run's float32 steps, bit for bit.
      min = std::min(min, later.min), max = std::max(max, later.max);
      for (auto [lo, hi] : later.batchExtremes)
        updateMovingAverages(lo, hi);
    } else {
      min = std::min(min, later.min), max = std::max(max, later.max);
      // A sequential run would have continued this moving average through
      // the later batches: m = later_m + (1 - c)^n * (m - later_first).
      // Batches without finite values did not move the average.
      movingMin = continueAverage(movingMin, later.firstMin, later.movingMin,
                                  later.finiteBatches, averagingConstant);
      movingMax = continueAverage(movingMax, later.firstMax, later.movingMax,
                                  later.finiteBatches, averagingConstant);
    }
  }
  count += later.count;
  nonFinite += later.nonFinite;
  batches += later.batches;
  finiteBatches += later.finiteBatches;
  if (!later.shape.empty())
    shape = later.shape;
  if (later.channelAxis >= 0) {
    if (channelAxis < 0) {
      channelAxis = later.channelAxis;
      channelMin = later.channelMin;
      channelMax = later.channelMax;
      channelMovingMin = later.channelMovingMin;
      channelMovingMax = later.channelMovingMax;
      channelFirstMin = later.channelFirstMin;
      channelFirstMax = later.channelFirstMax;
      channelMovingBatches = later.channelMovingBatches;
    } else {
      mergeChannels(later);
    }
  }
  return llvm::Error::success();
}

void ObserverStats::mergeChannels(const ObserverStats &later) {
  size_t channels = channelMin.size();
  for (size_t c = 0; c < channels; ++c) {
    channelMin[c] = std::min(channelMin[c], later.channelMin[c]);
    channelMax[c] = std::max(channelMax[c], later.channelMax[c]);
  }
  // Files without per-channel moving averages (older versions) have none
  // to continue.
  if (later.channelMovingBatches.size() != channels ||
      channelMovingBatches.size() != channels) {
    channelMovingBatches.clear();
    channelMovingMin.clear(), channelMovingMax.clear();
    channelFirstMin.clear(), channelFirstMax.clear();
    return;
  }
  if (channels && later.channelBatchMin.size() % channels == 0 &&
      later.channelBatchMin.size() / channels == later.batches) {
    // Replayed batch by batch: the sequential run's float32 steps.
    for (size_t i = 0; i < later.channelBatchMin.size(); ++i)
      if (!std::isnan(later.channelBatchMin[i]))
        moveChannelAverages(i % channels, later.channelBatchMin[i],
                            later.channelBatchMax[i]);
    return;
  }
  for (size_t c = 0; c < channels; ++c) {
    uint64_t n = later.channelMovingBatches[c];
    if (n == 0)
      continue;
    if (channelMovingBatches[c] == 0) {
      channelMovingMin[c] = later.channelMovingMin[c];
      channelMovingMax[c] = later.channelMovingMax[c];
      channelFirstMin[c] = later.channelFirstMin[c];
      channelFirstMax[c] = later.channelFirstMax[c];
    } else {
      channelMovingMin[c] =
          continueAverage(channelMovingMin[c], later.channelFirstMin[c],
                          later.channelMovingMin[c], n, averagingConstant);
      channelMovingMax[c] =
          continueAverage(channelMovingMax[c], later.channelFirstMax[c],
                          later.channelMovingMax[c], n, averagingConstant);
    }
    channelMovingBatches[c] += n;
  }
}

//===----------------------------------------------------------------------===//
// Range estimators
//===----------------------------------------------------------------------===//

std::optional<Method> quantopt::calibration::parseMethodName(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Method>>(name)
      .Case("minmax", Method::MinMax)
      .Case("moving-average", Method::MovingAverage)
      .Case("percentile", Method::Percentile)
      .Case("mse", Method::Mse)
      .Case("entropy", Method::Entropy)
      .Case("torch-histogram", Method::TorchHistogram)
      .Default(std::nullopt);
}

llvm::StringRef quantopt::calibration::getMethodName(Method method) {
  switch (method) {
  case Method::MinMax:
    return "minmax";
  case Method::MovingAverage:
    return "moving-average";
  case Method::Percentile:
    return "percentile";
  case Method::Mse:
    return "mse";
  case Method::Entropy:
    return "entropy";
  case Method::TorchHistogram:
    return "torch-histogram";
  }
  return "";
}

num::SolverOptions EstimateOptions::getSolverOptions() const {
  num::SolverOptions solver;
  solver.storage = storage;
  solver.scheme = scheme;
  solver.narrowRange = narrowRange;
  solver.profile = profile;
  solver.reduceRange = reduceRange;
  return solver;
}

double quantopt::calibration::expectedSquaredError(
    const Histogram &histogram, Range range, const EstimateOptions &options) {
  auto solved =
      num::solveFromRange(range.min, range.max, options.getSolverOptions());
  if (!solved) {
    llvm::consumeError(solved.takeError());
    return std::numeric_limits<double>::infinity();
  }
  num::IntRange q = options.getSolverOptions().getIntRange();
  double scale = solved->scale;
  double zero = static_cast<double>(solved->zeroPoint);
  double repLo = (static_cast<double>(q.qmin) - zero) * scale;
  double repHi = (static_cast<double>(q.qmax) - zero) * scale;
  double inside = scale * scale / 12.0;
  double half = histogram.getWidth() / 2;
  double error = 0;
  llvm::ArrayRef<uint64_t> counts = histogram.getCounts();
  for (unsigned b = 0; b < counts.size(); ++b) {
    if (!counts[b])
      continue;
    double centre = histogram.getEdge(b) + half;
    double e;
    if (centre < repLo)
      e = (centre - repLo) * (centre - repLo);
    else if (centre > repHi)
      e = (centre - repHi) * (centre - repHi);
    else
      e = inside;
    error += static_cast<double>(counts[b]) * e;
  }
  return error;
}

static Range estimateMse(const ObserverStats &stats,
                         const EstimateOptions &options) {
  double lo0 = std::min<double>(stats.min, 0), hi0 = std::max<double>(stats.max, 0);
  if (lo0 == hi0)
    return {0, 0};
  constexpr int kSteps = 512;
  Range best{lo0, hi0};
  double bestError = std::numeric_limits<double>::infinity();
  for (int k = kSteps; k >= 1; --k) {
    double alpha = static_cast<double>(k) / kSteps;
    Range candidate{alpha * lo0, alpha * hi0};
    double error = expectedSquaredError(stats.histogram, candidate, options);
    if (error < bestError) {
      bestError = error;
      best = candidate;
    }
  }
  return best;
}

static Range estimateEntropy(const ObserverStats &stats,
                             const EstimateOptions &options) {
  const Histogram &h = stats.histogram;
  double amax0 = std::max(std::fabs(double(stats.min)), std::fabs(double(stats.max)));
  if (h.empty() || amax0 == 0)
    return {stats.min, stats.max};
  // |x| histogram on the same grid (exact: the grid is anchored at zero).
  std::vector<double> absCounts;
  llvm::ArrayRef<uint64_t> counts = h.getCounts();
  for (unsigned b = 0; b < counts.size(); ++b) {
    if (!counts[b])
      continue;
    int64_t g = h.getStart() + b;
    size_t j = g >= 0 ? g : -g - 1;
    if (absCounts.size() <= j)
      absCounts.resize(j + 1, 0);
    absCounts[j] += static_cast<double>(counts[b]);
  }
  unsigned bits = num::getStorageBitWidth(options.storage);
  size_t target = size_t(1) << (bits - 1);
  if (stats.min >= 0 && !num::isSignedStorage(options.storage))
    target = size_t(1) << bits;
  size_t numAbs = absCounts.size();
  if (numAbs <= target)
    return {stats.min, stats.max};

  std::vector<double> suffix(numAbs + 1, 0);
  for (size_t j = numAbs; j-- > 0;)
    suffix[j] = suffix[j + 1] + absCounts[j];
  double bestKL = std::numeric_limits<double>::infinity();
  size_t bestI = numAbs;
  std::vector<double> p, qv;
  for (size_t i = target; i <= numAbs; ++i) {
    p.assign(absCounts.begin(), absCounts.begin() + i);
    p[i - 1] += suffix[i];
    qv.assign(i, 0);
    size_t merged = i / target;
    for (size_t t = 0; t < target; ++t) {
      size_t begin = t * merged, end = t + 1 == target ? i : (t + 1) * merged;
      double sum = 0;
      size_t nonZero = 0;
      for (size_t j = begin; j < end; ++j)
        if (absCounts[j] != 0) {
          sum += absCounts[j];
          ++nonZero;
        }
      if (nonZero)
        for (size_t j = begin; j < end; ++j)
          if (absCounts[j] != 0)
            qv[j] = sum / static_cast<double>(nonZero);
      // As TensorRT/MXNet: the reference's last bin, which holds the
      // clipped outliers, counts as occupied even when it held nothing
      // before (it shares its chunk's mass).
      if (t + 1 == target && absCounts[i - 1] == 0 && p[i - 1] != 0 && sum != 0) {
        double share = sum / static_cast<double>(nonZero + 1);
        for (size_t j = begin; j < end; ++j)
          if (absCounts[j] != 0)
            qv[j] = share;
        qv[i - 1] = share;
      }
    }
    double pSum = 0, qSum = 0;
    for (size_t j = 0; j < i; ++j)
      pSum += p[j], qSum += qv[j];
    double kl = 0;
    for (size_t j = 0; j < i && std::isfinite(kl); ++j) {
      if (p[j] == 0)
        continue;
      double pj = p[j] / pSum, qj = qv[j] / qSum;
      kl = qj == 0 ? std::numeric_limits<double>::infinity()
                   : kl + pj * std::log(pj / qj);
    }
    if (kl < bestKL) {
      bestKL = kl;
      bestI = i;
    }
  }
  double amax = std::ldexp(static_cast<double>(bestI), h.getLog2Width());
  return {std::max<double>(stats.min, -amax), std::min<double>(stats.max, amax)};
}

llvm::Expected<Range>
quantopt::calibration::estimateRange(const ObserverStats &stats,
                                     const EstimateOptions &options) {
  if (stats.count == 0)
    return makeError("no finite values were observed");
  switch (options.method) {
  case Method::MinMax:
    return Range{stats.min, stats.max};
  case Method::MovingAverage:
    if (options.profile == num::Profile::OnnxRuntime) {
      // ONNX Runtime's MinMaxCalibrater(moving_average=True) averages the
      // batches' extremes of one collection with numpy.mean.
      if (!stats.hasAllBatchExtremes())
        return makeError("the onnxruntime profile's moving average is the "
                         "mean of every batch's extremes, which the "
                         "statistics do not hold (calibrate with quant-run "
                         "--calibrate --batch-extremes)");
      return stats.getMeanBatchExtremes();
    }
    return Range{stats.movingMin, stats.movingMax};
  case Method::Percentile: {
    if (options.profile == num::Profile::OnnxRuntime)
      return estimateOrtHistogramRange(stats, options);
    if (!(options.percentile > 50 && options.percentile <= 100))
      return makeError(llvm::formatv("percentile must be in (50, 100], got {0}",
                                     options.percentile));
    double hi = stats.histogram.quantile(options.percentile / 100);
    double lo = stats.histogram.quantile(1 - options.percentile / 100);
    return Range{std::clamp<double>(lo, stats.min, stats.max),
                 std::clamp<double>(hi, stats.min, stats.max)};
  }
  case Method::Mse:
    if (num::isFloatStorage(options.storage))
      return makeError("mse calibration needs integer storage");
    return estimateMse(stats, options);
  case Method::Entropy:
    if (num::isFloatStorage(options.storage))
      return makeError("entropy calibration needs integer storage");
    if (options.profile == num::Profile::OnnxRuntime)
      return estimateOrtHistogramRange(stats, options);
    return estimateEntropy(stats, options);
  case Method::TorchHistogram: {
    if (!stats.torchHistogramError.empty())
      return makeError("torch's HistogramObserver stopped: " +
                       stats.torchHistogramError);
    if (!stats.torchHistogram || !stats.torchHistogram->isInitialized())
      return makeError("the statistics hold no torch histogram (calibrate "
                       "with quant-run --calibrate --torch-histogram)");
    if (num::isFloatStorage(options.storage))
      return makeError("torch-histogram calibration needs integer storage");
    // torch searches over 2^bits destination bins of the quantized dtype
    // (256 for qint8 and quint8, whatever reduce_range or a custom range).
    unsigned bits = num::getStorageBitWidth(options.storage);
    auto [lo, hi] = stats.torchHistogram->searchRange(int64_t(1) << bits);
    return Range{lo, hi};
  }
  }
  return makeError("unknown method");
}

llvm::Expected<std::vector<Range>>
quantopt::calibration::estimateChannelRanges(const ObserverStats &stats,
                                             Method method) {
  if (method != Method::MinMax && method != Method::MovingAverage)
    return makeError(llvm::formatv("per-channel ranges come from minmax or "
                                   "moving-average, not {0}",
                                   getMethodName(method)));
  if (stats.channelAxis < 0)
    return makeError("the statistics hold no per-channel extremes (the "
                     "observer had no channel axis)");
  size_t channels = stats.channelMin.size();
  if (method == Method::MovingAverage &&
      stats.channelMovingBatches.size() != channels)
    return makeError("the statistics hold no per-channel moving averages "
                     "(written by an older version or merged with such a "
                     "file: calibrate again)");
  std::vector<Range> ranges;
  ranges.reserve(channels);
  for (size_t c = 0; c < channels; ++c) {
    if (stats.channelMin[c] > stats.channelMax[c])
      return makeError(llvm::formatv(
          "channel {0} of axis {1} saw no finite value", c, stats.channelAxis));
    if (method == Method::MinMax)
      ranges.push_back({stats.channelMin[c], stats.channelMax[c]});
    else
      ranges.push_back({stats.channelMovingMin[c], stats.channelMovingMax[c]});
  }
  return ranges;
}
