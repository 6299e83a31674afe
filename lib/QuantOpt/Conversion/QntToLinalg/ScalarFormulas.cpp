//===- ScalarFormulas.cpp - Numerics.cpp's formulas as arith IR ----------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "ScalarFormulas.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/APFloat.h"

using namespace mlir;
namespace num = quantopt::numerics;

namespace quantopt {
namespace qnt_lowering {

Value f32Const(OpBuilder &b, Location loc, float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value i32Const(OpBuilder &b, Location loc, int32_t v) {
  return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
}

Value i64Const(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
}

/// x / s, or x * (1.0f / s) for the reciprocal mode.
/// num::roundToPrecision: a truncation to the precision's type and back.
Value emitRoundToPrecision(OpBuilder &b, Location loc, Value v,
                           num::Precision precision) {
  if (precision == num::Precision::F32)
    return v;
  Type narrow = precision == num::Precision::F16 ? Type(b.getF16Type())
                                                 : Type(b.getBF16Type());
  Value truncated = arith::TruncFOp::create(b, loc, narrow, v);
  return arith::ExtFOp::create(b, loc, b.getF32Type(), truncated);
}

Value emitApplyInverseScale(OpBuilder &b, Location loc, Value x, Value scale,
                            num::RoundingMode mode, num::Precision precision) {
  x = emitRoundToPrecision(b, loc, x, precision);
  if (mode == num::RoundingMode::Reciprocal) {
    Value inv = emitRoundToPrecision(
        b, loc, arith::DivFOp::create(b, loc, f32Const(b, loc, 1.0f), scale),
        precision);
    return emitRoundToPrecision(b, loc, arith::MulFOp::create(b, loc, x, inv),
                                precision);
  }
  return emitRoundToPrecision(b, loc, arith::DivFOp::create(b, loc, x, scale),
                              precision);
}

/// num::roundToIntegral.
Value emitRound(OpBuilder &b, Location loc, Value y, num::RoundingMode mode) {
  switch (mode) {
  case num::RoundingMode::HalfEven:
  case num::RoundingMode::Reciprocal:
    return math::RoundEvenOp::create(b, loc, y);
  case num::RoundingMode::HalfAwayFromZero:
    return math::RoundOp::create(b, loc, y);
  case num::RoundingMode::HalfUp: {
    Value f = math::FloorOp::create(b, loc, y);
    Value frac = arith::SubFOp::create(b, loc, y, f);
    Value up = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, frac,
                                     f32Const(b, loc, 0.5f));
    Value fPlusOne = arith::AddFOp::create(b, loc, f, f32Const(b, loc, 1.0f));
    return arith::SelectOp::create(b, loc, up, fPlusOne, f);
  }
  }
  llvm_unreachable("unknown rounding mode");
}

/// saturateToRange: float clamp, conversion, exact integer clamp, truncation
/// to the stored width. A range whose bounds are exact in f32 and in i32
/// (every storage up to 24 bits) needs neither the 64-bit conversion nor
/// the integer clamp: after the float clamp every non-NaN value is an
/// integer in [qmin, qmax] (NaN is the caller's select), so an i32
/// conversion gives the same bits, with 16 lanes per instruction instead of
/// 8 (vcvttps2dq rather than vcvttps2qq and a 64-bit clamp).
Value emitSaturate(OpBuilder &b, Location loc, Value v, num::IntRange range,
                   Type storedType) {
  v = arith::MaximumFOp::create(
      b, loc, v, f32Const(b, loc, static_cast<float>(range.qmin)));
  v = arith::MinimumFOp::create(
      b, loc, v, f32Const(b, loc, static_cast<float>(range.qmax)));
  constexpr int64_t kExactInF32 = int64_t(1) << 24;
  if (range.qmin > -kExactInF32 && range.qmax < kExactInF32) {
    // Unsigned ranges convert unsigned: LLVM may narrow a conversion whose
    // result is truncated (fptosi to i8 of 200.0 is poison; fptoui is not).
    Value q =
        range.qmin >= 0
            ? arith::FPToUIOp::create(b, loc, b.getI32Type(), v).getResult()
            : arith::FPToSIOp::create(b, loc, b.getI32Type(), v).getResult();
    unsigned width = storedType.getIntOrFloatBitWidth();
    if (width == 32)
      return q;
    if (width > 32)
      return arith::ExtSIOp::create(b, loc, storedType, q);
    return arith::TruncIOp::create(b, loc, storedType, q);
  }
  Value q = arith::FPToSIOp::create(b, loc, b.getI64Type(), v);
  q = arith::MaxSIOp::create(b, loc, q, i64Const(b, loc, range.qmin));
  q = arith::MinSIOp::create(b, loc, q, i64Const(b, loc, range.qmax));
  return arith::TruncIOp::create(b, loc, storedType, q);
}

Value emitIsNaN(OpBuilder &b, Location loc, Value y) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, y, y);
}

