//===- QuantizeMoves.cpp - Quantizations moved in QDQ models --------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The qnt.quantize rewrites that run with qnt-chain-layers' chaining
// (populateQntQuantizeMovePatterns): a requantization of dequantized values
// through scale-preserving ops becomes those ops on the stored integers; a
// quantization after zero padding, zero stuffing, reshapes and transposes
// moves before them; slices quantized alike become one quantization; a
// quantization of parts inserted into an empty tensor moves onto the parts;
// and a run-time quantization of a zero padding moves above it.
// All keep the values bit for bit; they let a QDQ model's pairs around
// pooling and padding disappear, let the kernels fuse quantizations into
// their stores, and let a transposed convolution's phases chain.
//
//===----------------------------------------------------------------------===//

#include "ChainPredicates.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/ChainLayers.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Layout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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

/// A tensor.insert_slice (not rank-reducing) into a fill of real zeros used
/// by it alone: a transposed convolution's zero-stuffed input.
bool isInsertIntoZeros(Operation *op) {
  auto insert = dyn_cast<tensor::InsertSliceOp>(op);
  if (!insert || !quantopt::isInsertIntoFill(insert))
    return false;
  auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
  FloatAttr value;
  return fill->hasOneUse() &&
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

/// The number of elements of `type`, its dynamic dimensions counted as 1
/// (for comparing tensors that share them, as slices share the batch).
int64_t staticElements(RankedTensorType type) {
  int64_t n = 1;
  for (int64_t d : type.getShape())
    n *= ShapedType::isDynamic(d) ? 1 : d;
  return n;
}

/// qnt.quantize(extract_slice_i(v), P) for every user of v (or
/// qnt.quantize(v, P) itself) -> extract_slice_i(qnt.quantize(v, P)) on the
/// stored integers: a tensor read only in slices that are all quantized alike
/// (the same parameters, rounding and non-finite policy) is quantized once, and
/// the quantization then meets what produced v (a layer it chains into, a
/// padding it moves above). The phases of a transposed convolution read
/// overlapping slices of one padded input; a crop is one slice. Not when the
/// slices read less than half of v.
struct QuantizeBeforeSlices : OpRewritePattern<qnt::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qnt::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto slice = op.getInput().getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice)
      return failure();
    Value v = slice.getSource();
    auto alike = [&](qnt::QuantizeOp q) {
      return q && q->getAttrDictionary() == op->getAttrDictionary() &&
             q.getResult().getType().getElementType() ==
                 op.getResult().getType().getElementType();
    };
    // Each reader: a slice (null for a quantization of all of v) and its
    // quantization.
    SmallVector<std::pair<tensor::ExtractSliceOp, qnt::QuantizeOp>> reads;
    auto vType = cast<RankedTensorType>(v.getType());
    int64_t read = 0;
    for (Operation *user : v.getUsers()) {
      // Sizes (of a dynamic batch) read v's shape, not its values.
      if (isa<tensor::DimOp>(user))
        continue;
      auto s = dyn_cast<tensor::ExtractSliceOp>(user);
      auto q = dyn_cast<qnt::QuantizeOp>(user);
      if (s && s->hasOneUse())
        q = dyn_cast<qnt::QuantizeOp>(*s->user_begin());
      else if (s)
        q = nullptr;
      if (!alike(q))
        return rewriter.notifyMatchFailure(
            op, "the sliced tensor has a reader that is not a slice "
                "quantized alike");
      reads.push_back({s, q});
      read += staticElements(s ? s.getResultType() : vType);
    }
    if (2 * read < staticElements(vType))
      return rewriter.notifyMatchFailure(op, "the slices read less than half "
                                             "of the tensor");
    // A clone keeps every attribute.
    rewriter.setInsertionPointAfterValue(v);
    Operation *whole = rewriter.clone(*op);
    whole->setOperand(0, v);
    Type stored = op.getResult().getType().getElementType();
    whole->getResult(0).setType(vType.clone(stored));
    for (auto [s, q] : reads) {
      if (!s) {
        rewriter.replaceOp(q, whole->getResult(0));
        continue;
      }
      rewriter.setInsertionPoint(q);
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          q, cast<RankedTensorType>(q.getResult().getType()),
          whole->getResult(0), s.getMixedOffsets(), s.getMixedSizes(),
          s.getMixedStrides());
    }
    return success();
  }
};

