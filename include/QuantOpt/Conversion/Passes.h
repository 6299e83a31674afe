//===- Passes.h - QuantOpt conversion passes ---------------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CONVERSION_PASSES_H
#define QUANTOPT_CONVERSION_PASSES_H

#include "QuantOpt/Conversion/QntToLinalg/QntToLinalg.h"
#include "QuantOpt/Conversion/TosaQuant/TosaQuant.h"
#include "QuantOpt/Conversion/UpstreamQuant/UpstreamQuant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace quantopt {

#define GEN_PASS_DECL
#include "QuantOpt/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "QuantOpt/Conversion/Passes.h.inc"

} // namespace quantopt

#endif // QUANTOPT_CONVERSION_PASSES_H
