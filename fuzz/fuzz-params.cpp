//===- fuzz-params.cpp - libFuzzer target: #qnt.params and its verifier ---===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Parses the input as an attribute (`#qnt.params<...>`, or anything else
// the parser takes); parsing runs the attribute's verifier. Diagnostics
// are expected and dropped; a crash, a sanitizer report or a leak is a
// finding.
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
  std::string text(reinterpret_cast<const char *>(data), size);
  (void)mlir::parseAttribute(text, context);
  return 0;
}
