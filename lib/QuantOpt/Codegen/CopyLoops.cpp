//===- CopyLoops.cpp - Element-by-element copy loops as vector loops ------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The ops no kernel took (the copies into a concatenation's slices, the
// interior of a padded tensor, a slice's copy) reach the LLVM dialect as
// scf.for nests whose innermost loop moves one element per iteration
// (memref.load, memref.store). LLVM's JIT pipeline here left such loops
// scalar (PaddleOCR's classifier spent about a tenth of its int8 time in
// `vmovss` pairs copying rows of 200 floats), presumably since it cannot
// rule out that the two buffers overlap. qnt-vectorize-copy-loops rewrites
// an innermost loop that copies along the unit-stride dimension of two
// buffers that cannot overlap (different allocations, one of them made by
// the function) into a loop of 64-byte vector loads and stores and one
// masked tail; the other loops, parallel or not, stay as they are.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTVECTORIZECOPYLOOPS
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {
/// The buffer `v` is a view of (through subviews, reshapes and casts).
Value getBaseBuffer(Value v) {
  while (Operation *op = v.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(op)) {
      v = view.getViewSource();
      continue;
    }
    if (auto cast = dyn_cast<memref::CastOp>(op)) {
      v = cast.getSource();
      continue;
    }
    break;
  }
  return v;
}

/// Whether the buffers cannot overlap: different allocations, one of them
/// made in the function (an alloc aliases nothing that existed before).
bool areDisjoint(Value a, Value b) {
  Value baseA = getBaseBuffer(a), baseB = getBaseBuffer(b);
  auto isFresh = [](Value v) {
    return v.getDefiningOp<memref::AllocOp>() ||
           v.getDefiningOp<memref::AllocaOp>();
  };
  return baseA != baseB && (isFresh(baseA) || isFresh(baseB));
}

/// Whether the innermost dimension of `type` has a unit stride.
bool hasUnitInnerStride(MemRefType type) {
  if (type.getRank() == 0)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

struct VectorizeCopyLoop : OpRewritePattern<scf::ForOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(scf::ForOp loop,
                                PatternRewriter &rewriter) const override {
    if (loop.getNumResults() != 0 ||
        !matchPattern(loop.getLowerBound(), m_Zero()) ||
        !matchPattern(loop.getStep(), m_One()))
      return failure();
    Block *body = loop.getBody();
    if (body->getOperations().size() != 3)
      return failure();
    auto load = dyn_cast<memref::LoadOp>(&body->front());
    auto store =
        load ? dyn_cast<memref::StoreOp>(load->getNextNode()) : nullptr;
    if (!store || store.getValue() != load.getResult() || !load->hasOneUse())
      return failure();
    Value iv = loop.getInductionVar();
    auto sourceType = load.getMemRefType(), targetType = store.getMemRefType();
    Type element = sourceType.getElementType();
    if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0 ||
        element.getIntOrFloatBitWidth() > 64 ||
        targetType.getElementType() != element ||
        !hasUnitInnerStride(sourceType) || !hasUnitInnerStride(targetType) ||
        load.getIndices().back() != iv || store.getIndices().back() != iv ||
        !areDisjoint(load.getMemRef(), store.getMemRef()))
      return failure();
    for (Value index : llvm::concat<Value>(load.getIndices().drop_back(),
                                           store.getIndices().drop_back()))
      if (!loop.isDefinedOutsideOfLoop(index))
        return failure();

    Location loc = loop.getLoc();
    int64_t lanes = 512 / element.getIntOrFloatBitWidth();
    // Rows shorter than a vector stay scalar (a masked vector per row is no
    // faster).
    std::optional<int64_t> staticUb = getConstantIntValue(loop.getUpperBound());
    if (staticUb && *staticUb < lanes)
      return failure();
    auto vecType = VectorType::get({lanes}, element);
    auto cst = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
    };
    Value ub = loop.getUpperBound();
    Value full = arith::MulIOp::create(
        rewriter, loc, arith::DivUIOp::create(rewriter, loc, ub, cst(lanes)),
        cst(lanes));
    auto indices = [&](Operation::operand_range outer, Value last) {
      SmallVector<Value> idx(outer.drop_back());
      idx.push_back(last);
      return idx;
    };
    scf::ForOp::create(
        rewriter, loc, cst(0), full, cst(lanes), ValueRange{},
        [&](OpBuilder &b, Location, Value k, ValueRange) {
          Value v = vector::LoadOp::create(b, loc, vecType, load.getMemRef(),
                                           indices(load.getIndices(), k));
          vector::StoreOp::create(b, loc, v, store.getMemRef(),
                                  indices(store.getIndices(), k));
          scf::YieldOp::create(b, loc);
        });
    // The rest (fewer than `lanes` elements) under a mask of its length:
    // nothing past the loop's bound is read or written.
    auto emitTail = [&](OpBuilder &b) {
      Value rest = arith::SubIOp::create(b, loc, ub, full);
      Value mask = vector::CreateMaskOp::create(
          b, loc, VectorType::get({lanes}, b.getI1Type()), ValueRange{rest});
      Value zeros = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(vecType, b.getZeroAttr(element)));
      Value v = vector::MaskedLoadOp::create(b, loc, vecType, load.getMemRef(),
                                             indices(load.getIndices(), full),
                                             mask, zeros);
      vector::MaskedStoreOp::create(b, loc, store.getMemRef(),
                                    indices(store.getIndices(), full), mask, v);
    };
    if (staticUb) {
      if (*staticUb % lanes)
        emitTail(rewriter);
    } else {
      Value any = arith::CmpIOp::create(rewriter, loc,
                                        arith::CmpIPredicate::ult, full, ub);
      scf::IfOp::create(rewriter, loc, any, [&](OpBuilder &b, Location) {
        emitTail(b);
        scf::YieldOp::create(b, loc);
      });
    }
    rewriter.eraseOp(loop);
    return success();
  }
};

struct QntVectorizeCopyLoopsPass
    : quantopt::impl::QntVectorizeCopyLoopsBase<QntVectorizeCopyLoopsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntVectorizeCopyLoopsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntVectorizeCopyLoopsPatterns(
    RewritePatternSet &patterns) {
  patterns.add<VectorizeCopyLoop>(patterns.getContext());
}
