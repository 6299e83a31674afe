//===- FuseElementwise.cpp - Element-wise chains as one generic -----------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Imported models spell an activation as several element-wise ops (ONNX's
// HardSwish, GELU or a batch normalization exported op by op: x + 3, a
// clip, a product, a division); each is a pass over the tensor, and the
// kernels fuse only a single-use chain into their stores. qnt-fuse-
// elementwise merges such chains with upstream's element-wise fusion
// (linalg::populateElementwiseOpsFusionPatterns), restricted to producers
// and consumers that are element-wise generics (parallel loops only) and to
// producers whose every use is in the consumer, so nothing is computed
// twice for another user and no contraction or reduction changes form.
//
// A collapse_shape between two such generics (a GELU or a layer
// normalization on [B][T][C], then the [B*T][C] quantization of the next
// layer's input) would keep them apart: the consumer is first expanded to
// the producer's shape (upstream's reshape fusion by expansion,
// linalg::populateFoldReshapeOpsByExpansionPatterns, restricted to that
// case) and the collapse moves below it, onto the fused result.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"
#include "QuantOpt/Dialect/Qnt/Transforms/ElementwiseFusion.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTFUSEELEMENTWISE
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

using quantopt::isElementwiseGeneric;

namespace {

/// The restriction of both pattern sets: element-wise generics, the
/// producer used by the consumer alone.
bool isFusable(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  Operation *consumer = fused->getOwner();
  return isElementwiseGeneric(producer) && isElementwiseGeneric(consumer) &&
         llvm::all_of(producer->getUsers(),
                      [&](Operation *user) { return user == consumer; });
}

/// The restriction of the reshape fold: a consumer generic reading a
/// collapse_shape of a producer generic, both element-wise, the collapse
/// and the producer used by it alone, so that the two then fuse.
bool isCollapseBetweenFusable(OpOperand *reshaped) {
  Operation *consumer = reshaped->getOwner();
  auto collapse = reshaped->get().getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || !isElementwiseGeneric(consumer) ||
      !llvm::all_of(collapse->getUsers(),
                    [&](Operation *user) { return user == consumer; }))
    return false;
  Operation *producer = collapse.getSrc().getDefiningOp();
  return isElementwiseGeneric(producer) && producer->hasOneUse();
}

/// A consumer generic with a fusable producer -> one generic (upstream's
/// fuseElementwiseOps, as its FuseElementwiseOps pattern applies it).
struct FuseProducer : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    for (OpOperand &operand : op->getOpOperands()) {
      if (!linalg::areElementwiseOpsFusable(&operand) || !isFusable(&operand))
        continue;
      if (failed(quantopt::fuseProducerIntoConsumer(rewriter, &operand)))
        return rewriter.notifyMatchFailure(op, "fusion failed");
      return success();
    }
    return failure();
  }
};

struct QntFuseElementwisePass
    : quantopt::impl::QntFuseElementwiseBase<QntFuseElementwisePass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (producersOnly)
      quantopt::populateQntFuseElementwiseProducersPatterns(patterns);
    else
      quantopt::populateQntFuseElementwisePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntFuseElementwisePatterns(RewritePatternSet &patterns) {
  linalg::populateElementwiseOpsFusionPatterns(patterns, isFusable);
  linalg::populateFoldReshapeOpsByExpansionPatterns(patterns,
                                                    isCollapseBetweenFusable);
}

void quantopt::populateQntFuseElementwiseProducersPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FuseProducer>(patterns.getContext());
  linalg::populateFoldReshapeOpsByExpansionPatterns(patterns,
                                                    isCollapseBetweenFusable);
}
