//===- GptqTest.cpp - GPTQ against the reference transcription ------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// data/gptq_cases.json comes from gen_gptq_cases.py: the published GPTQ
// reference (fasterquant) transcribed in python3-torch, float64, with
// QuantOpt's quantizer, run once on a 12x80 layer with correlated inputs
// and a dead input channel. Every case must give the same integer codes,
// the same parameters and the same weights at rounding time.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Algorithms/Gptq.h"
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

struct Cases {
  int64_t rows = 0, cols = 0;
  std::vector<float> weights;
  std::vector<double> hessian;
  json::Value all = nullptr;
};

using testdata::getArray;

Cases loadCases() {
  Cases c;
  c.all = testdata::load("gptq_cases.json");
  const json::Object &o = *c.all.getAsObject();
  c.rows = *o.getInteger("rows");
  c.cols = *o.getInteger("cols");
  c.weights = getArray<float>(o, "weights");
  c.hessian = getArray<double>(o, "hessian");
  return c;
}

/// tr((W - Q) H (W - Q)^T): the layer's squared output error on the
/// calibration data, up to the Hessian's factor.
double outputError(const std::vector<float> &w, const std::vector<float> &q,
                   const std::vector<double> &h, int64_t rows, int64_t cols) {
  double total = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j)
        total += (double(w[r * cols + i]) - q[r * cols + i]) * h[i * cols + j] *
                 (double(w[r * cols + j]) - q[r * cols + j]);
  return total;
}

TEST(Gptq, MatchesReferenceTranscription) {
  Cases c = loadCases();
  int checked = 0;
  for (const json::Value &value : *c.all.getAsObject()->getArray("cases")) {
    const json::Object &k = *value.getAsObject();
    std::string name = k.getString("name")->str();
    SCOPED_TRACE(name);
    num::SolverOptions solver = testdata::getSolver(k);
    GptqOptions options;
    options.blockSize = *k.getInteger("block");
    options.dampening = *k.getNumber("dampening");
    options.actOrder = *k.getBoolean("act_order");
    options.staticGroups = *k.getBoolean("static_groups");
    int64_t group = *k.getInteger("group");
    auto result = runGptq(c.weights, c.rows, c.cols, c.hessian, group, solver,
                          options);
    ASSERT_TRUE(static_cast<bool>(result)) << llvm::toString(result.takeError());

    std::vector<int64_t> codes = getArray<int64_t>(k, "codes");
    std::vector<float> weights = getArray<float>(k, "weights");
    std::vector<float> scales = getArray<float>(k, "scales");
    std::vector<int64_t> zeros = getArray<int64_t>(k, "zero_points");
    ASSERT_EQ(result->codes.size(), codes.size());
    ASSERT_EQ(result->params.size(), scales.size());
    int differentCodes = 0;
    for (size_t i = 0; i < codes.size(); ++i) {
      differentCodes += result->codes[i] != codes[i];
      EXPECT_NEAR(result->weights[i], weights[i],
                  1e-5 * std::max(1.0f, std::fabs(weights[i])))
          << "weight " << i;
    }
    EXPECT_EQ(differentCodes, 0);
    for (size_t g = 0; g < scales.size(); ++g) {
      EXPECT_EQ(result->params[g].scale, scales[g]) << "group " << g;
      EXPECT_EQ(result->params[g].zeroPoint, zeros[g]) << "group " << g;
    }
    double loss = *k.getNumber("loss");
    EXPECT_NEAR(result->loss, loss, 1e-9 * std::max(1.0, loss));

    // The point of GPTQ: less output error than rounding to nearest with the
    // same parameters' solver and granularity.
    std::vector<float> gptq(codes.size()), rtn(codes.size());
    num::IntRange range = num::getIntRange(solver.storage, solver.narrowRange);
    int64_t groups = group ? num::getNumBlocks(c.cols, group) : 1;
    for (int64_t r = 0; r < c.rows; ++r)
      for (int64_t col = 0; col < c.cols; ++col) {
        size_t i = r * c.cols + col;
        const num::QuantParams &p =
            result->params[r * groups + (group ? col / group : 0)];
        gptq[i] = num::dequantizeAffine(result->codes[i], p.scale, p.zeroPoint);
      }
    num::Granularity granularity;
    granularity.axis = 0;
    granularity.blockSize = group;
    auto rtnParams = num::solveForTensor(c.weights, {c.rows, c.cols},
                                         group ? num::Granularity{1, group}
                                               : num::Granularity{0, 0},
                                         solver);
    ASSERT_TRUE(static_cast<bool>(rtnParams));
    for (int64_t r = 0; r < c.rows; ++r)
      for (int64_t col = 0; col < c.cols; ++col) {
        size_t i = r * c.cols + col;
        const num::QuantParams &p =
            (*rtnParams)[r * groups + (group ? col / group : 0)];
        rtn[i] = num::dequantizeAffine(
            num::quantizeAffine(c.weights[i], p.scale, p.zeroPoint, range),
            p.scale, p.zeroPoint);
      }
    double eGptq = outputError(c.weights, gptq, c.hessian, c.rows, c.cols);
    double eRtn = outputError(c.weights, rtn, c.hessian, c.rows, c.cols);
    EXPECT_LT(eGptq, eRtn);
    ++checked;
  }
  EXPECT_EQ(checked, 8);
}

