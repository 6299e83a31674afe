//===- Smoothing.h - Per-input-channel weight scaling (plain C++) -*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Two algorithms that move quantization difficulty between a layer's input
// and its weights with one positive scale s_j per input channel j: the
// weights of channel j are multiplied by s_j and the input divided by it,
// which leaves the float layer unchanged (x W = (x / s)(diag(s) W)).
//
// - SmoothQuant (Xiao, Lin, Seznec, Wu, Demouth, Han: "SmoothQuant: Accurate
//   and Efficient Post-Training Quantization for Large Language Models",
//   ICML 2023, arXiv:2211.10438): s_j = max|X_j|^a / max|W_j|^(1-a), which
//   flattens activation outliers so that W8A8 works; as smooth.py of
//   github.com/mit-han-lab/smoothquant computes it.
// - AWQ (Lin, Tang, Tang, Yang, Chen, Wang, Xiao, Dang, Gan, Han: "AWQ:
//   Activation-aware Weight Quantization for LLM Compression and
//   Acceleration", MLSys 2024, arXiv:2306.00978): s_j = mean|X_j|^a,
//   normalized, with a searched by the output error of the quantized layer,
//   then an optional search of each group's clipping range; as auto_scale.py
//   and auto_clip.py of github.com/mit-han-lab/llm-awq compute them. The
//   output error of a candidate W~ is measured exactly with the input's
//   second moments, tr((W - W~) X^T X (W - W~)^T), rather than on cached
//   input rows; the quantizer is QuantOpt's (numerics::solveFromRange and
//   quantizeAffine), as for GPTQ.
//
// Weights are `[rows, cols]` row-major: a row per output channel, a column
// per input channel (the layout of Gptq.h).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_ALGORITHMS_SMOOTHING_H
#define QUANTOPT_ALGORITHMS_SMOOTHING_H

#include "QuantOpt/Numerics/Numerics.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace quantopt {
namespace algorithms {

/// SmoothQuant's scales: `s_j = clamp(max|X_j|^alpha /
/// clamp(max_i |W_ij|, 1e-5)^(1 - alpha), 1e-5)`, in float32 like the
/// reference. `actAbsMax` has `cols` entries. Fails for alpha outside
/// [0, 1] or non-finite inputs.
llvm::Expected<std::vector<float>>
computeSmoothQuantScales(llvm::ArrayRef<float> weights, int64_t rows,
                         int64_t cols, llvm::ArrayRef<float> actAbsMax,
                         double alpha);

/// Rounds `weights` to nearest with one parameter set per row
/// (`groupSize` 0) or per `groupSize` columns, and returns the dequantized
/// values: what a quantized layer computes with. Integer storage with the
/// symmetric or asymmetric scheme only.
llvm::Expected<std::vector<float>>
fakeQuantizeRows(llvm::ArrayRef<float> weights, int64_t rows, int64_t cols,
                 int64_t groupSize, const numerics::SolverOptions &solver);

/// tr((A - B) H (A - B)^T) for `[rows, cols]` matrices and `H` `[cols,
/// cols]`: the squared output error of B against A on inputs with second
/// moments H.
double outputError(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b,
                   int64_t rows, int64_t cols, llvm::ArrayRef<double> hessian);

struct AwqOptions {
  /// Candidates alpha = 0, 1/grid, ..., (grid - 1)/grid (`n_grid`).
  int64_t grid = 20;
  /// Also search each group's clipping range (auto_clip).
  bool clip = true;
  /// Clipping candidates max|w| * (1 - k / clipGrid) for k below
  /// clipGrid * maxShrink (`n_grid`, `max_shrink`).
  int64_t clipGrid = 20;
  double maxShrink = 0.5;
};

struct AwqResult {
  /// The scale of each input channel (multiply the weights' column, divide
  /// the input).
  std::vector<float> scales;
  /// The chosen alpha and the output error of every candidate.
  double alpha = 0;
  std::vector<double> errors;
  /// The scaled, clipped weights to quantize (`[rows, cols]`).
  std::vector<float> weights;
};

/// AWQ's search on one layer: `meanAbs` is mean |X_j| per input channel,
/// `hessian` X^T X; `groupSize` and `solver` describe the weight
/// quantization the search is for.
llvm::Expected<AwqResult> runAwq(llvm::ArrayRef<float> weights, int64_t rows,
                                 int64_t cols, llvm::ArrayRef<double> meanAbs,
                                 llvm::ArrayRef<double> hessian,
                                 int64_t groupSize,
                                 const numerics::SolverOptions &solver,
                                 const AwqOptions &options);

} // namespace algorithms
} // namespace quantopt

#endif // QUANTOPT_ALGORITHMS_SMOOTHING_H
