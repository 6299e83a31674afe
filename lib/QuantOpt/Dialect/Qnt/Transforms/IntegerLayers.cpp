//===- IntegerLayers.cpp - Integer kernels for linalg layers --------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// A float layer y = c + sum(x * w) becomes one qnt.contract on the stored
// activation and weight, which states the parameters of both; its result is
// the real value float(acc) * (s_x * s_w) (plus c when c is not zero), or,
// when a following static layer consumes it through biases, clamps, padding,
// pooling and reshapes, the stored integers of that layer's input
// (requantized, bias in int32, clamp in stored integers). The arithmetic of
// the op lives in its lowering (ContractToLinalg.cpp).
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/IntegerLayers.h"

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"
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

/// A chainable producer: `clamp?(bias?(c + layer))` where `layer` is a
/// static qnt.contract with a real (f32) result and no bias, `c` (optional)
/// a broadcast constant bias added in float, and the element-wise steps
/// linalg.generics adding a constant per-channel bias and/or clamping.
struct ChainableProducer {
  qnt::ContractOp layer;
  /// `c + layer` (null when the layer's init was zero) and c's bias.
  linalg::GenericOp initAdd;
  DenseElementsAttr initBias;
  linalg::GenericOp biasRelu; // may be null
  DenseElementsAttr bias;     // may be null
  /// A clamp (ReLU: lower bound 0; ReLU6: [0, 6]) applied after the bias.
  std::optional<float> clampLow, clampHigh;
  /// How many element-wise generics (bias, clamps) were folded.
  unsigned numSteps = 0;
  /// Ops between the bias/ReLU (or layer) and the layer input that carry
  /// the quantization parameters unchanged: zero padding, max pooling,
  /// reshapes. Innermost first.
  SmallVector<Operation *> passThrough;
};

/// Whether `layer`'s accumulator can take an int32 bias and feed a
/// requantization: static input, real result, no bias yet, and an
/// accumulator bound below numerics::kChainAccumulatorLimit.
static bool isChainableLayer(qnt::ContractOp layer) {
  if (!layer || layer.isDynamic() || layer.getBias() ||
      !layer.getResult().getType().getElementType().isF32())
    return false;
  qnt::ParamsAttr w = layer.getWeightParams();
  double bound = num::getAccumulatorBound(
      num::getIntRange(layer.getInputParamsAttr().getStorageKind(), false),
      w.getIntRange(), w.getZeroPoints().asArrayRef(),
      layer.getReductionSize());
  return bound < num::kChainAccumulatorLimit;
}

/// `c + real` as rewriteToIntegerLayer builds it after a layer with a
/// non-zero init: returns the layer's value and c.
static std::optional<std::pair<Value, Value>>
matchInitAdd(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return std::nullopt;
  Block &body = generic.getRegion().front();
  auto add = dyn_cast<arith::AddFOp>(body.getTerminator()->getOperand(0)
                                         .getDefiningOp());
  if (!add || body.getOperations().size() != 2 ||
      add.getLhs() != body.getArgument(0) ||
      add.getRhs() != body.getArgument(1) ||
      !generic.getDpsInputOperand(1)->get().getDefiningOp<qnt::ContractOp>())
    return std::nullopt;
  return std::make_pair(generic.getDpsInputOperand(1)->get(),
                        generic.getDpsInputOperand(0)->get());
}

