//===- FloatFormats.cpp - Low-precision float formats (plain C++) --------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The float element formats of the numerics library: float8 (OCP and FNUZ),
// float6 and float4 codes through APFloat (saturating and non-saturating
// encoding, decoding, the sign of zero), the scales of NVFP4 and OCP MX
// blocks, and rounding to the f16/bf16 precision a quantization computes in.
// Compiled with -ffp-contract=off, as Numerics.cpp.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Numerics/Numerics.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

using namespace quantopt::numerics;
using llvm::APFloat;

//===----------------------------------------------------------------------===//
// Float storage kinds
//===----------------------------------------------------------------------===//

const llvm::fltSemantics &
quantopt::numerics::getFloatSemantics(StorageKind kind) {
  switch (kind) {
  case StorageKind::F8E4M3FN:
    return APFloat::Float8E4M3FN();
  case StorageKind::F8E5M2:
    return APFloat::Float8E5M2();
  case StorageKind::F4E2M1FN:
    return APFloat::Float4E2M1FN();
  case StorageKind::F6E2M3FN:
    return APFloat::Float6E2M3FN();
  case StorageKind::F6E3M2FN:
    return APFloat::Float6E3M2FN();
  case StorageKind::F8E4M3FNUZ:
    return APFloat::Float8E4M3FNUZ();
  case StorageKind::F8E5M2FNUZ:
    return APFloat::Float8E5M2FNUZ();
  default:
    llvm_unreachable("float storage expected");
  }
}

double quantopt::numerics::getMaxFinite(StorageKind kind) {
  return APFloat::getLargest(getFloatSemantics(kind)).convertToDouble();
}

MiniFloatFormat quantopt::numerics::getMiniFloatFormat(StorageKind kind) {
  switch (kind) {
  case StorageKind::F8E4M3FN:
    return {4, 3, 7};
  case StorageKind::F8E5M2:
    return {5, 2, 15};
  case StorageKind::F4E2M1FN:
    return {2, 1, 1};
  case StorageKind::F6E2M3FN:
    return {2, 3, 1};
  case StorageKind::F6E3M2FN:
    return {3, 2, 3};
  case StorageKind::F8E4M3FNUZ:
    return {4, 3, 8};
  case StorageKind::F8E5M2FNUZ:
    return {5, 2, 16};
  default:
    llvm_unreachable("float storage expected");
  }
}

uint8_t quantopt::numerics::getNaNBits(StorageKind kind) {
  const llvm::fltSemantics &sem = getFloatSemantics(kind);
  if (!APFloat::semanticsHasNaN(sem))
    return 0;
  return static_cast<uint8_t>(
      APFloat::getQNaN(sem).bitcastToAPInt().getZExtValue());
}

bool quantopt::numerics::hasNegativeZero(StorageKind kind) {
  float v = decodeFloatBits(uint8_t(1) << (getStorageBitWidth(kind) - 1), kind);
  return v == 0.0f && std::signbit(v);
}

float quantopt::numerics::decodeFloatBits(uint8_t bits, StorageKind kind) {
  const llvm::fltSemantics &sem = getFloatSemantics(kind);
  unsigned width = APFloat::getSizeInBits(sem);
  APFloat value(sem, llvm::APInt(width, bits & ((1u << width) - 1)));
  bool losesInfo = false;
  value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                &losesInfo);
  return value.convertToFloat();
}

std::optional<float> quantopt::numerics::getNvFp4TensorScale(float amax) {
  if (!std::isfinite(amax))
    return std::nullopt;
  if (amax == 0.0f)
    return 1.0f;
  // 448 * 6 = 2688 is exact; one float32 division, as torchao's
  // per_tensor_amax_to_scale.
  float g = std::fabs(amax) / 2688.0f;
  return g > 0.0f ? g : std::numeric_limits<float>::denorm_min();
}

float quantopt::numerics::getNvFp4TensorScaleOf(llvm::ArrayRef<float> values) {
  float amax = 0.0f;
  for (float v : values)
    if (std::isfinite(v))
      amax = std::max(amax, std::fabs(v));
  return *getNvFp4TensorScale(amax);
}

