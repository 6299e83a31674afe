//===- QntAttrs.td - qnt attributes ------------------------*- tablegen -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_IR_QNTATTRS_TD
#define QUANTOPT_DIALECT_QNT_IR_QNTATTRS_TD

include "QuantOpt/Dialect/Qnt/IR/QntBase.td"
include "mlir/IR/AttrTypeBase.td"

def Qnt_ParamsAttr : AttrDef<Qnt_Dialect, "Params"> {
  let mnemonic = "params";
  let summary = "How a real tensor maps to its stored form";
  let description = [{
    Syntax:

    ```
    #qnt.params<STORAGE[:EXPRESSED] [, narrow | range = [LO, HI]] [, pow2] [, axis = A [, block = B]],
                [tensor_scale = G,] scales = [S, ...] [, zero_points = [Z, ...] | min_values = [M, ...]]>
    ```

    - `STORAGE`: `i2`, `i4`, `i8`, `i16` (signed), `ui2`, `ui4`, `ui8`, `ui16`
      (unsigned), `i32` (accumulators, for `qnt.requantize`), `f8E4M3FN`,
      `f8E5M2`, `f4E2M1FN`, `f6E2M3FN`, `f6E3M2FN` (the six-bit MX
      elements). Stored tensors use the signless integer type of
      the same width, or the float type itself.
    - `EXPRESSED`: `f32` (default), `f16` or `bf16`.
    - `narrow`: the restricted range without the lowest code
      (`[-127, 127]` for `i8`, `[1, 255]` for `ui8`).
    - `range = [LO, HI]`: a range narrower than the storage type's, e.g.
      3-bit values in `i4` storage (`[-4, 3]`); integer storage only, inside
      the storage type's range, not with `narrow` (it states the range
      itself).
    - `pow2`: every scale is a power of two (checked).
    - `tensor_scale = G`: two-level scales (NVIDIA's NVFP4): each scale is
      the float32 product `G * s_b` of a positive finite float32 tensor
      scale and an `f8E4M3FN` block scale `s_b` in [2^-6, 448] (checked);
      float storage only, not with `pow2`. `scales` hold the products, so
      the formulas below read them as they are.
    - granularity: per tensor (no `axis`, one scale); per channel (`axis`, one
      scale per index of that dimension); per block (`axis` and `block`: one
      scale per `block` consecutive elements along `axis` and per index of
      every other dimension, laid out row-major in the shape of the tensor
      with dimension `axis` replaced by `ceil(size / block)`; the last block
      is shorter when `block` does not divide the dimension, as ONNX allows).
    - `scales`: positive finite float32 values.
    - `zero_points`: integers inside the storage range (default all 0), or
      `min_values`: float offsets of the minval formulation
      `q = clamp(round((x - m) / s) + qmin)`. Float storage takes neither.

    Examples:

    ```mlir
    #qnt.params<i8, scales = [0.05], zero_points = [-3]>
    #qnt.params<ui4:f16, narrow, axis = 0, scales = [0.1, 0.2], zero_points = [8, 7]>
    #qnt.params<i4, axis = 1, block = 2, scales = [0.5, 0.25], min_values = [-1.0, -2.0]>
    #qnt.params<f8E4M3FN:bf16, scales = [0.01]>
    #qnt.params<i4, range = [-4, 3], axis = 0, scales = [0.5, 0.25]>
    #qnt.params<f4E2M1FN, axis = 0, block = 16, tensor_scale = 0.25, scales = [0.5, 0.28125]>
    ```
  }];
  let parameters = (ins
    "::mlir::Type":$storageType,
    "::mlir::Type":$expressedType,
    "int64_t":$axis,
    "int64_t":$blockSize,
    "bool":$narrowRange,
    "bool":$powerOfTwo,
    "::mlir::DenseF32ArrayAttr":$scales,
    "::mlir::DenseI64ArrayAttr":$zeroPoints,
    "::mlir::DenseF32ArrayAttr":$minValues,
    "int64_t":$rangeMin,
    "int64_t":$rangeMax,
    "::mlir::FloatAttr":$tensorScale
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The storage kind of the numerics library.
    ::quantopt::numerics::StorageKind getStorageKind() const;
    /// The element type of stored tensors: signless integer or minifloat.
    ::mlir::Type getStoredElementType() const;
    ::quantopt::numerics::Granularity getGranularity() const {
      return {getAxis(), getBlockSize()};
    }
    bool isPerTensor() const { return getAxis() < 0; }
    bool isFloatStorage() const;
    bool hasMinValues() const { return !getMinValues().empty(); }
    /// Integer range in use (integer storage only).
    ::quantopt::numerics::IntRange getIntRange() const;
    /// Zero point of group `i` (0 when none are given).
    int64_t getZeroPoint(size_t i) const {
      return getZeroPoints().empty() ? 0 : getZeroPoints()[i];
    }
    /// Checks the parameters against the shape of a real or stored tensor.
    ::llvm::LogicalResult
    verifyForShape(::llvm::ArrayRef<int64_t> shape,
                   ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError) const;
  }];
}

#endif // QUANTOPT_DIALECT_QNT_IR_QNTATTRS_TD