TEST(Gptq, Errors) {
  std::vector<float> w(6, 1.0f);
  std::vector<double> h = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  num::SolverOptions solver;
  solver.storage = num::StorageKind::I4;
  GptqOptions options;
  auto check = [&](llvm::Expected<GptqResult> r, llvm::StringRef message) {
    ASSERT_FALSE(static_cast<bool>(r));
    std::string text = llvm::toString(r.takeError());
    EXPECT_NE(text.find(message.str()), std::string::npos) << text;
  };
  check(runGptq(w, 2, 3, {1, 2}, 0, solver, options), "the Hessian has 2 entries");
  check(runGptq(w, 3, 3, h, 0, solver, options), "6 weights for a 3x3 matrix");
  options.actOrder = true;
  check(runGptq(w, 2, 3, h, 2, solver, options), "needs static groups");
  options.actOrder = false;
  std::vector<double> negative = {-1, 0, 0, 0, -1, 0, 0, 0, -1};
  options.dampening = 0;
  check(runGptq(w, 2, 3, negative, 0, solver, options), "not positive definite");
  num::SolverOptions fp8;
  fp8.storage = num::StorageKind::F8E4M3FN;
  check(runGptq(w, 2, 3, h, 0, fp8, options), "integer weight storage only");
  num::SolverOptions minval;
  minval.storage = num::StorageKind::U4;
  minval.scheme = num::Scheme::Minval;
  check(runGptq(w, 2, 3, h, 0, minval, options), "symmetric and asymmetric");
}

TEST(Gptq, IdentityHessianIsRoundToNearest) {
  // With H = I the columns are independent: nothing to compensate, so GPTQ
  // rounds every weight to nearest (hand-derived: per-row asymmetric i4).
  std::vector<float> w = {0.0f, 1.5f, -1.5f, 0.7f, 3.0f, 0.1f, 0.2f, -0.3f};
  std::vector<double> h(16, 0.0);
  for (int i = 0; i < 4; ++i)
    h[i * 4 + i] = 1;
  num::SolverOptions solver;
  solver.storage = num::StorageKind::I4;
  solver.scheme = num::Scheme::Asymmetric;
  solver.narrowRange = false;
  GptqOptions options;
  options.dampening = 0;
  auto r = runGptq(w, 2, 4, h, 0, solver, options);
  ASSERT_TRUE(static_cast<bool>(r));
  // Row 0: [-1.5, 1.5] -> s = 0.2, z = -8 - round(-7.5) = 0 (half to even).
  EXPECT_FLOAT_EQ(r->params[0].scale, 0.2f);
  EXPECT_EQ(r->params[0].zeroPoint, 0);
  EXPECT_EQ(r->codes[0], 0);
  EXPECT_EQ(r->codes[1], 7);  // 7.5 -> 8 (even), clamped to 7
  EXPECT_EQ(r->codes[2], -8); // -7.5 -> -8
  EXPECT_EQ(r->codes[3], 4);  // 3.5 -> 4
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(r->weights[i], w[i]);
}

TEST(Gptq, Cholesky) {
  // [[4, 2], [2, 5]] = L L^T with L = [[2, 0], [1, 2]].
  std::vector<double> a = {4, 2, 2, 5};
  ASSERT_TRUE(choleskyLower(a, 2));
  EXPECT_EQ(a, (std::vector<double>{2, 0, 1, 2}));
  std::vector<double> b = {1, 2, 2, 1};
  EXPECT_FALSE(choleskyLower(b, 2));
}

} // namespace
