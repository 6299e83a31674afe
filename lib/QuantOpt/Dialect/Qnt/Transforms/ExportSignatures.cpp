//===- ExportSignatures.cpp - Record signatures for quant-run -------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTEXPORTSIGNATURES
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

/// The storage parameters that give `value` its meaning, when a qnt op
/// defines or reads it directly.
static qnt::ParamsAttr getStorageParams(Value value) {
  if (Operation *def = value.getDefiningOp()) {
    if (auto q = dyn_cast<qnt::QuantizeOp>(def))
      return q.getParams();
    if (auto r = dyn_cast<qnt::RequantizeOp>(def))
      return r.getOutParams();
  }
  for (Operation *user : value.getUsers()) {
    if (auto d = dyn_cast<qnt::DequantizeOp>(user))
      return d.getParams();
    if (auto r = dyn_cast<qnt::RequantizeOp>(user))
      return r.getInParams();
  }
  return {};
}

static bool isUnsignedStorage(Value value) {
  // A padding of stored values (a quantization moved above it) keeps their
  // storage.
  if (auto pad = value.getDefiningOp<tensor::PadOp>())
    return isUnsignedStorage(pad.getSource());
  // Packed sub-byte storage travels as raw bytes (uint8).
  for (Operation *user : value.getUsers())
    if (auto d = dyn_cast<qnt::DequantizeOp>(user); d && d.hasPacking())
      return true;
  if (auto dq = value.getDefiningOp<qnt::DynamicQuantizeOp>())
    if (value == dq.getResult())
      return !quantopt::numerics::isSignedStorage(
          *qnt::getStorageKindOf(dq.getStorage()));
  qnt::ParamsAttr params = getStorageParams(value);
  return params && !params.isFloatStorage() &&
         !quantopt::numerics::isSignedStorage(params.getStorageKind());
}

namespace {
struct QntExportSignaturesPass
    : quantopt::impl::QntExportSignaturesBase<QntExportSignaturesPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || !func.isPublic())
        continue;
      FunctionType type = func.getFunctionType();
      // Memrefs must have the identity layout: quant-run passes dense
      // row-major buffers.
      auto isBuffer = [](Type t) {
        if (auto memref = dyn_cast<MemRefType>(t))
          return memref.getLayout().isIdentity();
        return isa<RankedTensorType>(t);
      };
      if (!llvm::all_of(type.getInputs(), isBuffer) ||
          !llvm::all_of(type.getResults(), isBuffer)) {
        func.emitRemark() << "not exported for quant-run: arguments and "
                             "results must all be ranked tensors or "
                             "identity-layout memrefs";
        continue;
      }
      func->setAttr(quantopt::kSignatureAttrName, TypeAttr::get(type));
      // The caller owns the inputs: bufferization must not write into them
      // (repeated calls see the same inputs).
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
        if (isa<RankedTensorType>(type.getInput(i)))
          func.setArgAttr(i, "bufferization.writable",
                          BoolAttr::get(&getContext(), false));
      // Integer tensors are signless; record which hold unsigned storage so
      // that quant-run exchanges them as numpy unsigned arrays.
      SmallVector<bool> argUnsigned, resultUnsigned;
      for (BlockArgument arg : func.getArguments())
        argUnsigned.push_back(isUnsignedStorage(arg));
      func.walk([&](func::ReturnOp ret) {
        resultUnsigned.clear();
        for (Value v : ret.getOperands())
          resultUnsigned.push_back(isUnsignedStorage(v));
      });
      // Flags already on the function (an importer's: ONNX uint8 inputs)
      // stay.
      auto keep = [&](StringRef name, SmallVector<bool> &flags) {
        if (auto given = func->getAttrOfType<DenseBoolArrayAttr>(name))
          for (auto [i, v] : llvm::enumerate(given.asArrayRef()))
            if (i < flags.size())
              flags[i] = flags[i] || v;
      };
      keep(quantopt::kUnsignedArgsAttrName, argUnsigned);
      keep(quantopt::kUnsignedResultsAttrName, resultUnsigned);
      if (llvm::is_contained(argUnsigned, true))
        func->setAttr(quantopt::kUnsignedArgsAttrName,
                      DenseBoolArrayAttr::get(&getContext(), argUnsigned));
      if (llvm::is_contained(resultUnsigned, true))
        func->setAttr(quantopt::kUnsignedResultsAttrName,
                      DenseBoolArrayAttr::get(&getContext(), resultUnsigned));
      func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(&getContext()));
    }
  }
};
} // namespace
