//===- fuzz-module.cpp - libFuzzer target: whole modules ------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Parses the input as a module and, when it parses and verifies, runs
// --qnt-quantize and then --qnt-codegen on it (no JIT: compile only), as a
// user's `quant-opt x.mlir --qnt-quantize --qnt-codegen` would. Seed corpus:
// the .mlir files under test/. Diagnostics and pass failures are normal
// outcomes; a crash, an assertion, a sanitizer report or a leak is a
// finding. Slow per input (a whole pipeline): a few hundred runs in
// scripts/test.sh, longer runs by hand (docs/Testing.md).
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Support/SourceNesting.h"
#include "QuantOpt/Dialect/Qnt/ExternalModels/QuantizableLayerModels.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"
#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"
#include "QuantOpt/Pipelines/Pipelines.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    mlir::registerAllDialects(*r);
    mlir::registerAllExtensions(*r);
    r->insert<mlir::qnt::QntDialect, mlir::qnt_x86::QntX86Dialect>();
    quantopt::registerQuantizableLayerModels(*r);
    return r;
  }();
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  // As the tools: deeper nesting is refused before MLIR's parser recurses.
  if (llvm::Error err = quantopt::checkSourceNesting(text, "input")) {
    llvm::consumeError(std::move(err));
    return 0;
  }
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  if (!module)
    return 0;
  mlir::PassManager pm(&context);
  if (mlir::failed(quantopt::buildQntQuantizePipeline(
          pm, "", [](const llvm::Twine &) { return mlir::failure(); })))
    return 0;
  quantopt::CodegenOptions codegen;
  codegen.amx = "off"; // the fuzzing machine need not grant AMX
  if (mlir::failed(quantopt::buildCodegenPipeline(pm, codegen)))
    return 0;
  (void)pm.run(*module);
  return 0;
}
