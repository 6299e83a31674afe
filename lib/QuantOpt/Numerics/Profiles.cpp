//===- Profiles.cpp - Framework profiles of the parameter solver ---------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The formulas of SolverOptions::profile other than QuantOpt's own: torch.ao's
// observers, ONNX Runtime's quantizer and TFLite's converter
// (docs/Numerics.md, "Profiles"). solveFromRange checks the storage and
// scheme and calls solveWithProfile.
//
//===----------------------------------------------------------------------===//

#include "NumericsInternal.h"
#include "QuantOpt/Numerics/Numerics.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

using namespace quantopt::numerics;
using quantopt::numerics::detail::roundUpToPowerOfTwo;

llvm::StringRef quantopt::numerics::getProfileName(Profile profile) {
  switch (profile) {
  case Profile::QuantOpt:
    return "quantopt";
  case Profile::Torch:
    return "torch";
  case Profile::OnnxRuntime:
    return "onnxruntime";
  case Profile::TfLite:
    return "tflite";
  }
  llvm_unreachable("unknown profile");
}

RoundingMode quantopt::numerics::getQuantizeRounding(Profile profile) {
  switch (profile) {
  case Profile::Torch:
    return RoundingMode::Reciprocal;
  case Profile::TfLite:
    return RoundingMode::HalfAwayFromZero;
  default:
    return RoundingMode::HalfEven;
  }
}

int64_t quantopt::numerics::quantizeTfLiteSymmetric(float x, float amax,
                                                    IntRange range) {
  float inverse =
      amax == 0.0f ? 0.0f : static_cast<float>(range.qmax) / std::fabs(amax);
  float y = x * inverse;
  if (std::isnan(y))
    return 0;
  float r = std::round(y); // TfLiteRound: half away from zero
  r = std::min(std::max(r, static_cast<float>(range.qmin)),
               static_cast<float>(range.qmax));
  return static_cast<int64_t>(r);
}

std::optional<Profile>
quantopt::numerics::parseProfileName(llvm::StringRef name) {
  if (name == "quantopt")
    return Profile::QuantOpt;
  if (name == "torch")
    return Profile::Torch;
  if (name == "onnxruntime")
    return Profile::OnnxRuntime;
  if (name == "tflite")
    return Profile::TfLite;
  return std::nullopt;
}

/// TFLite's GetSymmetricQuantizationParams and
/// GetAsymmetricQuantizationParams (quantization_utils.cc), in float32.
static llvm::Expected<QuantParams> solveTfLite(float rmin, float rmax,
                                               const SolverOptions &options) {
  if (options.reduceRange)
    return llvm::createStringError(
        "the tflite profile has no reduce_range (TFLite's converter takes the "
        "type's range; give a custom range instead)");
  IntRange range = options.getIntRange();
  float lo = std::min(rmin, 0.0f), hi = std::max(rmax, 0.0f);
  QuantParams params;
  auto finish = [&](float scale) {
    // TFLite keeps a zero scale; #qnt.params needs a positive one.
    if (scale == 0.0f)
      scale = 1.0f;
    return options.powerOfTwo ? roundUpToPowerOfTwo(scale) : scale;
  };
  if (options.scheme == Scheme::Symmetric) {
    if (!isSignedStorage(options.storage))
      return llvm::createStringError(
          llvm::formatv("the tflite profile's symmetric scheme takes signed "
                        "storage, not {0}",
                        getStorageName(options.storage))
              .str());
    float amax = std::max(std::fabs(hi), std::fabs(lo));
    params.scale = finish(amax / static_cast<float>(range.qmax));
    return params;
  }
  const float qminF = static_cast<float>(range.qmin);
  const float qmaxF = static_cast<float>(range.qmax);
  float scale = (hi - lo) / (qmaxF - qminF);
  float fromMin = scale != 0.0f ? qminF - lo / scale : qminF;
  if (fromMin < qminF)
    params.zeroPoint = range.qmin;
  else if (fromMin > qmaxF)
    params.zeroPoint = range.qmax;
  else
    params.zeroPoint = static_cast<int64_t>(std::round(fromMin)); // half away
  params.scale = finish(scale);
  return params;
}

/// The range ONNX Runtime's get_qmin_qmax_for_qType gives the scale: the
/// reduced table, else the symmetric one, else the type's.
static std::optional<IntRange>
getOnnxRuntimeRange(const SolverOptions &options) {
  if (options.hasCustomRange())
    return IntRange{options.rangeMin, options.rangeMax};
  StorageKind kind = options.storage;
  bool symmetric = options.scheme == Scheme::Symmetric;
  switch (kind) {
  case StorageKind::I4:
    return options.reduceRange ? IntRange{-4, 3} : IntRange{-8, 7};
  case StorageKind::U4:
    return options.reduceRange ? IntRange{0, 7} : IntRange{0, 15};
  case StorageKind::I8:
  case StorageKind::I16: {
    int64_t half = int64_t(1) << (getStorageBitWidth(kind) - 1);
    if (options.reduceRange)
      return IntRange{-half / 2, half / 2}; // [-64, 64], [-16384, 16384]
    return IntRange{symmetric ? -half + 1 : -half, half - 1};
  }
  case StorageKind::U8:
  case StorageKind::U16: {
    int64_t top = (int64_t(1) << getStorageBitWidth(kind)) - 1;
    if (options.reduceRange)
      return IntRange{0, top / 2}; // [0, 127], [0, 32767]
    return IntRange{0, symmetric ? top - 1 : top};
  }
  default:
    return std::nullopt;
  }
}

