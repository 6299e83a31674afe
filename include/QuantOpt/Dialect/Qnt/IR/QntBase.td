//===- QntBase.td - qnt dialect definition -----------------*- tablegen -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_IR_QNTBASE_TD
#define QUANTOPT_DIALECT_QNT_IR_QNTBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"

def Qnt_Dialect : Dialect {
  let name = "qnt";
  let cppNamespace = "::mlir::qnt";
  let summary = "Quantized tensors with explicit parameters";
  let description = [{
    The `qnt` dialect describes how real tensors map to their stored
    (quantized) form. Quantization parameters are carried by the
    `#qnt.params` attribute; tensors of stored values use plain signless
    integer element types (`i8` for both `i8` and `ui8` storage) or the
    builtin minifloat types (`f8E4M3FN`, `f8E5M2`, `f4E2M1FN`).

    The numerics of every op are those of docs/Numerics.md and of the
    `quantopt::numerics` library.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

def Qnt_RoundingMode : I32EnumAttr<"RoundingMode",
    "rounding of a quantized value", [
      I32EnumAttrCase<"half_even", 0>,
      I32EnumAttrCase<"half_away", 1>,
      I32EnumAttrCase<"half_up", 2>,
      I32EnumAttrCase<"reciprocal", 3>,
    ]> {
  let cppNamespace = "::mlir::qnt";
}

def Qnt_RequantMode : I32EnumAttr<"RequantMode",
    "arithmetic of a requantization", [
      I32EnumAttrCase<"float32", 0>,
      I32EnumAttrCase<"fixed_point", 1>,
    ]> {
  let cppNamespace = "::mlir::qnt";
}

#endif // QUANTOPT_DIALECT_QNT_IR_QNTBASE_TD
