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
  // Canonicalization reshapes packed_flat inputs (tensor.expand_shape).
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let summary = "Quantized tensors with explicit parameters";
  let description = [{
    The `qnt` dialect describes how real tensors map to their stored
    (quantized) form. Quantization parameters are carried by the
    `#qnt.params` attribute; tensors of stored values use plain signless
    integer element types (`i8` for both `i8` and `ui8` storage) or the
    builtin minifloat types (`f8E4M3FN`, `f8E5M2`, `f4E2M1FN`).

    The numerics of every op are those of docs/Numerics.md and of the
    `quantopt::numerics` library.

    Four discardable attributes make the runtime ABI between the compiler
    and `quant-run` (docs/Tools.md); the dialect verifies them:

    - `qnt.signature` (on a function): `TypeAttr` of the function type the
      caller sees before lowering (set by `qnt-export-signatures`);
    - `qnt.unsigned_args`, `qnt.unsigned_results` (on a function):
      `array<i1: ...>`, which integer arguments/results hold unsigned
      storage, one flag each;
    - `qnt.observers` (on a module): the ids of its `qnt.observe` ops, in
      the order the runtime's observer callback numbers them, all distinct;
    - `qnt.model_fingerprint` (on a module): the 16 hex digits of the
      layers' fingerprint calibration statistics are tied to.

    Any other `qnt.` attribute on an op is rejected.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerAttributes();

    /// The runtime ABI attributes (see the dialect description).
    static constexpr ::llvm::StringLiteral kSignatureAttrName = "qnt.signature";
    static constexpr ::llvm::StringLiteral kUnsignedArgsAttrName =
        "qnt.unsigned_args";
    static constexpr ::llvm::StringLiteral kUnsignedResultsAttrName =
        "qnt.unsigned_results";
    static constexpr ::llvm::StringLiteral kObserversAttrName = "qnt.observers";
    static constexpr ::llvm::StringLiteral kModelFingerprintAttrName =
        "qnt.model_fingerprint";
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

def Qnt_DynamicScheme : I32EnumAttr<"DynamicScheme",
    "how qnt.dynamic_quantize solves its parameters", [
      I32EnumAttrCase<"asymmetric", 0>,
      I32EnumAttrCase<"symmetric", 1>,
      I32EnumAttrCase<"mx", 2>,
      I32EnumAttrCase<"nvfp4", 3>,
    ]> {
  let cppNamespace = "::mlir::qnt";
}

def Qnt_RequantMode : I32EnumAttr<"RequantMode",
    "arithmetic of a requantization", [
      I32EnumAttrCase<"float32", 0>,
      I32EnumAttrCase<"fixed_point", 1>,
      I32EnumAttrCase<"fixed_point_double_round", 2>,
    ]> {
  let cppNamespace = "::mlir::qnt";
}

def Qnt_MomentsKind : I32EnumAttr<"MomentsKind",
    "the per-input-channel moments an observer collects", [
      I32EnumAttrCase<"channels", 1>,
      I32EnumAttrCase<"hessian", 2>,
    ]> {
  let cppNamespace = "::mlir::qnt";
}

#endif // QUANTOPT_DIALECT_QNT_IR_QNTBASE_TD
