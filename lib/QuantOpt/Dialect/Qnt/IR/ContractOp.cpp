//===- ContractOp.cpp - qnt.contract: a quantized layer -------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The structure queries and the verifier of qnt.contract. The passes that
// build, rewrite and lower the op read its loops, channel axis and
// accumulator scales through these queries, so that they and the verifier
// agree on what the op means.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::qnt;
namespace num = quantopt::numerics;

LogicalResult ContractOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  auto type = cast<RankedTensorType>(getResult().getType());
  SmallVector<OpFoldResult> sizes;
  for (auto [i, e] : llvm::enumerate(getResultMap().getResults())) {
    if (!type.isDynamicDim(i)) {
      sizes.push_back(b.getIndexAttr(type.getDimSize(i)));
      continue;
    }
    // The operand dimension the result's loop indexes alone (a batch); a
    // loop read only through a window (d1 * 2 + d4) is not reified.
    auto loop = dyn_cast<AffineDimExpr>(e);
    OpFoldResult size;
    for (auto [operand, map] : {std::pair(getInput(), getInputMap()),
                                std::pair(getWeight(), getWeightMap())}) {
      for (auto [axis, r] : llvm::enumerate(map.getResults())) {
        if (size || !loop || r != loop)
          continue;
        size = tensor::getMixedSize(b, getLoc(), operand, axis);
      }
    }
    if (!size)
      return failure();
    sizes.push_back(size);
  }
  reifiedReturnShapes.push_back(std::move(sizes));
  return success();
}

num::StorageKind ContractOp::getInputStorageKind() {
  if (ParamsAttr params = getInputParamsAttr())
    return params.getStorageKind();
  return *getStorageKindOf(*getInputStorage());
}

num::StorageKind ContractOp::getWeightStorageKind() {
  if (ParamsAttr params = getWeightParamsAttr())
    return params.getStorageKind();
  return *getStorageKindOf(*getWeightStorage());
}

SmallVector<bool> ContractOp::getReductionLoops() {
  AffineMap out = getResultMap();
  SmallVector<bool> reduced(out.getNumDims(), true);
  for (AffineExpr e : out.getResults())
    if (auto d = dyn_cast<AffineDimExpr>(e))
      reduced[d.getPosition()] = false;
  return reduced;
}

