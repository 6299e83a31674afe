//===- Numerics.cpp - Quantization numerics (plain C++) -------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Every function here works in float32 exactly as the IR emitted by the
// reference lowering does. The library is compiled with -ffp-contract=off so
// that no multiply-add is fused behind our back.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Numerics/Numerics.h"
#include "NumericsInternal.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

using namespace quantopt::numerics;
using llvm::APFloat;
using quantopt::numerics::detail::roundUpToPowerOfTwo;

//===----------------------------------------------------------------------===//
// Storage types
//===----------------------------------------------------------------------===//

namespace {
struct StorageInfo {
  StorageKind kind;
  const char *name;
  unsigned bits;
  bool isFloat;
  bool isSigned;
};
} // namespace

static const StorageInfo kStorageInfos[] = {
    {StorageKind::I2, "i2", 2, false, true},
    {StorageKind::I4, "i4", 4, false, true},
    {StorageKind::I8, "i8", 8, false, true},
    {StorageKind::I16, "i16", 16, false, true},
    {StorageKind::I32, "i32", 32, false, true},
    {StorageKind::U2, "u2", 2, false, false},
    {StorageKind::U4, "u4", 4, false, false},
    {StorageKind::U8, "u8", 8, false, false},
    {StorageKind::U16, "u16", 16, false, false},
    {StorageKind::F8E4M3FN, "f8E4M3FN", 8, true, true},
    {StorageKind::F8E5M2, "f8E5M2", 8, true, true},
    {StorageKind::F4E2M1FN, "f4E2M1FN", 4, true, true},
    {StorageKind::F6E2M3FN, "f6E2M3FN", 6, true, true},
    {StorageKind::F6E3M2FN, "f6E3M2FN", 6, true, true},
    {StorageKind::F8E4M3FNUZ, "f8E4M3FNUZ", 8, true, true},
    {StorageKind::F8E5M2FNUZ, "f8E5M2FNUZ", 8, true, true},
};

static const StorageInfo &getInfo(StorageKind kind) {
  return kStorageInfos[static_cast<unsigned>(kind)];
}

llvm::ArrayRef<StorageKind> quantopt::numerics::allStorageKinds() {
  static const StorageKind kinds[] = {
      StorageKind::I2,        StorageKind::I4,       StorageKind::I8,
      StorageKind::I16,       StorageKind::I32,      StorageKind::U2,
      StorageKind::U4,        StorageKind::U8,       StorageKind::U16,
      StorageKind::F8E4M3FN,  StorageKind::F8E5M2,   StorageKind::F4E2M1FN,
      StorageKind::F6E2M3FN,  StorageKind::F6E3M2FN, StorageKind::F8E4M3FNUZ,
      StorageKind::F8E5M2FNUZ};
  return kinds;
}

llvm::StringRef quantopt::numerics::getStorageName(StorageKind kind) {
  return getInfo(kind).name;
}

std::optional<StorageKind>
quantopt::numerics::parseStorageName(llvm::StringRef name) {
  for (const StorageInfo &info : kStorageInfos)
    if (name == info.name)
      return info.kind;
  return std::nullopt;
}

bool quantopt::numerics::isFloatStorage(StorageKind kind) {
  return getInfo(kind).isFloat;
}

bool quantopt::numerics::isSignedStorage(StorageKind kind) {
  return getInfo(kind).isSigned;
}

unsigned quantopt::numerics::getStorageBitWidth(StorageKind kind) {
  return getInfo(kind).bits;
}

IntRange quantopt::numerics::getIntRange(StorageKind kind, bool narrow) {
  assert(!isFloatStorage(kind) && "integer storage expected");
  unsigned bits = getStorageBitWidth(kind);
  if (isSignedStorage(kind)) {
    int64_t half = int64_t(1) << (bits - 1);
    return {narrow ? -half + 1 : -half, half - 1};
  }
  return {narrow ? 1 : 0, (int64_t(1) << bits) - 1};
}

//===----------------------------------------------------------------------===//
// Rounding
//===----------------------------------------------------------------------===//

static const std::pair<RoundingMode, const char *> kRoundingNames[] = {
    {RoundingMode::HalfEven, "half_even"},
    {RoundingMode::HalfAwayFromZero, "half_away"},
    {RoundingMode::HalfUp, "half_up"},
    {RoundingMode::Reciprocal, "reciprocal"},
};

