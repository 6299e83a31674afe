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
// A padded tensor bufferizes to a fill of the whole buffer followed by the
// copy of the interior: every interior element is written twice (on
// PaddleOCR's classifier the fills were 15% of the time, a 16x6x100x200
// buffer filled around a 16x2x96x200 interior). The fill then covers only
// the border: at most two slabs per dimension.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/Matchers.h"
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
    // Trailing dimensions contiguous in both buffers are one (a padded
    // tensor's interior rows of W x C elements, not C at a time), so that
    // the innermost loop is long (qnt-vectorize-copy-loops).
    int64_t rank = source.getRank(), first = rank - 1;
    SmallVector<int64_t> sourceStrides, targetStrides;
    int64_t sourceOffset, targetOffset;
    if (succeeded(source.getStridesAndOffset(sourceStrides, sourceOffset)) &&
        succeeded(target.getStridesAndOffset(targetStrides, targetOffset))) {
      auto contiguous = [&](ArrayRef<int64_t> strides, int64_t d) {
        return !ShapedType::isDynamic(strides[d]) &&
               !ShapedType::isDynamic(strides[d + 1]) &&
               !source.isDynamicDim(d + 1) &&
               strides[d] == strides[d + 1] * source.getDimSize(d + 1);
      };
      while (first > 0 && contiguous(sourceStrides, first - 1) &&
             contiguous(targetStrides, first - 1))
        --first;
    }
    Value from = op.getSource(), to = op.getTarget();
    if (first < rank - 1) {
      SmallVector<ReassociationIndices> groups;
      for (int64_t d = 0; d < first; ++d)
        groups.push_back({d});
      groups.emplace_back();
      for (int64_t d = first; d < rank; ++d)
        groups.back().push_back(d);
      from =
          memref::CollapseShapeOp::create(rewriter, op.getLoc(), from, groups);
      to = memref::CollapseShapeOp::create(rewriter, op.getLoc(), to, groups);
    }
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, from, to);
    return success();
  }
};

/// The uniform value a linalg.fill or an input-less linalg.map writes into
/// its whole output, or null.
Value getFillValue(Operation *op, Value &buffer) {
  if (auto fill = dyn_cast<linalg::FillOp>(op)) {
    if (!fill.hasPureBufferSemantics())
      return nullptr;
    buffer = fill.getOutputs().front();
    return fill.getInputs().front();
  }
  auto map = dyn_cast<linalg::MapOp>(op);
  if (!map || !map.hasPureBufferSemantics() || !map.getInputs().empty())
    return nullptr;
  // Only the yield of a value from outside.
  Block &body = map.getMapper().front();
  Value v = body.getTerminator()->getOperand(0);
  if (!body.without_terminator().empty() || v.getParentBlock() == &body)
    return nullptr;
  buffer = map.getInit();
  return v;
}

/// A fill of a whole buffer whose interior box a later copy overwrites,
/// with no other access in between, fills only the border.
struct FillBorderOnly : RewritePattern {
  FillBorderOnly(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    Value buffer;
    Value value = getFillValue(op, buffer);
    if (!value || !buffer.getDefiningOp<memref::AllocOp>())
      return failure();
    auto type = cast<MemRefType>(buffer.getType());
    if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
        type.getRank() == 0)
      return failure();
    // The subview a copy fills, after `op` in its block.
    Block *block = op->getBlock();
    memref::SubViewOp interior;
    Operation *copy = nullptr;
    for (Operation *user : buffer.getUsers()) {
      auto sv = dyn_cast<memref::SubViewOp>(user);
      if (!sv || sv->getBlock() != block || !sv->hasOneUse())
        continue;
      Operation *c = *sv->getUsers().begin();
      // The copy may already see the subview with its contiguous trailing
      // dimensions collapsed (StridedCopyToLinalg).
      Value target = sv;
      if (auto collapse = dyn_cast<memref::CollapseShapeOp>(c)) {
        if (!collapse->hasOneUse())
          continue;
        target = collapse;
        c = *collapse->getUsers().begin();
      }
      bool fills = (isa<linalg::CopyOp>(c) &&
                    cast<linalg::CopyOp>(c).getOutputs().front() == target) ||
                   (isa<memref::CopyOp>(c) &&
                    cast<memref::CopyOp>(c).getTarget() == target);
      if (fills && c->getBlock() == block && op->isBeforeInBlock(c)) {
        interior = sv;
        copy = c;
        break;
      }
    }
    if (!interior)
      return failure();
    if (!llvm::all_of(interior.getStaticStrides(),
                      [](int64_t s) { return s == 1; }) ||
        ShapedType::isDynamicShape(interior.getStaticOffsets()) ||
        ShapedType::isDynamicShape(interior.getStaticSizes()) ||
        interior.getSourceType().getRank() != type.getRank() ||
        interior.getType().getRank() != type.getRank())
      return failure();
    // Nothing else touches the buffer before the copy.
    for (Operation *user : buffer.getUsers()) {
      if (user == op || user == interior)
        continue;
      Operation *at = block->findAncestorOpInBlock(*user);
      if (!at || !copy->isBeforeInBlock(at))
        return failure();
    }
    ArrayRef<int64_t> offsets = interior.getStaticOffsets();
    ArrayRef<int64_t> sizes = interior.getStaticSizes();
    ArrayRef<int64_t> shape = type.getShape();
    // Slabs: dimension d outside [offset, offset + size), the dimensions
    // before it inside, those after it whole.
    Location loc = op->getLoc();
    rewriter.setInsertionPoint(op);
    int64_t rank = type.getRank();
    for (int64_t d = 0; d < rank; ++d) {
      auto slab = [&](int64_t from, int64_t count) {
        if (count <= 0)
          return;
        SmallVector<int64_t> off(rank, 0), size(shape), one(rank, 1);
        for (int64_t e = 0; e < d; ++e) {
          off[e] = offsets[e];
          size[e] = sizes[e];
        }
        off[d] = from;
        size[d] = count;
        Value part =
            memref::SubViewOp::create(rewriter, loc, buffer, off, size, one);
        linalg::FillOp::create(rewriter, loc, value, part);
      };
      slab(0, offsets[d]);
      slab(offsets[d] + sizes[d], shape[d] - offsets[d] - sizes[d]);
    }
    rewriter.eraseOp(op);
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
  patterns.add<StridedCopyToLinalg, FillBorderOnly>(patterns.getContext());
}
