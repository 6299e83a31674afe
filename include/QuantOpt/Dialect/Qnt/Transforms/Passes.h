//===- Passes.h - qnt transformation passes ----------------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_H

#include "QuantOpt/Calibration/StatsFile.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

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

/// `qnt-quantize` with activation statistics handed over in memory (used
/// unless the `stats` option names a file): a calibration run quantizes
/// with what it measured without writing it first. Set the other options
/// with `Pass::initializeOptions` (the textual form, as a user writes them).
std::unique_ptr<mlir::Pass>
createQntQuantizePass(std::shared_ptr<const calibration::StatsFile> stats);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_H
