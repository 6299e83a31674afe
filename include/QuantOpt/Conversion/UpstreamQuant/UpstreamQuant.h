//===- UpstreamQuant.h - upstream quant dialect <-> qnt ----------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// MLIR's `quant` dialect (`!quant.uniform` per-layer, per-axis and
// sub-channel types; quant.qcast / dcast / scast), as TOSA- and
// TFLite-derived pipelines write it, to and from qnt (docs/Import.md).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CONVERSION_UPSTREAMQUANT_H
#define QUANTOPT_CONVERSION_UPSTREAMQUANT_H

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <string>

namespace quantopt {

/// The #qnt.params saying what `type` says of a tensor of `shape` (needed
/// for sub-channel types only), or null with the reason in `why`: a storage
/// range other than the full or the narrow one, sub-channel blocks on more
/// than one dimension, a scale that float32 cannot hold.
mlir::qnt::ParamsAttr getParamsFromQuantType(mlir::quant::QuantizedType type,
                                             llvm::ArrayRef<int64_t> shape,
                                             std::string &why);

/// The !quant.uniform element type for `params` on a tensor of `shape`, or
/// null with the reason in `why` (minval parameters, float storage).
mlir::quant::QuantizedType getQuantTypeFromParams(mlir::qnt::ParamsAttr params,
                                                  llvm::ArrayRef<int64_t> shape,
                                                  std::string &why);

/// Storage types for !quant types (tensor<4x!quant.uniform<u8:f32, ...>> ->
/// tensor<4xi8>); every other type as it is.
void addQuantStorageTypeConversion(mlir::TypeConverter &converter);

/// quant.qcast -> qnt.quantize (with `rounding`: the quant dialect leaves
/// rounding to the pipeline), quant.dcast -> qnt.dequantize, quant.scast ->
/// its operand, on storage-typed values.
void populateUpstreamQuantToQntPatterns(const mlir::TypeConverter &converter,
                                        mlir::RewritePatternSet &patterns,
                                        mlir::qnt::RoundingMode rounding);

/// qnt.quantize / qnt.dequantize whose parameters !quant.uniform can say
/// -> quant.qcast + quant.scast / quant.scast + quant.dcast.
void populateQntToUpstreamQuantPatterns(mlir::RewritePatternSet &patterns);

} // namespace quantopt

#endif // QUANTOPT_CONVERSION_UPSTREAMQUANT_H
