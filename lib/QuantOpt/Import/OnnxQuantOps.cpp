//===- OnnxQuantOps.cpp - ONNX quantization ops to qnt ops ----------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// QuantizeLinear/DequantizeLinear become qnt.quantize/qnt.dequantize with
// the constant scales and zero points as #qnt.params; MatMulInteger and
// ConvInteger become qnt.contract layers with unit scales, whose i32
// accumulator is the exact integer sum ONNX defines.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace quantopt;
using namespace quantopt::onnx_import;

llvm::Error Importer::importQuantizeLinear(bool quantize) {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  DenseElementsAttr scale = getConstantInput(1);
  if (!scale ||
      !(scale.getElementType().isF32() || scale.getElementType().isF16() ||
        scale.getElementType().isBF16()))
    return fail("the scale must be a float, float16 or bfloat16 constant (an "
                "initializer or a Constant node)");
  // The scale's type is the real type: QuantizeLinear divides in it (ONNX's
  // reference divides float16 by float16 in float16) and DequantizeLinear
  // returns it.
  Type real = scale.getElementType();
  DenseElementsAttr zeroPoint = getConstantInput(2);
  if (hasInput(2) && !zeroPoint)
    return fail("the zero point must be a constant");
  auto type = cast<RankedTensorType>(x->getType());
  // The storage: the zero point's ONNX type (uint8 when there is none:
  // ONNX's default); for DequantizeLinear without one, the input's. Integer
  // tensors are signless here, so the ONNX types are tracked by name.
  int32_t storageType = onnx::TensorProto::UINT8;
  if (zeroPoint)
    storageType = onnxTypes.lookup(node->input(2));
  else if (!quantize)
    storageType = onnxTypes.lookup(node->input(0));
  std::optional<numerics::StorageKind> kind = getStorageKind(storageType);
  if (!kind)
    return fail("quantized storage " + llvm::Twine(storageType) +
                " is not supported (uint8, int8, uint16, int16, int32, "
                "uint4, int4, float8e4m3fn, float8e4m3fnuz, float8e5m2, "
                "float8e5m2fnuz)");
  bool isFloat8 = numerics::isFloatStorage(*kind);
  // saturate only applies to float8 (ONNX ignores it for integers).
  bool saturate = !isFloat8 || !quantize || getInt("saturate", 1) != 0;
  if (quantize && type.getElementType() != real)
    return fail("x and y_scale must have one type (a float32 x with a "
                "float16 scale, which opset 23 allows, is not supported: "
                "its spec and reference disagree on the division's type)");
  // Per tensor (a scalar or one-element scale), per axis (a 1-D scale), or
  // blocked (block_size: a scale of the input's rank, the blocked axis
  // divided into blocks).
  int64_t axis = -1, blockSize = getInt("block_size", 0);
  int64_t count = scale.getNumElements();
  auto scaleType = cast<RankedTensorType>(scale.getType());
  if (blockSize > 0) {
    axis = getInt("axis", 1);
    if (axis < 0)
      axis += type.getRank();
    if (axis < 0 || axis >= type.getRank() ||
        scaleType.getRank() != type.getRank() || !type.hasStaticShape())
      return fail("a blocked scale must have the input's rank (static) and "
                  "a valid axis");
    for (int64_t d = 0; d < type.getRank(); ++d) {
      int64_t want = d == axis ? (type.getDimSize(d) + blockSize - 1) / blockSize
                               : type.getDimSize(d);
      if (scaleType.getDimSize(d) != want)
        return fail("the blocked scale's shape does not match the input's "
                    "with block_size=" + llvm::Twine(blockSize));
    }
  } else if (scaleType.getRank() == 1 && count > 1) {
    axis = getInt("axis", 1);
    if (axis < 0)
      axis += type.getRank();
    if (axis < 0 || axis >= type.getRank() || type.isDynamicDim(axis) ||
        type.getDimSize(axis) != count)
      return fail("a per-axis scale of " + llvm::Twine(count) +
                  " values does not fit axis " +
                  llvm::Twine(getInt("axis", 1)) + " of " +
                  llvm::Twine(type.getRank()) + "-D input");
  } else if (count != 1) {
    return fail("the scale must be a scalar or a 1-D tensor");
  }
  qnt::ParamsAttr params =
      getConstantParams(1, isFloat8 ? -1 : 2, *kind, axis, blockSize, real);
  if (!params)
    return fail("the scale and zero point do not make valid parameters");
  if (isFloat8 && zeroPoint &&
      llvm::any_of(zeroPoint.getValues<APFloat>(),
                   [](const APFloat &z) { return !z.isZero(); }))
    return fail("a float8 zero point must be 0");
  Type stored = params.getStoredElementType();
  if (quantize) {
    auto resultType = RankedTensorType::get(type.getShape(), stored);
    setOutput(0, qnt::QuantizeOp::create(b, loc, resultType, *x, params,
                                         qnt::RoundingMode::half_even, saturate,
                                         real.isF32() ? TypeAttr()
                                                      : TypeAttr::get(real)));
    onnxTypes[node->output(0)] = storageType;
  } else {
    if (type.getElementType() != stored)
      return fail("the input's element type does not match the storage");
    setOutput(0, qnt::DequantizeOp::create(
                     b, loc, RankedTensorType::get(type.getShape(), real), *x,
                     params, UnitAttr()));
  }
  return llvm::Error::success();
}

