//===- fuzz-recipe.cpp - libFuzzer target: recipe files -------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Recipe::parse on the input (--qnt-quantize recipe=). An error is a normal
// outcome; a crash, a sanitizer report or a leak is a finding.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Recipe.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  auto recipe = quantopt::Recipe::parse(text, "fuzz.json");
  if (!recipe)
    llvm::consumeError(recipe.takeError());
  return 0;
}
