//===- FoldDequantizedLayers.cpp - QDQ layers into qnt.contract ------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// A float linalg layer whose activation and constant weight both come from
// qnt.dequantize (the QDQ form ONNX exporters, QAT and other quantizers
// write) becomes one qnt.contract on the stored values: the QDQ reading of
// the layer, sum((q_x - z_x)(q_w - z_w)) in int32 times s_x * s_w, instead of
// a float sum of dequantized values. A qnt.quantize of its result then
// chains into the layer with the qnt-chain-layers patterns.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/ChainLayers.h"
#include "QuantOpt/Dialect/Qnt/Transforms/IntegerLayers.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Layout.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"
#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTFOLDDEQUANTIZEDLAYERS
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

namespace {

struct FoldDequantizedLayer
    : OpInterfaceRewritePattern<qnt::QuantizableLayerOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(qnt::QuantizableLayerOpInterface layer,
                                PatternRewriter &rewriter) const override {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(layer.getOperation());
    if (!linalgOp || linalgOp.getNumDpsInputs() != 2 ||
        linalgOp.getNumDpsInits() != 1 ||
        &layer.getWeightOperand() != linalgOp.getDpsInputOperand(1))
      return rewriter.notifyMatchFailure(layer, "not a two-input linalg layer");
    auto x = linalgOp.getDpsInputOperand(0)->get().getDefiningOp<qnt::DequantizeOp>();
    auto w = linalgOp.getDpsInputOperand(1)->get().getDefiningOp<qnt::DequantizeOp>();
    Value c = linalgOp.getDpsInitOperand(0)->get();
    auto outType = cast<RankedTensorType>(linalgOp->getResult(0).getType());
    if (!x || !w || x.hasPacking() || w.hasPacking() ||
        !outType.getElementType().isF32())
      return rewriter.notifyMatchFailure(
          layer, "the activation and the weight are not both unpacked "
                 "qnt.dequantize results with an f32 output");
    DenseElementsAttr stored;
    if (!matchPattern(w.getInput(), m_Constant(&stored)))
      return rewriter.notifyMatchFailure(layer, "the stored weight is not a "
                                                "constant");
    qnt::ParamsAttr px = x.getParams(), pw = w.getParams();
    auto usable = [](qnt::ParamsAttr p) {
      return !p.isFloatStorage() && !p.hasMinValues() &&
             p.getBlockSize() == 0 &&
             p.getStorageKind() != numerics::StorageKind::I32;
    };
    if (!usable(px) || !usable(pw) || !px.isPerTensor())
      return rewriter.notifyMatchFailure(
          layer, "qnt.contract takes affine integer parameters, per tensor "
                 "for the activation, per tensor or channel for the weight");
    Location loc = layer.getLoc();
    // Built outside the IR first: the verifier decides (channel axis,
    // accumulator bound, shapes), silently, and a layer it rejects stays as
    // it is.
    OpBuilder detached(rewriter.getContext());
    auto contract = qnt::ContractOp::create(
        detached, loc, outType, x.getInput(), w.getInput(), Value(), Value(),
        Value(), Value(), Value(),
        rewriter.getAffineMapArrayAttr(linalgOp.getIndexingMapsArray()), px,
        TypeAttr(), pw, TypeAttr(), qnt::ParamsAttr(),
        qnt::RequantModeAttr::get(rewriter.getContext(),
                                  qnt::RequantMode::float32),
        DenseI64ArrayAttr());
    LogicalResult verified = success();
    {
      ScopedDiagnosticHandler silence(rewriter.getContext(),
                                      [](Diagnostic &) { return success(); });
      verified = verify(contract, /*verifyRecursively=*/false);
    }
    if (failed(verified)) {
      contract->destroy();
      return rewriter.notifyMatchFailure(layer, "the layer does not verify as "
                                                "a qnt.contract");
    }
    rewriter.insert(contract);
    Value y = contract.getResult();
    if (!isZeroFill(c))
      y = buildInitAdd(rewriter, loc, c, y);
    rewriter.replaceOp(layer, y);
    return success();
  }
};

/// qnt.quantize of a float constant (a weight written as QuantizeLinear ->
/// DequantizeLinear, as torch.onnx exports fake-quantized weights) becomes
/// the constant of its stored values (with the op's rounding), so that the
/// layer's weight is a dequantized constant.
struct FoldQuantizedConstant : OpRewritePattern<qnt::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnt::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    DenseElementsAttr values;
    if (!matchPattern(op.getInput(), m_Constant(&values)))
      return rewriter.notifyMatchFailure(op, "the input is not a constant");
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    std::optional<DenseElementsAttr> stored = quantizeWithParams(
        values, op.getParams(), qnt::toNumerics(op.getRounding()),
        op.getSaturate(), op.getDivisionPrecision());
    if (!stored || stored->getType() != resultType)
      return rewriter.notifyMatchFailure(op, "the constant does not fold");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, *stored);
    return success();
  }
};

/// linalg.transpose of a dequantized constant (ONNX's Gemm with transB over
/// a DequantizeLinear'd weight) becomes the dequantization of the transposed
/// constant, its parameters' axis permuted with it.
struct TransposeDequantizedConstant : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto dq = op.getInput().getDefiningOp<qnt::DequantizeOp>();
    DenseElementsAttr stored;
    if (!dq || dq.hasPacking() ||
        !matchPattern(dq.getInput(), m_Constant(&stored)))
      return rewriter.notifyMatchFailure(op, "not a dequantized constant");
    qnt::ParamsAttr params = dq.getParams();
    if (params.getBlockSize() != 0)
      return rewriter.notifyMatchFailure(op, "per-block parameters");
    ArrayRef<int64_t> perm = op.getPermutation();
    // The axis a of the stored tensor is axis inverse[a] of the transposed.
    qnt::ParamsAttr permuted =
        permuteParams(params, invertPermutationVector(perm));
    Value constant = arith::ConstantOp::create(rewriter, op.getLoc(),
                                               permuteConstant(stored, perm));
    rewriter.replaceOpWithNewOp<qnt::DequantizeOp>(
        op, op.getResult()[0].getType(), constant, permuted, UnitAttr());
    return success();
  }
};

