//===- Gptq.h - GPTQ weight quantization (plain C++) -------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// GPTQ (Frantar, Ashkboos, Hoefler, Alistarh: "GPTQ: Accurate Post-Training
// Quantization for Generative Pre-trained Transformers", ICLR 2023,
// arXiv:2210.17323): quantizes a layer's weights one input column at a time
// and spreads each column's rounding error over the columns not yet
// quantized, weighted by the inverse of the Hessian `H = X^T X` of the
// layer's input, so that the layer's output on the calibration data moves as
// little as possible. This is the reference implementation's `fasterquant`
// (github.com/IST-DASLab/gptq, gptq.py) step for step: lazy batch updates in
// column blocks, dampening, dead columns, activation order, static groups.
// The quantizer (scale and zero point of a row or group from its min and
// max, rounding) is QuantOpt's: numerics::solveFromRange and quantizeAffine.
//
// No MLIR in the interface; dense linear algebra is written here (LLVM has
// no Cholesky factorization, and the project links no LAPACK).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_ALGORITHMS_GPTQ_H
#define QUANTOPT_ALGORITHMS_GPTQ_H

#include "QuantOpt/Numerics/Numerics.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace quantopt {
namespace algorithms {

struct GptqOptions {
  /// Columns per lazy-update block (the reference's `blocksize`).
  int64_t blockSize = 128;
  /// Added to the diagonal: `dampening * mean(diag(H))` (`percdamp`).
  double dampening = 0.01;
  /// Quantize columns in descending order of `diag(H)` (`actorder`).
  bool actOrder = false;
  /// With groups: solve every group's parameters from the weights before
  /// any update (`static_groups`). Activation order with groups needs it,
  /// since QuantOpt's blocked parameters cover contiguous columns.
  bool staticGroups = false;
};

struct GptqResult {
  /// `[rows, cols]`: each weight as it was when its column was rounded.
  /// Quantizing it with `params` (numerics::quantizeAffine) gives `codes`.
  std::vector<float> weights;
  /// `[rows, groups]`: one group per row, or per `groupSize` columns.
  std::vector<numerics::QuantParams> params;
  /// `[rows, cols]`: the stored integers.
  std::vector<int64_t> codes;
  /// The reference's loss: `sum (w - q)^2 / d^2 / 2` over every weight,
  /// with `d` the diagonal of the inverse Hessian's Cholesky factor.
  double loss = 0;
};

/// Runs GPTQ on `weights` (`[rows, cols]` row-major: a row per output
/// channel, a column per input channel of the layer) with `hessian`
/// (`[cols, cols]`, symmetric, any positive multiple of `X^T X`).
/// `groupSize` is 0 for one parameter set per row, otherwise the columns
/// per group (the last group may be shorter). Only integer storage with the
/// symmetric or asymmetric scheme. Fails with a message when the options do
/// not fit or the dampened Hessian is not positive definite.
llvm::Expected<GptqResult> runGptq(llvm::ArrayRef<float> weights, int64_t rows,
                                   int64_t cols, llvm::ArrayRef<double> hessian,
                                   int64_t groupSize,
                                   const numerics::SolverOptions &solver,
                                   const GptqOptions &options);

/// Lower Cholesky factor `L` (`A = L L^T`) of the symmetric `[n, n]` matrix
/// `a`, in place (the upper triangle is zeroed). False when `a` is not
/// positive definite.
bool choleskyLower(std::vector<double> &a, int64_t n);

} // namespace algorithms
} // namespace quantopt

#endif // QUANTOPT_ALGORITHMS_GPTQ_H
