//===- ExportSignatures.cpp - Record signatures for quant-run -------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTEXPORTSIGNATURES
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {
struct QntExportSignaturesPass
    : quantopt::impl::QntExportSignaturesBase<QntExportSignaturesPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || !func.isPublic())
        continue;
      FunctionType type = func.getFunctionType();
      auto isBuffer = [](Type t) {
        return isa<RankedTensorType, MemRefType>(t);
      };
      if (!llvm::all_of(type.getInputs(), isBuffer) ||
          !llvm::all_of(type.getResults(), isBuffer)) {
        func.emitRemark() << "not exported for quant-run: arguments and "
                             "results must all be ranked tensors or memrefs";
        continue;
      }
      func->setAttr(quantopt::kSignatureAttrName, TypeAttr::get(type));
      func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(&getContext()));
    }
  }
};
} // namespace
