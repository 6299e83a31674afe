//===- Passes.td - qnt transformation passes ---------------*- tablegen -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_TD
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Execution support
//===----------------------------------------------------------------------===//

def QntExportSignatures : Pass<"qnt-export-signatures", "::mlir::ModuleOp"> {
  let summary = "Record public function signatures for quant-run";
  let description = [{
    For every public `func.func` whose arguments and results are ranked
    tensors or memrefs, stores the signature as the `qnt.signature`
    attribute (a `TypeAttr` of the original `FunctionType`) and sets
    `llvm.emit_c_interface`. After lowering to the LLVM dialect the function
    keeps both, so `quant-run` can marshal `.npy` data to and from an already
    lowered module. Integer tensors are signless, so arguments read by (and
    results produced by) a qnt op with unsigned storage are listed in
    `qnt.unsigned_args` / `qnt.unsigned_results` (boolean arrays).
    Functions with other argument types are left alone with a remark saying
    why.

    Example: `func.func @f(%a: tensor<4xf32>) -> tensor<4xi8>` gets
    `attributes {llvm.emit_c_interface, qnt.signature = (tensor<4xf32>) -> tensor<4xi8>}`.
  }];
}

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_TD
