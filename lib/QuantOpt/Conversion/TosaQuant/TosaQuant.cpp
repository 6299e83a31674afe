//===- TosaQuant.cpp - TOSA's quantized forms to qnt ----------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// `qnt-import-tosa`. A TOSA integer graph states no scales: a layer is an
// int8 convolution or matmul with zero-point operands that accumulates in
// int32, and a tosa.rescale with a multiplier and a shift per channel takes
// the accumulator to int8. In qnt the same program reads:
//
//   tosa.conv2d(x, w, bias, zp_x, zp_w)  ->  tensor.pad(x, zp_x) +
//     qnt.contract with input #qnt.params<i8, scales = [1.0],
//     zero_points = [zp_x]>, weight <i8, scales = [1.0], zero_points =
//     [zp_w]> and result <i32, scales = [1.0]>: the accumulator is the same
//     integer, `sum((x - zp_x) (w - zp_w)) + bias`;
//   tosa.rescale(v, m, shift, zp_in, zp_out)  ->  qnt.requantize from
//     <iN, scales = [1.0], zero_points = [zp_in]> to <iM, scales =
//     [2^shift / m], zero_points = [zp_out]> (per channel on the last axis
//     when TOSA's is), with the stated `multipliers` and `shifts`, so the
//     integers are TOSA's bit for bit (`fixed_point`, or
//     `fixed_point_double_round` for DOUBLE_ROUND with 32-bit multipliers).
//
// Unit scales are the only honest choice: TOSA's real scales are gone, only
// their ratios survive in the multipliers. Everything else in the graph
// (clamps, pooling, reshapes, integer adds) stays TOSA, which the pipeline
// lowers with upstream's tosa-to-linalg.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Conversion/TosaQuant/TosaQuant.h"
#include "QuantOpt/Conversion/Passes.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace quantopt {
#define GEN_PASS_DEF_QNTIMPORTTOSA
#include "QuantOpt/Conversion/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;
namespace num = quantopt::numerics;

namespace {

/// `#qnt.params<storage, scales = [1.0], zero_points = [zp]>`.
qnt::ParamsAttr unitParams(MLIRContext *ctx, num::StorageKind kind,
                           int64_t zeroPoint) {
  Type f32 = Float32Type::get(ctx);
  SmallVector<int64_t> zps;
  if (zeroPoint != 0)
    zps.push_back(zeroPoint);
  return qnt::ParamsAttr::get(
      ctx, qnt::getStorageTypeFor(ctx, kind), f32, -1, 0, false, false,
      DenseF32ArrayAttr::get(ctx, {1.0f}), DenseI64ArrayAttr::get(ctx, zps),
      DenseF32ArrayAttr::get(ctx, {}), 0, 0, FloatAttr());
}

/// The storage kind of a TOSA integer tensor (signless, with the rescale's
/// unsigned flag): 8, 16 or 32 bits.
std::optional<num::StorageKind> storageKind(Type element, bool isUnsigned) {
  auto intType = dyn_cast<IntegerType>(element);
  if (!intType || !llvm::is_contained({8u, 16u, 32u}, intType.getWidth()))
    return std::nullopt;
  return qnt::getStorageKindOf(IntegerType::get(
      element.getContext(), intType.getWidth(),
      isUnsigned ? IntegerType::Unsigned : IntegerType::Signless));
}

bool inRange(int64_t v, num::StorageKind kind) {
  num::IntRange r = num::getIntRange(kind, false);
  return v >= r.qmin && v <= r.qmax;
}

std::optional<SmallVector<int64_t>> constantInts(Value v) {
  DenseIntElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &i : attr.getValues<APInt>())
    values.push_back(i.getSExtValue());
  return values;
}

//===----------------------------------------------------------------------===//
// tosa.rescale
//===----------------------------------------------------------------------===//

struct RescalePlan {
  qnt::ParamsAttr in, out;
  qnt::RequantMode mode;
  SmallVector<int32_t> multipliers, shifts;
};

