//===- QuantizeLayers.cpp - One layer from its plan to its typed form -----===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/QuantizeLayers.h"

#include "QuantOpt/Dialect/Qnt/Transforms/LayerAlgorithms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace quantopt;

void quantopt::loadQntQuantizeDialects(MLIRContext &context) {
  context.loadDialect<qnt::QntDialect, arith::ArithDialect,
                      linalg::LinalgDialect, math::MathDialect,
                      tensor::TensorDialect>();
}

/// Mixed precision for one layer: chooses its storage and granularity
/// among `options.precisions` (or float) into `local`, and says what it
/// measured in `note`.
static std::optional<PrecisionChoice>
applyMixedPrecision(Operation *layer, StringRef name,
                    const PlanOptions &options,
                    const calibration::ObserverStats *observed,
                    std::optional<WeightConfig> &resolved, PlanOptions &local,
                    std::string &note) {
  const calibration::ChannelMoments *moments =
      observed && observed->moments ? &*observed->moments : nullptr;
  // Samples of the layer's input measure what the Hessian cannot (a layer
  // whose weight is not 2-D: a convolution); they are read only then.
  bool hessian =
      moments && moments->kind == calibration::MomentsKind::Hessian &&
      cast<RankedTensorType>(
          cast<qnt::QuantizableLayerOpInterface>(layer).getWeightOperand()
              .get()
              .getType())
              .getRank() == 2;
  std::optional<LayerSampleEvaluator> samples;
  std::string samplesError;
  if (!hessian && options.samples && options.samples->contains(name)) {
    auto evaluator = options.samples->evaluate(name, layer);
    if (evaluator)
      samples.emplace(std::move(*evaluator));
    else
      samplesError = "; its samples: " + llvm::toString(evaluator.takeError());
  }
  if (!moments && !samples) {
    note = "mixed precision: the statistics have no Hessian for it" +
           (options.samples ? samplesError.empty()
                                  ? " and the samples have no input of it"
                                  : samplesError
                            : std::string()) +
           "; it keeps " + resolved->describe();
    return std::nullopt;
  }
  PrecisionChoice c =
      chooseLayerPrecision(layer, options.precisions, moments,
                           samples ? &*samples : nullptr, options.minSqnr);
  if (!c.error.empty()) {
    note = "mixed precision: " + c.error + "; it keeps " + resolved->describe();
    return c;
  }
  int pick = c.chosen;
  if (pick < 0) {
    // Nothing reaches the budget: the most accurate candidate.
    pick = 0;
    for (size_t i = 1; i < c.measures.size(); ++i)
      if (c.measures[i].sqnr > c.measures[pick].sqnr)
        pick = i;
  }
  std::string measured;
  for (const auto &m : c.measures)
    measured += (measured.empty() ? "" : ", ") + m.name +
                (std::isfinite(m.sqnr)
                     ? llvm::formatv(" {0:f1} dB", m.sqnr).str()
                     : std::string(m.sqnr > 0 ? " exact" : " n/a"));
  note = llvm::formatv("mixed precision: {0} ({1}; budget {2:f1} dB{3})",
                       c.measures[pick].name, measured, options.minSqnr,
                       c.chosen < 0 ? ", not reached" : "")
             .str();
  c.chosen = pick;
  const PrecisionCandidate &candidate = options.precisions[pick];
  if (!candidate.config) {
    local.keepFloat = note;
    return c;
  }
  WeightConfig config = *resolved;
  config.storage = candidate.config->storage;
  config.granularity = candidate.config->granularity;
  config.blockSize = candidate.config->blockSize;
  local.configOverride = config;
  resolved = config;
  return c;
}

