//===- Qnt.h - qnt dialect ---------------------------------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_IR_QNT_H
#define QUANTOPT_DIALECT_QNT_IR_QNT_H

#include "QuantOpt/Numerics/Numerics.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "QuantOpt/Dialect/Qnt/IR/QntDialect.h.inc"
#include "QuantOpt/Dialect/Qnt/IR/QntEnums.h.inc"
#include "QuantOpt/Dialect/Qnt/IR/QntInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "QuantOpt/Dialect/Qnt/IR/QntAttrs.h.inc"

#define GET_OP_CLASSES
#include "QuantOpt/Dialect/Qnt/IR/QntOps.h.inc"

namespace mlir {
namespace qnt {
/// The numerics library's rounding mode for a dialect rounding mode.
::quantopt::numerics::RoundingMode toNumerics(RoundingMode mode);
/// The qnt attribute of a numerics rounding mode.
RoundingMode fromNumerics(::quantopt::numerics::RoundingMode mode);

/// The storage kind a type names in `#qnt.params` (`i8`, `ui4`, `f8E4M3FN`,
/// ...), or std::nullopt when it names none.
std::optional<::quantopt::numerics::StorageKind> getStorageKindOf(Type type);

/// The `#qnt.params` of parameters solved by the numerics library (one
/// QuantParams per group of `granularity`). Zero points are kept only when
/// some is non-zero, min values only for the minval scheme. Returns null,
/// after reporting through `emitError`, when they do not verify.
ParamsAttr getParamsAttr(MLIRContext *context,
                         const ::quantopt::numerics::SolverOptions &options,
                         ::quantopt::numerics::Granularity granularity,
                         Type expressedType,
                         ArrayRef<::quantopt::numerics::QuantParams> params,
                         function_ref<InFlightDiagnostic()> emitError);

/// The type that names `kind` in `#qnt.params`: signless integers for signed
/// storage, unsigned integers for unsigned storage, minifloats as themselves.
Type getStorageTypeFor(MLIRContext *context,
                       ::quantopt::numerics::StorageKind kind);

/// Checks that every scale ratio `in[i] / out[i]` has a multiplier on the
/// requantization path `mode` (either side may hold one scale for all
/// groups); the verifiers of qnt.requantize and qnt.contract share it.
LogicalResult verifyRequantScales(Operation *op, ArrayRef<float> in,
                                  ParamsAttr out, RequantMode mode);
} // namespace qnt
} // namespace mlir

#endif // QUANTOPT_DIALECT_QNT_IR_QNT_H