FailureOr<RescalePlan> planRescale(tosa::RescaleOp op, std::string &why) {
  MLIRContext *ctx = op.getContext();
  auto inType = cast<ShapedType>(op.getInput().getType());
  auto outType = cast<ShapedType>(op.getOutput().getType());
  std::optional<num::StorageKind> inKind =
      storageKind(inType.getElementType(), op.getInputUnsigned());
  std::optional<num::StorageKind> outKind =
      storageKind(outType.getElementType(), op.getOutputUnsigned());
  if (!inKind || !outKind) {
    why = "only 8-, 16- and 32-bit integers rescale in qnt (int48 "
          "accumulators of int16 layers do not)";
    return failure();
  }
  FailureOr<int64_t> zIn = op.getInputZeroPoint();
  FailureOr<int64_t> zOut = op.getOutputZeroPoint();
  if (failed(zIn) || failed(zOut)) {
    why = "its zero points are not constants";
    return failure();
  }
  if (!inRange(*zIn, *inKind) || !inRange(*zOut, *outKind) ||
      (*inKind == num::StorageKind::I32 && *zIn != 0)) {
    why = "a zero point lies outside its storage range (or is non-zero on "
          "int32)";
    return failure();
  }
  std::optional<SmallVector<int64_t>> multipliers =
      constantInts(op.getMultiplier());
  std::optional<SmallVector<int64_t>> shifts = constantInts(op.getShift());
  if (!multipliers || !shifts) {
    why = "its multipliers and shifts are not constants";
    return failure();
  }
  if (op.getRoundingMode() == tosa::RoundingMode::INEXACT_ROUND) {
    why = "INEXACT_ROUND leaves the rounding to the implementation";
    return failure();
  }
  size_t n = multipliers->size();
  if (shifts->size() != n || n == 0 ||
      (n > 1 && (!op.getPerChannel() || outType.getRank() == 0 ||
                 outType.getShape().back() != int64_t(n)))) {
    why = "its multipliers and shifts do not match the channels of the last "
          "dimension";
    return failure();
  }
  RescalePlan plan;
  SmallVector<float> outScales;
  for (size_t i = 0; i < n; ++i) {
    int64_t m = (*multipliers)[i], s = (*shifts)[i];
    if (m < 1 || m >= (int64_t(1) << 31) || s < 1 || s > 62) {
      why = "multiplier #" + std::to_string(i) + " (" + std::to_string(m) +
            " * 2^-" + std::to_string(s) +
            ") is outside [1, 2^31) * 2^-[1, 62]; a zero multiplier has no "
            "scale";
      return failure();
    }
    plan.multipliers.push_back(int32_t(m));
    plan.shifts.push_back(int32_t(s));
    outScales.push_back(float(std::ldexp(1.0, int(s)) / double(m)));
  }
  plan.mode = op.getRoundingMode() == tosa::RoundingMode::DOUBLE_ROUND &&
                      op.getScale32()
                  ? qnt::RequantMode::fixed_point_double_round
                  : qnt::RequantMode::fixed_point;
  plan.in = unitParams(ctx, *inKind, *zIn);
  SmallVector<int64_t> zOuts;
  if (*zOut != 0)
    zOuts.assign(n, *zOut);
  plan.out = qnt::ParamsAttr::get(
      ctx, qnt::getStorageTypeFor(ctx, *outKind), Float32Type::get(ctx),
      n > 1 ? outType.getRank() - 1 : -1, 0, false, false,
      DenseF32ArrayAttr::get(ctx, outScales),
      DenseI64ArrayAttr::get(ctx, zOuts), DenseF32ArrayAttr::get(ctx, {}), 0, 0,
      FloatAttr());
  return plan;
}

struct RescaleToRequantize : OpRewritePattern<tosa::RescaleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::RescaleOp op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<RescalePlan> plan = planRescale(op, why);
    if (failed(plan))
      return rewriter.notifyMatchFailure(op, why);
    if (!isa<RankedTensorType>(op.getInput().getType()) ||
        !isa<RankedTensorType>(op.getOutput().getType()))
      return rewriter.notifyMatchFailure(op, "unranked");
    rewriter.replaceOpWithNewOp<qnt::RequantizeOp>(
        op, op.getOutput().getType(), op.getInput(), plan->in, plan->out,
        qnt::RequantModeAttr::get(op.getContext(), plan->mode),
        rewriter.getDenseI32ArrayAttr(plan->multipliers),
        rewriter.getDenseI32ArrayAttr(plan->shifts));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

/// What the three layer ops share: int8 operands, constant zero points, an
/// int32 result, and an accumulator that cannot overflow.
struct LayerPlan {
  qnt::ParamsAttr input, weight, result;
  int64_t inputZeroPoint = 0;
};

