//===- ChainPredicates.h - What static int8 chaining crosses ----*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The predicates and the replay that qnt-chain-layers' patterns
// (ChainLayers.cpp), the quantize moves of QDQ models (QuantizeMoves.cpp)
// and the remark on unchained layers (UnchainedRemark.cpp) share, so that
// the three agree on what a chain crosses.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_LIB_DIALECT_QNT_TRANSFORMS_CHAINPREDICATES_H
#define QUANTOPT_LIB_DIALECT_QNT_TRANSFORMS_CHAINPREDICATES_H

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/IR/Builders.h"

namespace quantopt::chain {

/// Whether `op` moves values without changing them in a way quantization
/// cares about: quantizing before or after it gives the same result
/// (reshapes, transposes, zero padding). Max pooling qualifies when its
/// init is a fill of -inf or the lowest float.
bool isScalePreserving(mlir::Operation *op);

/// The scale-preserving ops `passThrough` (isScalePreserving, first
/// applied first) replayed on `q`, values stored with `outParams`:
/// padding with the zero point, max pooling from the lowest stored value,
/// reshapes and transposes as they are.
mlir::Value replayOnStored(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value q,
                           llvm::ArrayRef<mlir::Operation *> passThrough,
                           mlir::qnt::ParamsAttr outParams);

/// Whether the layer's int32 accumulators stay below
/// numerics::kChainAccumulatorLimit, so that they can take an int32 bias
/// and feed a requantization.
bool accumulatorsFitChain(mlir::qnt::ContractOp layer);

/// Whether per-channel weights (if any) index the result's last axis, the
/// one the int32 bias and the requantization run along.
bool hasChannelsLast(mlir::qnt::ContractOp layer);

} // namespace quantopt::chain

#endif // QUANTOPT_LIB_DIALECT_QNT_TRANSFORMS_CHAINPREDICATES_H