/// A layer whose weight operand is not a constant (an activation: the two
/// matmuls of attention): both operands quantized at run time when
/// `activation.activationMatmuls` asks for it, float otherwise.
static LayerOutcome
quantizeActivationMatmul(RewriterBase &rewriter,
                         qnt::QuantizableLayerOpInterface layer,
                         const LayerRecord &record, const PlanOptions &options,
                         const ActivationConfig &activation) {
  using Kind = LayerPlan::Kind;
  if (!activation.activationMatmuls)
    return {Kind::Float,
            "its weight is not a compile-time constant (act-matmuls=dynamic "
            "quantizes both operands at run time)",
            "", std::nullopt};
  if (!options.keepFloat.empty())
    return {Kind::Float, options.keepFloat, "", std::nullopt};
  std::string reason;
  if (!resolveLayerConfig(record.name, record.opName, options, &reason))
    return {Kind::Float, reason + " says keep_float", "", std::nullopt};
  auto linalgLayer = dyn_cast<linalg::LinalgOp>(layer.getOperation());
  if (!linalgLayer)
    return {Kind::Float,
            "integer kernels are built on linalg; the qnt-quantize pipeline "
            "lowers TOSA layers first",
            "", std::nullopt};
  ActivationConfig act = activation;
  act.layerName = record.name;
  if (llvm::Error err =
          rewriteToDynamicActivationLayer(rewriter, linalgLayer, act))
    return {Kind::Float,
            "both operands are activations and " + llvm::toString(std::move(err)),
            "", std::nullopt};
  return {Kind::Integer, "",
          "both operands are activations, quantized at run time "
          "(act-matmuls=dynamic)", std::nullopt};
}

/// The most multiply-adds per input element (window x filters per input
/// channel) of a layer act-depthwise treats as depthwise: 9 for a 3x3
/// depthwise convolution, 25 for 5x5, 18 for 3x3 with a channel multiplier
/// of 2; a multiplier of 4 or more does a dense layer's work per input.
constexpr int64_t kMaxDepthwiseMacsPerInput = 32;

/// Whether `op` is a depthwise convolution as act-depthwise means it: it
/// reduces no input channel (a linalg convolution whose input-channel
/// loops, if any, have one iteration: depthwise, or grouped with one
/// channel per group; or tosa.depthwise_conv2d) and does at most
/// kMaxDepthwiseMacsPerInput multiply-adds per input element. Dynamic
/// window or filter sizes do not count as depthwise.
static bool isDepthwiseLayer(Operation *op) {
  int64_t macs = 1;
  if (auto tosaOp = dyn_cast<tosa::DepthwiseConv2DOp>(op)) {
    // Weights [KH][KW][C][M].
    auto type = cast<RankedTensorType>(tosaOp.getWeight().getType());
    if (!type.hasStaticShape())
      return false;
    macs = type.getDimSize(0) * type.getDimSize(1) * type.getDimSize(3);
    return macs <= kMaxDepthwiseMacsPerInput;
  }
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalg::isaConvolutionOpInterface(linalgOp))
    return false;
  FailureOr<linalg::ConvolutionDimensions> dims =
      linalg::inferConvolutionDims(linalgOp);
  if (failed(dims) || dims->depth.empty())
    return false;
  SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
  if (!llvm::all_of(dims->inputChannel,
                    [&](unsigned d) { return ranges[d] == 1; }))
    return false;
  for (unsigned d :
       llvm::concat<const unsigned>(dims->filterLoop, dims->outputChannel)) {
    if (ShapedType::isDynamic(ranges[d]))
      return false;
    macs *= ranges[d];
  }
  return macs <= kMaxDepthwiseMacsPerInput;
}