/// Widens a stored integer to i64 with the storage's signedness.
Value emitWiden(OpBuilder &b, Location loc, Value q, bool isSigned) {
  if (isSigned)
    return arith::ExtSIOp::create(b, loc, b.getI64Type(), q);
  return arith::ExtUIOp::create(b, loc, b.getI64Type(), q);
}

Value emitToF32(OpBuilder &b, Location loc, Value x) {
  if (x.getType().isF32())
    return x;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), x);
}

Value emitFromF32(OpBuilder &b, Location loc, Value x, Type expressed) {
  if (expressed.isF32())
    return x;
  return arith::TruncFOp::create(b, loc, expressed, x);
}

namespace {
/// A minifloat's rounding of a = min(|y|, limit): e = max(exponent(a),
/// emin), step = 2^(e - mbits), m = roundeven(a / step) (an exact
/// division), so that the rounded magnitude is m * step.
struct MiniFloatParts {
  Value e, step, m;
};
} // namespace

static MiniFloatParts emitMiniFloatParts(OpBuilder &b, Location loc, Value y,
                                         num::MiniFloatFormat fmt,
                                         float limit) {
  Type i32 = b.getI32Type();
  Value a = math::AbsFOp::create(b, loc, y);
  a = arith::MinimumFOp::create(b, loc, a, f32Const(b, loc, limit));
  Value aBits = arith::BitcastOp::create(b, loc, i32, a);
  Value exponent = arith::SubIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, aBits, i32Const(b, loc, 23)),
      i32Const(b, loc, 127));
  Value e = arith::MaxSIOp::create(b, loc, exponent,
                                   i32Const(b, loc, fmt.minExponent()));
  Value stepBits = arith::ShLIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, e,
                            i32Const(b, loc, 127 - int(fmt.mantissaBits))),
      i32Const(b, loc, 23));
  Value step = arith::BitcastOp::create(b, loc, b.getF32Type(), stepBits);
  Value m =
      math::RoundEvenOp::create(b, loc, arith::DivFOp::create(b, loc, a, step));
  return {e, step, m};
}

/// num::encodeFloat with integer bit manipulation: for
/// a = min(|y|, max), e = max(exponent(a), emin), step = 2^(e - mbits),
/// m = roundeven(a / step) (exact division), code = (e - emin) * 2^mbits + m.
/// Without saturation a is clamped to 2 * max instead (so the code stays a
/// small integer), and a code above the largest finite one is an overflow.
/// The FNUZ kinds have no negative zero: a zero code keeps no sign.
Value emitEncodeMiniFloat(OpBuilder &b, Location loc, Value y,
                          num::StorageKind kind, Type storedType,
                          bool saturate) {
  num::MiniFloatFormat fmt = num::getMiniFloatFormat(kind);
  Type i32 = b.getI32Type();
  Value isNaN = emitIsNaN(b, loc, y);
  float maxFinite = static_cast<float>(num::getMaxFinite(kind));
  MiniFloatParts parts = emitMiniFloatParts(
      b, loc, y, fmt, saturate ? maxFinite : 2.0f * maxFinite);
  Value e = parts.e;
  Value mInt = arith::FPToSIOp::create(b, loc, i32, parts.m);
  Value code = arith::AddIOp::create(
      b, loc,
      arith::ShLIOp::create(
          b, loc,
          arith::SubIOp::create(b, loc, e, i32Const(b, loc, fmt.minExponent())),
          i32Const(b, loc, fmt.mantissaBits)),
      mInt);
  Value yBits = arith::BitcastOp::create(b, loc, i32, y);
  Value sign = arith::ShLIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, yBits, i32Const(b, loc, 31)),
      i32Const(b, loc, fmt.exponentBits + fmt.mantissaBits));
  const llvm::fltSemantics &sem = num::getFloatSemantics(kind);
  if (!num::hasNegativeZero(kind)) {
    // FNUZ: the sign bit alone is the NaN, so a zero drops its sign.
    Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, code,
                                         i32Const(b, loc, 0));
    sign = arith::SelectOp::create(b, loc, isZero, i32Const(b, loc, 0), sign);
  }
  Value overflow;
  if (!saturate) {
    // The largest finite code, from APFloat.
    uint64_t maxCode =
        llvm::APFloat::getLargest(sem).bitcastToAPInt().getZExtValue();
    overflow = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, code,
                                     i32Const(b, loc, maxCode));
  }
  code = arith::OrIOp::create(b, loc, code, sign);
  if (overflow) {
    Value isNegative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                             sign, i32Const(b, loc, 0));
    Value overflowCode = arith::SelectOp::create(
        b, loc, isNegative, i32Const(b, loc, num::getOverflowBits(kind, true)),
        i32Const(b, loc, num::getOverflowBits(kind, false)));
    code = arith::SelectOp::create(b, loc, overflow, overflowCode, code);
  }
  code = arith::SelectOp::create(b, loc, isNaN,
                                 i32Const(b, loc, num::getNaNBits(kind)), code);
  unsigned width = storedType.getIntOrFloatBitWidth();
  Value truncated =
      arith::TruncIOp::create(b, loc, b.getIntegerType(width), code);
  return arith::BitcastOp::create(b, loc, storedType, truncated);
}

