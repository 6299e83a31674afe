//===- TransposedConv.cpp - Transposed convolutions without zero stuffing -===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-unstuff-transposed-conv. A transposed convolution imports as the
// convolution of its input spread out by the strides into zeros (ONNX's
// ConvTranspose, docs/Import.md). When the window equals the stride and
// nothing is padded or cropped (the 2x2 stride-2 upsampling of detection and
// segmentation heads), every output pixel receives exactly one window
// position:
//
//   out[n, s*h + r, s*w + t, f] = sum_c x[n, h, w, c] * W[s-1-r, s-1-t, c, f]
//
// so the layer is a 1x1 convolution of x into kh*kw*F channels (the window
// positions become output channels, the weights rearranged at compile time)
// followed by a depth-to-space: an expand_shape, a linalg.transpose and a
// collapse_shape. The zero-stuffed convolution spends kh*kw - 1 of every
// kh*kw multiply-adds on zeros; with F = 1 (a detector's last layer) the
// channel-lane kernels also leave 15 of 16 lanes idle. The sums keep their
// order over c; the zeros they skip add exact zeros, so the results are the
// same bits for finite weights.
//
// The depth-to-space then moves down through element-wise generics whose
// other operands are per-channel constants or scalars (the bias, a batch
// normalization, the activation), which become per-column constants of the
// 1x1 convolution's result, so that the kernels fuse them into its stores
// and static int8 chains them into its int32 bias and requantization.
//
// Both layouts: conv_2d_nhwc_hwcf (weights [kh][kw][C][F], the new channel
// (r, t, f)) and conv_2d_nchw_fchw (weights [F][C][kh][kw], the new channel
// (f, r, t)), so that a model quantized with layout=keep gets the same
// per-channel scales as the NHWC one.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTUNSTUFFTRANSPOSEDCONV
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {
/// Where a layout keeps its dimensions.
struct Layout {
  bool nhwc;
  int64_t channel() const { return nhwc ? 3 : 1; }
  int64_t spatial(int d) const { return nhwc ? 1 + d : 2 + d; }
  /// The 6-D view [N, H, W, kh, kw, F] or [N, F, kh, kw, H, W] of the 1x1
  /// convolution's result, and the permutation to [N, H, kh, W, kw, F] or
  /// [N, F, H, kh, W, kw].
  SmallVector<ReassociationIndices> expand() const {
    if (nhwc)
      return {{0}, {1}, {2}, {3, 4, 5}};
    return {{0}, {1, 2, 3}, {4}, {5}};
  }
  SmallVector<int64_t> permutation() const {
    if (nhwc)
      return {0, 1, 3, 2, 4, 5};
    return {0, 1, 4, 2, 5, 3};
  }
  SmallVector<ReassociationIndices> collapse() const {
    if (nhwc)
      return {{0}, {1, 2}, {3, 4}, {5}};
    return {{0}, {1}, {2, 3}, {4, 5}};
  }
};

/// The depth-to-space of `y` (the 1x1 convolution's layout): an
/// expand_shape to the 6-D view, the transpose, a collapse_shape.
Value depthToSpace(OpBuilder &b, Location loc, Value y, Layout layout,
                   int64_t kh, int64_t kw) {
  auto type = cast<RankedTensorType>(y.getType());
  int64_t n = type.getDimSize(0);
  int64_t c = type.getDimSize(layout.channel());
  int64_t h = type.getDimSize(layout.spatial(0));
  int64_t w = type.getDimSize(layout.spatial(1));
  int64_t f = c / (kh * kw);
  SmallVector<int64_t> six = layout.nhwc
                                 ? SmallVector<int64_t>{n, h, w, kh, kw, f}
                                 : SmallVector<int64_t>{n, f, kh, kw, h, w};
  auto sixType = RankedTensorType::get(six, type.getElementType());
  Value expanded =
      tensor::ExpandShapeOp::create(b, loc, sixType, y, layout.expand());
  // Both permutations keep the batch first; only it may be dynamic (read
  // from y, so that the view has the transpose as its one user).
  SmallVector<int64_t> perm = layout.permutation();
  SmallVector<OpFoldResult> permuted{tensor::getMixedSize(b, loc, y, 0)};
  for (int64_t d : ArrayRef(perm).drop_front())
    permuted.push_back(b.getIndexAttr(six[d]));
  Value empty =
      tensor::EmptyOp::create(b, loc, permuted, type.getElementType());
  Value transposed =
      linalg::TransposeOp::create(b, loc, expanded, empty, perm).getResult()[0];
  return tensor::CollapseShapeOp::create(b, loc, transposed, layout.collapse());
}

/// Matches `v` = depthToSpace(y, ...) as built above; returns y.
Value matchDepthToSpace(Value v, Layout &layout, int64_t &kh, int64_t &kw) {
  auto collapse = v.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || !collapse->hasOneUse())
    return {};
  auto transpose = collapse.getSrc().getDefiningOp<linalg::TransposeOp>();
  if (!transpose || !transpose->hasOneUse() ||
      !transpose.hasPureTensorSemantics())
    return {};
  auto expand = transpose.getInput().getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || !expand->hasOneUse())
    return {};
  for (bool nhwc : {true, false}) {
    Layout candidate{nhwc};
    if (llvm::to_vector(transpose.getPermutation()) !=
            candidate.permutation() ||
        expand.getReassociationIndices() != candidate.expand() ||
        collapse.getReassociationIndices() != candidate.collapse())
      continue;
    auto six = expand.getResultType();
    layout = candidate;
    kh = six.getDimSize(nhwc ? 3 : 2);
    kw = six.getDimSize(nhwc ? 4 : 3);
    if (ShapedType::isDynamic(kh) || ShapedType::isDynamic(kw))
      return {};
    return expand.getSrc();
  }
  return {};
}

