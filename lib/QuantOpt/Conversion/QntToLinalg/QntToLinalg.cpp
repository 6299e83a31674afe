//===- QntToLinalg.cpp - qnt to linalg/arith conversion -------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The reference lowering of the qnt ops. Each op becomes one element-wise
// linalg.generic. The scalar code in its body is the float32 arithmetic of
// quantopt::numerics (Numerics.cpp) written as arith/math ops, operation for
// operation, so that the lowered code and the library agree bit for bit.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Conversion/QntToLinalg/QntToLinalg.h"
#include "QuantOpt/Conversion/Passes.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "ScalarFormulas.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cfloat>
#include <limits>

namespace quantopt {
#define GEN_PASS_DEF_CONVERTQNTTOLINALG
#include "QuantOpt/Conversion/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace mlir::qnt;
namespace num = quantopt::numerics;
using namespace quantopt::qnt_lowering;

namespace {

//===----------------------------------------------------------------------===//
// Element-wise generic builder
//===----------------------------------------------------------------------===//

/// A per-group parameter: a scalar constant for per-tensor parameters, or the
/// index of a constant tensor input of the generic.
struct ParamValue {
  TypedAttr scalar;
  int inputIndex = -1;
};

/// Collects the inputs of one element-wise linalg.generic over `source`.
class ElementwiseBuilder {
public:
  ElementwiseBuilder(OpBuilder &builder, Location loc, Value source)
      : builder(builder), loc(loc),
        shape(cast<RankedTensorType>(source.getType()).getShape()) {
    inputs.push_back(source);
    maps.push_back(builder.getMultiDimIdentityMap(shape.size()));
  }

  /// Iterates over `outShape` and reads `source` through `sourceMap` (for
  /// packed storage); dynamic sizes of `outShape` come from `source`.
  ElementwiseBuilder(OpBuilder &builder, Location loc, Value source,
                     ArrayRef<int64_t> outShape, AffineMap sourceMap)
      : builder(builder), loc(loc), shape(outShape) {
    inputs.push_back(source);
    maps.push_back(sourceMap);
  }

  /// Adds one value per parameter group of granularity `g`. Uniform values
  /// (per tensor, or equal in every group) become a scalar constant.
  ParamValue addParam(num::Granularity g, Type elementType,
                      ArrayRef<Attribute> values) {
    if (g.isPerTensor() || llvm::all_equal(values))
      return {cast<TypedAttr>(values.front()), -1};
    SmallVector<int64_t> paramShape = llvm::to_vector(
        llvm::cantFail(num::getParamShape(shape, g)));
    auto type = RankedTensorType::get(paramShape, elementType);
    Value constant = arith::ConstantOp::create(
        builder, loc, DenseElementsAttr::get(type, values));
    unsigned rank = shape.size();
    AffineMap map;
    if (g.isPerChannel()) {
      map = AffineMap::get(rank, 0, builder.getAffineDimExpr(g.axis));
    } else {
      SmallVector<AffineExpr> exprs;
      for (unsigned d = 0; d < rank; ++d) {
        AffineExpr e = builder.getAffineDimExpr(d);
        exprs.push_back(static_cast<int64_t>(d) == g.axis
                            ? e.floorDiv(g.blockSize)
                            : e);
      }
      map = AffineMap::get(rank, 0, exprs, builder.getContext());
    }
    inputs.push_back(constant);
    maps.push_back(map);
    return {nullptr, static_cast<int>(inputs.size()) - 1};
  }

  ParamValue addF32Param(num::Granularity g, ArrayRef<float> values) {
    SmallVector<Attribute> attrs;
    for (float v : values)
      attrs.push_back(builder.getF32FloatAttr(v));
    return addParam(g, builder.getF32Type(), attrs);
  }

  ParamValue addI64Param(num::Granularity g, ArrayRef<int64_t> values) {
    SmallVector<Attribute> attrs;
    for (int64_t v : values)
      attrs.push_back(builder.getI64IntegerAttr(v));
    return addParam(g, builder.getI64Type(), attrs);
  }

  /// Adds run-time tensors read through `tensorMaps`, then builds.
  Value buildWithTensors(
      Type elementType, ArrayRef<Value> tensors, ArrayRef<AffineMap> tensorMaps,
      function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    llvm::append_range(inputs, tensors);
    llvm::append_range(maps, tensorMaps);
    return build(elementType, body);
  }