/// decodeFloatBits(encodeFloatSaturating(y, kind)) as f32 arithmetic: the
/// magnitude m * step of emitEncodeMiniFloat's saturating rounding with
/// y's sign; NaN stays NaN (the caller decides what it becomes).
Value emitRoundToMiniFloat(OpBuilder &b, Location loc, Value y,
                           num::StorageKind kind) {
  MiniFloatParts parts =
      emitMiniFloatParts(b, loc, y, num::getMiniFloatFormat(kind),
                         static_cast<float>(num::getMaxFinite(kind)));
  Value magnitude = arith::MulFOp::create(b, loc, parts.m, parts.step);
  Value rounded = math::CopySignOp::create(b, loc, magnitude, y);
  return arith::SelectOp::create(b, loc, emitIsNaN(b, loc, y), y, rounded);
}

/// Decodes a minifloat through a table of its 2^bits values (APFloat).
Value emitDecodeMiniFloat(OpBuilder &b, Location loc, Value stored,
                          num::StorageKind kind, Value table) {
  unsigned width = stored.getType().getIntOrFloatBitWidth();
  Value bits =
      arith::BitcastOp::create(b, loc, b.getIntegerType(width), stored);
  Value index = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), bits);
  return tensor::ExtractOp::create(b, loc, table, ValueRange{index});
}

/// The constant decoding table of a float storage kind.
Value createDecodeTable(OpBuilder &b, Location loc, num::StorageKind kind) {
  unsigned count = 1u << num::getStorageBitWidth(kind);
  SmallVector<float> values;
  for (unsigned bits = 0; bits < count; ++bits)
    values.push_back(num::decodeFloatBits(static_cast<uint8_t>(bits), kind));
  auto type = RankedTensorType::get({count}, b.getF32Type());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef<float>(values)));
}

Value emitMxInt8Scale(OpBuilder &b, Location loc, Value amax) {
  Type i32 = b.getI32Type();
  // floor(log2(amax)) is the biased exponent field minus 127 for normal
  // numbers; zero and subnormals give -127, which the clamp to E8M0's
  // smallest exponent (-127) makes exact.
  Value bits = arith::BitcastOp::create(b, loc, i32, amax);
  Value field = arith::ShRUIOp::create(b, loc, bits, i32Const(b, loc, 23));
  Value e = arith::SubIOp::create(b, loc, field, i32Const(b, loc, 127 + 6));
  // 2^e for e in [-133, 121]: a normal float's exponent field from -126 on,
  // below it the subnormal with the single mantissa bit 2^(e + 149).
  Value normal = arith::ShLIOp::create(
      b, loc, arith::AddIOp::create(b, loc, e, i32Const(b, loc, 127)),
      i32Const(b, loc, 23));
  Value subnormal = arith::ShLIOp::create(
      b, loc, i32Const(b, loc, 1),
      arith::AddIOp::create(b, loc, e, i32Const(b, loc, 149)));
  Value isNormal = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, e,
                                         i32Const(b, loc, -126));
  Value scaleBits =
      arith::SelectOp::create(b, loc, isNormal, normal, subnormal);
  return arith::BitcastOp::create(b, loc, b.getF32Type(), scaleBits);
}

} // namespace qnt_lowering
} // namespace quantopt
