//===- Pipelines.h - QuantOpt pass pipelines ---------------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_PIPELINES_PIPELINES_H
#define QUANTOPT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace quantopt {

/// The passes of `--qnt-lower-to-llvm`, as a textual pipeline on
/// `builtin.module`.
llvm::StringRef getLowerToLLVMPipelineText();

/// Appends `--qnt-lower-to-llvm` to `pm`: records entry-point signatures,
/// lowers qnt to linalg (reference path), element-wise float code to linalg,
/// bufferizes, lowers loops and converts everything to the LLVM dialect.
/// Registers the upstream passes it names on first use.
mlir::LogicalResult buildLowerToLLVMPipeline(mlir::OpPassManager &pm);

/// The passes of `--qnt-codegen`: the same as `--qnt-lower-to-llvm` plus
/// qnt-vnni-matmul (VNNI kernels for integer matmuls) and the vector
/// dialect's lowering.
llvm::StringRef getCodegenPipelineText();
mlir::LogicalResult buildCodegenPipeline(mlir::OpPassManager &pm);

/// Registers the QuantOpt passes and pipelines with the global registry.
void registerQuantOptPasses();

} // namespace quantopt

#endif // QUANTOPT_PIPELINES_PIPELINES_H
