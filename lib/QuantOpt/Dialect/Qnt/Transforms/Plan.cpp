//===- Plan.cpp - What --qnt-quantize does with each layer ----------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Plan.h"

#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace quantopt;
namespace cal = quantopt::calibration;

std::optional<WeightConfig>
quantopt::resolveLayerConfig(StringRef name, StringRef opName,
                             const PlanOptions &options, std::string *reason) {
  return options.recipe
             ? options.recipe->resolve(name, opName, options.weights, reason)
             : std::optional<WeightConfig>(options.weights);
}

LayerPlan quantopt::planLayer(qnt::QuantizableLayerOpInterface layer,
                              StringRef name, StringRef opName,
                              const PlanOptions &options) {
  LayerPlan plan;
  Operation *op = layer.getOperation();
  std::string reason;
  if (!options.keepFloat.empty()) {
    plan.reason = options.keepFloat;
    return plan;
  }
  plan.config = options.configOverride
                    ? options.configOverride
                    : resolveLayerConfig(name, opName, options, &reason);
  if (!plan.config) {
    plan.reason = reason + " says keep_float";
    return plan;
  }
  OpOperand &weightOperand = layer.getWeightOperand();
  DenseElementsAttr weights;
  if (!matchPattern(weightOperand.get(), m_Constant(&weights))) {
    Attribute other;
    plan.reason = matchPattern(weightOperand.get(), m_Constant(&other))
                      ? "its weight constant is not a dense<...> attribute "
                        "(e.g. dense_resource), which the pass cannot read"
                      : "its weight is not a compile-time constant";
    return plan;
  }
  if (!isa<FloatType>(weights.getElementType())) {
    plan.reason = "its weight is not a float tensor";
    return plan;
  }
  std::optional<llvm::Expected<QuantizedWeight>> weight;
  if (plan.config->method == WeightConfig::Method::Gptq) {
    const cal::ObserverStats *observed =
        options.moments ? options.moments->lookup(name) : nullptr;
    bool hessian = observed && observed->moments &&
                   observed->moments->kind == cal::MomentsKind::Hessian &&
                   weights.getType().getRank() == 2;
    if (!hessian && options.samples && options.samples->contains(name)) {
      // The Hessian of the layer's input windows, from samples of its input
      // (convolutions: the moments are per channel, not per window).
      auto evaluator = options.samples->evaluate(name, op);
      auto gram = evaluator
                      ? evaluator->getWindowGram(layer.getWeightChannelAxis())
                      : llvm::Expected<std::vector<double>>(
                            evaluator.takeError());
      if (gram) {
        weight.emplace(quantizeWeightGptq(weights, *plan.config,
                                          layer.getWeightChannelAxis(),
                                          layer.getWeightBlockAxis(), *gram));
        if (*weight) {
          plan.note = llvm::formatv("gptq with the Hessian of its input "
                                    "windows on {0} sample(s)",
                                    evaluator->getNumSamples())
                          .str();
        } else {
          plan.note = "gptq does not apply: " +
                      llvm::toString(weight->takeError()) +
                      "; its weights round to nearest";
          weight.reset();
        }
      } else {
        plan.note = "gptq: no Hessian from its samples: " +
                    llvm::toString(gram.takeError()) +
                    "; its weights round to nearest";
      }
    } else if (!observed || !observed->moments ||
               observed->moments->kind != cal::MomentsKind::Hessian) {
      plan.note = "gptq: the statistics have no Hessian for it (calibrate "
                  "with --qnt-insert-observers=\"moments=hessian\", or give "
                  "calibration-samples=DIR); its weights round to nearest";
    } else {
      weight.emplace(quantizeWeightGptq(weights, *plan.config,
                                        layer.getWeightChannelAxis(),
                                        layer.getWeightBlockAxis(),
                                        *observed->moments));
      if (!*weight) {
        plan.note = "gptq does not apply: " +
                    llvm::toString(weight->takeError()) +
                    "; its weights round to nearest";
        weight.reset();
      }
    }
  }
  if (!weight) {
    WeightConfig nearest = *plan.config;
    nearest.method = WeightConfig::Method::RoundToNearest;
    weight.emplace(quantizeWeight(weights, nearest,
                                  layer.getWeightChannelAxis(),
                                  layer.getWeightBlockAxis()));
  }
  if (!*weight) {
    plan.reason = plan.config->describe() + " does not apply: " +
                  llvm::toString(weight->takeError());
    return plan;
  }
  plan.weight = **weight;
  plan.kind = LayerPlan::Kind::WeightOnly;
  // f16 scales stop at kMinHalfScale: a group whose solved scale was
  // smaller is quantized with a larger step, on fewer levels than its range
  // would take.
  if (plan.config->halfScales) {
    ArrayRef<float> scales = plan.weight->params.getScales().asArrayRef();
    int64_t floor = llvm::count(scales, numerics::kMinHalfScale);
    if (floor) {
      std::string what =
          llvm::formatv("{0} of {1} weight scales are 2^-14, the smallest "
                        "normal f16 (weight-scale=f16): a smaller scale is "
                        "raised to it, and its group quantizes on fewer "
                        "levels",
                        floor, scales.size())
              .str();
      plan.note = plan.note.empty() ? what : plan.note + "; " + what;
    }
  }
  if (options.activations == ActivationMode::None)
    return plan;
  if (!isa<linalg::LinalgOp>(op) && !isa<tosa::TosaDialect>(op->getDialect())) {
    plan.reason = "integer kernels are generated for linalg layers";
    return plan;
  }
  auto xType = dyn_cast<RankedTensorType>(getActivationOperand(op).get().getType());
  if (!xType || !xType.getElementType().isF32()) {
    plan.reason = "integer kernels need f32 activations and outputs";
    return plan;
  }
  if (options.activations == ActivationMode::Static ||
      options.calibratedTensorScale) {
    plan.staticActivations = options.activations == ActivationMode::Static;
    if (!options.noRange.empty()) {
      plan.reason = options.noRange;
      return plan;
    }
    if (options.rangeOverride) {
      plan.range = *options.rangeOverride;
    } else if (options.stats) {
      const cal::ObserverStats *observed = options.stats->lookup(name);
      if (!observed) {
        plan.reason = options.statsName + " has no range for it";
        return plan;
      }
      if (!options.calibrationCandidates.empty()) {
        // calibration=auto: the estimator with the best layer-output SQNR
        // on the layer's real input samples.
        auto evaluator = options.samples->evaluate(name, op);
        if (!evaluator) {
          plan.reason = "calibration=auto: " +
                        llvm::toString(evaluator.takeError());
          return plan;
        }
        auto choice = chooseCalibrationMethod(
            *evaluator, options.calibrationCandidates, *observed,
            options.estimate);
        if (!choice) {
          plan.reason = "calibration=auto: " + llvm::toString(choice.takeError());
          return plan;
        }
        plan.range = choice->measures[choice->chosen].range;
        std::string what = "calibration: " + choice->describe();
        plan.note = plan.note.empty() ? what : plan.note + "; " + what;
      } else {
        auto range = cal::estimateRange(*observed, options.estimate);
        if (!range) {
          plan.reason = "calibration=" + options.calibrationName +
                        " gives no range: " + llvm::toString(range.takeError());
          return plan;
        }
        plan.range = *range;
      }
    }
  }
  plan.kind = LayerPlan::Kind::Integer;
  return plan;
}
