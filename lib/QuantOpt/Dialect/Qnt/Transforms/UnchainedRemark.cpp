//===- UnchainedRemark.cpp - Why a static layer did not chain -------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// remarkUnchainedLayers: after qnt-chain-layers, a remark on each static
// layer whose float result still reaches the next quantization, naming the
// ops between them or why the layer itself cannot take a requantized result
// (the predicates ChainLayers.cpp chains by, ChainPredicates.h).
//
//===----------------------------------------------------------------------===//

#include "ChainPredicates.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/ChainLayers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace quantopt;
using namespace quantopt::chain;

/// A short description of `op` for the remark: its name and, for a
/// linalg.generic, the distinct ops of its body.
static std::string describeForRemark(Operation *op) {
  std::string text = op->getName().getStringRef().str();
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic)
    return text;
  SmallVector<StringRef> names;
  for (Operation &inner : generic.getRegion().front().without_terminator())
    if (!isa<arith::ConstantOp>(inner) &&
        !llvm::is_contained(names, inner.getName().getStringRef()))
      names.push_back(inner.getName().getStringRef());
  return text + " {" + llvm::join(names, ", ") + "}";
}

/// Why `layer` itself cannot take a requantized result, if it cannot.
static std::optional<std::string> whyNotChainable(qnt::ContractOp layer) {
  if (layer.getWeightBlockSize() > 0)
    return std::string("per-block weights give real values only");
  if (!hasChannelsLast(layer))
    return std::string(
        "its output channels are not its last axis (an NCHW layer kept with "
        "layout=keep), and per-channel layers chain channels-last only (the "
        "default layout=nhwc converts them)");
  if (!accumulatorsFitChain(layer))
    return std::string("its int32 accumulators could exceed the bound "
                       "chaining allows");
  return std::nullopt;
}

unsigned quantopt::remarkUnchainedLayers(Operation *root) {
  unsigned count = 0;
  root->walk([&](qnt::ContractOp layer) {
    if (layer.isDynamic() ||
        !layer.getResult().getType().getElementType().isF32())
      return;
    // The first path (breadth first, a few ops deep) from the result to a
    // qnt.quantize.
    llvm::DenseMap<Operation *, Operation *> parent;
    SmallVector<Operation *> queue;
    for (Operation *user : layer->getUsers())
      if (!parent.count(user)) {
        parent[user] = nullptr;
        queue.push_back(user);
      }
    Operation *found = nullptr;
    for (size_t i = 0; i < queue.size() && i < 64 && !found; ++i) {
      Operation *op = queue[i];
      if (isa<qnt::QuantizeOp>(op)) {
        found = op;
        break;
      }
      if (isa<qnt::ContractOp, func::ReturnOp>(op))
        continue;
      for (Operation *user : op->getUsers())
        if (!parent.count(user)) {
          parent[user] = op;
          queue.push_back(user);
        }
    }
    if (!found)
      return;
    if (std::optional<std::string> why = whyNotChainable(layer)) {
      emitRemark(layer.getLoc())
          << "qnt-quantize: the layer's output is requantized from float: "
          << *why;
      ++count;
      return;
    }
    SmallVector<std::string> path;
    for (Operation *op = parent[found]; op; op = parent[op])
      if (!isa<tensor::EmptyOp, linalg::FillOp>(op))
        path.push_back(describeForRemark(op));
    std::reverse(path.begin(), path.end());
    emitRemark(layer.getLoc())
        << "qnt-quantize: the layer's output is requantized from float: "
           "between it and the next quantization, "
        << llvm::join(path, ", ")
        << " (static int8 chains only through a per-channel bias, ReLU or "
           "clamps, zero padding, max pooling, reshapes, transposes and "
           "concatenation)";
    ++count;
  });
  return count;
}