llvm::StringRef quantopt::numerics::getRoundingName(RoundingMode mode) {
  return kRoundingNames[static_cast<unsigned>(mode)].second;
}

std::optional<RoundingMode>
quantopt::numerics::parseRoundingName(llvm::StringRef name) {
  for (auto [mode, str] : kRoundingNames)
    if (name == str)
      return mode;
  return std::nullopt;
}

float quantopt::numerics::roundToIntegral(float y, RoundingMode mode) {
  switch (mode) {
  case RoundingMode::HalfEven:
  case RoundingMode::Reciprocal:
    return std::nearbyint(y);
  case RoundingMode::HalfAwayFromZero:
    return std::round(y);
  case RoundingMode::HalfUp: {
    if (!std::isfinite(y))
      return y;
    // y - floor(y) is exact in float32, unlike floor(y + 0.5f).
    float f = std::floor(y);
    return (y - f >= 0.5f) ? f + 1.0f : f;
  }
  }
  llvm_unreachable("unknown rounding mode");
}

//===----------------------------------------------------------------------===//
// Element-wise quantization
//===----------------------------------------------------------------------===//

/// Divides by the scale, or multiplies by its reciprocal, in the precision.
static float applyInverseScale(float x, float scale, RoundingMode mode,
                               Precision precision = Precision::F32) {
  x = roundToPrecision(x, precision);
  if (mode == RoundingMode::Reciprocal)
    return roundToPrecision(x * roundToPrecision(1.0f / scale, precision),
                            precision);
  return roundToPrecision(x / scale, precision);
}

/// Clamps a rounded float to the range and converts it, the way the lowering
/// does: a float clamp first (so the conversion is defined), then an exact
/// integer clamp (float(qmax) may round up for 32-bit storage).
static int64_t saturateToRange(float v, IntRange range) {
  float lo = static_cast<float>(range.qmin);
  float hi = static_cast<float>(range.qmax);
  v = std::min(std::max(v, lo), hi);
  int64_t q = static_cast<int64_t>(v);
  return std::min(std::max(q, range.qmin), range.qmax);
}

int64_t quantopt::numerics::quantizeAffine(float x, float scale,
                                           int64_t zeroPoint, IntRange range,
                                           RoundingMode mode,
                                           Precision precision) {
  float y = applyInverseScale(x, scale, mode, precision);
  if (std::isnan(y))
    return zeroPoint;
  float r = roundToIntegral(y, mode);
  return saturateToRange(r + static_cast<float>(zeroPoint), range);
}

float quantopt::numerics::dequantizeAffine(int64_t q, float scale,
                                           int64_t zeroPoint) {
  return scale * static_cast<float>(q - zeroPoint);
}

int64_t quantopt::numerics::quantizeMinval(float x, float scale,
                                           float minValue, IntRange range,
                                           RoundingMode mode) {
  float y = applyInverseScale(x - minValue, scale, mode);
  if (std::isnan(y))
    return range.qmin;
  float r = roundToIntegral(y, mode);
  return saturateToRange(r + static_cast<float>(range.qmin), range);
}

float quantopt::numerics::dequantizeMinval(int64_t q, float scale,
                                           float minValue, int64_t qmin) {
  float scaled = scale * static_cast<float>(q - qmin);
  return scaled + minValue;
}

uint8_t quantopt::numerics::quantizeToFloat(float x, float scale,
                                            StorageKind kind, RoundingMode mode,
                                            bool saturate,
                                            Precision precision) {
  return encodeFloat(applyInverseScale(x, scale, mode, precision), kind,
                     saturate);
}

float quantopt::numerics::dequantizeFromFloat(uint8_t bits, float scale,
                                              StorageKind kind) {
  return scale * decodeFloatBits(bits, kind);
}

//===----------------------------------------------------------------------===//
// Requantization
//===----------------------------------------------------------------------===//

