//===- fuzz-npy.cpp - libFuzzer target: the .npy reader -------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// parseNpy on the input bytes (quant-run --input/--data, quant-stats). An
// error is a normal outcome; a crash, a sanitizer report or a leak is a
// finding.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Runtime/Npy.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto array = quantopt::runtime::parseNpy(bytes, "fuzz.npy");
  if (!array)
    llvm::consumeError(array.takeError());
  return 0;
}
