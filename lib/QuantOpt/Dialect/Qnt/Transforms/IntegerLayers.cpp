//===- IntegerLayers.cpp - Integer kernels for linalg layers --------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// For a layer y = c + sum(x * w) with x ~ s_x (q_x - z_x) and w ~ s_w q_w
// (weights symmetric, z_w = 0):
//
//   acc = sum(q_x * q_w)                       (i32, in the reduction loop)
//   y   = c + float(acc - z_x * sum(q_w)) * (s_x * s_w)    (epilogue)
//
// sum(q_w) over the reduced weight dimensions is a compile-time constant, so
// no zero-point arithmetic happens inside the reduction.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/IntegerLayers.h"

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallBitVector.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>

using namespace mlir;
using namespace quantopt;
namespace num = quantopt::numerics;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The output axis that loop dimension `dim` indexes, if any.
static std::optional<unsigned> getOutputAxis(AffineMap outputMap,
                                             unsigned dim) {
  for (auto [axis, expr] : llvm::enumerate(outputMap.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(expr); d && d.getPosition() == dim)
      return axis;
  return std::nullopt;
}

static Value widen(OpBuilder &b, Location loc, Value v, bool isSigned) {
  Type i32 = b.getI32Type();
  if (v.getType() == i32)
    return v;
  if (isSigned)
    return arith::ExtSIOp::create(b, loc, i32, v);
  return arith::ExtUIOp::create(b, loc, i32, v);
}

/// Marks the epilogue of a static integer layer (see
/// chainFromQuantizedProducer).
static constexpr llvm::StringLiteral kEpilogueAttrName = "qnt.static_epilogue";

/// Whether `v` broadcasts a constant 1-D bias along the last dimension (how
/// TOSA's lowering initializes convolutions and matmuls); returns the bias.
static DenseElementsAttr getBroadcastBias(Value v) {
  auto generic = v.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return {};
  unsigned rank = generic.getNumLoops();
  AffineMap in = generic.getMatchingIndexingMap(generic.getDpsInputOperand(0));
  AffineMap out = generic.getMatchingIndexingMap(generic.getDpsInitOperand(0));
  DenseElementsAttr bias;
  Block &body = generic.getRegion().front();
  if (!out.isIdentity() || in.getNumResults() != 1 ||
      in.getResult(0) != getAffineDimExpr(rank - 1, generic.getContext()) ||
      !matchPattern(generic.getDpsInputOperand(0)->get(), m_Constant(&bias)) ||
      !isa<FloatType>(bias.getElementType()) ||
      body.getOperations().size() != 1 ||
      body.getTerminator()->getOperand(0) != body.getArgument(0))
    return {};
  return bias;
}

/// Whether `v` is a float tensor of zeros (a zero constant or a zero fill).
static bool isZeroFill(Value v) {
  if (auto fill = v.getDefiningOp<linalg::FillOp>()) {
    FloatAttr value;
    return matchPattern(fill.getInputs()[0], m_Constant(&value)) &&
           value.getValue().isZero();
  }
  DenseElementsAttr value;
  return matchPattern(v, m_Constant(&value)) && value.isSplat() &&
         isa<FloatType>(value.getElementType()) &&
         value.getSplatValue<APFloat>().isZero();
}

/// Matches `x = relu?(epilogue + bias?)` where `epilogue` is a static integer
/// layer's epilogue and the element-wise op is a linalg.generic adding a
/// constant per-channel bias (last dimension) and/or applying max(., 0).
struct ChainableProducer {
  linalg::GenericOp epilogue;
  linalg::GenericOp biasRelu; // may be null
  DenseElementsAttr bias;     // may be null
  /// A clamp (ReLU: lower bound 0; ReLU6: [0, 6]) applied after the bias.
  std::optional<float> clampLow, clampHigh;
  /// How many element-wise generics (bias, clamps) were folded.
  unsigned numSteps = 0;
  /// Ops between the bias/ReLU (or epilogue) and the layer input that carry
  /// the quantization parameters unchanged: zero padding, max pooling,
  /// reshapes. Innermost first.
  SmallVector<Operation *> passThrough;
};

/// Whether `op` moves values without changing them in a way quantization
/// cares about: quantizing before or after it gives the same result. Max
/// pooling qualifies when its init is a fill of -inf or the lowest float.
static bool isScalePreserving(Operation *op) {
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, linalg::TransposeOp>(
          op))
    return true;
  if (auto pad = dyn_cast<tensor::PadOp>(op)) {
    FloatAttr value;
    Value padValue = pad.getConstantPaddingValue();
    return padValue && matchPattern(padValue, m_Constant(&value)) &&
           value.getValue().isZero();
  }
  if (auto pool = dyn_cast<linalg::PoolingNhwcMaxOp>(op)) {
    // The init must be a fill of -inf (or the lowest float, as TOSA's
    // lowering uses): max is then exactly the window's maximum for finite
    // inputs.
    auto fill = pool.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
    FloatAttr value;
    auto outType = cast<RankedTensorType>(pool->getResult(0).getType());
    return fill && matchPattern(fill.getInputs()[0], m_Constant(&value)) &&
           value.getValue().isNegative() &&
           (value.getValue().isInfinity() ||
            value.getValue() == APFloat::getLargest(
                                    value.getValue().getSemantics(), true)) &&
           llvm::all_of(outType.getShape().drop_front(),
                        [](int64_t d) { return !ShapedType::isDynamic(d); });
  }
  return false;
}

/// One element-wise generic of a chain: `clamp?(in + bias?)` on its first
/// input, with a constant bias broadcast along the last dimension (a 1-D
/// constant, or one whose other dimensions are read at index 0).
struct ElementwiseStep {
  DenseElementsAttr bias;
  std::optional<float> clampLow, clampHigh;
};

/// A float value that is the same everywhere: a splat constant or a fill of a
/// constant (how named element-wise ops spell ReLU's 0).
static std::optional<float> getUniformOperand(Value v) {
  FloatAttr scalar;
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    if (matchPattern(fill.getInputs()[0], m_Constant(&scalar)))
      return scalar.getValue().convertToFloat();
  DenseElementsAttr values;
  if (matchPattern(v, m_Constant(&values)) && values.isSplat() &&
      isa<FloatType>(values.getElementType()))
    return values.getSplatValue<APFloat>().convertToFloat();
  return std::nullopt;
}

