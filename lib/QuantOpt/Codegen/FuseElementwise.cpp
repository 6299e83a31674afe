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
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"
#include "QuantOpt/Dialect/Qnt/Transforms/ElementwiseFusion.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
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
}

void quantopt::populateQntFuseElementwiseProducersPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FuseProducer>(patterns.getContext());
}
