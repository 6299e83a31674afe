//===- SingleLaneStores.cpp - Masked stores of one lane as scalar stores --===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-single-lane-stores works around a miscompile of LLVM 22's x86
// backend: with AVX-512, a masked store whose constant mask has exactly one
// active lane, of a vector truncated from wider integers (`trunc <16 x i32>
// to <16 x i8>`, then `llvm.masked.store` with mask <1, 0, ..., 0>), is
// emitted as a 4-byte `vmovss` (`vextractps` for another lane) of the
// untruncated lane: three bytes past the element are overwritten. A kernel
// whose N leaves a tail of one column (N = 33) then clobbered the next
// row's first outputs. The vector lowering writes such masks for the last
// vector of a static row; this pass, after `convert-vector-to-llvm`,
// replaces each with `llvm.extractelement` and a scalar `llvm.store` to the
// lane's address, which is what the store means. (Without AVX-512, and
// with i64 sources, LLVM 22 stores the byte; the pass does not look at the
// source: one lane is one scalar store in any case.)
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTSINGLELANESTORES
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {

struct SingleLaneMaskedStore : OpRewritePattern<LLVM::MaskedStoreOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LLVM::MaskedStoreOp op,
                                PatternRewriter &b) const override {
    auto vectorType = dyn_cast<VectorType>(op.getValue().getType());
    DenseElementsAttr mask;
    if (!vectorType || vectorType.getRank() != 1 || vectorType.isScalable() ||
        !matchPattern(op.getMask(), m_Constant(&mask)))
      return b.notifyMatchFailure(op, "not a constant mask of a fixed vector");
    int64_t lane = -1, active = 0;
    for (auto [i, bit] : llvm::enumerate(mask.getValues<bool>()))
      if (bit) {
        lane = static_cast<int64_t>(i);
        ++active;
      }
    if (active != 1)
      return b.notifyMatchFailure(op, "not exactly one active lane");
    Type element = vectorType.getElementType();
    // Lanes of whole bytes, which a GEP over the element type addresses.
    if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
      return b.notifyMatchFailure(op, "elements narrower than a byte");
    Location loc = op.getLoc();
    Value index = LLVM::ConstantOp::create(b, loc, b.getI64Type(),
                                           b.getI64IntegerAttr(lane));
    Value value = LLVM::ExtractElementOp::create(b, loc, op.getValue(), index);
    Value address = LLVM::GEPOp::create(
        b, loc, op.getData().getType(), element, op.getData(),
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(lane)},
        LLVM::GEPNoWrapFlags::inbounds);
    unsigned bytes = element.getIntOrFloatBitWidth() / 8;
    // The vector's alignment holds for lane 0; another lane's address is
    // aligned to its element (or less, when the vector's was less).
    unsigned alignment = op.getAlignment();
    if (lane != 0 || alignment > bytes)
      alignment = std::min<unsigned>(alignment ? alignment : bytes, bytes);
    b.replaceOpWithNewOp<LLVM::StoreOp>(op, value, address, alignment);
    return success();
  }
};

struct QntSingleLaneStoresPass
    : quantopt::impl::QntSingleLaneStoresBase<QntSingleLaneStoresPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntSingleLaneStoresPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace

void quantopt::populateQntSingleLaneStoresPatterns(
    RewritePatternSet &patterns) {
  patterns.add<SingleLaneMaskedStore>(patterns.getContext());
}
