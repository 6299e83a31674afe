//===- WeightQuantization.cpp - Compile-time weight quantization ----------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace quantopt;
namespace num = quantopt::numerics;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// A dense constant of `type` (integer or float elements of 2 to 32 bits)
/// from the bit patterns `codes` (low bits used), row-major. Written into
/// MLIR's raw storage (each element in its byte-rounded width, in the
/// host's byte order, which the bytes below assume little endian) rather
/// than through one APInt or APFloat per element: for a 4096 x 4096 weight
/// those cost seconds and gigabytes.
static DenseElementsAttr getFromCodes(RankedTensorType type,
                                      ArrayRef<uint64_t> codes) {
  static_assert(llvm::endianness::native == llvm::endianness::little,
                "getFromCodes writes little-endian raw storage");
  unsigned width = type.getElementTypeBitWidth();
  assert(width >= 2 && width <= 32 && "2- to 32-bit elements expected");
  assert(static_cast<int64_t>(codes.size()) == type.getNumElements());
  size_t bytes = llvm::divideCeil(width, 8);
  // Bits above the width stay zero, as DenseElementsAttr::get writes them
  // (the raw bytes are what the attribute hashes and prints in hex).
  uint64_t mask = (uint64_t(1) << width) - 1;
  std::vector<char> raw(codes.size() * bytes);
  for (size_t i = 0; i < codes.size(); ++i)
    for (size_t b = 0; b < bytes; ++b)
      raw[i * bytes + b] =
          static_cast<char>(((codes[i] & mask) >> (8 * b)) & 0xff);
  return DenseElementsAttr::getFromRawBuffer(type, raw);
}

/// The weights as float32, row-major; fails for element types other than
/// f32, f16 and bf16.
static llvm::Expected<std::vector<float>> readWeights(DenseElementsAttr weights) {
  Type expressed = weights.getElementType();
  if (!expressed.isF32() && !expressed.isF16() && !expressed.isBF16())
    return fail("weights of type " + llvm::Twine(expressed.isInteger()
                                                     ? "integer"
                                                     : "non-f32/f16/bf16") +
                " are not quantized");
  if (expressed.isF32()) {
    auto floats = weights.getValues<float>();
    return std::vector<float>(floats.begin(), floats.end());
  }
  std::vector<float> values;
  values.reserve(weights.getNumElements());
  for (APFloat v : weights.getValues<APFloat>()) {
    bool losesInfo;
    v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &losesInfo);
    values.push_back(v.convertToFloat());
  }
  return values;
}