llvm::Expected<FixedPointMultiplier>
quantopt::numerics::computeFixedPointMultiplier(double m) {
  if (!std::isfinite(m) || !(m > 0.0))
    return llvm::createStringError(
        llvm::formatv("fixed-point multiplier must be positive and finite, "
                      "got {0}",
                      m)
            .str());
  int exponent = 0;
  double fraction = std::frexp(m, &exponent); // m = fraction * 2^exponent
  int64_t multiplier = std::llround(std::ldexp(fraction, 31));
  if (multiplier == (int64_t(1) << 31)) {
    multiplier /= 2;
    ++exponent;
  }
  int64_t shift = 31 - exponent;
  if (shift < 1)
    return llvm::createStringError(
        llvm::formatv("fixed-point multiplier {0} is too large (must be below "
                      "2^30)",
                      m)
            .str());
  if (shift > 62) {
    // Round m * 2^62 (exact, below 2^30) once. Shifting the rounded 31-bit
    // multiplier right with rounding would round twice.
    multiplier = std::llround(std::ldexp(m, 62));
    shift = 62;
  }
  return FixedPointMultiplier{static_cast<int32_t>(multiplier),
                              static_cast<int32_t>(shift)};
}

int64_t quantopt::numerics::applyFixedPointMultiplier(int64_t v,
                                                      FixedPointMultiplier m,
                                                      bool doubleRound) {
  // Two's complement wrap-around, as the emitted i64 arithmetic.
  uint64_t product = static_cast<uint64_t>(v) *
                     static_cast<uint64_t>(static_cast<int64_t>(m.multiplier));
  uint64_t round = uint64_t(1) << (m.shift - 1);
  if (doubleRound && m.shift > 31)
    round = v >= 0 ? round + (uint64_t(1) << 30) : round - (uint64_t(1) << 30);
  uint64_t rounded = product + round;
  return static_cast<int64_t>(rounded) >> m.shift;
}

bool quantopt::numerics::fixedPointMultiplierMatches(FixedPointMultiplier m,
                                                     double ratio) {
  if (m.multiplier < 1 || m.shift < 1 || m.shift > 62 ||
      !std::isfinite(ratio) || !(ratio > 0.0))
    return false;
  double stated = std::ldexp(double(m.multiplier), -m.shift);
  return std::fabs(stated / ratio - 1.0) <= std::ldexp(1.0, -20);
}

float quantopt::numerics::computeFloatMultiplier(double scaleIn,
                                                 double scaleOut) {
  return static_cast<float>(static_cast<double>(static_cast<float>(scaleIn)) /
                            static_cast<double>(static_cast<float>(scaleOut)));
}

int64_t quantopt::numerics::requantizeFloat(int64_t q, int64_t zeroPointIn,
                                            float multiplier,
                                            int64_t zeroPointOut,
                                            IntRange outRange) {
  float scaled = static_cast<float>(q - zeroPointIn) * multiplier;
  float r = std::nearbyint(scaled);
  return saturateToRange(r + static_cast<float>(zeroPointOut), outRange);
}

int64_t quantopt::numerics::requantizeFixedPoint(int64_t q,
                                                 int64_t zeroPointIn,
                                                 FixedPointMultiplier m,
                                                 int64_t zeroPointOut,
                                                 IntRange outRange,
                                                 bool doubleRound) {
  int64_t v =
      applyFixedPointMultiplier(q - zeroPointIn, m, doubleRound) + zeroPointOut;
  return std::min(std::max(v, outRange.qmin), outRange.qmax);
}

//===----------------------------------------------------------------------===//
// Parameter solvers
//===----------------------------------------------------------------------===//

static const std::pair<Scheme, const char *> kSchemeNames[] = {
    {Scheme::Symmetric, "symmetric"}, {Scheme::Asymmetric, "asymmetric"},
    {Scheme::Minval, "minval"},       {Scheme::Mx, "mx"},
    {Scheme::NvFp4, "nvfp4"},
};

llvm::StringRef quantopt::numerics::getSchemeName(Scheme scheme) {
  return kSchemeNames[static_cast<unsigned>(scheme)].second;
}

std::optional<Scheme> quantopt::numerics::parseSchemeName(llvm::StringRef name) {
  for (auto [scheme, str] : kSchemeNames)
    if (name == str)
      return scheme;
  return std::nullopt;
}

float quantopt::numerics::clampScale(double rawScale, bool rangeIsZero) {
  if (rangeIsZero)
    return 1.0f;
  float scale = static_cast<float>(rawScale);
  return std::max(scale, FLT_MIN);
}

