//===- Recipe.cpp - Quantization recipes (JSON) ---------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Recipe.h"
#include "QuantOpt/Support/Json.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace quantopt;
namespace num = quantopt::numerics;
namespace json = llvm::json;

num::SolverOptions WeightConfig::getSolverOptions() const {
  num::SolverOptions options;
  options.storage = storage;
  options.scheme = scheme;
  options.powerOfTwo = powerOfTwo;
  options.halfScale = halfScales;
  options.profile = profile;
  options.reduceRange = reduceRange;
  options.setDefaults(narrowRange);
  bool isFloat = num::isFloatStorage(storage);
  if (bits && !isFloat && *bits >= 2 && *bits < num::getStorageBitWidth(storage)) {
    num::IntRange r = num::getBitsRange(storage, *bits, options.narrowRange);
    options.rangeMin = r.qmin;
    options.rangeMax = r.qmax;
    options.narrowRange = false;
  }
  return options;
}

std::string WeightConfig::describe() const {
  std::string s = num::getStorageName(storage).str();
  if (bits && *bits < num::getStorageBitWidth(storage))
    s += "(" + std::to_string(*bits) + "-bit)";
  s += " " + num::getSchemeName(scheme).str();
  switch (granularity) {
  case Granularity::Tensor:
    s += " per-tensor";
    break;
  case Granularity::Channel:
    s += " per-channel";
    break;
  case Granularity::Block:
    s += " per-block(" + std::to_string(blockSize) + ")";
    break;
  }
  if (method == Method::Gptq)
    s += " gptq";
  if (method == Method::Awq)
    s += " awq";
  if (biasCorrection)
    s += " bias-corrected";
  if (smoothQuant)
    s += " smoothquant(" + llvm::formatv("{0}", llvm::format("%g", *smoothQuant)).str() + ")";
  if (reduceRange)
    s += " reduce-range";
  if (halfScales)
    s += " f16-scales";
  if (profile != numerics::Profile::QuantOpt)
    s += " (" + numerics::getProfileName(profile).str() + " profile)";
  return s;
}

std::optional<WeightConfig::Method>
quantopt::parseWeightMethodName(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<WeightConfig::Method>>(name)
      .Case("rtn", WeightConfig::Method::RoundToNearest)
      .Case("gptq", WeightConfig::Method::Gptq)
      .Case("awq", WeightConfig::Method::Awq)
      .Default(std::nullopt);
}

std::optional<WeightConfig::Granularity>
quantopt::parseGranularityName(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<WeightConfig::Granularity>>(name)
      .Case("tensor", WeightConfig::Granularity::Tensor)
      .Case("channel", WeightConfig::Granularity::Channel)
      .Case("block", WeightConfig::Granularity::Block)
      .Default(std::nullopt);
}

static llvm::Error fail(llvm::StringRef source, const llvm::Twine &where,
                        const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 source + ": " + where + ": " + message);
}