/// qnt.quantize(insert_slice(x_n, ... insert_slice(x_1, empty)), P) ->
/// insert_slice(qnt.quantize(x_n, P), ... into empty') on the stored
/// integers, each insertion (not rank-reducing) used once: a tensor
/// assembled from parts (a transposed convolution's phases, interleaved by
/// strided insertions) is quantized part by part, where each part is made,
/// so that each part's layer chains into the quantization.
struct QuantizeParts : OpRewritePattern<qnt::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qnt::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<tensor::InsertSliceOp> inserts;
    Value v = op.getInput();
    while (auto insert = v.getDefiningOp<tensor::InsertSliceOp>()) {
      if (!insert->hasOneUse() ||
          insert.getSourceType().getRank() != insert.getDestType().getRank())
        return failure();
      inserts.push_back(insert);
      v = insert.getDest();
    }
    auto empty = v.getDefiningOp<tensor::EmptyOp>();
    if (inserts.empty() || !empty)
      return rewriter.notifyMatchFailure(op, "not parts inserted into an "
                                             "empty tensor");
    Type stored = op.getResult().getType().getElementType();
    rewriter.setInsertionPoint(op);
    Value q = tensor::EmptyOp::create(rewriter, empty.getLoc(),
                                      empty.getType().getShape(), stored,
                                      empty.getDynamicSizes());
    for (tensor::InsertSliceOp insert : llvm::reverse(inserts)) {
      Value part = insert.getSource();
      rewriter.setInsertionPointAfterValue(part);
      Operation *moved = rewriter.clone(*op);
      moved->setOperand(0, part);
      moved->getResult(0).setType(insert.getSourceType().clone(stored));
      rewriter.setInsertionPoint(op);
      q = tensor::InsertSliceOp::create(
          rewriter, insert.getLoc(), moved->getResult(0), q,
          insert.getMixedOffsets(), insert.getMixedSizes(),
          insert.getMixedStrides());
    }
    rewriter.replaceOp(op, q);
    return success();
  }
};

/// qnt.dynamic_quantize(tensor.pad(x, 0)) per tensor, symmetric or
/// asymmetric -> tensor.pad(qnt.dynamic_quantize(x), z) on the stored
/// integers, z the zero point solved at run time: both schemes solve from a
/// range that holds 0 (numerics::solveFromRange: the largest magnitude, or
/// [min(lo, 0), max(hi, 0)]), so the padding's zeros change no parameter,
/// and 0 quantizes to z. The range and the quantization then read the
/// smaller tensor and the padding moves a quarter of the bytes (a
/// dynamically quantized convolution's input).
struct DynamicQuantizeBeforePad : OpRewritePattern<qnt::DynamicQuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(qnt::DynamicQuantizeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getPerRow() || op.getBlock() ||
        (op.getScheme() != qnt::DynamicScheme::asymmetric &&
         op.getScheme() != qnt::DynamicScheme::symmetric))
      return failure();
    auto pad = op.getInput().getDefiningOp<tensor::PadOp>();
    FloatAttr value;
    if (!pad || !pad->hasOneUse() || !pad.getConstantPaddingValue() ||
        !matchPattern(pad.getConstantPaddingValue(), m_Constant(&value)) ||
        !value.getValue().isZero())
      return failure();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    auto stored = dyn_cast<IntegerType>(resultType.getElementType());
    if (!stored || stored.getWidth() >= 32)
      return failure();
    Location loc = op.getLoc();
    auto moved = qnt::DynamicQuantizeOp::create(
        rewriter, loc,
        TypeRange{pad.getSourceType().clone(stored), op.getScales().getType(),
                  op.getZeroPoints().getType()},
        pad.getSource(), op->getAttrs());
    Value z = tensor::ExtractOp::create(rewriter, loc, moved.getZeroPoints(),
                                        ValueRange{});
    Value zStored = arith::TruncIOp::create(rewriter, loc, stored, z);
    Value padded = tensor::PadOp::create(
        rewriter, pad.getLoc(), resultType, moved.getResult(),
        pad.getMixedLowPad(), pad.getMixedHighPad(), zStored, pad.getNofold());
    rewriter.replaceOp(op, {padded, moved.getScales(), moved.getZeroPoints()});
    return success();
  }
};
} // namespace

void quantopt::populateQntQuantizeMovePatterns(RewritePatternSet &patterns) {
  patterns.add<QuantizeOfDequantized, QuantizeBeforeMoves, QuantizeBeforeSlices,
               QuantizeParts, DynamicQuantizeBeforePad>(patterns.getContext());
}
