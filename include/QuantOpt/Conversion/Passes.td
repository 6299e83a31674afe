//===- Passes.td - QuantOpt conversion passes --------------*- tablegen -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CONVERSION_PASSES_TD
#define QUANTOPT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// QntToLinalg
//===----------------------------------------------------------------------===//

def ConvertQntToLinalg : Pass<"convert-qnt-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower qnt ops to linalg.generic + arith/math on tensors";
  let description = [{
    The reference lowering: every element-wise `qnt` op becomes one
    element-wise `linalg.generic` whose body computes the float32 formulas
    of docs/Numerics.md; a `qnt.contract` (a quantized layer) becomes the
    i32 contraction with the op's maps, the zero-point terms outside the
    reduction with the weight sums computed at compile time, and the
    epilogue its result asks for (accumulator, real values, or
    `qnt.requantize` and the stored clamp). The patterns are public:
    `populateQntToLinalgPatterns` (all) and `populateContractToLinalgPatterns`. Per-tensor parameters become scalar constants;
    per-channel and per-block parameters become constant tensors read through
    an indexing map (`d_axis` or `d_axis floordiv block`). Minifloat
    storage is encoded with integer bit manipulation and decoded through a
    table computed with llvm::APFloat, so the result lowers to LLVM without
    any runtime library. `qnt.kernel` (code already, from the kernels that
    run before this pass) stays as it is.

    Example:

    ```mlir
    %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.5]>
    ```
    becomes a `linalg.generic` with `arith.divf`, `math.roundeven`, a clamp
    and `arith.fptosi`/`arith.trunci`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // QUANTOPT_CONVERSION_PASSES_TD
