//===- OrtHistogramTest.cpp - ONNX Runtime's histogram calibrators --------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Hand-derived cases; test/Calibration/ort-histogram.test compares the whole
// path with a transcription of ONNX Runtime's calibrate.py on NumPy and
// SciPy.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Calibration/Calibration.h"
#include "QuantOpt/Calibration/OrtHistogram.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace quantopt::calibration;

namespace {

// numpy.histogram_bin_edges([0, 1], 4) = [0, .25, .5, .75, 1]; the last
// bin holds its right edge; values outside and NaN are dropped.
TEST(NumpyBins, EdgesAndBins) {
  NumpyBins bins(0.0f, 1.0f, 4);
  EXPECT_EQ(std::vector<float>(bins.getEdges().begin(), bins.getEdges().end()),
            (std::vector<float>{0.0f, 0.25f, 0.5f, 0.75f, 1.0f}));
  EXPECT_EQ(bins.getBin(0.0f), 0);
  EXPECT_EQ(bins.getBin(0.25f), 1);
  EXPECT_EQ(bins.getBin(0.7499999f), 2);
  EXPECT_EQ(bins.getBin(1.0f), 3);
  EXPECT_EQ(bins.getBin(-0.1f), -1);
  EXPECT_EQ(bins.getBin(1.5f), -1);
  EXPECT_EQ(bins.getBin(std::nanf("")), -1);
  std::vector<uint64_t> counts(4, 0);
  bins.add({0.1f, 0.3f, 0.3f, 1.0f, 2.0f}, counts);
  EXPECT_EQ(counts, (std::vector<uint64_t>{1, 2, 0, 1}));
}

// A degenerate range widens to [x - 0.5, x + 0.5] (numpy's
// _get_outer_edges): [1.5, 2, 2.5] for 2 bins around 2.
TEST(NumpyBins, DegenerateRange) {
  NumpyBins bins(2.0f, 2.0f, 2);
  EXPECT_EQ(std::vector<float>(bins.getEdges().begin(), bins.getEdges().end()),
            (std::vector<float>{1.5f, 2.0f, 2.5f}));
  EXPECT_EQ(bins.getBin(2.0f), 1);
  NumpyBins zero(-0.0f, 0.0f, 4);
  EXPECT_EQ(zero.getEdges().front(), -0.5f);
  EXPECT_EQ(zero.getBin(0.0f), 2);
}

// The edges are numpy.linspace in float64 rounded to float32: over
// [-0.1f, 0.1f] with 3 bins the middle edges are +-(0.1f / 3) to float32,
// not float32 arithmetic's.
TEST(NumpyBins, EdgesInFloat64) {
  NumpyBins bins(-0.1f, 0.1f, 3);
  double lo = -0.1f, step = (double(0.1f) - lo) / 3;
  EXPECT_EQ(bins.getEdges()[1], static_cast<float>(1 * step + lo));
  EXPECT_EQ(bins.getEdges()[2], static_cast<float>(2 * step + lo));
  EXPECT_EQ(bins.getEdges()[3], 0.1f);
}

// numpy.sum of float32: -0.0 plus the sum, in order below 8 values (1e8 + 1
// rounds back to 1e8); -0.0 for nothing.
TEST(NumpySum, Float32) {
  EXPECT_EQ(getNumpySumF32({1e8f, 1.0f, -1e8f, 1.0f}), 1.0f);
  float none = getNumpySumF32({});
  EXPECT_EQ(none, 0.0f);
  EXPECT_TRUE(std::signbit(none));
  EXPECT_EQ(getNumpySumF32({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), 55.0f);
}

// Absolute counts {5, 3, 1, 1} over [0, 4] (edges 0..4): cumulated
// fractions .5, .8, .9, 1. ONNX Runtime takes the edge whose index is the
// first bin whose fraction reaches p / 100 (numpy.searchsorted), i.e. that
// bin's lower edge, mirrored and clamped to [min, max].
TEST(OrtPercentile, SearchsortedEdge) {
  OrtHistogram h;
  h.bins = 4;
  h.absolute = {5, 3, 1, 1};
  h.value = {0, 0, 0, 10};
  auto at = [&](double p) { return getOrtPercentileRange(h, -4, 4, 0, p); };
  EXPECT_EQ(at(50), std::make_pair(0.0f, 0.0f));
  EXPECT_EQ(at(85), std::make_pair(-2.0f, 2.0f));
  EXPECT_EQ(at(90), std::make_pair(-2.0f, 2.0f)); // .9 reaches .9
  EXPECT_EQ(at(95), std::make_pair(-3.0f, 3.0f));
  // 100 reaches the last fraction, 1, at the last bin's lower edge.
  EXPECT_EQ(at(100), std::make_pair(-3.0f, 3.0f));
  EXPECT_EQ(getOrtPercentileRange(h, -2.5f, 4, 0, 95),
            std::make_pair(-2.5f, 3.0f));
}

// symmetric=false: the value histogram over (-4, 4) (edges -4, -2, 0, 2,
// 4), counts {1, 2, 6, 1}: fractions .1, .3, .9, 1. Percentile 80 cuts .1
// on each side: the left edge at the first fraction >= .1 (bin 0, -4), the
// right at the first >= .9 (bin 2, 0); clamped to [min, max].
TEST(OrtPercentile, TwoSided) {
  OrtHistogram h;
  h.bins = 4;
  h.value = {1, 2, 6, 1};
  h.absolute = {10, 0, 0, 0};
  EXPECT_EQ(getOrtPercentileRange(h, -4, 4, 0, 80, /*symmetric=*/false),
            std::make_pair(-4.0f, 0.0f));
  // 60 cuts .2: bin 1 (-2) and .8 -> bin 2 (0).
  EXPECT_EQ(getOrtPercentileRange(h, -4, 4, 0, 60, false),
            std::make_pair(-2.0f, 0.0f));
  EXPECT_EQ(getOrtPercentileRange(h, -3, 4, 0, 80, false),
            std::make_pair(-3.0f, 0.0f));
}

// With as many bins as quantized bins there is one candidate, the whole
// histogram, clamped to [min, max] (ONNX Runtime's defaults, 128 and 128,
// give min/max); fewer bins have no candidate.
TEST(OrtEntropy, OneCandidateAndTooFewBins) {
  OrtHistogram h;
  h.bins = 128;
  h.value.assign(128, 1);
  auto range = getOrtEntropyRange(h, -1.0f, 3.0f);
  ASSERT_TRUE(static_cast<bool>(range));
  EXPECT_EQ(*range, std::make_pair(-1.0f, 3.0f));
  h.bins = 64;
  h.value.assign(64, 1);
  auto few = getOrtEntropyRange(h, -1.0f, 3.0f);
  ASSERT_FALSE(static_cast<bool>(few));
  EXPECT_EQ(llvm::toString(few.takeError()),
            "ONNX Runtime's entropy calibration needs at least 128 histogram "
            "bins (128 quantized bins), the statistics have 64");
}

// Two candidates (4 bins, 2 quantized bins, edges -2..2). i = 1: bins 1..3
// (edges -1, 2), p = {3 + 1, 3, 1}, one bin per quantized bin plus the
// rest in the last: {3, 4}, expanded q = {3, 4, 0}, smoothed {3 - 5e-5,
// 4 - 5e-5, 1e-4}: KL ~ 0.077 - 0.158 + 1.133 = 1.05. i = 2: all four,
// p = {1, 3, 3, 1}, q = {2, 2, 2, 2}: KL = 0.25 ln .5 + 0.75 ln 1.5 ~
// 0.131, the least: the whole range.
TEST(OrtEntropy, LeastDivergence) {
  OrtHistogram h;
  h.bins = 4;
  h.value = {1, 3, 3, 1};
  auto range = getOrtEntropyRange(h, -2.0f, 2.0f, 2);
  ASSERT_TRUE(static_cast<bool>(range));
  EXPECT_EQ(*range, std::make_pair(-2.0f, 2.0f));
  // {0, 10, 10, 1}: i = 1, p = {10, 10, 1}, q = {10, 11, 0} smoothed: KL ~
  // 0 + (10/21) ln(10/11) + (1/21) ln(1e4) ~ 0.393; i = 2, q = {10, 10, 5,
  // 5} (11 / 2 truncated), KL ~ 0.170 + 0.499 - 0.060 = 0.609: the window
  // of bins 1..3 wins, edges (-1, 2).
  h.value = {0, 10, 10, 1};
  range = getOrtEntropyRange(h, -2.0f, 2.0f, 2);
  ASSERT_TRUE(static_cast<bool>(range));
  EXPECT_EQ(*range, std::make_pair(-1.0f, 2.0f));
}

} // namespace