llvm::Error Importer::importMatMulInteger() {
  Value a;
  DenseElementsAttr weight;
  if (llvm::Error e = getLayerOperands(1, a, weight))
    return e;
  auto aType = cast<RankedTensorType>(a.getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  if (aType.getRank() != 2 || wType.getRank() != 2)
    return fail("only 2-D MatMulInteger is supported yet");
  std::optional<numerics::StorageKind> aKind = getIntegerStorage(0),
                                      wKind = getIntegerStorage(1);
  if (!aKind || !wKind)
    return fail("A and B must be uint8 or int8");
  // Zero points: per tensor for A, per tensor or per column for B.
  SmallVector<int64_t> za, zb;
  if (auto e = getZeroPoints(2, *aKind, 1, za))
    return e;
  int64_t n = wType.getDimSize(1);
  if (auto e = getZeroPoints(3, *wKind, n, zb))
    return e;
  // Integer-only: every scale is 1, so the accumulator is the exact
  // sum of (A - za)(B - zb) that MatMulInteger defines.
  auto params = [&](numerics::StorageKind kind, ArrayRef<int64_t> zps,
                    int64_t axis, int64_t groups) {
    return getUnitScaleParams(kind, zps, axis, groups);
  };
  bool perColumn = zb.size() > 1;
  qnt::ParamsAttr inputParams = params(*aKind, za, -1, 1);
  qnt::ParamsAttr weightParams =
      params(*wKind, zb, perColumn ? 1 : -1, perColumn ? n : 1);
  qnt::ParamsAttr resultParams =
      params(numerics::StorageKind::I32, {}, perColumn ? 1 : -1,
             perColumn ? n : 1);
  if (!inputParams || !weightParams || !resultParams)
    return fail("the zero points do not make valid parameters (see the "
                "diagnostic above)");
  Value w = arith::ConstantOp::create(b, loc, weight);
  auto d = [&](unsigned i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineMap> maps{AffineMap::get(3, 0, {d(0), d(2)}, &ctx),
                              AffineMap::get(3, 0, {d(2), d(1)}, &ctx),
                              AffineMap::get(3, 0, {d(0), d(1)}, &ctx)};
  auto resultType = RankedTensorType::get({aType.getDimSize(0), n},
                                          b.getI32Type());
  auto contract = qnt::ContractOp::create(
      b, loc, resultType, a, w, Value(), Value(), Value(), Value(), Value(),
      b.getAffineMapArrayAttr(maps), inputParams, TypeAttr(), weightParams,
      TypeAttr(), resultParams, qnt::RequantModeAttr::get(&ctx, qnt::RequantMode::float32),
      DenseI64ArrayAttr());
  if (failed(mlir::verify(contract)))
    return fail("the layer does not verify as a qnt.contract (see the "
                "diagnostic above)");
  setOutput(0, contract.getResult());
  onnxTypes[node->output(0)] = onnx::TensorProto::INT32;
  return llvm::Error::success();
}

std::optional<numerics::StorageKind>
Importer::getStorageKind(int32_t onnxType) {
  switch (onnxType) {
  case onnx::TensorProto::UINT8:
    return numerics::StorageKind::U8;
  case onnx::TensorProto::INT8:
    return numerics::StorageKind::I8;
  case onnx::TensorProto::INT32:
    return numerics::StorageKind::I32;
  case onnx::TensorProto::UINT16:
    return numerics::StorageKind::U16;
  case onnx::TensorProto::INT16:
    return numerics::StorageKind::I16;
  case kUInt4:
    return numerics::StorageKind::U4;
  case kInt4:
    return numerics::StorageKind::I4;
  case kFloat8E4M3FN:
    return numerics::StorageKind::F8E4M3FN;
  case kFloat8E5M2:
    return numerics::StorageKind::F8E5M2;
  case kFloat8E4M3FNUZ:
    return numerics::StorageKind::F8E4M3FNUZ;
  case kFloat8E5M2FNUZ:
    return numerics::StorageKind::F8E5M2FNUZ;
  default:
    return std::nullopt;
  }
}

std::optional<numerics::StorageKind> Importer::getIntegerStorage(int i) const {
  std::optional<numerics::StorageKind> kind =
      getStorageKind(hasInput(i) ? onnxTypes.lookup(node->input(i)) : 0);
  if (kind == numerics::StorageKind::I32)
    return std::nullopt;
  return kind;
}

qnt::ParamsAttr Importer::makeParams(numerics::StorageKind kind,
                                     ArrayRef<numerics::QuantParams> groups,
                                     int64_t axis, int64_t blockSize,
                                     Type expressed) {
  // ONNX's parameters as they are: full range, any zero point.
  numerics::SolverOptions options;
  options.storage = kind;
  options.scheme = numerics::Scheme::Asymmetric;
  options.narrowRange = false;
  numerics::Granularity granularity;
  granularity.axis = groups.size() > 1 || blockSize > 0 ? axis : -1;
  granularity.blockSize = blockSize;
  return qnt::getParamsAttr(&ctx, options, granularity,
                            expressed ? expressed : b.getF32Type(), groups,
                            [&]() { return mlir::emitError(loc); });
}

llvm::Error Importer::getZeroPoints(int i, numerics::StorageKind kind,
                                    int64_t allowed,
                                    SmallVector<int64_t> &out) {
  if (!hasInput(i))
    return llvm::Error::success();
  DenseElementsAttr z = getConstantInput(i);
  if (!z)
    return fail("zero points must be constants");
  if (z.getNumElements() != 1 && z.getNumElements() != allowed)
    return fail("a zero point of " + llvm::Twine(z.getNumElements()) +
                " values is not supported here");
  for (APInt v : z.getValues<APInt>())
    out.push_back(numerics::isSignedStorage(kind)
                      ? v.getSExtValue()
                      : static_cast<int64_t>(v.getZExtValue()));
  return llvm::Error::success();
}

qnt::ParamsAttr Importer::getUnitScaleParams(numerics::StorageKind kind,
                                             ArrayRef<int64_t> zeroPoints,
                                             int64_t axis, int64_t groups) {
  SmallVector<numerics::QuantParams> p(groups, {1.0f, 0, 0.0f});
  for (int64_t g = 0; g < groups; ++g)
    p[g].zeroPoint =
        zeroPoints.empty() ? 0 : zeroPoints[zeroPoints.size() == 1 ? 0 : g];
  return makeParams(kind, p, axis);
}

llvm::Error Importer::getLayerOperands(int weightIndex, Value &x,
                                       DenseElementsAttr &weight) {
  auto input = getInput(0);
  if (!input)
    return input.takeError();
  x = *input;
  weight = getConstantInput(weightIndex);
  if (!weight)
    return fail("the weight must be a constant: a qnt.contract layer has "
                "constant weights");
  return llvm::Error::success();
}

llvm::Error Importer::getIntegerConvOperands(int weightIndex, Value &x,
                                             DenseElementsAttr &weight) {
  if (llvm::Error e = getLayerOperands(weightIndex, x, weight))
    return e;
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  if (xType.getRank() != 4 || wType.getRank() != 4 ||
      xType.isDynamicDim(2) || xType.isDynamicDim(3))
    return fail("only 2-D convolutions (NCHW, static spatial sizes) are "
                "supported yet");
  int64_t group = getInt("group", 1);
  if (group < 1 || xType.isDynamicDim(1) ||
      xType.getDimSize(1) != group * wType.getDimSize(1) ||
      wType.getDimSize(0) % group != 0)
    return fail("group=" + llvm::Twine(group) +
                " must divide the input and output channels (static), with "
                "the weight's second dimension the channels per group");
  return llvm::Error::success();
}

llvm::Error Importer::importConvInteger() {
  Value x;
  DenseElementsAttr weight;
  if (llvm::Error e = getIntegerConvOperands(1, x, weight))
    return e;
  auto wType = cast<RankedTensorType>(weight.getType());
  std::optional<numerics::StorageKind> xKind = getIntegerStorage(0),
                                      wKind = getIntegerStorage(1);
  if (!xKind || !wKind)
    return fail("x and w must be uint8 or int8");
  int64_t m = wType.getDimSize(0);
  SmallVector<int64_t> zx, zw;
  if (auto e = getZeroPoints(2, *xKind, 1, zx))
    return e;
  if (auto e = getZeroPoints(3, *wKind, m, zw))
    return e;
  bool perChannel = zw.size() > 1;
  qnt::ParamsAttr inputParams = getUnitScaleParams(*xKind, zx, -1, 1);
  qnt::ParamsAttr weightParams = getUnitScaleParams(
      *wKind, zw, perChannel ? 0 : -1, perChannel ? m : 1);
  qnt::ParamsAttr resultParams = getUnitScaleParams(
      numerics::StorageKind::I32, {}, perChannel ? 1 : -1, perChannel ? m : 1);
  if (!inputParams || !weightParams || !resultParams)
    return fail("the zero points do not make valid parameters");
  auto y = buildGroupedIntegerConv(x, weight, zx.empty() ? 0 : zx[0],
                                   inputParams, weightParams, resultParams,
                                   b.getI32Type());
  if (!y)
    return y.takeError();
  setOutput(0, *y);
  onnxTypes[node->output(0)] = onnx::TensorProto::INT32;
  return llvm::Error::success();
}

/// The per-tensor or per-axis #qnt.params of a constant scale (input
/// `scaleIndex`) and zero point (`zeroIndex`) for storage `kind`; `axis` for
/// a 1-D scale of more than one value.
qnt::ParamsAttr Importer::getConstantParams(int scaleIndex, int zeroIndex,
                                            numerics::StorageKind kind,
                                            int64_t axis, int64_t blockSize,
                                            Type expressed) {
  if (!expressed)
    expressed = b.getF32Type();
  DenseElementsAttr scale = getConstantInput(scaleIndex);
  if (!scale || scale.getElementType() != expressed)
    return nullptr;
  SmallVector<numerics::QuantParams> groups;
  for (APFloat s : scale.getValues<APFloat>()) {
    bool losesInfo = false; // f16 and bf16 widen exactly
    s.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &losesInfo);
    groups.push_back({s.convertToFloat(), 0, 0.0f});
  }
  SmallVector<int64_t> zeroPoints;
  if (zeroIndex < 0) // float8: no zero point
    return makeParams(kind, groups, axis, blockSize, expressed);
  if (llvm::Error e = getZeroPoints(zeroIndex, kind, groups.size(), zeroPoints)) {
    llvm::consumeError(std::move(e));
    return nullptr;
  }
  for (auto [i, z] : llvm::enumerate(zeroPoints))
    if (i < groups.size())
      groups[i].zeroPoint = z;
  if (zeroPoints.size() == 1)
    for (numerics::QuantParams &g : groups)
      g.zeroPoint = zeroPoints[0];
  return makeParams(kind, groups, axis, blockSize, expressed);
}

llvm::Error Importer::importQLinearMatMul() {
  // a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale,
  // y_zero_point.
  Value a;
  DenseElementsAttr weight;
  if (llvm::Error e = getLayerOperands(3, a, weight))
    return e;
  auto aType = cast<RankedTensorType>(a.getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  // [batch..., M, K] x [batch..., K, N] (equal batch dimensions) or
  // [M, K] x [K, N].
  int64_t rank = aType.getRank();
  if (rank < 2 || wType.getRank() != rank)
    return fail("QLinearMatMul needs operands of one rank (no broadcasting "
                "yet)");
  for (int64_t d = 0; d + 2 < rank; ++d)
    if (aType.getDimSize(d) != wType.getDimSize(d))
      return fail("batch dimensions differ (no broadcasting yet)");
  std::optional<numerics::StorageKind> aKind = getIntegerStorage(0),
                                      wKind = getIntegerStorage(3),
                                      yKind = getIntegerStorage(7);
  if (!aKind || !wKind || !yKind)
    return fail("a, b and y must be uint8 or int8");
  qnt::ParamsAttr inputParams = getConstantParams(1, 2, *aKind, -1);
  qnt::ParamsAttr weightParams = getConstantParams(4, 5, *wKind, rank - 1);
  qnt::ParamsAttr resultParams = getConstantParams(6, 7, *yKind, -1);
  if (!inputParams || !weightParams || !resultParams)
    return fail("scales must be f32 constants and zero points constants "
                "(per tensor; b per tensor or per column)");
  if (inputParams.getScales().size() != 1 || resultParams.getScales().size() != 1)
    return fail("a and y must be quantized per tensor");
  Value w = arith::ConstantOp::create(b, loc, weight);
  // Loops (batch..., m, n, k).
  int64_t loops = rank + 1;
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineExpr> batch;
  for (int64_t i = 0; i + 2 < rank; ++i)
    batch.push_back(d(i));
  int64_t m = rank - 2, n = rank - 1, k = rank;
  auto map = [&](ArrayRef<AffineExpr> tail) {
    SmallVector<AffineExpr> exprs(batch);
    exprs.append(tail.begin(), tail.end());
    return AffineMap::get(loops, 0, exprs, &ctx);
  };
  SmallVector<AffineMap> maps{map({d(m), d(k)}), map({d(k), d(n)}),
                              map({d(m), d(n)})};
  unsigned bits = numerics::getStorageBitWidth(*yKind);
  SmallVector<int64_t> outShape(aType.getShape().drop_back());
  outShape.push_back(wType.getDimSize(rank - 1));
  auto resultType = RankedTensorType::get(outShape, b.getIntegerType(bits));
  // The stored bounds of y: the requantized value saturates to them.
  auto contract = qnt::ContractOp::create(
      b, loc, resultType, a, w, Value(), Value(), Value(), Value(), Value(),
      b.getAffineMapArrayAttr(maps), inputParams, TypeAttr(), weightParams,
      TypeAttr(), resultParams, qnt::RequantModeAttr::get(&ctx, qnt::RequantMode::float32),
      DenseI64ArrayAttr());
  if (failed(mlir::verify(contract)))
    return fail("the layer does not verify as a qnt.contract (see the "
                "diagnostic above)");
  setOutput(0, contract.getResult());
  onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(7));
  return llvm::Error::success();
}

llvm::Expected<qnt::ContractOp> Importer::buildIntegerConv(
    Value x, DenseElementsAttr weight, int64_t padValue,
    qnt::ParamsAttr inputParams, qnt::ParamsAttr weightParams,
    qnt::ParamsAttr resultParams, Type resultElement, bool dense) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  SmallVector<int64_t> kernel{wType.getDimSize(2), wType.getDimSize(3)};
  SmallVector<int64_t> strides = getInts("strides", {1, 1});
  SmallVector<int64_t> dilations = getInts("dilations", {1, 1});
  auto pads = getPads(xType, kernel, strides, dilations);
  if (!pads)
    return pads.takeError();
  // Padding holds the zero point: real zero.
  Value padded =
      pad(x, *pads, b.getIntegerAttr(xType.getElementType(), padValue));
  auto pType = cast<RankedTensorType>(padded.getType());
  SmallVector<int64_t> outShape{xType.getDimSize(0), wType.getDimSize(0), 0, 0};
  for (int d = 0; d < 2; ++d)
    outShape[2 + d] = (pType.getDimSize(2 + d) -
                       dilations[d] * (kernel[d] - 1) - 1) / strides[d] + 1;
  auto d = [&](unsigned i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineMap> maps;
  if (dense || getInt("group", 1) == 1) {
    // Loops (n, f, oh, ow, c, kh, kw).
    maps = {AffineMap::get(7, 0,
                           {d(0), d(4), d(2) * strides[0] + d(5) * dilations[0],
                            d(3) * strides[1] + d(6) * dilations[1]},
                           &ctx),
            AffineMap::get(7, 0, {d(1), d(4), d(5), d(6)}, &ctx),
            AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, &ctx)};
  } else {
    // Depthwise (checked by getIntegerConvOperands): the weight as
    // [C, KH, KW]; loops (n, c, oh, ow, kh, kw).
    weight = weight.reshape(RankedTensorType::get(
        {wType.getDimSize(0), kernel[0], kernel[1]}, wType.getElementType()));
    maps = {AffineMap::get(6, 0,
                           {d(0), d(1), d(2) * strides[0] + d(4) * dilations[0],
                            d(3) * strides[1] + d(5) * dilations[1]},
                           &ctx),
            AffineMap::get(6, 0, {d(1), d(4), d(5)}, &ctx),
            AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, &ctx)};
  }
  Value w = arith::ConstantOp::create(b, loc, weight);
  auto contract = qnt::ContractOp::create(
      b, loc, RankedTensorType::get(outShape, resultElement), padded, w,
      Value(), Value(), Value(), Value(), Value(),
      b.getAffineMapArrayAttr(maps), inputParams, TypeAttr(), weightParams,
      TypeAttr(), resultParams,
      qnt::RequantModeAttr::get(&ctx, qnt::RequantMode::float32),
      DenseI64ArrayAttr());
  if (failed(mlir::verify(contract)))
    return fail("the layer does not verify as a qnt.contract (see the "
                "diagnostic above)");
  return contract;
}

