//===- FoldAffine.cpp - Per-channel affine ops into the layer's weights ---===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-fold-affine-into-layers folds an inference-mode batch normalization
// (or any element-wise op that is affine in a layer's output with
// per-output-channel constants: gamma * (y - mean) / sqrt(var + eps) + beta)
// into the layer before it, as ONNX Runtime's graph optimizer and PyTorch's
// conv-bn fusion do before they quantize: y' = a[c] * y + b[c] becomes
// weights scaled by a[c] along the output channel and an element-wise bias
// b[c]. The layer must compute y from a zero fill with constant f32
// weights (matmul, NHWC convolution, NHWC depthwise convolution: the output
// channel is the last dimension), be used by the op alone, and the op's
// body must be affine in y by structure (additions, subtractions,
// multiplications and divisions by values built from constants and
// per-channel constant operands only). a and b are computed per channel by
// evaluating the body at y = 0 and y = 1 in double precision; the bias op
// that remains is what quantization chains into int32 biases and the
// kernels fuse. Rounding changes in the last bits, as in those frameworks.
// Two such ops in a row (a bias, then a batch normalization) are fused
// into one first (FuseAffineIntoAffine).
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/ElementwiseFusion.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace quantopt {
#define GEN_PASS_DEF_QNTFOLDAFFINEINTOLAYERS
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {
/// The layer producing `v`, if it fits: a matmul or NHWC (depthwise)
/// convolution with constant f32 weights, from a fill of zero, used once.
Operation *getFoldableLayer(Value v, DenseElementsAttr &weights) {
  Operation *op = v.getDefiningOp();
  if (!isa_and_nonnull<linalg::MatmulOp, linalg::Conv2DNhwcHwcfOp,
                       linalg::DepthwiseConv2DNhwcHwcOp>(op) ||
      !v.hasOneUse())
    return nullptr;
  auto layer = cast<linalg::LinalgOp>(op);
  if (auto mm = dyn_cast<linalg::MatmulOp>(op))
    if (mm.getIndexingMapsArray() !=
        linalg::MatmulOp::getDefaultIndexingMaps(op->getContext()))
      return nullptr;
  if (!layer.hasPureTensorSemantics() || layer.getNumDpsInputs() != 2 ||
      !matchPattern(layer.getDpsInputOperand(1)->get(), m_Constant(&weights)) ||
      !weights.getElementType().isF32() ||
      !cast<ShapedType>(v.getType()).getElementType().isF32())
    return nullptr;
  auto fill = layer.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
  FloatAttr zero;
  if (!fill || !matchPattern(fill.getInputs()[0], m_Constant(&zero)) ||
      !zero.getValue().isZero())
    return nullptr;
  return op;
}

/// How a body value depends on the layer's value y.
enum class Kind { Constant, Affine };

/// Evaluates a body for one channel: `args` are the block arguments'
/// values (y first), results in double.
struct Evaluator {
  llvm::DenseMap<Value, double> values;
  bool failed = false;
  double get(Value v) {
    auto it = values.find(v);
    if (it != values.end())
      return it->second;
    FloatAttr c;
    if (matchPattern(v, m_Constant(&c)))
      return c.getValueAsDouble();
    failed = true;
    return 0;
  }
  void run(Block &body) {
    for (Operation &op : body.without_terminator()) {
      if (op.getNumResults() != 1)
        return void(failed = true);
      double r;
      if (isa<arith::ConstantOp>(op))
        continue;
      double a = get(op.getOperand(0));
      double b = op.getNumOperands() > 1 ? get(op.getOperand(1)) : 0;
      if (isa<arith::AddFOp>(op))
        r = a + b;
      else if (isa<arith::SubFOp>(op))
        r = a - b;
      else if (isa<arith::MulFOp>(op))
        r = a * b;
      else if (isa<arith::DivFOp>(op))
        r = a / b;
      else if (isa<arith::NegFOp>(op))
        r = -a;
      else if (isa<math::SqrtOp>(op))
        r = std::sqrt(a);
      else if (isa<math::RsqrtOp>(op))
        r = 1 / std::sqrt(a);
      else
        return void(failed = true);
      values[op.getResult(0)] = r;
    }
  }
};

/// The inputs of `op` other than `yOperand` as per-output-channel (or
/// uniform) f32 constants, with their block arguments; std::nullopt when
/// one is not.
std::optional<SmallVector<std::pair<BlockArgument, DenseElementsAttr>>>
getPerChannelConstants(linalg::GenericOp op, OpOperand *yOperand) {
  MLIRContext *ctx = op.getContext();
  AffineExpr channel = getAffineDimExpr(op.getNumLoops() - 1, ctx);
  SmallVector<std::pair<BlockArgument, DenseElementsAttr>> perChannel;
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (in == yOperand)
      continue;
    AffineMap map = op.getMatchingIndexingMap(in);
    DenseElementsAttr attr;
    if (!matchPattern(in->get(), m_Constant(&attr)) ||
        !attr.getElementType().isF32())
      return std::nullopt;
    auto type = cast<RankedTensorType>(attr.getType());
    // Other dimensions of size 1 (read at 0, or by a loop of one
    // iteration, as a [1][C] bias broadcast along a batch of one).
    for (auto [d, e] : llvm::enumerate(map.getResults()))
      if (e != channel && type.getDimSize(d) != 1)
        return std::nullopt;
    perChannel.push_back({op.getMatchingBlockArgument(in), attr});
  }
  return perChannel;
}

/// Whether `body` yields a value affine in `y` by structure (additions,
/// subtractions, multiplications and divisions by values built from
/// constants and the `constants` block arguments only; square roots of
/// those).
bool isAffineBody(Block &body, Value y, ArrayRef<BlockArgument> constants) {
  llvm::DenseMap<Value, Kind> kinds;
  kinds[y] = Kind::Affine;
  for (BlockArgument arg : constants)
    kinds[arg] = Kind::Constant;
  auto kindOf = [&](Value v) -> std::optional<Kind> {
    auto it = kinds.find(v);
    if (it != kinds.end())
      return it->second;
    if (matchPattern(v, m_Constant()))
      return Kind::Constant;
    return std::nullopt;
  };
  for (Operation &inner : body.without_terminator()) {
    if (isa<arith::ConstantOp>(inner))
      continue;
    if (inner.getNumResults() != 1)
      return false;
    SmallVector<Kind> ks;
    for (Value operand : inner.getOperands()) {
      auto k = kindOf(operand);
      if (!k)
        return false;
      ks.push_back(*k);
    }
    bool anyAffine = llvm::is_contained(ks, Kind::Affine);
    Kind result = Kind::Constant;
    if (anyAffine) {
      if (isa<arith::AddFOp, arith::SubFOp>(inner) ||
          isa<arith::NegFOp>(inner) ||
          (isa<arith::MulFOp>(inner) && ks[0] != ks[1]) ||
          (isa<arith::DivFOp>(inner) && ks[1] == Kind::Constant))
        result = Kind::Affine;
      else
        return false;
    } else if (!isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
                    arith::NegFOp, math::SqrtOp, math::RsqrtOp>(inner)) {
      return false;
    }
    kinds[inner.getResult(0)] = result;
  }
  return kindOf(body.getTerminator()->getOperand(0)) == Kind::Affine;
}

/// The block arguments of `perChannel`.
SmallVector<BlockArgument>
argumentsOf(ArrayRef<std::pair<BlockArgument, DenseElementsAttr>> perChannel) {
  return llvm::map_to_vector(perChannel,
                             [](auto &entry) { return entry.first; });
}

/// affine2(affine1(layer(x))) -> affine(layer(x)), one element-wise generic
/// (upstream's fuseElementwiseOps), when both are affine in their input
/// with per-channel constants and the first is used by the second alone:
/// ONNX's ConvTranspose with a bias followed by a batch normalization
/// (PaddleOCR's detector head) becomes one op FoldAffineIntoLayer folds.
struct FuseAffineIntoAffine : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!quantopt::isElementwiseMap(op))
      return failure();
    for (OpOperand *in : op.getDpsInputOperands()) {
      auto producer = in->get().getDefiningOp<linalg::GenericOp>();
      if (!producer || !op.getMatchingIndexingMap(in).isIdentity() ||
          !quantopt::isElementwiseMap(producer) ||
          !llvm::all_of(producer->getUsers(),
                        [&](Operation *user) { return user == op; }) ||
          !linalg::areElementwiseOpsFusable(in))
        continue;
      // The producer reads a foldable layer, the consumer the producer;
      // both affine.
      OpOperand *layerOperand = nullptr;
      DenseElementsAttr weights;
      for (OpOperand *pin : producer.getDpsInputOperands())
        if (producer.getMatchingIndexingMap(pin).isIdentity() &&
            getFoldableLayer(pin->get(), weights)) {
          layerOperand = pin;
          break;
        }
      if (!layerOperand)
        continue;
      auto inner = getPerChannelConstants(producer, layerOperand);
      auto outer = getPerChannelConstants(op, in);
      if (!inner || !outer ||
          !isAffineBody(producer.getRegion().front(),
                        producer.getMatchingBlockArgument(layerOperand),
                        argumentsOf(*inner)) ||
          !isAffineBody(op.getRegion().front(), op.getMatchingBlockArgument(in),
                        argumentsOf(*outer)))
        continue;
      if (failed(quantopt::fuseProducerIntoConsumer(rewriter, in)))
        return rewriter.notifyMatchFailure(op, "fusion failed");
      return success();
    }
    return failure();
  }
};

