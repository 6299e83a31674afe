//===- Qnt.h - qnt dialect ---------------------------------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_IR_QNT_H
#define QUANTOPT_DIALECT_QNT_IR_QNT_H

#include "QuantOpt/Numerics/Numerics.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "QuantOpt/Dialect/Qnt/IR/QntDialect.h.inc"
#include "QuantOpt/Dialect/Qnt/IR/QntEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "QuantOpt/Dialect/Qnt/IR/QntAttrs.h.inc"

#define GET_OP_CLASSES
#include "QuantOpt/Dialect/Qnt/IR/QntOps.h.inc"

namespace mlir {
namespace qnt {
/// The numerics library's rounding mode for a dialect rounding mode.
::quantopt::numerics::RoundingMode toNumerics(RoundingMode mode);
} // namespace qnt
} // namespace mlir

#endif // QUANTOPT_DIALECT_QNT_IR_QNT_H
