//===- IntegerLayers.h - Integer kernels for linalg layers -------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_INTEGERLAYERS_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_INTEGERLAYERS_H

#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"
#include "QuantOpt/Numerics/Numerics.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/Support/Error.h"

namespace quantopt {

/// How the input activation of an integer layer is quantized.
struct ActivationConfig {
  /// Solve the parameters at run time (qnt.dynamic_quantize) or use `range`.
  bool dynamic = true;
  /// Per row (all dimensions but the reduced last one) instead of per tensor;
  /// applies to matmuls, whose activation rows map to output rows.
  bool perRow = false;
  numerics::StorageKind storage = numerics::StorageKind::U8;
  numerics::Scheme scheme = numerics::Scheme::Asymmetric;
  /// Requantize chained static layers with a Q31 multiplier and shift
  /// (integer only) instead of a float32 multiplier.
  bool fixedPointRequantize = false;
  /// The static range (dynamic == false).
  double min = 0, max = 0;
  /// The layer's name: recorded on the integer contraction as `qnt.layer`
  /// (with `qnt.input_params` for static activations) so that tools find the
  /// layer again (--qnt-insert-observers on a quantized model).
  std::string layerName;
};

/// The attributes rewriteToIntegerLayer leaves on the integer contraction.
constexpr llvm::StringLiteral kLayerAttrName = "qnt.layer";
constexpr llvm::StringLiteral kInputParamsAttrName = "qnt.input_params";

/// Rewrites a float linalg layer (matmul, batch_matmul, convolution) into
/// integer arithmetic: the activation is quantized (statically or
/// dynamically), the contraction runs on the stored integers with an i32
/// accumulator (the layer's own indexing maps), and one epilogue applies the
/// zero-point correction `- z_x * sum(w)` (weight sums precomputed at compile
/// time), the scale `s_x * s_w` and the layer's original init value.
/// `weight` must have affine per-tensor or per-channel parameters; a weight
/// zero point adds `- z_w * (sum(q_x) - K * z_x)` (docs/Quantize.md).
/// Fails, leaving the IR untouched, with a message when the layer does not
/// fit.
llvm::Error rewriteToIntegerLayer(mlir::linalg::LinalgOp layer,
                                  const QuantizedWeight &weight,
                                  const ActivationConfig &activation);

/// For static integer layers whose float output only feeds a bias add (and
/// clamp), folds the bias into the epilogue as an int32 constant with the
/// accumulator's scale `s_x * s_w`:
/// `clamp(c + float(acc - z_x * sum(w) + round(b / (s_x * s_w))) * (s_x * s_w))`.
/// Run after every layer was rewritten (layers that chain into a following
/// layer already took their bias).
void foldBiasIntoStaticEpilogues(mlir::Operation *root);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_INTEGERLAYERS_H