SmallVector<int64_t> ContractOp::getReducedWeightAxes() {
  SmallVector<bool> reduced = getReductionLoops();
  SmallVector<int64_t> axes;
  for (auto [axis, e] : llvm::enumerate(getWeightMap().getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(e); d && reduced[d.getPosition()])
      axes.push_back(axis);
  return axes;
}

int64_t ContractOp::getReductionSize() {
  auto type = cast<RankedTensorType>(getWeight().getType());
  int64_t k = 1;
  for (int64_t axis : getReducedWeightAxes())
    k *= type.getDimSize(axis);
  return k;
}

std::optional<unsigned> ContractOp::getResultAxisOfWeight(int64_t axis) {
  auto d = dyn_cast<AffineDimExpr>(getWeightMap().getResult(axis));
  if (!d)
    return std::nullopt;
  for (auto [i, e] : llvm::enumerate(getResultMap().getResults()))
    if (e == d)
      return i;
  return std::nullopt;
}

std::optional<unsigned> ContractOp::getResultChannelAxis() {
  ParamsAttr params = getWeightParamsAttr();
  int64_t axis = params && params.getBlockSize() == 0 ? params.getAxis() : -1;
  if (axis < 0)
    return std::nullopt;
  return getResultAxisOfWeight(axis);
}

bool ContractOp::isInputPerBlock() {
  if (!isDynamic() || getWeightBlockSize() == 0)
    return false;
  auto sType = cast<RankedTensorType>(getInputScales().getType());
  return sType.getRank() ==
         cast<RankedTensorType>(getInput().getType()).getRank();
}

SmallVector<unsigned> ContractOp::getRowResultAxes() {
  SmallVector<unsigned> axes;
  if (!isDynamic() ||
      cast<RankedTensorType>(getInputScales().getType()).getRank() == 0)
    return axes;
  for (AffineExpr e : getInputMap().getResults().drop_back())
    for (auto [i, o] : llvm::enumerate(getResultMap().getResults()))
      if (o == e)
        axes.push_back(i);
  return axes;
}

SmallVector<float> ContractOp::getAccumulatorScales() {
  float sx = getInputParamsAttr().getScales()[0];
  SmallVector<float> scales;
  for (float sw : getWeightIntegerScales())
    scales.push_back(sx * sw);
  return scales;
}

int64_t ContractOp::getWeightCodeFactor() {
  ParamsAttr params = getWeightParamsAttr();
  if (!params || !params.isFloatStorage())
    return 1;
  return num::getInt8CodeFactor(params.getStorageKind()).value_or(1);
}

num::IntRange ContractOp::getWeightIntRange() {
  ParamsAttr params = getWeightParamsAttr();
  if (!params)
    return num::getIntRange(getWeightStorageKind(), false);
  if (params.isFloatStorage())
    return num::getInt8CodeRange(params.getStorageKind());
  return params.getIntRange();
}

SmallVector<float> ContractOp::getWeightIntegerScales() {
  // f is a power of two, so s / f is exact unless it falls below 2^-126
  // (float32's subnormals) and loses bits there: never for MX's E8M0
  // scales, which are powers of two from 2^-127 on. The reference lowering
  // and the kernels read the same quotients.
  auto f = static_cast<float>(getWeightCodeFactor());
  SmallVector<float> scales;
  for (float sw : getWeightParamsAttr().getScales().asArrayRef())
    scales.push_back(sw / f);
  return scales;
}

/// Checks the stored element type of an operand against its parameters.
static LogicalResult verifyStored(ContractOp op, Value v, ParamsAttr params,
                                  StringRef what, bool allowBlocks = false) {
  // MX float codes that are integers times a power of two: per-block
  // weights without zero points.
  if (params.isFloatStorage() && allowBlocks && !params.hasMinValues() &&
      num::getInt8CodeFactor(params.getStorageKind())) {
    if (params.getBlockSize() == 0 ||
        llvm::any_of(params.getZeroPoints().asArrayRef(),
                     [](int64_t z) { return z != 0; }))
      return op.emitOpError()
             << what << " float codes (" << params.getStorageType()
             << ") must be per block with zero point 0";
  } else if (params.isFloatStorage() || params.hasMinValues() ||
             (params.getBlockSize() > 0 && !allowBlocks) ||
             params.getStorageKind() == num::StorageKind::I32)
    return op.emitOpError()
           << what << " parameters must be affine (scale and zero point) on "
           << "integer storage of 2 to 16 bits, per tensor or per channel"
           << (allowBlocks ? " or per block (or f4E2M1FN / f6E2M3FN codes "
                             "per block)"
                           : "");
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType() != params.getStoredElementType())
    return op.emitOpError() << what << " element type "
                            << type.getElementType() << " does not match "
                            << "storage " << params.getStorageType();
  return params.verifyForShape(type.getShape(),
                               [&]() { return op.emitOpError(); });
}

/// Checks `input_storage` / `weight_storage` of run-time quantized operands.
static LogicalResult verifyDynamicStorage(ContractOp op, Value v,
                                          Type storage, StringRef what) {
  std::optional<num::StorageKind> kind = getStorageKindOf(storage);
  if (!kind || num::isFloatStorage(*kind) || *kind == num::StorageKind::I32)
    return op.emitOpError() << what << "_storage must be an integer type of "
                            << "2 to 16 bits, got " << storage;
  Type element = cast<RankedTensorType>(v.getType()).getElementType();
  if (element !=
      IntegerType::get(op.getContext(), num::getStorageBitWidth(*kind)))
    return op.emitOpError() << what << " element type " << element
                            << " does not match " << what << "_storage "
                            << storage;
  return success();
}