/// Channels [begin, begin + count) of per-channel parameters (per-tensor
/// ones as they are).
static qnt::ParamsAttr sliceChannels(qnt::ParamsAttr p, int64_t begin,
                                     int64_t count) {
  if (p.isPerTensor())
    return p;
  MLIRContext *ctx = p.getContext();
  ArrayRef<float> scales = p.getScales().asArrayRef();
  ArrayRef<int64_t> zeros = p.getZeroPoints().asArrayRef();
  return qnt::ParamsAttr::get(
      ctx, p.getStorageType(), p.getExpressedType(), p.getAxis(),
      p.getBlockSize(), p.getNarrowRange(), p.getPowerOfTwo(),
      DenseF32ArrayAttr::get(ctx, scales.slice(begin, count)),
      DenseI64ArrayAttr::get(ctx,
                             zeros.empty() ? zeros : zeros.slice(begin, count)),
      p.getMinValues(), p.getRangeMin(), p.getRangeMax(), p.getTensorScale());
}

llvm::Expected<Value> Importer::buildGroupedIntegerConv(
    Value x, DenseElementsAttr weight, int64_t padValue,
    qnt::ParamsAttr inputParams, qnt::ParamsAttr weightParams,
    qnt::ParamsAttr resultParams, Type resultElement) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  int64_t group = getInt("group", 1);
  bool depthwise = group == xType.getDimSize(1) &&
                   group == wType.getDimSize(0) && wType.getDimSize(1) == 1;
  if (group == 1 || depthwise) {
    auto contract = buildIntegerConv(x, weight, padValue, inputParams,
                                     weightParams, resultParams, resultElement);
    if (!contract)
      return contract.takeError();
    return contract->getResult();
  }
  int64_t cg = wType.getDimSize(1), fg = wType.getDimSize(0) / group;
  int64_t perFilter = wType.getNumElements() / wType.getDimSize(0);
  SmallVector<APInt> values(weight.getValues<APInt>());
  SmallVector<Value> parts;
  for (int64_t g = 0; g < group; ++g) {
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0),
                                      b.getIndexAttr(g * cg), b.getIndexAttr(0),
                                      b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < 4; ++d)
      sizes.push_back(d == 1 ? OpFoldResult(b.getIndexAttr(cg))
                             : tensor::getMixedSize(b, loc, x, d));
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    Value xg =
        tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides);
    auto wgType = RankedTensorType::get(
        {fg, cg, wType.getDimSize(2), wType.getDimSize(3)},
        wType.getElementType());
    auto wg = DenseElementsAttr::get(
        wgType,
        ArrayRef<APInt>(values).slice(g * fg * perFilter, fg * perFilter));
    auto contract = buildIntegerConv(
        xg, wg, padValue, inputParams, sliceChannels(weightParams, g * fg, fg),
        sliceChannels(resultParams, g * fg, fg), resultElement,
        /*dense=*/true);
    if (!contract)
      return contract.takeError();
    parts.push_back(contract->getResult());
  }
  return tensor::ConcatOp::create(b, loc, /*dim=*/1, parts).getResult();
}