/// Parses one rule object (`allowMatch` is false for "default").
static llvm::Expected<Recipe::Rule> parseRule(const json::Object &object,
                                              llvm::StringRef source,
                                              const std::string &where,
                                              bool allowMatch) {
  Recipe::Rule rule;
  for (const auto &entry : object) {
    llvm::StringRef k = entry.first;
    const json::Value &value = entry.second;
    auto str = [&]() -> llvm::Expected<llvm::StringRef> {
      if (auto s = value.getAsString())
        return *s;
      return fail(source, where + "." + k, "expected a string");
    };
    if (allowMatch && k == "name") {
      auto s = str();
      if (!s)
        return s.takeError();
      rule.namePattern = s->str();
    } else if (allowMatch && k == "op") {
      auto s = str();
      if (!s)
        return s.takeError();
      rule.opPattern = s->str();
    } else if (allowMatch && k == "keep_float") {
      auto b = value.getAsBoolean();
      if (!b)
        return fail(source, where + ".keep_float", "expected true or false");
      rule.keepFloat = *b;
    } else if (k == "weights") {
      auto s = str();
      if (!s)
        return s.takeError();
      rule.storage = num::parseStorageName(*s);
      if (!rule.storage || *rule.storage == num::StorageKind::I32)
        return fail(source, where + ".weights",
                    "unknown storage '" + *s + "'");
    } else if (k == "scheme") {
      auto s = str();
      if (!s)
        return s.takeError();
      rule.scheme = num::parseSchemeName(*s);
      if (!rule.scheme)
        return fail(
            source, where + ".scheme",
            "unknown scheme '" + *s +
                "' (expected symmetric, asymmetric, minval, mx or nvfp4)");
    } else if (k == "granularity") {
      auto s = str();
      if (!s)
        return s.takeError();
      rule.granularity = parseGranularityName(*s);
      if (!rule.granularity)
        return fail(source, where + ".granularity",
                    "unknown granularity '" + *s +
                        "' (expected tensor, channel or block)");
    } else if (k == "block_size") {
      auto n = value.getAsInteger();
      if (!n || *n <= 0)
        return fail(source, where + ".block_size",
                    "expected a positive integer");
      rule.blockSize = *n;
    } else if (k == "range") {
      auto s = str();
      if (!s)
        return s.takeError();
      if (*s != "narrow" && *s != "full")
        return fail(source, where + ".range",
                    "expected \"narrow\" or \"full\", got '" + *s + "'");
      rule.narrowRange = *s == "narrow";
    } else if (k == "method") {
      auto s = str();
      if (!s)
        return s.takeError();
      rule.method = parseWeightMethodName(*s);
      if (!rule.method)
        return fail(source, where + ".method",
                    "unknown method '" + *s + "' (expected rtn, gptq or awq)");
    } else if (k == "smoothquant") {
      auto n = value.getAsNumber();
      if (!n || !(*n >= 0 && *n <= 1))
        return fail(source, where + ".smoothquant",
                    "expected the migration strength alpha in [0, 1]");
      rule.smoothQuant = *n;
    } else if (k == "bits") {
      auto n = value.getAsInteger();
      if (!n || *n < 2 || *n > 16)
        return fail(source, where + ".bits", "expected an integer from 2 to 16");
      rule.bits = static_cast<unsigned>(*n);
    } else if (k == "bias_correction") {
      auto b = value.getAsBoolean();
      if (!b)
        return fail(source, where + ".bias_correction", "expected true or false");
      rule.biasCorrection = *b;
    } else if (k == "weight_scale") {
      auto str = value.getAsString();
      if (!str || (*str != "f32" && *str != "f16"))
        return fail(source, where + ".weight_scale",
                    "expected \"f32\" or \"f16\"");
      rule.halfScales = *str == "f16";
    } else if (k == "pow2") {
      auto b = value.getAsBoolean();
      if (!b)
        return fail(source, where + ".pow2", "expected true or false");
      rule.powerOfTwo = *b;
    } else {
      return fail(source, where + "." + k, "unknown key");
    }
  }
  return rule;
}

