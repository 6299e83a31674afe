//===- Layout.h - Helpers of the layout rewrites -------------------*- C++
//-*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The pieces qnt-convert-to-nhwc, the QDQ fold, the chains' quantize moves
// and the VNNI kernels' NCHW conversion share: a constant, an empty tensor
// or quantization parameters with their dimensions permuted, and the
// recognition of a padding spelled as an insertion.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_LAYOUT_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_LAYOUT_H

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace quantopt {

/// `attr` transposed at compile time: dimension i of the result is
/// dimension perm[i] of `attr` (linalg.transpose's convention).
mlir::DenseElementsAttr permuteConstant(mlir::DenseElementsAttr attr,
                                        llvm::ArrayRef<int64_t> perm);

/// An empty tensor shaped like `v` with its dimensions permuted the same
/// way (dynamic sizes read with tensor.dim).
mlir::Value emptyPermuted(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                          llvm::ArrayRef<int64_t> perm);

/// `v` transposed by a linalg.transpose into emptyPermuted(v, perm).
mlir::Value transposeValue(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v, llvm::ArrayRef<int64_t> perm);

/// `attr` rearranged: element `i` of the result (of type `type`) is element
/// `source(i)` of `attr`. Byte-sized element types are moved as raw bytes;
/// others element by element.
mlir::DenseElementsAttr
gatherConstant(mlir::DenseElementsAttr attr, mlir::RankedTensorType type,
               llvm::function_ref<int64_t(int64_t)> source);

/// `params` with a per-channel axis a moved to axisMap[a] (per-tensor
/// parameters unchanged); null for blocked parameters.
mlir::qnt::ParamsAttr permuteParams(mlir::qnt::ParamsAttr params,
                                    llvm::ArrayRef<int64_t> axisMap);

/// Whether `insert` places its source, whole-rank, into a linalg.fill: a
/// padding spelled as an insertion, or the zero-stuffed input of a
/// transposed convolution.
bool isInsertIntoFill(mlir::tensor::InsertSliceOp insert);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_LAYOUT_H