float quantopt::numerics::detail::roundUpToPowerOfTwo(float s) {
  int exponent = 0;
  float fraction = std::frexp(s, &exponent); // s = fraction * 2^exponent
  if (fraction == 0.5f)
    return s;
  return std::ldexp(1.0f, exponent);
}

float quantopt::numerics::roundScaleToHalf(float scale) {
  APFloat half(scale);
  bool losesInfo = false;
  half.convert(APFloat::IEEEhalf(), APFloat::rmNearestTiesToEven, &losesInfo);
  if (half.isInfinity())
    return std::numeric_limits<float>::infinity();
  half.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &losesInfo);
  return std::max(half.convertToFloat(), kMinHalfScale);
}

llvm::Error
quantopt::numerics::checkHalfScaleOptions(const SolverOptions &options) {
  if (!options.halfScale)
    return llvm::Error::success();
  if (options.profile != Profile::QuantOpt || options.scheme == Scheme::Mx ||
      options.scheme == Scheme::NvFp4)
    return llvm::createStringError(
        "f16 scales take the quantopt profile and the symmetric, asymmetric "
        "or minval scheme (MX and NVFP4 scales have formats of their own)");
  if (!isFloatStorage(options.storage)) {
    IntRange range = options.getIntRange();
    if (range.qmax - range.qmin >= (int64_t(1) << kMaxHalfScaleBits))
      return llvm::createStringError(
          llvm::formatv("f16 scales take integer ranges of at most {0} bits "
                        "(the nearest f16 can be 2^-11 below the scale), not "
                        "[{1}, {2}]",
                        kMaxHalfScaleBits, range.qmin, range.qmax)
              .str());
  }
  return llvm::Error::success();
}

IntRange SolverOptions::getIntRange() const {
  if (hasCustomRange())
    return {rangeMin, rangeMax};
  if (reduceRange && profile != Profile::OnnxRuntime)
    return getBitsRange(storage, getStorageBitWidth(storage) - 1, narrowRange);
  return numerics::getIntRange(storage, narrowRange);
}

void SolverOptions::setDefaults(std::optional<bool> narrow) {
  if (scheme == Scheme::Mx)
    powerOfTwo = true; // E8M0 scales
  if (isFloatStorage(storage))
    narrowRange = false;
  else if (narrow)
    narrowRange = *narrow;
  else if (profile == Profile::TfLite)
    narrowRange = scheme == Scheme::Symmetric && isSignedStorage(storage);
  else
    narrowRange = profile == Profile::QuantOpt &&
                  (scheme == Scheme::Symmetric || scheme == Scheme::Mx);
}

