//===- StridedCopies.cpp - Non-contiguous memref.copy as loops ------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The LLVM lowering of memref.copy turns a copy between contiguous buffers
// into llvm.memcpy but any other (a padded tensor's interior, a slice) into
// a call of the runner utilities' memrefCopy, which walks the elements one
// by one through generic index arithmetic: on a CNN the zero padding before
// each convolution cost more than the convolution. qnt-strided-copies
// rewrites those copies into linalg.copy, whose loops (convert-linalg-to-
// loops) LLVM unrolls and vectorizes for the strides at hand.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTSTRIDEDCOPIES
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {
struct StridedCopyToLinalg : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    auto source = dyn_cast<MemRefType>(op.getSource().getType());
    auto target = dyn_cast<MemRefType>(op.getTarget().getType());
    if (!source || !target || source.getRank() == 0)
      return failure();
    // What the LLVM lowering copies with llvm.memcpy stays.
    if (memref::isStaticShapeAndContiguousRowMajor(source) &&
        memref::isStaticShapeAndContiguousRowMajor(target))
      return failure();
    if (source.getLayout().isIdentity() && target.getLayout().isIdentity())
      return failure();
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                op.getTarget());
    return success();
  }
};

struct QntStridedCopiesPass
    : quantopt::impl::QntStridedCopiesBase<QntStridedCopiesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntStridedCopiesPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntStridedCopiesPatterns(RewritePatternSet &patterns) {
  patterns.add<StridedCopyToLinalg>(patterns.getContext());
}
