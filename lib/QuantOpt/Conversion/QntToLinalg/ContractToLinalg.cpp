//===- ContractToLinalg.cpp - qnt.contract to integer linalg --------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The reference lowering of qnt.contract. With x ~ s_x (q_x - z_x) and
// w ~ s_w (q_w - z_w), over the K reduced weight elements of an output:
//
//   sum((q_x - z_x)(q_w - z_w))
//     = sum(q_x q_w) - z_x sum(q_w) - z_w (sum(q_x) - K z_x)
//
// 1. acc = sum(q_x * q_w): one linalg.generic with the op's maps, i32
//    accumulation, no zero point inside the reduction;
// 2. a weight zero point: acc - z_w * (sum(q_x) - K * z_x), sum(q_x) by one
//    more reduction over the input;
// 3. the epilogue: acc - z_x * sum(q_w) + bias, with sum(q_w) computed at
//    compile time (numerics::sumOverAxes) for a constant weight and by one
//    more reduction otherwise (an activation weight, whose parameters are
//    run-time values too), then by result type: the i32
//    accumulator; float(.) * (s_x * s_w); or qnt.requantize to the result
//    parameters (lowered by the same conversion) and the stored clamp.
//
// Per-block weights sum the blocks' int32 contractions in float
// (lowerBlocks).
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Conversion/QntToLinalg/QntToLinalg.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "ScalarFormulas.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace mlir::qnt;
using quantopt::qnt_lowering::f32Const;
using quantopt::qnt_lowering::i32Const;
namespace num = quantopt::numerics;

namespace {

Value widen(OpBuilder &b, Location loc, Value v, bool isSigned) {
  Type i32 = b.getI32Type();
  if (v.getType() == i32)
    return v;
  if (isSigned)
    return arith::ExtSIOp::create(b, loc, i32, v);
  return arith::ExtUIOp::create(b, loc, i32, v);
}

/// Float weight codes (MXFP4, MXFP6 E2M3): the table of the integers
/// f * value(code) the op reads (numerics::getInt8CodeTable), indexed by
/// the code's bits; null for integer weights.
Value createWeightCodeTable(OpBuilder &b, ContractOp op) {
  num::StorageKind kind = op.getWeightStorageKind();
  if (!num::isFloatStorage(kind))
    return Value();
  std::vector<int8_t> table = num::getInt8CodeTable(kind);
  SmallVector<int32_t> codes(table.begin(), table.end());
  auto type = RankedTensorType::get({static_cast<int64_t>(codes.size())},
                                    b.getI32Type());
  return arith::ConstantOp::create(
      b, op.getLoc(), DenseElementsAttr::get(type, ArrayRef<int32_t>(codes)));
}

/// A weight element as the i32 integer the op reads: widened, or looked up
/// in `codes` (createWeightCodeTable) when it is a float code.
Value widenWeight(OpBuilder &b, Location loc, Value v, bool isSigned,
                  Value codes) {
  if (!codes)
    return widen(b, loc, v, isSigned);
  unsigned width = v.getType().getIntOrFloatBitWidth();
  Value bits = arith::BitcastOp::create(b, loc, b.getIntegerType(width), v);
  Value index = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), bits);
  return tensor::ExtractOp::create(b, loc, codes, ValueRange{index});
}

Value i32Tensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                ArrayRef<int64_t> values) {
  SmallVector<int32_t> v32(values.begin(), values.end());
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get(shape, b.getI32Type()),
                             ArrayRef<int32_t>(v32)));
}

/// The dynamic sizes of `type` (the result, or a tensor indexed like a part
/// of it through `resultAxes`) read from an operand dimension indexed by the
/// same loop; failure when a dynamic size is not read directly anywhere.
FailureOr<SmallVector<Value>> getDynamicSizes(OpBuilder &b, ContractOp op,
                                              ArrayRef<unsigned> resultAxes) {
  auto outType = cast<RankedTensorType>(op.getResult().getType());
  SmallVector<Value> sizes;
  for (unsigned axis : resultAxes) {
    if (!outType.isDynamicDim(axis))
      continue;
    AffineExpr loop = op.getResultMap().getResult(axis);
    Value size;
    for (auto [operand, map] : {std::make_pair(op.getInput(), op.getInputMap()),
                                std::make_pair(op.getWeight(),
                                               op.getWeightMap())})
      for (auto [i, e] : llvm::enumerate(map.getResults()))
        if (!size && e == loop)
          size = tensor::DimOp::create(b, op.getLoc(), operand, i);
    if (!size)
      return failure();
    sizes.push_back(size);
  }
  return sizes;
}