/// Adds `c` to `real` (f32 tensors of the same shape) as the one generic
/// matchInitAdd recognizes.
static Value buildInitAdd(OpBuilder &b, Location loc, Value c, Value real) {
  auto type = cast<RankedTensorType>(real.getType());
  SmallVector<Value> dyn;
  for (unsigned d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dyn.push_back(tensor::DimOp::create(b, loc, c, d));
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType(), dyn);
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{c, real}, ValueRange{empty},
             ArrayRef<AffineMap>{id, id, id},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l,
                   arith::AddFOp::create(nb, l, args[0], args[1]).getResult());
             })
      .getResult(0);
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
  // Element-wise steps, outermost first, down to the layer.
  SmallVector<ElementwiseStep> steps;
  while (true) {
    if (auto layer = x.getDefiningOp<qnt::ContractOp>()) {
      if (!isChainableLayer(layer))
        return std::nullopt;
      p.layer = layer;
      break;
    }
    auto generic = x.getDefiningOp<linalg::GenericOp>();
    if (!generic || generic->getNumResults() != 1)
      return std::nullopt;
    if (auto init = matchInitAdd(generic)) {
      p.initBias = getBroadcastBias(init->second);
      if (!p.initBias)
        return std::nullopt;
      p.initAdd = generic;
      x = init->first;
      continue;
    }
    std::optional<ElementwiseStep> step = parseElementwise(generic);
    if (!step || steps.size() == 4 || p.initAdd)
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

/// The producer's bias (and, `withInitBias`, its init's) in int32 at the
/// accumulator's scale `s_x * s_w` per output channel (the last dimension).
/// Fails when the weight's channel is not the last dimension or a bias does
/// not fit beside the accumulator in int32 (below 2^29, as the accumulator).
static std::optional<SmallVector<int32_t>>
quantizeBias(const ChainableProducer &p, bool withInitBias) {
  qnt::ContractOp layer = p.layer;
  auto outType = cast<RankedTensorType>(layer.getResult().getType());
  unsigned rank = outType.getRank();
  int64_t channels = rank ? outType.getShape().back() : 1;
  if (rank == 0 || ShapedType::isDynamic(channels))
    return std::nullopt;
  qnt::ParamsAttr wParams = layer.getWeightParams();
  bool perChannel = wParams.getAxis() >= 0;
  if (perChannel && (int64_t(wParams.getScales().size()) != channels ||
                     layer.getResultChannelAxis() != rank - 1))
    return std::nullopt;
  for (DenseElementsAttr values : {p.bias, p.initBias})
    if (values && !values.isSplat() && values.getNumElements() != channels)
      return std::nullopt;
  SmallVector<float> accScales = layer.getAccumulatorScales();
  num::IntRange i32Range = num::getIntRange(num::StorageKind::I32, false);
  SmallVector<int32_t> biasQ;
  for (int64_t n = 0; n < channels; ++n) {
    float s = accScales[perChannel ? n : 0];
    auto valueAt = [&](DenseElementsAttr values) {
      if (!values)
        return 0.0f;
      return values.isSplat()
                 ? values.getSplatValue<APFloat>().convertToFloat()
                 : values.getValues<APFloat>()[n].convertToFloat();
    };
    float bias = valueAt(p.bias);
    if (withInitBias)
      bias += valueAt(p.initBias);
    if (!(std::fabs(bias / s) < float(num::kChainAccumulatorLimit)))
      return std::nullopt;
    biasQ.push_back(
        static_cast<int32_t>(num::quantizeAffine(bias, s, 0, i32Range)));
  }
  return biasQ;
}

/// `layer` with an int32 bias (dropped when all zero) and another result.
static qnt::ContractOp cloneWithBias(OpBuilder &b, qnt::ContractOp layer,
                                     ArrayRef<int32_t> biasQ, Type resultType,
                                     qnt::ParamsAttr resultParams,
                                     qnt::RequantMode mode,
                                     DenseI64ArrayAttr clamp) {
  Location loc = layer.getLoc();
  Value bias;
  if (llvm::any_of(biasQ, [](int32_t v) { return v != 0; }))
    bias = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(
            RankedTensorType::get({int64_t(biasQ.size())}, b.getI32Type()),
            biasQ));
  return qnt::ContractOp::create(
      b, loc, resultType, layer.getInput(), layer.getWeight(), bias, Value(),
      Value(), layer.getMapsAttr(), layer.getInputParamsAttr(), TypeAttr(),
      layer.getWeightParams(), resultParams,
      qnt::RequantModeAttr::get(b.getContext(), mode), clamp);
}

