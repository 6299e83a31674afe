//===- ScalarFormulas.h - Numerics.cpp's formulas as arith IR -*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The scalar float32 arithmetic of quantopt::numerics written as arith/math
// ops, operation for operation, for the bodies of the reference lowering's
// element-wise generics (QntToLinalg.cpp): the lowered code and the library
// agree bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CONVERSION_QNTTOLINALG_SCALARFORMULAS_H
#define QUANTOPT_CONVERSION_QNTTOLINALG_SCALARFORMULAS_H

#include "QuantOpt/Numerics/Numerics.h"

#include "mlir/IR/Builders.h"

namespace quantopt {
namespace qnt_lowering {

mlir::Value f32Const(mlir::OpBuilder &b, mlir::Location loc, float v);
mlir::Value i32Const(mlir::OpBuilder &b, mlir::Location loc, int32_t v);
mlir::Value i64Const(mlir::OpBuilder &b, mlir::Location loc, int64_t v);
/// x / s, or x * (1.0f / s) for the reciprocal mode.
/// num::roundToPrecision: a truncation to the precision's type and back.
mlir::Value emitRoundToPrecision(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value v, numerics::Precision precision);
mlir::Value
emitApplyInverseScale(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                      mlir::Value scale, numerics::RoundingMode mode,
                      numerics::Precision precision = numerics::Precision::F32);
/// The MXINT8 scale of a group whose largest magnitude is `amax` (finite,
/// >= 0): 2^(e - 6) with e = max(floor(log2(amax)), -127) (num::getMxScale
/// of num::getMxSharedExponent for i8), built from amax's exponent field.
mlir::Value emitMxInt8Scale(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value amax);
/// num::roundToIntegral.
mlir::Value emitRound(mlir::OpBuilder &b, mlir::Location loc, mlir::Value y,
                      numerics::RoundingMode mode);
/// saturateToRange: float clamp, conversion, exact integer clamp, truncation
/// to the stored width. A range whose bounds are exact in f32 and in i32
/// (every storage up to 24 bits) needs neither the 64-bit conversion nor
/// the integer clamp: after the float clamp every non-NaN value is an
/// integer in [qmin, qmax] (NaN is the caller's select), so an i32
/// conversion gives the same bits, with 16 lanes per instruction instead of
/// 8 (vcvttps2dq rather than vcvttps2qq and a 64-bit clamp).
mlir::Value emitSaturate(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                         numerics::IntRange range, mlir::Type storedType);
mlir::Value emitIsNaN(mlir::OpBuilder &b, mlir::Location loc, mlir::Value y);
/// Widens a stored integer to i64 with the storage's signedness.
mlir::Value emitWiden(mlir::OpBuilder &b, mlir::Location loc, mlir::Value q,
                      bool isSigned);
mlir::Value emitToF32(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
mlir::Value emitFromF32(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                        mlir::Type expressed);
/// num::encodeFloat with integer bit manipulation: for
/// a = min(|y|, max), e = max(exponent(a), emin), step = 2^(e - mbits),
/// m = roundeven(a / step) (exact division), code = (e - emin) * 2^mbits + m.
/// Without saturation a is clamped to 2 * max instead (so the code stays a
/// small integer), and a code above the largest finite one is an overflow.
/// The FNUZ kinds have no negative zero: a zero code keeps no sign.
mlir::Value emitEncodeMiniFloat(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value y, numerics::StorageKind kind,
                                mlir::Type storedType, bool saturate);
/// decodeFloatBits(encodeFloatSaturating(y, kind)) in f32 arithmetic (the
/// value of emitEncodeMiniFloat's saturating code); NaN stays NaN.
mlir::Value emitRoundToMiniFloat(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value y, numerics::StorageKind kind);
/// Decodes a minifloat through a table of its 2^bits values (APFloat).
mlir::Value emitDecodeMiniFloat(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value stored, numerics::StorageKind kind,
                                mlir::Value table);
/// The constant decoding table of a float storage kind.
mlir::Value createDecodeTable(mlir::OpBuilder &b, mlir::Location loc,
                              numerics::StorageKind kind);

} // namespace qnt_lowering
} // namespace quantopt

#endif // QUANTOPT_CONVERSION_QNTTOLINALG_SCALARFORMULAS_H