float quantopt::numerics::getNvFp4BlockScale(float amax, float tensorScale) {
  float blockScale = std::fabs(amax) / 6.0f;
  float scaled = blockScale / tensorScale;
  float clamped = std::min(std::max(scaled, 0.015625f), 448.0f);
  return decodeFloatBits(encodeFloatSaturating(clamped, StorageKind::F8E4M3FN),
                         StorageKind::F8E4M3FN);
}

float quantopt::numerics::getNvFp4Scale(float blockScale, float tensorScale) {
  return tensorScale * blockScale;
}

std::optional<float>
quantopt::numerics::getNvFp4BlockScaleOf(float scale, float tensorScale) {
  if (!(scale > 0.0f) || !(tensorScale > 0.0f) || !std::isfinite(scale) ||
      !std::isfinite(tensorScale))
    return std::nullopt;
  // scale / G is within an ulp or two of s_b, whose 3 mantissa bits leave
  // E4M3's rounding no doubt.
  float ratio = scale / tensorScale;
  if (!(ratio >= 0.015625f * 0.99f) || !(ratio <= 448.0f * 1.01f))
    return std::nullopt;
  float candidate =
      decodeFloatBits(encodeFloatSaturating(ratio, StorageKind::F8E4M3FN),
                      StorageKind::F8E4M3FN);
  if (candidate < 0.015625f || getNvFp4Scale(candidate, tensorScale) != scale)
    return std::nullopt;
  return candidate;
}

std::optional<int64_t> quantopt::numerics::getInt8CodeFactor(StorageKind kind) {
  if (!isFloatStorage(kind))
    return std::nullopt;
  const llvm::fltSemantics &sem = getFloatSemantics(kind);
  // The smallest subnormal is 2^(minExponent - mantissaBits).
  int log2Factor = static_cast<int>(APFloat::semanticsPrecision(sem)) - 1 -
                   APFloat::semanticsMinExponent(sem);
  double factor = std::ldexp(1.0, log2Factor);
  assert(APFloat::getSmallest(sem).convertToDouble() * factor == 1.0);
  if (getMaxFinite(kind) * factor > 127.0)
    return std::nullopt;
  return static_cast<int64_t>(factor);
}

int8_t quantopt::numerics::getInt8Code(uint8_t bits, StorageKind kind) {
  std::optional<int64_t> factor = getInt8CodeFactor(kind);
  assert(factor && "a float kind with an int8 code factor expected");
  return static_cast<int8_t>(decodeFloatBits(bits, kind) * *factor);
}

std::vector<int8_t> quantopt::numerics::getInt8CodeTable(StorageKind kind) {
  std::vector<int8_t> table;
  for (unsigned bits = 0; bits < (1u << getStorageBitWidth(kind)); ++bits)
    table.push_back(getInt8Code(static_cast<uint8_t>(bits), kind));
  return table;
}

IntRange quantopt::numerics::getInt8CodeRange(StorageKind kind) {
  std::optional<int64_t> factor = getInt8CodeFactor(kind);
  assert(factor && "a float kind with an int8 code factor expected");
  auto top = static_cast<int64_t>(getMaxFinite(kind) * *factor);
  return {-top, top};
}

uint8_t quantopt::numerics::encodeFloatSaturating(float v, StorageKind kind) {
  if (std::isnan(v))
    return getNaNBits(kind);
  const llvm::fltSemantics &sem = getFloatSemantics(kind);
  float maxFinite = static_cast<float>(getMaxFinite(kind));
  float clamped = std::min(std::max(v, -maxFinite), maxFinite);
  APFloat value(clamped);
  bool losesInfo = false;
  // APFloat drops the sign of a zero in the FNUZ kinds (0x80 is their NaN).
  value.convert(sem, APFloat::rmNearestTiesToEven, &losesInfo);
  return static_cast<uint8_t>(value.bitcastToAPInt().getZExtValue());
}

bool quantopt::numerics::hasOverflowValue(StorageKind kind) {
  if (!isFloatStorage(kind))
    return false;
  const llvm::fltSemantics &sem = getFloatSemantics(kind);
  return APFloat::semanticsHasNaN(sem) || APFloat::semanticsHasInf(sem);
}