/// A constant bias along the last of `rank` dimensions read through `map`: a
/// constant whose other dimensions are read at index 0 (a constant 0, or a
/// dimension of size 1), or a linalg.broadcast of a 1-D constant over every
/// other dimension (how named element-wise ops spell a bias). Returned 1-D.
static DenseElementsAttr getBiasOperand(Value v, AffineMap map, unsigned rank) {
  MLIRContext *ctx = map.getContext();
  if (map.getNumResults() < 1 ||
      map.getResults().back() != getAffineDimExpr(rank - 1, ctx))
    return {};
  DenseElementsAttr bias;
  if (auto broadcast = v.getDefiningOp<linalg::BroadcastOp>()) {
    if (!map.isIdentity() ||
        !matchPattern(broadcast.getInput(), m_Constant(&bias)) ||
        cast<RankedTensorType>(bias.getType()).getRank() != 1 ||
        llvm::is_contained(broadcast.getDimensions(), int64_t(rank - 1)))
      return {};
  } else {
    if (!matchPattern(v, m_Constant(&bias)))
      return {};
    auto biasType = cast<RankedTensorType>(bias.getType());
    for (auto [i, e] : llvm::enumerate(map.getResults().drop_back()))
      if (e != getAffineConstantExpr(0, ctx) && biasType.getDimSize(i) != 1)
        return {};
  }
  if (!isa<FloatType>(bias.getElementType()))
    return {};
  auto biasType = cast<RankedTensorType>(bias.getType());
  return bias.reshape(RankedTensorType::get({biasType.getShape().back()},
                                            biasType.getElementType()));
}

static std::optional<ElementwiseStep> parseElementwise(linalg::GenericOp generic) {
  auto resultType = cast<RankedTensorType>(generic->getResult(0).getType());
  if (generic->getNumResults() != 1 || generic.getNumDpsInits() != 1 ||
      generic.getNumDpsInputs() < 1 || generic.getNumDpsInputs() > 2 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !resultType.getElementType().isF32() ||
      !generic.getMatchingIndexingMap(generic.getDpsInputOperand(0))
           .isIdentity() ||
      !generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
           .isIdentity())
    return std::nullopt;
  ElementwiseStep step;
  Block &body = generic.getRegion().front();
  Value current = body.getArgument(0);
  // The second input: a uniform value (a bound or a scalar bias) or a bias.
  std::optional<float> uniform;
  DenseElementsAttr bias;
  if (generic.getNumDpsInputs() == 2) {
    OpOperand *other = generic.getDpsInputOperand(1);
    uniform = getUniformOperand(other->get());
    if (!uniform)
      bias = getBiasOperand(other->get(), generic.getMatchingIndexingMap(other),
                            generic.getNumLoops());
    if (!uniform && !bias)
      return std::nullopt;
  }
  Value otherArg =
      generic.getNumDpsInputs() == 2 ? body.getArgument(1) : Value();
  // The operand of `op` that is not `in`, as a constant or the uniform input.
  auto otherOf = [&](Operation *op, Value in) -> std::optional<float> {
    Value lhs = op->getOperand(0), rhs = op->getOperand(1);
    if (lhs != in && rhs != in)
      return std::nullopt;
    Value o = lhs == in ? rhs : lhs;
    if (o == otherArg && uniform)
      return uniform;
    FloatAttr bound;
    if (!matchPattern(o, m_Constant(&bound)))
      return std::nullopt;
    return bound.getValue().convertToFloat();
  };
  bool usedOther = !otherArg;
  for (Operation &op : body.without_terminator()) {
    if (isa<arith::ConstantOp>(op))
      continue;
    if (auto add = dyn_cast<arith::AddFOp>(op)) {
      // At most one bias, before any clamp.
      if (step.bias || step.clampLow || step.clampHigh || !otherArg)
        return std::nullopt;
      if (!((add.getLhs() == current && add.getRhs() == otherArg) ||
            (add.getRhs() == current && add.getLhs() == otherArg)))
        return std::nullopt;
      step.bias = bias ? bias
                       : DenseElementsAttr::get(
                             RankedTensorType::get({1}, resultType.getElementType()),
                             ArrayRef<float>{*uniform});
      usedOther = true;
    } else if (isa<arith::MaximumFOp>(op) && !step.clampLow) {
      step.clampLow = otherOf(&op, current);
      if (!step.clampLow)
        return std::nullopt;
      usedOther |= llvm::is_contained(op.getOperands(), otherArg);
    } else if (isa<arith::MinimumFOp>(op) && !step.clampHigh) {
      step.clampHigh = otherOf(&op, current);
      if (!step.clampHigh)
        return std::nullopt;
      usedOther |= llvm::is_contained(op.getOperands(), otherArg);
    } else {
      return std::nullopt;
    }
    current = op.getResult(0);
  }
  if (body.getTerminator()->getOperand(0) != current || !usedOther)
    return std::nullopt;
  return step;
}

static std::optional<ChainableProducer> matchChainable(Value x) {
  ChainableProducer p;
  while (Operation *def = x.getDefiningOp()) {
    if (!isScalePreserving(def))
      break;
    p.passThrough.push_back(def);
    x = def->getOperand(0);
  }
  std::reverse(p.passThrough.begin(), p.passThrough.end());
  // Element-wise steps, outermost first, down to the epilogue.
  SmallVector<ElementwiseStep> steps;
  while (true) {
    auto generic = x.getDefiningOp<linalg::GenericOp>();
    if (!generic || generic->getNumResults() != 1)
      return std::nullopt;
    if (generic->hasAttr(kEpilogueAttrName)) {
      p.epilogue = generic;
      break;
    }
    std::optional<ElementwiseStep> step = parseElementwise(generic);
    if (!step || steps.size() == 4)
      return std::nullopt;
    if (!p.biasRelu)
      p.biasRelu = generic;
    steps.push_back(*step);
    x = generic.getDpsInputOperand(0)->get();
  }
  p.numSteps = steps.size();
  // Apply innermost first: one bias, before every clamp; clamps intersect.
  bool clamped = false;
  for (const ElementwiseStep &step : llvm::reverse(steps)) {
    if (step.bias) {
      if (p.bias || clamped)
        return std::nullopt;
      p.bias = step.bias;
    }
    if (step.clampLow) {
      p.clampLow = p.clampLow ? std::max(*p.clampLow, *step.clampLow)
                              : *step.clampLow;
      clamped = true;
    }
    if (step.clampHigh) {
      p.clampHigh = p.clampHigh ? std::min(*p.clampHigh, *step.clampHigh)
                                : *step.clampHigh;
      clamped = true;
    }
  }
  return p;
}