llvm::Error Importer::importQLinearConv() {
  // x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale,
  // y_zero_point, B.
  Value x;
  DenseElementsAttr weight;
  if (llvm::Error e = getIntegerConvOperands(3, x, weight))
    return e;
  auto wType = cast<RankedTensorType>(weight.getType());
  std::optional<numerics::StorageKind> xKind = getIntegerStorage(0),
                                      wKind = getIntegerStorage(3),
                                      yKind = getIntegerStorage(7);
  if (!xKind || !wKind || !yKind)
    return fail("x, w and y must be uint8 or int8");
  qnt::ParamsAttr inputParams = getConstantParams(1, 2, *xKind, -1);
  qnt::ParamsAttr weightParams = getConstantParams(4, 5, *wKind, 0);
  qnt::ParamsAttr outParams = getConstantParams(6, 7, *yKind, -1);
  if (!inputParams || !weightParams || !outParams ||
      inputParams.getScales().size() != 1 || outParams.getScales().size() != 1)
    return fail("scales must be f32 constants and zero points constants (x "
                "and y per tensor, w per tensor or per output channel)");
  int64_t zx = inputParams.getZeroPoints().empty()
                   ? 0
                   : inputParams.getZeroPoints()[0];
  unsigned bits = numerics::getStorageBitWidth(*yKind);
  if (!hasInput(8)) {
    auto y = buildGroupedIntegerConv(x, weight, zx, inputParams, weightParams,
                                     outParams, b.getIntegerType(bits));
    if (!y)
      return y.takeError();
    setOutput(0, *y);
    onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(7));
    return llvm::Error::success();
  }
  // With a bias (int32 at the accumulator's scale, along the channels): the
  // accumulator, plus the bias, requantized to y.
  auto bias = getInput(8);
  if (!bias)
    return bias.takeError();
  SmallVector<float> accScales;
  float sx = inputParams.getScales()[0];
  for (float sw : weightParams.getScales().asArrayRef())
    accScales.push_back(sx * sw);
  int64_t m = wType.getDimSize(0);
  SmallVector<numerics::QuantParams> accGroups;
  for (float sc : accScales)
    accGroups.push_back({sc, 0, 0.0f});
  qnt::ParamsAttr accParams =
      makeParams(numerics::StorageKind::I32, accGroups, /*axis=*/1);
  if (!accParams)
    return fail("the accumulator's parameters do not verify");
  auto acc = buildGroupedIntegerConv(x, weight, zx, inputParams, weightParams,
                                     accParams, b.getI32Type());
  if (!acc)
    return acc.takeError();
  auto biasType = cast<RankedTensorType>(bias->getType());
  if (biasType.getRank() != 1 || biasType.getDimSize(0) != m ||
      !biasType.getElementType().isInteger(32))
    return fail("the bias must be int32 with one value per output channel");
  Value b3 = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({m, 1, 1}, b.getI32Type()), *bias,
      SmallVector<ReassociationIndices>{{0, 1, 2}});
  auto sum = elementwise({*acc, b3}, b.getI32Type(),
                         [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                           return arith::AddIOp::create(nb, nl, e[0], e[1]);
                         });
  if (!sum)
    return sum.takeError();
  auto accType = cast<RankedTensorType>(sum->getType());
  Value y = qnt::RequantizeOp::create(
      b, loc, RankedTensorType::get(accType.getShape(), b.getIntegerType(bits)),
      *sum, accParams, outParams, qnt::RequantMode::float32);
  setOutput(0, y);
  onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(7));
  return llvm::Error::success();
}

