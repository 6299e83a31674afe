//===- ChainLayers.h - Chain static integer layers ---------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites that keep consecutive static qnt.contract layers in integers
// (docs/Quantize.md, "Chained static layers"), as patterns other compilers
// can add to their own pattern sets.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_CHAINLAYERS_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_CHAINLAYERS_H

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/IR/PatternMatch.h"

namespace quantopt {

/// Adds the pattern that rewrites `qnt.quantize` (per-tensor affine integer
/// parameters, round half to even) of a static qnt.contract's real output --
/// reached through a constant per-channel bias, constant clamps, zero
/// padding, max pooling, reshapes, transposes, or as operands of a
/// concatenation -- into a copy of that layer whose result is requantized to
/// the quantize's parameters with `mode`, its bias in int32 and the clamp as
/// stored bounds; the shape ops are replayed on the stored integers. Also
/// adds populateQntQuantizeMovePatterns.
void populateQntChainLayersPatterns(mlir::RewritePatternSet &patterns,
                                    mlir::qnt::RequantMode mode);

/// Adds the quantize moves that run with the chaining (and that
/// populateQntChainLayersPatterns adds): qnt.quantize(f(qnt.dequantize(q,
/// P)), P) -> f(q) on the stored integers for f a chain of scale-preserving
/// ops (reshapes, transposes, zero padding, max pooling from -inf) and P per
/// tensor; and qnt.quantize(f(x), P) -> f(qnt.quantize(x, P)) on the stored
/// integers for f zero paddings, insertions into zeros, reshapes and
/// transposes (quantization is element-wise and zero quantizes to the zero
/// point); a tensor read only in slices quantized alike is quantized once
/// and sliced as integers; a tensor assembled by insertions into an empty
/// tensor is quantized part by part; and a per-tensor, symmetric or
/// asymmetric qnt.dynamic_quantize of a zero padding quantizes the unpadded
/// tensor and pads the integers with the solved zero point (--qnt-quantize
/// activations=dynamic runs the set too). All give the same bits.
void populateQntQuantizeMovePatterns(mlir::RewritePatternSet &patterns);

/// Applies populateQntQuantizeMovePatterns alone to `root`, with the greedy
/// configuration of the chaining (no folding, no constant hoisting, no
/// region simplification), so that only the moves change the IR; used by
/// --qnt-quantize activations=dynamic.
mlir::LogicalResult applyQntQuantizeMoves(mlir::Operation *root);

/// Adds the pattern that moves a constant bias (and clamps) after a static
/// qnt.contract with a real result into the layer, as its int32 bias.
void populateQntFoldLayerBiasPatterns(mlir::RewritePatternSet &patterns);

/// Adds the pattern that turns a float linalg layer whose activation and
/// constant weight are both qnt.dequantize results (QDQ: per-tensor affine
/// integer activation, per-tensor or per-channel weight) into one
/// qnt.contract on the stored values with a real result -- the QDQ reading
/// of the layer, an int32 sum scaled by s_x * s_w -- when the contract
/// verifies; the layer's non-zero init is added after it.
void populateQntFoldDequantizedLayersPatterns(mlir::RewritePatternSet &patterns);

/// The `requantize` option of --qnt-chain-layers and --qnt-quantize:
/// float, fixed-point or double-round (TFLite's); std::nullopt otherwise.
std::optional<mlir::qnt::RequantMode>
parseRequantizeOption(llvm::StringRef name);

/// Applies the chaining patterns, then the bias folding, greedily under
/// `root` (what `--qnt-chain-layers` and `--qnt-quantize` do).
mlir::LogicalResult chainStaticLayers(mlir::Operation *root,
                                      mlir::qnt::RequantMode mode);

/// After chaining: a remark on each static layer whose float result still
/// reaches a qnt.quantize (the next layer's input) through ops the chains
/// do not cross, naming those ops (for a linalg.generic, its body's ops).
/// Returns how many layers it remarked on.
unsigned remarkUnchainedLayers(mlir::Operation *root);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_CHAINLAYERS_H
