//===- FloatCast.h - Element-wise float casts of tensors --------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_FLOATCAST_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_FLOATCAST_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace quantopt {

/// `input`, a ranked float tensor, with every element converted to
/// `target` by an element-wise linalg.generic: arith.truncf (to nearest
/// even) to a narrower type, arith.extf (exact) to a wider one. Used where a
/// layer's operands change float type (qnt-convert-to-bf16 / -f16 round
/// the activations; qnt-f32-matmul widens f16 activations once).
mlir::Value castFloatElements(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value input, mlir::FloatType target);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_FLOATCAST_H
