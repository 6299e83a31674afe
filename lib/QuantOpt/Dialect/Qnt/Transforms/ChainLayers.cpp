//===- ChainLayers.cpp - Chain static integer layers ----------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites on qnt.contract layers with static inputs:
//
// - chaining: `qnt.quantize` of a static layer's real output, reached
//   through a bias, clamps (ReLU, ReLU6), zero padding, max pooling,
//   reshapes, transposes or a concatenation, becomes a copy of that layer
//   whose accumulator (with the bias in int32 at s_x * s_w) is requantized
//   straight to the quantize's parameters, the clamp as stored bounds, and
//   the shape ops replayed on the stored integers;
// - bias folding: a bias (and clamp) after a static layer with a real
//   result becomes the layer's int32 bias.
//
// Both are patterns anchored on the op they replace, so the order in which
// layers are visited does not matter. Chaining runs first (a layer that
// chains takes its bias into the requantized copy), bias folding second.
// The quantize moves that run with the chaining are in QuantizeMoves.cpp,
// the remark on layers that did not chain in UnchainedRemark.cpp; the
// predicates all three share in ChainPredicates.h.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/ChainLayers.h"
#include "ChainPredicates.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/IntegerLayers.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

namespace quantopt {
#define GEN_PASS_DEF_QNTCHAINLAYERS
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;
namespace num = quantopt::numerics;
using namespace quantopt::chain;

namespace {

/// Whether `v` broadcasts a constant 1-D bias along the last dimension (how
/// TOSA's lowering initializes convolutions and matmuls); returns the bias.
DenseElementsAttr getBroadcastBias(Value v) {
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

} // namespace

bool chain::isScalePreserving(Operation *op) {
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

namespace {

/// One element-wise generic of a chain: `clamp?(in + bias?)` on its first
/// input, with a constant bias broadcast along the last dimension (a 1-D
/// constant, or one whose other dimensions are read at index 0).
struct ElementwiseStep {
  DenseElementsAttr bias;
  std::optional<float> clampLow, clampHigh;
};

/// A float value that is the same everywhere: a splat constant or a fill of a
/// constant (how named element-wise ops spell ReLU's 0).
std::optional<float> getUniformOperand(Value v) {
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
DenseElementsAttr getBiasOperand(Value v, AffineMap map, unsigned rank) {
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

std::optional<ElementwiseStep> parseElementwise(linalg::GenericOp generic) {
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
/// qnt.contract with a real (f32) result and no bias, `c` (optional)
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

} // namespace

bool chain::accumulatorsFitChain(qnt::ContractOp layer) {
  qnt::ParamsAttr w = layer.getWeightParamsAttr();
  double bound = num::getAccumulatorBound(
      num::getIntRange(layer.getInputParamsAttr().getStorageKind(), false),
      layer.getWeightIntRange(), w.getZeroPoints().asArrayRef(),
      layer.getReductionSize());
  return bound < num::kChainAccumulatorLimit;
}

bool chain::hasChannelsLast(qnt::ContractOp layer) {
  auto type = cast<RankedTensorType>(layer.getResult().getType());
  return layer.getWeightParamsAttr().getAxis() < 0 ||
         (type.getRank() > 0 &&
          layer.getResultChannelAxis() == type.getRank() - 1);
}

namespace {

/// Whether `layer`'s accumulator can take an int32 bias and feed a
/// requantization: input, real result, no bias yet, and an
/// accumulator bound below numerics::kChainAccumulatorLimit.
bool isChainableLayer(qnt::ContractOp layer) {
  // The block form (per-block weights) returns real values only: it takes
  // neither a bias nor a requantized result.
  if (!layer || layer.isDynamic() || layer.isWeightDynamic() ||
      layer.getBias() || layer.getWeightBlockSize() > 0 ||
      !layer.getResult().getType().getElementType().isF32())
    return false;
  return chain::accumulatorsFitChain(layer);
}

std::optional<ChainableProducer> matchChainable(Value x) {
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
std::optional<SmallVector<int32_t>>
quantizeBias(const ChainableProducer &p, bool withInitBias) {
  qnt::ContractOp layer = p.layer;
  auto outType = cast<RankedTensorType>(layer.getResult().getType());
  unsigned rank = outType.getRank();
  int64_t channels = rank ? outType.getShape().back() : 1;
  if (rank == 0 || ShapedType::isDynamic(channels))
    return std::nullopt;
  qnt::ParamsAttr wParams = layer.getWeightParamsAttr();
  bool perChannel = wParams.getAxis() >= 0;
  if (perChannel && (int64_t(wParams.getScales().size()) != channels ||
                     !hasChannelsLast(layer)))
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
qnt::ContractOp cloneWithBias(OpBuilder &b, qnt::ContractOp layer,
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
      Value(), Value(), Value(), layer.getMapsAttr(),
      layer.getInputParamsAttr(), TypeAttr(), layer.getWeightParamsAttr(),
      TypeAttr(), resultParams,
      qnt::RequantModeAttr::get(b.getContext(), mode), clamp);
}

/// What chaining a value into a quantization needs: the producer and its
/// bias in int32. Computed without changing the IR.
struct ChainPlan {
  ChainableProducer producer;
  SmallVector<int32_t> biasQ;
};

/// Whether `x` can be chained into a quantization to `outParams`: it is a
/// chainable producer's output, its bias fits in int32 and the
/// requantization exists on path `mode` (qnt.contract's verifier checks the
/// same).
std::optional<ChainPlan> planChain(Value x, qnt::ParamsAttr outParams,
                                   qnt::RequantMode mode) {
  std::optional<ChainableProducer> p = matchChainable(x);
  if (!p)
    return std::nullopt;
  std::optional<SmallVector<int32_t>> biasQ =
      quantizeBias(*p, /*withInitBias=*/true);
  if (!biasQ)
    return std::nullopt;
  float outScale = outParams.getScales()[0];
  for (float accScale : p->layer.getAccumulatorScales()) {
    if (mode == qnt::RequantMode::float32) {
      float m = num::computeFloatMultiplier(accScale, outScale);
      if (!std::isfinite(m) || m == 0.0f)
        return std::nullopt;
    } else if (auto m = num::computeFixedPointMultiplier(double(accScale) /
                                                         double(outScale));
               !m) {
      llvm::consumeError(m.takeError());
      return std::nullopt;
    }
  }
  return ChainPlan{*p, *biasQ};
}

} // namespace

Value chain::replayOnStored(OpBuilder &b, Location loc, Value q,
                            ArrayRef<Operation *> passThrough,
                            qnt::ParamsAttr outParams) {
  Type storedElement = outParams.getStoredElementType();
  bool isUnsigned = !num::isSignedStorage(outParams.getStorageKind());
  auto asStored = [&](Value floatValue) {
    return RankedTensorType::get(
        cast<RankedTensorType>(floatValue.getType()).getShape(), storedElement);
  };
  for (Operation *op : passThrough) {
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
    } else if (auto insert = dyn_cast<tensor::InsertSliceOp>(op)) {
      // Into zeros (isInsertIntoZeros): real 0 is the zero point. The fill's
      // tensor.empty gives the dynamic sizes.
      Value zp = arith::ConstantOp::create(
          b, loc, b.getIntegerAttr(storedElement, outParams.getZeroPoint(0)));
      auto floatEmpty = insert.getDest()
                            .getDefiningOp<linalg::FillOp>()
                            .getOutputs()[0]
                            .getDefiningOp<tensor::EmptyOp>();
      Value empty =
          tensor::EmptyOp::create(b, loc, insert.getDestType().getShape(),
                                  storedElement, floatEmpty.getDynamicSizes());
      Value zeros = linalg::FillOp::create(b, loc, zp, empty).getResult(0);
      q = tensor::InsertSliceOp::create(
          b, loc, q, zeros, insert.getMixedOffsets(), insert.getMixedSizes(),
          insert.getMixedStrides());
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

namespace {

/// Chains two integer layers: instead of quantizing the float output of the
/// previous layer, its accumulator (with the bias quantized to int32 at scale
/// `s_x * s_w`) is requantized straight to `outParams` by a copy of the
/// producer's qnt.contract; a clamp becomes stored bounds, and the
/// scale-preserving ops in between are replayed on the stored integers.
Value emitChain(OpBuilder &b, Location loc, const ChainPlan &plan,
                qnt::ParamsAttr outParams, qnt::RequantMode mode) {
  ChainableProducer producer = plan.producer;
  ChainableProducer *p = &producer;
  float outScale = outParams.getScales()[0];
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
  Value q =
      cloneWithBias(b, p->layer, plan.biasQ, stored, outParams, mode, clamp);

  // Replay padding, pooling and reshapes on the stored integers.
  q = replayOnStored(b, loc, q, p->passThrough, outParams);
  return q;
}


/// qnt.quantize of a chainable producer's output (see the file comment).
struct ChainIntoQuantize : OpRewritePattern<qnt::QuantizeOp> {
  ChainIntoQuantize(MLIRContext *ctx, qnt::RequantMode mode)
      : OpRewritePattern(ctx), mode(mode) {}

  LogicalResult matchAndRewrite(qnt::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    qnt::ParamsAttr params = op.getParams();
    // The requantization's rounding (`mode`) replaces the quantization's,
    // whichever it is (a profile's: reciprocal, half away).
    if (params.isFloatStorage() || params.hasMinValues() ||
        !params.isPerTensor() || op.getPrecision() ||
        !op.getInput().getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(
          op, "chaining needs per-tensor affine integer parameters, f32 "
              "input and float32 arithmetic");
    Location loc = op.getLoc();
    // A concatenation carries one set of parameters: chain the operands
    // that come from static layers, quantize the others, and concatenate
    // the stored integers (exact: quantization is element-wise).
    if (auto concat = op.getInput().getDefiningOp<tensor::ConcatOp>()) {
      SmallVector<std::optional<ChainPlan>> plans;
      for (Value operand : concat.getInputs())
        plans.push_back(planChain(operand, params, mode));
      if (llvm::none_of(plans, [](auto &plan) { return plan.has_value(); }))
        return rewriter.notifyMatchFailure(
            op, "no operand of the concatenation is a static layer's output");
      SmallVector<Value> parts;
      for (auto [operand, plan] : llvm::zip(concat.getInputs(), plans))
        parts.push_back(
            plan ? emitChain(rewriter, loc, *plan, params, mode)
                 : qnt::QuantizeOp::create(
                       rewriter, loc,
                       RankedTensorType::get(
                           cast<RankedTensorType>(operand.getType()).getShape(),
                           params.getStoredElementType()),
                       operand, params, op.getRounding())
                       .getResult());
      rewriter.replaceOpWithNewOp<tensor::ConcatOp>(op, concat.getDim(),
                                                    parts);
      return success();
    }
    std::optional<ChainPlan> plan = planChain(op.getInput(), params, mode);
    if (!plan)
      return rewriter.notifyMatchFailure(
          op, "the input is not a static layer's output (through a bias, "
              "clamps and scale-preserving ops)");
    rewriter.replaceOp(op, emitChain(rewriter, loc, *plan, params, mode));
    return success();
  }

  qnt::RequantMode mode;
};

/// A bias (and clamp) generic after a static layer's real output, moved
/// into the layer as its int32 bias:
/// `clamp(c + float(acc + round(b / (s_x * s_w))) * (s_x * s_w))`.
struct FoldBiasIntoLayer : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp user,
                                PatternRewriter &rewriter) const override {
    if (user->getNumResults() != 1)
      return failure();
    std::optional<ChainableProducer> p = matchChainable(user->getResult(0));
    if (!p || !p->passThrough.empty() || !p->bias || p->numSteps != 1 ||
        p->biasRelu.getOperation() != user)
      return rewriter.notifyMatchFailure(
          user, "not one bias step after a static layer");
    qnt::ContractOp layer = p->layer;
    linalg::GenericOp initAdd = p->initAdd;
    if (!layer->hasOneUse() || (initAdd && !initAdd->hasOneUse()))
      return rewriter.notifyMatchFailure(user, "the layer has other users");
    // The init `c` stays a float addition.
    std::optional<SmallVector<int32_t>> biasQ =
        quantizeBias(*p, /*withInitBias=*/false);
    if (!biasQ)
      return rewriter.notifyMatchFailure(user, "the bias does not fit");
    rewriter.setInsertionPoint(user);
    Location loc = user->getLoc();
    Value y = cloneWithBias(rewriter, layer, *biasQ,
                            layer.getResult().getType(), qnt::ParamsAttr(),
                            qnt::RequantMode::float32, DenseI64ArrayAttr());
    if (initAdd)
      y = buildInitAdd(rewriter, loc, initAdd.getDpsInputOperand(0)->get(), y);
    if (p->clampLow || p->clampHigh) {
      auto type = cast<RankedTensorType>(y.getType());
      unsigned rank = type.getRank();
      SmallVector<Value> dyn;
      for (unsigned d = 0; d < rank; ++d)
        if (type.isDynamicDim(d))
          dyn.push_back(tensor::DimOp::create(rewriter, loc, y, d));
      Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                            type.getElementType(), dyn);
      AffineMap id = rewriter.getMultiDimIdentityMap(rank);
      std::optional<float> lo = p->clampLow, hi = p->clampHigh;
      y = linalg::GenericOp::create(
              rewriter, loc, TypeRange{type}, ValueRange{y}, ValueRange{empty},
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
    rewriter.replaceOp(user, y);
    if (initAdd)
      rewriter.eraseOp(initAdd);
    rewriter.eraseOp(layer);
    return success();
  }
};

/// The greedy configuration of both phases: no folding and no constant CSE,
/// so that only the patterns change the IR.
GreedyRewriteConfig getChainConfig() {
  GreedyRewriteConfig config;
  config.enableFolding(false)
      .enableConstantCSE(false)
      .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
  return config;
}

struct QntChainLayersPass
    : quantopt::impl::QntChainLayersBase<QntChainLayersPass> {
  using Base::Base;
  void runOnOperation() override {
    std::optional<qnt::RequantMode> mode = parseRequantizeOption(requantize);
    if (!mode) {
      getOperation()->emitError()
          << "qnt-chain-layers: unknown requantize='" << requantize
          << "' (expected float, fixed-point or double-round)";
      return signalPassFailure();
    }
    if (failed(chainStaticLayers(getOperation(), *mode)))
      signalPassFailure();
  }
};

} // namespace

void quantopt::populateQntChainLayersPatterns(RewritePatternSet &patterns,
                                              qnt::RequantMode mode) {
  patterns.add<ChainIntoQuantize>(patterns.getContext(), mode);
  populateQntQuantizeMovePatterns(patterns);
}

void quantopt::populateQntFoldLayerBiasPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldBiasIntoLayer>(patterns.getContext());
}

std::optional<qnt::RequantMode>
quantopt::parseRequantizeOption(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<qnt::RequantMode>>(name)
      .Case("float", qnt::RequantMode::float32)
      .Case("fixed-point", qnt::RequantMode::fixed_point)
      .Case("double-round", qnt::RequantMode::fixed_point_double_round)
      .Default(std::nullopt);
}

LogicalResult quantopt::applyQntQuantizeMoves(Operation *root) {
  RewritePatternSet moves(root->getContext());
  populateQntQuantizeMovePatterns(moves);
  if (failed(applyPatternsGreedily(root, std::move(moves), getChainConfig())))
    return root->emitError("qnt-quantize: the quantize moves did not converge");
  return success();
}

LogicalResult quantopt::chainStaticLayers(Operation *root,
                                          qnt::RequantMode mode) {
  MLIRContext *ctx = root->getContext();
  RewritePatternSet chain(ctx);
  populateQntChainLayersPatterns(chain, mode);
  if (failed(applyPatternsGreedily(root, std::move(chain), getChainConfig())))
    return root->emitError("qnt-chain-layers: chaining did not converge");
  RewritePatternSet fold(ctx);
  populateQntFoldLayerBiasPatterns(fold);
  // Chaining leaves float producers alive only through `tensor.dim` of a
  // dynamic batch dimension: read those dimensions from the operands
  // instead, so that the producers die.
  memref::populateResolveRankedShapedTypeResultDimsPatterns(fold);
  if (failed(applyPatternsGreedily(root, std::move(fold), getChainConfig())))
    return root->emitError("qnt-chain-layers: bias folding did not converge");
  return success();
}
