//===- QntAttrs.cpp - qnt attributes --------------------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <charconv>
#include <cmath>

using namespace mlir;
using namespace mlir::qnt;
namespace num = quantopt::numerics;

#define GET_ATTRDEF_CLASSES
#include "QuantOpt/Dialect/Qnt/IR/QntAttrs.cpp.inc"

//===----------------------------------------------------------------------===//
// Storage types
//===----------------------------------------------------------------------===//

std::optional<num::StorageKind> mlir::qnt::getStorageKindOf(Type type) {
  if (auto intType = dyn_cast<IntegerType>(type)) {
    bool isUnsigned = intType.isUnsigned();
    switch (intType.getWidth()) {
    case 2:
      return isUnsigned ? num::StorageKind::U2 : num::StorageKind::I2;
    case 4:
      return isUnsigned ? num::StorageKind::U4 : num::StorageKind::I4;
    case 8:
      return isUnsigned ? num::StorageKind::U8 : num::StorageKind::I8;
    case 16:
      return isUnsigned ? num::StorageKind::U16 : num::StorageKind::I16;
    case 32:
      if (!isUnsigned)
        return num::StorageKind::I32;
      return std::nullopt;
    default:
      return std::nullopt;
    }
  }
  if (isa<Float8E4M3FNType>(type))
    return num::StorageKind::F8E4M3FN;
  if (isa<Float8E5M2Type>(type))
    return num::StorageKind::F8E5M2;
  if (isa<Float4E2M1FNType>(type))
    return num::StorageKind::F4E2M1FN;
  if (isa<Float6E2M3FNType>(type))
    return num::StorageKind::F6E2M3FN;
  if (isa<Float6E3M2FNType>(type))
    return num::StorageKind::F6E3M2FN;
  if (isa<Float8E4M3FNUZType>(type))
    return num::StorageKind::F8E4M3FNUZ;
  if (isa<Float8E5M2FNUZType>(type))
    return num::StorageKind::F8E5M2FNUZ;
  return std::nullopt;
}

Type mlir::qnt::getStorageTypeFor(MLIRContext *context, num::StorageKind kind) {
  switch (kind) {
  case num::StorageKind::F8E4M3FN:
    return Float8E4M3FNType::get(context);
  case num::StorageKind::F8E5M2:
    return Float8E5M2Type::get(context);
  case num::StorageKind::F4E2M1FN:
    return Float4E2M1FNType::get(context);
  case num::StorageKind::F6E2M3FN:
    return Float6E2M3FNType::get(context);
  case num::StorageKind::F6E3M2FN:
    return Float6E3M2FNType::get(context);
  case num::StorageKind::F8E4M3FNUZ:
    return Float8E4M3FNUZType::get(context);
  case num::StorageKind::F8E5M2FNUZ:
    return Float8E5M2FNUZType::get(context);
  default:
    return IntegerType::get(context, num::getStorageBitWidth(kind),
                            num::isSignedStorage(kind)
                                ? IntegerType::Signless
                                : IntegerType::Unsigned);
  }
}

ParamsAttr mlir::qnt::getParamsAttr(MLIRContext *ctx,
                                    const num::SolverOptions &options,
                                    num::Granularity granularity,
                                    Type expressedType,
                                    ArrayRef<num::QuantParams> params,
                                    function_ref<InFlightDiagnostic()> emitError) {
  SmallVector<float> scales, minValues;
  SmallVector<int64_t> zeroPoints;
  for (const num::QuantParams &p : params) {
    scales.push_back(p.scale);
    zeroPoints.push_back(p.zeroPoint);
    minValues.push_back(p.minValue);
  }
  bool isMinval = options.scheme == num::Scheme::Minval;
  bool keepZeroPoints =
      !num::isFloatStorage(options.storage) && !isMinval &&
      llvm::any_of(zeroPoints, [](int64_t z) { return z != 0; });
  // A reduced range (one bit fewer) is stated as its range.
  int64_t rangeMin = options.rangeMin, rangeMax = options.rangeMax;
  bool reduced = options.reduceRange && !options.hasCustomRange() &&
                 !num::isFloatStorage(options.storage) &&
                 options.profile != num::Profile::OnnxRuntime;
  if (reduced) {
    num::IntRange r = options.getIntRange();
    rangeMin = r.qmin;
    rangeMax = r.qmax;
  }
  return ParamsAttr::getChecked(
      emitError, ctx, getStorageTypeFor(ctx, options.storage), expressedType,
      granularity.axis, granularity.blockSize,
      options.narrowRange && !options.hasCustomRange() && !reduced,
      options.powerOfTwo, DenseF32ArrayAttr::get(ctx, scales),
      DenseI64ArrayAttr::get(ctx, keepZeroPoints ? ArrayRef<int64_t>(zeroPoints)
                                                 : ArrayRef<int64_t>()),
      DenseF32ArrayAttr::get(ctx, isMinval ? ArrayRef<float>(minValues)
                                           : ArrayRef<float>()),
      rangeMin, rangeMax,
      options.scheme == num::Scheme::NvFp4
          ? FloatAttr::get(Float32Type::get(ctx), options.tensorScale)
          : FloatAttr());
}

