//===- IntegerLayers.cpp - Integer kernels for linalg layers --------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// A float layer y = c + sum(x * w) becomes one qnt.contract on the stored
// activation and weight, which states the parameters of both; its result is
// the real value float(acc) * (s_x * s_w), plus c when c is not zero. The
// chaining patterns (ChainLayers.cpp) later turn a static layer whose output
// feeds the next layer's quantization into a requantized one. The
// arithmetic of the op lives in its lowering (ContractToLinalg.cpp).
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/IntegerLayers.h"

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

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

bool quantopt::isZeroFill(Value v) {
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

std::optional<std::pair<Value, Value>>
quantopt::matchInitAdd(linalg::GenericOp generic) {
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

Value quantopt::buildInitAdd(OpBuilder &b, Location loc, Value c,
                              Value real) {
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

/// Whether per-row activation parameters (all dimensions but the reduced
/// last one, each reaching the output) fit the layer's maps.
static bool fitsPerRow(AffineMap xMap, AffineMap outMap,
                       ArrayRef<utils::IteratorType> iterators) {
  if (xMap.getNumResults() < 2)
    return false;
  for (AffineExpr expr : xMap.getResults().drop_back()) {
    auto d = dyn_cast<AffineDimExpr>(expr);
    if (!d || !getOutputAxis(outMap, d.getPosition()))
      return false;
  }
  auto last = dyn_cast<AffineDimExpr>(xMap.getResults().back());
  return last && iterators[last.getPosition()] == utils::IteratorType::reduction;
}

/// qnt.dynamic_quantize's scheme for an activation scheme (symmetric,
/// asymmetric, MX or NVFP4; the options refuse the others).
static qnt::DynamicScheme getDynamicScheme(num::Scheme scheme) {
  if (scheme == num::Scheme::Symmetric)
    return qnt::DynamicScheme::symmetric;
  if (scheme == num::Scheme::Mx)
    return qnt::DynamicScheme::mx;
  if (scheme == num::Scheme::NvFp4)
    return qnt::DynamicScheme::nvfp4;
  return qnt::DynamicScheme::asymmetric;
}

/// `x` quantized at run time (qnt.dynamic_quantize) with `act`'s storage
/// and scheme, per tensor, per row, or per row and block of `block`
/// elements of the last dimension (when not 0).
static qnt::DynamicQuantizeOp quantizeAtRunTime(OpBuilder &b, Location loc,
                                                Value x,
                                                const ActivationConfig &act,
                                                bool perRow,
                                                int64_t block = 0) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  Type xStored = IntegerType::get(ctx, num::getStorageBitWidth(act.storage));
  SmallVector<int64_t> paramShape;
  if (block) {
    paramShape.assign(xType.getShape().begin(), xType.getShape().end());
    paramShape.back() = num::getNumBlocks(paramShape.back(), block);
    perRow = false;
  } else if (perRow) {
    paramShape.assign(xType.getShape().begin(), xType.getShape().end() - 1);
  }
  return qnt::DynamicQuantizeOp::create(
      b, loc,
      TypeRange{RankedTensorType::get(xType.getShape(), xStored),
                RankedTensorType::get(paramShape, b.getF32Type()),
                RankedTensorType::get(paramShape, b.getI32Type())},
      x, TypeAttr::get(qnt::getStorageTypeFor(ctx, act.storage)),
      qnt::DynamicSchemeAttr::get(ctx, getDynamicScheme(act.scheme)),
      perRow ? b.getUnitAttr() : UnitAttr(),
      block ? b.getI64IntegerAttr(block) : IntegerAttr(),
      act.scheme == num::Scheme::NvFp4 && act.tensorScale > 0
          ? b.getF32FloatAttr(act.tensorScale)
          : FloatAttr());
}

/// The location a layer's qnt.contract takes: the user's location, named
/// `name` when it is not already.
static Location getLayerLocation(OpBuilder &b, Operation *layer,
                                 StringRef name) {
  Location userLoc = layer->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(userLoc); fused && fused.getMetadata())
    userLoc = fused.getLocations().front();
  if (!name.empty() && findLocationName(userLoc) != name)
    return NameLoc::get(b.getStringAttr(name), userLoc);
  return userLoc;
}

/// `values` laid out as [F][R] (elements of `width` entries each) as
/// [R][F].
template <typename T>
static SmallVector<T> moveFirstToLast(ArrayRef<T> values, int64_t f,
                                      int64_t width = 1) {
  int64_t r = static_cast<int64_t>(values.size()) / (f * width);
  SmallVector<T> out(values.size());
  for (int64_t i = 0; i < f; ++i)
    for (int64_t j = 0; j < r; ++j)
      for (int64_t b = 0; b < width; ++b)
        out[(j * f + i) * width + b] = values[(i * r + j) * width + b];
  return out;
}

/// A convolution (NHWC input, HWCF or FHWC weights per block of the input
/// channels C) whose activation is quantized at run time per pixel and
/// block of C, as the 2-D block form of qnt.contract on its im2col matrix:
///
///   x_q, s_x, z_x = qnt.dynamic_quantize x block = B        [N, H, W, C]
///   X[n oh ow][kh kw c] = x_q[n, oh*sh + kh*dh, ow*sw + kw*dw, c]
///   S[n oh ow][kh kw g] = s_x[n, oh*sh + kh*dh, ow*sw + kw*dw, g] (and z_x)
///   W[kh kw c][f]       = w_q[kh, kw, c, f], per block of B rows
///   y = reshape(qnt.contract X, W dynamic(S, Z))             [N, OH, OW, F]
///
/// The (kh, kw, c) rows keep every block of C whole when B divides C or C
/// is at most B (one block, of C rows), so the blocks, their scales and the
/// order in which the block form sums them are the convolution's own: the
/// int32 sums run over one block of one kernel tap. FHWC weights (what
/// tosa.conv2d lowers to) are transposed at compile time, with their
/// parameters.
static llvm::Error rewriteToBlockConvLayer(RewriterBase &rewriter,
                                           linalg::LinalgOp conv,
                                           DenseIntElementsAttr stridesAttr,
                                           DenseIntElementsAttr dilationsAttr,
                                           const QuantizedWeight &weight,
                                           const ActivationConfig &act) {
  qnt::ParamsAttr wp = weight.params;
  Value x = conv.getDpsInputOperand(0)->get();
  Value c = conv.getDpsInitOperand(0)->get();
  auto xType = cast<RankedTensorType>(x.getType());
  auto outType = cast<RankedTensorType>(conv->getResult(0).getType());
  auto wType = cast<RankedTensorType>(weight.stored.getType());
  bool fhwc = isa<linalg::Conv2DNhwcFhwcOp>(conv.getOperation());
  int64_t kh = wType.getDimSize(fhwc ? 1 : 0),
          kw = wType.getDimSize(fhwc ? 2 : 1),
          ch = wType.getDimSize(fhwc ? 3 : 2),
          f = wType.getDimSize(fhwc ? 0 : 3);
  int64_t block = wp.getBlockSize();
  if (wp.getAxis() != (fhwc ? 3 : 2) || (ch > block && ch % block))
    return fail("per-block integer convolutions need blocks of the input "
                "channels that divide them (or one block of all of them)");
  if (llvm::any_of(ArrayRef<int64_t>{xType.getDimSize(1), xType.getDimSize(2),
                                     xType.getDimSize(3), outType.getDimSize(1),
                                     outType.getDimSize(2)},
                   ShapedType::isDynamic))
    return fail("per-block integer convolutions need static spatial sizes");
  int64_t colBlock = std::min(block, ch);
  // With fewer input channels the im2col copies and the per-block sums cost
  // more than the weight-only convolution saves. One thread, AMD EPYC,
  // session 19, 3x3 convolutions at batch 8, against weight-only in the
  // same format: MXINT8 x MXINT8 (blocks of 32) 6.8x slower at C = 8, 2x at
  // 16, 1.1x faster at 32, 1.5x at 64, 2x at 128, 2.5x at 256; NVFP4 x
  // NVFP4 (blocks of 16) 0.85-1.1x at 64, 1.5x at 128, 1.8x at 256.
  int64_t minChannels = colBlock >= 32 ? 64 : 128;
  if (ch < minChannels)
    return fail(llvm::Twine("per-block integer convolutions pay from ") +
                llvm::Twine(minChannels) + " input channels with blocks of " +
                llvm::Twine(colBlock) + " (" + llvm::Twine(ch) + " here)");
  // The group-wise kernel sums groups of 4 (vpdpbusd); a first layer's 1 or
  // 3 channels would leave the layer to the reference loops, slower than
  // weight-only.
  if (colBlock % 4)
    return fail(llvm::Twine("per-block integer convolutions need blocks of "
                            "a multiple of 4 input channels (") +
                llvm::Twine(colBlock) + " here)");
  SmallVector<int64_t> strides =
      llvm::to_vector(stridesAttr.getValues<int64_t>());
  SmallVector<int64_t> dilations =
      llvm::to_vector(dilationsAttr.getValues<int64_t>());

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(conv);
  RewriterBase &b = rewriter;
  MLIRContext *ctx = b.getContext();
  Location loc = conv.getLoc();
  Location layerLoc = getLayerLocation(b, conv, act.layerName);
  int64_t oh = outType.getDimSize(1), ow = outType.getDimSize(2);
  // The batch, dynamic or not.
  OpFoldResult batch =
      xType.isDynamicDim(0)
          ? OpFoldResult(tensor::DimOp::create(b, loc, x, 0).getResult())
          : OpFoldResult(b.getIndexAttr(xType.getDimSize(0)));
  SmallVector<Value> batchDyn;
  if (xType.isDynamicDim(0))
    batchDyn.push_back(cast<Value>(batch));
  int64_t rows = ShapedType::isDynamic(xType.getDimSize(0))
                     ? ShapedType::kDynamic
                     : xType.getDimSize(0) * oh * ow;

  // 1. The activation per pixel and block of C.
  auto dq = quantizeAtRunTime(b, loc, x, act, /*perRow=*/false, block);
  // 2. Its im2col rows, and those of its parameters.
  auto im2col = [&](Value v) -> Value {
    auto vType = cast<RankedTensorType>(v.getType());
    int64_t last = vType.getDimSize(3);
    SmallVector<int64_t> shape = {xType.getDimSize(0), oh, ow, kh, kw, last};
    Value cols = tensor::EmptyOp::create(b, loc, shape, vType.getElementType(),
                                         batchDyn);
    // One strided window of the input per kernel tap (copies of C
    // contiguous elements after bufferization).
    auto window = RankedTensorType::get({xType.getDimSize(0), oh, ow, last},
                                        vType.getElementType());
    OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) {
        Value tap = tensor::ExtractSliceOp::create(
            b, loc, window, v,
            ArrayRef<OpFoldResult>{zero, b.getIndexAttr(i * dilations[0]),
                                   b.getIndexAttr(j * dilations[1]), zero},
            ArrayRef<OpFoldResult>{batch, b.getIndexAttr(oh),
                                   b.getIndexAttr(ow), b.getIndexAttr(last)},
            ArrayRef<OpFoldResult>{one, b.getIndexAttr(strides[0]),
                                   b.getIndexAttr(strides[1]), one});
        cols = tensor::InsertSliceOp::create(
            b, loc, tap, cols,
            ArrayRef<OpFoldResult>{zero, zero, zero, b.getIndexAttr(i),
                                   b.getIndexAttr(j), zero},
            ArrayRef<OpFoldResult>{batch, b.getIndexAttr(oh),
                                   b.getIndexAttr(ow), one, one,
                                   b.getIndexAttr(last)},
            ArrayRef<OpFoldResult>(SmallVector<OpFoldResult>(6, one)));
      }
    return tensor::CollapseShapeOp::create(
        b, loc,
        RankedTensorType::get({rows, kh * kw * last}, vType.getElementType()),
        cols, ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
  };
  Value xCols = im2col(dq.getResult());
  Value sCols = im2col(dq.getScales());
  Value zCols = im2col(dq.getZeroPoints());
  // 3. The weight as [KH KW C][F], per block of its rows: HWCF's scales in
  // their order; FHWC's codes, scales and zero points moved from [F][...]
  // to [...][F].
  auto type2d =
      RankedTensorType::get({kh * kw * ch, f}, wType.getElementType());
  DenseElementsAttr stored2d = DenseElementsAttr(weight.stored);
  DenseF32ArrayAttr scales2d = wp.getScales();
  DenseI64ArrayAttr zeroPoints2d = wp.getZeroPoints();
  if (fhwc && !stored2d.isSplat()) {
    // Sub-byte elements take a byte each in the raw storage; wider ones
    // `width` bytes.
    ArrayRef<char> raw = stored2d.getRawData();
    int64_t width = static_cast<int64_t>(raw.size()) / wType.getNumElements();
    stored2d = DenseElementsAttr::getFromRawBuffer(
        type2d, moveFirstToLast(raw, f, width));
  } else {
    stored2d = stored2d.reshape(type2d);
  }
  if (fhwc) {
    scales2d = DenseF32ArrayAttr::get(
        ctx, moveFirstToLast(wp.getScales().asArrayRef(), f));
    if (wp.getZeroPoints().size() > 1)
      zeroPoints2d = DenseI64ArrayAttr::get(
          ctx, moveFirstToLast(wp.getZeroPoints().asArrayRef(), f));
  }
  auto params2d = qnt::ParamsAttr::get(
      ctx, wp.getStorageType(), wp.getExpressedType(), /*axis=*/0, colBlock,
      wp.getNarrowRange(), wp.getPowerOfTwo(), scales2d, zeroPoints2d,
      wp.getMinValues(), wp.getRangeMin(), wp.getRangeMax(),
      wp.getTensorScale());
  Value wq = arith::ConstantOp::create(b, loc, stored2d);
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, ctx),
                                 AffineMap::get(3, 0, {k, n}, ctx),
                                 AffineMap::get(3, 0, {m, n}, ctx)};
  auto flatType = RankedTensorType::get({rows, f}, b.getF32Type());
  Value flat = qnt::ContractOp::create(
      b, layerLoc, flatType, xCols, wq, Value(), sCols, zCols, Value(), Value(),
      b.getAffineMapArrayAttr(maps), qnt::ParamsAttr(),
      TypeAttr::get(qnt::getStorageTypeFor(ctx, act.storage)), params2d,
      TypeAttr(), qnt::ParamsAttr(),
      qnt::RequantModeAttr::get(ctx, qnt::RequantMode::float32),
      DenseI64ArrayAttr());
  // The result in the input's batch (static or not) and the weight's F,
  // cast to the layer's type when that one says otherwise.
  auto expandedType =
      RankedTensorType::get({xType.getDimSize(0), oh, ow, f}, b.getF32Type());
  Value y = tensor::ExpandShapeOp::create(
      b, loc, expandedType, flat,
      ArrayRef<ReassociationIndices>{{0, 1, 2}, {3}},
      ArrayRef<OpFoldResult>{batch, b.getIndexAttr(oh), b.getIndexAttr(ow),
                             b.getIndexAttr(f)});
  if (expandedType != outType)
    y = tensor::CastOp::create(b, loc, outType, y);
  if (!isZeroFill(c))
    y = buildInitAdd(b, loc, c, y);
  Operation *oldWeight = conv.getDpsInputOperand(1)->get().getDefiningOp();
  rewriter.replaceOp(conv, y);
  if (oldWeight && isOpTriviallyDead(oldWeight))
    rewriter.eraseOp(oldWeight);
  return llvm::Error::success();
}