/// A convolution of a zero-stuffed input whose window equals its stride
/// becomes a 1x1 convolution and a depth-to-space (file comment).
template <typename ConvOp>
struct UnstuffTransposedConv : OpRewritePattern<ConvOp> {
  using OpRewritePattern<ConvOp>::OpRewritePattern;
  static constexpr bool kNhwc =
      std::is_same_v<ConvOp, linalg::Conv2DNhwcHwcfOp>;

  LogicalResult matchAndRewrite(ConvOp conv,
                                PatternRewriter &rewriter) const override {
    Layout layout{kNhwc};
    if (!conv.hasPureTensorSemantics() ||
        !llvm::all_of(conv.getStrides().template getValues<int64_t>(),
                      [](int64_t s) { return s == 1; }) ||
        !llvm::all_of(conv.getDilations().template getValues<int64_t>(),
                      [](int64_t s) { return s == 1; }))
      return rewriter.notifyMatchFailure(conv, "strided or dilated");
    auto insert =
        conv.getInputs()[0].template getDefiningOp<tensor::InsertSliceOp>();
    DenseElementsAttr weight;
    if (!insert || !matchPattern(conv.getInputs()[1], m_Constant(&weight)))
      return rewriter.notifyMatchFailure(conv, "not a zero-stuffed input and "
                                               "constant weights");
    auto element = dyn_cast<FloatType>(weight.getElementType());
    auto fill = insert.getDest().template getDefiningOp<linalg::FillOp>();
    FloatAttr zero;
    if (!element || !fill ||
        !matchPattern(fill.getInputs()[0], m_Constant(&zero)) ||
        !zero.getValue().isZero())
      return rewriter.notifyMatchFailure(conv, "not spread into float zeros");
    auto init = conv.getOutputs()[0].template getDefiningOp<linalg::FillOp>();
    if (!init)
      return rewriter.notifyMatchFailure(conv, "the init is not a fill");
    Value x = insert.getSource();
    auto xType = cast<RankedTensorType>(x.getType());
    auto spreadType = insert.getDestType();
    auto yType = cast<RankedTensorType>(conv.getResultTypes()[0]);
    auto wType = cast<RankedTensorType>(weight.getType());
    if (xType.getRank() != 4 || xType.getElementType() != element ||
        yType.getElementType() != element)
      return failure();
    int64_t kh = wType.getDimSize(kNhwc ? 0 : 2);
    int64_t kw = wType.getDimSize(kNhwc ? 1 : 3);
    int64_t c = wType.getDimSize(kNhwc ? 2 : 1);
    int64_t f = wType.getDimSize(kNhwc ? 3 : 0);
    if (kh * kw < 2)
      return rewriter.notifyMatchFailure(conv, "a 1x1 window");
    // The slice: the whole of x, every kh-th row and kw-th column, from
    // (kh - 1, kw - 1): the transposed convolution without pads.
    ArrayRef<int64_t> offsets = insert.getStaticOffsets();
    ArrayRef<int64_t> strides = insert.getStaticStrides();
    ArrayRef<int64_t> sizes = insert.getStaticSizes();
    int64_t k[2] = {kh, kw};
    int64_t ch = layout.channel();
    if (ShapedType::isDynamic(offsets[0]) || offsets[0] != 0 ||
        offsets[ch] != 0 || strides[0] != 1 || strides[ch] != 1 ||
        sizes[ch] != c || xType.getDimSize(ch) != c ||
        spreadType.getDimSize(ch) != c)
      return rewriter.notifyMatchFailure(conv, "not a whole-input spread");
    for (int d = 0; d < 2; ++d) {
      int64_t dim = layout.spatial(d);
      int64_t in = xType.getDimSize(dim);
      if (ShapedType::isDynamic(in) || sizes[dim] != in ||
          offsets[dim] != k[d] - 1 || strides[dim] != k[d] ||
          spreadType.getDimSize(dim) != k[d] * in + k[d] - 1 ||
          yType.getDimSize(dim) != k[d] * in)
        return rewriter.notifyMatchFailure(
            conv, "the window differs from the stride, or pads or crops");
    }

    // W1[(r, t, f)][c] (NHWC: [1][1][C][(r, t, f)]; NCHW: [(f, r, t)][C][1][1])
    // = W at window position (kh-1-r, kw-1-t).
    SmallVector<APFloat> src(weight.getValues<APFloat>());
    SmallVector<APFloat> dst(src.size(), src.front());
    for (int64_t r = 0; r < kh; ++r)
      for (int64_t t = 0; t < kw; ++t)
        for (int64_t ci = 0; ci < c; ++ci)
          for (int64_t fi = 0; fi < f; ++fi) {
            int64_t i = kh - 1 - r, j = kw - 1 - t;
            if (kNhwc)
              dst[(ci * kh * kw + r * kw + t) * f + fi] =
                  src[((i * kw + j) * c + ci) * f + fi];
            else
              dst[((fi * kh + r) * kw + t) * c + ci] =
                  src[((fi * c + ci) * kh + i) * kw + j];
          }
    int64_t columns = kh * kw * f;
    auto w1Type =
        RankedTensorType::get(kNhwc ? SmallVector<int64_t>{1, 1, c, columns}
                                    : SmallVector<int64_t>{columns, c, 1, 1},
                              element);
    Location loc = conv.getLoc();
    Value w1 = arith::ConstantOp::create(rewriter, loc,
                                         DenseElementsAttr::get(w1Type, dst));
    SmallVector<OpFoldResult> outSizes;
    for (int64_t d = 0; d < 4; ++d)
      outSizes.push_back(d == ch ? OpFoldResult(rewriter.getIndexAttr(columns))
                                 : tensor::getMixedSize(rewriter, loc, x, d));
    Value empty = tensor::EmptyOp::create(rewriter, loc, outSizes, element);
    Value filled =
        linalg::FillOp::create(rewriter, loc, init.getInputs()[0], empty)
            .getResult(0);
    auto one = rewriter.getI64TensorAttr({1, 1});
    Value y = ConvOp::create(rewriter, loc, filled.getType(), ValueRange{x, w1},
                             ValueRange{filled}, one, one)
                  .getResult(0);
    rewriter.replaceOp(conv, depthToSpace(rewriter, loc, y, layout, kh, kw));
    return success();
  }
};

