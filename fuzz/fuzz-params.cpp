//===- fuzz-params.cpp - libFuzzer target: #qnt.params and its verifier ---===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Parses `#qnt.params<` followed by the input (the seeds are the bodies of
// the attributes in the tests and docs); parsing runs the attribute's
// verifier. Diagnostics are expected and dropped; a crash, a sanitizer
// report or a leak is a finding. The prefix keeps the target on our parser:
// MLIR's generic attribute parser recurses once per nested `[` and
// overflows the stack on a few thousand (upstream; docs/Testing.md).
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    auto *ctx = new mlir::MLIRContext(mlir::MLIRContext::Threading::DISABLED);
    ctx->loadDialect<mlir::qnt::QntDialect>();
    return ctx;
  }();
  mlir::ScopedDiagnosticHandler quiet(context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  std::string text = "#qnt.params<";
  text.append(reinterpret_cast<const char *>(data), size);
  (void)mlir::parseAttribute(text, context);
  return 0;
}
