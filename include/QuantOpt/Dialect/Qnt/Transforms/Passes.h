//===- Passes.h - qnt transformation passes ----------------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_H

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace quantopt {

/// Name of the attribute that records a function's original signature.
inline constexpr const char *kSignatureAttrName = "qnt.signature";
/// Boolean arrays marking the arguments / results that hold unsigned integer
/// storage (absent when none do).
inline constexpr const char *kUnsignedArgsAttrName = "qnt.unsigned_args";
inline constexpr const char *kUnsignedResultsAttrName = "qnt.unsigned_results";

#define GEN_PASS_DECL
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_H