FailureOr<LayerPlan> planTosaLayer(Operation *op, Value x, Value w,
                               FailureOr<int64_t> zx, FailureOr<int64_t> zw,
                               int64_t reductionSize, std::string &why) {
  MLIRContext *ctx = op->getContext();
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto wType = dyn_cast<RankedTensorType>(w.getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!xType || !wType || !outType) {
    why = "its operands are not ranked tensors";
    return failure();
  }
  if (!xType.getElementType().isInteger(8) ||
      !wType.getElementType().isInteger(8) ||
      !outType.getElementType().isInteger(32)) {
    why = "qnt layers take int8 operands to an int32 accumulator (int16 "
          "inputs accumulate in int48)";
    return failure();
  }
  if (failed(zx) || failed(zw)) {
    why = "its zero points are not constants";
    return failure();
  }
  if (!inRange(*zx, num::StorageKind::I8) ||
      !inRange(*zw, num::StorageKind::I8)) {
    why = "a zero point lies outside int8";
    return failure();
  }
  if (!matchPattern(w, m_Constant())) {
    why = "its weight (right-hand side) is not a constant: qnt.contract "
          "computes the weight sums at compile time";
    return failure();
  }
  if (reductionSize <= 0) {
    why = "the reduced dimensions must be static";
    return failure();
  }
  num::IntRange i8 = num::getIntRange(num::StorageKind::I8, false);
  int64_t zws[] = {*zw};
  if (num::getAccumulatorBound(i8, i8, zws, reductionSize) >=
      num::kAccumulatorLimit) {
    why = "its int32 accumulator could overflow (" +
          std::to_string(reductionSize) + " products per output)";
    return failure();
  }
  LayerPlan plan;
  plan.input = unitParams(ctx, num::StorageKind::I8, *zx);
  plan.weight = unitParams(ctx, num::StorageKind::I8, *zw);
  plan.result = unitParams(ctx, num::StorageKind::I32, 0);
  plan.inputZeroPoint = *zx;
  return plan;
}

/// The bias as an int32 vector of `channels` (TOSA allows one value for
/// all), or failure.
FailureOr<Value> channelBias(PatternRewriter &rewriter, Location loc,
                             Value bias, int64_t channels, std::string &why) {
  auto type = cast<RankedTensorType>(bias.getType());
  if (!type.getElementType().isInteger(32)) {
    why = "its bias is not int32";
    return failure();
  }
  if (type.getDimSize(0) == channels)
    return bias;
  DenseIntElementsAttr attr;
  if (type.getDimSize(0) == 1 && !ShapedType::isDynamic(channels) &&
      matchPattern(bias, m_Constant(&attr))) {
    auto full = RankedTensorType::get({channels}, type.getElementType());
    return arith::ConstantOp::create(
               rewriter, loc,
               DenseElementsAttr::get(full, attr.getValues<APInt>()[0]))
        .getResult();
  }
  why = "its bias is neither one value per output channel nor a constant";
  return failure();
}

/// NHWC input padded with its zero point (real 0), as qnt.contract wants.
Value padInput(PatternRewriter &rewriter, Location loc, Value x,
               ArrayRef<int64_t> pad, int64_t zeroPoint) {
  if (llvm::all_of(pad, [](int64_t p) { return p == 0; }))
    return x;
  auto type = cast<RankedTensorType>(x.getType());
  // TOSA's pad is [top, bottom, left, right].
  SmallVector<int64_t> low{0, pad[0], pad[2], 0}, high{0, pad[1], pad[3], 0};
  SmallVector<int64_t> shape(type.getShape());
  for (int d = 1; d < 3; ++d)
    if (!ShapedType::isDynamic(shape[d]))
      shape[d] += low[d] + high[d];
  Value value = arith::ConstantOp::create(
      rewriter, loc, rewriter.getIntegerAttr(type.getElementType(), zeroPoint));
  return tensor::PadOp::create(
      rewriter, loc, RankedTensorType::get(shape, type.getElementType()), x,
      getAsIndexOpFoldResult(rewriter.getContext(), low),
      getAsIndexOpFoldResult(rewriter.getContext(), high), value);
}

int64_t staticProduct(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (ShapedType::isDynamic(d))
      return -1;
    p *= d;
  }
  return p;
}

std::string checkConv(tosa::Conv2DOp op, LayerPlan *plan = nullptr) {
  std::string why;
  auto wType = dyn_cast<RankedTensorType>(op.getWeight().getType());
  int64_t k = wType ? staticProduct(wType.getShape().drop_front()) : -1;
  FailureOr<LayerPlan> p =
      planTosaLayer(op, op.getInput(), op.getWeight(), op.getInputZeroPoint(),
                op.getWeightZeroPoint(), k, why);
  if (succeeded(p) && plan)
    *plan = *p;
  return why;
}

