//===- Plan.h - What --qnt-quantize does with each layer ---------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// One planning step that --qnt-quantize and --qnt-insert-observers share, so
// that the layers observed for calibration are exactly the layers the
// quantizer gives static integer kernels: options + recipe (+ statistics)
// -> per layer, its weight configuration and quantized weight, whether its
// activations are quantized statically, dynamically or stay in float, and
// why.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_PLAN_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_PLAN_H

#include "QuantOpt/Calibration/Calibration.h"
#include "QuantOpt/Calibration/StatsFile.h"
#include "QuantOpt/Dialect/Qnt/Transforms/CalibrationChoice.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Recipe.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerAlgorithms.h"
#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"

#include <optional>
#include <string>

namespace quantopt {

/// How activations are quantized (the `activations` option).
enum class ActivationMode { None, Dynamic, Static };

/// The inputs of the plan.
struct PlanOptions {
  /// The configuration of layers no recipe rule names.
  WeightConfig weights;
  /// Per-layer overrides and layers kept in float (may be null).
  const Recipe *recipe = nullptr;
  ActivationMode activations = ActivationMode::Dynamic;
  /// Dynamic NVFP4 activations whose tensor scale comes from the layer
  /// input's range in `stats` (act-tensor-scale=calibrated): the range is
  /// looked up as for static activations.
  bool calibratedTensorScale = false;
  /// Activation statistics (static activations, or calibratedTensorScale);
  /// null while calibrating.
  const calibration::StatsFile *stats = nullptr;
  /// How the statistics are named in reasons ("'stats.json'").
  std::string statsName;
  /// How ranges come from the statistics, and the option's name.
  calibration::EstimateOptions estimate;
  std::string calibrationName = "minmax";
  /// calibration=auto (docs/Algorithms.md): per layer, the estimator among
  /// these whose range gives the best layer-output SQNR on `samples`
  /// (empty: `estimate.method` for every layer).
  std::vector<calibration::Method> calibrationCandidates;
  const ActivationSamples *samples = nullptr;
  /// The statistics the weight algorithms read (GPTQ's Hessians), whatever
  /// the activation mode; may be null.
  const calibration::StatsFile *moments = nullptr;
  /// Static activations: this range instead of the statistics' (the layer's
  /// input was rescaled after calibration, e.g. by SmoothQuant).
  std::optional<calibration::Range> rangeOverride;
  /// Static activations: why no range describes the layer's input (it was
  /// rescaled and the statistics cannot follow), when one does not.
  std::string noRange;
  /// The layer's weight configuration, decided before planning (mixed
  /// precision), instead of the recipe's; with `keepFloat` set, the layer
  /// stays in float for that reason.
  std::optional<WeightConfig> configOverride;
  std::string keepFloat;
  /// Mixed precision (docs/Algorithms.md): the candidates (empty: off) and
  /// the per-layer output SQNR budget in dB.
  std::vector<PrecisionCandidate> precisions;
  double minSqnr = 0;
};

/// The weight configuration of the layer `name` (op `opName`): the recipe
/// applied to the defaults; std::nullopt when a recipe rule keeps it in
/// float (`reason` names the rule).
std::optional<WeightConfig> resolveLayerConfig(llvm::StringRef name,
                                               llvm::StringRef opName,
                                               const PlanOptions &options,
                                               std::string *reason);

/// What happens to one layer.
struct LayerPlan {
  enum class Kind {
    /// Weights and activations stay in float (`reason`).
    Float,
    /// Weights are quantized; activations stay in float (`reason`, empty
    /// when weight-only was asked for).
    WeightOnly,
    /// Weights and activations are quantized: an integer kernel.
    Integer,
  };
  Kind kind = Kind::Float;
  std::string reason;
  /// What the weight algorithm did not do, when it fell back to rounding to
  /// nearest (empty otherwise).
  std::string note;
  /// The weight configuration (recipe applied) and the quantized weight
  /// (WeightOnly and Integer).
  std::optional<WeightConfig> config;
  std::optional<QuantizedWeight> weight;
  /// Integer with static activations: the range from the statistics (none
  /// while calibrating: the layer needs one); with dynamic NVFP4
  /// activations and PlanOptions::calibratedTensorScale, the range that
  /// sets the tensor scale.
  bool staticActivations = false;
  std::optional<calibration::Range> range;
};

/// Plans `layer`, named `name`, whose op was `opName` when the model was
/// read (recipes match either). Layers of other dialects than linalg and
/// TOSA keep float activations; TOSA layers count as linalg (the quantizer
/// lowers them first). The integer kernel's own structural conditions (maps,
/// accumulator bounds) are checked when it is built.
LayerPlan planLayer(mlir::qnt::QuantizableLayerOpInterface layer,
                    llvm::StringRef name, llvm::StringRef opName,
                    const PlanOptions &options);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_PLAN_H