LogicalResult ContractOp::verify() {
  // Structure: three maps over the same loops, the result map a projection.
  ArrayAttr maps = getMapsAttr();
  if (maps.size() != 3)
    return emitOpError() << "needs three maps (input, weight, result), got "
                         << maps.size();
  AffineMap xMap = getInputMap(), wMap = getWeightMap(),
            outMap = getResultMap();
  unsigned numLoops = xMap.getNumDims();
  if (wMap.getNumDims() != numLoops || outMap.getNumDims() != numLoops ||
      xMap.getNumSymbols() || wMap.getNumSymbols() || outMap.getNumSymbols())
    return emitOpError() << "maps must have the same loops and no symbols";
  auto xType = cast<RankedTensorType>(getInput().getType());
  auto wType = cast<RankedTensorType>(getWeight().getType());
  auto outType = cast<RankedTensorType>(getResult().getType());
  for (auto [map, type, what] :
       {std::make_tuple(xMap, xType, "input"),
        std::make_tuple(wMap, wType, "weight"),
        std::make_tuple(outMap, outType, "result")})
    if (map.getNumResults() != static_cast<unsigned>(type.getRank()))
      return emitOpError() << "the " << what << " map has "
                           << map.getNumResults() << " results for a rank-"
                           << type.getRank() << " " << what;
  if (!outMap.isProjectedPermutation(/*allowZeroInResults=*/false))
    return emitOpError() << "the result map must be a projection (distinct "
                            "loops)";
  if (!llvm::all_of(wMap.getResults(), llvm::IsaPred<AffineDimExpr>))
    return emitOpError() << "the weight map must index every weight "
                            "dimension with one loop";
  // Static sizes of a loop agree wherever it indexes a dimension directly.
  SmallVector<int64_t> sizes(numLoops, ShapedType::kDynamic);
  SmallVector<bool> used(numLoops, false);
  for (auto [map, type, what] :
       {std::make_tuple(xMap, xType, "input"),
        std::make_tuple(wMap, wType, "weight"),
        std::make_tuple(outMap, outType, "result")}) {
    for (auto [axis, e] : llvm::enumerate(map.getResults())) {
      e.walk([&](AffineExpr sub) {
        if (auto d = dyn_cast<AffineDimExpr>(sub))
          used[d.getPosition()] = true;
      });
      auto d = dyn_cast<AffineDimExpr>(e);
      int64_t size = type.getDimSize(axis);
      if (!d || ShapedType::isDynamic(size))
        continue;
      int64_t &known = sizes[d.getPosition()];
      if (!ShapedType::isDynamic(known) && known != size)
        return emitOpError() << "loop d" << d.getPosition() << " has size "
                             << known << " elsewhere but " << size
                             << " in dimension " << axis << " of the "
                             << what;
      known = size;
    }
  }
  for (unsigned d = 0; d < numLoops; ++d)
    if (!used[d])
      return emitOpError() << "loop d" << d << " indexes no operand";
  SmallVector<bool> reduced = getReductionLoops();
  for (int64_t axis : getReducedWeightAxes())
    if (wType.isDynamicDim(axis))
      return emitOpError() << "the weight's reduced dimensions must be "
                              "static";

  // Weight parameters: static (one set, per tensor or per channel) or
  // dynamic (rank-0 operands).
  ParamsAttr wParams = getWeightParamsAttr();
  if (static_cast<bool>(getWeightScales()) !=
      static_cast<bool>(getWeightZeroPoints()))
    return emitOpError() << "dynamic weight parameters need scales and zero "
                            "points";
  if (isWeightDynamic() == static_cast<bool>(wParams))
    return emitOpError() << "needs either weight parameters or "
                            "weight_dynamic(scales, zero points) operands";
  if (isWeightDynamic() != static_cast<bool>(getWeightStorageAttr()))
    return emitOpError() << "weight_storage names the stored type of dynamic "
                            "weights (and only of those)";
  num::IntRange wRange;
  SmallVector<int64_t> wZeroPoints;
  if (wParams) {
    if (failed(verifyStored(*this, getWeight(), wParams, "weight",
                            /*allowBlocks=*/true)))
      return failure();
    wRange = getWeightIntRange();
    llvm::append_range(wZeroPoints, wParams.getZeroPoints().asArrayRef());
  } else {
    if (failed(verifyDynamicStorage(*this, getWeight(), *getWeightStorage(),
                                    "weight")))
      return failure();
    wRange = num::getIntRange(getWeightStorageKind(), false);
    // A run-time zero point may lie anywhere in the stored range.
    wZeroPoints = {wRange.qmin, wRange.qmax};
    auto sType = cast<RankedTensorType>(getWeightScales().getType());
    auto zType = cast<RankedTensorType>(getWeightZeroPoints().getType());
    if (sType.getRank() != 0 || zType.getRank() != 0)
      return emitOpError() << "dynamic weight parameters must be per tensor "
                              "(rank 0)";
  }

  // Input parameters: static (one set) or dynamic (operands).
  if (static_cast<bool>(getInputScales()) !=
      static_cast<bool>(getInputZeroPoints()))
    return emitOpError() << "dynamic input parameters need scales and zero "
                            "points";
  if (isDynamic() == static_cast<bool>(getInputParamsAttr()))
    return emitOpError() << "needs either input parameters or dynamic "
                            "(scales, zero points) operands";
  if (isDynamic() != static_cast<bool>(getInputStorageAttr()))
    return emitOpError() << "input_storage names the stored type of dynamic "
                            "inputs (and only of those)";
  num::IntRange xRange;
  if (ParamsAttr xParams = getInputParamsAttr()) {
    if (failed(verifyStored(*this, getInput(), xParams, "input")))
      return failure();
    if (!xParams.isPerTensor())
      return emitOpError() << "input parameters must be per tensor";
    xRange = num::getIntRange(xParams.getStorageKind(), false);
  } else {
    if (failed(verifyDynamicStorage(*this, getInput(), *getInputStorage(),
                                    "input")))
      return failure();
    xRange = num::getIntRange(getInputStorageKind(), false);
    auto sType = cast<RankedTensorType>(getInputScales().getType());
    auto zType = cast<RankedTensorType>(getInputZeroPoints().getType());
    if (sType.getShape() != zType.getShape())
      return emitOpError() << "dynamic scales and zero points must have the "
                              "same shape";
    if (isInputPerBlock()) {
      SmallVector<int64_t> blockShape(xType.getShape());
      if (!blockShape.empty() && !ShapedType::isDynamic(blockShape.back()))
        blockShape.back() =
            num::getNumBlocks(blockShape.back(), getWeightBlockSize());
      if (sType.getShape() != ArrayRef<int64_t>(blockShape))
        return emitOpError()
               << "per-block dynamic parameters must have the input's shape "
                  "with its last dimension counted in blocks of "
               << getWeightBlockSize() << " ("
               << RankedTensorType::get(blockShape, sType.getElementType())
               << ")";
    } else if (sType.getRank() != 0) {
      auto last = dyn_cast<AffineDimExpr>(xMap.getResults().back());
      if (sType.getShape() != xType.getShape().drop_back() || !last ||
          !reduced[last.getPosition()] ||
          getRowResultAxes().size() != xMap.getNumResults() - 1)
        return emitOpError()
               << "per-row dynamic parameters must have the input's shape "
                  "without its last dimension, which must be reduced while "
                  "the others index the result";
    }
  }

  // The weight's channel is an output channel.
  if (wParams && wParams.getAxis() >= 0 && wParams.getBlockSize() == 0 &&
      !getResultChannelAxis())
    return emitOpError() << "the weight's channel axis "
                         << wParams.getAxis()
                         << " must index a result dimension (an output "
                            "channel), not a reduced one";

  // Per-block weights: blocks of the one reduced loop, which indexes the
  // input's last dimension; real results without a bias.
  int64_t k = getReductionSize();
  if (int64_t block = getWeightBlockSize()) {
    SmallVector<int64_t> reducedAxes = getReducedWeightAxes();
    auto blockLoop =
        dyn_cast<AffineDimExpr>(wMap.getResult(wParams.getAxis()));
    auto last = dyn_cast<AffineDimExpr>(xMap.getResults().back());
    if (reducedAxes.size() != 1 || reducedAxes[0] != wParams.getAxis() ||
        llvm::count(reduced, true) != 1 || !last || last != blockLoop ||
        llvm::any_of(xMap.getResults().drop_back(), [&](AffineExpr e) {
          return e.isFunctionOfDim(blockLoop.getPosition());
        }))
      return emitOpError()
             << "per-block weights need one reduced loop, indexing the "
                "weight's block axis "
             << wParams.getAxis() << " and the input's last dimension";
    if (!outType.getElementType().isF32() || getBias())
      return emitOpError() << "a layer with per-block weights returns real "
                              "values (an f32 result) and takes no bias";
    k = std::min(k, block);
  }

  // The int32 accumulator cannot overflow.
  double bound = num::getAccumulatorBound(xRange, wRange, wZeroPoints, k);
  if (bound >= num::kAccumulatorLimit)
    return emitOpError() << "an int32 accumulator could overflow: " << k
                         << " products of "
                         << num::getStorageName(getInputStorageKind())
                         << " and "
                         << num::getStorageName(getWeightStorageKind())
                         << " values reach " << static_cast<int64_t>(bound)
                         << " (the limit is 2^30)";

  // The bias: int32 at the accumulator's scale along the last dimension.
  if (Value bias = getBias()) {
    auto bType = cast<RankedTensorType>(bias.getType());
    if (isDynamic() || isWeightDynamic())
      return emitOpError() << "an int32 bias needs static input and weight "
                              "parameters (its scale is s_x * s_w)";
    if (bType.getRank() != 1 || outType.getRank() == 0 ||
        bType.getDimSize(0) != outType.getShape().back() ||
        bType.isDynamicDim(0))
      return emitOpError() << "bias must be a static vector of the result's "
                              "last dimension";
  }

  // The result: accumulator, real values or requantized.
  Type element = outType.getElementType();
  ParamsAttr rParams = getResultParamsAttr();
  bool requantized = isa<IntegerType>(element) && !element.isInteger(32);
  if (!requantized && (getClamp() || getMode() != RequantMode::float32))
    return emitOpError() << "mode and clamp apply to requantized results";
  if (isa<FloatType>(element)) {
    if (rParams)
      return emitOpError() << "a float result is the dequantized "
                              "accumulator; it takes no result parameters";
    return success();
  }
  if (!isa<IntegerType>(element))
    return emitOpError() << "result must be i32 (accumulator), float "
                            "(dequantized) or stored integers (requantized)";
  if (isDynamic() || isWeightDynamic())
    return emitOpError() << "integer results need static input and weight "
                            "parameters";
  if (!rParams)
    return emitOpError() << "integer results need result parameters";
  SmallVector<float> accScales = getAccumulatorScales();
  std::optional<unsigned> channel = getResultChannelAxis();
  if (element.isInteger(32)) {
    // The accumulator's own parameters: i32, s_x * s_w, zero point 0.
    bool zeroZp = llvm::all_of(rParams.getZeroPoints().asArrayRef(),
                               [](int64_t z) { return z == 0; });
    if (rParams.getStorageKind() != num::StorageKind::I32 || !zeroZp ||
        rParams.hasMinValues() || rParams.getBlockSize() > 0)
      return emitOpError() << "an i32 result is the accumulator: its "
                              "parameters must be i32 with zero point 0";
    if ((channel ? int64_t(*channel) : -1) != rParams.getAxis())
      return emitOpError() << "the accumulator's axis must be the result's "
                              "channel axis ("
                           << (channel ? int64_t(*channel) : -1)
                           << "), got " << rParams.getAxis();
    ArrayRef<float> scales = rParams.getScales().asArrayRef();
    if (scales.size() != accScales.size())
      return emitOpError() << "the accumulator needs " << accScales.size()
                           << " scales, got " << scales.size();
    for (auto [i, pair] : llvm::enumerate(llvm::zip(scales, accScales)))
      if (std::get<0>(pair) != std::get<1>(pair))
        return emitOpError() << "accumulator scale #" << i << " is "
                             << std::get<0>(pair) << " but s_x * s_w is "
                             << std::get<1>(pair);
    return rParams.verifyForShape(outType.getShape(),
                                  [&]() { return emitOpError(); });
  }
  if (failed(verifyStored(*this, getResult(), rParams, "result")))
    return failure();
  if (!rParams.isPerTensor())
    return emitOpError() << "requantized results take per-tensor parameters";
  if (failed(verifyRequantScales(*this, accScales, rParams, getMode())))
    return failure();
  if (std::optional<ArrayRef<int64_t>> clamp = getClamp()) {
    num::IntRange range = rParams.getIntRange();
    if (clamp->size() != 2 || (*clamp)[0] > (*clamp)[1] ||
        !range.contains((*clamp)[0]) || !range.contains((*clamp)[1]))
      return emitOpError() << "clamp must be [lo, hi] with qmin <= lo <= hi "
                              "<= qmax of the result storage ("
                           << range.qmin << ", " << range.qmax << ")";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Canonicalization: an accumulator's epilogue folds into its layer
//===----------------------------------------------------------------------===//

namespace {

/// The qnt.contract whose i32 accumulator, with parameters `params`, is
/// `value`'s only use, or null.
ContractOp getAccumulatorLayer(Value value, ParamsAttr params) {
  auto layer = value.getDefiningOp<ContractOp>();
  if (!layer || !layer->hasOneUse() ||
      !layer.getResult().getType().getElementType().isInteger(32) ||
      layer.getResultParamsAttr() != params)
    return {};
  return layer;
}

/// Replaces `op` (the only user of `layer`'s accumulator) with a copy of
/// `layer` that returns `type` with `params` and `mode`, and erases `layer`.
void foldIntoLayer(PatternRewriter &rewriter, Operation *op, ContractOp layer,
                   Type type, ParamsAttr params, RequantModeAttr mode) {
  rewriter.replaceOpWithNewOp<ContractOp>(
      op, type, layer.getInput(), layer.getWeight(), layer.getBias(),
      layer.getInputScales(), layer.getInputZeroPoints(),
      layer.getWeightScales(), layer.getWeightZeroPoints(),
      layer.getMapsAttr(), layer.getInputParamsAttr(),
      layer.getInputStorageAttr(), layer.getWeightParamsAttr(),
      layer.getWeightStorageAttr(), params, mode, DenseI64ArrayAttr());
  rewriter.eraseOp(layer);
}

/// `qnt.requantize` of an accumulator -> the layer's requantized result
/// (the same arithmetic: the layer's lowering requantizes from the same
/// parameters).
struct FoldRequantizeIntoContract : OpRewritePattern<RequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RequantizeOp op,
                                PatternRewriter &rewriter) const override {
    ContractOp layer = getAccumulatorLayer(op.getInput(), op.getInParams());
    ParamsAttr out = op.getOutParams();
    if (!layer || !out.isPerTensor() || op.getMultipliers() ||
        out.getStorageKind() == num::StorageKind::I32)
      return rewriter.notifyMatchFailure(
          op, "not the per-tensor requantization of a layer's accumulator");
    foldIntoLayer(rewriter, op, layer, op.getResult().getType(), out,
                  op.getModeAttr());
    return success();
  }
};

/// `qnt.dequantize` of an accumulator to f32 -> the layer's real result
/// (`s * float(acc)` either way).
struct FoldDequantizeIntoContract : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    ContractOp layer = getAccumulatorLayer(op.getInput(), op.getParams());
    if (!layer || op.hasPacking() ||
        !op.getResult().getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(
          op, "not the f32 dequantization of a layer's accumulator");
    foldIntoLayer(rewriter, op, layer, op.getResult().getType(), ParamsAttr(),
                  RequantModeAttr());
    return success();
  }
};

