//===- Embeddings.cpp - Weight-only embedding tables ----------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// An embedding is a gather from a constant table: in linalg, a
// linalg.generic whose body reads a constant 2-D float tensor with
// tensor.extract (quant-import-onnx writes ONNX's Gather so). It has no
// reduction to run in integers, so it is quantized weight-only: the table
// becomes a stored constant (one parameter set per row -- per token -- or per
// block of each row) and a qnt.dequantize that the gather reads.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Embeddings.h"

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace quantopt;

/// Constant 2-D float tables read only by tensor.extract inside
/// linalg.generic bodies (and tensor.dim).
static bool isEmbeddingTable(arith::ConstantOp constant) {
  auto attr = dyn_cast<DenseElementsAttr>(constant.getValue());
  auto type = dyn_cast<RankedTensorType>(constant.getType());
  if (!attr || !type || type.getRank() != 2 ||
      !isa<FloatType>(type.getElementType()) || constant->use_empty())
    return false;
  bool gathered = false;
  for (Operation *user : constant->getUsers()) {
    if (isa<tensor::DimOp>(user))
      continue;
    if (!isa<tensor::ExtractOp>(user) ||
        !user->getParentOfType<linalg::GenericOp>())
      return false;
    gathered = true;
  }
  return gathered;
}

EmbeddingOutcome quantopt::quantizeEmbeddingTables(RewriterBase &rewriter,
                                                   Operation *root,
                                                   const WeightConfig &config) {
  EmbeddingOutcome outcome;
  SmallVector<arith::ConstantOp> tables;
  root->walk([&](arith::ConstantOp c) {
    if (isEmbeddingTable(c))
      tables.push_back(c);
  });
  for (arith::ConstantOp table : tables) {
    Operation *gather = *llvm::find_if(table->getUsers(), [](Operation *u) {
      return isa<tensor::ExtractOp>(u);
    });
    Location loc = gather->getParentOfType<linalg::GenericOp>().getLoc();
    auto attr = cast<DenseElementsAttr>(table.getValue());
    // Rows are tokens: a parameter set per row, or blocks along each row.
    auto weight = quantizeWeight(attr, config, /*channelAxis=*/0,
                                 /*blockAxis=*/1);
    if (!weight) {
      outcome.notes.emplace_back(loc, "embedding table kept in float: " +
                                          llvm::toString(weight.takeError()));
      continue;
    }
    rewriter.setInsertionPoint(table);
    std::optional<DenseElementsAttr> packed = packSubByte(weight->stored);
    Value stored = arith::ConstantOp::create(rewriter, table.getLoc(),
                                             packed ? *packed : weight->stored);
    Value dequantized = qnt::DequantizeOp::create(
        rewriter, table.getLoc(), table.getType(), stored, weight->params,
        packed ? rewriter.getUnitAttr() : UnitAttr());
    rewriter.replaceOp(table, dequantized);
    ++outcome.quantized;
    outcome.notes.emplace_back(loc, "embedding table quantized weight-only (" +
                                        config.describe() + ", per row)");
  }
  return outcome;
}