struct FoldAffineIntoLayer : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!quantopt::isElementwiseMap(op))
      return failure();
    unsigned rank = op.getNumLoops();
    MLIRContext *ctx = op.getContext();
    AffineExpr channel = getAffineDimExpr(rank - 1, ctx);
    // Exactly one input is the layer's output; the others are constants
    // per output channel (or uniform).
    Block &body = op.getRegion().front();
    OpOperand *yOperand = nullptr;
    Operation *layer = nullptr;
    DenseElementsAttr weights;
    for (OpOperand *in : op.getDpsInputOperands())
      if (op.getMatchingIndexingMap(in).isIdentity() &&
          (layer = getFoldableLayer(in->get(), weights))) {
        yOperand = in;
        break;
      }
    if (!yOperand)
      return rewriter.notifyMatchFailure(op, "no foldable layer input");
    auto constants = getPerChannelConstants(op, yOperand);
    if (!constants)
      return failure();
    SmallVector<std::pair<BlockArgument, DenseElementsAttr>> perChannel =
        std::move(*constants);
    // Affine in y by structure.
    BlockArgument y = op.getMatchingBlockArgument(yOperand);
    if (!isAffineBody(body, y, argumentsOf(perChannel)))
      return rewriter.notifyMatchFailure(op, "not affine in the layer");
    Value yielded = body.getTerminator()->getOperand(0);
    // A bias alone (y + b) is what the rewrite leaves: nothing to fold.
    if (auto add = yielded.getDefiningOp<arith::AddFOp>())
      if ((add.getLhs() == y || add.getRhs() == y) &&
          llvm::any_of(perChannel, [&](auto &entry) {
            return add.getLhs() == entry.first || add.getRhs() == entry.first;
          }))
        return rewriter.notifyMatchFailure(op, "already a bias");

    // a[c], b[c] by evaluating the body at y = 0 and y = 1.
    auto wType = cast<RankedTensorType>(weights.getType());
    int64_t channels = wType.getShape().back();
    SmallVector<double> scale(channels), shift(channels);
    for (int64_t c = 0; c < channels; ++c) {
      double at[2];
      for (int yv = 0; yv < 2; ++yv) {
        Evaluator e;
        e.values[y] = yv;
        for (auto &[arg, attr] : perChannel) {
          auto type = cast<RankedTensorType>(attr.getType());
          int64_t index = attr.isSplat() ? 0 : c;
          if (!attr.isSplat() && type.getNumElements() != channels)
            return failure();
          APFloat value = *(attr.getValues<APFloat>().begin() + index);
          e.values[arg] = value.convertToDouble();
        }
        e.run(body);
        if (e.failed)
          return failure();
        at[yv] = e.get(yielded);
      }
      shift[c] = at[0];
      scale[c] = at[1] - at[0];
    }
    // Scales of 1 (up to double rounding) leave nothing to fold; scales or
    // shifts that are not finite are not folded.
    if (llvm::all_of(scale, [](double a) { return std::abs(a - 1.0) <= 1e-12; }))
      return rewriter.notifyMatchFailure(op, "already a bias");
    if (!llvm::all_of(scale, [](double a) { return std::isfinite(a); }) ||
        !llvm::all_of(shift, [](double b) { return std::isfinite(b); }))
      return rewriter.notifyMatchFailure(op, "non-finite scale or shift");
    // The scaled weights (channel = last dimension) and the bias op.
    SmallVector<float> w;
    w.reserve(wType.getNumElements());
    int64_t flat = 0;
    for (APFloat v : weights.getValues<APFloat>())
      w.push_back(static_cast<float>(v.convertToDouble() *
                                     scale[flat++ % channels]));
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(layer);
    Value newWeights = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(wType, ArrayRef<float>(w)));
    Operation *newLayer = rewriter.clone(*layer);
    newLayer->setOperand(1, newWeights);
    SmallVector<float> bias(shift.begin(), shift.end());
    rewriter.setInsertionPoint(op);
    Value biasValue = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(
            RankedTensorType::get({channels}, rewriter.getF32Type()),
            ArrayRef<float>(bias)));
    Value init = op.getDpsInitOperand(0)->get();
    SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx),
                                AffineMap::get(rank, 0, channel),
                                AffineMap::getMultiDimIdentityMap(rank, ctx)};
    auto add = linalg::GenericOp::create(
        rewriter, loc, op->getResultTypes(),
        ValueRange{newLayer->getResult(0), biasValue}, ValueRange{init}, maps,
        op.getIteratorTypesArray(),
        [&](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, args[0], args[1]).getResult());
        });
    rewriter.replaceOp(op, add->getResults());
    rewriter.eraseOp(layer);
    return success();
  }
};

struct QntFoldAffineIntoLayersPass
    : quantopt::impl::QntFoldAffineIntoLayersBase<QntFoldAffineIntoLayersPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntFoldAffineIntoLayersPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntFoldAffineIntoLayersPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FuseAffineIntoAffine, FoldAffineIntoLayer>(
      patterns.getContext());
}