/// ONNX Runtime's compute_scale_zp (quant_utils.py) for a finite float32
/// range: the range's width in float32, the scale divided in float64 and
/// rounded to float32 last, the asymmetric zero point from the float64
/// scale, numpy.round (half to even).
static llvm::Expected<QuantParams>
solveOnnxRuntime(float rmin, float rmax, const SolverOptions &options) {
  std::optional<IntRange> range = getOnnxRuntimeRange(options);
  if (!range)
    return llvm::createStringError(
        llvm::formatv("the onnxruntime profile takes 4-, 8- and 16-bit integer "
                      "storage, not {0}",
                      getStorageName(options.storage))
            .str());
  if (range->qmin > 0 || range->qmax < 0)
    return llvm::createStringError(
        llvm::formatv("the onnxruntime profile needs a range that holds 0, "
                      "not [{0}, {1}]",
                      range->qmin, range->qmax)
            .str());
  float lo = std::min(rmin, 0.0f), hi = std::max(rmax, 0.0f);
  bool symmetric = options.scheme == Scheme::Symmetric;
  if (symmetric) {
    float amax = std::max(std::fabs(lo), std::fabs(hi));
    lo = -amax;
    hi = amax;
  }
  double scale =
      static_cast<double>(hi - lo) /
      (static_cast<double>(range->qmax) - static_cast<double>(range->qmin));
  QuantParams params;
  if (scale < static_cast<double>(FLT_MIN))
    return params; // scale 1, zero point 0
  double zp =
      symmetric
          ? std::nearbyint(static_cast<double>(range->qmin + range->qmax) / 2.0)
          : std::nearbyint(static_cast<double>(range->qmin) -
                           static_cast<double>(lo) / scale);
  params.zeroPoint = static_cast<int64_t>(zp);
  params.scale = static_cast<float>(scale);
  if (options.powerOfTwo)
    params.scale = roundUpToPowerOfTwo(params.scale);
  return params;
}

/// torch.ao's `_calculate_qparams` (observer.py) for a finite range, in
/// float32 as torch computes it on float32 tensors.
static llvm::Expected<QuantParams> solveTorch(float rmin, float rmax,
                                              const SolverOptions &options) {
  StorageKind storage = options.storage;
  IntRange range = options.getIntRange();
  // torch.finfo(torch.float32).eps, the observers' default eps.
  const float eps = std::numeric_limits<float>::epsilon();
  float lo = std::min(rmin, 0.0f), hi = std::max(rmax, 0.0f);
  QuantParams params;
  auto finish = [&](float scale) {
    scale = std::max(scale, eps);
    return options.powerOfTwo ? roundUpToPowerOfTwo(scale) : scale;
  };
  if (options.scheme == Scheme::Symmetric) {
    float amax = std::max(-lo, hi);
    // float(quant_max - quant_min) / 2 in Python: exact in float32 for
    // every range of at most 24 bits.
    params.scale =
        finish(amax / static_cast<float>(double(range.qmax - range.qmin) / 2));
    if (isSignedStorage(storage))
      params.zeroPoint = 0;
    else if (storage != StorageKind::U8)
      return llvm::createStringError(
          llvm::formatv(
              "the torch profile's symmetric scheme on unsigned storage is "
              "defined for u8 (quint8) only, not {0}",
              getStorageName(storage))
              .str());
    else if (options.reduceRange && !options.hasCustomRange())
      // torch.ao raises NotImplementedError for it.
      return llvm::createStringError(
          "the torch profile does not reduce the range of symmetric u8 "
          "(torch.ao: \"Cannot reduce range for symmetric quantization for "
          "quint8\")");
    else if (options.hasCustomRange() || options.narrowRange)
      params.zeroPoint = llvm::divideFloorSigned(range.qmin + range.qmax, 2);
    else
      params.zeroPoint = 128;
    return params;
  }
  params.scale =
      finish((hi - lo) / static_cast<float>(range.qmax - range.qmin));
  // torch.round: half to even, as nearbyint in the default rounding mode.
  int64_t zp =
      range.qmin - static_cast<int64_t>(std::nearbyint(lo / params.scale));
  params.zeroPoint = std::clamp(zp, range.qmin, range.qmax);
  return params;
}

IntRange quantopt::numerics::getBitsRange(StorageKind kind, unsigned bits,
                                          bool narrow) {
  bool isSigned = isSignedStorage(kind);
  int64_t qmin = isSigned ? -(int64_t(1) << (bits - 1)) : 0;
  int64_t qmax =
      isSigned ? (int64_t(1) << (bits - 1)) - 1 : (int64_t(1) << bits) - 1;
  if (narrow)
    ++qmin;
  return {qmin, qmax};
}

llvm::Expected<QuantParams>
quantopt::numerics::detail::solveWithProfile(float rmin, float rmax,
                                             const SolverOptions &options) {
  switch (options.profile) {
  case Profile::Torch:
    return solveTorch(rmin, rmax, options);
  case Profile::OnnxRuntime:
    return solveOnnxRuntime(rmin, rmax, options);
  case Profile::TfLite:
    return solveTfLite(rmin, rmax, options);
  case Profile::QuantOpt:
    break;
  }
  llvm_unreachable("QuantOpt's own formulas are solveFromRange's");
}