/// The op's loops as linalg iterators (reduced: not indexing the result).
SmallVector<utils::IteratorType> getIterators(ContractOp op) {
  SmallVector<utils::IteratorType> iterators;
  for (bool r : op.getReductionLoops())
    iterators.push_back(r ? utils::IteratorType::reduction
                          : utils::IteratorType::parallel);
  return iterators;
}

/// The dynamic sizes of the whole result (getDynamicSizes).
FailureOr<SmallVector<Value>> getResultDynamicSizes(OpBuilder &b,
                                                    ContractOp op) {
  SmallVector<unsigned> allAxes;
  for (unsigned d = 0; d < cast<RankedTensorType>(op.getResult().getType())
                               .getRank();
       ++d)
    allAxes.push_back(d);
  return getDynamicSizes(b, op, allAxes);
}

struct ContractLowering : OpRewritePattern<ContractOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ContractOp op,
                                PatternRewriter &b) const override {
    if (op.getWeightBlockSize() > 0)
      return lowerBlocks(op, b);
    DenseElementsAttr weights;
    bool constantWeight = matchPattern(op.getWeight(), m_Constant(&weights));
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type f32 = b.getF32Type(), i32 = b.getI32Type();
    auto outType = cast<RankedTensorType>(op.getResult().getType());
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    unsigned outRank = outType.getRank();
    AffineMap xMap = op.getInputMap(), wMap = op.getWeightMap(),
              outMap = op.getResultMap();
    SmallVector<utils::IteratorType> iterators = getIterators(op);
    FailureOr<SmallVector<Value>> dynDims = getResultDynamicSizes(b, op);
    if (failed(dynDims))
      return b.notifyMatchFailure(op, "a dynamic result size is not the size "
                                      "of an operand dimension");

    ParamsAttr wParams = op.getWeightParamsAttr();
    ParamsAttr xParams = op.getInputParamsAttr();
    bool dynamic = op.isDynamic();
    bool xSigned = num::isSignedStorage(op.getInputStorageKind());
    bool wSigned = num::isSignedStorage(op.getWeightStorageKind());
    bool weightZeroPoint =
        !wParams || llvm::any_of(wParams.getZeroPoints().asArrayRef(),
                                 [](int64_t z) { return z != 0; });
    int64_t zxConst = xParams ? xParams.getZeroPoint(0) : 0;
    std::optional<unsigned> channel = op.getResultChannelAxis();
    AffineMap outIdentity = b.getMultiDimIdentityMap(outRank);
    // Dynamic parameters: rank 0, or per row through the result axes.
    SmallVector<AffineExpr> rowExprs;
    for (unsigned axis : op.getRowResultAxes())
      rowExprs.push_back(getAffineDimExpr(axis, ctx));
    AffineMap paramMap = AffineMap::get(outRank, 0, rowExprs, ctx);

    // The weight sums over the reduced dimensions, per parallel index.
    SmallVector<int64_t> parallelAxes, colsumShape;
    SmallVector<AffineExpr> colsumExprs;
    for (int64_t axis = 0; axis < wType.getRank(); ++axis) {
      std::optional<unsigned> outAxis = op.getResultAxisOfWeight(axis);
      if (!outAxis)
        continue;
      parallelAxes.push_back(axis);
      colsumShape.push_back(wType.getDimSize(axis));
      colsumExprs.push_back(getAffineDimExpr(*outAxis, ctx));
    }
    Value colsum;
    if (constantWeight) {
      SmallVector<int64_t> values;
      for (APInt v : weights.getValues<APInt>())
        values.push_back(wSigned ? v.getSExtValue()
                                 : static_cast<int64_t>(v.getZExtValue()));
      colsum = i32Tensor(
          b, loc, colsumShape,
          num::sumOverAxes(values, wType.getShape(), parallelAxes));
    } else {
      colsum = sumWeightAtRunTime(b, op, parallelAxes);
    }

    // 1. The contraction on the stored integers.
    Value zero = i32Const(b, loc, 0);
    Value accInit =
        linalg::FillOp::create(
            b, loc, ValueRange{zero},
            ValueRange{tensor::EmptyOp::create(b, loc, outType.getShape(), i32,
                                               *dynDims)})
            .getResult(0);
    Value acc =
        linalg::GenericOp::create(
            b, loc, TypeRange{accInit.getType()},
            ValueRange{op.getInput(), op.getWeight()}, ValueRange{accInit},
            ArrayRef<AffineMap>{xMap, wMap, outMap}, iterators,
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value product = arith::MulIOp::create(
                  nb, l, widen(nb, l, args[0], xSigned),
                  widen(nb, l, args[1], wSigned));
              linalg::YieldOp::create(
                  nb, l, arith::AddIOp::create(nb, l, args[2], product)
                             .getResult());
            })
            .getResult(0);

    // 2. A weight zero point: acc - z_w * (sum(q_x) - K * z_x).
    if (weightZeroPoint)
      acc = correctWeightZeroPoint(b, op, acc, accInit, paramMap);

    // 3. The epilogue.
    SmallVector<Value> inputs{acc, colsum};
    SmallVector<AffineMap> maps{outIdentity,
                                AffineMap::get(outRank, 0, colsumExprs, ctx)};
    auto addInput = [&](Value v, AffineMap map) {
      inputs.push_back(v);
      maps.push_back(map);
      return inputs.size() - 1;
    };
    std::optional<size_t> biasArg, swArg, sxArg, zxArg, swDynArg;
    if (Value bias = op.getBias())
      biasArg = addInput(
          bias, AffineMap::get(outRank, 0,
                               getAffineDimExpr(outRank - 1, ctx)));
    if (dynamic) {
      sxArg = addInput(op.getInputScales(), paramMap);
      zxArg = addInput(op.getInputZeroPoints(), paramMap);
    }
    if (op.isWeightDynamic())
      swDynArg = addInput(op.getWeightScales(),
                          AffineMap::get(outRank, 0, ctx));
    Type element = outType.getElementType();
    bool real = isa<FloatType>(element);
    if (real && channel) {
      ArrayRef<float> scales = wParams.getScales().asArrayRef();
      swArg = addInput(
          arith::ConstantOp::create(
              b, loc,
              DenseElementsAttr::get(
                  RankedTensorType::get({int64_t(scales.size())}, f32),
                  scales)),
          AffineMap::get(outRank, 0, getAffineDimExpr(*channel, ctx)));
    }
    maps.push_back(outIdentity);
    // acc - z_x * sum(q_w) (+ bias).
    auto corrected = [&](OpBuilder &nb, Location l, ValueRange args) {
      Value zx = zxArg ? args[*zxArg] : i32Const(nb, l, zxConst);
      Value v = arith::SubIOp::create(nb, l, args[0],
                                      arith::MulIOp::create(nb, l, zx, args[1]));
      if (biasArg)
        v = arith::AddIOp::create(nb, l, v, args[*biasArg]);
      return v;
    };
    SmallVector<utils::IteratorType> parallel(outRank,
                                              utils::IteratorType::parallel);
    auto epilogue = [&](Type resultElement,
                        function_ref<Value(OpBuilder &, Location, ValueRange)>
                            body) {
      Value empty = tensor::EmptyOp::create(b, loc, outType.getShape(),
                                            resultElement, *dynDims);
      return linalg::GenericOp::create(
                 b, loc,
                 TypeRange{RankedTensorType::get(outType.getShape(),
                                                 resultElement)},
                 inputs, ValueRange{empty}, maps, parallel,
                 [&](OpBuilder &nb, Location l, ValueRange args) {
                   linalg::YieldOp::create(nb, l, body(nb, l, args));
                 })
          .getResult(0);
    };
    if (real) {
      // float(corrected) * (s_x * s_w), with the product in f32.
      float swScalar = channel || !wParams ? 0.0f : wParams.getScales()[0];
      float sxScalar = xParams ? xParams.getScales()[0] : 0.0f;
      Value y = epilogue(element, [&](OpBuilder &nb, Location l,
                                      ValueRange args) -> Value {
        Value acc = corrected(nb, l, args);
        Value sw = swArg      ? args[*swArg]
                   : swDynArg ? args[*swDynArg]
                              : f32Const(nb, l, swScalar);
        Value sx = sxArg ? args[*sxArg] : f32Const(nb, l, sxScalar);
        Value scale = arith::MulFOp::create(nb, l, sx, sw);
        Value v = arith::MulFOp::create(
            nb, l, arith::SIToFPOp::create(nb, l, f32, acc), scale);
        if (element != f32)
          v = arith::TruncFOp::create(nb, l, element, v);
        return v;
      });
      b.replaceOp(op, y);
      return success();
    }
    Value accumulator = epilogue(i32, corrected);
    if (element.isInteger(32)) {
      b.replaceOp(op, accumulator);
      return success();
    }

    // Requantized: the accumulator's parameters (s_x * s_w, per channel
    // when the weight is) to the result's, then the stored clamp.
    SmallVector<float> accScales = op.getAccumulatorScales();
    ParamsAttr rParams = op.getResultParamsAttr();
    auto accParams = ParamsAttr::get(
        ctx, i32, f32, channel ? int64_t(*channel) : int64_t(-1), int64_t(0),
        false, false, DenseF32ArrayAttr::get(ctx, accScales),
        DenseI64ArrayAttr::get(ctx, {}), DenseF32ArrayAttr::get(ctx, {}), 0, 0,
        FloatAttr());
    Value q = RequantizeOp::create(b, loc, outType, accumulator, accParams,
                                   rParams, op.getMode());
    num::IntRange range = rParams.getIntRange();
    if (std::optional<ArrayRef<int64_t>> clamp = op.getClamp();
        clamp && ((*clamp)[0] > range.qmin || (*clamp)[1] < range.qmax)) {
      bool isSigned = num::isSignedStorage(rParams.getStorageKind());
      int64_t lo = (*clamp)[0], hi = (*clamp)[1];
      Value empty = tensor::EmptyOp::create(b, loc, outType.getShape(),
                                            element, *dynDims);
      q = linalg::GenericOp::create(
              b, loc, TypeRange{outType}, ValueRange{q}, ValueRange{empty},
              ArrayRef<AffineMap>{outIdentity, outIdentity}, parallel,
              [&](OpBuilder &nb, Location l, ValueRange args) {
                Value lov = arith::ConstantOp::create(
                    nb, l, nb.getIntegerAttr(element, lo));
                Value hiv = arith::ConstantOp::create(
                    nb, l, nb.getIntegerAttr(element, hi));
                Value v = args[0];
                if (isSigned) {
                  v = arith::MaxSIOp::create(nb, l, v, lov);
                  v = arith::MinSIOp::create(nb, l, v, hiv);
                } else {
                  v = arith::MaxUIOp::create(nb, l, v, lov);
                  v = arith::MinUIOp::create(nb, l, v, hiv);
                }
                linalg::YieldOp::create(nb, l, v);
              })
              .getResult(0);
    }
    b.replaceOp(op, q);
    return success();
  }

  /// Per-block weights (the op's description): the int32 sums of every
  /// block, acc[..., g] = sum_{k in g} (q_x - z_x)(q_w - z_w[g]), by one
  /// generic whose reduced loop k writes block `k floordiv B` (so a shorter
  /// last block needs no padding); then y = fma(float(acc[..., g]),
  /// s_x * s_w[g], y) over g in order, by a second generic whose reduced
  /// loop runs over the blocks.
  static LogicalResult lowerBlocks(ContractOp op, PatternRewriter &b) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type f32 = b.getF32Type(), i32 = b.getI32Type();
    auto outType = cast<RankedTensorType>(op.getResult().getType());
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    AffineMap xMap = op.getInputMap(), wMap = op.getWeightMap(),
              outMap = op.getResultMap();
    unsigned numLoops = xMap.getNumDims();
    ParamsAttr wParams = op.getWeightParamsAttr();
    int64_t block = wParams.getBlockSize(), axis = wParams.getAxis();
    AffineExpr kExpr = xMap.getResults().back();
    int64_t groups = num::getNumBlocks(wType.getDimSize(axis), block);
    AffineExpr gExpr = kExpr.floorDiv(block);
    bool xSigned = num::isSignedStorage(op.getInputStorageKind());
    bool wSigned = num::isSignedStorage(op.getWeightStorageKind());
    FailureOr<SmallVector<Value>> dynDims = getResultDynamicSizes(b, op);
    if (failed(dynDims))
      return b.notifyMatchFailure(op, "a dynamic result size is not the size "
                                      "of an operand dimension");
    auto replaced = [&](AffineMap map, AffineExpr from, AffineExpr to) {
      return map.replace(from, to, numLoops, 0);
    };
    // The weight parameters, shaped as the weight with its block axis
    // counted in blocks (their row-major layout), read at block g.
    SmallVector<int64_t> paramShape(wType.getShape());
    paramShape[axis] = groups;
    AffineMap wParamMap = replaced(wMap, kExpr, gExpr);
    SmallVector<float> scales = op.getWeightIntegerScales();
    SmallVector<int32_t> zeroPoints(scales.size(), 0);
    Value codes = createWeightCodeTable(b, op);
    for (auto [i, z] : llvm::enumerate(wParams.getZeroPoints().asArrayRef()))
      zeroPoints[i] = static_cast<int32_t>(z);
    bool weightZeroPoint =
        llvm::any_of(zeroPoints, [](int32_t z) { return z != 0; });
    // The input parameters, read per tensor, per row or per block.
    AffineMap xParamMap;
    if (op.isInputPerBlock())
      xParamMap = replaced(xMap, kExpr, gExpr);
    else if (op.isDynamic())
      xParamMap = AffineMap::get(
          numLoops, 0,
          cast<RankedTensorType>(op.getInputScales().getType()).getRank()
              ? xMap.getResults().drop_back()
              : ArrayRef<AffineExpr>(),
          ctx);
    ParamsAttr xParams = op.getInputParamsAttr();

    // 1. acc[..., g], i32.
    SmallVector<int64_t> accShape(outType.getShape());
    accShape.push_back(groups);
    SmallVector<AffineExpr> accExprs(outMap.getResults());
    accExprs.push_back(gExpr);
    Value accInit =
        linalg::FillOp::create(
            b, loc, ValueRange{i32Const(b, loc, 0)},
            ValueRange{tensor::EmptyOp::create(b, loc, accShape, i32,
                                               *dynDims)})
            .getResult(0);
    SmallVector<Value> inputs{op.getInput(), op.getWeight()};
    SmallVector<AffineMap> maps{xMap, wMap};
    std::optional<size_t> zxArg, zwArg;
    if (op.isDynamic()) {
      zxArg = inputs.size();
      inputs.push_back(op.getInputZeroPoints());
      maps.push_back(xParamMap);
    }
    if (weightZeroPoint) {
      zwArg = inputs.size();
      inputs.push_back(arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(RankedTensorType::get(paramShape, i32),
                                 ArrayRef<int32_t>(zeroPoints))));
      maps.push_back(wParamMap);
    }
    maps.push_back(AffineMap::get(numLoops, 0, accExprs, ctx));
    SmallVector<utils::IteratorType> iterators = getIterators(op);
    int64_t zxConst = xParams ? xParams.getZeroPoint(0) : 0;
    Value acc =
        linalg::GenericOp::create(
            b, loc, TypeRange{accInit.getType()}, inputs, ValueRange{accInit},
            maps, iterators,
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value zx = zxArg ? args[*zxArg] : i32Const(nb, l, zxConst);
              Value zw = zwArg ? args[*zwArg] : i32Const(nb, l, 0);
              Value x = arith::SubIOp::create(
                  nb, l, widen(nb, l, args[0], xSigned), zx);
              Value w = arith::SubIOp::create(
                  nb, l, widenWeight(nb, l, args[1], wSigned, codes), zw);
              linalg::YieldOp::create(
                  nb, l,
                  arith::AddIOp::create(nb, l, args.back(),
                                        arith::MulIOp::create(nb, l, x, w))
                      .getResult());
            })
            .getResult(0);

    // 2. y = fma(float(acc_g), s_x * s_w[g], y) over g: the loop k now
    // counts blocks.
    AffineMap gMap = AffineMap::get(numLoops, 0, outMap.getResults(), ctx);
    SmallVector<AffineExpr> accByBlock(outMap.getResults());
    accByBlock.push_back(kExpr);
    inputs = {acc, arith::ConstantOp::create(
                       b, loc,
                       DenseElementsAttr::get(
                           RankedTensorType::get(paramShape, f32),
                           ArrayRef<float>(scales)))};
    maps = {AffineMap::get(numLoops, 0, accByBlock, ctx), wMap};
    std::optional<size_t> sxArg;
    if (op.isDynamic()) {
      sxArg = inputs.size();
      inputs.push_back(op.getInputScales());
      maps.push_back(op.isInputPerBlock() ? xMap : xParamMap);
    }
    maps.push_back(gMap);
    float sxConst = xParams ? xParams.getScales()[0] : 0.0f;
    Value yInit =
        linalg::FillOp::create(
            b, loc, ValueRange{f32Const(b, loc, 0.0f)},
            ValueRange{tensor::EmptyOp::create(b, loc, outType.getShape(), f32,
                                               *dynDims)})
            .getResult(0);
    Value y =
        linalg::GenericOp::create(
            b, loc, TypeRange{yInit.getType()}, inputs, ValueRange{yInit},
            maps, iterators,
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value sx = sxArg ? args[*sxArg] : f32Const(nb, l, sxConst);
              Value scale = arith::MulFOp::create(nb, l, sx, args[1]);
              Value v = arith::SIToFPOp::create(nb, l, f32, args[0]);
              linalg::YieldOp::create(
                  nb, l,
                  math::FmaOp::create(nb, l, v, scale, args.back())
                      .getResult());
            })
            .getResult(0);
    b.replaceOp(op, y);
    return success();
  }

  /// sum(q_w) over the weight's reduced axes, per index of `parallelAxes`,
  /// at run time (a weight that is not a constant).
  static Value sumWeightAtRunTime(PatternRewriter &b, ContractOp op,
                                  ArrayRef<int64_t> parallelAxes) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type i32 = b.getI32Type();
    Value w = op.getWeight();
    auto wType = cast<RankedTensorType>(w.getType());
    unsigned rank = wType.getRank();
    SmallVector<int64_t> shape;
    SmallVector<Value> dynSizes;
    SmallVector<AffineExpr> exprs;
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::reduction);
    for (int64_t axis : parallelAxes) {
      shape.push_back(wType.getDimSize(axis));
      if (wType.isDynamicDim(axis))
        dynSizes.push_back(tensor::DimOp::create(b, loc, w, axis));
      exprs.push_back(getAffineDimExpr(axis, ctx));
      iterators[axis] = utils::IteratorType::parallel;
    }
    Value init =
        linalg::FillOp::create(
            b, loc, ValueRange{i32Const(b, loc, 0)},
            ValueRange{tensor::EmptyOp::create(b, loc, shape, i32, dynSizes)})
            .getResult(0);
    bool wSigned = num::isSignedStorage(op.getWeightStorageKind());
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{w},
               ValueRange{init},
               ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank),
                                   AffineMap::get(rank, 0, exprs, ctx)},
               iterators,
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(
                     nb, l,
                     arith::AddIOp::create(nb, l, args[1],
                                           widen(nb, l, args[0], wSigned))
                         .getResult());
               })
        .getResult(0);
  }

  /// acc - z_w * (sum(q_x) - K * z_x): sum(q_x) runs over the reduced loops
  /// on the iteration space without the loops only the weight indexes (the
  /// output channels).
  static Value correctWeightZeroPoint(PatternRewriter &b, ContractOp op,
                                      Value acc, Value accInit,
                                      AffineMap paramMap) {
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    Type i32 = b.getI32Type();
    AffineMap xMap = op.getInputMap(), wMap = op.getWeightMap(),
              outMap = op.getResultMap();
    auto outType = cast<RankedTensorType>(op.getResult().getType());
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    auto xType = cast<RankedTensorType>(op.getInput().getType());
    unsigned outRank = outType.getRank(), numDims = xMap.getNumDims();
    SmallVector<bool> reduced = op.getReductionLoops();
    bool xSigned = num::isSignedStorage(op.getInputStorageKind());
    ParamsAttr wParams = op.getWeightParamsAttr();
    ArrayRef<int64_t> wZeroPoints =
        wParams ? wParams.getZeroPoints().asArrayRef() : ArrayRef<int64_t>();
    std::optional<unsigned> channel = op.getResultChannelAxis();
    llvm::SmallBitVector weightOnly(numDims);
    for (AffineExpr expr : wMap.getResults())
      if (auto d = dyn_cast<AffineDimExpr>(expr))
        if (!xMap.isFunctionOfDim(d.getPosition()))
          weightOnly.set(d.getPosition());
    SmallVector<AffineExpr> rowsumResults, rowsumOutExprs;
    SmallVector<int64_t> rowsumShape;
    SmallVector<unsigned> rowsumAxes;
    for (auto [axis, expr] : llvm::enumerate(outMap.getResults())) {
      unsigned dim = cast<AffineDimExpr>(expr).getPosition();
      if (weightOnly.test(dim))
        continue;
      rowsumResults.push_back(expr);
      rowsumOutExprs.push_back(getAffineDimExpr(axis, ctx));
      rowsumShape.push_back(outType.getDimSize(axis));
      rowsumAxes.push_back(axis);
    }
    SmallVector<Value> rowsumDynDims = *getDynamicSizes(b, op, rowsumAxes);
    AffineMap rowsumMap = AffineMap::get(numDims, 0, rowsumResults, ctx);
    SmallVector<utils::IteratorType> rowsumIterators;
    for (unsigned d = 0; d < numDims; ++d)
      if (!weightOnly.test(d))
        rowsumIterators.push_back(reduced[d] ? utils::IteratorType::reduction
                                             : utils::IteratorType::parallel);
    Value rowsumInit =
        linalg::FillOp::create(
            b, loc, ValueRange{i32Const(b, loc, 0)},
            ValueRange{tensor::EmptyOp::create(b, loc, rowsumShape, i32,
                                               rowsumDynDims)})
            .getResult(0);
    // The reduced loops may reach the input only through sums (a
    // convolution's window): a splat operand of the weight's reduced shape
    // gives linalg their extents.
    SmallVector<int64_t> reducedShape;
    SmallVector<AffineExpr> reducedExprs;
    for (int64_t axis : op.getReducedWeightAxes()) {
      reducedShape.push_back(wType.getDimSize(axis));
      reducedExprs.push_back(wMap.getResult(axis));
    }
    Type xStored = xType.getElementType();
    Value extents = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get(reducedShape, xStored),
                               b.getIntegerAttr(xStored, 0)));
    AffineMap extentsMap = AffineMap::get(numDims, 0, reducedExprs, ctx);
    Value rowsum =
        linalg::GenericOp::create(
            b, loc, TypeRange{rowsumInit.getType()},
            ValueRange{op.getInput(), extents}, ValueRange{rowsumInit},
            ArrayRef<AffineMap>{compressDims(xMap, weightOnly),
                                compressDims(extentsMap, weightOnly),
                                compressDims(rowsumMap, weightOnly)},
            rowsumIterators,
            [&](OpBuilder &nb, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  nb, l,
                  arith::AddIOp::create(nb, l, args[2],
                                        widen(nb, l, args[0], xSigned))
                      .getResult());
            })
            .getResult(0);
    AffineMap outIdentity = b.getMultiDimIdentityMap(outRank);
    SmallVector<Value> inputs{acc, rowsum};
    SmallVector<AffineMap> maps{outIdentity,
                                AffineMap::get(outRank, 0, rowsumOutExprs, ctx)};
    bool weightDynamic = op.isWeightDynamic();
    if (channel) {
      inputs.push_back(i32Tensor(b, loc, {int64_t(wZeroPoints.size())},
                                 wZeroPoints));
      maps.push_back(
          AffineMap::get(outRank, 0, getAffineDimExpr(*channel, ctx)));
    } else if (weightDynamic) {
      inputs.push_back(op.getWeightZeroPoints());
      maps.push_back(AffineMap::get(outRank, 0, ctx));
    }
    bool dynamic = op.isDynamic();
    if (dynamic) {
      inputs.push_back(op.getInputZeroPoints());
      maps.push_back(paramMap);
    }
    maps.push_back(outIdentity);
    int64_t zxConst = dynamic ? 0 : op.getInputParamsAttr().getZeroPoint(0);
    int64_t k = op.getReductionSize();
    return linalg::GenericOp::create(
               b, loc, TypeRange{acc.getType()}, inputs, ValueRange{accInit},
               maps,
               SmallVector<utils::IteratorType>(outRank,
                                                utils::IteratorType::parallel),
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 unsigned next = 2;
                 Value zw = channel || weightDynamic
                                ? args[next++]
                                : i32Const(nb, l, wZeroPoints[0]);
                 Value zx = dynamic ? args[next++] : i32Const(nb, l, zxConst);
                 Value centred = arith::SubIOp::create(
                     nb, l, args[1],
                     arith::MulIOp::create(nb, l, i32Const(nb, l, k), zx));
                 linalg::YieldOp::create(
                     nb, l,
                     arith::SubIOp::create(
                         nb, l, args[0],
                         arith::MulIOp::create(nb, l, zw, centred))
                         .getResult());
               })
        .getResult(0);
  }
};

} // namespace

void quantopt::populateContractToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ContractLowering>(patterns.getContext());
}
