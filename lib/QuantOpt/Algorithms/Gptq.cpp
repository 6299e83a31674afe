//===- Gptq.cpp - GPTQ weight quantization --------------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Algorithms/Gptq.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace quantopt;
using namespace quantopt::algorithms;
namespace num = quantopt::numerics;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

bool quantopt::algorithms::choleskyLower(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double *rowJ = &a[j * n];
    double s = rowJ[j];
    for (int64_t k = 0; k < j; ++k)
      s -= rowJ[k] * rowJ[k];
    if (!(s > 0) || !std::isfinite(s))
      return false;
    double d = std::sqrt(s);
    rowJ[j] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double *rowI = &a[i * n];
      double t = rowI[j];
      for (int64_t k = 0; k < j; ++k)
        t -= rowI[k] * rowJ[k];
      rowI[j] = t / d;
    }
    for (int64_t i = j + 1; i < n; ++i)
      rowJ[i] = 0;
  }
  return true;
}

/// The upper Cholesky factor `U` of `H^-1` (`H^-1 = U^T U`), the
/// reference's `cholesky(cholesky_inverse(cholesky(H)), upper=True)`.
static bool getInverseCholeskyUpper(std::vector<double> h, int64_t n,
                                    std::vector<double> &u) {
  if (!choleskyLower(h, n))
    return false;
  // Linv = L^-1 (lower), column by column by forward substitution.
  std::vector<double> linv(n * n, 0.0);
  for (int64_t c = 0; c < n; ++c) {
    linv[c * n + c] = 1.0 / h[c * n + c];
    for (int64_t i = c + 1; i < n; ++i) {
      double t = 0;
      for (int64_t k = c; k < i; ++k)
        t -= h[i * n + k] * linv[k * n + c];
      linv[i * n + c] = t / h[i * n + i];
    }
  }
  // H^-1 = Linv^T Linv.
  std::vector<double> inv(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double t = 0;
      for (int64_t k = i; k < n; ++k)
        t += linv[k * n + i] * linv[k * n + j];
      inv[i * n + j] = inv[j * n + i] = t;
    }
  if (!choleskyLower(inv, n))
    return false;
  u.assign(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j)
      u[i * n + j] = inv[j * n + i];
  return true;
}