LayerOutcome quantopt::quantizeLayer(RewriterBase &rewriter,
                                     qnt::QuantizableLayerOpInterface layer,
                                     const LayerRecord &record,
                                     const PlanOptions &options,
                                     const ActivationConfig &activation) {
  if (!matchPattern(layer.getWeightOperand().get(), m_Constant()))
    return quantizeActivationMatmul(rewriter, layer, record, options,
                                    activation);
  if (activation.floatDepthwise && isDepthwiseLayer(layer.getOperation()))
    return {LayerPlan::Kind::Float,
            activation.dynamic
                ? "a depthwise convolution with activations=dynamic: the "
                  "run-time range and quantization of its input cost more "
                  "than its few multiply-adds per input element save "
                  "(act-depthwise=quantize quantizes it)"
                : "act-depthwise=float keeps depthwise convolutions in float",
            "", std::nullopt};
  PlanOptions local = options;
  std::string note;
  std::optional<PrecisionChoice> precision;
  std::optional<WeightConfig> resolved =
      resolveLayerConfig(record.name, record.opName, options, nullptr);
  const calibration::ObserverStats *observed =
      options.moments ? options.moments->lookup(record.name) : nullptr;
  // Mixed precision picks the layer's storage and granularity first.
  if (resolved && !options.precisions.empty())
    precision = applyMixedPrecision(layer.getOperation(), record.name,
                                    options, observed, resolved, local, note);
  // SmoothQuant and AWQ rescale the float layer's input channels first.
  if (std::optional<WeightConfig> config =
          local.keepFloat.empty() ? resolved : std::nullopt) {
    InputScalingOutcome scaling =
        applyInputScaling(rewriter, layer.getOperation(), *config, observed);
    if (!scaling.note.empty())
      note = note.empty() ? scaling.note : note + "; " + scaling.note;
    local.rangeOverride = scaling.range;
    if (scaling.rangeLost)
      local.noRange = "awq rescaled its input, and the statistics have no "
                      "per-channel extremes to rescale the input's range with "
                      "(calibrate with per-channel observers)";
  }
  LayerPlan plan = planLayer(layer, record.name, record.opName, local);
  if (!note.empty())
    plan.note = plan.note.empty() ? note : note + "; " + plan.note;
  if (plan.kind != LayerPlan::Kind::Float && plan.config->biasCorrection) {
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
    return {LayerPlan::Kind::Float, plan.reason,
            plan.reason == note ? "" : plan.note, precision};
  const QuantizedWeight &weight = *plan.weight;
  if (plan.kind == LayerPlan::Kind::Integer) {
    ActivationConfig act = activation;
    act.layerName = record.name;
    if (plan.range) {
      act.min = plan.range->min;
      act.max = plan.range->max;
    }
    // A calibrated NVFP4 tensor scale: num::getNvFp4TensorScale of the
    // range's largest magnitude, which must be finite (a range rescaled by
    // SmoothQuant may not be).
    std::optional<float> tensorScale;
    if (plan.range && act.dynamic && act.scheme == numerics::Scheme::NvFp4) {
      tensorScale = numerics::getNvFp4TensorScale(
          static_cast<float>(std::max(std::fabs(act.min), std::fabs(act.max))));
      if (tensorScale)
        act.tensorScale = *tensorScale;
    }
    auto linalgLayer = dyn_cast<linalg::LinalgOp>(layer.getOperation());
    llvm::Error err =
        plan.range && act.dynamic && act.scheme == numerics::Scheme::NvFp4 &&
                !tensorScale
            ? llvm::createStringError(
                  llvm::formatv("the calibrated range [{0}, {1}] gives no "
                                "NVFP4 tensor scale",
                                act.min, act.max)
                      .str())
        : linalgLayer
            ? rewriteToIntegerLayer(rewriter, linalgLayer, weight, act)
            : llvm::createStringError(
                  "integer kernels are built on linalg; the "
                  "qnt-quantize pipeline lowers TOSA layers first");
    if (!err)
      return {LayerPlan::Kind::Integer, "", plan.note, precision};
    plan.reason = llvm::toString(std::move(err));
  }
  rewriteToWeightOnlyLayer(rewriter, layer, weight);
  return {LayerPlan::Kind::WeightOnly, plan.reason, plan.note, precision};
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