num::SolverOptions ActivationConfig::getSolverOptions() const {
  num::SolverOptions options;
  options.storage = storage;
  options.scheme = scheme;
  options.profile = profile;
  options.reduceRange = reduceRange;
  options.setDefaults();
  return options;
}

llvm::Error quantopt::rewriteToIntegerLayer(RewriterBase &rewriter,
                                            linalg::LinalgOp layer,
                                            const QuantizedWeight &weight,
                                            const ActivationConfig &act) {
  if (layer.getNumDpsInputs() != 2 || layer.getNumDpsInits() != 1)
    return fail("integer kernels need one activation, one weight and one "
                "output");
  qnt::ParamsAttr wParams = weight.params;
  // MX float codes that are integers times a power of two (MXFP4, MXFP6
  // E2M3) enter qnt.contract as such, per block (its description).
  bool floatCodes = wParams.isFloatStorage() &&
                    num::getInt8CodeFactor(wParams.getStorageKind()) &&
                    wParams.getBlockSize() > 0;
  if ((wParams.isFloatStorage() && !floatCodes) || wParams.hasMinValues())
    return fail("integer kernels need integer weights with affine "
                "(symmetric or asymmetric) per-tensor, per-channel or "
                "per-block parameters, or MXFP4 / MXFP6 (E2M3) weights per "
                "block");
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
  int64_t block = wParams.getBlockSize();
  bool perRow = act.dynamic && (act.perRow || act.perBlock) &&
                fitsPerRow(xMap, outMap, iterators);
  if (block && !(act.dynamic && (act.perBlock || act.perRow)))
    return fail(kBlockWeightsNeedDynamicActivations);
  // Convolutions take the block form through their im2col matrix.
  DenseIntElementsAttr convStrides, convDilations;
  if (block && act.dynamic && act.perBlock) {
    if (auto hwcf = dyn_cast<linalg::Conv2DNhwcHwcfOp>(layer.getOperation())) {
      convStrides = hwcf.getStrides();
      convDilations = hwcf.getDilations();
    } else if (auto fhwc =
                   dyn_cast<linalg::Conv2DNhwcFhwcOp>(layer.getOperation())) {
      convStrides = fhwc.getStrides();
      convDilations = fhwc.getDilations();
    }
  }
  bool blockConv = static_cast<bool>(convStrides);
  if (block && !blockConv && act.dynamic && act.perBlock &&
      linalg::isaConvolutionOpInterface(layer))
    return fail("per-block integer convolutions take NHWC inputs and HWCF "
                "or FHWC weights (linalg.conv_2d_nhwc_hwcf or _fhwc)");
  if (block && !blockConv) {
    // Blocks of the one reduced loop, which indexes the input's last
    // dimension (qnt.contract's verifier checks the same).
    auto last = dyn_cast<AffineDimExpr>(xMap.getResults().back());
    int64_t axis = wParams.getAxis();
    if (!last || llvm::count(iterators, utils::IteratorType::reduction) != 1 ||
        wMap.getResult(axis) != last ||
        iterators[last.getPosition()] != utils::IteratorType::reduction)
      return fail("per-block integer kernels need the blocks along the one "
                  "reduced dimension, the activation's last");
    if (!outType.getElementType().isF32())
      return fail("per-block integer kernels need f32 outputs");
  }
  int64_t actBlock = block && perRow && act.perBlock ? block : 0;
  if (act.dynamic && act.scheme == num::Scheme::NvFp4 && !actBlock &&
      !blockConv)
    return fail("NVFP4 activations take the blocks of per-block weights "
                "along a matmul's reduced dimension (act-granularity=block)");

  // The accumulator, and acc - z_x * sum(w), must stay in i32
  // (numerics::getAccumulatorBound; qnt.contract's verifier checks the
  // same).
  double accBound = num::getAccumulatorBound(
      num::getIntRange(act.storage, false),
      floatCodes ? num::getInt8CodeRange(wParams.getStorageKind())
                 : wParams.getIntRange(),
      wParams.getZeroPoints().asArrayRef(), block ? std::min(k, block) : k);
  if (accBound >= num::kAccumulatorLimit)
    return fail(llvm::Twine("an i32 accumulator could overflow (") +
                num::getStorageName(act.storage) + " activations x " +
                num::getStorageName(wParams.getStorageKind()) +
                " weights over " + llvm::Twine(k) + " terms)");
  if (blockConv)
    return rewriteToBlockConvLayer(rewriter, layer, convStrides, convDilations,
                                   weight, act);
  int64_t wAxis = wParams.getAxis();
  if (wAxis >= 0 && !block) {
    auto d = dyn_cast<AffineDimExpr>(wMap.getResult(wAxis));
    if (!d || !getOutputAxis(outMap, d.getPosition()))
      return fail("the weight's channel axis does not reach the output");
  }

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(layer);
  RewriterBase &b = rewriter;
  // The layer's name lives in the location of its qnt.contract.
  Location loc = layer.getLoc();
  Location layerLoc = getLayerLocation(b, layer, act.layerName);
  Type f32 = b.getF32Type();

  // 1. The activation in stored form, with its scale and zero point.
  num::SolverOptions actOptions = act.getSolverOptions();
  Type xStored = IntegerType::get(ctx, num::getStorageBitWidth(act.storage));
  auto xqType = RankedTensorType::get(xType.getShape(), xStored);
  Value xq, sxTensor, zxTensor;
  qnt::ParamsAttr staticInputParams;
  if (act.dynamic) {
    // Blocks need the reduced size: a dynamic one is the weight's K (the
    // layer's operands must agree), stated with a cast.
    if (actBlock && xType.isDynamicDim(xType.getRank() - 1)) {
      SmallVector<int64_t> shape(xType.getShape());
      shape.back() = k;
      x = tensor::CastOp::create(
          b, loc, RankedTensorType::get(shape, xType.getElementType()), x);
    }
    auto dq = quantizeAtRunTime(b, loc, x, act, perRow, actBlock);
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
    // A static producer chains into this quantization later
    // (populateQntChainLayersPatterns). The profile's framework rounds as
    // it does for weights (torch: times the float32 reciprocal; TFLite:
    // half away from zero).
    xq = qnt::QuantizeOp::create(
        b, loc, xqType, x, params,
        qnt::fromNumerics(num::getQuantizeRounding(act.profile)));
  }

  // 2. The layer: real values float(acc) * (s_x * s_w), then + c unless c is
  // zero (float(acc) * s is never -0, so adding +0 changes nothing).
  Value wq = arith::ConstantOp::create(b, loc, weight.stored);
  Value y = qnt::ContractOp::create(
      b, layerLoc, outType, xq, wq, Value(), sxTensor, zxTensor, Value(),
      Value(), b.getAffineMapArrayAttr(maps), staticInputParams,
      act.dynamic ? TypeAttr::get(qnt::getStorageTypeFor(ctx, act.storage))
                  : TypeAttr(),
      wParams, TypeAttr(), qnt::ParamsAttr(),
      qnt::RequantModeAttr::get(ctx, qnt::RequantMode::float32),
      DenseI64ArrayAttr());
  if (!isZeroFill(c))
    y = buildInitAdd(b, loc, c, y);

  Operation *oldWeight = layer.getDpsInputOperand(1)->get().getDefiningOp();
  rewriter.replaceOp(layer, y);
  // The float weight constant.
  if (oldWeight && isOpTriviallyDead(oldWeight))
    rewriter.eraseOp(oldWeight);
  return llvm::Error::success();
}

