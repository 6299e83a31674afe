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
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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
    if (!x || !w || x.getPacked() || w.getPacked() ||
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
        Value(),
        rewriter.getAffineMapArrayAttr(linalgOp.getIndexingMapsArray()), px,
        TypeAttr(), pw, qnt::ParamsAttr(),
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

struct QntFoldDequantizedLayersPass
    : quantopt::impl::QntFoldDequantizedLayersBase<
          QntFoldDequantizedLayersPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateQntFoldDequantizedLayersPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void quantopt::populateQntFoldDequantizedLayersPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FoldDequantizedLayer>(patterns.getContext());
}
