//===- LayerNames.cpp - Names and fingerprints of quantizable layers ------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

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

std::string quantopt::computeModelFingerprint(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::StringMap<unsigned> counters;
  module.walk([&](qnt::QuantizableLayerOpInterface layer) {
    Operation *op = layer.getOperation();
    os << getLayerName(op, counters) << '|' << op->getName() << '|'
       << getActivationOperand(op).get().getType() << '\n';
  });
  uint64_t hash = llvm::xxh3_64bits(llvm::StringRef(text));
  std::string hex;
  llvm::raw_string_ostream(hex) << llvm::format_hex_no_prefix(hash, 16);
  return hex;
}
