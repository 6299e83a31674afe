//===- QuantizeLayers.h - One layer from its plan to its typed form -*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// What qnt-quantize-layers does to each layer, as a function and as a
// rewrite pattern other compilers can add to their own pattern sets: plan
// the layer (planLayer), then rewrite it into a qnt.contract (integer), give
// it qnt.dequantize'd weights (weight-only), or leave it (float).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_QUANTIZELAYERS_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_QUANTIZELAYERS_H

#include "QuantOpt/Dialect/Qnt/Transforms/IntegerLayers.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Plan.h"

#include "mlir/IR/PatternMatch.h"

namespace quantopt {

/// Loads the dialects planning and quantizing create attributes and ops of
/// (qnt, arith, linalg, math, tensor). The passes declare them; a compiler
/// that calls planLayer or the patterns itself calls this first.
void loadQntQuantizeDialects(mlir::MLIRContext &context);

/// What quantizeLayer did with a layer.
struct LayerOutcome {
  LayerPlan::Kind kind = LayerPlan::Kind::Float;
  /// Why the layer got less than an integer kernel (empty for an integer
  /// layer, and for weight-only when weight-only was asked for).
  std::string reason;
  /// The plan's note: what the weight algorithm fell back from.
  std::string note;
  /// Mixed precision: what was measured and chosen.
  std::optional<PrecisionChoice> precision;
};

/// Plans `layer` (planLayer with `record`'s name and op name) and rewrites
/// it: Integer -> rewriteToIntegerLayer (activation range from the plan's
/// statistics, `activation` otherwise); an integer plan whose layer cannot
/// take the kernel (its maps, a TOSA layer not lowered to linalg) falls back
/// to WeightOnly with the reason; WeightOnly -> rewriteToWeightOnlyLayer;
/// Float -> nothing changes.
LayerOutcome quantizeLayer(mlir::RewriterBase &rewriter,
                           mlir::qnt::QuantizableLayerOpInterface layer,
                           const LayerRecord &record,
                           const PlanOptions &options,
                           const ActivationConfig &activation);

/// Adds the pattern that applies quantizeLayer to every
/// QuantizableLayerOpInterface op with a constant weight (its name from its
/// location: give layers name locations, or run qnt-name-layers first). It
/// fails, changing nothing, on layers the plan keeps in float. `options`
/// (and the recipe and statistics it points to) must outlive the patterns.
/// Chaining static layers is a separate step (populateQntChainLayersPatterns).
void populateQntQuantizeLayersPatterns(mlir::RewritePatternSet &patterns,
                                       const PlanOptions &options,
                                       const ActivationConfig &activation);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_QUANTIZELAYERS_H
