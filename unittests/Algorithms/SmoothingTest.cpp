//===- SmoothingTest.cpp - SmoothQuant and AWQ against transcriptions -----===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// data/smoothing_cases.json comes from gen_smoothing_cases.py: smooth.py's
// scales and llm-awq's auto_scale / auto_clip transcribed in numpy, run on
// the input rows (AWQ's errors measured on X itself), with QuantOpt's
// quantizer. QuantOpt measures the same errors through X^T X: the chosen
// alpha, the scales and the clipped weights must be the same, and every
// candidate's error equal up to rounding.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Algorithms/Smoothing.h"
#include "TestData.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace quantopt;
using namespace quantopt::algorithms;
namespace num = quantopt::numerics;
namespace json = llvm::json;

namespace {

using testdata::getArray;

json::Value load() { return testdata::load("smoothing_cases.json"); }

TEST(SmoothQuant, MatchesReference) {
  json::Value all = load();
  const json::Object &o = *all.getAsObject();
  int64_t rows = *o.getInteger("rows"), cols = *o.getInteger("cols");
  std::vector<float> w = getArray<float>(o, "weights");
  std::vector<float> actMax = getArray<float>(o, "act_abs_max");
  int checked = 0;
  for (const json::Value &c : *o.getArray("smoothquant")) {
    const json::Object &k = *c.getAsObject();
    auto scales = computeSmoothQuantScales(w, rows, cols, actMax,
                                           *k.getNumber("alpha"));
    ASSERT_TRUE(static_cast<bool>(scales));
    std::vector<float> expected = getArray<float>(k, "scales");
    ASSERT_EQ(scales->size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i)
      EXPECT_NEAR((*scales)[i], expected[i], 1e-6f * expected[i]) << i;
    ++checked;
  }
  EXPECT_EQ(checked, 2);
  EXPECT_FALSE(static_cast<bool>(
      computeSmoothQuantScales(w, rows, cols, actMax, 1.5)));
  EXPECT_FALSE(static_cast<bool>(
      computeSmoothQuantScales(w, rows, cols, {1.0f}, 0.5)));
}

TEST(Awq, MatchesReference) {
  json::Value all = load();
  const json::Object &o = *all.getAsObject();
  int64_t rows = *o.getInteger("rows"), cols = *o.getInteger("cols");
  std::vector<float> w = getArray<float>(o, "weights");
  std::vector<double> h = getArray<double>(o, "hessian");
  std::vector<double> meanAbs = getArray<double>(o, "mean_abs");
  int checked = 0;
  for (const json::Value &c : *o.getArray("awq")) {
    const json::Object &k = *c.getAsObject();
    SCOPED_TRACE(checked);
    num::SolverOptions solver = testdata::getSolver(k);
    AwqOptions options;
    options.clip = *k.getBoolean("clip");
    auto r = runAwq(w, rows, cols, meanAbs, h, *k.getInteger("group"), solver,
                    options);
    ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
    EXPECT_FLOAT_EQ(r->alpha, *k.getNumber("alpha"));
    std::vector<float> scales = getArray<float>(k, "scales");
    for (size_t i = 0; i < scales.size(); ++i)
      EXPECT_NEAR(r->scales[i], scales[i], 1e-6f * scales[i]) << i;
    std::vector<double> errors = getArray<double>(k, "errors_over_rows");
    ASSERT_EQ(r->errors.size(), errors.size());
    // mean |x| is a float32 mean in the transcription and a double one here:
    // the scales (and through them the errors) differ in the last bits.
    for (size_t i = 0; i < errors.size(); ++i)
      EXPECT_NEAR(r->errors[i], errors[i], 1e-5 * errors[i]) << "alpha #" << i;
    std::vector<float> weights = getArray<float>(k, "weights");
    for (size_t i = 0; i < weights.size(); ++i)
      EXPECT_NEAR(r->weights[i], weights[i], 1e-5f * std::fabs(weights[i]) + 1e-7f)
          << i;
    // The point: the chosen scales beat plain rounding (alpha = 0).
    EXPECT_LT(*std::min_element(r->errors.begin(), r->errors.end()),
              r->errors[0]);
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

TEST(Awq, HandDerivedOutputError) {
  // A = [[1, 2]], B = [[0, 1]]: D = [1, 1]; H = [[2, 1], [1, 3]] -> 7.
  EXPECT_EQ(outputError({1, 2}, {0, 1}, 1, 2, {2, 1, 1, 3}), 7.0);
}

} // namespace
