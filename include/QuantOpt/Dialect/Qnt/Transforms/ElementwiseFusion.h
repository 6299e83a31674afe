//===- ElementwiseFusion.h - One element-wise generic into another -*- C++ -*-//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// What qnt-fuse-elementwise, qnt-fold-affine-into-layers and
// qnt-unstuff-transposed-conv share about element-wise generics: which
// generics are element-wise, and the fusion step (upstream's
// linalg::fuseElementwiseOps applied to one operand, the consumer replaced
// by the fused generic).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_ELEMENTWISEFUSION_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_ELEMENTWISEFUSION_H

#include "mlir/IR/PatternMatch.h"

namespace quantopt {

/// Whether `op` is an element-wise linalg.generic on tensors: at least one
/// loop, every loop parallel, one result.
bool isElementwiseGeneric(mlir::Operation *op);

/// Whether `op` is an element-wise generic (isElementwiseGeneric) that is a
/// map of its inputs: its result written at the identity, its init unread.
/// The folds and the layout sinks rewrite such generics operand by operand.
bool isElementwiseMap(mlir::Operation *op);

/// Fuses the generic producing `operand` into the generic that owns it
/// (linalg::fuseElementwiseOps): the owner's results are replaced by the
/// fused op's and the owner erased; the producer's results keep their other
/// users. The caller checks that the two may fuse
/// (linalg::areElementwiseOpsFusable and its own restrictions).
mlir::LogicalResult fuseProducerIntoConsumer(mlir::RewriterBase &rewriter,
                                             mlir::OpOperand *operand);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_ELEMENTWISEFUSION_H
