//===- TorchHistogram.cpp - torch.ao's HistogramObserver, bit for bit -----===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// A transcription of torch 1.13's HistogramObserver (observer.py) and of the
// ATen CPU kernels it calls (histc, the float32 cascade sum, floor
// division), each float32 operation rounded on its own: this file is
// compiled with -ffp-contract=off. Python floats are doubles; a Python float
// in a float32 tensor operation is rounded to float32 first.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Calibration/TorchHistogram.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace quantopt::calibration;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// at::native::utils::CeilLog2.
int64_t ceilLog2(int64_t x) {
  if (x <= 2)
    return 1;
  int64_t bits = 0;
  for (uint64_t v = static_cast<uint64_t>(x - 1); v; v >>= 1)
    ++bits;
  return bits;
}

/// SumKernel.cpp's multi_row_sum over `size` rows of `width` floats: four
/// levels of accumulators, each flushed into the next every 2^levelPower
/// rows.
std::vector<float> multiRowSum(const float *rows, int64_t size, int64_t width) {
  constexpr int64_t numLevels = 4;
  const int64_t levelPower = std::max<int64_t>(4, ceilLog2(size) / numLevels);
  const int64_t levelStep = int64_t(1) << levelPower;
  const int64_t levelMask = levelStep - 1;
  std::vector<float> acc(numLevels * width, 0.0f);
  auto add = [&](int64_t to, const float *from) {
    for (int64_t k = 0; k < width; ++k)
      acc[to * width + k] = acc[to * width + k] + from[k];
  };
  int64_t i = 0;
  while (i + levelStep <= size) {
    for (int64_t s = 0; s < levelStep; ++s, ++i)
      add(0, rows + i * width);
    for (int64_t j = 1; j < numLevels; ++j) {
      add(j, &acc[(j - 1) * width]);
      std::fill_n(acc.begin() + (j - 1) * width, width, 0.0f);
      if ((i & (levelMask << (j * levelPower))) != 0)
        break;
    }
  }
  for (; i < size; ++i)
    add(0, rows + i * width);
  for (int64_t j = 1; j < numLevels; ++j)
    add(0, &acc[j * width]);
  acc.resize(width);
  return acc;
}

/// row_sum with four interleaved accumulators of `width` lanes over `count`
/// rows; returns the lanes of the first accumulator after the others are
/// added to it.
std::vector<float> rowSum(const float *rows, int64_t count, int64_t width) {
  const int64_t ilp = 4;
  int64_t sizeIlp = count / ilp;
  std::vector<float> part(ilp * width, 0.0f);
  if (sizeIlp > 0)
    part = multiRowSum(rows, sizeIlp, ilp * width);
  for (int64_t i = sizeIlp * ilp; i < count; ++i)
    for (int64_t k = 0; k < width; ++k)
      part[k] = part[k] + rows[i * width + k];
  for (int64_t j = 1; j < ilp; ++j)
    for (int64_t k = 0; k < width; ++k)
      part[k] = part[k] + part[j * width + k];
  part.resize(width);
  return part;
}

/// c10::div_floor_floating.
float divFloor(float a, float b) {
  if (b == 0.0f)
    return a / b;
  float mod = std::fmod(a, b);
  float div = (a - mod) / b;
  if (mod != 0.0f && (b < 0.0f) != (mod < 0.0f))
    div = div - 1.0f;
  if (div == 0.0f)
    return std::copysign(0.0f, a / b);
  float floored = std::floor(div);
  if (div - floored > 0.5f)
    floored = floored + 1.0f;
  return floored;
}

} // namespace

float quantopt::calibration::torchSum(llvm::ArrayRef<float> values) {
  constexpr int64_t lanes = 8; // Vectorized<float>::size() (DEFAULT, AVX2)
  int64_t n = static_cast<int64_t>(values.size());
  if (n < lanes)
    return 0.0f + rowSum(values.data(), n, 1)[0];
  int64_t vectors = n / lanes;
  std::vector<float> part = rowSum(values.data(), vectors, lanes);
  float total = 0.0f;
  for (int64_t k = vectors * lanes; k < n; ++k) // the scalar tail first
    total = total + values[k];
  for (int64_t k = 0; k < lanes; ++k)
    total = total + part[k];
  return 0.0f + total;
}

