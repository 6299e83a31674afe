//===- fuzz-stats.cpp - libFuzzer target: statistics files ----------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// StatsFile::parse on the input (what --qnt-quantize stats=, quant-stats
// and quant-report read). An error is a normal outcome; a crash, a
// sanitizer report or a leak is a finding. Moments side files are looked
// up beside "fuzz.json", which does not exist.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Calibration/StatsFile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  auto stats = quantopt::calibration::StatsFile::parse(text, "/nonexistent/fuzz.json");
  if (!stats)
    llvm::consumeError(stats.takeError());
  return 0;
}