/// TFLite's symmetric weight integers (num::quantizeTfLiteSymmetric), each
/// group's `amax` the largest finite magnitude of its values, as the
/// parameters were solved from.
static DenseElementsAttr quantizeTfLiteWeights(ArrayRef<float> values,
                                               ArrayRef<int64_t> shape,
                                               qnt::ParamsAttr params) {
  num::Granularity granularity = params.getGranularity();
  num::IntRange range = params.getIntRange();
  std::vector<size_t> groups(values.size());
  std::vector<int64_t> index(shape.size(), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    groups[i] = num::getParamIndex(shape, index, granularity);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  std::vector<float> amax(params.getScales().size(), 0.0f);
  for (auto [v, g] : llvm::zip(values, groups))
    if (std::isfinite(v))
      amax[g] = std::max(amax[g], std::fabs(v));
  std::vector<uint64_t> ints;
  ints.reserve(values.size());
  for (auto [v, g] : llvm::zip(values, groups))
    ints.push_back(
        static_cast<uint64_t>(num::quantizeTfLiteSymmetric(v, amax[g], range)));
  return getFromCodes(
      RankedTensorType::get(shape, params.getStoredElementType()), ints);
}

llvm::Expected<QuantizedWeight>
quantopt::quantizeWeight(DenseElementsAttr weights, const WeightConfig &config,
                         int64_t channelAxis, std::optional<int64_t> blockAxis) {
  auto type = cast<RankedTensorType>(weights.getType());
  Type expressed = type.getElementType();
  auto read = readWeights(weights);
  if (!read)
    return read.takeError();
  std::vector<float> values = std::move(*read);
  ArrayRef<int64_t> shape = type.getShape();

  num::Granularity granularity;
  switch (config.granularity) {
  case WeightConfig::Granularity::Tensor:
    break;
  case WeightConfig::Granularity::Channel:
    granularity.axis = channelAxis;
    break;
  case WeightConfig::Granularity::Block:
    if (!blockAxis)
      return fail("per-block weights need a reduction axis, and this layer "
                  "has none");
    granularity.axis = *blockAxis;
    granularity.blockSize = config.blockSize;
    break;
  }

  num::SolverOptions options = config.getSolverOptions();
  if (options.scheme == num::Scheme::NvFp4)
    options.tensorScale = num::getNvFp4TensorScaleOf(values);
  auto params = num::solveForTensor(values, shape, granularity, options);
  if (!params)
    return params.takeError();

  MLIRContext *ctx = weights.getContext();
  qnt::ParamsAttr attr = qnt::getParamsAttr(
      ctx, options, granularity, expressed, *params,
      [&]() { return emitError(UnknownLoc::get(ctx)); });
  if (!attr)
    return fail("the solved parameters do not verify");

  // Quantize every element with the parameters of its group. TFLite's own
  // integers belong to its scale amax / qmax, not to a power of two above.
  if (options.profile == num::Profile::TfLite &&
      options.scheme == num::Scheme::Symmetric && !attr.isFloatStorage() &&
      !options.powerOfTwo)
    return QuantizedWeight{quantizeTfLiteWeights(values, shape, attr), attr};
  std::optional<DenseElementsAttr> stored = quantizeWithParams(
      weights, attr, num::getQuantizeRounding(options.profile));
  if (!stored)
    return fail("the solved parameters do not fit the weight");
  return QuantizedWeight{*stored, attr};
}

llvm::Expected<QuantizedWeight>
quantopt::quantizeWeightGptq(DenseElementsAttr weights,
                             const WeightConfig &config, int64_t channelAxis,
                             std::optional<int64_t> blockAxis,
                             const calibration::ChannelMoments &moments) {
  auto type = cast<RankedTensorType>(weights.getType());
  if (type.getRank() != 2 || !blockAxis || *blockAxis == channelAxis)
    return fail("gptq needs a 2-D weight with an output-channel and a "
                "reduction axis (a matmul's); convolutions take the Hessian "
                "of their input windows from calibration-samples=DIR");
  if (moments.kind != calibration::MomentsKind::Hessian)
    return fail("the statistics hold per-channel moments but no X^T X "
                "(calibrate with moments=hessian)");
  int64_t cols = type.getDimSize(*blockAxis);
  if (moments.channels != cols)
    return fail(llvm::formatv("the Hessian is over {0} input channels, the "
                              "weight's reduction dimension has {1}",
                              moments.channels, cols));
  if (moments.rows == 0)
    return fail("the Hessian was built from no rows");
  return quantizeWeightGptq(weights, config, channelAxis, blockAxis,
                            moments.getGram());
}

llvm::Expected<QuantizedWeight>
quantopt::quantizeWeightGptq(DenseElementsAttr weights,
                             const WeightConfig &config, int64_t channelAxis,
                             std::optional<int64_t> blockAxis,
                             ArrayRef<double> hessian) {
  auto type = cast<RankedTensorType>(weights.getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rank = type.getRank();
  if (!blockAxis || *blockAxis == channelAxis || channelAxis < 0 ||
      channelAxis >= rank)
    return fail("gptq needs a weight with an output-channel axis and a "
                "reduction axis");
  if (config.granularity == WeightConfig::Granularity::Tensor)
    return fail("gptq quantizes per channel or per block, not per tensor");
  // GPTQ's columns: the weight's axes but the output channel, row-major.
  SmallVector<int64_t> reduced;
  for (int64_t a = 0; a < rank; ++a)
    if (a != channelAxis)
      reduced.push_back(a);
  int64_t rows = shape[channelAxis], cols = 1;
  for (int64_t a : reduced)
    cols *= shape[a];
  if (int64_t(hessian.size()) != cols * cols)
    return fail(llvm::formatv("the Hessian has {0} entries, the weight's {1} "
                              "reduced elements per output need {2}",
                              hessian.size(), cols, cols * cols));
  bool blocked = config.granularity == WeightConfig::Granularity::Block;
  int64_t group = blocked ? config.blockSize : 0;
  // GPTQ's groups are runs of columns: a block must stay inside one run of
  // the block axis, so that axis must vary fastest and, with other reduced
  // axes, be a whole number of blocks.
  if (blocked && (*blockAxis != reduced.back() ||
                  (reduced.size() > 1 && shape[*blockAxis] % group != 0)))
    return fail(llvm::formatv("gptq in blocks of {0} needs the block axis to "
                              "be the weight's last reduced axis and, on a "
                              "convolution, a multiple of the block",
                              group));
  auto read = readWeights(weights);
  if (!read)
    return read.takeError();
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t a = rank - 2; a >= 0; --a)
    strides[a] = strides[a + 1] * shape[a + 1];
  // The weight index of GPTQ's (row r, column c).
  auto indexOf = [&](int64_t r, int64_t c) {
    SmallVector<int64_t> index(rank, 0);
    index[channelAxis] = r;
    for (int64_t i = int64_t(reduced.size()) - 1; i >= 0; --i) {
      index[reduced[i]] = c % shape[reduced[i]];
      c /= shape[reduced[i]];
    }
    return index;
  };
  auto at = [&](int64_t r, int64_t c) {
    int64_t offset = 0;
    for (auto [i, v] : llvm::enumerate(indexOf(r, c)))
      offset += v * strides[i];
    return offset;
  };
  std::vector<float> w(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      w[r * cols + c] = (*read)[at(r, c)];

  num::SolverOptions options = config.getSolverOptions();
  if (options.scheme == num::Scheme::NvFp4)
    return fail("gptq does not take nvfp4 weights (their two-level scales); "
                "use weight-method=rtn");
  algorithms::GptqOptions gptq = config.gptq;
  // Activation order with groups keeps contiguous groups (static groups).
  if (gptq.actOrder && group)
    gptq.staticGroups = true;
  auto result =
      algorithms::runGptq(w, rows, cols, hessian, group, options, gptq);
  if (!result)
    return result.takeError();

  num::Granularity granularity;
  granularity.axis = blocked ? *blockAxis : channelAxis;
  granularity.blockSize = group;
  auto paramShape = num::getParamShape(shape, granularity);
  if (!paramShape)
    return paramShape.takeError();
  int64_t numParams = 1;
  for (int64_t d : *paramShape)
    numParams *= d;
  int64_t groups = group ? num::getNumBlocks(cols, group) : 1;
  std::vector<num::QuantParams> params(numParams);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g)
      params[num::getParamIndex(shape, indexOf(r, g * group), granularity)] =
          result->params[r * groups + g];
  MLIRContext *ctx = weights.getContext();
  qnt::ParamsAttr attr = qnt::getParamsAttr(
      ctx, options, granularity, type.getElementType(), params,
      [&]() { return emitError(UnknownLoc::get(ctx)); });
  if (!attr)
    return fail("the solved parameters do not verify");
  std::vector<uint64_t> codes(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      codes[at(r, c)] = static_cast<uint64_t>(result->codes[r * cols + c]);
  auto storedType = RankedTensorType::get(shape, attr.getStoredElementType());
  return QuantizedWeight{getFromCodes(storedType, codes), attr};
}

std::optional<DenseElementsAttr>
quantopt::quantizeWithParams(DenseElementsAttr values, qnt::ParamsAttr params,
                             num::RoundingMode rounding, bool saturate,
                             num::Precision precision) {
  auto type = cast<RankedTensorType>(values.getType());
  if (!isa<FloatType>(type.getElementType()))
    return std::nullopt;
  ArrayRef<int64_t> shape = type.getShape();
  num::Granularity granularity = params.getGranularity();
  num::StorageKind kind = params.getStorageKind();
  bool isFloat = params.isFloatStorage();
  bool isMinval = params.hasMinValues();
  num::IntRange range{0, 0};
  if (!isFloat)
    range = params.getIntRange();
  ArrayRef<float> scales = params.getScales().asArrayRef();
  ArrayRef<float> minValues = params.getMinValues().asArrayRef();
  std::vector<uint64_t> codes;
  codes.reserve(type.getNumElements());
  std::vector<int64_t> index(shape.size(), 0);
  auto quantizeOne = [&](float x) -> bool {
    size_t group = num::getParamIndex(shape, index, granularity);
    if (group >= scales.size())
      return false;
    if (isFloat) {
      codes.push_back(num::quantizeToFloat(x, scales[group], kind, rounding,
                                           saturate, precision));
    } else {
      int64_t q = isMinval
                      ? num::quantizeMinval(x, scales[group], minValues[group],
                                            range, rounding)
                      : num::quantizeAffine(x, scales[group],
                                            params.getZeroPoint(group), range,
                                            rounding, precision);
      codes.push_back(static_cast<uint64_t>(q));
    }
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
    return true;
  };
  if (type.getElementType().isF32()) {
    for (float x : values.getValues<float>())
      if (!quantizeOne(x))
        return std::nullopt;
  } else {
    for (APFloat v : values.getValues<APFloat>()) {
      bool losesInfo;
      v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                &losesInfo);
      if (!quantizeOne(v.convertToFloat()))
        return std::nullopt;
    }
  }
  return getFromCodes(
      RankedTensorType::get(shape, params.getStoredElementType()), codes);
}

std::optional<std::vector<float>>
quantopt::dequantizeWithParams(DenseElementsAttr stored,
                               qnt::ParamsAttr params) {
  auto type = cast<RankedTensorType>(stored.getType());
  ArrayRef<int64_t> shape = type.getShape();
  num::Granularity granularity = params.getGranularity();
  num::StorageKind kind = params.getStorageKind();
  ArrayRef<float> scales = params.getScales().asArrayRef();
  ArrayRef<float> minValues = params.getMinValues().asArrayRef();
  bool isFloat = params.isFloatStorage();
  bool isSigned = num::isSignedStorage(kind);
  std::vector<float> out;
  out.reserve(type.getNumElements());
  std::vector<int64_t> index(shape.size(), 0);
  auto next = [&]() {
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  };
  auto group = [&]() -> std::optional<size_t> {
    size_t g = num::getParamIndex(shape, index, granularity);
    if (g >= scales.size())
      return std::nullopt;
    return g;
  };
  if (isFloat) {
    for (APFloat v : stored.getValues<APFloat>()) {
      std::optional<size_t> g = group();
      if (!g)
        return std::nullopt;
      auto bits = static_cast<uint8_t>(v.bitcastToAPInt().getZExtValue());
      out.push_back(num::dequantizeFromFloat(bits, scales[*g], kind));
      next();
    }
    return out;
  }
  if (!isa<IntegerType>(type.getElementType()))
    return std::nullopt;
  num::IntRange range = params.getIntRange();
  for (APInt v : stored.getValues<APInt>()) {
    std::optional<size_t> g = group();
    if (!g)
      return std::nullopt;
    int64_t q = isSigned ? v.getSExtValue() : static_cast<int64_t>(v.getZExtValue());
    out.push_back(params.hasMinValues()
                      ? num::dequantizeMinval(q, scales[*g], minValues[*g],
                                              range.qmin)
                      : num::dequantizeAffine(q, scales[*g],
                                              params.getZeroPoint(*g)));
    next();
  }
  return out;
}

std::optional<DenseElementsAttr>
quantopt::packSubByte(DenseElementsAttr stored) {
  auto type = cast<RankedTensorType>(stored.getType());
  auto intType = dyn_cast<IntegerType>(type.getElementType());
  if (!intType || type.getRank() == 0)
    return std::nullopt;
  unsigned bits = intType.getWidth();
  if (bits != 2 && bits != 4)
    return std::nullopt;
  unsigned perByte = 8 / bits;
  int64_t last = type.getShape().back();
  if (last % perByte != 0)
    return std::nullopt;
  SmallVector<int64_t> packedShape(type.getShape());
  packedShape.back() = last / perByte;
  SmallVector<uint8_t> bytes(stored.getNumElements() / perByte, 0);
  int64_t linear = 0;
  for (APInt v : stored.getValues<APInt>()) {
    uint8_t field = static_cast<uint8_t>(v.getZExtValue() & ((1u << bits) - 1));
    bytes[linear / perByte] |= field << ((linear % perByte) * bits);
    ++linear;
  }
  auto packedType =
      RankedTensorType::get(packedShape, IntegerType::get(stored.getContext(), 8));
  return DenseElementsAttr::get(
      packedType, ArrayRef<int8_t>(reinterpret_cast<const int8_t *>(bytes.data()),
                                   bytes.size()));
}

std::optional<DenseElementsAttr>
quantopt::unpackSubByte(DenseElementsAttr packed, RankedTensorType storedType) {
  auto intType = dyn_cast<IntegerType>(storedType.getElementType());
  auto packedType = cast<RankedTensorType>(packed.getType());
  if (!intType || (intType.getWidth() != 2 && intType.getWidth() != 4) ||
      !packedType.getElementType().isInteger(8) ||
      storedType.getRank() == 0 || packedType.getRank() != storedType.getRank())
    return std::nullopt;
  unsigned bits = intType.getWidth(), perByte = 8 / bits;
  SmallVector<int64_t> expected(storedType.getShape());
  if (expected.back() % perByte != 0)
    return std::nullopt;
  expected.back() /= perByte;
  if (packedType.getShape() != ArrayRef<int64_t>(expected))
    return std::nullopt;
  SmallVector<uint8_t> bytes;
  for (APInt v : packed.getValues<APInt>())
    bytes.push_back(static_cast<uint8_t>(v.getZExtValue()));
  std::vector<uint64_t> values;
  values.reserve(storedType.getNumElements());
  for (int64_t i = 0; i < storedType.getNumElements(); ++i)
    values.push_back((bytes[i / perByte] >> ((i % perByte) * bits)) &
                     ((1u << bits) - 1));
  return getFromCodes(storedType, values);
}