llvm::Expected<std::vector<float>>
quantopt::calibration::torchHistc(llvm::ArrayRef<float> values, int64_t bins,
                                  double lo, double hi) {
  if (lo == hi && !values.empty()) {
    if (llvm::any_of(values, [](float v) { return std::isnan(v); }))
      return fail("torch.histc: the range of the data is not finite");
    auto [mn, mx] = std::minmax_element(values.begin(), values.end());
    lo = *mn;
    hi = *mx;
  }
  if (lo == hi) {
    lo -= 1.0;
    hi += 1.0;
  }
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
    return fail(llvm::formatv("torch.histc: range [{0}, {1}] is not finite "
                              "and increasing",
                              lo, hi));
  // linspace's first and last edges are the endpoints, in float32.
  const float left = static_cast<float>(lo), right = static_cast<float>(hi);
  const float width = right - left, count = static_cast<float>(bins);
  std::vector<float> histogram(bins, 0.0f);
  for (float v : values) {
    if (v < left || right < v)
      continue; // (NaN is not skipped: it lands in bin 0, as in ATen)
    float t = (v - left) / width;
    t = t * count;
    int64_t pos = std::isnan(t) ? 0 : static_cast<int64_t>(t);
    if (pos == bins)
      pos = bins - 1;
    histogram[pos] = histogram[pos] + 1.0f;
  }
  return histogram;
}

TorchHistogramObserver::TorchHistogramObserver(int64_t bins,
                                               int64_t upsampleRate)
    : bins(bins), upsampleRate(upsampleRate), histogram(bins, 0.0f) {}

llvm::Expected<TorchHistogramObserver>
TorchHistogramObserver::fromState(int64_t bins, int64_t upsampleRate, float min,
                                  float max, std::vector<float> histogram) {
  if (bins < 1 || upsampleRate < 1 ||
      static_cast<int64_t>(histogram.size()) != bins || !std::isfinite(min) ||
      !std::isfinite(max) || min > max)
    return fail(llvm::formatv("a torch histogram needs {0} counts and a "
                              "finite range",
                              bins));
  TorchHistogramObserver observer(bins, upsampleRate);
  observer.initialized = true;
  observer.minVal = min;
  observer.maxVal = max;
  observer.histogram = std::move(histogram);
  return observer;
}

llvm::Error TorchHistogramObserver::observe(llvm::ArrayRef<float> batch) {
  if (batch.empty())
    return llvm::Error::success();
  if (llvm::any_of(batch, [](float v) { return !std::isfinite(v); }))
    return fail("torch's HistogramObserver cannot take NaN or infinite values "
                "(int() of its range raises)");
  auto [lowest, highest] = std::minmax_element(batch.begin(), batch.end());
  float newMin = *lowest, newMax = *highest;
  if (!initialized || minVal == maxVal) {
    // The first batch, or one after constant data: start over.
    auto h = torchHistc(batch, bins, std::trunc(static_cast<double>(newMin)),
                        std::trunc(static_cast<double>(newMax)));
    if (!h)
      return h.takeError();
    initialized = true;
    minVal = newMin;
    maxVal = newMax;
    histogram = std::move(*h);
    return llvm::Error::success();
  }
  // _adjust_min_max, in float32 tensor arithmetic.
  float combinedMin = std::min(newMin, minVal);
  float combinedMax = std::max(newMax, maxVal);
  float binWidth = (maxVal - minVal) / static_cast<float>(bins * upsampleRate);
  float span = static_cast<float>(bins) * binWidth;
  float range = combinedMax - combinedMin;
  float ratio = range / span;
  double downsample = std::ceil(ratio);
  if (!(downsample >= 1.0) || downsample > 1e12)
    return fail(llvm::formatv("torch's HistogramObserver cannot combine the "
                              "range [{0}, {1}] with [{2}, {3}]",
                              minVal, maxVal, newMin, newMax));
  int64_t downsampleRate = static_cast<int64_t>(downsample);
  float extra = static_cast<float>(downsampleRate) * span - range;
  combinedMax = combinedMax + extra;
  float offset = (minVal - combinedMin) / binWidth;
  int64_t startIdx = static_cast<int64_t>(std::nearbyint(offset));
  auto h = torchHistc(batch, bins, std::trunc(static_cast<double>(combinedMin)),
                      std::trunc(static_cast<double>(combinedMax)));
  if (!h)
    return h.takeError();
  std::vector<float> combined = std::move(*h);
  if (combinedMin == minVal && combinedMax == maxVal) {
    for (int64_t i = 0; i < bins; ++i)
      combined[i] = combined[i] + histogram[i];
  } else {
    // _combine_histograms: the old histogram upsampled by `upsampleRate`
    // from `startIdx` on a grid of bins * downsampleRate, its double prefix
    // sums read every downsampleRate entries; the shifted copy is stored in
    // a float32 tensor.
    int64_t upsampled = bins * upsampleRate;
    if (startIdx < 0 || startIdx + upsampled > bins * downsampleRate)
      return fail("torch's HistogramObserver cannot place the histogram in "
                  "the combined range");
    // torch allocates bins * downsampleRate floats for the grid; far beyond
    // memory it fails, and so does this.
    if (bins * downsampleRate > (int64_t(1) << 34))
      return fail(llvm::formatv("torch's HistogramObserver cannot combine the "
                                "range [{0}, {1}] with [{2}, {3}]: a grid of "
                                "{4} bins",
                                minVal, maxVal, newMin, newMax,
                                bins * downsampleRate));
    double running = 0.0;
    float previous = 0.0f;
    for (int64_t i = 0; i < bins; ++i) {
      // The grid's prefix sum up to (i + 1) * downsampleRate: only the
      // upsampled window is not zero, and adding zeros changes no double.
      int64_t begin = std::max(i * downsampleRate, startIdx);
      int64_t end = std::min((i + 1) * downsampleRate, startIdx + upsampled);
      for (int64_t j = begin; j < end; ++j)
        running +=
            static_cast<double>(histogram[(j - startIdx) / upsampleRate]);
      double shifted = i == 0 ? 0.0 : static_cast<double>(previous);
      float interpolated = static_cast<float>(
          (running - shifted) / static_cast<double>(upsampleRate));
      combined[i] = combined[i] + interpolated;
      previous = static_cast<float>(running);
    }
  }
  minVal = combinedMin;
  maxVal = combinedMax;
  histogram = std::move(combined);
  return llvm::Error::success();
}

