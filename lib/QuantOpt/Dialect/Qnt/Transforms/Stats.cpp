//===- Stats.cpp - Activation statistics files (JSON) ---------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Stats.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

using namespace quantopt;
namespace json = llvm::json;

static llvm::Error fail(llvm::StringRef source, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 source + ": " + message);
}

llvm::Expected<ActivationStats>
ActivationStats::parse(llvm::StringRef text, llvm::StringRef source) {
  auto parsed = json::parse(text);
  if (!parsed)
    return fail(source, "JSON: " + llvm::toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return fail(source, "expected a JSON object");
  std::optional<int64_t> version = root->getInteger("version");
  if (!version || *version != 1)
    return fail(source, "version: unsupported stats version (expected 1)");
  const json::Object *activations = root->getObject("activations");
  if (!activations)
    return fail(source, "activations: expected an object of layer ranges");
  ActivationStats stats;
  for (const auto &entry : *activations) {
    llvm::StringRef layer = entry.first;
    const json::Object *range = entry.second.getAsObject();
    std::optional<double> lo = range ? range->getNumber("min") : std::nullopt;
    std::optional<double> hi = range ? range->getNumber("max") : std::nullopt;
    if (!lo || !hi)
      return fail(source, "activations." + layer +
                              ": expected {\"min\": number, \"max\": number}");
    if (!std::isfinite(*lo) || !std::isfinite(*hi) || *lo > *hi)
      return fail(source, "activations." + layer +
                              ": min and max must be finite with min <= max");
    stats.ranges[layer] = {*lo, *hi};
  }
  return stats;
}

llvm::Expected<ActivationStats> ActivationStats::load(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read stats '" + path +
                                       "': " + buffer.getError().message());
  return parse((*buffer)->getBuffer(), path);
}
