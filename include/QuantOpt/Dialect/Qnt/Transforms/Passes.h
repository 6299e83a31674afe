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
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

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
/// The qnt-quantize pipeline (docs/Quantize.md): qnt-name-layers, the TOSA
/// lowering the options need (tosa-to-linalg-named and tosa-to-arith unless
/// activations=none; tosa-to-linalg and tosa-to-tensor too with
/// activations=static), with activations=static
/// convert-elementwise-to-linalg and qnt-generalize-elementwise, then
/// qnt-quantize-layers with `options`. `stats`, when given, are the
/// activation statistics in memory (quant-run's one-shot calibration), used
/// instead of reading the `stats` option's file.
mlir::LogicalResult buildQntQuantizePipeline(
    mlir::OpPassManager &pm, const QntQuantizeLayersOptions &options,
    std::shared_ptr<const calibration::StatsFile> stats = nullptr);
/// The same from the textual options (`activations=static weights=i4`).
mlir::LogicalResult buildQntQuantizePipeline(
    mlir::OpPassManager &pm, llvm::StringRef options,
    llvm::function_ref<mlir::LogicalResult(const llvm::Twine &)> errorHandler,
    std::shared_ptr<const calibration::StatsFile> stats = nullptr);
/// Registers the pipeline as `qnt-quantize` (quant-opt --qnt-quantize=...).
void registerQntQuantizePipeline();

/// Adds the pattern of qnt-generalize-elementwise: named element-wise linalg
/// ops (not layers, fills, broadcasts, transposes or copies) become
/// linalg.generic.
void populateQntGeneralizeElementwisePatterns(mlir::RewritePatternSet &patterns);

/// Adds the patterns of qnt-convert-to-nhwc: NCHW convolutions (dense and
/// depthwise) and pooling become NHWC ops between transposes, and the
/// transpose propagation below.
void populateQntConvertToNhwcPatterns(mlir::RewritePatternSet &patterns);

/// Adds the pattern of qnt-fold-affine-into-layers: an element-wise op
/// affine in a layer's output with per-channel constants (batch
/// normalization) folds into the layer's weights and a bias.
void populateQntFoldAffineIntoLayersPatterns(mlir::RewritePatternSet &patterns);

/// Adds the patterns of qnt-unstuff-transposed-conv: a convolution of a
/// zero-stuffed input whose window is a multiple of its stride (an imported
/// ConvTranspose, any pads) becomes a convolution of the unstuffed input
/// into one channel per phase and filter, a depth-to-space and a crop,
/// which then move below element-wise generics with per-channel constants;
/// a transpose of a spread moves before the spread. With `perPhase`, a
/// window that is not a multiple of the stride becomes one convolution per
/// phase.
void populateQntUnstuffTransposedConvPatterns(mlir::RewritePatternSet &patterns,
                                              bool perPhase = true);

/// Adds the transpose propagation of qnt-convert-to-nhwc alone: transposes
/// sink through element-wise generics and zero padding, fold with each other
/// and into fills, rise above a function argument's zero padding (a pad or
/// an insertion into a fill), transposes and quantization, and a flatten of
/// a transposed tensor into a matmul with constant weights permutes the
/// weights instead.
void populateQntTransposePropagationPatterns(mlir::RewritePatternSet &patterns);

/// Adds the last step of qnt-convert-to-nhwc: a transpose that moves only
/// unit dimensions (e.g. [N][C][1][1] to [N][1][1][C]) becomes a
/// collapse_shape and an expand_shape (views), with upstream's
/// canonicalizations of the two.
void populateQntUnitDimTransposePatterns(mlir::RewritePatternSet &patterns);

/// Adds the patterns of qnt-convert-to-bf16: f32 matmuls and NHWC
/// convolutions with constant weights take bf16 weights (rounded now) and
/// bf16 activations (rounded as they run) into f32 results.
void populateQntConvertToBF16Patterns(mlir::RewritePatternSet &patterns);

/// Adds the patterns of qnt-convert-to-f16: the same rewrite with f16
/// operands, NHWC depthwise convolutions included.
void populateQntConvertToF16Patterns(mlir::RewritePatternSet &patterns);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_H
