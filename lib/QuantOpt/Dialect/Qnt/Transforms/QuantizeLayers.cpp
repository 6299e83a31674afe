//===- QuantizeLayers.cpp - One layer from its plan to its typed form -----===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/QuantizeLayers.h"

#include "QuantOpt/Dialect/Qnt/Transforms/InputScaling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace quantopt;

void quantopt::loadQntQuantizeDialects(MLIRContext &context) {
  context.loadDialect<qnt::QntDialect, arith::ArithDialect,
                      linalg::LinalgDialect, math::MathDialect,
                      tensor::TensorDialect>();
}

LayerOutcome quantopt::quantizeLayer(RewriterBase &rewriter,
                                     qnt::QuantizableLayerOpInterface layer,
                                     const LayerRecord &record,
                                     const PlanOptions &options,
                                     const ActivationConfig &activation) {
  // SmoothQuant and AWQ rescale the float layer's input channels first.
  PlanOptions local = options;
  std::string note;
  if (std::optional<WeightConfig> config =
          resolveLayerConfig(record.name, record.opName, options, nullptr)) {
    const calibration::ObserverStats *observed =
        options.moments ? options.moments->lookup(record.name) : nullptr;
    InputScalingOutcome scaling =
        applyInputScaling(rewriter, layer.getOperation(), *config, observed);
    note = scaling.note;
    local.rangeOverride = scaling.range;
  }
  LayerPlan plan = planLayer(layer, record.name, record.opName, local);
  if (!note.empty())
    plan.note = plan.note.empty() ? note : note + "; " + plan.note;
  if (plan.kind != LayerPlan::Kind::Float && plan.config->biasCorrection) {
    const calibration::ObserverStats *observed =
        options.moments ? options.moments->lookup(record.name) : nullptr;
    std::string what;
    if (!observed || !observed->moments) {
      what = "bias correction: the statistics have no input means for it "
             "(calibrate with --qnt-insert-observers=\"moments=channels\")";
    } else if (auto largest = correctLayerBias(rewriter, layer.getOperation(),
                                               *plan.weight,
                                               *observed->moments)) {
      what = llvm::formatv("bias corrected (largest shift {0:e2})", *largest)
                 .str();
    } else {
      what = "bias correction does not apply: " +
             llvm::toString(largest.takeError());
    }
    plan.note = plan.note.empty() ? what : plan.note + "; " + what;
  }
  if (plan.kind == LayerPlan::Kind::Float)
    return {LayerPlan::Kind::Float, plan.reason, plan.note};
  const QuantizedWeight &weight = *plan.weight;
  if (plan.kind == LayerPlan::Kind::Integer) {
    ActivationConfig act = activation;
    act.layerName = record.name;
    if (plan.range) {
      act.min = plan.range->min;
      act.max = plan.range->max;
    }
    auto linalgLayer = dyn_cast<linalg::LinalgOp>(layer.getOperation());
    llvm::Error err =
        linalgLayer ? rewriteToIntegerLayer(rewriter, linalgLayer, weight, act)
                    : llvm::createStringError(
                          "integer kernels are built on linalg; the "
                          "qnt-quantize pipeline lowers TOSA layers first");
    if (!err)
      return {LayerPlan::Kind::Integer, "", plan.note};
    plan.reason = llvm::toString(std::move(err));
  }
  rewriteToWeightOnlyLayer(rewriter, layer, weight);
  return {LayerPlan::Kind::WeightOnly, plan.reason, plan.note};
}

namespace {
struct QuantizeLayerPattern
    : OpInterfaceRewritePattern<qnt::QuantizableLayerOpInterface> {
  QuantizeLayerPattern(MLIRContext *ctx, const PlanOptions &options,
                       const ActivationConfig &activation)
      : OpInterfaceRewritePattern(ctx), options(options),
        activation(activation) {}
  LogicalResult matchAndRewrite(qnt::QuantizableLayerOpInterface layer,
                                PatternRewriter &rewriter) const override {
    LayerOutcome outcome = quantizeLayer(
        rewriter, layer, getLayerRecord(layer.getOperation()), options,
        activation);
    if (outcome.kind == LayerPlan::Kind::Float)
      return rewriter.notifyMatchFailure(layer, outcome.reason);
    return success();
  }
  const PlanOptions &options;
  ActivationConfig activation;
};
} // namespace

void quantopt::populateQntQuantizeLayersPatterns(
    RewritePatternSet &patterns, const PlanOptions &options,
    const ActivationConfig &activation) {
  patterns.add<QuantizeLayerPattern>(patterns.getContext(), options,
                                     activation);
}