llvm::Expected<Recipe> Recipe::parse(llvm::StringRef text,
                                     llvm::StringRef source) {
  auto parsed = quantopt::parseBoundedJson(text);
  if (!parsed)
    return fail(source, "JSON", llvm::toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return fail(source, "recipe", "expected a JSON object");
  Recipe recipe;
  recipe.source = source.str();
  for (const auto &[key, value] : *root) {
    llvm::StringRef k = key;
    if (k == "version") {
      auto v = value.getAsInteger();
      if (!v || *v != 1)
        return fail(source, "version", "unsupported recipe version (expected 1)");
    } else if (k == "default") {
      const json::Object *object = value.getAsObject();
      if (!object)
        return fail(source, "default", "expected an object");
      auto rule = parseRule(*object, source, "default", /*allowMatch=*/false);
      if (!rule)
        return rule.takeError();
      recipe.defaults = *rule;
    } else if (k == "layers") {
      const json::Array *array = value.getAsArray();
      if (!array)
        return fail(source, "layers", "expected an array");
      for (auto [i, element] : llvm::enumerate(*array)) {
        std::string where = llvm::formatv("layers[{0}]", i).str();
        const json::Object *object = element.getAsObject();
        if (!object)
          return fail(source, where, "expected an object");
        auto rule = parseRule(*object, source, where, /*allowMatch=*/true);
        if (!rule)
          return rule.takeError();
        for (const std::string &pattern :
             {rule->namePattern, rule->opPattern})
          if (!pattern.empty())
            if (auto glob = llvm::GlobPattern::create(pattern); !glob)
              return fail(source, where,
                          "bad pattern '" + pattern +
                              "': " + llvm::toString(glob.takeError()));
        recipe.rules.push_back(*rule);
      }
    } else {
      return fail(source, k, "unknown key (expected version, default, layers)");
    }
  }
  return recipe;
}

llvm::Expected<Recipe> Recipe::load(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read recipe '" + path +
                                       "': " + buffer.getError().message());
  return parse((*buffer)->getBuffer(), path);
}

static void apply(const Recipe::Rule &rule, WeightConfig &config) {
  if (rule.storage)
    config.storage = *rule.storage;
  if (rule.scheme)
    config.scheme = *rule.scheme;
  if (rule.granularity)
    config.granularity = *rule.granularity;
  if (rule.blockSize)
    config.blockSize = *rule.blockSize;
  if (rule.narrowRange)
    config.narrowRange = rule.narrowRange;
  if (rule.powerOfTwo)
    config.powerOfTwo = *rule.powerOfTwo;
  if (rule.halfScales)
    config.halfScales = *rule.halfScales;
  if (rule.method)
    config.method = *rule.method;
  if (rule.bits)
    config.bits = rule.bits;
  if (rule.smoothQuant)
    config.smoothQuant = rule.smoothQuant;
  if (rule.biasCorrection)
    config.biasCorrection = *rule.biasCorrection;
}

static bool matches(llvm::StringRef pattern, llvm::StringRef text) {
  if (pattern.empty())
    return true;
  auto glob = llvm::GlobPattern::create(pattern);
  return glob && glob->match(text);
}

llvm::Error Recipe::check(const WeightConfig &base) const {
  auto checkOne = [&](const Rule &rule, const llvm::Twine &where,
                      WeightConfig config) -> llvm::Error {
    apply(rule, config);
    if (llvm::Error err = num::checkHalfScaleOptions(config.getSolverOptions()))
      return fail(source, where,
                  "weight_scale f16 with " + config.describe() + ": " +
                      llvm::toString(std::move(err)));
    return llvm::Error::success();
  };
  WeightConfig start = base;
  if (defaults) {
    if (llvm::Error err = checkOne(*defaults, "default", base))
      return err;
    apply(*defaults, start);
  }
  for (auto [i, rule] : llvm::enumerate(rules))
    if (!rule.keepFloat)
      if (llvm::Error err =
              checkOne(rule, "layers[" + llvm::Twine(i) + "]", start))
        return err;
  return llvm::Error::success();
}

std::optional<WeightConfig> Recipe::resolve(llvm::StringRef layerName,
                                            llvm::StringRef opName,
                                            WeightConfig config,
                                            std::string *reason) const {
  if (defaults)
    apply(*defaults, config);
  for (auto [i, rule] : llvm::enumerate(rules)) {
    if (!matches(rule.namePattern, layerName) ||
        !matches(rule.opPattern, opName))
      continue;
    if (reason)
      *reason = llvm::formatv("recipe rule layers[{0}]", i).str();
    if (rule.keepFloat)
      return std::nullopt;
    apply(rule, config);
    return config;
  }
  return config;
}
