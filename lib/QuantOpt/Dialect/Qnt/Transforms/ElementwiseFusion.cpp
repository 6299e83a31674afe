//===- ElementwiseFusion.cpp - One element-wise generic into another ------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/ElementwiseFusion.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

using namespace mlir;

bool quantopt::isElementwiseGeneric(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && generic.hasPureTensorSemantics() &&
         generic.getNumLoops() > 0 &&
         generic.getNumParallelLoops() == generic.getNumLoops() &&
         generic.getNumDpsInits() == 1;
}

bool quantopt::isElementwiseMap(Operation *op) {
  if (!isElementwiseGeneric(op))
    return false;
  auto generic = cast<linalg::GenericOp>(op);
  OpOperand *init = generic.getDpsInitOperand(0);
  return generic.getMatchingIndexingMap(init).isIdentity() &&
         !generic.payloadUsesValueFromOperand(init);
}

LogicalResult quantopt::fuseProducerIntoConsumer(RewriterBase &rewriter,
                                                 OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  Operation *consumer = operand->getOwner();
  FailureOr<linalg::ElementwiseOpFusionResult> fused =
      linalg::fuseElementwiseOps(rewriter, operand);
  if (failed(fused))
    return failure();
  for (auto [original, replacement] : fused->replacements)
    rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
      return use.getOwner() != producer;
    });
  rewriter.eraseOp(consumer);
  return success();
}