num::StorageKind ParamsAttr::getStorageKind() const {
  return *getStorageKindOf(getStorageType());
}

bool ParamsAttr::isFloatStorage() const {
  return num::isFloatStorage(getStorageKind());
}

Type ParamsAttr::getStoredElementType() const {
  Type storage = getStorageType();
  if (auto intType = dyn_cast<IntegerType>(storage))
    return IntegerType::get(getContext(), intType.getWidth());
  return storage;
}

num::IntRange ParamsAttr::getIntRange() const {
  if (getRangeMin() < getRangeMax())
    return {getRangeMin(), getRangeMax()};
  return num::getIntRange(getStorageKind(), getNarrowRange());
}

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

LogicalResult ParamsAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, Type storageType,
    Type expressedType, int64_t axis, int64_t blockSize, bool narrowRange,
    bool powerOfTwo, DenseF32ArrayAttr scalesAttr,
    DenseI64ArrayAttr zeroPointsAttr, DenseF32ArrayAttr minValuesAttr,
    int64_t rangeMin, int64_t rangeMax, FloatAttr tensorScaleAttr) {
  if (!scalesAttr || !zeroPointsAttr || !minValuesAttr)
    return emitError() << "scales, zero points and min values must be given "
                          "(possibly empty)";
  ArrayRef<float> scales = scalesAttr.asArrayRef();
  ArrayRef<int64_t> zeroPoints = zeroPointsAttr.asArrayRef();
  ArrayRef<float> minValues = minValuesAttr.asArrayRef();
  std::optional<num::StorageKind> kind = getStorageKindOf(storageType);
  if (!kind)
    return emitError() << "unsupported storage type " << storageType
                       << " (expected i2, i4, i8, i16, i32, ui2, ui4, ui8, "
                          "ui16, f8E4M3FN, f8E5M2 or f4E2M1FN)";
  if (!expressedType.isF32() && !expressedType.isF16() &&
      !expressedType.isBF16())
    return emitError() << "unsupported expressed type " << expressedType
                       << " (expected f32, f16 or bf16)";
  if (axis < -1)
    return emitError() << "axis must be non-negative, got " << axis;
  if (blockSize < 0)
    return emitError() << "block size must be positive, got " << blockSize;
  if (blockSize > 0 && axis < 0)
    return emitError() << "a block size requires an axis";
  if (scales.empty())
    return emitError() << "at least one scale is required";
  if (axis < 0 && scales.size() != 1)
    return emitError() << "per-tensor parameters take exactly one scale, got "
                       << scales.size();
  std::optional<float> tensorScale;
  if (tensorScaleAttr) {
    tensorScale = static_cast<float>(tensorScaleAttr.getValueAsDouble());
    if (!std::isfinite(*tensorScale) || !(*tensorScale > 0.0f))
      return emitError() << "tensor_scale must be positive and finite, got "
                         << *tensorScale;
    if (powerOfTwo)
      return emitError() << "tensor_scale (two-level scales) excludes pow2";
  }
  for (auto [i, scale] : llvm::enumerate(scales)) {
    if (!std::isfinite(scale) || !(scale > 0.0f))
      return emitError() << "scale #" << i
                         << " must be positive and finite, got " << scale;
    if (tensorScale && !num::getNvFp4BlockScaleOf(scale, *tensorScale))
      return emitError() << "scale #" << i << " (" << scale
                         << ") is not tensor_scale (" << *tensorScale
                         << ") times an f8E4M3FN value in [2^-6, 448]";
    if (powerOfTwo) {
      int exponent;
      if (std::frexp(scale, &exponent) != 0.5f)
        return emitError() << "scale #" << i << " (" << scale
                           << ") is not a power of two";
    }
  }
  bool isFloat = num::isFloatStorage(*kind);
  if (isFloat) {
    if (!zeroPoints.empty())
      return emitError() << "float storage " << storageType
                         << " takes no zero points";
    if (!minValues.empty())
      return emitError() << "float storage " << storageType
                         << " takes no min values";
    if (narrowRange)
      return emitError() << "narrow range applies to integer storage only";
    if (rangeMin != 0 || rangeMax != 0)
      return emitError() << "a custom range applies to integer storage only";
    return success();
  }
  if (tensorScale)
    return emitError() << "tensor_scale (two-level scales) applies to float "
                          "storage only";
  if (!zeroPoints.empty() && !minValues.empty())
    return emitError() << "zero points and min values are exclusive";
  if (!zeroPoints.empty() && zeroPoints.size() != scales.size())
    return emitError() << "expected " << scales.size()
                       << " zero points (one per scale), got "
                       << zeroPoints.size();
  if (!minValues.empty() && minValues.size() != scales.size())
    return emitError() << "expected " << scales.size()
                       << " min values (one per scale), got "
                       << minValues.size();
  num::IntRange range = num::getIntRange(*kind, narrowRange);
  if (rangeMin != 0 || rangeMax != 0) {
    num::IntRange full = num::getIntRange(*kind, false);
    if (narrowRange)
      return emitError() << "range = [...] states the range: it excludes "
                            "narrow";
    if (!(rangeMin < rangeMax) || !full.contains(rangeMin) ||
        !full.contains(rangeMax))
      return emitError() << "range [" << rangeMin << ", " << rangeMax
                         << "] must be increasing and inside the storage "
                            "range ["
                         << full.qmin << ", " << full.qmax << "]";
    range = {rangeMin, rangeMax};
  }
  for (auto [i, zp] : llvm::enumerate(zeroPoints))
    if (!range.contains(zp))
      return emitError() << "zero point #" << i << " (" << zp
                         << ") is outside the storage range [" << range.qmin
                         << ", " << range.qmax << "]";
  if (zeroPoints.empty() && !range.contains(0) && minValues.empty())
    return emitError() << "the default zero point 0 is outside the storage "
                          "range ["
                       << range.qmin << ", " << range.qmax
                       << "]; give zero_points";
  for (auto [i, m] : llvm::enumerate(minValues))
    if (!std::isfinite(m))
      return emitError() << "min value #" << i << " must be finite";
  return success();
}