/// Chains two static integer layers: instead of quantizing the float output
/// of the previous layer, its accumulator (with the bias quantized to int32
/// at scale `s_x * s_w`) is requantized straight to this layer's parameters
/// by a copy of the producer's qnt.contract; a clamp becomes stored bounds.
/// Returns null when the producer does not have that shape.
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
  std::optional<SmallVector<int32_t>> biasQ =
      quantizeBias(*p, /*withInitBias=*/true);
  if (!biasQ)
    return {};
  // The requantization must exist on the chosen path (qnt.contract's
  // verifier checks the same).
  float outScale = outParams.getScales()[0];
  for (float accScale : p->layer.getAccumulatorScales()) {
    if (mode == qnt::RequantMode::float32) {
      float m = num::computeFloatMultiplier(accScale, outScale);
      if (!std::isfinite(m) || m == 0.0f)
        return {};
    } else if (auto m = num::computeFixedPointMultiplier(double(accScale) /
                                                         double(outScale));
               !m) {
      llvm::consumeError(m.takeError());
      return {};
    }
  }
  // A clamp commutes with the (monotone) quantization: clamp the stored
  // values to the quantized bounds, where they cut into the range.
  num::IntRange outRange = outParams.getIntRange();
  int64_t outZero = outParams.getZeroPoint(0);
  int64_t qLow = p->clampLow ? num::quantizeAffine(*p->clampLow, outScale,
                                                   outZero, outRange)
                             : outRange.qmin;
  int64_t qHigh = p->clampHigh ? num::quantizeAffine(*p->clampHigh, outScale,
                                                     outZero, outRange)
                               : outRange.qmax;
  DenseI64ArrayAttr clamp;
  if (qLow > outRange.qmin || qHigh < outRange.qmax)
    clamp = b.getDenseI64ArrayAttr({qLow, qHigh});
  auto accType = cast<RankedTensorType>(p->layer.getResult().getType());
  auto stored = RankedTensorType::get(accType.getShape(),
                                      outParams.getStoredElementType());
  Value q = cloneWithBias(b, p->layer, *biasQ, stored, outParams, mode, clamp);

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
  MLIRContext *ctx = layer.getContext();

  // Weight dimensions: parallel ones must reach the output.
  auto wType = cast<RankedTensorType>(weight.stored.getType());
  int64_t k = 1;
  for (auto [axis, expr] : llvm::enumerate(wMap.getResults())) {
    auto d = dyn_cast<AffineDimExpr>(expr);
    if (!d)
      return fail("the weight map is not a projection");
    if (iterators[d.getPosition()] == utils::IteratorType::reduction) {
      k *= wType.getDimSize(axis);
      continue;
    }
    if (!getOutputAxis(outMap, d.getPosition()))
      return fail("a parallel weight dimension does not reach the output");
  }

  // Per-row activation parameters map to the output rows.
  bool perRow = act.dynamic && act.perRow && xMap.getNumResults() >= 2;
  if (perRow) {
    for (AffineExpr expr : xMap.getResults().drop_back()) {
      auto d = dyn_cast<AffineDimExpr>(expr);
      if (!d || !getOutputAxis(outMap, d.getPosition()))
        perRow = false;
    }
    auto last = dyn_cast<AffineDimExpr>(xMap.getResults().back());
    if (!last || iterators[last.getPosition()] != utils::IteratorType::reduction)
      perRow = false;
  }

  // The accumulator, and acc - z_x * sum(w), must stay in i32
  // (numerics::getAccumulatorBound; qnt.contract's verifier checks the
  // same).
  double accBound = num::getAccumulatorBound(
      num::getIntRange(act.storage, false), wParams.getIntRange(),
      wParams.getZeroPoints().asArrayRef(), k);
  if (accBound >= num::kAccumulatorLimit)
    return fail(llvm::Twine("an i32 accumulator could overflow (") +
                num::getStorageName(act.storage) + " activations x " +
                num::getStorageName(wParams.getStorageKind()) +
                " weights over " + llvm::Twine(k) + " terms)");
  int64_t wAxis = wParams.getAxis();
  if (wAxis >= 0) {
    auto d = dyn_cast<AffineDimExpr>(wMap.getResult(wAxis));
    if (!d || !getOutputAxis(outMap, d.getPosition()))
      return fail("the weight's channel axis does not reach the output");
  }

  OpBuilder b(layer);
  // The layer's name lives in the location of its qnt.contract.
  Location userLoc = layer.getLoc();
  if (auto fused = dyn_cast<FusedLoc>(userLoc); fused && fused.getMetadata())
    userLoc = fused.getLocations().front();
  Location loc = layer.getLoc();
  Location layerLoc = userLoc;
  if (!act.layerName.empty() && findLocationName(userLoc) != act.layerName)
    layerLoc = NameLoc::get(b.getStringAttr(act.layerName), userLoc);
  Type f32 = b.getF32Type(), i32 = b.getI32Type();

  // 1. The activation in stored form, with its scale and zero point.
  num::SolverOptions actOptions;
  actOptions.storage = act.storage;
  actOptions.scheme = act.scheme;
  actOptions.narrowRange = act.scheme == num::Scheme::Symmetric;
  Type xStored = IntegerType::get(ctx, num::getStorageBitWidth(act.storage));
  auto xqType = RankedTensorType::get(xType.getShape(), xStored);
  Value xq, sxTensor, zxTensor;
  qnt::ParamsAttr staticInputParams;
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

  // 2. The layer: real values float(acc) * (s_x * s_w), then + c unless c is
  // zero (float(acc) * s is never -0, so adding +0 changes nothing).
  Value wq = arith::ConstantOp::create(b, loc, weight.stored);
  Value y = qnt::ContractOp::create(
      b, layerLoc, outType, xq, wq, Value(), sxTensor, zxTensor,
      b.getAffineMapArrayAttr(maps), staticInputParams,
      act.dynamic ? TypeAttr::get(qnt::getStorageTypeFor(ctx, act.storage))
                  : TypeAttr(),
      wParams, qnt::ParamsAttr(),
      qnt::RequantModeAttr::get(ctx, qnt::RequantMode::float32),
      DenseI64ArrayAttr());
  if (!isZeroFill(c))
    y = buildInitAdd(b, loc, c, y);

  Operation *oldWeight = layer.getDpsInputOperand(1)->get().getDefiningOp();
  Operation *oldInput = x.getDefiningOp();
  layer->getResult(0).replaceAllUsesWith(y);
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
  SmallVector<qnt::ContractOp> layers;
  root->walk([&](qnt::ContractOp op) {
    if (isChainableLayer(op) && op->hasOneUse())
      layers.push_back(op);
  });
  for (qnt::ContractOp layer : layers) {
    // The bias/clamp step follows the layer, or its init add.
    Operation *user = *layer->getUsers().begin();
    auto initAdd = dyn_cast<linalg::GenericOp>(user);
    if (initAdd && matchInitAdd(initAdd)) {
      if (!initAdd->hasOneUse())
        continue;
      user = *initAdd->getUsers().begin();
    } else {
      initAdd = nullptr;
    }
    if (user->getNumResults() != 1)
      continue;
    std::optional<ChainableProducer> p = matchChainable(user->getResult(0));
    if (!p || p->layer != layer || !p->passThrough.empty() || !p->bias ||
        p->numSteps != 1 || p->biasRelu.getOperation() != user)
      continue;
    // The init `c` stays a float addition.
    std::optional<SmallVector<int32_t>> biasQ =
        quantizeBias(*p, /*withInitBias=*/false);
    if (!biasQ)
      continue;
    OpBuilder b(user);
    Location loc = user->getLoc();
    Value y = cloneWithBias(b, layer, *biasQ, layer.getResult().getType(),
                            qnt::ParamsAttr(), qnt::RequantMode::float32,
                            DenseI64ArrayAttr());
    if (initAdd)
      y = buildInitAdd(b, loc, initAdd.getDpsInputOperand(0)->get(), y);
    if (p->clampLow || p->clampHigh) {
      auto type = cast<RankedTensorType>(y.getType());
      unsigned rank = type.getRank();
      SmallVector<Value> dyn;
      for (unsigned d = 0; d < rank; ++d)
        if (type.isDynamicDim(d))
          dyn.push_back(tensor::DimOp::create(b, loc, y, d));
      Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                            type.getElementType(), dyn);
      AffineMap id = b.getMultiDimIdentityMap(rank);
      std::optional<float> lo = p->clampLow, hi = p->clampHigh;
      y = linalg::GenericOp::create(
              b, loc, TypeRange{type}, ValueRange{y}, ValueRange{empty},
              ArrayRef<AffineMap>{id, id},
              SmallVector<utils::IteratorType>(rank,
                                               utils::IteratorType::parallel),
              [&](OpBuilder &nb, Location l, ValueRange args) {
                Value v = args[0];
                if (lo)
                  v = arith::MaximumFOp::create(
                      nb, l, v,
                      arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(*lo)));
                if (hi)
                  v = arith::MinimumFOp::create(
                      nb, l, v,
                      arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(*hi)));
                linalg::YieldOp::create(nb, l, v);
              })
              .getResult(0);
    }
    user->getResult(0).replaceAllUsesWith(y);
    user->erase();
    if (initAdd)
      initAdd->erase();
    layer->erase();
  }
}
