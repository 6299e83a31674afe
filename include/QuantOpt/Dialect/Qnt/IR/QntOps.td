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
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.td"

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

    `saturate = false` (float8 storage only: `f8E4M3FN`, `f8E5M2` and the
    FNUZ kinds) is ONNX's QuantizeLinear with `saturate = 0`: a value whose
    magnitude rounds beyond the largest finite value, infinities included,
    becomes the infinity (`f8E5M2`) or the NaN (`f8E4M3FN`, with its sign;
    `0x80` for the FNUZ kinds) instead of the largest finite value.

    `precision = f16` or `bf16` divides in that type, as ONNX's
    QuantizeLinear does when the scale is float16 (its `precision`
    attribute): `x` is rounded to the type, the quotient `x / s` (or the
    product with the reciprocal) is rounded to it, and rounding and
    saturation follow in float32 (exact). Every scale must be a value of the
    type. Without it the division is in float32.

    ```mlir
    %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.1]>
    %f = qnt.quantize %h : tensor<4xf16> to tensor<4xf8E4M3FNUZ> as #qnt.params<f8E4M3FNUZ, scales = [2.0]> saturate = false precision = f16
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Qnt_ParamsAttr:$params,
      DefaultValuedAttr<Qnt_RoundingMode, "::mlir::qnt::RoundingMode::half_even">:$rounding,
      DefaultValuedAttr<BoolAttr, "true">:$saturate,
      OptionalAttr<TypeAttr>:$precision);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `:` type($input) `to` type($result) `as` custom<Params>($params) (`rounding` `=` $rounding^)? (`saturate` `=` $saturate^)? (`precision` `=` $precision^)? attr-dict
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$input,
        "::mlir::qnt::ParamsAttr":$params,
        CArg<"::mlir::qnt::RoundingMode", "::mlir::qnt::RoundingMode::half_even">:$rounding), [{
      build($_builder, $_state, result, input, params, rounding,
            /*saturate=*/true, /*precision=*/nullptr);
    }]>
  ];
  let extraClassDeclaration = [{
    /// The division's precision (F32 without the attribute).
    ::quantopt::numerics::Precision getDivisionPrecision();
  }];
  let hasVerifier = 1;
}

def Qnt_DequantizeOp : Qnt_Op<"dequantize", [Pure]> {
  let summary = "Maps a stored tensor back to real values";
  let description = [{
    `x' = s * (q - z)` (minval: `s * (q - qmin) + m`; float storage:
    `s * q`), computed in float32 and converted to the expressed type.

    Canonicalization folds the dequantization of a `qnt.contract`'s i32
    accumulator (its only use, with the accumulator's parameters, to f32)
    into the layer, which then returns real values.

    With `packed`, 2- and 4-bit integer storage arrives packed along the last
    dimension in an `i8` tensor: element `j` lives in byte `j / (8 / bits)`
    at bit `(j % (8 / bits)) * bits`, lowest bits first, so the stored last
    dimension is `D * bits / 8`.

    With `packed_flat`, they arrive packed over the flattened tensor, as ONNX
    stores int4 and uint4 tensors: element `i` of the row-major order lives
    in byte `i / (8 / bits)` of a 1-D `i8` tensor of `ceil(N * bits / 8)`
    bytes, so a row may start in the middle of a byte. When `8 / bits`
    divides the last dimension the two layouts are the same bytes, and
    canonicalization turns `packed_flat` into a reshape and `packed`, which
    the kernels read.

    ```mlir
    %x = qnt.dequantize %q : tensor<4xi8> to tensor<4xf32> as #qnt.params<i8, scales = [0.1]>
    %w = qnt.dequantize %p : tensor<16x32xi8> to tensor<16x64xf32> as #qnt.params<i4, axis = 0, scales = [...]> packed
    %v = qnt.dequantize %f : tensor<8xi8> to tensor<3x5xf32> as #qnt.params<i4, scales = [0.5]> packed_flat
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Qnt_ParamsAttr:$params,
      UnitAttr:$packed, UnitAttr:$packed_flat);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `:` type($input) `to` type($result) `as` custom<Params>($params) (`packed` $packed^)? (`packed_flat` $packed_flat^)? attr-dict
  }];
  let extraClassDeclaration = [{
    /// Whether the input is packed, along rows or flat.
    bool hasPacking() { return getPacked() || getPackedFlat(); }
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
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
      in 64-bit arithmetic (TOSA `apply_scale`, single rounding);
    - `mode = fixed_point_double_round`: the same with TOSA's
      `DOUBLE_ROUND`: for `shift > 31` the rounding term moves by `2^30`
      away from zero (`+` for `q - z_in >= 0`, `-` otherwise).

    The fixed-point modes compute `m` and `shift` from the scales, or take
    them as stated: `multipliers = [...] shifts = [...]`,
    one per parameter group (as a TOSA rescale states them; the multiplier
    may have fewer than 31 bits). Stated multipliers must agree with the
    scales, `|m * 2^-shift / M - 1| <= 2^-20`: the scales keep saying what
    the integers mean, the stated pair says exactly how to compute them.

    The two parameter sets must have the same granularity, or one of them
    must be per tensor. Minval parameters are not accepted.

    Canonicalization folds the requantization of a `qnt.contract`'s i32
    accumulator (its only use, with the accumulator's parameters) into the
    layer: the contract returns the requantized result itself. A
    requantization with stated multipliers stays a separate op (the layer
    lowers to the same kernel with it as its epilogue).

    ```mlir
    %y = qnt.requantize %acc : tensor<4xi32> to tensor<4xi8>
           from #qnt.params<i32, scales = [0.0005]>
           to #qnt.params<i8, scales = [0.02], zero_points = [5]> mode = fixed_point
    %z = qnt.requantize %acc : tensor<4xi32> to tensor<4xi8>
           from #qnt.params<i32, scales = [1.0]>
           to #qnt.params<i8, scales = [8.0], zero_points = [-3]>
           mode = fixed_point_double_round multipliers = [1073741824] shifts = [33]
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Qnt_ParamsAttr:$inParams,
      Qnt_ParamsAttr:$outParams,
      DefaultValuedAttr<Qnt_RequantMode, "::mlir::qnt::RequantMode::float32">:$mode,
      OptionalAttr<DenseI32ArrayAttr>:$multipliers,
      OptionalAttr<DenseI32ArrayAttr>:$shifts);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `:` type($input) `to` type($result) `from` custom<Params>($inParams) `to` custom<Params>($outParams) (`mode` `=` $mode^)?
    (`multipliers` `=` $multipliers^ `shifts` `=` $shifts)? attr-dict
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$input,
                   "ParamsAttr":$inParams, "ParamsAttr":$outParams,
                   "::mlir::qnt::RequantMode":$mode), [{
      build($_builder, $_state, result, input, inParams, outParams, mode,
            ::mlir::DenseI32ArrayAttr(), ::mlir::DenseI32ArrayAttr());
    }]>,
  ];
  let extraClassDeclaration = [{
    /// Number of parameter groups (the finer of the two granularities).
    size_t getNumGroups();
    /// The fixed-point multiplier of group `i` (stated or computed from the
    /// scales; the verifier guarantees it exists). Fixed-point modes only.
    ::quantopt::numerics::FixedPointMultiplier getFixedPointMultiplier(size_t i);
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
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

    With `block = B` the parameters are per row and per block of `B`
    consecutive elements of the (static) last dimension, the last block
    shorter when `B` does not divide it, as llama.cpp's Q8 activations and
    ONNX Runtime's MatMulNBits with int8 activations quantize them: the
    parameter shape is the input's with its last dimension `D` replaced by
    `ceil(D / B)`.

    `scheme = mx` (with `i8` storage) is OCP MX's MXINT8, as the solver's
    `mx` scheme: each group's scale is `2^(e - 6)` with the shared exponent
    `e = max(floor(log2(amax)), -127)` (an all-zero group: -127), the zero
    point 0 and the elements in [-127, 127]; with `block = 32` these are MX
    blocks of activations.

    `scheme = nvfp4` (with `i8` storage, per row or per block; NVIDIA's
    NVFP4 as torchao's `NVFP4Tensor` quantizes activations) solves each
    group's scale as the solver's `nvfp4` scheme, `s = G * s_b` with
    `s_b = e4m3(clamp(amax / 6 / G, 2^-6, 448))`, and rounds the elements to
    E2M1, `v = e2m1(clamp(x / s, -6, 6))` (NaN gives 0). The tensor scale
    `G` is `tensor_scale` when given (calibrated, as ModelOpt and TensorRT
    use it), else solved at run time from the whole tensor's largest finite
    magnitude, `amax / 2688` (torchao's dynamic per-tensor scale). E2M1
    values are integers once doubled, so the op returns the integers `2 v`
    (in [-12, 12]) with the scales `s / 2` (rounded to f32 only when `s` is
    below 2^-125) and zero points 0: the same real values, in the form the
    block form of `qnt.contract` and its integer kernel take.

    ```mlir
    %q, %s, %z = qnt.dynamic_quantize %x : tensor<?x64xf32> to tensor<?x64xi8>, tensor<f32>, tensor<i32>
                   storage = ui8 scheme = asymmetric
    %q8, %s8, %z8 = qnt.dynamic_quantize %x : tensor<?x64xf32> to tensor<?x64xi8>, tensor<?x2xf32>, tensor<?x2xi32>
                      storage = i8 scheme = symmetric block = 32
    %qm, %sm, %zm = qnt.dynamic_quantize %x : tensor<?x64xf32> to tensor<?x64xi8>, tensor<?x2xf32>, tensor<?x2xi32>
                      storage = i8 scheme = mx block = 32
    %qn, %sn, %zn = qnt.dynamic_quantize %x : tensor<?x64xf32> to tensor<?x64xi8>, tensor<?x4xf32>, tensor<?x4xi32>
                      storage = i8 scheme = nvfp4 block = 16
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, TypeAttr:$storage,
      Qnt_DynamicScheme:$scheme, UnitAttr:$per_row,
      OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$block,
      OptionalAttr<F32Attr>:$tensor_scale);
  let results = (outs AnyRankedTensor:$result, AnyRankedTensor:$scales,
      AnyRankedTensor:$zero_points);
  let assemblyFormat = [{
    $input `:` type($input) `to` type($result) `,` type($scales) `,` type($zero_points)
    `storage` `=` $storage `scheme` `=` $scheme (`per_row` $per_row^)?
    (`block` `=` $block^)? (`tensor_scale` `=` $tensor_scale^)? attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The storage kind and solver options the op stands for (nvfp4:
    /// f4E2M1FN elements and the tensor scale, 0 when solved at run time).
    ::quantopt::numerics::SolverOptions getSolverOptions();
    /// The shape of the scales and zero points: rank 0, the input's shape
    /// without its last dimension (per row), or with it counted in blocks.
    ::llvm::SmallVector<int64_t> getParamShape();
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

    With `moments`, the runtime also keeps the moments of the input viewed
    as rows of the `channel_axis` channels (docs/Algorithms.md): per channel
    the absolute maximum, the sum of absolute values and the sum
    (`channels`), and with `hessian` the second-moment matrix X^T X too, as
    GPTQ, AWQ, SmoothQuant and bias correction read them. `moments` needs
    `channel_axis`.

    ```mlir
    qnt.observe %x : tensor<?x784xf32> id "fc1" channel_axis = 1
    qnt.observe %x : tensor<?x784xf32> id "fc1" channel_axis = 1 moments = hessian
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, StrAttr:$id,
      OptionalAttr<I64Attr>:$channel_axis,
      OptionalAttr<Qnt_MomentsKind>:$moments);
  let assemblyFormat = [{
    $input `:` type($input) `id` $id (`channel_axis` `=` $channel_axis^)?
    (`moments` `=` $moments^)? attr-dict
  }];
  let hasVerifier = 1;
}

/// A #qnt.params attribute printed and parsed in full (`#qnt.params<...>`),
/// so that declarative formats read like the rest of the dialect.
def Qnt_AnyParams : Attr<CPred<"::llvm::isa<::mlir::qnt::ParamsAttr>($_self)">,
                         "#qnt.params attribute"> {
  let storageType = "::mlir::qnt::ParamsAttr";
  let returnType = "::mlir::qnt::ParamsAttr";
  let convertFromStorage = "$_self";
}

def Qnt_ContractOp : Qnt_Op<"contract", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "A quantized layer: an integer contraction with its parameters";
  let description = [{
    One quantized layer (matmul, batched matmul, 2-D convolution, depthwise
    convolution, in any layout and with transposed operands) on stored
    integers. The three `maps` (input, weight, result) state the contraction
    as `linalg.generic` would: loops that index the result are parallel, the
    others are reduced; strides and dilations are affine expressions of the
    input map (`d1 * 2 + d4`). Padding is a `tensor.pad` of the stored input
    with its zero point (real 0), so it is not part of the op.

    With `x ~ s_x (q_x - z_x)` and `w ~ s_w (q_w - z_w)` the op computes, per
    result element, the int32 accumulator

    ```
    acc = sum((q_x - z_x) * (q_w - z_w)) + bias
    ```

    and returns, by its result element type:

    - `i32`: `acc` itself; `result` states its parameters, which must be
      `#qnt.params<i32, scales = [s_x * s_w]>` (per channel on the result's
      channel axis when the weight is per channel, zero point 0);
    - a float type: the real values `float(acc) * (s_x * s_w)`;
    - another integer type: `acc` requantized to `result` (`mode`: float32
      multiplier or Q31 fixed point, as `qnt.requantize`) and clamped to the
      stored bounds `clamp = [lo, hi]` (a fused ReLU / ReLU6).

    The input is quantized per tensor with `input = #qnt.params<...>`, or at
    run time: `dynamic(%scales, %zero_points)` from `qnt.dynamic_quantize`
    (rank 0, or per row: the input's shape without its reduced last
    dimension) with `input_storage` naming the stored type. The weight is an
    integer tensor with per-tensor or per-channel affine parameters; its
    channel axis must index a result dimension. `bias` is an int32 vector at
    the accumulator's scale `s_x * s_w` along the result's last dimension.

    The weight may be an activation too (the two matmuls of attention): with
    `weight_dynamic(%scales, %zero_points)` (rank 0, from a per-tensor
    `qnt.dynamic_quantize`) and `weight_storage` instead of `weight = ...`,
    its parameters are run-time values and the weight sums are computed at
    run time. Such a layer returns real values and takes no bias.

    ```mlir
    %y = qnt.contract %qq, %kq dynamic(%sq, %zq) weight_dynamic(%sk, %zk)
           : (tensor<8x64x32xi8>, tensor<8x32x64xi8>, tensor<f32>, tensor<i32>, tensor<f32>, tensor<i32>) -> tensor<8x64x64xf32>
           maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
           input_storage = ui8 weight_storage = ui8
    ```

    **Per-block weights** (`weight = #qnt.params<..., axis = A, block = B>`
    with `A` the weight axis of the one reduced loop, which must also index
    the input's last dimension: group-wise int4/int8 weights as llama.cpp's
    Q4_0/Q8_0 and ONNX's MatMulNBits hold them) make the op a sum of block
    contractions. For block `g` (the `B` reduced indices `g B .. g B + B - 1`,
    the last block shorter when `B` does not divide `K`):

    ```
    acc_g = sum_{k in g} (q_x - z_x) * (q_w - z_w[g])         (int32)
    y     = 0;  for g = 0, 1, ...: y = fma(float(acc_g), s_x * s_w[g], y)
    ```

    in this order, with `s_x * s_w[g]` rounded to f32 before the fused
    multiply-add (as ONNX Runtime's and llama.cpp's int8 kernels compute).
    The input parameters may be static, dynamic per tensor or per row, or
    dynamic per row and block (`qnt.dynamic_quantize ... block = B` with the
    weight's `B`: scales of the input's shape with its last dimension
    counted in blocks, then `s_x` and `z_x` are those of block `g`). Such a
    layer returns real values and takes no bias.

    Per-block weights may also hold OCP MX float codes whose values are
    integers once multiplied by a power of two `f`
    (`numerics::getInt8CodeFactor`): `f4E2M1FN` (MXFP4, `f = 2`, integers
    in [-12, 12]) and `f6E2M3FN` (MXFP6 E2M3, `f = 8`, in [-60, 60]), with
    zero point 0. The op then reads `q_w = f * value(code)` and
    `s_w[g] / f` in the formulas above (the same real weights, exactly:
    `f` is a power of two), so MX weights with MXINT8 activations
    (`qnt.dynamic_quantize ... scheme = mx block = 32`) run as integer
    block contractions.

    ```mlir
    %xq, %sx, %zx = qnt.dynamic_quantize %x : tensor<?x4096xf32> to tensor<?x4096xi8>, tensor<?x128xf32>, tensor<?x128xi32>
                      storage = i8 scheme = symmetric block = 32
    %y = qnt.contract %xq, %wq dynamic(%sx, %zx) : (tensor<?x4096xi8>, tensor<4096x4096xi4>, tensor<?x128xf32>, tensor<?x128xi32>) -> tensor<?x4096xf32>
           maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
           input_storage = i8 weight = #qnt.params<i4, narrow, axis = 0, block = 32, scales = [...]>
    ```

    The verifier rejects a contraction whose int32 accumulator could
    overflow (per block, `K` is the block size): `K * max|q_x - z_x| * max|q_w - z_w|` must stay below `2^30`
    (`K` the number of reduced weight elements per output).

    ```mlir
    %y = qnt.contract %xq, %wq bias %b : (tensor<?x784xi8>, tensor<784x128xi8>, tensor<128xi32>) -> tensor<?x128xi8>
           maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
           input = #qnt.params<ui8, scales = [0.02], zero_points = [64]>
           weight = #qnt.params<i8, narrow, axis = 1, scales = [...]>
           result = #qnt.params<ui8, scales = [0.05]> clamp = [0, 255]
    ```

    `convert-qnt-to-linalg` expands the op into integer linalg code with the
    zero-point terms outside the reduction and the weight sums computed at
    compile time; `--qnt-codegen` lowers it to the kernels.

    The op reifies its result's sizes (`ReifyRankedShapedTypeOpInterface`):
    a dynamic result dimension is read from the input or the weight
    dimension its loop indexes alone, so a `tensor.dim` of the result (a
    dynamic batch) does not keep the layer alive.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
      Optional<RankedTensorOf<[I32]>>:$bias,
      Optional<RankedTensorOf<[F32]>>:$input_scales,
      Optional<RankedTensorOf<[I32]>>:$input_zero_points,
      Optional<RankedTensorOf<[F32]>>:$weight_scales,
      Optional<RankedTensorOf<[I32]>>:$weight_zero_points,
      AffineMapArrayAttr:$maps,
      OptionalAttr<Qnt_AnyParams>:$input_params,
      OptionalAttr<TypeAttr>:$input_storage,
      OptionalAttr<Qnt_AnyParams>:$weight_params,
      OptionalAttr<TypeAttr>:$weight_storage,
      OptionalAttr<Qnt_AnyParams>:$result_params,
      DefaultValuedAttr<Qnt_RequantMode, "::mlir::qnt::RequantMode::float32">:$mode,
      OptionalAttr<DenseI64ArrayAttr>:$clamp);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)?
    (`dynamic` `(` $input_scales^ `,` $input_zero_points `)`)?
    (`weight_dynamic` `(` $weight_scales^ `,` $weight_zero_points `)`)?
    `:` functional-type(operands, results)
    `maps` `=` $maps
    (`input` `=` custom<Params>($input_params)^)?
    (`input_storage` `=` $input_storage^)?
    (`weight` `=` custom<Params>($weight_params)^)?
    (`weight_storage` `=` $weight_storage^)?
    (`result` `=` custom<Params>($result_params)^)?
    (`mode` `=` $mode^)? (`clamp` `=` $clamp^)? attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The input's storage kind (from `input` or `input_storage`).
    ::quantopt::numerics::StorageKind getInputStorageKind();
    /// Whether the input parameters are operands (run-time quantization).
    bool isDynamic() { return static_cast<bool>(getInputScales()); }
    /// Whether the weight parameters are operands (an activation weight).
    bool isWeightDynamic() { return static_cast<bool>(getWeightScales()); }
    /// The weight's storage kind (from `weight` or `weight_storage`).
    ::quantopt::numerics::StorageKind getWeightStorageKind();
    ::mlir::AffineMap getInputMap() {
      return ::llvm::cast<::mlir::AffineMapAttr>(getMapsAttr()[0]).getValue();
    }
    ::mlir::AffineMap getWeightMap() {
      return ::llvm::cast<::mlir::AffineMapAttr>(getMapsAttr()[1]).getValue();
    }
    ::mlir::AffineMap getResultMap() {
      return ::llvm::cast<::mlir::AffineMapAttr>(getMapsAttr()[2]).getValue();
    }
    /// Per loop: true when it is reduced (it does not index the result).
    ::llvm::SmallVector<bool> getReductionLoops();
    /// The weight axes whose loops are reduced, and the number of terms `K`
    /// each result element sums.
    ::llvm::SmallVector<int64_t> getReducedWeightAxes();
    int64_t getReductionSize();
    /// The result axis that weight axis `axis` indexes, if any.
    std::optional<unsigned> getResultAxisOfWeight(int64_t axis);
    /// The result axis of the weight's channel (static per-channel
    /// weights), if any.
    std::optional<unsigned> getResultChannelAxis();
    /// Per-row dynamic parameters: the result axes the input's leading
    /// dimensions index (empty for per-tensor parameters).
    ::llvm::SmallVector<unsigned> getRowResultAxes();
    /// Per-block weights: their block size (0 otherwise).
    int64_t getWeightBlockSize() {
      ::mlir::qnt::ParamsAttr params = getWeightParamsAttr();
      return params ? params.getBlockSize() : 0;
    }
    /// Whether the input parameters are dynamic per row and per block of
    /// the weight's block size.
    bool isInputPerBlock();
    /// The accumulator's real scale `s_x * s_w` per weight channel (one
    /// value for per-tensor weights); static inputs and weights only.
    ::llvm::SmallVector<float> getAccumulatorScales();
    /// Static weights: the factor `f` of float codes (1 for integer
    /// storage; the integers `q_w` of the codes are
    /// numerics::getInt8CodeTable's), the range of `q_w`, and the scales
    /// `s_w / f` that go with them.
    int64_t getWeightCodeFactor();
    ::quantopt::numerics::IntRange getWeightIntRange();
    ::llvm::SmallVector<float> getWeightIntegerScales();
  }];
}


