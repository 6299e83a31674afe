//===- LayerNames.cpp - Names and fingerprints of quantizable layers ------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

using namespace mlir;

std::string quantopt::findLocationName(Location loc) {
  std::string name;
  loc->walk([&](Location inner) {
    if (auto named = dyn_cast<NameLoc>(inner)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

DiagnosticEngine::HandlerID
quantopt::registerLayerNameDiagnostics(MLIRContext *context) {
  return context->getDiagEngine().registerHandler(
      [](Diagnostic &diag) -> LogicalResult {
        bool hasPosition = false;
        diag.getLocation()->walk([&](Location inner) {
          hasPosition |= isa<FileLineColLoc>(inner);
          return hasPosition ? WalkResult::interrupt() : WalkResult::advance();
        });
        std::string name = findLocationName(diag.getLocation());
        if (hasPosition || name.empty())
          return failure();
        auto severity = [](DiagnosticSeverity s) {
          switch (s) {
          case DiagnosticSeverity::Error:
            return "error";
          case DiagnosticSeverity::Warning:
            return "warning";
          case DiagnosticSeverity::Remark:
            return "remark";
          case DiagnosticSeverity::Note:
            return "note";
          }
          return "remark";
        };
        llvm::errs() << name << ": " << severity(diag.getSeverity()) << ": "
                     << diag.str() << "\n";
        for (Diagnostic &note : diag.getNotes())
          llvm::errs() << name << ": note: " << note.str() << "\n";
        return success();
      });
}

std::string quantopt::getLayerName(Operation *op,
                                   llvm::StringMap<unsigned> &counters) {
  std::string name = findLocationName(op->getLoc());
  unsigned index = counters[op->getName().getStringRef()]++;
  if (name.empty())
    name = (op->getName().getStringRef() + "#" + llvm::Twine(index)).str();
  return name;
}

OpOperand &quantopt::getActivationOperand(Operation *layer) {
  auto iface = cast<qnt::QuantizableLayerOpInterface>(layer);
  OpOperand &weight = iface.getWeightOperand();
  for (OpOperand &operand : layer->getOpOperands())
    if (&operand != &weight)
      return operand;
  return weight;
}

/// The channel axis of a layer's activation: for a linalg layer, the
/// dimension of the activation indexed by a reduction loop the weight shares
/// (K of a matmul in any layout, C of a convolution); otherwise (and for
/// depthwise convolutions, whose channels are parallel) 1 for NCHW
/// convolutions and the last dimension.
int64_t quantopt::getActivationChannelAxis(Operation *layer) {
  int64_t rank =
      cast<ShapedType>(getActivationOperand(layer).get().getType()).getRank();
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(layer)) {
    OpOperand &x = getActivationOperand(layer);
    OpOperand *w = nullptr;
    for (OpOperand *input : linalgOp.getDpsInputOperands())
      if (input != &x && !w)
        w = input;
    if (w) {
      AffineMap xMap = linalgOp.getMatchingIndexingMap(&x);
      AffineMap wMap = linalgOp.getMatchingIndexingMap(w);
      auto iterators = linalgOp.getIteratorTypesArray();
      for (auto [pos, expr] : llvm::enumerate(xMap.getResults())) {
        auto dim = dyn_cast<AffineDimExpr>(expr);
        if (dim && iterators[dim.getPosition()] ==
                       utils::IteratorType::reduction &&
            wMap.isFunctionOfDim(dim.getPosition()))
          return pos;
      }
    }
  }
  if (rank >= 4 && layer->getName().getStringRef().contains("nchw"))
    return 1;
  return rank - 1;
}

static constexpr llvm::StringLiteral kLayerNameKey = "qnt.layer";
static constexpr llvm::StringLiteral kLayerOpKey = "qnt.layer_op";
static constexpr llvm::StringLiteral kLayerInputKey = "qnt.layer_input";

/// The record metadata of a location recordLayerNames wrapped, or null.
static DictionaryAttr getRecordMetadata(Location loc) {
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (auto info = dyn_cast_or_null<DictionaryAttr>(fused.getMetadata()))
      if (info.get(kLayerNameKey))
        return info;
  return nullptr;
}

quantopt::LayerRecord quantopt::getLayerRecord(Operation *op,
                                     llvm::StringMap<unsigned> *counters) {
  if (DictionaryAttr info = getRecordMetadata(op->getLoc()))
    return {info.getAs<StringAttr>(kLayerNameKey).str(),
            info.getAs<StringAttr>(kLayerOpKey).str(),
            info.getAs<TypeAttr>(kLayerInputKey).getValue()};
  llvm::StringMap<unsigned> local;
  return {getLayerName(op, counters ? *counters : local),
          op->getName().getStringRef().str(),
          getActivationOperand(op).get().getType()};
}

void quantopt::recordLayerNames(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  llvm::StringMap<unsigned> counters;
  module.walk([&](qnt::QuantizableLayerOpInterface layer) {
    Operation *op = layer.getOperation();
    LayerRecord record = getLayerRecord(op, &counters);
    if (getRecordMetadata(op->getLoc()))
      return;
    auto entry = [&](StringRef key, Attribute value) {
      return NamedAttribute(StringAttr::get(ctx, key), value);
    };
    op->setLoc(FusedLoc::get(
        ctx, {op->getLoc()},
        DictionaryAttr::get(
            ctx, {entry(kLayerNameKey, StringAttr::get(ctx, record.name)),
                  entry(kLayerOpKey, StringAttr::get(ctx, record.opName)),
                  entry(kLayerInputKey, TypeAttr::get(record.activationType))})));
  });
}

void quantopt::restoreLayerLocations(ModuleOp module) {
  module.walk([](Operation *op) {
    if (getRecordMetadata(op->getLoc()))
      op->setLoc(cast<FusedLoc>(op->getLoc()).getLocations().front());
  });
}

std::string quantopt::computeModelFingerprint(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::StringMap<unsigned> counters;
  llvm::StringSet<> seen;
  module.walk([&](qnt::QuantizableLayerOpInterface layer) {
    LayerRecord record = getLayerRecord(layer.getOperation(), &counters);
    // A layer split in parts that keep its record (a transposed
    // convolution's phases) counts once, as calibration saw it.
    if (!seen.insert(record.name).second)
      return;
    os << record.name << '|' << record.opName << '|' << record.activationType
       << '\n';
  });
  uint64_t hash = llvm::xxh3_64bits(llvm::StringRef(text));
  std::string hex;
  llvm::raw_string_ostream(hex) << llvm::format_hex_no_prefix(hash, 16);
  return hex;
}
