//===- WeightQuantization.h - Compile-time weight quantization ---*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_WEIGHTQUANTIZATION_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_WEIGHTQUANTIZATION_H

#include "QuantOpt/Calibration/Moments.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Recipe.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Error.h"

namespace quantopt {

/// A constant weight in stored form and the parameters that map it back.
struct QuantizedWeight {
  mlir::DenseElementsAttr stored;
  mlir::qnt::ParamsAttr params;
};

/// Quantizes float `weights` (f32, f16 or bf16) with `config`, solving the
/// parameters with the numerics library. `channelAxis` is used for
/// per-channel parameters and `blockAxis` for per-block ones. Fails with a
/// message when the configuration does not fit the weight (no block axis, a
/// range too wide for a float32 scale). A block size that does not divide
/// the dimension gives a shorter last block.
llvm::Expected<QuantizedWeight>
quantizeWeight(mlir::DenseElementsAttr weights, const WeightConfig &config,
               int64_t channelAxis, std::optional<int64_t> blockAxis);

/// GPTQ (config.gptq) on a 2-D weight with `moments`' X^T X as the Hessian
/// (docs/Algorithms.md): the same result type and parameter layout as
/// quantizeWeight, per-channel or per-block along `blockAxis` (the
/// reduction dimension, whose size must be the moments' channel count).
/// Fails with a message when GPTQ does not apply (no block axis, another
/// rank, per-tensor, float or minval weights, a Hessian of another size).
llvm::Expected<QuantizedWeight>
quantizeWeightGptq(mlir::DenseElementsAttr weights, const WeightConfig &config,
                   int64_t channelAxis, std::optional<int64_t> blockAxis,
                   const calibration::ChannelMoments &moments);

/// GPTQ on a weight of any rank with `hessian` (row-major, K x K) over its
/// K reduced elements per output channel, the weight's axes but
/// `channelAxis` in row-major order (a convolution's window: kh, kw, c):
/// per channel, or per block along `blockAxis`, which must then be the last
/// of those axes (and, with others, a multiple of the block size).
llvm::Expected<QuantizedWeight>
quantizeWeightGptq(mlir::DenseElementsAttr weights, const WeightConfig &config,
                   int64_t channelAxis, std::optional<int64_t> blockAxis,
                   llvm::ArrayRef<double> hessian);

/// The stored form of the float constant `values` under `params` (any
/// storage, granularity and scheme) with `rounding`: what qnt.quantize
/// computes, element by element, with the numerics library; the one loop
/// behind compile-time weight quantization and the folding of qnt.quantize
/// of constants (`saturate` and `precision` as qnt.quantize's). std::nullopt
/// for a non-float constant or parameters that do not fit its shape.
std::optional<mlir::DenseElementsAttr>
quantizeWithParams(mlir::DenseElementsAttr values, mlir::qnt::ParamsAttr params,
                   quantopt::numerics::RoundingMode rounding =
                       quantopt::numerics::RoundingMode::HalfEven,
                   bool saturate = true,
                   quantopt::numerics::Precision precision =
                       quantopt::numerics::Precision::F32);

/// The real values of `stored` (a constant of `params`' storage type, not
/// packed) under `params`, as qnt.dequantize computes them (float32), in
/// row-major order. std::nullopt when the parameters do not fit its shape.
std::optional<std::vector<float>>
dequantizeWithParams(mlir::DenseElementsAttr stored,
                     mlir::qnt::ParamsAttr params);

/// Packs 2- or 4-bit stored integers along the last dimension into an i8
/// tensor in qnt.dequantize's `packed` layout (element j in byte
/// j / (8 / bits), lowest bits first). std::nullopt for other widths or when
/// the last dimension is not a multiple of 8 / bits.
std::optional<mlir::DenseElementsAttr>
packSubByte(mlir::DenseElementsAttr stored);

/// The inverse of packSubByte: the stored integers of type `storedType` (2-
/// or 4-bit elements, signed or unsigned by the type's signedness) that the
/// i8 tensor `packed` holds. std::nullopt when the shapes do not match that
/// layout.
std::optional<mlir::DenseElementsAttr>
unpackSubByte(mlir::DenseElementsAttr packed, mlir::RankedTensorType storedType);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_WEIGHTQUANTIZATION_H
