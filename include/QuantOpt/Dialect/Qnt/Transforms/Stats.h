//===- Stats.h - Activation statistics files (JSON) --------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The ranges `--qnt-quantize="activations=static stats=FILE"` reads:
//
//   {"version": 1,
//    "activations": {"fc1": {"min": -1.5, "max": 4.0}, ...}}
//
// keyed by layer name (the input activation of that layer). See
// docs/Quantize.md.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_STATS_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_STATS_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

namespace quantopt {

struct ActivationRange {
  double min = 0, max = 0;
};

/// Per-layer input ranges.
class ActivationStats {
public:
  /// Parses a stats file; errors name `source` and the offending entry.
  static llvm::Expected<ActivationStats> parse(llvm::StringRef json,
                                               llvm::StringRef source);
  static llvm::Expected<ActivationStats> load(llvm::StringRef path);

  const ActivationRange *lookup(llvm::StringRef layer) const {
    auto it = ranges.find(layer);
    return it == ranges.end() ? nullptr : &it->second;
  }

private:
  llvm::StringMap<ActivationRange> ranges;
};

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_STATS_H