llvm::Expected<GptqResult>
quantopt::algorithms::runGptq(llvm::ArrayRef<float> weights, int64_t rows,
                              int64_t cols, llvm::ArrayRef<double> hessian,
                              int64_t groupSize,
                              const num::SolverOptions &solver,
                              const GptqOptions &options) {
  if (rows <= 0 || cols <= 0 ||
      weights.size() != static_cast<size_t>(rows * cols))
    return fail(llvm::formatv("gptq: {0} weights for a {1}x{2} matrix",
                              weights.size(), rows, cols));
  if (hessian.size() != static_cast<size_t>(cols * cols))
    return fail(llvm::formatv("gptq: the Hessian has {0} entries, the layer "
                              "{1} input channels ({2} expected)",
                              hessian.size(), cols, cols * cols));
  if (num::isFloatStorage(solver.storage) ||
      solver.storage == num::StorageKind::I32)
    return fail("gptq: integer weight storage only (i2..i16, u2..u16)");
  if (solver.scheme == num::Scheme::Minval)
    return fail("gptq: the symmetric and asymmetric schemes only");
  if (groupSize < 0 || options.blockSize <= 0)
    return fail("gptq: the group and block sizes must be positive");
  if (!(options.dampening >= 0) || !std::isfinite(options.dampening))
    return fail("gptq: the dampening must be a non-negative number");
  if (options.actOrder && groupSize > 0 && !options.staticGroups)
    return fail("gptq: activation order with groups needs static groups "
                "(blocked parameters cover contiguous columns)");
  for (double v : hessian)
    if (!std::isfinite(v))
      return fail("gptq: the Hessian has a non-finite entry");
  for (float v : weights)
    if (!std::isfinite(v))
      return fail("gptq: a weight is not finite");

  num::IntRange range = solver.getIntRange();
  int64_t numGroups = groupSize ? num::getNumBlocks(cols, groupSize) : 1;
  auto solve = [&](double lo, double hi) {
    return num::solveFromRange(lo, hi, solver);
  };
  // The parameters of `count` columns from `first` of `w` (row-major with
  // `stride` columns), row by row.
  auto solveColumns = [&](const std::vector<double> &w, int64_t stride,
                          int64_t first, int64_t count,
                          std::vector<num::QuantParams> &out) -> llvm::Error {
    out.resize(rows);
    for (int64_t r = 0; r < rows; ++r) {
      const double *row = &w[r * stride + first];
      auto [lo, hi] = std::minmax_element(row, row + count);
      auto p = solve(std::min(*lo, 0.0), std::max(*hi, 0.0));
      if (!p)
        return p.takeError();
      out[r] = *p;
    }
    return llvm::Error::success();
  };

  std::vector<double> w(weights.begin(), weights.end());
  std::vector<double> h(hessian.begin(), hessian.end());
  GptqResult result;
  result.params.resize(rows * numGroups);

  // Per-row parameters come from the weights as given (the reference's
  // find_params before anything else).
  std::vector<num::QuantParams> current;
  if (!groupSize) {
    if (llvm::Error err = solveColumns(w, cols, 0, cols, current))
      return std::move(err);
    for (int64_t r = 0; r < rows; ++r)
      result.params[r] = current[r];
  }

  // Dead inputs (never non-zero in the calibration data): their weights
  // cannot matter, so they become 0.
  for (int64_t c = 0; c < cols; ++c)
    if (h[c * cols + c] == 0) {
      h[c * cols + c] = 1;
      for (int64_t r = 0; r < rows; ++r)
        w[r * cols + c] = 0;
    }

  // Static groups: from the weights before any update.
  std::vector<std::vector<num::QuantParams>> groups;
  if (groupSize && options.staticGroups) {
    groups.resize(numGroups);
    for (int64_t g = 0; g < numGroups; ++g) {
      int64_t first = g * groupSize;
      if (llvm::Error err = solveColumns(
              w, cols, first, std::min(groupSize, cols - first), groups[g]))
        return std::move(err);
      for (int64_t r = 0; r < rows; ++r)
        result.params[r * numGroups + g] = groups[g][r];
    }
  }

  // Activation order: the columns by descending diag(H); ties keep their
  // order (a stable sort).
  std::vector<int64_t> perm(cols);
  std::iota(perm.begin(), perm.end(), 0);
  if (options.actOrder) {
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
      return h[a * cols + a] > h[b * cols + b];
    });
    std::vector<double> pw(w.size()), ph(h.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        pw[r * cols + c] = w[r * cols + perm[c]];
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j)
        ph[i * cols + j] = h[perm[i] * cols + perm[j]];
    w.swap(pw);
    h.swap(ph);
  }

  double mean = 0;
  for (int64_t c = 0; c < cols; ++c)
    mean += h[c * cols + c];
  mean /= cols;
  for (int64_t c = 0; c < cols; ++c)
    h[c * cols + c] += options.dampening * mean;
  std::vector<double> u;
  if (!getInverseCholeskyUpper(std::move(h), cols, u))
    return fail("gptq: the dampened Hessian is not positive definite "
                "(increase the dampening)");

  // Outputs in the processing order; un-permuted at the end.
  std::vector<float> rounded(rows * cols);
  std::vector<int64_t> codes(rows * cols);
  for (int64_t i1 = 0; i1 < cols; i1 += options.blockSize) {
    int64_t i2 = std::min(i1 + options.blockSize, cols);
    int64_t count = i2 - i1;
    std::vector<double> w1(rows * count), err1(rows * count);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < count; ++i)
        w1[r * count + i] = w[r * cols + i1 + i];
    for (int64_t i = 0; i < count; ++i) {
      int64_t col = i1 + i;
      double d = u[col * cols + col];
      if (groupSize) {
        if (!options.staticGroups) {
          // As the reference: from W, which has the updates of the blocks
          // before this one but not those inside it.
          if (col % groupSize == 0) {
            if (llvm::Error err = solveColumns(
                    w, cols, col, std::min(groupSize, cols - col), current))
              return std::move(err);
            for (int64_t r = 0; r < rows; ++r)
              result.params[r * numGroups + col / groupSize] = current[r];
          }
        } else {
          current = groups[perm[col] / groupSize];
        }
      }
      for (int64_t r = 0; r < rows; ++r) {
        const num::QuantParams &p = current[r];
        double x = w1[r * count + i];
        float xf = static_cast<float>(x);
        int64_t q = num::quantizeAffine(xf, p.scale, p.zeroPoint, range);
        double deq = num::dequantizeAffine(q, p.scale, p.zeroPoint);
        rounded[r * cols + col] = xf;
        codes[r * cols + col] = q;
        result.loss += (x - deq) * (x - deq) / (d * d) / 2;
        double e = (x - deq) / d;
        err1[r * count + i] = e;
        const double *urow = &u[col * cols + i1];
        double *wrow = &w1[r * count];
        for (int64_t j = i; j < count; ++j)
          wrow[j] -= e * urow[j];
      }
    }
    // The lazy update of the columns after the block.
    for (int64_t r = 0; r < rows; ++r) {
      double *wrow = &w[r * cols];
      for (int64_t i = 0; i < count; ++i) {
        double e = err1[r * count + i];
        if (e == 0)
          continue;
        const double *urow = &u[(i1 + i) * cols];
        for (int64_t j = i2; j < cols; ++j)
          wrow[j] -= e * urow[j];
      }
    }
  }

  result.weights.resize(rows * cols);
  result.codes.resize(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      result.weights[r * cols + perm[c]] = rounded[r * cols + c];
      result.codes[r * cols + perm[c]] = codes[r * cols + c];
    }
  return result;
}