double TorchHistogramObserver::quantizationError(int64_t startBin,
                                                 int64_t endBin,
                                                 int64_t dstBins) const {
  double binWidth =
      (static_cast<double>(maxVal) - static_cast<double>(minVal)) /
      static_cast<double>(bins);
  double dstBinWidth = binWidth * static_cast<double>(endBin - startBin + 1) /
                       static_cast<double>(dstBins);
  if (dstBinWidth == 0.0)
    return 0.0;
  const float bw = static_cast<float>(binWidth);
  const float dbw = static_cast<float>(dstBinWidth);
  const float half = static_cast<float>(dstBinWidth / 2);
  const float negHalf = static_cast<float>(-dstBinWidth / 2);
  const float top = static_cast<float>(dstBins - 1);
  auto cube = [](float v) { return (v * v) * v; };
  // _get_norm without the density: (end^3 - begin^3) / 3.
  auto norm = [&](float begin, float end) {
    return (cube(end) - cube(begin)) / 3.0f;
  };
  const float middle = norm(negHalf, half);
  std::vector<float> norms(bins);
  for (int64_t i = 0; i < bins; ++i) {
    float srcBegin = static_cast<float>(i - startBin) * bw;
    float srcEnd = srcBegin + bw;
    float dstOfBegin = std::min(std::max(divFloor(srcBegin, dbw), 0.0f), top);
    float dstOfBeginCenter = (dstOfBegin + 0.5f) * dbw;
    float dstOfEnd = std::min(std::max(divFloor(srcEnd, dbw), 0.0f), top);
    float density = histogram[i] / bw;
    float n = 0.0f + density * norm(srcBegin - dstOfBeginCenter, half);
    n = n + ((dstOfEnd - dstOfBegin) - 1.0f) * (density * middle);
    float dstOfEndCenter = dstOfEnd * dbw + half;
    n = n + density * norm(negHalf, srcEnd - dstOfEndCenter);
    norms[i] = n;
  }
  return static_cast<double>(torchSum(norms));
}

std::pair<float, float>
TorchHistogramObserver::searchRange(int64_t dstBins) const {
  const float binWidth = (maxVal - minVal) / static_cast<float>(bins);
  const double total = static_cast<double>(torchSum(histogram));
  std::vector<float> cumulative(bins);
  double running = 0.0;
  for (int64_t i = 0; i < bins; ++i) {
    running += static_cast<double>(histogram[i]);
    cumulative[i] = static_cast<float>(running);
  }
  const double step = 1e-5;
  double alpha = 0.0, beta = 1.0;
  int64_t startBin = 0, endBin = bins - 1;
  double normMin = std::numeric_limits<double>::infinity();
  while (alpha < beta) {
    double nextAlpha = alpha + step, nextBeta = beta - step;
    // The tensor-with-Python-float comparisons run in float32.
    float lowTarget = static_cast<float>(nextAlpha * total);
    float highTarget = static_cast<float>(nextBeta * total);
    int64_t l = startBin, r = endBin;
    while (l < endBin && cumulative[l] < lowTarget)
      ++l;
    while (r > startBin && cumulative[r] > highTarget)
      --r;
    int64_t nextStart = startBin, nextEnd = endBin;
    if ((l - startBin) > (endBin - r)) {
      nextStart = l;
      alpha = nextAlpha;
    } else {
      nextEnd = r;
      beta = nextBeta;
    }
    if (nextStart == startBin && nextEnd == endBin)
      continue;
    double n = quantizationError(nextStart, nextEnd, dstBins);
    if (n > normMin)
      break;
    normMin = n;
    startBin = nextStart;
    endBin = nextEnd;
  }
  float newMin = minVal + binWidth * static_cast<float>(startBin);
  float newMax = minVal + binWidth * static_cast<float>(endBin + 1);
  return {newMin, newMax};
}
