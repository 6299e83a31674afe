//===- Embeddings.h - Weight-only embedding tables ---------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_EMBEDDINGS_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_EMBEDDINGS_H

#include "QuantOpt/Dialect/Qnt/Transforms/Recipe.h"

#include "mlir/IR/PatternMatch.h"

#include <string>
#include <utility>
#include <vector>

namespace quantopt {

struct EmbeddingOutcome {
  unsigned quantized = 0;
  /// A remark per table: what was done, or why it stayed in float.
  std::vector<std::pair<mlir::Location, std::string>> notes;
};

/// Quantizes, weight-only with `config` (a parameter set per row, i.e. per
/// token, or per block along the rows), every embedding table under `root`:
/// a constant 2-D float tensor read only by tensor.extract in linalg.generic
/// bodies (a gather, as quant-import-onnx writes ONNX's Gather). The table
/// becomes a stored constant and a qnt.dequantize.
EmbeddingOutcome quantizeEmbeddingTables(mlir::RewriterBase &rewriter,
                                         mlir::Operation *root,
                                         const WeightConfig &config);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_EMBEDDINGS_H