llvm::Error
quantopt::rewriteToDynamicActivationLayer(RewriterBase &rewriter,
                                          linalg::LinalgOp layer,
                                          const ActivationConfig &act) {
  if (layer.getNumDpsInputs() != 2 || layer.getNumDpsInits() != 1)
    return fail("integer kernels need two operands and one output");
  if (act.scheme == num::Scheme::NvFp4)
    return fail("NVFP4 activations take the blocks of per-block weights; "
                "matmuls of two activations have none");
  Value x = layer.getDpsInputOperand(0)->get();
  Value w = layer.getDpsInputOperand(1)->get();
  Value c = layer.getDpsInitOperand(0)->get();
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto wType = dyn_cast<RankedTensorType>(w.getType());
  auto outType = dyn_cast<RankedTensorType>(layer->getResult(0).getType());
  if (!xType || !wType || !outType || !xType.getElementType().isF32() ||
      !wType.getElementType().isF32() || !outType.getElementType().isF32())
    return fail("integer kernels need f32 operands and outputs");
  SmallVector<AffineMap> maps = layer.getIndexingMapsArray();
  AffineMap xMap = maps[0], wMap = maps[1], outMap = maps[2];
  if (!outMap.isProjectedPermutation())
    return fail("the output map is not a projection");
  auto iterators = layer.getIteratorTypesArray();
  int64_t k = 1;
  for (auto [axis, expr] : llvm::enumerate(wMap.getResults())) {
    auto d = dyn_cast<AffineDimExpr>(expr);
    if (!d)
      return fail("the second operand's map is not a projection");
    if (iterators[d.getPosition()] != utils::IteratorType::reduction) {
      if (!getOutputAxis(outMap, d.getPosition()))
        return fail("a parallel dimension of the second operand does not "
                    "reach the output");
      continue;
    }
    if (wType.isDynamicDim(axis))
      return fail("the reduced dimensions must be static");
    k *= wType.getDimSize(axis);
  }
  num::IntRange range = num::getIntRange(act.storage, false);
  double accBound =
      num::getAccumulatorBound(range, range, {range.qmin, range.qmax}, k);
  if (accBound >= num::kAccumulatorLimit)
    return fail(llvm::Twine("an i32 accumulator could overflow (") +
                num::getStorageName(act.storage) + " x " +
                num::getStorageName(act.storage) + " over " + llvm::Twine(k) +
                " terms)");

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(layer);
  RewriterBase &b = rewriter;
  Location loc = layer.getLoc();
  Location layerLoc = getLayerLocation(b, layer, act.layerName);
  bool perRow = act.perRow && fitsPerRow(xMap, outMap, iterators);
  auto xq = quantizeAtRunTime(b, loc, x, act, perRow);
  auto wq = quantizeAtRunTime(b, loc, w, act, /*perRow=*/false);
  TypeAttr storage =
      TypeAttr::get(qnt::getStorageTypeFor(b.getContext(), act.storage));
  Value y = qnt::ContractOp::create(
      b, layerLoc, outType, xq.getResult(), wq.getResult(), Value(),
      xq.getScales(), xq.getZeroPoints(), wq.getScales(), wq.getZeroPoints(),
      b.getAffineMapArrayAttr(maps), qnt::ParamsAttr(), storage,
      qnt::ParamsAttr(), storage, qnt::ParamsAttr(),
      qnt::RequantModeAttr::get(b.getContext(), qnt::RequantMode::float32),
      DenseI64ArrayAttr());
  if (!isZeroFill(c))
    y = buildInitAdd(b, loc, c, y);
  rewriter.replaceOp(layer, y);
  return llvm::Error::success();
}

void quantopt::rewriteToWeightOnlyLayer(RewriterBase &rewriter,
                                        qnt::QuantizableLayerOpInterface layer,
                                        const QuantizedWeight &weight) {
  Operation *op = layer.getOperation();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op->getLoc();
  OpOperand &weightOperand = layer.getWeightOperand();
  // Sub-byte weights are stored packed (docs/Quantize.md).
  std::optional<DenseElementsAttr> packed = packSubByte(weight.stored);
  Value stored = arith::ConstantOp::create(rewriter, loc,
                                           packed ? *packed : weight.stored);
  Value dequantized = qnt::DequantizeOp::create(
      rewriter, loc, weightOperand.get().getType(), stored, weight.params,
      packed ? rewriter.getUnitAttr() : UnitAttr());
  Operation *oldConstant = weightOperand.get().getDefiningOp();
  rewriter.modifyOpInPlace(op, [&] { weightOperand.set(dequantized); });
  if (oldConstant && oldConstant->use_empty())
    rewriter.eraseOp(oldConstant);
}

