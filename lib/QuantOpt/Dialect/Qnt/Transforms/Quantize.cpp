//===- Quantize.cpp - The qnt-quantize pass -------------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Recipe.h"
#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringMap.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTQUANTIZE
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;
namespace num = quantopt::numerics;

/// The name a recipe matches: the first name of the op's location
/// (`loc("fc1")`), or `<op name>#<n>` for the n-th such op of the module.
static std::string getLayerName(Operation *op,
                                llvm::StringMap<unsigned> &counters) {
  std::string name;
  op->getLoc()->walk([&](Location loc) {
    if (auto named = dyn_cast<NameLoc>(loc)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  unsigned index = counters[op->getName().getStringRef()]++;
  if (name.empty())
    name = (op->getName().getStringRef() + "#" + llvm::Twine(index)).str();
  return name;
}

namespace {
struct QntQuantizePass : quantopt::impl::QntQuantizeBase<QntQuantizePass> {
  using Base::Base;

  /// The configuration from the pass options.
  LogicalResult getBaseConfig(WeightConfig &config) {
    ModuleOp module = getOperation();
    auto storage = num::parseStorageName(weights);
    if (!storage || *storage == num::StorageKind::I32)
      return module.emitError() << "qnt-quantize: unknown weights='" << weights
                                << "'";
    auto scheme = num::parseSchemeName(weightScheme);
    if (!scheme)
      return module.emitError()
             << "qnt-quantize: unknown weight-scheme='" << weightScheme
             << "' (expected symmetric, asymmetric or minval)";
    auto granularity = parseGranularityName(weightGranularity);
    if (!granularity)
      return module.emitError()
             << "qnt-quantize: unknown weight-granularity='"
             << weightGranularity << "' (expected tensor, channel or block)";
    if (blockSize <= 0)
      return module.emitError() << "qnt-quantize: block-size must be positive";
    if (!weightRange.empty() && weightRange != "narrow" &&
        weightRange != "full")
      return module.emitError() << "qnt-quantize: unknown weight-range='"
                                << weightRange << "' (expected narrow or full)";
    if (activations != "none")
      return module.emitError()
             << "qnt-quantize: activations='" << activations
             << "' is not available; this version quantizes weights only "
                "(activations=none)";
    config.storage = *storage;
    config.scheme = *scheme;
    config.granularity = *granularity;
    config.blockSize = blockSize;
    if (!weightRange.empty())
      config.narrowRange = weightRange == "narrow";
    config.powerOfTwo = pow2;
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    WeightConfig base;
    if (failed(getBaseConfig(base)))
      return signalPassFailure();
    Recipe recipeRules;
    if (!recipe.empty()) {
      auto loaded = Recipe::load(recipe);
      if (!loaded) {
        module.emitError() << "qnt-quantize: "
                           << llvm::toString(loaded.takeError());
        return signalPassFailure();
      }
      recipeRules = std::move(*loaded);
    }

    SmallVector<qnt::QuantizableLayerOpInterface> layers;
    module.walk([&](qnt::QuantizableLayerOpInterface layer) {
      layers.push_back(layer);
    });

    llvm::StringMap<unsigned> counters;
    unsigned quantized = 0, keptFloat = 0;
    for (qnt::QuantizableLayerOpInterface layer : layers) {
      Operation *op = layer.getOperation();
      std::string name = getLayerName(op, counters);
      auto keep = [&](const llvm::Twine &why) {
        mlir::emitRemark(op->getLoc()) << "layer '" << name << "' (" << layer.getLayerKind()
                         << ") kept in float: " << why;
        ++keptFloat;
      };

      std::string reason;
      std::optional<WeightConfig> config = recipeRules.resolve(
          name, op->getName().getStringRef(), base, &reason);
      if (!config) {
        keep(reason + " says keep_float");
        continue;
      }
      OpOperand &weightOperand = layer.getWeightOperand();
      DenseElementsAttr weights;
      if (!matchPattern(weightOperand.get(), m_Constant(&weights))) {
        keep("its weight is not a compile-time constant");
        continue;
      }
      if (!isa<FloatType>(weights.getElementType())) {
        keep("its weight is not a float tensor");
        continue;
      }
      auto result = quantizeWeight(weights, *config,
                                   layer.getWeightChannelAxis(),
                                   layer.getWeightBlockAxis());
      if (!result) {
        keep(config->describe() + " does not apply: " +
             llvm::toString(result.takeError()));
        continue;
      }

      OpBuilder builder(op);
      Location loc = op->getLoc();
      Value stored = arith::ConstantOp::create(builder, loc, result->stored);
      Value dequantized = qnt::DequantizeOp::create(
          builder, loc, weightOperand.get().getType(), stored,
          result->params);
      Operation *oldConstant = weightOperand.get().getDefiningOp();
      weightOperand.set(dequantized);
      if (oldConstant && oldConstant->use_empty())
        oldConstant->erase();
      ++quantized;
    }

    mlir::emitRemark(module.getLoc()) << "qnt-quantize: weights of " << quantized << " of "
                        << layers.size() << " layer(s) quantized ("
                        << base.describe() << " unless a recipe says "
                        << "otherwise), " << keptFloat << " kept in float";
  }
};
} // namespace
