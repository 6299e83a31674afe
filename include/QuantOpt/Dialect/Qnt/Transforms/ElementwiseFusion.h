//===- ElementwiseFusion.h - One element-wise generic into another -*- C++ -*-//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The fusion step qnt-fuse-elementwise and qnt-fold-affine-into-layers
// share: upstream's linalg::fuseElementwiseOps applied to one operand, the
// consumer replaced by the fused generic.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_ELEMENTWISEFUSION_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_ELEMENTWISEFUSION_H

#include "mlir/IR/PatternMatch.h"

namespace quantopt {

/// Fuses the generic producing `operand` into the generic that owns it
/// (linalg::fuseElementwiseOps): the owner's results are replaced by the
/// fused op's and the owner erased; the producer's results keep their other
/// users. The caller checks that the two may fuse
/// (linalg::areElementwiseOpsFusable and its own restrictions).
mlir::LogicalResult fuseProducerIntoConsumer(mlir::RewriterBase &rewriter,
                                             mlir::OpOperand *operand);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_ELEMENTWISEFUSION_H
