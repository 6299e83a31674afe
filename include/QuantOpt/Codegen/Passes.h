//===- Passes.h - QuantOpt code generation passes -----------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CODEGEN_PASSES_H
#define QUANTOPT_CODEGEN_PASSES_H

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace quantopt {

#define GEN_PASS_DECL
#include "QuantOpt/Codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "QuantOpt/Codegen/Passes.h.inc"

/// Adds the pattern that lowers qnt_x86.dot_u8i8 (after bufferization): to
/// the vpdpbusd intrinsics with `vnni`, else to widening multiplies and four
/// shuffled additions per lane (portable vector code, the same sums).
void populateQntX86LowerDotPatterns(mlir::RewritePatternSet &patterns,
                                    bool vnni);

} // namespace quantopt

#endif // QUANTOPT_CODEGEN_PASSES_H
