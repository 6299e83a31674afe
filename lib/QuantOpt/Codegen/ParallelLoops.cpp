//===- ParallelLoops.cpp - Outer parallel loops for the ops no kernel took -===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// With threads, the linalg ops left after bufferization (padding copies,
// pooling, transposes, fills, the element-wise code no kernel fused) would
// run on one thread. Upstream's convert-linalg-to-parallel-loops makes all
// their parallel dimensions one scf.parallel, which the OpenMP conversion
// collapses into a single index: every iteration is one element, with a
// division per dimension, and the innermost loop no longer vectorizes (on
// the Fashion-MNIST CNN two threads were slower than one). qnt-parallel-
// loops lowers each op to its scf.for nest (linalg::linalgOpToLoops) and
// turns only the outermost parallel loops into an scf.parallel: as many as
// it takes for their static trip counts to give every thread several
// iterations (a dynamic one suffices), the rest staying plain loops; ops
// of fewer than 2^15 iterations stay on one thread.
//
//===----------------------------------------------------------------------===//

#include "KernelLoops.h"
#include "QuantOpt/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTPARALLELLOOPS
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {
/// Iterations of the parallel loops to aim for per thread (a dynamic trip
/// count is taken as enough).
constexpr int64_t kIterationsPerThread = 4;

struct OuterParallelLoops : OpInterfaceRewritePattern<linalg::LinalgOp> {
  OuterParallelLoops(MLIRContext *ctx, int64_t threads)
      : OpInterfaceRewritePattern(ctx), threads(threads) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 ||
        op->getParentOfType<scf::ParallelOp>())
      return rewriter.notifyMatchFailure(op, "not on buffers at the top");
    auto iterators = op.getIteratorTypesArray();
    if (iterators.front() != utils::IteratorType::parallel)
      return rewriter.notifyMatchFailure(op, "no outer parallel dimension");
    if (!quantopt::hasParallelWork(op.getStaticLoopRanges()))
      return rewriter.notifyMatchFailure(op, "too little work to share");
    FailureOr<linalg::LinalgLoops> lowered = linalg::linalgOpToLoops(rewriter, op);
    if (failed(lowered))
      return failure();
    rewriter.eraseOp(op);
    SmallVector<scf::ForOp> loops;
    for (Operation *loop : *lowered)
      if (auto forOp = dyn_cast<scf::ForOp>(loop))
        loops.push_back(forOp);
    if (loops.empty())
      return success();
    // The outermost parallel loops until their iterations suffice.
    size_t count = 0;
    int64_t iterations = 1;
    bool dynamic = false;
    while (count < loops.size() && count < iterators.size() &&
           iterators[count] == utils::IteratorType::parallel &&
           iterations < threads * kIterationsPerThread) {
      auto trip = loops[count].getStaticTripCount();
      ++count;
      if (!trip) {
        dynamic = true;
        break;
      }
      iterations *= trip->getSExtValue();
    }
    if (count == 0 || (iterations <= 1 && !dynamic))
      return success();
    SmallVector<Value> lbs, ubs, steps;
    for (size_t i = 0; i < count; ++i) {
      lbs.push_back(loops[i].getLowerBound());
      ubs.push_back(loops[i].getUpperBound());
      steps.push_back(loops[i].getStep());
    }
    scf::ForOp outer = loops.front(), inner = loops[count - 1];
    rewriter.setInsertionPoint(outer);
    auto parallel =
        scf::ParallelOp::create(rewriter, outer.getLoc(), lbs, ubs, steps);
    Block *body = parallel.getBody();
    // The innermost converted loop's body (without its yield) moves in.
    SmallVector<Value> ivs(body->getArguments().begin(),
                           body->getArguments().end());
    rewriter.eraseOp(inner.getBody()->getTerminator());
    // Uses of the outer loops' induction variables in the moved body.
    for (size_t i = 0; i + 1 < count; ++i)
      rewriter.replaceAllUsesWith(loops[i].getInductionVar(), ivs[i]);
    rewriter.inlineBlockBefore(inner.getBody(), body->getTerminator(),
                               ValueRange{ivs[count - 1]});
    rewriter.eraseOp(outer);
    return success();
  }

  int64_t threads;
};

struct QntParallelLoopsPass
    : quantopt::impl::QntParallelLoopsBase<QntParallelLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    if (failed(quantopt::checkThreads(getOperation(), getArgument(), threads)))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntParallelLoopsPatterns(patterns, threads);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntParallelLoopsPatterns(RewritePatternSet &patterns,
                                               int64_t threads) {
  patterns.add<OuterParallelLoops>(patterns.getContext(), threads);
}
