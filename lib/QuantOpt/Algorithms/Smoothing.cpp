//===- Smoothing.cpp - SmoothQuant and AWQ scales -------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Algorithms/Smoothing.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace quantopt;
using namespace quantopt::algorithms;
namespace num = quantopt::numerics;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static llvm::Error checkShapes(llvm::ArrayRef<float> weights, int64_t rows,
                               int64_t cols, size_t perChannel,
                               llvm::StringRef what) {
  if (rows <= 0 || cols <= 0 ||
      weights.size() != static_cast<size_t>(rows * cols))
    return fail(llvm::formatv("{0}: {1} weights for a {2}x{3} matrix", what,
                              weights.size(), rows, cols));
  if (perChannel != static_cast<size_t>(cols))
    return fail(llvm::formatv("{0}: statistics of {1} input channels for a "
                              "weight with {2}",
                              what, perChannel, cols));
  for (float w : weights)
    if (!std::isfinite(w))
      return fail(what + ": a weight is not finite");
  return llvm::Error::success();
}

llvm::Expected<std::vector<float>> quantopt::algorithms::computeSmoothQuantScales(
    llvm::ArrayRef<float> weights, int64_t rows, int64_t cols,
    llvm::ArrayRef<float> actAbsMax, double alpha) {
  if (llvm::Error err =
          checkShapes(weights, rows, cols, actAbsMax.size(), "smoothquant"))
    return std::move(err);
  if (!(alpha >= 0 && alpha <= 1))
    return fail("smoothquant: alpha must be in [0, 1]");
  float a = static_cast<float>(alpha);
  std::vector<float> scales(cols);
  for (int64_t c = 0; c < cols; ++c) {
    if (!std::isfinite(actAbsMax[c]) || actAbsMax[c] < 0)
      return fail("smoothquant: an activation maximum is not finite");
    float wmax = 0;
    for (int64_t r = 0; r < rows; ++r)
      wmax = std::max(wmax, std::fabs(weights[r * cols + c]));
    wmax = std::max(wmax, 1e-5f);
    float s = std::pow(actAbsMax[c], a) / std::pow(wmax, 1.0f - a);
    scales[c] = std::max(s, 1e-5f);
  }
  return scales;
}

/// The parameters of `count` values from `first`, as QuantOpt's solver
/// gives them.
static llvm::Expected<num::QuantParams>
solveGroup(const float *first, int64_t count,
           const num::SolverOptions &solver) {
  auto [lo, hi] = std::minmax_element(first, first + count);
  return num::solveFromRange(*lo, *hi, solver);
}

llvm::Expected<std::vector<float>> quantopt::algorithms::fakeQuantizeRows(
    llvm::ArrayRef<float> weights, int64_t rows, int64_t cols,
    int64_t groupSize, const num::SolverOptions &solver) {
  if (num::isFloatStorage(solver.storage) ||
      solver.storage == num::StorageKind::I32 ||
      solver.scheme == num::Scheme::Minval)
    return fail("integer weight storage with the symmetric or asymmetric "
                "scheme only");
  num::IntRange range = solver.getIntRange();
  int64_t group = groupSize ? groupSize : cols;
  std::vector<float> out(weights.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c0 = 0; c0 < cols; c0 += group) {
      int64_t count = std::min(group, cols - c0);
      const float *w = &weights[r * cols + c0];
      auto p = solveGroup(w, count, solver);
      if (!p)
        return p.takeError();
      for (int64_t i = 0; i < count; ++i)
        out[r * cols + c0 + i] = num::dequantizeAffine(
            num::quantizeAffine(w[i], p->scale, p->zeroPoint, range),
            p->scale, p->zeroPoint);
    }
  return out;
}

double quantopt::algorithms::outputError(llvm::ArrayRef<float> a,
                                         llvm::ArrayRef<float> b, int64_t rows,
                                         int64_t cols,
                                         llvm::ArrayRef<double> hessian) {
  double total = 0;
  std::vector<double> d(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c)
      d[c] = double(a[r * cols + c]) - double(b[r * cols + c]);
    for (int64_t i = 0; i < cols; ++i) {
      if (d[i] == 0)
        continue;
      const double *h = &hessian[i * cols];
      double t = 0;
      for (int64_t j = 0; j < cols; ++j)
        t += h[j] * d[j];
      total += d[i] * t;
    }
  }
  return total;
}

