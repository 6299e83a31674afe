//===- Recipe.h - Quantization recipes (JSON) --------------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// What --qnt-quantize does to each layer: the pass options give the default,
// and an optional JSON recipe overrides it per layer or keeps layers in float.
// The format is documented in docs/Quantize.md.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_RECIPE_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_RECIPE_H

#include "QuantOpt/Algorithms/Gptq.h"
#include "QuantOpt/Algorithms/Smoothing.h"
#include "QuantOpt/Numerics/Numerics.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace quantopt {

/// How the weights of one layer are quantized.
struct WeightConfig {
  enum class Granularity { Tensor, Channel, Block };
  /// How the weights are rounded: each to nearest, by GPTQ with the layer
  /// input's Hessian from the statistics, or to nearest after AWQ's
  /// activation-aware scaling (docs/Algorithms.md).
  enum class Method { RoundToNearest, Gptq, Awq };
  numerics::StorageKind storage = numerics::StorageKind::I8;
  numerics::Scheme scheme = numerics::Scheme::Symmetric;
  Granularity granularity = Granularity::Channel;
  int64_t blockSize = 32;
  /// Narrow (restricted) range; by default the profile's
  /// (SolverOptions::setDefaults: under QuantOpt's, narrow for symmetric
  /// integer storage and MX, full otherwise).
  std::optional<bool> narrowRange;
  bool powerOfTwo = false;
  /// f16 scales (numerics::SolverOptions::halfScale).
  bool halfScales = false;
  /// Whose formulas (--qnt-quantize profile=) and torch's reduce_range.
  numerics::Profile profile = numerics::Profile::QuantOpt;
  bool reduceRange = false;
  /// Use only the range of a `bits`-bit integer inside the storage type
  /// (e.g. 3-bit values in i4: [-4, 3]); none: the storage type's range.
  std::optional<unsigned> bits;
  Method method = Method::RoundToNearest;
  /// GPTQ's options (method == Gptq).
  algorithms::GptqOptions gptq;
  /// AWQ's options (method == Awq).
  algorithms::AwqOptions awq;
  /// SmoothQuant's migration strength alpha, when asked for.
  std::optional<double> smoothQuant;
  /// Remove the expected output shift of the quantized weights.
  bool biasCorrection = false;

  /// The solver options this configuration stands for.
  numerics::SolverOptions getSolverOptions() const;
  /// "i8 symmetric per-channel", "i4 minval per-block(64)", ...
  std::string describe() const;
};

/// Parses "rtn", "gptq" or "awq".
std::optional<WeightConfig::Method> parseWeightMethodName(llvm::StringRef name);

/// Parses "tensor", "channel" or "block".
std::optional<WeightConfig::Granularity>
parseGranularityName(llvm::StringRef name);

/// Per-layer overrides.
class Recipe {
public:
  /// One rule: which layers it matches (glob patterns on the layer name and
  /// on the op name; an absent pattern matches everything) and what it
  /// changes.
  struct Rule {
    std::string namePattern, opPattern;
    bool keepFloat = false;
    std::optional<numerics::StorageKind> storage;
    std::optional<numerics::Scheme> scheme;
    std::optional<WeightConfig::Granularity> granularity;
    std::optional<int64_t> blockSize;
    std::optional<bool> narrowRange;
    std::optional<bool> powerOfTwo;
    /// "weight_scale": true for "f16", false for "f32".
    std::optional<bool> halfScales;
    std::optional<WeightConfig::Method> method;
    std::optional<unsigned> bits;
    std::optional<double> smoothQuant;
    std::optional<bool> biasCorrection;
  };

  /// Parses a recipe; errors name `source` and the offending key.
  static llvm::Expected<Recipe> parse(llvm::StringRef json,
                                      llvm::StringRef source);
  /// Reads and parses the file at `path`.
  static llvm::Expected<Recipe> load(llvm::StringRef path);

  /// The configuration of a layer: `base` changed by the recipe's "default"
  /// and by the first matching rule; std::nullopt when the layer stays in
  /// float. `reason` is set to the rule that decided.
  std::optional<WeightConfig> resolve(llvm::StringRef layerName,
                                      llvm::StringRef opName,
                                      WeightConfig base,
                                      std::string *reason = nullptr) const;

  /// Why the configuration of "default" or of a rule, over `base`, cannot
  /// be solved whatever layer it names (weight_scale f16 with integer weights
  /// wider than 11 bits, another profile or MX/NVFP4 weights), naming the
  /// source and the rule; success otherwise. --qnt-quantize checks a
  /// recipe once before planning, instead of a remark per layer.
  llvm::Error check(const WeightConfig &base) const;

  const std::vector<Rule> &getRules() const { return rules; }

private:
  std::optional<Rule> defaults;
  std::vector<Rule> rules;
  /// The file (or name) the recipe was parsed from, for check's errors.
  std::string source;
};

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_RECIPE_H