/// What a static epilogue recorded, with the accumulator's real scale per
/// output channel (`s_x * s_w`) and the producer's bias in int32 at that
/// scale.
struct EpilogueInfo {
  float sx;
  int32_t zx;
  SmallVector<float> accScales;
  SmallVector<int32_t> biasQ;
};

/// Reads the epilogue of `p` for an output of `rank` dimensions and
/// `channels` channels (the last dimension). Fails when the weight scales do
/// not index the last dimension or the bias does not fit beside the
/// accumulator in i32 (the accumulator is bounded by 2^29 when the epilogue
/// is marked, so the bias must be too).
static std::optional<EpilogueInfo> readEpilogue(const ChainableProducer &p,
                                                int64_t channels,
                                                unsigned rank,
                                                bool withInitBias) {
  if (ShapedType::isDynamic(channels))
    return std::nullopt;
  auto info = p.epilogue->getAttrOfType<DictionaryAttr>(kEpilogueAttrName);
  auto wParams = cast<qnt::ParamsAttr>(info.get("weight_params"));
  ArrayRef<float> ws = wParams.getScales().asArrayRef();
  bool perChannel = wParams.getAxis() >= 0;
  if (perChannel) {
    AffineMap swMap = linalg::GenericOp(p.epilogue)
                          .getMatchingIndexingMap(
                              linalg::GenericOp(p.epilogue).getDpsInputOperand(3));
    if (static_cast<int64_t>(ws.size()) != channels ||
        swMap.getNumResults() != 1 ||
        swMap.getResult(0) !=
            getAffineDimExpr(rank - 1, p.epilogue->getContext()))
      return std::nullopt;
  }
  auto initBias = dyn_cast_or_null<DenseElementsAttr>(info.get("init_bias"));
  for (DenseElementsAttr values : {p.bias, initBias})
    if (values && !values.isSplat() && values.getNumElements() != channels)
      return std::nullopt;
  EpilogueInfo e;
  e.sx = cast<FloatAttr>(info.get("scale")).getValue().convertToFloat();
  e.zx = cast<IntegerAttr>(info.get("zero_point")).getInt();
  num::IntRange i32Range = num::getIntRange(num::StorageKind::I32, false);
  for (int64_t n = 0; n < channels; ++n) {
    float s = e.sx * ws[perChannel ? n : 0];
    e.accScales.push_back(s);
    auto valueAt = [&](DenseElementsAttr values) {
      if (!values)
        return 0.0f;
      return values.isSplat()
                 ? values.getSplatValue<APFloat>().convertToFloat()
                 : values.getValues<APFloat>()[n].convertToFloat();
    };
    float bias = valueAt(p.bias);
    if (withInitBias)
      bias += valueAt(initBias);
    if (!(std::fabs(bias / s) < 536870912.0f))
      return std::nullopt;
    e.biasQ.push_back(
        static_cast<int32_t>(num::quantizeAffine(bias, s, 0, i32Range)));
  }
  return e;
}