llvm::Expected<QuantParams>
quantopt::numerics::solveFromRange(double rminIn, double rmaxIn,
                                   const SolverOptions &options) {
  if (!std::isfinite(rminIn) || !std::isfinite(rmaxIn) || rminIn > rmaxIn)
    return llvm::createStringError(
        llvm::formatv("invalid range [{0}, {1}]", rminIn, rmaxIn).str());
  StorageKind storage = options.storage;
  if (storage == StorageKind::I32)
    return llvm::createStringError(
        "i32 is an accumulator type; solvers do not produce it");
  // All arithmetic in float32, as torch.ao observers do.
  float rmin = static_cast<float>(rminIn);
  float rmax = static_cast<float>(rmaxIn);
  auto finishScale = [&](float raw, bool zero) {
    float scale = clampScale(raw, zero);
    if (options.powerOfTwo)
      scale = roundUpToPowerOfTwo(scale);
    return options.halfScale ? roundScaleToHalf(scale) : scale;
  };
  if (llvm::Error err = checkHalfScaleOptions(options))
    return std::move(err);

  QuantParams params;
  if (options.profile != Profile::QuantOpt) {
    if (isFloatStorage(storage) || (options.scheme != Scheme::Symmetric &&
                                    options.scheme != Scheme::Asymmetric))
      return llvm::createStringError(
          llvm::formatv("the {0} profile takes integer storage with the "
                        "symmetric or asymmetric scheme, not {1} with {2}",
                        getProfileName(options.profile),
                        getStorageName(storage), getSchemeName(options.scheme))
              .str());
    auto solved = detail::solveWithProfile(rmin, rmax, options);
    if (!solved)
      return solved.takeError();
    params = *solved;
  } else if (options.scheme == Scheme::NvFp4) {
    if (storage != StorageKind::F4E2M1FN)
      return llvm::createStringError(
          llvm::formatv("the nvfp4 scheme takes f4E2M1FN elements, not {0}",
                        getStorageName(storage))
              .str());
    if (!(options.tensorScale > 0.0f) || !std::isfinite(options.tensorScale))
      return llvm::createStringError(
          "the nvfp4 scheme needs the tensor's scale (from its largest "
          "magnitude) before its blocks' scales");
    float amax = std::max(std::fabs(rmin), std::fabs(rmax));
    params.scale = getNvFp4Scale(getNvFp4BlockScale(amax, options.tensorScale),
                                 options.tensorScale);
    return params;
  } else if (options.scheme == Scheme::Mx) {
    if (!isMxElementKind(storage))
      return llvm::createStringError(
          llvm::formatv("the mx scheme takes f8E4M3FN, f8E5M2, f6E2M3FN, "
                        "f6E3M2FN, f4E2M1FN or i8 (MXINT8) elements, not {0}",
                        getStorageName(storage))
              .str());
    float amax = std::max(std::fabs(rmin), std::fabs(rmax));
    std::optional<int> e = getMxSharedExponent(amax, storage);
    if (!e)
      return llvm::createStringError(
          llvm::formatv("range [{0}, {1}] is too wide for an E8M0 scale",
                        rminIn, rmaxIn)
              .str());
    params.scale = getMxScale(*e, storage);
    return params;
  } else if (isFloatStorage(storage)) {
    if (options.scheme != Scheme::Symmetric)
      return llvm::createStringError(
          llvm::formatv("float storage {0} supports only the symmetric "
                        "scheme, not {1}",
                        getStorageName(storage), getSchemeName(options.scheme))
              .str());
    float amax = std::max(std::fabs(rmin), std::fabs(rmax));
    params.scale =
        finishScale(amax / static_cast<float>(getMaxFinite(storage)), amax == 0);
  } else {
    IntRange range = options.getIntRange();
    float levels = static_cast<float>(range.qmax - range.qmin);
    switch (options.scheme) {
    case Scheme::Symmetric: {
      float amax = std::max(std::fabs(rmin), std::fabs(rmax));
      params.scale = finishScale(amax / (levels / 2.0f), amax == 0);
      params.zeroPoint =
          isSignedStorage(storage) ? 0 : (range.qmin + range.qmax + 1) / 2;
      break;
    }
    case Scheme::Asymmetric: {
      float lo = std::min(rmin, 0.0f);
      float hi = std::max(rmax, 0.0f);
      params.scale = finishScale((hi - lo) / levels, hi == lo);
      float zp =
          static_cast<float>(range.qmin) - std::nearbyint(lo / params.scale);
      params.zeroPoint = std::min<int64_t>(
          std::max<int64_t>(static_cast<int64_t>(zp), range.qmin), range.qmax);
      break;
    }
    case Scheme::Minval:
      params.scale = finishScale((rmax - rmin) / levels, rmax == rmin);
      params.minValue = rmin;
      break;
    case Scheme::Mx:
    case Scheme::NvFp4:
      llvm_unreachable("the mx and nvfp4 schemes return above");
    }
  }
  // Ranges near the float32 limits overflow the scale; say so rather than
  // return an infinite scale.
  if (options.halfScale && !std::isfinite(params.scale))
    return llvm::createStringError(
        llvm::formatv("range [{0}, {1}] is too wide for an f16 scale "
                      "(at most 65504)",
                      rminIn, rmaxIn)
            .str());
  if (!std::isfinite(params.scale) || !std::isfinite(params.minValue))
    return llvm::createStringError(
        llvm::formatv("range [{0}, {1}] is too wide for a float32 scale",
                      rminIn, rmaxIn)
            .str());
  return params;
}