llvm::Expected<AwqResult> quantopt::algorithms::runAwq(
    llvm::ArrayRef<float> weights, int64_t rows, int64_t cols,
    llvm::ArrayRef<double> meanAbs, llvm::ArrayRef<double> hessian,
    int64_t groupSize, const num::SolverOptions &solver,
    const AwqOptions &options) {
  if (llvm::Error err = checkShapes(weights, rows, cols, meanAbs.size(), "awq"))
    return std::move(err);
  if (hessian.size() != static_cast<size_t>(cols * cols))
    return fail(llvm::formatv("awq: the Hessian has {0} entries, {1} expected",
                              hessian.size(), cols * cols));
  if (options.grid < 1 || options.clipGrid < 1 ||
      !(options.maxShrink >= 0 && options.maxShrink < 1) || groupSize < 0)
    return fail("awq: grids must be positive and max-shrink in [0, 1)");

  // The scale search (auto_scale): s = mean|x|^a, clamped at 1e-4 and
  // normalized by sqrt(max s * min s); W~ = Q(W diag(s)) diag(s)^-1.
  AwqResult result;
  double best = std::numeric_limits<double>::infinity();
  std::vector<float> scaled(weights.size());
  for (int64_t k = 0; k < options.grid; ++k) {
    float ratio = static_cast<float>(k) / static_cast<float>(options.grid);
    std::vector<float> s(cols);
    for (int64_t c = 0; c < cols; ++c)
      s[c] = std::max(std::pow(static_cast<float>(meanAbs[c]), ratio), 1e-4f);
    auto [lo, hi] = std::minmax_element(s.begin(), s.end());
    float norm = std::sqrt(*hi * *lo);
    for (float &v : s)
      v /= norm;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        scaled[r * cols + c] = weights[r * cols + c] * s[c];
    auto q = fakeQuantizeRows(scaled, rows, cols, groupSize, solver);
    if (!q)
      return q.takeError();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        (*q)[r * cols + c] /= s[c];
    double error = outputError(weights, *q, rows, cols, hessian);
    result.errors.push_back(error);
    if (error < best) {
      best = error;
      result.alpha = ratio;
      result.scales = s;
    }
  }
  if (result.scales.empty())
    return fail("awq: no candidate scale gave a finite error");
  result.weights.resize(weights.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      result.weights[r * cols + c] = weights[r * cols + c] * result.scales[c];
  if (!options.clip)
    return result;

  // The clipping search (auto_clip), on the scaled weights: per row and
  // group, the range +-max|w| * (1 - k / clipGrid) whose quantization moves
  // the group's output least, tr over the group's block of X^T X (scaled
  // with the inputs, x / s).
  int64_t group = groupSize ? groupSize : cols;
  std::vector<double> h(hessian.begin(), hessian.end());
  for (int64_t i = 0; i < cols; ++i)
    for (int64_t j = 0; j < cols; ++j)
      h[i * cols + j] /= double(result.scales[i]) * result.scales[j];
  num::IntRange range = solver.getIntRange();
  int64_t shrinkSteps =
      static_cast<int64_t>(options.maxShrink * options.clipGrid);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c0 = 0; c0 < cols; c0 += group) {
      int64_t count = std::min(group, cols - c0);
      float *w = &result.weights[r * cols + c0];
      float maxAbs = 0;
      for (int64_t i = 0; i < count; ++i)
        maxAbs = std::max(maxAbs, std::fabs(w[i]));
      std::vector<float> original(w, w + count), clipped(count), q(count);
      double bestErr = std::numeric_limits<double>::infinity();
      float bestMax = maxAbs;
      for (int64_t k = 0; k < std::max<int64_t>(shrinkSteps, 1); ++k) {
        float limit = maxAbs * (1 - static_cast<float>(k) / options.clipGrid);
        for (int64_t i = 0; i < count; ++i)
          clipped[i] = std::min(std::max(original[i], -limit), limit);
        auto p = solveGroup(clipped.data(), count, solver);
        if (!p)
          return p.takeError();
        for (int64_t i = 0; i < count; ++i)
          q[i] = num::dequantizeAffine(
              num::quantizeAffine(clipped[i], p->scale, p->zeroPoint, range),
              p->scale, p->zeroPoint);
        double err = 0;
        for (int64_t i = 0; i < count; ++i) {
          double di = double(original[i]) - q[i];
          if (di == 0)
            continue;
          double t = 0;
          for (int64_t j = 0; j < count; ++j)
            t += h[(c0 + i) * cols + c0 + j] * (double(original[j]) - q[j]);
          err += di * t;
        }
        if (err < bestErr) {
          bestErr = err;
          bestMax = limit;
        }
      }
      for (int64_t i = 0; i < count; ++i)
        w[i] = std::min(std::max(original[i], -bestMax), bestMax);
    }
  return result;
}