/// `packed_flat` whose rows end on byte boundaries (8 / bits divides the
/// last dimension) -> `packed` of the reshaped bytes: the same bytes, in the
/// layout the kernels read.
struct FlatPackingToRows : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getPackedFlat())
      return failure();
    auto out = op.getResult().getType();
    unsigned bits = num::getStorageBitWidth(op.getParams().getStorageKind());
    int64_t last = out.getRank() ? out.getShape().back() : 1;
    if (out.getRank() == 0 || (last * bits) % 8 != 0)
      return rewriter.notifyMatchFailure(op, "rows do not end on bytes");
    SmallVector<int64_t> shape(out.getShape());
    shape.back() = last * bits / 8;
    Value bytes = op.getInput();
    if (out.getRank() > 1) {
      auto type = RankedTensorType::get(shape, rewriter.getI8Type());
      SmallVector<ReassociationIndices> groups(1);
      for (int64_t d = 0; d < out.getRank(); ++d)
        groups[0].push_back(d);
      bytes = tensor::ExpandShapeOp::create(rewriter, op.getLoc(), type, bytes,
                                            groups);
    }
    rewriter.replaceOpWithNewOp<DequantizeOp>(
        op, out, bytes, op.getParams(), rewriter.getUnitAttr(), UnitAttr());
    return success();
  }
};

} // namespace

void RequantizeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                               MLIRContext *context) {
  results.add<FoldRequantizeIntoContract>(context);
}

void DequantizeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                               MLIRContext *context) {
  results.add<FoldDequantizeIntoContract, FlatPackingToRows>(context);
}
