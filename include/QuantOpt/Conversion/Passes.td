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

//===----------------------------------------------------------------------===//
// Upstream quant dialect
//===----------------------------------------------------------------------===//

def QntImportUpstream : Pass<"qnt-import-upstream", "::mlir::ModuleOp"> {
  let summary = "Convert MLIR's quant dialect (!quant.uniform, qcast/dcast/scast) into qnt";
  let description = [{
    Modules from other compilers (TOSA- and TFLite-derived pipelines) carry
    quantization in MLIR's `quant` dialect. This pass converts it: every
    `!quant.uniform` type (per layer, per axis, or sub-channel with blocks
    on one dimension) becomes the storage integer type qnt works on (u8 and
    i8 both `i8`, the signedness in the parameters), `quant.qcast` becomes
    `qnt.quantize`, `quant.dcast` becomes `qnt.dequantize` and `quant.scast`
    disappears; function signatures, calls and returns convert with them.
    The parameters become `#qnt.params` (a narrow storage range such as
    `i8<-127:127>` as `narrow`; scales as float32, which the f32 expressed
    type computes in). Then `--qnt-fold-dequantized-layers` turns a float
    layer over dequantized operands into a typed `qnt.contract`, as for ONNX
    QDQ models.

    `quant.qcast` does not define its rounding; `rounding` says which
    `qnt.quantize` uses (`half_even`, the default, as ONNX and PyTorch;
    `half_away`; `half_up`). Anything else that works on `!quant` values, a
    storage range other than the full or narrow one, or sub-channel blocks
    on two dimensions is an error naming the op; nothing is converted then.
    The patterns are public (`populateUpstreamQuantToQntPatterns`, with
    `addQuantStorageTypeConversion`).
  }];
  let options = [
    Option<"rounding", "rounding", "std::string", "\"half_even\"",
           "Rounding of quant.qcast: half_even, half_away or half_up">,
  ];
  let dependentDialects = [
    "::mlir::func::FuncDialect",
    "::mlir::qnt::QntDialect",
    "::mlir::quant::QuantDialect",
  ];
}

def QntExportUpstream : Pass<"qnt-export-upstream", "::mlir::ModuleOp"> {
  let summary = "Write qnt's quantize/dequantize as MLIR's quant dialect where it can say the same";
  let description = [{
    Every `qnt.quantize` becomes `quant.qcast` to a `!quant.uniform` tensor
    followed by `quant.scast` back to the storage integers, and every
    `qnt.dequantize` becomes `quant.scast` + `quant.dcast`, so that other
    compilers read the quantized tensors in the upstream types while the
    integer code between them (qnt.contract, ...) stays. Per-tensor,
    per-axis and per-block parameters (the last as a sub-channel type) are
    expressible; minval parameters, minifloat storage, packed sub-byte
    storage and a rounding other than `half_even` are not: those ops stay
    in qnt, each with a remark saying why. `qnt-import-upstream` reads the
    result back to the same qnt ops. The patterns are public
    (`populateQntToUpstreamQuantPatterns`).
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
}

//===----------------------------------------------------------------------===//
// TOSA's quantized forms
//===----------------------------------------------------------------------===//

def QntImportTosa : Pass<"qnt-import-tosa", "::mlir::ModuleOp"> {
  let summary = "Convert TOSA's quantized layers and rescales into qnt";
  let description = [{
    TOSA states a quantized layer as integer ops: an int8 `tosa.conv2d`,
    `tosa.depthwise_conv2d` or `tosa.matmul` with zero-point operands that
    accumulates in int32, then a `tosa.rescale` with a multiplier and a
    shift per channel. This pass rewrites them into qnt: each layer becomes
    a `qnt.contract` returning its int32 accumulator (the input padded with
    its zero point by `tensor.pad`; a depthwise weight `[KH, KW, C, 1]`
    collapsed to `[KH, KW, C]`), each rescale a `qnt.requantize` with the
    rescale's `multipliers` and `shifts` stated (`mode = fixed_point`, or
    `fixed_point_double_round` for `DOUBLE_ROUND` with 32-bit multipliers),
    so the integers are TOSA's bit for bit. A TOSA integer graph carries no
    real scales, only their ratios: the parameters use scale 1 for inputs,
    weights and accumulators, and `2^shift / multiplier` for a rescale's
    output. Unsigned rescale inputs and outputs become `ui8`/`ui16` storage.

    Everything else (clamps, pooling, reshapes, integer adds) stays TOSA and
    lowers with upstream's tosa-to-linalg. A layer or rescale that cannot
    convert stays TOSA too, with a remark saying why: int16 layers (int48
    accumulators), `INEXACT_ROUND`, non-constant zero points or
    multipliers, a zero multiplier, a depthwise channel multiplier above 1,
    an accumulator that could overflow int32, `tosa.conv3d` and
    `tosa.transpose_conv2d`. The patterns are public
    (`populateTosaQuantToQntPatterns`, `getTosaQuantUnsupportedReason`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::qnt::QntDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // QUANTOPT_CONVERSION_PASSES_TD