def Qnt_KernelOp : Qnt_Op<"kernel", [AttrSizedOperandSegments, SingleBlock,
    NoTerminator, DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<BufferizableOpInterface,
        ["bufferizesToMemoryRead", "bufferizesToMemoryWrite",
         "getAliasingValues", "bufferize"]>]> {
  let summary = "A kernel written on buffers inside tensor code";
  let description = [{
    The kernels of `--qnt-codegen` (`qnt-vnni-matmul`, `qnt-f32-matmul`,
    `qnt-weight-only-matmul`, `qnt-vectorize-elementwise`) replace tensor ops
    by vector loop nests that load and store memory. `qnt.kernel` lets them
    do so without choosing buffers themselves: it is a destination-style op
    on tensors (`ins` are read, `outs` are read and written, result `i` is
    `outs[i]` after the body ran) whose single block receives one buffer per
    operand, `ins` then `outs`, each a memref of the operand's shape and
    element type with the layout the body needs. One-shot bufferization
    (BufferizableOpInterface) assigns the buffers - allocations, in-place
    reuse, globals for constant operands, copies where a buffer's layout
    cannot be cast to the block argument's - and inlines the body.

    ```mlir
    %r = qnt.kernel ins(%x, %w : tensor<?x64xi8>, tensor<4x16x64xi8>)
                    outs(%e : tensor<?x64xi32>) {
    ^bb0(%xb: memref<?x64xi8, strided<[?, 1], offset: ?>>,
         %wb: memref<4x16x64xi8>, %ob: memref<?x64xi32>):
      ...
    } -> tensor<?x64xi32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs,
                       Variadic<AnyRankedTensor>:$outputs);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    (`ins` `(` $inputs^ `:` type($inputs) `)`)?
    `outs` `(` $outputs `:` type($outputs) `)` attr-dict-with-keyword
    $body (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutputsMutable();
    }
  }];
}

#endif // QUANTOPT_DIALECT_QNT_IR_QNTOPS_TD
