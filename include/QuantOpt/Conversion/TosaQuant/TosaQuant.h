//===- TosaQuant.h - TOSA's quantized forms to qnt ---------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// TOSA writes quantized layers as integer ops with zero-point operands
// (tosa.conv2d, tosa.depthwise_conv2d, tosa.matmul on int8) followed by
// tosa.rescale with explicit multipliers and shifts. These patterns turn
// them into qnt's typed layers (qnt.contract) and qnt.requantize with the
// stated multipliers, so TOSA integer graphs reach the same kernels as
// QDQ models (docs/Import.md).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CONVERSION_TOSAQUANT_H
#define QUANTOPT_CONVERSION_TOSAQUANT_H

#include "mlir/IR/PatternMatch.h"

#include <string>

namespace quantopt {

/// tosa.rescale -> qnt.requantize (stated multipliers); integer
/// tosa.conv2d / tosa.depthwise_conv2d (channel multiplier 1) / tosa.matmul
/// -> tensor.pad with the input zero point + qnt.contract returning the i32
/// accumulator. Ops that do not convert are left alone
/// (`getTosaQuantUnsupportedReason` says why).
void populateTosaQuantToQntPatterns(mlir::RewritePatternSet &patterns);

/// Why the patterns leave `op` (one of the ops above, on integers) in TOSA,
/// or an empty string if they convert it. Float ops and other ops: empty.
std::string getTosaQuantUnsupportedReason(mlir::Operation *op);

} // namespace quantopt

#endif // QUANTOPT_CONVERSION_TOSAQUANT_H
