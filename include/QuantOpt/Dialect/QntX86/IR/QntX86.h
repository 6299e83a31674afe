//===- QntX86.h - x86 dot products for the qnt kernels -----------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNTX86_IR_QNTX86_H
#define QUANTOPT_DIALECT_QNTX86_IR_QNTX86_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "QuantOpt/Dialect/QntX86/IR/QntX86Dialect.h.inc"

#define GET_OP_CLASSES
#include "QuantOpt/Dialect/QntX86/IR/QntX86Ops.h.inc"

#endif // QUANTOPT_DIALECT_QNTX86_IR_QNTX86_H