llvm::Expected<std::vector<int64_t>>
quantopt::numerics::getParamShape(llvm::ArrayRef<int64_t> shape,
                                  Granularity granularity) {
  if (granularity.blockSize < 0)
    return llvm::createStringError(
        llvm::formatv("block size must be positive, got {0}",
                      granularity.blockSize)
            .str());
  if (granularity.isPerTensor())
    return std::vector<int64_t>{1};
  int64_t axis = granularity.axis;
  if (axis >= static_cast<int64_t>(shape.size()))
    return llvm::createStringError(
        llvm::formatv("axis {0} is out of range for a rank-{1} tensor", axis,
                      shape.size())
            .str());
  if (granularity.isPerChannel())
    return std::vector<int64_t>{shape[axis]};
  std::vector<int64_t> paramShape(shape.begin(), shape.end());
  paramShape[axis] = getNumBlocks(shape[axis], granularity.blockSize);
  return paramShape;
}

int64_t quantopt::numerics::getParamIndex(llvm::ArrayRef<int64_t> shape,
                                          llvm::ArrayRef<int64_t> index,
                                          Granularity granularity) {
  if (granularity.isPerTensor())
    return 0;
  if (granularity.isPerChannel())
    return index[granularity.axis];
  int64_t linear = 0;
  for (size_t d = 0, e = shape.size(); d < e; ++d) {
    int64_t extent = shape[d];
    int64_t i = index[d];
    if (static_cast<int64_t>(d) == granularity.axis) {
      extent = getNumBlocks(extent, granularity.blockSize);
      i /= granularity.blockSize;
    }
    linear = linear * extent + i;
  }
  return linear;
}

llvm::Expected<std::vector<QuantParams>>
quantopt::numerics::solveForTensor(llvm::ArrayRef<float> data,
                                   llvm::ArrayRef<int64_t> shape,
                                   Granularity granularity,
                                   const SolverOptions &options) {
  if (data.empty() && !granularity.isPerTensor())
    return llvm::createStringError(
        "an empty tensor has no channels or blocks to solve parameters for");
  auto paramShape = getParamShape(shape, granularity);
  if (!paramShape)
    return paramShape.takeError();
  int64_t numGroups = 1;
  for (int64_t d : *paramShape)
    numGroups *= d;
  int64_t numElements = 1;
  for (int64_t d : shape)
    numElements *= d;
  if (numElements != static_cast<int64_t>(data.size()))
    return llvm::createStringError(
        llvm::formatv("tensor has {0} elements but its shape needs {1}",
                      data.size(), numElements)
            .str());

  constexpr float inf = std::numeric_limits<float>::infinity();
  std::vector<float> mins(numGroups, inf), maxs(numGroups, -inf);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t linear = 0; linear < numElements; ++linear) {
    float v = data[linear];
    if (std::isfinite(v)) {
      int64_t g = getParamIndex(shape, index, granularity);
      mins[g] = std::min(mins[g], v);
      maxs[g] = std::max(maxs[g], v);
    }
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }

  std::vector<QuantParams> result;
  result.reserve(numGroups);
  for (int64_t g = 0; g < numGroups; ++g) {
    // A group with no finite element behaves like an all-zero group.
    double lo = mins[g] == inf ? 0.0 : mins[g];
    double hi = maxs[g] == -inf ? 0.0 : maxs[g];
    auto params = solveFromRange(lo, hi, options);
    if (!params)
      return params.takeError();
    result.push_back(*params);
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Integer contractions
//===----------------------------------------------------------------------===//

double quantopt::numerics::getAccumulatorBound(IntRange x, IntRange w,
                                               llvm::ArrayRef<int64_t> wZeroPoints,
                                               int64_t k) {
  double xMax = std::max(std::abs(double(x.qmin)), std::abs(double(x.qmax)));
  double wMax = std::max(std::abs(double(w.qmin)), std::abs(double(w.qmax)));
  // With a weight zero point the corrected sum runs over q_w - z_w.
  for (int64_t z : wZeroPoints)
    wMax = std::max({wMax, std::abs(double(w.qmax - z)),
                     std::abs(double(w.qmin - z))});
  return xMax * wMax * double(k);
}

std::vector<int64_t>
quantopt::numerics::sumOverAxes(llvm::ArrayRef<int64_t> values,
                                llvm::ArrayRef<int64_t> shape,
                                llvm::ArrayRef<int64_t> keptAxes) {
  int64_t groups = 1;
  for (int64_t axis : keptAxes)
    groups *= shape[axis];
  std::vector<int64_t> sums(groups, 0);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t v : values) {
    int64_t group = 0;
    for (int64_t axis : keptAxes)
      group = group * shape[axis] + index[axis];
    sums[group] += v;
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return sums;
}
