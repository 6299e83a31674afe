//===- QntX86.cpp - x86 dot products for the qnt kernels ------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::qnt_x86;

#include "QuantOpt/Dialect/QntX86/IR/QntX86Dialect.cpp.inc"

void QntX86Dialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "QuantOpt/Dialect/QntX86/IR/QntX86Ops.cpp.inc"
      >();
}

LogicalResult DotU8I8Op::verify() {
  if (getA().getType().getNumElements() !=
      4 * getAcc().getType().getNumElements())
    return emitOpError("needs four bytes per i32 lane");
  return success();
}

LogicalResult LookupBytesOp::verify() {
  if (getTable().size() != 16)
    return emitOpError("needs a table of 16 bytes, got ") << getTable().size();
  return success();
}

#define GET_OP_CLASSES
#include "QuantOpt/Dialect/QntX86/IR/QntX86Ops.cpp.inc"