std::string checkDepthwise(tosa::DepthwiseConv2DOp op,
                           LayerPlan *plan = nullptr) {
  std::string why;
  auto wType = dyn_cast<RankedTensorType>(op.getWeight().getType());
  // Weight [KH, KW, C, M]: K = KH * KW products per output.
  int64_t k = wType ? staticProduct(wType.getShape().take_front(2)) : -1;
  FailureOr<LayerPlan> p =
      planTosaLayer(op, op.getInput(), op.getWeight(), op.getInputZeroPoint(),
                op.getWeightZeroPoint(), k, why);
  if (failed(p))
    return why;
  if (wType.getDimSize(3) != 1)
    return "its channel multiplier is " + std::to_string(wType.getDimSize(3)) +
           " (qnt.contract's depthwise form has one output per input "
           "channel)";
  if (plan)
    *plan = *p;
  return "";
}

std::string checkMatmul(tosa::MatMulOp op, LayerPlan *plan = nullptr) {
  std::string why;
  auto bType = dyn_cast<RankedTensorType>(op.getB().getType());
  int64_t k = bType ? bType.getDimSize(1) : -1;
  if (ShapedType::isDynamic(k))
    k = -1;
  FailureOr<LayerPlan> p = planTosaLayer(op, op.getA(), op.getB(),
                                     op.getAZeroPoint(), op.getBZeroPoint(),
                                     k, why);
  if (succeeded(p) && plan)
    *plan = *p;
  return why;
}

AffineExpr windowExpr(MLIRContext *ctx, unsigned out, unsigned kernel,
                      int64_t stride, int64_t dilation) {
  return getAffineDimExpr(out, ctx) * stride +
         getAffineDimExpr(kernel, ctx) * dilation;
}

/// Replaces `op` by a qnt.contract returning its int32 accumulator.
void replaceWithContract(PatternRewriter &rewriter, Operation *op, Value x,
                         Value w, Value bias, ArrayRef<AffineMap> maps,
                         const LayerPlan &plan) {
  rewriter.replaceOpWithNewOp<qnt::ContractOp>(
      op, op->getResult(0).getType(), x, w, bias, /*input_scales=*/Value(),
      /*input_zero_points=*/Value(), /*weight_scales=*/Value(),
      /*weight_zero_points=*/Value(), rewriter.getAffineMapArrayAttr(maps),
      plan.input, /*input_storage=*/TypeAttr(), plan.weight,
      /*weight_storage=*/TypeAttr(), plan.result,
      qnt::RequantModeAttr::get(rewriter.getContext(),
                                qnt::RequantMode::float32),
      DenseI64ArrayAttr());
}

/// The operands both convolutions share: the input padded with its zero
/// point, and the bias as one value per output channel.
template <typename ConvOp>
FailureOr<std::pair<Value, Value>>
convOperands(ConvOp op, PatternRewriter &rewriter, const LayerPlan &plan) {
  std::string why;
  auto outType = cast<RankedTensorType>(op.getResult().getType());
  FailureOr<Value> bias = channelBias(rewriter, op.getLoc(), op.getBias(),
                                      outType.getDimSize(3), why);
  if (failed(bias))
    return rewriter.notifyMatchFailure(op, why);
  Value x = padInput(rewriter, op.getLoc(), op.getInput(), op.getPad(),
                     plan.inputZeroPoint);
  return std::make_pair(x, *bias);
}

/// The NHWC input's map over `loops` loops: (n, oh * s + kh * d, ow * s +
/// kw * d, channel) with n = d0, oh = d1, ow = d2, kh and kw the loops
/// `kernelLoop` and `kernelLoop + 1`.
template <typename ConvOp>
AffineMap inputWindowMap(ConvOp op, unsigned loops, unsigned kernelLoop,
                         unsigned channelLoop) {
  MLIRContext *ctx = op.getContext();
  ArrayRef<int64_t> stride = op.getStride(), dilation = op.getDilation();
  return AffineMap::get(
      loops, 0,
      {getAffineDimExpr(0, ctx),
       windowExpr(ctx, 1, kernelLoop, stride[0], dilation[0]),
       windowExpr(ctx, 2, kernelLoop + 1, stride[1], dilation[1]),
       getAffineDimExpr(channelLoop, ctx)},
      ctx);
}