LogicalResult ParamsAttr::verifyForShape(
    ArrayRef<int64_t> shape,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (isPerTensor())
    return success();
  int64_t axis = getAxis();
  int64_t rank = shape.size();
  if (axis >= rank)
    return emitError() << "quantization axis " << axis
                       << " is out of range for a tensor of rank " << rank;
  if (ShapedType::isDynamic(shape[axis]))
    return emitError() << "quantization axis " << axis
                       << " must have a static size";
  size_t numScales = getScales().size();
  if (getBlockSize() == 0) {
    if (static_cast<int64_t>(numScales) != shape[axis])
      return emitError() << "expected " << shape[axis]
                         << " scales (one per index of dimension " << axis
                         << "), got " << numScales;
    return success();
  }
  if (llvm::any_of(shape, ShapedType::isDynamic))
    return emitError() << "per-block parameters need a static shape";
  auto paramShape = num::getParamShape(shape, getGranularity());
  if (!paramShape)
    return emitError() << llvm::toString(paramShape.takeError());
  int64_t expected = 1;
  for (int64_t d : *paramShape)
    expected *= d;
  if (static_cast<int64_t>(numScales) != expected)
    return emitError() << "expected " << expected
                       << " scales (one per block), got " << numScales;
  return success();
}

//===----------------------------------------------------------------------===//
// Parsing and printing
//===----------------------------------------------------------------------===//

static void printFloatValue(AsmPrinter &printer, float value) {
  // The shortest decimal form that reads back as the same float32, with a
  // '.' so that the MLIR lexer sees a float literal.
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  (void)ec;
  std::string str(buffer, end);
  if (str.find_first_of(".ein") == std::string::npos)
    str += ".0";
  else if (str.find('.') == std::string::npos && str.find('e') != std::string::npos)
    str.insert(str.find('e'), ".0");
  printer << str;
}

