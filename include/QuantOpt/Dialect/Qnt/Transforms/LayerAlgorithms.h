//===- LayerAlgorithms.h - Algorithms on float layers -----------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The layer-level steps of the algorithms of docs/Algorithms.md, each
// reading the calibration statistics of the layer's input: SmoothQuant and
// AWQ as rewrites of a float layer:
// the weights of input channel j are multiplied by s_j and the activation is
// divided by s_j by an element-wise op inserted before the layer, so that
// the float model computes the same and the weights then quantize with the
// usual step. The scales come from calibration statistics
// (algorithms::computeSmoothQuantScales, algorithms::runAwq); bias
// correction of a quantized layer's init; the mixed-precision choice of a
// layer's storage by its output SQNR.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_LAYERALGORITHMS_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_LAYERALGORITHMS_H

#include "QuantOpt/Calibration/Calibration.h"
#include "QuantOpt/Dialect/Qnt/Transforms/CalibrationChoice.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Recipe.h"
#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace quantopt {

/// Divides `layer`'s activation by `scales` along its input-channel axis
/// (getActivationChannelAxis) with an inserted linalg.generic, and replaces
/// its constant weight by `weights` (row-major, the weight's shape and
/// element type) or, when empty, by the weight with input channel j (its
/// block axis) multiplied by `scales[j]`. Fails, changing nothing, for
/// layers that are not linalg ops with an f32 activation and a constant
/// float weight whose block axis has `scales.size()` entries.
llvm::Error scaleLayerInput(mlir::RewriterBase &rewriter,
                            mlir::Operation *layer,
                            llvm::ArrayRef<float> scales,
                            llvm::ArrayRef<float> weights = {});

/// What applyInputScaling did.
struct InputScalingOutcome {
  /// A remark for the user: what was applied, or why not (empty when the
  /// configuration asks for neither algorithm).
  std::string note;
  /// Static activations: the range of the scaled activation, from the
  /// per-channel extremes of the statistics (SmoothQuant, and AWQ when the
  /// statistics have them).
  std::optional<calibration::Range> range;
  /// The input was rescaled (AWQ) but the statistics have no per-channel
  /// extremes to rescale its range with: the calibrated range no longer
  /// describes it.
  bool rangeLost = false;
};

/// Applies SmoothQuant (config.smoothQuant) or AWQ (config.method == Awq)
/// to the layer named `name` with its statistics `observed` (may be null),
/// for `config`'s weight quantization. A layer they cannot apply to is left
/// unchanged with a note saying why.
InputScalingOutcome applyInputScaling(mlir::RewriterBase &rewriter,
                                      mlir::Operation *layer,
                                      const WeightConfig &config,
                                      const calibration::ObserverStats *observed);

/// Bias correction (Nagel, van Baalen, Blankevoort, Welling: "Data-Free
/// Quantization Through Weight Equalization and Bias Correction", ICCV
/// 2019, section 4.2, with the input mean measured on calibration data):
/// adds `-E[x]^T (W_q - W)` to `layer`'s init, along the output-channel axis
/// of its result, so that the quantized layer's expected output equals the
/// float one's. `quantized` is the layer's weight as it will be stored, and
/// `moments` gives E[x] per input channel. Matmuls and convolutions (whose
/// input mean is taken as the same at every position, padding ignored);
/// returns the largest correction, or an error changing nothing.
llvm::Expected<double> correctLayerBias(mlir::RewriterBase &rewriter,
                                        mlir::Operation *layer,
                                        const QuantizedWeight &quantized,
                                        const calibration::ChannelMoments &moments);

/// One candidate precision of a mixed-precision plan: a weight
/// configuration, or float.
struct PrecisionCandidate {
  std::string name;
  std::optional<WeightConfig> config; // std::nullopt: float
};

/// Parses "i4:block:32,i8:channel,float" (STORAGE[:GRANULARITY[:BLOCK]] or
/// float; the scheme, range and method come from `base`).
llvm::Expected<std::vector<PrecisionCandidate>>
parsePrecisionCandidates(llvm::StringRef text, const WeightConfig &base);

/// What the planner measured on one layer.
struct PrecisionChoice {
  struct Measure {
    std::string name;
    double sqnr;  // dB of the layer's output on the calibration data
    double bytes; // weights, scales and zero points
  };
  std::vector<Measure> measures;
  /// Index into the candidates; -1 when the layer could not be measured.
  int chosen = -1;
  std::string error;
};

/// Mixed precision for one layer: each candidate's output SQNR on the
/// calibration data and the smallest candidate (in bytes) whose SQNR is at
/// least `minSqnr` (float, if listed, has infinite SQNR and 4 bytes per
/// weight). A matmul layer with the Hessian H = X^T X of its input in
/// `moments` is measured exactly on all the calibration data,
/// 10 log10(tr(W H W^T) / tr(dW H dW^T)) with dW the candidate's rounding
/// error; any other layer (a convolution) with `samples` is measured by
/// evaluating it on those input samples with the float and the candidate's
/// weights. Either may be null.
PrecisionChoice chooseLayerPrecision(mlir::Operation *layer,
                                     llvm::ArrayRef<PrecisionCandidate> candidates,
                                     const calibration::ChannelMoments *moments,
                                     const LayerSampleEvaluator *samples,
                                     double minSqnr);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_LAYERALGORITHMS_H
