//===- QuantizeMoves.cpp - Quantizations moved in QDQ models --------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The qnt.quantize rewrites that run with qnt-chain-layers' chaining
// (populateQntQuantizeMovePatterns): a requantization of dequantized values
// through scale-preserving ops becomes those ops on the stored integers, and
// a quantization after zero padding, zero stuffing, reshapes and transposes
// moves before them. Both keep the values bit for bit; they let a QDQ
// model's pairs around pooling and padding disappear and let the kernels
// fuse quantizations into their stores.
//
//===----------------------------------------------------------------------===//

#include "ChainPredicates.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/ChainLayers.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace quantopt;
using namespace quantopt::chain;

namespace {
/// qnt.quantize(f(qnt.dequantize(q, P)), P) -> f(q) on the stored integers,
/// for f a chain of scale-preserving ops (reshapes, transposes, zero
/// padding, max pooling from -inf) each used once and P per tensor: every
/// value f moves is on P's grid, so quantizing it again gives back its
/// stored integer (a QDQ model's quantize/dequantize pairs around max
/// pooling, which torch.onnx leaves there).
struct QuantizeOfDequantized : OpRewritePattern<qnt::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qnt::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Operation *> passThrough;
    Value x = op.getInput();
    Operation *def = x.getDefiningOp();
    while (def && isScalePreserving(def) && def->hasOneUse()) {
      passThrough.push_back(def);
      x = def->getOperand(0);
      def = x.getDefiningOp();
    }
    auto dq = x.getDefiningOp<qnt::DequantizeOp>();
    qnt::ParamsAttr params = op.getParams();
    if (!dq || dq.hasPacking() || dq.getParams() != params ||
        !params.isPerTensor() || params.isFloatStorage() ||
        params.hasMinValues() || op.getPrecision())
      return rewriter.notifyMatchFailure(op, "not a requantization of "
                                             "dequantized values");
    std::reverse(passThrough.begin(), passThrough.end());
    Value q = replayOnStored(rewriter, op.getLoc(), dq.getInput(), passThrough,
                             params);
    if (q.getType() != op.getResult().getType())
      return rewriter.notifyMatchFailure(op, "replay gives another type");
    rewriter.replaceOp(op, q);
    return success();
  }
};

/// A tensor.insert_slice (not rank-reducing) into a static fill of real
/// zeros used by it alone: a transposed convolution's zero-stuffed input.
bool isInsertIntoZeros(Operation *op) {
  auto insert = dyn_cast<tensor::InsertSliceOp>(op);
  if (!insert || !insert.getDestType().hasStaticShape() ||
      insert.getSourceType().getRank() != insert.getDestType().getRank())
    return false;
  auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
  FloatAttr value;
  return fill && fill->hasOneUse() &&
         fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>() &&
         matchPattern(fill.getInputs()[0], m_Constant(&value)) &&
         value.getValue().isZero();
}

/// qnt.quantize(f(x), P) -> f(qnt.quantize(x, P)) on the stored integers,
/// for f a chain of zero paddings, insertions into zeros (a transposed
/// convolution's zero stuffing), reshapes and transposes (each used once,
/// at least one that is not a reshape) and P per tensor with integer storage:
/// quantization is element-wise and zero quantizes to the zero point, so the
/// result is the same, and a float chain the layers do not take (a HardSwish
/// before the next layer's padding) then ends in the quantization, which the
/// kernels fuse into their stores, instead of a float padding and a separate
/// pass. Max pooling stays: it commutes with quantization only for finite
/// values.
struct QuantizeBeforeMoves : OpRewritePattern<qnt::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qnt::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    qnt::ParamsAttr params = op.getParams();
    if (!params.isPerTensor() || params.isFloatStorage() ||
        params.hasMinValues())
      return failure();
    SmallVector<Operation *> passThrough;
    Value x = op.getInput();
    Operation *def = x.getDefiningOp();
    while (def && def->hasOneUse() &&
           ((isScalePreserving(def) && !isa<linalg::PoolingNhwcMaxOp>(def)) ||
            isInsertIntoZeros(def))) {
      passThrough.push_back(def);
      x = def->getOperand(0);
      def = x.getDefiningOp();
    }
    // A dequantized x is QuantizeOfDequantized's (no quantization at all);
    // reshapes alone cost nothing to leave where they are.
    if (x.getDefiningOp<qnt::DequantizeOp>() ||
        llvm::none_of(passThrough,
                      llvm::IsaPred<tensor::PadOp, linalg::TransposeOp,
                                    tensor::InsertSliceOp>))
      return failure();
    auto xType = cast<RankedTensorType>(x.getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    // A clone keeps every attribute (rounding, the non-finite policy).
    rewriter.setInsertionPointAfterValue(x);
    Operation *moved = rewriter.clone(*op);
    moved->setOperand(0, x);
    moved->getResult(0).setType(xType.clone(resultType.getElementType()));
    Value q = moved->getResult(0);
    rewriter.setInsertionPoint(op);
    std::reverse(passThrough.begin(), passThrough.end());
    q = replayOnStored(rewriter, op.getLoc(), q, passThrough, params);
    if (q.getType() != op.getResult().getType())
      return rewriter.notifyMatchFailure(op, "replay gives another type");
    rewriter.replaceOp(op, q);
    return success();
  }
};
} // namespace

void quantopt::populateQntQuantizeMovePatterns(RewritePatternSet &patterns) {
  patterns.add<QuantizeOfDequantized, QuantizeBeforeMoves>(
      patterns.getContext());
}