Attribute ParamsAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  SMLoc loc = parser.getCurrentLocation();
  Type storageType, expressedType = Float32Type::get(ctx);
  int64_t axis = -1, blockSize = 0, rangeMin = 0, rangeMax = 0;
  bool narrow = false, pow2 = false;
  FloatAttr tensorScale;
  SmallVector<float> scales, minValues;
  SmallVector<int64_t> zeroPoints;
  llvm::StringSet<> seen;

  if (parser.parseLess() || parser.parseType(storageType))
    return {};
  if (succeeded(parser.parseOptionalColon()) && parser.parseType(expressedType))
    return {};

  auto parseFloats = [&](SmallVectorImpl<float> &out) -> ParseResult {
    return parser.parseCommaSeparatedList(
        AsmParser::Delimiter::Square, [&]() -> ParseResult {
          double value;
          if (parser.parseFloat(value))
            return failure();
          out.push_back(static_cast<float>(value));
          return success();
        });
  };

  while (succeeded(parser.parseOptionalComma())) {
    SMLoc keyLoc = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key))
      return {};
    if (!seen.insert(key).second) {
      parser.emitError(keyLoc) << "duplicate '" << key << "'";
      return {};
    }
    if (key == "narrow") {
      narrow = true;
    } else if (key == "pow2") {
      pow2 = true;
    } else if (key == "range") {
      if (parser.parseEqual() || parser.parseLSquare() ||
          parser.parseInteger(rangeMin) || parser.parseComma() ||
          parser.parseInteger(rangeMax) || parser.parseRSquare())
        return {};
      if (rangeMin == 0 && rangeMax == 0) {
        parser.emitError(keyLoc) << "range [0, 0] is empty";
        return {};
      }
    } else if (key == "axis") {
      if (parser.parseEqual() || parser.parseInteger(axis))
        return {};
    } else if (key == "block") {
      if (parser.parseEqual() || parser.parseInteger(blockSize))
        return {};
    } else if (key == "tensor_scale") {
      double value;
      if (parser.parseEqual() || parser.parseFloat(value))
        return {};
      tensorScale =
          FloatAttr::get(Float32Type::get(ctx), static_cast<float>(value));
    } else if (key == "scales") {
      if (parser.parseEqual() || parseFloats(scales))
        return {};
    } else if (key == "min_values") {
      if (parser.parseEqual() || parseFloats(minValues))
        return {};
    } else if (key == "zero_points") {
      if (parser.parseEqual() ||
          parser.parseCommaSeparatedList(
              AsmParser::Delimiter::Square, [&]() -> ParseResult {
                return parser.parseInteger(zeroPoints.emplace_back());
              }))
        return {};
    } else {
      parser.emitError(keyLoc)
          << "unknown key '" << key
          << "' (expected narrow, range, pow2, axis, block, tensor_scale, "
             "scales, zero_points or min_values)";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return ParamsAttr::getChecked(
      [&]() { return parser.emitError(loc); }, ctx, storageType, expressedType,
      axis, blockSize, narrow, pow2, DenseF32ArrayAttr::get(ctx, scales),
      DenseI64ArrayAttr::get(ctx, zeroPoints),
      DenseF32ArrayAttr::get(ctx, minValues), rangeMin, rangeMax, tensorScale);
}

void ParamsAttr::print(AsmPrinter &printer) const {
  printer << '<' << getStorageType();
  if (!getExpressedType().isF32())
    printer << ':' << getExpressedType();
  if (getNarrowRange())
    printer << ", narrow";
  if (getRangeMin() != 0 || getRangeMax() != 0)
    printer << ", range = [" << getRangeMin() << ", " << getRangeMax() << "]";
  if (getPowerOfTwo())
    printer << ", pow2";
  if (getAxis() >= 0)
    printer << ", axis = " << getAxis();
  if (getBlockSize() > 0)
    printer << ", block = " << getBlockSize();
  if (getTensorScale()) {
    printer << ", tensor_scale = ";
    printFloatValue(printer,
                    static_cast<float>(getTensorScale().getValueAsDouble()));
  }
  printer << ", scales = [";
  llvm::interleaveComma(getScales().asArrayRef(), printer,
                        [&](float s) { printFloatValue(printer, s); });
  printer << ']';
  if (!getZeroPoints().empty()) {
    printer << ", zero_points = [";
    llvm::interleaveComma(getZeroPoints().asArrayRef(), printer);
    printer << ']';
  }
  if (!getMinValues().empty()) {
    printer << ", min_values = [";
    llvm::interleaveComma(getMinValues().asArrayRef(), printer,
                          [&](float m) { printFloatValue(printer, m); });
    printer << ']';
  }
  printer << '>';
}

//===----------------------------------------------------------------------===//
// Dialect hooks
//===----------------------------------------------------------------------===//

void QntDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "QuantOpt/Dialect/Qnt/IR/QntAttrs.cpp.inc"
      >();
}