/// generic(depthToSpace(y), per-channel constants...) ->
/// depthToSpace(generic(y, per-column constants...)).
struct SinkDepthToSpace : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
        op.getNumLoops() != 4 || op.getNumParallelLoops() != op.getNumLoops() ||
        !op.getIndexingMapsArray().back().isIdentity() ||
        op.payloadUsesValueFromOperand(op.getDpsInitOperand(0)) ||
        !op.getBody()->getOps<linalg::IndexOp>().empty())
      return failure();
    // The operand moved: read at the identity, a depth-to-space.
    int moved = -1;
    Layout layout{true};
    int64_t kh = 0, kw = 0;
    Value y;
    for (OpOperand *in : op.getDpsInputOperands()) {
      if (!op.getMatchingIndexingMap(in).isIdentity())
        continue;
      if (Value src = matchDepthToSpace(in->get(), layout, kh, kw)) {
        moved = in->getOperandNumber();
        y = src;
        break;
      }
    }
    if (moved < 0)
      return failure();
    auto yType = cast<RankedTensorType>(y.getType());
    int64_t ch = layout.channel();
    int64_t columns = yType.getDimSize(ch);
    int64_t f = columns / (kh * kw);
    MLIRContext *ctx = op.getContext();
    // The others: scalars (maps without dimensions) stay; constants that
    // vary along the channel alone become 1-D per-column constants.
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    Location loc = op.getLoc();
    for (OpOperand *in : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(in);
      if (static_cast<int>(in->getOperandNumber()) == moved ||
          (in->get() == op->getOperand(moved) && map.isIdentity())) {
        inputs.push_back(y);
        maps.push_back(map);
        continue;
      }
      if (map.getNumResults() == 0 ||
          llvm::all_of(map.getResults(), llvm::IsaPred<AffineConstantExpr>)) {
        inputs.push_back(in->get());
        maps.push_back(map);
        continue;
      }
      DenseElementsAttr values;
      auto type = dyn_cast<RankedTensorType>(in->get().getType());
      if (!type || !matchPattern(in->get(), m_Constant(&values)))
        return rewriter.notifyMatchFailure(op, "an operand is not a constant");
      // The operand's position of the channel; every other result is 0 or
      // a dimension of size 1.
      int channelAt = -1;
      for (auto [i, e] : llvm::enumerate(map.getResults())) {
        if (auto cst = dyn_cast<AffineConstantExpr>(e)) {
          if (cst.getValue() != 0)
            return failure();
          continue;
        }
        auto dimExpr = dyn_cast<AffineDimExpr>(e);
        if (!dimExpr)
          return failure();
        if (dimExpr.getPosition() == ch && channelAt < 0) {
          channelAt = i;
          continue;
        }
        if (type.getDimSize(i) != 1)
          return rewriter.notifyMatchFailure(
              op, "an operand varies along another dimension");
      }
      int64_t perChannel = channelAt < 0 ? 1 : type.getDimSize(channelAt);
      if (perChannel != 1 && perChannel != f)
        return failure();
      SmallVector<Attribute> src(values.getValues<Attribute>());
      SmallVector<Attribute> dst;
      for (int64_t col = 0; col < columns; ++col) {
        // NHWC columns are (r, t, f), NCHW ones (f, r, t).
        int64_t fi = layout.nhwc ? col % f : col / (kh * kw);
        dst.push_back(src[perChannel == 1 ? 0 : fi]);
      }
      auto colType = RankedTensorType::get({columns}, type.getElementType());
      inputs.push_back(arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(colType, dst)));
      maps.push_back(AffineMap::get(4, 0, getAffineDimExpr(ch, ctx), ctx));
    }
    maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
    Type element =
        cast<RankedTensorType>(op.getResultTypes()[0]).getElementType();
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, y), element);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{empty.getType()}, inputs, ValueRange{empty},
        maps, op.getIteratorTypesArray());
    rewriter.cloneRegionBefore(op.getRegion(), generic.getRegion(),
                               generic.getRegion().end());
    rewriter.replaceOp(
        op, depthToSpace(rewriter, loc, generic.getResult(0), layout, kh, kw));
    return success();
  }
};

struct QntUnstuffTransposedConvPass
    : quantopt::impl::QntUnstuffTransposedConvBase<
          QntUnstuffTransposedConvPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntUnstuffTransposedConvPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntUnstuffTransposedConvPatterns(
    RewritePatternSet &patterns) {
  patterns
      .add<UnstuffTransposedConv<linalg::Conv2DNhwcHwcfOp>,
           UnstuffTransposedConv<linalg::Conv2DNchwFchwOp>, SinkDepthToSpace>(
          patterns.getContext());
}