uint8_t quantopt::numerics::getOverflowBits(StorageKind kind, bool negative) {
  assert(hasOverflowValue(kind) && "float8 storage expected");
  const llvm::fltSemantics &sem = getFloatSemantics(kind);
  APFloat value = APFloat::semanticsHasInf(sem)
                      ? APFloat::getInf(sem, negative)
                      : APFloat::getNaN(sem, negative);
  return static_cast<uint8_t>(value.bitcastToAPInt().getZExtValue());
}

uint8_t quantopt::numerics::encodeFloatNonSaturating(float v,
                                                     StorageKind kind) {
  assert(hasOverflowValue(kind) && "float8 storage expected");
  if (std::isnan(v))
    return getNaNBits(kind);
  // APFloat rounds to nearest-even as if the exponent were unbounded and
  // overflows past the largest finite value's rounding boundary (max + half
  // an ulp, the tie going to the even max), to the infinity or, in the
  // NaN-only kinds, the NaN; we state the overflow code explicitly.
  const llvm::fltSemantics &sem = getFloatSemantics(kind);
  APFloat value(v);
  bool losesInfo = false;
  value.convert(sem, APFloat::rmNearestTiesToEven, &losesInfo);
  if (!value.isFinite())
    return getOverflowBits(kind, std::signbit(v));
  return static_cast<uint8_t>(value.bitcastToAPInt().getZExtValue());
}

uint8_t quantopt::numerics::encodeFloat(float v, StorageKind kind,
                                        bool saturate) {
  return saturate ? encodeFloatSaturating(v, kind)
                  : encodeFloatNonSaturating(v, kind);
}

//===----------------------------------------------------------------------===//
// Precision
//===----------------------------------------------------------------------===//

static const std::pair<Precision, const char *> kPrecisionNames[] = {
    {Precision::F32, "f32"},
    {Precision::F16, "f16"},
    {Precision::BF16, "bf16"}};

llvm::StringRef quantopt::numerics::getPrecisionName(Precision precision) {
  return kPrecisionNames[static_cast<unsigned>(precision)].second;
}

float quantopt::numerics::roundToPrecision(float v, Precision precision) {
  if (precision == Precision::F32)
    return v;
  APFloat value(v);
  bool losesInfo = false;
  value.convert(precision == Precision::F16 ? APFloat::IEEEhalf()
                                            : APFloat::BFloat(),
                APFloat::rmNearestTiesToEven, &losesInfo);
  value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                &losesInfo);
  return value.convertToFloat();
}

bool quantopt::numerics::isValueOf(float v, Precision precision) {
  float r = roundToPrecision(v, precision);
  return r == v || (std::isnan(r) && std::isnan(v));
}

//===----------------------------------------------------------------------===//
// OCP MX shared scales
//===----------------------------------------------------------------------===//

bool quantopt::numerics::isMxElementKind(StorageKind kind) {
  switch (kind) {
  case StorageKind::F8E4M3FN:
  case StorageKind::F8E5M2:
  case StorageKind::F6E2M3FN:
  case StorageKind::F6E3M2FN:
  case StorageKind::F4E2M1FN:
  case StorageKind::I8:
    return true;
  default:
    return false;
  }
}

int quantopt::numerics::getMxElementMaxExponent(StorageKind kind) {
  assert(isMxElementKind(kind) && "MX element format expected");
  if (kind == StorageKind::I8)
    return 0; // 127/64 < 2
  return std::ilogb(getMaxFinite(kind));
}

std::optional<int> quantopt::numerics::getMxSharedExponent(float amax,
                                                           StorageKind kind) {
  if (!std::isfinite(amax))
    return std::nullopt;
  if (amax == 0)
    return -127;
  // ilogb is floor(log2 |x|) exactly, subnormals included.
  int e = std::ilogb(amax) - getMxElementMaxExponent(kind);
  if (e > 127)
    return std::nullopt;
  return std::max(e, -127);
}

float quantopt::numerics::getMxScale(int sharedExponent, StorageKind kind) {
  return std::ldexp(1.0f, kind == StorageKind::I8 ? sharedExponent - 6
                                                  : sharedExponent);
}
