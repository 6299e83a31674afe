//===- QntOps.td - qnt operations --------------------------*- tablegen -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_IR_QNTOPS_TD
#define QUANTOPT_DIALECT_QNT_IR_QNTOPS_TD

include "QuantOpt/Dialect/Qnt/IR/QntAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

class Qnt_Op<string mnemonic, list<Trait> traits = []>
    : Op<Qnt_Dialect, mnemonic, traits>;

def Qnt_QuantizeOp : Qnt_Op<"quantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "Quantizes a real tensor to its stored form";
  let description = [{
    Integer storage: `q = clamp(round(x / s) + z, qmin, qmax)` (minval:
    `clamp(round((x - m) / s) + qmin)`), computed in float32; +-Inf saturate
    and NaN maps to the zero point (minval: to qmin). Float storage:
    `x / s` rounded to nearest-even with saturation to the largest finite
    value; NaN becomes the type's NaN (`+0` for `f4E2M1FN`, which has none).

    `rounding` is `half_even` (default), `half_away`, `half_up` or
    `reciprocal` (torch: multiply by `1.0f / s`, then half-even).

    ```mlir
    %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.1]>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Qnt_ParamsAttr:$params,
      DefaultValuedAttr<Qnt_RoundingMode, "::mlir::qnt::RoundingMode::half_even">:$rounding);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `:` type($input) `to` type($result) `as` custom<Params>($params) (`rounding` `=` $rounding^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Qnt_DequantizeOp : Qnt_Op<"dequantize", [Pure]> {
  let summary = "Maps a stored tensor back to real values";
  let description = [{
    `x' = s * (q - z)` (minval: `s * (q - qmin) + m`; float storage:
    `s * q`), computed in float32 and converted to the expressed type.

    With `packed`, 2- and 4-bit integer storage arrives packed along the last
    dimension in an `i8` tensor: element `j` lives in byte `j / (8 / bits)`
    at bit `(j % (8 / bits)) * bits`, lowest bits first (ONNX's int4
    layout), so the stored last dimension is `D * bits / 8`.

    ```mlir
    %x = qnt.dequantize %q : tensor<4xi8> to tensor<4xf32> as #qnt.params<i8, scales = [0.1]>
    %w = qnt.dequantize %p : tensor<16x32xi8> to tensor<16x64xf32> as #qnt.params<i4, axis = 0, scales = [...]> packed
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Qnt_ParamsAttr:$params,
      UnitAttr:$packed);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `:` type($input) `to` type($result) `as` custom<Params>($params) (`packed` $packed^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Qnt_RequantizeOp : Qnt_Op<"requantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "Re-expresses stored integers with new parameters";
  let description = [{
    Integer to integer, e.g. an `i32` accumulator (scale `s_x * s_w`) to
    `i8`. With `M = s_in / s_out`:

    - `mode = float32` (default): `clamp(roundeven(float(q - z_in) * M) + z_out)`
      with `M` rounded to float32;
    - `mode = fixed_point`: integer only, `M ~= m * 2^-shift` with a Q31
      multiplier, `clamp(((q - z_in) * m + 2^(shift-1)) >> shift) + z_out)`
      in 64-bit arithmetic (TOSA `apply_scale`, single rounding).

    The two parameter sets must have the same granularity, or one of them
    must be per tensor. Minval parameters are not accepted.

    ```mlir
    %y = qnt.requantize %acc : tensor<4xi32> to tensor<4xi8>
           from #qnt.params<i32, scales = [0.0005]>
           to #qnt.params<i8, scales = [0.02], zero_points = [5]> mode = fixed_point
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Qnt_ParamsAttr:$inParams,
      Qnt_ParamsAttr:$outParams,
      DefaultValuedAttr<Qnt_RequantMode, "::mlir::qnt::RequantMode::float32">:$mode);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `:` type($input) `to` type($result) `from` custom<Params>($inParams) `to` custom<Params>($outParams) (`mode` `=` $mode^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Qnt_FakeQuantOp : Qnt_Op<"fake_quant", [Pure, SameOperandsAndResultType]> {
  let summary = "Quantize then dequantize, in one op";
  let description = [{
    `dequantize(quantize(x))` with the same parameters and rounding: the real
    values a quantized tensor stands for (QAT export, error measurement).

    ```mlir
    %y = qnt.fake_quant %x : tensor<2x8xf32> as #qnt.params<i4, axis = 0, scales = [0.5, 0.25]>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Qnt_ParamsAttr:$params,
      DefaultValuedAttr<Qnt_RoundingMode, "::mlir::qnt::RoundingMode::half_even">:$rounding);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `:` type($input) `as` custom<Params>($params) (`rounding` `=` $rounding^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Qnt_DynamicQuantizeOp : Qnt_Op<"dynamic_quantize", [Pure]> {
  let summary = "Quantizes with parameters solved at run time";
  let description = [{
    Computes the range of the input at run time (per tensor, or per row: one
    set of parameters for every index of all dimensions but the last), solves
    the parameters exactly as `quantopt::numerics::solveFromRange` does for
    `storage` and `scheme` (NaN/Inf elements are ignored for the range), and
    quantizes with them (round half to even). Returns the stored tensor, the
    scales and the zero points (rank-0 tensors per tensor; the input shape
    without its last dimension per row).

    ```mlir
    %q, %s, %z = qnt.dynamic_quantize %x : tensor<?x64xf32> to tensor<?x64xi8>, tensor<f32>, tensor<i32>
                   storage = ui8 scheme = asymmetric
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, TypeAttr:$storage,
      StrAttr:$scheme, UnitAttr:$per_row);
  let results = (outs AnyRankedTensor:$result, AnyRankedTensor:$scales,
      AnyRankedTensor:$zero_points);
  let assemblyFormat = [{
    $input `:` type($input) `to` type($result) `,` type($scales) `,` type($zero_points)
    `storage` `=` $storage `scheme` `=` $scheme (`per_row` $per_row^)? attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The storage kind and solver options the op stands for.
    ::quantopt::numerics::SolverOptions getSolverOptions();
  }];
}

def Qnt_ObserveOp : Qnt_Op<"observe", [MemoryEffects<[MemWrite]>]> {
  let summary = "Records statistics of an activation during calibration";
  let description = [{
    Hands the f32 tensor to the calibration runtime each time it executes:
    `quant-run --calibrate` keeps min/max, moving-average min/max, a streaming
    histogram and, with `channel_axis`, per-channel min/max under `id`
    (docs/Calibration.md). `--qnt-insert-observers` places these ops, with
    the layer names `--qnt-quantize` uses as ids. The op has no result: the
    observed value flows on unchanged.

    ```mlir
    qnt.observe %x : tensor<?x784xf32> id "fc1" channel_axis = 1
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, StrAttr:$id,
      OptionalAttr<I64Attr>:$channel_axis);
  let assemblyFormat = [{
    $input `:` type($input) `id` $id (`channel_axis` `=` $channel_axis^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Qnt_DotU8I8Op : Qnt_Op<"dot_u8i8", [Pure, AllTypesMatch<["acc", "result"]>,
    AllTypesMatch<["a", "b"]>]> {
  let summary = "Sums of four u8 x i8 products into i32 lanes (vpdpbusd)";
  let description = [{
    For each i32 lane `l`: `acc[l] + sum_{r<4} zext(a[4l+r]) * sext(b[4l+r])`
    with wrapping i32 arithmetic: the semantics of x86's vpdpbusd. The VNNI
    kernels of `qnt-vnni-matmul` build on it; `qnt-lower-dot` turns it into
    `llvm.x86.avx512.vpdpbusd.512` (16 lanes) or
    `llvm.x86.avx512.vpdpbusd.256` (8 lanes) after bufferization.

    ```mlir
    %r = qnt.dot_u8i8 %acc, %a, %b : vector<64xi8> into vector<16xi32>
    ```
  }];
  let arguments = (ins VectorOfLengthAndType<[8, 16], [I32]>:$acc,
      VectorOfLengthAndType<[32, 64], [I8]>:$a,
      VectorOfLengthAndType<[32, 64], [I8]>:$b);
  let results = (outs VectorOfLengthAndType<[8, 16], [I32]>:$result);
  let assemblyFormat = [{
    $acc `,` $a `,` $b attr-dict `:` type($a) `into` type($acc)
  }];
  let hasVerifier = 1;
}

#endif // QUANTOPT_DIALECT_QNT_IR_QNTOPS_TD