/// Whether `op` passes its input's values through unchanged in set (a
/// subset of them, rearranged): reshapes and max-pooling. Their output
/// holds only values of the dequantized input's grid.
static Value getValuePreservingSource(Operation *op) {
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
          tensor::ExtractSliceOp>(op))
    return op->getOperand(0);
  if (auto transpose = dyn_cast<linalg::TransposeOp>(op))
    return transpose.getInput();
  if (isa<linalg::PoolingNchwMaxOp, linalg::PoolingNhwcMaxOp>(op))
    return cast<linalg::LinalgOp>(op).getDpsInputOperand(0)->get();
  return Value();
}

/// A layer whose activation is a dequantized tensor seen through reshapes,
/// transposes, max-pooling and zero padding (as QDQ exporters leave them: torch.onnx
/// puts no QuantizeLinear after MaxPool or Flatten) gets that activation
/// requantized with the same parameters: exact, since every value is on the
/// grid (the padding value too), so that FoldDequantizedLayer sees a
/// dequantized activation.
struct RequantizeExactActivation
    : OpInterfaceRewritePattern<qnt::QuantizableLayerOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(qnt::QuantizableLayerOpInterface layer,
                                PatternRewriter &rewriter) const override {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(layer.getOperation());
    if (!linalgOp || linalgOp.getNumDpsInputs() != 2 ||
        !layer.getWeightOperand().get().getDefiningOp<qnt::DequantizeOp>())
      return failure();
    Value x = linalgOp.getDpsInputOperand(0)->get();
    if (x.getDefiningOp<qnt::DequantizeOp>())
      return failure();
    SmallVector<Attribute> padValues;
    Value v = x;
    qnt::DequantizeOp dq;
    while (Operation *def = v.getDefiningOp()) {
      if ((dq = dyn_cast<qnt::DequantizeOp>(def)))
        break;
      if (auto pad = dyn_cast<tensor::PadOp>(def)) {
        Value padValue = pad.getConstantPaddingValue();
        Attribute c;
        if (!padValue || !matchPattern(padValue, m_Constant(&c)))
          return failure();
        padValues.push_back(c);
        v = pad.getSource();
        continue;
      }
      v = getValuePreservingSource(def);
      if (!v)
        return failure();
    }
    // (a float16 dequantization is not exact beyond 2^11 steps, and the
    // layer folding takes f32 only)
    if (!dq || dq.hasPacking() ||
        !dq.getResult().getType().getElementType().isF32())
      return failure();
    qnt::ParamsAttr params = dq.getParams();
    if (!params.isPerTensor() || params.isFloatStorage() ||
        params.hasMinValues() || params.getScales()[0] <= 0.0f)
      return failure();
    // Each padding value must be a point of the grid.
    numerics::IntRange range = params.getIntRange();
    float scale = params.getScales()[0];
    int64_t zero = params.getZeroPoint(0);
    for (Attribute c : padValues) {
      auto f = dyn_cast<FloatAttr>(c);
      if (!f)
        return failure();
      float value = static_cast<float>(f.getValueAsDouble());
      int64_t q = numerics::quantizeAffine(value, scale, zero, range);
      if (numerics::dequantizeAffine(q, scale, zero) != value)
        return failure();
    }
    auto xType = cast<RankedTensorType>(x.getType());
    Location loc = layer.getLoc();
    Value stored = qnt::QuantizeOp::create(
        rewriter, loc,
        RankedTensorType::get(xType.getShape(), params.getStoredElementType()),
        x, params, qnt::RoundingMode::half_even);
    Value requantized = qnt::DequantizeOp::create(rewriter, loc, xType, stored,
                                                  params, UnitAttr());
    rewriter.modifyOpInPlace(layer, [&] {
      linalgOp.getDpsInputOperand(0)->set(requantized);
    });
    return success();
  }
};

struct QntFoldDequantizedLayersPass
    : quantopt::impl::QntFoldDequantizedLayersBase<
          QntFoldDequantizedLayersPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateQntFoldDequantizedLayersPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // What stays a float layer over dequantized operands is correct (the
    // QDQ reading in float) and is reported, naming the layer.
    getOperation()->walk([](qnt::QuantizableLayerOpInterface layer) {
      auto linalgOp = dyn_cast<linalg::LinalgOp>(layer.getOperation());
      if (!linalgOp || !llvm::any_of(linalgOp.getDpsInputs(), [](Value v) {
            return v.getDefiningOp<qnt::DequantizeOp>();
          }))
        return;
      bool activation = linalgOp.getDpsInputs()[0].getDefiningOp<qnt::DequantizeOp>();
      bool weight = layer.getWeightOperand().get().getDefiningOp<qnt::DequantizeOp>();
      emitRemark(layer.getLoc())
          << "qnt-fold-dequantized-layers: layer kept in float over "
             "dequantized values: "
          << (!activation ? "its activation is not dequantized"
              : !weight   ? "its weight is not dequantized"
                          : "its parameters do not make a qnt.contract "
                            "(integer affine, per-tensor activation, "
                            "constant weight)");
    });
  }
};

} // namespace

void quantopt::populateQntFoldDequantizedLayersPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FoldDequantizedLayer, FoldQuantizedConstant,
               RequantizeExactActivation, TransposeDequantizedConstant>(
      patterns.getContext());
}