/// Chains two static integer layers: instead of quantizing the float output
/// of the previous layer, its i32 accumulator is corrected (`- z_x * sum(w)`,
/// plus the bias quantized to int32 with scale `s_x * s_w`) and requantized
/// straight to this layer's parameters. A ReLU folds into the output range
/// when that range starts at real 0 (zero point = qmin). Returns null when
/// the producer does not have that shape.
static Value chainFromQuantizedProducer(OpBuilder &b, Location loc, Value x,
                                        qnt::ParamsAttr outParams,
                                        qnt::RequantMode mode) {
  // A concatenation carries one set of parameters: chain the operands that
  // come from static integer layers, quantize the others, and concatenate
  // the stored integers (exact: quantization is element-wise).
  if (auto concat = x.getDefiningOp<tensor::ConcatOp>()) {
    SmallVector<Value> parts;
    bool anyChained = false;
    for (Value operand : concat.getInputs()) {
      Value part =
          chainFromQuantizedProducer(b, loc, operand, outParams, mode);
      anyChained |= static_cast<bool>(part);
      if (!part)
        part = qnt::QuantizeOp::create(
            b, loc,
            RankedTensorType::get(
                cast<RankedTensorType>(operand.getType()).getShape(),
                outParams.getStoredElementType()),
            operand, outParams, qnt::RoundingMode::half_even);
      parts.push_back(part);
    }
    if (!anyChained) {
      // Nothing chained: leave a single quantize of the float concat.
      for (Value part : parts)
        if (Operation *op = part.getDefiningOp(); op && op->use_empty())
          op->erase();
      return {};
    }
    return tensor::ConcatOp::create(b, loc, concat.getDim(), parts);
  }
  std::optional<ChainableProducer> p = matchChainable(x);
  if (!p)
    return {};
  // A clamp commutes with the (monotone) quantization: clamp the stored
  // values to the quantized bounds, where they cut into the range.
  num::IntRange outRange = outParams.getIntRange();
  float outScale = outParams.getScales()[0];
  int64_t outZero = outParams.getZeroPoint(0);
  int64_t qLow = p->clampLow ? num::quantizeAffine(*p->clampLow, outScale,
                                                   outZero, outRange)
                             : outRange.qmin;
  int64_t qHigh = p->clampHigh ? num::quantizeAffine(*p->clampHigh, outScale,
                                                     outZero, outRange)
                               : outRange.qmax;
  Value acc = p->epilogue.getDpsInputOperand(0)->get();
  Value colsum = p->epilogue.getDpsInputOperand(2)->get();
  AffineMap colsumMap =
      p->epilogue.getMatchingIndexingMap(p->epilogue.getDpsInputOperand(2));
  auto accType = cast<RankedTensorType>(acc.getType());
  unsigned rank = accType.getRank();
  int64_t channels = accType.getShape().back();
  // The epilogue's init (zeros, or a broadcast bias) is folded in too.
  std::optional<EpilogueInfo> e =
      readEpilogue(*p, channels, rank, /*withInitBias=*/true);
  if (!e)
    return {};
  int32_t zx = e->zx;
  ArrayRef<float> accScales = e->accScales;
  ArrayRef<int32_t> biasQ = e->biasQ;
  MLIRContext *ctx = b.getContext();
  Type i32 = b.getI32Type();
  auto inParams = qnt::ParamsAttr::getChecked(
      [&]() { return emitError(loc); }, ctx, Type(i32), Type(b.getF32Type()),
      int64_t(rank - 1), int64_t(0), false, false,
      DenseF32ArrayAttr::get(ctx, accScales),
      DenseI64ArrayAttr::get(ctx, ArrayRef<int64_t>()),
      DenseF32ArrayAttr::get(ctx, ArrayRef<float>()));
  if (!inParams)
    return {};
  for (int64_t n = 0; n < channels; ++n) {
    float m = num::computeFloatMultiplier(accScales[n], outParams.getScales()[0]);
    if (!std::isfinite(m) || m == 0.0f)
      return {};
  }

  // acc - z_x * sum(w) + bias_q, in i32.
  Value biasConst = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({channels}, i32),
                             ArrayRef<int32_t>(biasQ)));
  SmallVector<Value> dynDims;
  for (unsigned d = 0; d < rank; ++d)
    if (accType.isDynamicDim(d))
      dynDims.push_back(tensor::DimOp::create(b, loc, acc, d));
  Value init = tensor::EmptyOp::create(b, loc, accType.getShape(), i32, dynDims);
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap lastDim =
      AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
  auto corrected = linalg::GenericOp::create(
      b, loc, TypeRange{accType}, ValueRange{acc, colsum, biasConst},
      ValueRange{init},
      ArrayRef<AffineMap>{identity, colsumMap, lastDim, identity},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value zxv = arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(zx));
        Value v = arith::SubIOp::create(
            nb, l, args[0], arith::MulIOp::create(nb, l, zxv, args[1]));
        linalg::YieldOp::create(
            nb, l, arith::AddIOp::create(nb, l, v, args[2]).getResult());
      });
  auto stored = RankedTensorType::get(accType.getShape(),
                                      outParams.getStoredElementType());
  Value q = qnt::RequantizeOp::create(b, loc, stored, corrected.getResult(0),
                                      inParams, outParams, mode);
  if (qLow > outRange.qmin || qHigh < outRange.qmax) {
    bool isSignedOut = num::isSignedStorage(outParams.getStorageKind());
    Type element = stored.getElementType();
    Value clampInit =
        tensor::EmptyOp::create(b, loc, stored.getShape(), element, dynDims);
    q = linalg::GenericOp::create(
            b, loc, TypeRange{stored}, ValueRange{q}, ValueRange{clampInit},
            ArrayRef<AffineMap>{identity, identity},
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value lo = arith::ConstantOp::create(
                  nb, l, nb.getIntegerAttr(element, qLow));
              Value hi = arith::ConstantOp::create(
                  nb, l, nb.getIntegerAttr(element, qHigh));
              Value v = args[0];
              if (isSignedOut) {
                v = arith::MaxSIOp::create(nb, l, v, lo);
                v = arith::MinSIOp::create(nb, l, v, hi);
              } else {
                v = arith::MaxUIOp::create(nb, l, v, lo);
                v = arith::MinUIOp::create(nb, l, v, hi);
              }
              linalg::YieldOp::create(nb, l, v);
            })
            .getResult(0);
  }

  // Replay padding, pooling and reshapes on the stored integers.
  Type storedElement = outParams.getStoredElementType();
  bool isUnsigned = !num::isSignedStorage(outParams.getStorageKind());
  auto asStored = [&](Value floatValue) {
    return RankedTensorType::get(
        cast<RankedTensorType>(floatValue.getType()).getShape(), storedElement);
  };
  for (Operation *op : p->passThrough) {
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
      q = tensor::CollapseShapeOp::create(b, loc, asStored(collapse.getResult()),
                                          q, collapse.getReassociation());
    } else if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
      q = tensor::ExpandShapeOp::create(
          b, loc, asStored(expand.getResult()), q,
          expand.getReassociationIndices(), expand.getMixedOutputShape());
    } else if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
      auto outType = asStored(transpose->getResult(0));
      ArrayRef<int64_t> perm = transpose.getPermutation();
      SmallVector<Value> dyn;
      for (unsigned d = 0; d < perm.size(); ++d)
        if (outType.isDynamicDim(d))
          dyn.push_back(tensor::DimOp::create(b, loc, q, perm[d]));
      Value empty = tensor::EmptyOp::create(b, loc, outType.getShape(),
                                            storedElement, dyn);
      q = linalg::TransposeOp::create(b, loc, q, empty, perm).getResult()[0];
    } else if (auto pad = dyn_cast<tensor::PadOp>(op)) {
      // Real 0 is the zero point.
      Value zp = arith::ConstantOp::create(
          b, loc, b.getIntegerAttr(storedElement, outParams.getZeroPoint(0)));
      q = tensor::PadOp::create(b, loc, asStored(pad.getResult()), q,
                                pad.getMixedLowPad(), pad.getMixedHighPad(),
                                zp, pad.getNofold());
    } else if (auto pool = dyn_cast<linalg::PoolingNhwcMaxOp>(op)) {
      auto outType = asStored(pool->getResult(0));
      SmallVector<Value> dyn;
      if (outType.isDynamicDim(0))
        dyn.push_back(tensor::DimOp::create(b, loc, q, 0));
      Value empty = tensor::EmptyOp::create(b, loc, outType.getShape(),
                                            storedElement, dyn);
      Value lowest = arith::ConstantOp::create(
          b, loc,
          b.getIntegerAttr(storedElement, outParams.getIntRange().qmin));
      Value init = linalg::FillOp::create(b, loc, ValueRange{lowest},
                                          ValueRange{empty})
                       .getResult(0);
      SmallVector<NamedAttribute> attrs{
          b.getNamedAttr("strides", pool.getStrides()),
          b.getNamedAttr("dilations", pool.getDilations())};
      SmallVector<Value> inputs{q, pool.getDpsInputOperand(1)->get()};
      if (isUnsigned)
        q = linalg::PoolingNhwcMaxUnsignedOp::create(
                b, loc, TypeRange{outType}, inputs, ValueRange{init}, attrs)
                .getResult(0);
      else
        q = linalg::PoolingNhwcMaxOp::create(b, loc, TypeRange{outType}, inputs,
                                             ValueRange{init}, attrs)
                .getResult(0);
    }
  }
  return q;
}