  /// Creates the generic producing a tensor of `elementType`; `body` computes
  /// the result from the block arguments.
  Value build(Type elementType,
              function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    SmallVector<Value> dynamicDims;
    for (auto [i, size] : llvm::enumerate(shape))
      if (ShapedType::isDynamic(size))
        dynamicDims.push_back(
            tensor::DimOp::create(builder, loc, inputs.front(), i));
    Value init = tensor::EmptyOp::create(builder, loc, shape, elementType,
                                         dynamicDims);
    SmallVector<AffineMap> allMaps = maps;
    allMaps.push_back(builder.getMultiDimIdentityMap(shape.size()));
    SmallVector<utils::IteratorType> iterators(shape.size(),
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        builder, loc, TypeRange{init.getType()}, inputs, ValueRange{init},
        allMaps, iterators,
        [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
          Value result = body(b, nestedLoc, args);
          linalg::YieldOp::create(b, nestedLoc, result);
        });
    return generic.getResult(0);
  }

private:
  OpBuilder &builder;
  Location loc;
  ArrayRef<int64_t> shape;
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
};

/// Materializes a parameter inside the generic body.
Value getParam(OpBuilder &b, Location loc, ValueRange args, ParamValue p) {
  if (p.inputIndex >= 0)
    return args[p.inputIndex];
  return arith::ConstantOp::create(b, loc, p.scalar);
}

/// The parameters of one ParamsAttr, registered with a builder.
struct ParamSet {
  ParamsAttr attr;
  ParamValue scale;
  ParamValue zeroPointF32; // Quantize: zero point as float.
  ParamValue zeroPointI64; // Dequantize: zero point as integer.
  ParamValue minValue;
  Value decodeTable;
};

ParamSet addParams(OpBuilder &b, Location loc, ElementwiseBuilder &eb,
                   ParamsAttr attr, bool forQuantize) {
  ParamSet set;
  set.attr = attr;
  num::Granularity g = attr.getGranularity();
  set.scale = eb.addF32Param(g, attr.getScales());
  if (attr.isFloatStorage()) {
    if (!forQuantize)
      set.decodeTable = createDecodeTable(b, loc, attr.getStorageKind());
    return set;
  }
  if (attr.hasMinValues()) {
    set.minValue = eb.addF32Param(g, attr.getMinValues());
    return set;
  }
  SmallVector<int64_t> zps;
  for (size_t i = 0, e = attr.getScales().size(); i < e; ++i)
    zps.push_back(attr.getZeroPoint(i));
  if (forQuantize) {
    SmallVector<float> zpf(zps.begin(), zps.end());
    set.zeroPointF32 = eb.addF32Param(g, zpf);
  } else {
    set.zeroPointI64 = eb.addI64Param(g, zps);
  }
  return set;
}

/// The tail of num::quantizeAffine / quantizeMinval: round `y`, add the
/// offset (zero point, or qmin for minval), send NaN to the offset, saturate.
Value emitRoundOffsetSaturate(OpBuilder &b, Location loc, Value y, Value offset,
                              num::IntRange range, Type storedType,
                              num::RoundingMode mode) {
  Value r = emitRound(b, loc, y, mode);
  Value v = arith::AddFOp::create(b, loc, r, offset);
  v = arith::SelectOp::create(b, loc, emitIsNaN(b, loc, y), offset, v);
  return emitSaturate(b, loc, v, range, storedType);
}

/// How qnt.quantize rounds: its rounding mode, saturation (float storage)
/// and the division's precision.
struct QuantizeMode {
  num::RoundingMode rounding = num::RoundingMode::HalfEven;
  bool saturate = true;
  num::Precision precision = num::Precision::F32;
};

/// num::quantizeAffine / quantizeMinval / quantizeToFloat on a f32 value.
Value emitQuantize(OpBuilder &b, Location loc, ValueRange args,
                   const ParamSet &p, Value x, const QuantizeMode &mode) {
  ParamsAttr attr = p.attr;
  Type storedType = attr.getStoredElementType();
  Value scale = getParam(b, loc, args, p.scale);
  if (attr.isFloatStorage()) {
    Value y =
        emitApplyInverseScale(b, loc, x, scale, mode.rounding, mode.precision);
    return emitEncodeMiniFloat(b, loc, y, attr.getStorageKind(), storedType,
                               mode.saturate);
  }
  num::IntRange range = attr.getIntRange();
  Value y, offset;
  if (attr.hasMinValues()) {
    Value m = getParam(b, loc, args, p.minValue);
    y = emitApplyInverseScale(b, loc, arith::SubFOp::create(b, loc, x, m),
                              scale, mode.rounding);
    offset = f32Const(b, loc, static_cast<float>(range.qmin));
  } else {
    y = emitApplyInverseScale(b, loc, x, scale, mode.rounding, mode.precision);
    offset = getParam(b, loc, args, p.zeroPointF32);
  }
  return emitRoundOffsetSaturate(b, loc, y, offset, range, storedType,
                                 mode.rounding);
}

/// num::dequantizeAffine / dequantizeMinval / dequantizeFromFloat, in f32.
Value emitDequantize(OpBuilder &b, Location loc, ValueRange args,
                     const ParamSet &p, Value q) {
  ParamsAttr attr = p.attr;
  Value scale = getParam(b, loc, args, p.scale);
  if (attr.isFloatStorage()) {
    Value decoded = emitDecodeMiniFloat(b, loc, q, attr.getStorageKind(),
                                        p.decodeTable);
    return arith::MulFOp::create(b, loc, scale, decoded);
  }
  Value wide = emitWiden(b, loc, q, num::isSignedStorage(attr.getStorageKind()));
  if (attr.hasMinValues()) {
    Value diff = arith::SubIOp::create(
        b, loc, wide, i64Const(b, loc, attr.getIntRange().qmin));
    Value scaled = arith::MulFOp::create(
        b, loc, scale,
        arith::SIToFPOp::create(b, loc, b.getF32Type(), diff));
    return arith::AddFOp::create(b, loc, scaled,
                                 getParam(b, loc, args, p.minValue));
  }
  Value diff = arith::SubIOp::create(b, loc, wide,
                                     getParam(b, loc, args, p.zeroPointI64));
  return arith::MulFOp::create(
      b, loc, scale, arith::SIToFPOp::create(b, loc, b.getF32Type(), diff));
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct QuantizeLowering : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ElementwiseBuilder eb(rewriter, loc, op.getInput());
    ParamSet p = addParams(rewriter, loc, eb, op.getParams(), true);
    QuantizeMode mode{toNumerics(op.getRounding()), op.getSaturate(),
                      op.getDivisionPrecision()};
    Value result = eb.build(
        op.getParams().getStoredElementType(),
        [&](OpBuilder &b, Location l, ValueRange args) {
          return emitQuantize(b, l, args, p, emitToF32(b, l, args[0]), mode);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Extracts element `index` (along the packed dimension) from a byte holding
/// 8 / bits of them, lowest bits first, as an integer of `bits` bits.
Value emitUnpack(OpBuilder &b, Location loc, Value byte, Value index,
                 unsigned bits) {
  Type i32 = b.getI32Type();
  Value lane = arith::RemUIOp::create(
      b, loc, arith::IndexCastUIOp::create(b, loc, i32, index),
      i32Const(b, loc, 8 / bits));
  Value shift = arith::MulIOp::create(b, loc, lane, i32Const(b, loc, bits));
  Value wide = arith::ExtUIOp::create(b, loc, i32, byte);
  Value field = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, wide, shift),
      i32Const(b, loc, (1 << bits) - 1));
  return arith::TruncIOp::create(b, loc, b.getIntegerType(bits), field);
}

struct DequantizeLowering : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    unsigned rank = resultType.getRank();
    bool packed = op.getPacked(), flat = op.getPackedFlat();
    unsigned bits = num::getStorageBitWidth(op.getParams().getStorageKind());
    AffineMap sourceMap = rewriter.getMultiDimIdentityMap(rank);
    // The row-major index of the element (packed_flat).
    AffineExpr linear = rewriter.getAffineConstantExpr(0);
    for (unsigned d = 0; d < rank; ++d)
      linear = linear * resultType.getDimSize(d) + rewriter.getAffineDimExpr(d);
    if (packed) {
      SmallVector<AffineExpr> exprs;
      for (unsigned d = 0; d < rank; ++d)
        exprs.push_back(d + 1 == rank
                            ? rewriter.getAffineDimExpr(d).floorDiv(8 / bits)
                            : rewriter.getAffineDimExpr(d));
      sourceMap = AffineMap::get(rank, 0, exprs, rewriter.getContext());
    } else if (flat) {
      sourceMap = AffineMap::get(rank, 0, linear.floorDiv(8 / bits));
    }
    ElementwiseBuilder eb(rewriter, loc, op.getInput(), resultType.getShape(),
                          sourceMap);
    ParamSet p = addParams(rewriter, loc, eb, op.getParams(), false);
    Type expressed = op.getParams().getExpressedType();
    Value result =
        eb.build(expressed, [&](OpBuilder &b, Location l, ValueRange args) {
          Value q = args[0];
          if (packed)
            q = emitUnpack(b, l, q, linalg::IndexOp::create(b, l, rank - 1),
                           bits);
          if (flat) {
            // The row-major index; only its remainder by 8 / bits counts.
            Value index = arith::ConstantIndexOp::create(b, l, 0);
            for (unsigned d = 0; d < rank; ++d) {
              Value size = arith::ConstantIndexOp::create(
                  b, l, resultType.getDimSize(d));
              index = arith::AddIOp::create(
                  b, l, arith::MulIOp::create(b, l, index, size),
                  linalg::IndexOp::create(b, l, d));
            }
            q = emitUnpack(b, l, q, index, bits);
          }
          return emitFromF32(b, l, emitDequantize(b, l, args, p, q),
                             expressed);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct FakeQuantLowering : OpRewritePattern<FakeQuantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FakeQuantOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ElementwiseBuilder eb(rewriter, loc, op.getInput());
    ParamsAttr attr = op.getParams();
    ParamSet pq = addParams(rewriter, loc, eb, attr, true);
    ParamSet pd = addParams(rewriter, loc, eb, attr, false);
    QuantizeMode mode{toNumerics(op.getRounding())};
    Type expressed = attr.getExpressedType();
    Value result =
        eb.build(expressed, [&](OpBuilder &b, Location l, ValueRange args) {
          Value q = emitQuantize(b, l, args, pq, emitToF32(b, l, args[0]), mode);
          return emitFromF32(b, l, emitDequantize(b, l, args, pd, q),
                             expressed);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct RequantizeLowering : OpRewritePattern<RequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RequantizeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ParamsAttr in = op.getInParams(), out = op.getOutParams();
    // One group array of the finer of the two granularities.
    num::Granularity g =
        in.isPerTensor() ? out.getGranularity() : in.getGranularity();
    size_t n = std::max(in.getScales().size(), out.getScales().size());
    auto pick = [](ParamsAttr attr, size_t i) {
      return attr.isPerTensor() ? size_t(0) : i;
    };
    SmallVector<int64_t> zIn, zOut, multipliers, shifts;
    SmallVector<float> floatMultipliers;
    bool fixedPoint = op.getMode() != RequantMode::float32;
    bool doubleRound = op.getMode() == RequantMode::fixed_point_double_round;
    for (size_t i = 0; i < n; ++i) {
      float sIn = in.getScales()[pick(in, i)];
      float sOut = out.getScales()[pick(out, i)];
      zIn.push_back(in.getZeroPoint(pick(in, i)));
      zOut.push_back(out.getZeroPoint(pick(out, i)));
      if (fixedPoint) {
        num::FixedPointMultiplier m = op.getFixedPointMultiplier(i);
        multipliers.push_back(m.multiplier);
        shifts.push_back(m.shift);
      } else {
        floatMultipliers.push_back(num::computeFloatMultiplier(sIn, sOut));
      }
    }

    bool inSigned = num::isSignedStorage(in.getStorageKind());
    // The float path from an input zero point of 0 (an accumulator) and a
    // storage whose values i32 holds: q - z_in is q, and converting it from
    // i32 gives the bits of converting it from i64 (one rounding of the same
    // integer), with 16 lanes per conversion instead of 8.
    unsigned inWidth = cast<IntegerType>(in.getStoredElementType()).getWidth();
    bool directIn = !fixedPoint &&
                    llvm::all_of(zIn, [](int64_t z) { return z == 0; }) &&
                    (inSigned ? inWidth <= 32 : inWidth < 32);
    ElementwiseBuilder eb(rewriter, loc, op.getInput());
    ParamValue pzIn = directIn ? ParamValue() : eb.addI64Param(g, zIn);
    ParamValue pzOut = fixedPoint ? eb.addI64Param(g, zOut) : ParamValue();
    ParamValue pzOutF;
    if (!fixedPoint) {
      SmallVector<float> zf(zOut.begin(), zOut.end());
      pzOutF = eb.addF32Param(g, zf);
    }
    ParamValue pMul = fixedPoint ? eb.addI64Param(g, multipliers)
                                 : eb.addF32Param(g, floatMultipliers);
    ParamValue pShift = fixedPoint ? eb.addI64Param(g, shifts) : ParamValue();
    num::IntRange outRange = out.getIntRange();
    Type storedOut = out.getStoredElementType();

    Value result = eb.build(
        storedOut, [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          // q - z_in: from i32 when directIn, else in i64.
          Value v;
          if (directIn) {
            v = args[0];
            if (inWidth < 32)
              v = inSigned ? arith::ExtSIOp::create(b, l, b.getI32Type(), v)
                                 .getResult()
                           : arith::ExtUIOp::create(b, l, b.getI32Type(), v)
                                 .getResult();
          } else {
            v = arith::SubIOp::create(b, l, emitWiden(b, l, args[0], inSigned),
                                      getParam(b, l, args, pzIn));
          }
          if (!fixedPoint) {
            // num::requantizeFloat.
            Value scaled = arith::MulFOp::create(
                b, l, arith::SIToFPOp::create(b, l, b.getF32Type(), v),
                getParam(b, l, args, pMul));
            Value r = math::RoundEvenOp::create(b, l, scaled);
            Value w =
                arith::AddFOp::create(b, l, r, getParam(b, l, args, pzOutF));
            return emitSaturate(b, l, w, outRange, storedOut);
          }
          // num::requantizeFixedPoint.
          Value shift = getParam(b, l, args, pShift);
          Value product =
              arith::MulIOp::create(b, l, v, getParam(b, l, args, pMul));
          Value half = arith::ShLIOp::create(
              b, l, i64Const(b, l, 1),
              arith::SubIOp::create(b, l, shift, i64Const(b, l, 1)));
          if (doubleRound) {
            // +-2^30 when shift > 31, by the sign of v.
            Value nonNegative = arith::CmpIOp::create(
                b, l, arith::CmpIPredicate::sge, v, i64Const(b, l, 0));
            Value nudge = arith::SelectOp::create(
                b, l, nonNegative, i64Const(b, l, int64_t(1) << 30),
                i64Const(b, l, -(int64_t(1) << 30)));
            Value wide = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt,
                                               shift, i64Const(b, l, 31));
            half = arith::AddIOp::create(
                b, l, half,
                arith::SelectOp::create(b, l, wide, nudge, i64Const(b, l, 0)));
          }
          Value shifted = arith::ShRSIOp::create(
              b, l, arith::AddIOp::create(b, l, product, half), shift);
          Value w =
              arith::AddIOp::create(b, l, shifted, getParam(b, l, args, pzOut));
          w = arith::MaxSIOp::create(b, l, w, i64Const(b, l, outRange.qmin));
          w = arith::MinSIOp::create(b, l, w, i64Const(b, l, outRange.qmax));
          return arith::TruncIOp::create(b, l, storedOut, w);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A group's range from its finite extremes (+inf / -inf when it has no
/// finite element): such a group behaves as all zeros.
static std::pair<Value, Value> emitGroupRange(OpBuilder &b, Location l,
                                              Value lo, Value hi) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  Value zero = f32Const(b, l, 0.0f);
  lo = arith::SelectOp::create(b, l,
                               arith::CmpFOp::create(b, l,
                                                     arith::CmpFPredicate::OEQ,
                                                     lo, f32Const(b, l, inf)),
                               zero, lo);
  hi = arith::SelectOp::create(b, l,
                               arith::CmpFOp::create(b, l,
                                                     arith::CmpFPredicate::OEQ,
                                                     hi, f32Const(b, l, -inf)),
                               zero, hi);
  return {lo, hi};
}

/// max(|lo|, |hi|).
static Value emitAbsMax(OpBuilder &b, Location l, Value lo, Value hi) {
  return arith::MaximumFOp::create(b, l, math::AbsFOp::create(b, l, lo),
                                   math::AbsFOp::create(b, l, hi));
}

/// qnt.dynamic_quantize: a reduction for the range, a generic that solves the
/// parameters (num::solveFromRange for symmetric/asymmetric integer
/// storage, in the same float32 operations), and the quantization itself.
struct DynamicQuantizeLowering : OpRewritePattern<DynamicQuantizeOp> {
  // The block form rewrites into the per-row form (lowerBlocks).
  DynamicQuantizeLowering(MLIRContext *ctx) : OpRewritePattern(ctx) {
    setHasBoundedRewriteRecursion();
  }
  LogicalResult matchAndRewrite(DynamicQuantizeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value x = op.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    unsigned rank = xType.getRank();
    num::SolverOptions options = op.getSolverOptions();
    // (nvfp4's elements are E2M1 values; lowerNvFp4 stores them doubled.)
    num::IntRange range = options.scheme == num::Scheme::NvFp4
                              ? num::IntRange{-12, 12}
                              : options.getIntRange();
    Type f32 = b.getF32Type(), i32 = b.getI32Type();

    if (op.getBlock())
      return lowerBlocks(op, rewriter);
    // Parameter shape and the map from the input's loops to it.
    SmallVector<int64_t> paramShape = op.getParamShape();
    unsigned paramRank = paramShape.size();
    SmallVector<Value> paramDynDims;
    for (unsigned d = 0; d < paramRank; ++d)
      if (ShapedType::isDynamic(paramShape[d]))
        paramDynDims.push_back(tensor::DimOp::create(b, loc, x, d));
    SmallVector<AffineExpr> paramExprs;
    for (unsigned d = 0; d < paramRank; ++d)
      paramExprs.push_back(b.getAffineDimExpr(d));
    AffineMap paramMap = AffineMap::get(rank, 0, paramExprs, b.getContext());
    AffineMap identity = b.getMultiDimIdentityMap(rank);
    auto emptyParams = [&](Type t) -> Value {
      return tensor::EmptyOp::create(b, loc, paramShape, t, paramDynDims);
    };
    auto filled = [&](float v) -> Value {
      return linalg::FillOp::create(b, loc, ValueRange{f32Const(b, loc, v)},
                                    ValueRange{emptyParams(f32)})
          .getResult(0);
    };
    constexpr float inf = std::numeric_limits<float>::infinity();

    // 1. Range of the finite elements.
    SmallVector<utils::IteratorType> rangeIters(rank,
                                                utils::IteratorType::reduction);
    for (unsigned d = 0; d < paramRank; ++d)
      rangeIters[d] = utils::IteratorType::parallel;
    auto rangeOp = linalg::GenericOp::create(
        b, loc, TypeRange{emptyParams(f32).getType(), emptyParams(f32).getType()},
        ValueRange{x}, ValueRange{filled(inf), filled(-inf)},
        ArrayRef<AffineMap>{identity, paramMap, paramMap}, rangeIters,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value isFinite = arith::CmpFOp::create(
              nb, l, arith::CmpFPredicate::OLT,
              math::AbsFOp::create(nb, l, args[0]), f32Const(nb, l, inf));
          Value mn = arith::SelectOp::create(
              nb, l, isFinite, arith::MinimumFOp::create(nb, l, args[1], args[0]),
              args[1]);
          Value mx = arith::SelectOp::create(
              nb, l, isFinite, arith::MaximumFOp::create(nb, l, args[2], args[0]),
              args[2]);
          linalg::YieldOp::create(nb, l, ValueRange{mn, mx});
        });

    if (options.scheme == num::Scheme::NvFp4)
      return lowerNvFp4(op, rewriter, rangeOp.getResult(0),
                        rangeOp.getResult(1), paramMap, emptyParams);

    // 2. Parameters, as num::solveFromRange.
    AffineMap paramIdentity = b.getMultiDimIdentityMap(paramRank);
    SmallVector<utils::IteratorType> paramIters(paramRank,
                                                utils::IteratorType::parallel);
    Value zpInit = tensor::EmptyOp::create(b, loc, paramShape, i32, paramDynDims);
    auto solveOp = linalg::GenericOp::create(
        b, loc,
        TypeRange{emptyParams(f32).getType(), zpInit.getType(),
                  emptyParams(f32).getType()},
        ValueRange{rangeOp.getResult(0), rangeOp.getResult(1)},
        ValueRange{emptyParams(f32), zpInit, emptyParams(f32)},
        SmallVector<AffineMap>(5, paramIdentity), paramIters,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          // A group without finite elements behaves as all zeros.
          Value zero = f32Const(nb, l, 0.0f);
          auto [rmin, rmax] = emitGroupRange(nb, l, args[0], args[1]);
          float levels = static_cast<float>(range.qmax - range.qmin);
          Value raw, isZero, lo;
          if (options.scheme == num::Scheme::Mx) {
            // num::getMxSharedExponent and getMxScale (MXINT8): 2^(e - 6).
            Value amax = emitAbsMax(nb, l, rmin, rmax);
            Value scale = emitMxInt8Scale(nb, l, amax);
            Value zpf = zero;
            Value zp = arith::FPToSIOp::create(nb, l, nb.getI32Type(), zpf);
            linalg::YieldOp::create(nb, l, ValueRange{scale, zp, zpf});
            return;
          }
          if (options.scheme == num::Scheme::Asymmetric) {
            lo = arith::MinimumFOp::create(nb, l, rmin, zero);
            Value hi = arith::MaximumFOp::create(nb, l, rmax, zero);
            raw = arith::DivFOp::create(nb, l,
                                        arith::SubFOp::create(nb, l, hi, lo),
                                        f32Const(nb, l, levels));
            isZero = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                           hi, lo);
          } else {
            Value amax = emitAbsMax(nb, l, rmin, rmax);
            raw = arith::DivFOp::create(nb, l, amax,
                                        f32Const(nb, l, levels / 2.0f));
            isZero = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                           amax, zero);
          }
          // num::clampScale.
          Value scale = arith::SelectOp::create(
              nb, l, isZero, f32Const(nb, l, 1.0f),
              arith::MaximumFOp::create(nb, l, raw,
                                        f32Const(nb, l, FLT_MIN)));
          Value zpf;
          if (options.scheme == num::Scheme::Asymmetric) {
            zpf = arith::SubFOp::create(
                nb, l, f32Const(nb, l, static_cast<float>(range.qmin)),
                math::RoundEvenOp::create(
                    nb, l, arith::DivFOp::create(nb, l, lo, scale)));
            zpf = arith::MaximumFOp::create(
                nb, l, zpf, f32Const(nb, l, static_cast<float>(range.qmin)));
            zpf = arith::MinimumFOp::create(
                nb, l, zpf, f32Const(nb, l, static_cast<float>(range.qmax)));
          } else {
            int64_t mid = num::isSignedStorage(options.storage)
                              ? 0
                              : (range.qmin + range.qmax + 1) / 2;
            zpf = f32Const(nb, l, static_cast<float>(mid));
          }
          Value zp = arith::FPToSIOp::create(nb, l, nb.getI32Type(), zpf);
          linalg::YieldOp::create(nb, l, ValueRange{scale, zp, zpf});
        });

    // 3. Quantize with the solved parameters.
    ElementwiseBuilder eb(b, loc, x);
    Type storedType = op.getResult().getType().getElementType();
    Value q = eb.buildWithTensors(
        storedType, {solveOp.getResult(0), solveOp.getResult(2)},
        {paramMap, paramMap},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value y = emitApplyInverseScale(nb, l, args[0], args[1],
                                          num::RoundingMode::HalfEven);
          return emitRoundOffsetSaturate(nb, l, y, args[2], range, storedType,
                                         num::RoundingMode::HalfEven);
        });
    rewriter.replaceOp(op, {q, solveOp.getResult(0), solveOp.getResult(1)});
    return success();
  }

  /// The nvfp4 scheme per row (the block form has become rows), from the
  /// rows' finite ranges `rmin` and `rmax` (+-inf without finite
  /// elements): the tensor scale G (the attribute, or num::
  /// getNvFp4TensorScale of the largest finite magnitude, a reduction over
  /// the rows' ranges), each row's s = G * s_b (num::getNvFp4BlockScale and
  /// getNvFp4Scale), and the elements e2m1(x / s) (num::quantizeToFloat)
  /// returned doubled as integers, with the scales s / 2.
  static LogicalResult lowerNvFp4(DynamicQuantizeOp op, PatternRewriter &b,
                                  Value rmin, Value rmax, AffineMap paramMap,
                                  llvm::function_ref<Value(Type)> emptyParams) {
    Location loc = op.getLoc();
    Value x = op.getInput();
    Type f32 = b.getF32Type(), i32 = b.getI32Type();
    unsigned paramRank = paramMap.getNumResults();
    AffineMap paramIdentity = b.getMultiDimIdentityMap(paramRank);
    SmallVector<utils::IteratorType> paramIters(paramRank,
                                                utils::IteratorType::parallel);
    // A row's largest finite magnitude, 0 without finite elements.
    auto emitAmax = [](OpBuilder &nb, Location l, Value lo, Value hi) {
      auto [groupLo, groupHi] = emitGroupRange(nb, l, lo, hi);
      return emitAbsMax(nb, l, groupLo, groupHi);
    };
    Value g;
    if (float given = op.getSolverOptions().tensorScale; given > 0.0f) {
      g = f32Const(b, loc, given);
    } else {
      auto scalarType = RankedTensorType::get({}, f32);
      Value init =
          linalg::FillOp::create(b, loc, ValueRange{f32Const(b, loc, 0.0f)},
                                 ValueRange{tensor::EmptyOp::create(
                                     b, loc, ArrayRef<int64_t>{}, f32)})
              .getResult(0);
      auto reduce = linalg::GenericOp::create(
          b, loc, TypeRange{scalarType}, ValueRange{rmin, rmax},
          ValueRange{init},
          ArrayRef<AffineMap>{paramIdentity, paramIdentity,
                              AffineMap::get(paramRank, 0, b.getContext())},
          SmallVector<utils::IteratorType>(paramRank,
                                           utils::IteratorType::reduction),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value amax = emitAmax(nb, l, args[0], args[1]);
            linalg::YieldOp::create(
                nb, l,
                ValueRange{arith::MaximumFOp::create(nb, l, args[2], amax)});
          });
      Value amax =
          tensor::ExtractOp::create(b, loc, reduce.getResult(0), ValueRange{});
      // num::getNvFp4TensorScale: amax / (448 * 6), at least the smallest
      // subnormal, 1 for an all-zero tensor.
      Value raw =
          arith::DivFOp::create(b, loc, amax, f32Const(b, loc, 2688.0f));
      raw = arith::SelectOp::create(
          b, loc,
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, raw,
                                f32Const(b, loc, 0.0f)),
          raw, f32Const(b, loc, std::numeric_limits<float>::denorm_min()));
      g = arith::SelectOp::create(
          b, loc,
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, amax,
                                f32Const(b, loc, 0.0f)),
          f32Const(b, loc, 1.0f), raw);
    }
    Value zpInit = emptyParams(i32);
    auto solveOp = linalg::GenericOp::create(
        b, loc,
        TypeRange{emptyParams(f32).getType(), zpInit.getType(),
                  emptyParams(f32).getType()},
        ValueRange{rmin, rmax},
        ValueRange{emptyParams(f32), zpInit, emptyParams(f32)},
        SmallVector<AffineMap>(5, paramIdentity), paramIters,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value amax = emitAmax(nb, l, args[0], args[1]);
          // num::getNvFp4BlockScale, then num::getNvFp4Scale.
          Value scaled = arith::DivFOp::create(
              nb, l, arith::DivFOp::create(nb, l, amax, f32Const(nb, l, 6.0f)),
              g);
          scaled = arith::MinimumFOp::create(
              nb, l,
              arith::MaximumFOp::create(nb, l, scaled,
                                        f32Const(nb, l, 0.015625f)),
              f32Const(nb, l, 448.0f));
          Value blockScale =
              emitRoundToMiniFloat(nb, l, scaled, num::StorageKind::F8E4M3FN);
          Value scale = arith::MulFOp::create(nb, l, g, blockScale);
          Value half =
              arith::MulFOp::create(nb, l, scale, f32Const(nb, l, 0.5f));
          linalg::YieldOp::create(nb, l,
                                  ValueRange{half, i32Const(nb, l, 0), scale});
        });
    ElementwiseBuilder eb(b, loc, x);
    Type storedType = op.getResult().getType().getElementType();
    Value q = eb.buildWithTensors(
        storedType, {solveOp.getResult(2)}, {paramMap},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value y = emitApplyInverseScale(nb, l, args[0], args[1],
                                          num::RoundingMode::HalfEven);
          Value v = emitRoundToMiniFloat(nb, l, y, num::StorageKind::F4E2M1FN);
          // NaN has no E2M1 code: 0 (num::encodeFloatSaturating).
          v = arith::SelectOp::create(nb, l, emitIsNaN(nb, l, v),
                                      f32Const(nb, l, 0.0f), v);
          Value twice = arith::MulFOp::create(nb, l, v, f32Const(nb, l, 2.0f));
          return arith::TruncIOp::create(
                     nb, l, storedType,
                     arith::FPToSIOp::create(nb, l, nb.getI32Type(), twice))
              .getResult();
        });
    b.replaceOp(op, {q, solveOp.getResult(0), solveOp.getResult(1)});
    return success();
  }

  /// Per block of B: the input, padded with zeros to whole blocks, as
  /// [..., G, B] quantized per row (the per-row lowering, which
  /// qnt-vectorize-elementwise vectorizes), then collapsed and sliced back.
  /// A zero never changes a block's parameters: the asymmetric range always
  /// contains 0, the symmetric one is |x|'s maximum, and a block without
  /// finite elements already solves as zeros.
  static LogicalResult lowerBlocks(DynamicQuantizeOp op,
                                   PatternRewriter &b) {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t rank = xType.getRank(), block = *op.getBlock();
    int64_t d = xType.getShape().back();
    int64_t groups = num::getNumBlocks(d, block);
    Type f32 = b.getF32Type();
    if (groups * block != d) {
      SmallVector<OpFoldResult> low(rank, b.getIndexAttr(0)),
          high(rank, b.getIndexAttr(0));
      high.back() = b.getIndexAttr(groups * block - d);
      SmallVector<int64_t> padded(xType.getShape());
      padded.back() = groups * block;
      x = tensor::PadOp::create(b, loc, RankedTensorType::get(padded, f32), x,
                                low, high, f32Const(b, loc, 0.0f));
    }
    SmallVector<int64_t> expandedShape(xType.getShape().drop_back());
    expandedShape.append({groups, block});
    SmallVector<OpFoldResult> outputShape;
    for (int64_t i = 0; i + 1 < rank; ++i)
      outputShape.push_back(
          xType.isDynamicDim(i)
              ? OpFoldResult(tensor::DimOp::create(b, loc, x, i).getResult())
              : OpFoldResult(b.getIndexAttr(xType.getDimSize(i))));
    outputShape.append({b.getIndexAttr(groups), b.getIndexAttr(block)});
    SmallVector<ReassociationIndices> reassociation;
    for (int64_t i = 0; i + 1 < rank; ++i)
      reassociation.push_back({i});
    reassociation.push_back({rank - 1, rank});
    Value expanded = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(expandedShape, f32), x, reassociation,
        outputShape);
    Type stored = op.getResult().getType().getElementType();
    auto perRow = DynamicQuantizeOp::create(
        b, loc,
        TypeRange{RankedTensorType::get(expandedShape, stored),
                  op.getScales().getType(), op.getZeroPoints().getType()},
        expanded, op.getStorageAttr(), op.getSchemeAttr(), b.getUnitAttr(),
        IntegerAttr(), op.getTensorScaleAttr());
    SmallVector<int64_t> collapsedShape(xType.getShape());
    collapsedShape.back() = groups * block;
    Value q = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get(collapsedShape, stored),
        perRow.getResult(), reassociation);
    if (groups * block != d) {
      SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)),
          sizes, strides(rank, b.getIndexAttr(1));
      for (int64_t i = 0; i < rank; ++i)
        sizes.push_back(
            xType.isDynamicDim(i)
                ? OpFoldResult(tensor::DimOp::create(b, loc, q, i).getResult())
                : OpFoldResult(b.getIndexAttr(xType.getDimSize(i))));
      q = tensor::ExtractSliceOp::create(b, loc, op.getResult().getType(), q,
                                         offsets, sizes, strides);
    }
    b.replaceOp(op, {q, perRow.getScales(), perRow.getZeroPoints()});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct ConvertQntToLinalgPass
    : quantopt::impl::ConvertQntToLinalgBase<ConvertQntToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalDialect<QntDialect>();
    // Kernels built before this pass (weight-only, f32) are already code;
    // bufferization inlines them.
    target.addLegalOp<KernelOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void quantopt::populateQntToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<QuantizeLowering, DequantizeLowering, FakeQuantLowering,
               RequantizeLowering, DynamicQuantizeLowering>(
      patterns.getContext());
  populateContractToLinalgPatterns(patterns);
}
