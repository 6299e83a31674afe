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
  /// The layer's name: the location of its qnt.contract carries it (a
  /// NameLoc), so that tools find the layer again (--qnt-insert-observers on
  /// a quantized model, the kernels' remarks).
  std::string layerName;
};

/// Rewrites a float linalg layer (matmul, batch_matmul, convolution) into
/// one qnt.contract: the activation is quantized (statically or
/// dynamically, or taken in stored form from a static producer through
/// chainFromQuantizedProducer), the weight is the stored constant, and the
/// op's result is the real value `float(acc) * (s_x * s_w)`, to which the
/// layer's original init is added when it is not zero. The op keeps the
/// layer's indexing maps. `weight` must have affine per-tensor or
/// per-channel parameters. Fails, leaving the IR untouched, with a message
/// when the layer does not fit.
llvm::Error rewriteToIntegerLayer(mlir::linalg::LinalgOp layer,
                                  const QuantizedWeight &weight,
                                  const ActivationConfig &activation);

/// For static qnt.contract layers whose real result only feeds a bias add
/// (and clamp), moves the bias into the op as an int32 operand at the
/// accumulator's scale `s_x * s_w`:
/// `clamp(c + float(acc + round(b / (s_x * s_w))) * (s_x * s_w))`.
/// Run after every layer was rewritten (layers that chain into a following
/// layer already took their bias).
void foldBiasIntoStaticEpilogues(mlir::Operation *root);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_INTEGERLAYERS_H