/// tosa.conv2d (NHWC input, OHWI weight) -> qnt.contract.
struct Conv2DToContract : OpRewritePattern<tosa::Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    LayerPlan plan;
    std::string why = checkConv(op, &plan);
    if (!why.empty())
      return rewriter.notifyMatchFailure(op, why);
    MLIRContext *ctx = getContext();
    auto operands = convOperands(op, rewriter, plan);
    if (failed(operands))
      return failure();
    // Loops (n, oh, ow, oc, kh, kw, ic).
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineMap> maps{
        inputWindowMap(op, 7, 4, 6),
        AffineMap::get(7, 0, {d(3), d(4), d(5), d(6)}, ctx),
        AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx)};
    replaceWithContract(rewriter, op, operands->first, op.getWeight(),
                        operands->second, maps, plan);
    return success();
  }
};

/// tosa.depthwise_conv2d (NHWC input, HWCM weight with M = 1).
struct DepthwiseToContract : OpRewritePattern<tosa::DepthwiseConv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::DepthwiseConv2DOp op,
                                PatternRewriter &rewriter) const override {
    LayerPlan plan;
    std::string why = checkDepthwise(op, &plan);
    if (!why.empty())
      return rewriter.notifyMatchFailure(op, why);
    MLIRContext *ctx = getContext();
    auto operands = convOperands(op, rewriter, plan);
    if (failed(operands))
      return failure();
    // The weight is a constant (planTosaLayer): reshape its value.
    DenseElementsAttr weights;
    matchPattern(op.getWeight(), m_Constant(&weights));
    auto wType = cast<RankedTensorType>(weights.getType());
    Value w = arith::ConstantOp::create(
        rewriter, op.getLoc(),
        weights.reshape(RankedTensorType::get(wType.getShape().take_front(3),
                                              wType.getElementType())));
    // Loops (n, oh, ow, c, kh, kw).
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineMap> maps{
        inputWindowMap(op, 6, 4, 3),
        AffineMap::get(6, 0, {d(4), d(5), d(3)}, ctx),
        AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, ctx)};
    replaceWithContract(rewriter, op, operands->first, w, operands->second,
                        maps, plan);
    return success();
  }
};

/// tosa.matmul: a [N, H, C] x b [N, C, W] -> [N, H, W].
struct MatMulToContract : OpRewritePattern<tosa::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    LayerPlan plan;
    std::string why = checkMatmul(op, &plan);
    if (!why.empty())
      return rewriter.notifyMatchFailure(op, why);
    MLIRContext *ctx = getContext();
    // Loops (n, h, w, c).
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineMap> maps{AffineMap::get(4, 0, {d(0), d(1), d(3)}, ctx),
                                AffineMap::get(4, 0, {d(0), d(3), d(2)}, ctx),
                                AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx)};
    replaceWithContract(rewriter, op, op.getA(), op.getB(), Value(), maps,
                        plan);
    return success();
  }
};

} // namespace

std::string quantopt::getTosaQuantUnsupportedReason(Operation *op) {
  std::string why;
  if (auto rescale = dyn_cast<tosa::RescaleOp>(op)) {
    (void)planRescale(rescale, why);
    return why;
  }
  auto isIntegerLayer = [](Operation *layer) {
    return getElementTypeOrSelf(layer->getResult(0).getType()).isInteger();
  };
  if (!isIntegerLayer(op))
    return "";
  if (auto conv = dyn_cast<tosa::Conv2DOp>(op))
    return checkConv(conv);
  if (auto conv = dyn_cast<tosa::DepthwiseConv2DOp>(op))
    return checkDepthwise(conv);
  if (auto matmul = dyn_cast<tosa::MatMulOp>(op))
    return checkMatmul(matmul);
  if (isa<tosa::Conv3DOp, tosa::TransposeConv2DOp>(op))
    return "qnt has no typed layer for it yet (upstream's lowering runs it)";
  return "";
}

void quantopt::populateTosaQuantToQntPatterns(RewritePatternSet &patterns) {
  patterns.add<RescaleToRequantize, Conv2DToContract, DepthwiseToContract,
               MatMulToContract>(patterns.getContext());
}

namespace {
struct QntImportTosaPass
    : quantopt::impl::QntImportTosaBase<QntImportTosaPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateTosaQuantToQntPatterns(patterns);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      return signalPassFailure();
    // What stays TOSA, and why (it still runs: upstream lowers it).
    getOperation()->walk([](Operation *op) {
      if (!isa<tosa::TosaDialect>(op->getDialect()))
        return;
      std::string why = getTosaQuantUnsupportedReason(op);
      if (!why.empty())
        op->emitRemark() << "qnt-import-tosa: '" << op->getName()
                         << "' stays TOSA: " << why;
    });
  }
};
} // namespace