llvm::Error Importer::importDynamicQuantizeLinear() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto type = cast<RankedTensorType>(x->getType());
  if (!type.getElementType().isF32())
    return fail("only f32 inputs are quantized");
  // uint8, asymmetric, the range widened to include 0: ONNX's definition.
  Type i8 = b.getIntegerType(8);
  auto op = qnt::DynamicQuantizeOp::create(
      b, loc,
      TypeRange{RankedTensorType::get(type.getShape(), i8),
                RankedTensorType::get({}, b.getF32Type()),
                RankedTensorType::get({}, b.getI32Type())},
      *x,
      TypeAttr::get(qnt::getStorageTypeFor(&ctx, numerics::StorageKind::U8)),
      qnt::DynamicSchemeAttr::get(&ctx, qnt::DynamicScheme::asymmetric),
      UnitAttr(), IntegerAttr(), FloatAttr());
  setOutput(0, op.getResult());
  onnxTypes[node->output(0)] = onnx::TensorProto::UINT8;
  if (node->output_size() > 1)
    setOutput(1, op.getScales());
  if (node->output_size() > 2) {
    // y_zero_point is uint8.
    auto zp = elementwise({op.getZeroPoints()}, i8,
                          [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                            return arith::TruncIOp::create(nb, nl, i8, e[0]);
                          });
    if (!zp)
      return zp.takeError();
    setOutput(2, *zp);
    onnxTypes[node->output(2)] = onnx::TensorProto::UINT8;
  }
  return llvm::Error::success();
}
