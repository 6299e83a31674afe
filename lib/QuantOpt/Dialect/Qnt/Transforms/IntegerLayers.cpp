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

llvm::Error quantopt::rewriteToIntegerLayer(linalg::LinalgOp layer,
                                            const QuantizedWeight &weight,
                                            const ActivationConfig &act) {
  if (layer.getNumDpsInputs() != 2 || layer.getNumDpsInits() != 1)
    return fail("integer kernels need one activation, one weight and one "
                "output");
  qnt::ParamsAttr wParams = weight.params;
  if (wParams.isFloatStorage() || wParams.hasMinValues() ||
      llvm::any_of(wParams.getZeroPoints().asArrayRef(),
                   [](int64_t z) { return z != 0; }) ||
      wParams.getBlockSize() > 0)
    return fail("integer kernels need integer weights with zero zero points "
                "and per-tensor or per-channel scales");
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
  bool perRow = act.dynamic && act.perRow;
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
  float sxConst = 0;
  int64_t zxConst = 0;
  if (act.dynamic) {
    SmallVector<int64_t> paramShape;
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
    auto params = qnt::ParamsAttr::getChecked(
        [&]() { return emitError(loc); }, ctx,
        qnt::getStorageTypeFor(ctx, act.storage), f32, /*axis=*/int64_t(-1),
        /*blockSize=*/int64_t(0), actOptions.narrowRange, /*powerOfTwo=*/false,
        DenseF32ArrayAttr::get(ctx, ArrayRef<float>(sxConst)),
        DenseI64ArrayAttr::get(ctx, zxConst ? ArrayRef<int64_t>(zxConst)
                                            : ArrayRef<int64_t>()),
        DenseF32ArrayAttr::get(ctx, ArrayRef<float>()));
    if (!params)
      return fail("the activation parameters do not verify");
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

  // 4. The epilogue over the output.
  AffineMap outIdentity = b.getMultiDimIdentityMap(outRank);
  SmallVector<Value> epilogueInputs{contraction.getResult(0), c, colsumConst};
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
  Operation *oldWeight = layer.getDpsInputOperand(1)->get().getDefiningOp();
  layer->getResult(0).replaceAllUsesWith(epilogue.getResult(0));
  layer->erase();
  if (oldWeight && oldWeight->use_empty())
    oldWeight->erase();
  return llvm::Error::success();
}