llvm::Error quantopt::rewriteToIntegerLayer(linalg::LinalgOp layer,
                                            const QuantizedWeight &weight,
                                            const ActivationConfig &act) {
  if (layer.getNumDpsInputs() != 2 || layer.getNumDpsInits() != 1)
    return fail("integer kernels need one activation, one weight and one "
                "output");
  qnt::ParamsAttr wParams = weight.params;
  if (wParams.isFloatStorage() || wParams.hasMinValues() ||
      wParams.getBlockSize() > 0)
    return fail("integer kernels need integer weights with affine "
                "(symmetric or asymmetric) per-tensor or per-channel "
                "parameters");
  ArrayRef<int64_t> wZeroPoints = wParams.getZeroPoints().asArrayRef();
  bool weightZeroPoint =
      llvm::any_of(wZeroPoints, [](int64_t z) { return z != 0; });
  Value x = layer.getDpsInputOperand(0)->get();
  Value c = layer.getDpsInitOperand(0)->get();
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto outType = dyn_cast<RankedTensorType>(layer->getResult(0).getType());
  if (!xType || !outType || !xType.getElementType().isF32() ||
      !outType.getElementType().isF32())
    return fail("integer kernels need f32 activations and outputs");

  SmallVector<AffineMap> maps = layer.getIndexingMapsArray();
  AffineMap xMap = maps[0], wMap = maps[1], outMap = maps[2];
  if (!outMap.isProjectedPermutation())
    return fail("the output map is not a projection");
  auto iterators = layer.getIteratorTypesArray();
  unsigned outRank = outType.getRank();
  MLIRContext *ctx = layer.getContext();

  // Weight dimensions: parallel ones (with their output axes) and reduced ones.
  auto wType = cast<RankedTensorType>(weight.stored.getType());
  SmallVector<int64_t> parallelAxes, reducedAxes;
  SmallVector<AffineExpr> colsumExprs;
  for (auto [axis, expr] : llvm::enumerate(wMap.getResults())) {
    auto d = dyn_cast<AffineDimExpr>(expr);
    if (!d)
      return fail("the weight map is not a projection");
    if (iterators[d.getPosition()] == utils::IteratorType::reduction) {
      reducedAxes.push_back(axis);
      continue;
    }
    std::optional<unsigned> outAxis = getOutputAxis(outMap, d.getPosition());
    if (!outAxis)
      return fail("a parallel weight dimension does not reach the output");
    parallelAxes.push_back(axis);
    colsumExprs.push_back(getAffineDimExpr(*outAxis, ctx));
  }

  // Per-row activation parameters map to the output rows.
  bool perRow = act.dynamic && act.perRow && xMap.getNumResults() >= 2;
  SmallVector<AffineExpr> rowExprs;
  if (perRow) {
    for (AffineExpr expr : xMap.getResults().drop_back()) {
      auto d = dyn_cast<AffineDimExpr>(expr);
      std::optional<unsigned> outAxis =
          d ? getOutputAxis(outMap, d.getPosition()) : std::nullopt;
      if (!outAxis) {
        perRow = false;
        rowExprs.clear();
        break;
      }
      rowExprs.push_back(getAffineDimExpr(*outAxis, ctx));
    }
    auto last = dyn_cast<AffineDimExpr>(xMap.getResults().back());
    if (!last || iterators[last.getPosition()] != utils::IteratorType::reduction)
      perRow = false, rowExprs.clear();
  }

  // The accumulator, and acc - z_x * sum(w), must stay in i32: with
  // |q_x|, |z_x| <= xMax and |q_w| <= wMax over K terms, both are bounded by
  // xMax * wMax * K, so that bound must stay below 2^30 (2^29 to chain into a
  // following layer, which also adds an int32 bias).
  double accBound;
  int64_t reductionSize;
  {
    int64_t k = 1;
    for (int64_t axis : reducedAxes)
      k *= wType.getDimSize(axis);
    num::IntRange xr = num::getIntRange(act.storage, false);
    num::IntRange wr = wParams.getIntRange();
    double xMax = std::max(std::abs(double(xr.qmin)), double(xr.qmax));
    double wMax = std::max(std::abs(double(wr.qmin)), double(wr.qmax));
    // With a weight zero point the corrected sum runs over q_w - z_w.
    for (int64_t z : wZeroPoints)
      wMax = std::max({wMax, std::abs(double(wr.qmax - z)),
                       std::abs(double(wr.qmin - z))});
    accBound = xMax * wMax * double(k);
    reductionSize = k;
    if (accBound >= 1073741824.0)
      return fail(llvm::Twine("an i32 accumulator could overflow (") +
                  num::getStorageName(act.storage) + " activations x " +
                  num::getStorageName(wParams.getStorageKind()) +
                  " weights over " + llvm::Twine(k) + " terms)");
  }
  int64_t wAxis = wParams.getAxis();
  std::optional<unsigned> swOutAxis;
  if (wAxis >= 0) {
    auto d = dyn_cast<AffineDimExpr>(wMap.getResult(wAxis));
    swOutAxis = d ? getOutputAxis(outMap, d.getPosition()) : std::nullopt;
    if (!swOutAxis)
      return fail("the weight's channel axis does not reach the output");
  }

  OpBuilder b(layer);
  Location loc = layer.getLoc();
  Type f32 = b.getF32Type(), i32 = b.getI32Type();

  // 1. The activation in stored form, with its scale and zero point.
  num::SolverOptions actOptions;
  actOptions.storage = act.storage;
  actOptions.scheme = act.scheme;
  actOptions.narrowRange = act.scheme == num::Scheme::Symmetric;
  Type xStored = IntegerType::get(ctx, num::getStorageBitWidth(act.storage));
  auto xqType = RankedTensorType::get(xType.getShape(), xStored);
  bool xSigned = num::isSignedStorage(act.storage);
  Value xq, sxTensor, zxTensor;
  qnt::ParamsAttr staticInputParams;
  float sxConst = 0;
  int64_t zxConst = 0;
  if (act.dynamic) {
    SmallVector<int64_t> paramShape;
    if (perRow && xType.getRank() < 2)
      perRow = false;
    if (perRow)
      paramShape.assign(xType.getShape().begin(), xType.getShape().end() - 1);
    auto dq = qnt::DynamicQuantizeOp::create(
        b, loc,
        TypeRange{xqType, RankedTensorType::get(paramShape, f32),
                  RankedTensorType::get(paramShape, i32)},
        x, TypeAttr::get(qnt::getStorageTypeFor(ctx, act.storage)),
        b.getStringAttr(num::getSchemeName(act.scheme)),
        perRow ? b.getUnitAttr() : UnitAttr());
    xq = dq.getResult();
    sxTensor = dq.getScales();
    zxTensor = dq.getZeroPoints();
  } else {
    auto solved = num::solveFromRange(act.min, act.max, actOptions);
    if (!solved)
      return solved.takeError();
    sxConst = solved->scale;
    zxConst = solved->zeroPoint;
    qnt::ParamsAttr params = qnt::getParamsAttr(
        ctx, actOptions, num::Granularity{}, f32, {*solved},
        [&]() { return emitError(loc); });
    if (!params)
      return fail("the activation parameters do not verify");
    staticInputParams = params;
    xq = chainFromQuantizedProducer(b, loc, x, params,
                                    act.fixedPointRequantize
                                        ? qnt::RequantMode::fixed_point
                                        : qnt::RequantMode::float32);
    if (!xq)
      xq = qnt::QuantizeOp::create(b, loc, xqType, x, params,
                                   qnt::RoundingMode::half_even);
  }

  // 2. The weight in stored form and its sums over the reduced dimensions.
  Value wq = arith::ConstantOp::create(b, loc, weight.stored);
  bool wSigned = num::isSignedStorage(wParams.getStorageKind());
  SmallVector<int64_t> colsumShape;
  for (int64_t axis : parallelAxes)
    colsumShape.push_back(wType.getDimSize(axis));
  SmallVector<int64_t> colsum(
      std::max<int64_t>(1, RankedTensorType::get(colsumShape, i32)
                               .getNumElements()),
      0);
  {
    SmallVector<int64_t> index(wType.getRank(), 0);
    auto values = weight.stored.getValues<APInt>();
    for (APInt v : values) {
      int64_t group = 0;
      for (int64_t axis : parallelAxes)
        group = group * wType.getDimSize(axis) + index[axis];
      colsum[group] += wSigned ? v.getSExtValue() : v.getZExtValue();
      for (int64_t d = wType.getRank() - 1; d >= 0; --d) {
        if (++index[d] < wType.getDimSize(d))
          break;
        index[d] = 0;
      }
    }
  }
  SmallVector<int32_t> colsum32(colsum.begin(), colsum.end());
  Value colsumConst = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get(colsumShape, i32),
                             ArrayRef<int32_t>(colsum32)));

  // 3. The integer contraction, with the layer's own maps.
  SmallVector<Value> dynDims;
  for (unsigned d = 0; d < outRank; ++d)
    if (outType.isDynamicDim(d))
      dynDims.push_back(tensor::DimOp::create(b, loc, c, d));
  Value accEmpty =
      tensor::EmptyOp::create(b, loc, outType.getShape(), i32, dynDims);
  Value accInit =
      linalg::FillOp::create(b, loc,
                             ValueRange{arith::ConstantOp::create(
                                 b, loc, b.getI32IntegerAttr(0))},
                             ValueRange{accEmpty})
          .getResult(0);
  auto contraction = linalg::GenericOp::create(
      b, loc, TypeRange{accInit.getType()}, ValueRange{xq, wq},
      ValueRange{accInit}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value product =
            arith::MulIOp::create(nb, l, widen(nb, l, args[0], xSigned),
                                  widen(nb, l, args[1], wSigned));
        linalg::YieldOp::create(nb, l,
                                arith::AddIOp::create(nb, l, args[2], product)
                                    .getResult());
      });

  if (!act.layerName.empty())
    contraction->setAttr(kLayerAttrName, b.getStringAttr(act.layerName));
  if (staticInputParams)
    contraction->setAttr(kInputParamsAttrName, staticInputParams);

  // 3b. A weight zero point: acc - z_w * (sum(q_x) - K * z_x), so that the
  // epilogue's `- z_x * sum(q_w)` completes sum((q_x - z_x) * (q_w - z_w)).
  Value acc = contraction.getResult(0);
  AffineMap outIdentity = b.getMultiDimIdentityMap(outRank);
  if (weightZeroPoint) {
    // sum(q_x) over the reduced dimensions, on the iteration space without
    // the dimensions only the weight indexes (the output channels).
    unsigned numDims = xMap.getNumDims();
    llvm::SmallBitVector weightOnly(numDims);
    for (AffineExpr expr : wMap.getResults())
      if (auto d = dyn_cast<AffineDimExpr>(expr))
        if (!xMap.isFunctionOfDim(d.getPosition()))
          weightOnly.set(d.getPosition());
    SmallVector<AffineExpr> rowsumResults, rowsumOutExprs;
    SmallVector<int64_t> rowsumShape;
    SmallVector<Value> rowsumDynDims;
    for (auto [axis, expr] : llvm::enumerate(outMap.getResults())) {
      unsigned dim = cast<AffineDimExpr>(expr).getPosition();
      if (weightOnly.test(dim))
        continue;
      rowsumResults.push_back(expr);
      rowsumOutExprs.push_back(getAffineDimExpr(axis, ctx));
      rowsumShape.push_back(outType.getDimSize(axis));
      if (outType.isDynamicDim(axis))
        rowsumDynDims.push_back(tensor::DimOp::create(b, loc, c, axis));
    }
    AffineMap rowsumMap = AffineMap::get(numDims, 0, rowsumResults, ctx);
    SmallVector<utils::IteratorType> rowsumIterators;
    for (unsigned d = 0; d < numDims; ++d)
      if (!weightOnly.test(d))
        rowsumIterators.push_back(iterators[d]);
    auto rowsumType = RankedTensorType::get(rowsumShape, i32);
    Value rowsumInit =
        linalg::FillOp::create(
            b, loc,
            ValueRange{arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0))},
            ValueRange{tensor::EmptyOp::create(b, loc, rowsumShape, i32,
                                               rowsumDynDims)})
            .getResult(0);
    // The reduced dimensions may reach the activation only through sums
    // (a convolution's window): a splat operand of the weight's reduced shape
    // gives linalg their extents.
    SmallVector<int64_t> reducedShape;
    SmallVector<AffineExpr> reducedExprs;
    for (int64_t axis : reducedAxes) {
      reducedShape.push_back(wType.getDimSize(axis));
      reducedExprs.push_back(wMap.getResult(axis));
    }
    auto extentsType = RankedTensorType::get(reducedShape, xStored);
    Value extents = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(extentsType, b.getIntegerAttr(xStored, 0)));
    AffineMap extentsMap = AffineMap::get(numDims, 0, reducedExprs, ctx);
    Value rowsum =
        linalg::GenericOp::create(
            b, loc, TypeRange{rowsumType}, ValueRange{xq, extents},
            ValueRange{rowsumInit},
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
    SmallVector<Value> inputs{acc, rowsum};
    SmallVector<AffineMap> correctionMaps{
        outIdentity, AffineMap::get(outRank, 0, rowsumOutExprs, ctx)};
    if (wAxis >= 0) {
      SmallVector<int32_t> zw32(wZeroPoints.begin(), wZeroPoints.end());
      inputs.push_back(arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({int64_t(zw32.size())}, i32),
              ArrayRef<int32_t>(zw32))));
      correctionMaps.push_back(
          AffineMap::get(outRank, 0, getAffineDimExpr(*swOutAxis, ctx)));
    }
    if (act.dynamic) {
      AffineMap paramMap = AffineMap::get(outRank, 0, rowExprs, ctx);
      inputs.push_back(zxTensor);
      correctionMaps.push_back(paramMap);
    }
    correctionMaps.push_back(outIdentity);
    acc = linalg::GenericOp::create(
              b, loc, TypeRange{acc.getType()}, inputs, ValueRange{accInit},
              correctionMaps,
              SmallVector<utils::IteratorType>(outRank,
                                               utils::IteratorType::parallel),
              [&](OpBuilder &nb, Location l, ValueRange args) {
                unsigned next = 2;
                Value zw =
                    wAxis >= 0
                        ? args[next++]
                        : arith::ConstantOp::create(
                              nb, l,
                              nb.getI32IntegerAttr(
                                  static_cast<int32_t>(wZeroPoints[0])));
                Value zx = act.dynamic
                               ? args[next++]
                               : arith::ConstantOp::create(
                                     nb, l,
                                     nb.getI32IntegerAttr(
                                         static_cast<int32_t>(zxConst)));
                Value k = arith::ConstantOp::create(
                    nb, l,
                    nb.getI32IntegerAttr(static_cast<int32_t>(reductionSize)));
                Value centred = arith::SubIOp::create(
                    nb, l, args[1], arith::MulIOp::create(nb, l, k, zx));
                linalg::YieldOp::create(
                    nb, l,
                    arith::SubIOp::create(
                        nb, l, args[0],
                        arith::MulIOp::create(nb, l, zw, centred))
                        .getResult());
              })
              .getResult(0);
  }

  // 4. The epilogue over the output.
  SmallVector<Value> epilogueInputs{acc, c, colsumConst};
  SmallVector<AffineMap> epilogueMaps{
      outIdentity, outIdentity,
      AffineMap::get(outRank, 0, colsumExprs, ctx)};
  // Weight scales: one per output channel, or one.
  Value swTensor;
  if (wAxis >= 0) {
    ArrayRef<float> scales = wParams.getScales().asArrayRef();
    swTensor = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(
            RankedTensorType::get({int64_t(scales.size())}, f32), scales));
    epilogueInputs.push_back(swTensor);
    epilogueMaps.push_back(
        AffineMap::get(outRank, 0, getAffineDimExpr(*swOutAxis, ctx)));
  }
  if (act.dynamic) {
    AffineMap paramMap = AffineMap::get(outRank, 0, rowExprs, ctx);
    epilogueInputs.append({sxTensor, zxTensor});
    epilogueMaps.append({paramMap, paramMap});
  }
  epilogueMaps.push_back(outIdentity);
  Value outEmpty =
      tensor::EmptyOp::create(b, loc, outType.getShape(), f32, dynDims);
  SmallVector<utils::IteratorType> parallel(outRank,
                                            utils::IteratorType::parallel);
  float swScalar = wAxis >= 0 ? 0.0f : wParams.getScales()[0];
  auto epilogue = linalg::GenericOp::create(
      b, loc, TypeRange{outType}, epilogueInputs, ValueRange{outEmpty},
      epilogueMaps, parallel,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        unsigned next = 3;
        Value sw = wAxis >= 0 ? args[next++]
                              : arith::ConstantOp::create(
                                    nb, l, nb.getF32FloatAttr(swScalar));
        Value sx, zx;
        if (act.dynamic) {
          sx = args[next++];
          zx = args[next++];
        } else {
          sx = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(sxConst));
          zx = arith::ConstantOp::create(
              nb, l, nb.getI32IntegerAttr(static_cast<int32_t>(zxConst)));
        }
        Value corrected = arith::SubIOp::create(
            nb, l, args[0], arith::MulIOp::create(nb, l, zx, args[2]));
        Value scale = arith::MulFOp::create(nb, l, sx, sw);
        Value real = arith::MulFOp::create(
            nb, l, arith::SIToFPOp::create(nb, l, nb.getF32Type(), corrected),
            scale);
        linalg::YieldOp::create(
            nb, l, arith::AddFOp::create(nb, l, args[1], real).getResult());
      });
  // Static epilogues record what a following static layer needs to take the
  // accumulator directly (chainFromQuantizedProducer).
  DenseElementsAttr initBias = getBroadcastBias(c);
  if (!act.dynamic && (isZeroFill(c) || initBias) && accBound < 536870912.0) {
    SmallVector<NamedAttribute> info{
        b.getNamedAttr("scale", b.getF32FloatAttr(sxConst)),
        b.getNamedAttr("zero_point", b.getI32IntegerAttr(zxConst)),
        b.getNamedAttr("weight_params", wParams)};
    if (initBias)
      info.push_back(b.getNamedAttr("init_bias", initBias));
    epilogue->setAttr(kEpilogueAttrName, b.getDictionaryAttr(info));
  }

  Operation *oldWeight = layer.getDpsInputOperand(1)->get().getDefiningOp();
  Operation *oldInput = x.getDefiningOp();
  layer->getResult(0).replaceAllUsesWith(epilogue.getResult(0));
  layer->erase();
  // The weight constant, and a float producer the chaining made dead.
  llvm::SetVector<Operation *> worklist;
  for (Operation *op : {oldWeight, oldInput})
    if (op)
      worklist.insert(op);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!isOpTriviallyDead(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        worklist.insert(def);
    op->erase();
  }
  return llvm::Error::success();
}

void quantopt::foldBiasIntoStaticEpilogues(Operation *root) {
  SmallVector<linalg::GenericOp> epilogues;
  root->walk([&](linalg::GenericOp op) {
    if (op->hasAttr(kEpilogueAttrName) && op->hasOneUse())
      epilogues.push_back(op);
  });
  for (linalg::GenericOp epilogue : epilogues) {
    Operation *user = *epilogue->getUsers().begin();
    if (user->getNumResults() != 1)
      continue;
    std::optional<ChainableProducer> p = matchChainable(user->getResult(0));
    if (!p || p->epilogue != epilogue || !p->passThrough.empty() || !p->bias ||
        p->numSteps != 1 || p->biasRelu.getOperation() != user)
      continue;
    auto outType = cast<RankedTensorType>(user->getResult(0).getType());
    unsigned rank = outType.getRank();
    int64_t channels = outType.getShape().back();
    MLIRContext *ctx = root->getContext();
    // The epilogue keeps adding its init `c` in float.
    std::optional<EpilogueInfo> e =
        readEpilogue(*p, channels, rank, /*withInitBias=*/false);
    if (!e)
      continue;
    auto wParams = cast<qnt::ParamsAttr>(
        epilogue->getAttrOfType<DictionaryAttr>(kEpilogueAttrName)
            .get("weight_params"));
    bool perChannel = wParams.getAxis() >= 0;
    float sx = e->sx;
    int32_t zx = e->zx;
    ArrayRef<int32_t> biasQ = e->biasQ;
    ArrayRef<float> ws = wParams.getScales().asArrayRef();

    OpBuilder b(user);
    Location loc = user->getLoc();
    Type i32 = b.getI32Type();
    Value biasConst = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({channels}, i32),
                               ArrayRef<int32_t>(biasQ)));
    SmallVector<Value> inputs(epilogue.getDpsInputs());
    inputs.push_back(biasConst);
    SmallVector<AffineMap> maps;
    for (OpOperand *operand : epilogue.getDpsInputOperands())
      maps.push_back(epilogue.getMatchingIndexingMap(operand));
    maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx)));
    maps.push_back(b.getMultiDimIdentityMap(rank));
    SmallVector<Value> dynDims;
    for (unsigned d = 0; d < rank; ++d)
      if (outType.isDynamicDim(d))
        dynDims.push_back(tensor::DimOp::create(b, loc, inputs[0], d));
    Value init = tensor::EmptyOp::create(b, loc, outType.getShape(),
                                         outType.getElementType(), dynDims);
    float swScalar = perChannel ? 0.0f : ws[0];
    std::optional<float> lo = p->clampLow, hi = p->clampHigh;
    unsigned biasIndex = inputs.size() - 1;
    auto folded = linalg::GenericOp::create(
        b, loc, TypeRange{outType}, inputs, ValueRange{init}, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value sw = perChannel ? args[3]
                                : arith::ConstantOp::create(
                                      nb, l, nb.getF32FloatAttr(swScalar));
          Value sxv = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(sx));
          Value zxv = arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(zx));
          Value corrected = arith::AddIOp::create(
              nb, l,
              arith::SubIOp::create(nb, l, args[0],
                                    arith::MulIOp::create(nb, l, zxv, args[2])),
              args[biasIndex]);
          Value real = arith::MulFOp::create(
              nb, l, arith::SIToFPOp::create(nb, l, nb.getF32Type(), corrected),
              arith::MulFOp::create(nb, l, sxv, sw));
          Value y = arith::AddFOp::create(nb, l, args[1], real);
          if (lo)
            y = arith::MaximumFOp::create(
                nb, l, y, arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(*lo)));
          if (hi)
            y = arith::MinimumFOp::create(
                nb, l, y, arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(*hi)));
          linalg::YieldOp::create(nb, l, y);
        });
    user->getResult(0).replaceAllUsesWith(folded.getResult(0));
    user->erase();
    epilogue->erase();
  }
}
