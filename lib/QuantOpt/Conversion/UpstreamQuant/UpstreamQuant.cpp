//===- UpstreamQuant.cpp - upstream quant dialect <-> qnt -----------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// `qnt-import-upstream`: the quant dialect's casts become qnt ops and its
// types the storage integers qnt works on (a dialect conversion, so that
// function signatures convert too). `qnt-export-upstream`: qnt's boundary
// ops become the quant dialect's casts where !quant.uniform can say the
// same, with a remark where it cannot. Between them, qnt.contract and the
// rest of qnt stay as they are: the quant dialect has no layer ops.
//
// The mapping of parameters:
//   !quant.uniform<i8:f32, s:z>                    #qnt.params<i8, scales = [s], zero_points = [z]>
//   !quant.uniform<u8<1:255>:f32, ...>             #qnt.params<ui8, narrow, ...>
//   !quant.uniform<i8:f32:a, {s0:z0, s1:z1}>       #qnt.params<i8, axis = a, ...>
//   !quant.uniform<i8:f32:{a:B}, {{...}}>          #qnt.params<i8, axis = a, block_size = B, ...>
// (sub-channel scales in row-major order of the blocks, which is qnt's
// per-block order). Scales are float32 in qnt, as the f32 expressed type
// computes with them.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Conversion/UpstreamQuant/UpstreamQuant.h"
#include "QuantOpt/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTIMPORTUPSTREAM
#define GEN_PASS_DEF_QNTEXPORTUPSTREAM
#include "QuantOpt/Conversion/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;
namespace num = quantopt::numerics;

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

qnt::ParamsAttr quantopt::getParamsFromQuantType(quant::QuantizedType type,
                                                 ArrayRef<int64_t> shape,
                                                 std::string &why) {
  MLIRContext *ctx = type.getContext();
  if (!type.getExpressedType().isF32()) {
    why = "only f32 expressed types are supported";
    return nullptr;
  }
  unsigned width = type.getStorageTypeIntegralWidth();
  bool isSigned = type.isSigned();
  if (!isa<IntegerType>(type.getStorageType()) ||
      !llvm::is_contained({2u, 4u, 8u, 16u}, width)) {
    why = "storage must be a 2-, 4-, 8- or 16-bit integer";
    return nullptr;
  }
  int64_t lo = quant::QuantizedType::getDefaultMinimumForInteger(isSigned, width);
  int64_t hi = quant::QuantizedType::getDefaultMaximumForInteger(isSigned, width);
  bool narrow = false;
  if (type.getStorageTypeMax() != hi ||
      (type.getStorageTypeMin() != lo && type.getStorageTypeMin() != lo + 1)) {
    why = "the storage range [" + std::to_string(type.getStorageTypeMin()) +
          ", " + std::to_string(type.getStorageTypeMax()) +
          "] is neither the full nor the narrow range of the storage type";
    return nullptr;
  }
  narrow = type.getStorageTypeMin() == lo + 1;
  Type storage = IntegerType::get(ctx, width,
                                  isSigned ? IntegerType::Signless
                                           : IntegerType::Unsigned);
  SmallVector<float> scales;
  SmallVector<int64_t> zeroPoints;
  int64_t axis = -1, blockSize = 0;
  auto addScale = [&](double s) {
    float f = static_cast<float>(s);
    if (!std::isfinite(f) || f <= 0.0f) {
      why = "a scale is not a positive float32";
      return false;
    }
    scales.push_back(f);
    return true;
  };
  if (auto t = dyn_cast<quant::UniformQuantizedType>(type)) {
    if (!addScale(t.getScale()))
      return nullptr;
    zeroPoints.push_back(t.getZeroPoint());
  } else if (auto t = dyn_cast<quant::UniformQuantizedPerAxisType>(type)) {
    axis = t.getQuantizedDimension();
    for (double s : t.getScales())
      if (!addScale(s))
        return nullptr;
    zeroPoints.append(t.getZeroPoints().begin(), t.getZeroPoints().end());
  } else if (auto t = dyn_cast<quant::UniformQuantizedSubChannelType>(type)) {
    // Block sizes per dimension: a dimension not listed is one block. qnt's
    // per-block form has blocks on one dimension and a scale for every
    // index of the others.
    auto scalesType = cast<ShapedType>(t.getScales().getType());
    if (static_cast<int64_t>(shape.size()) != scalesType.getRank() ||
        llvm::any_of(shape, ShapedType::isDynamic)) {
      why = "sub-channel types need a static shape of the same rank";
      return nullptr;
    }
    for (auto [d, size] : llvm::enumerate(shape)) {
      int64_t blocks = scalesType.getDimSize(d);
      if (blocks == size)
        continue;
      if (axis >= 0 || blocks == 0 || size % blocks) {
        why = "sub-channel blocks on more than one dimension (or a dimension "
              "both blocked and shared) have no qnt form";
        return nullptr;
      }
      axis = static_cast<int64_t>(d);
      blockSize = size / blocks;
    }
    if (axis < 0) {
      why = "sub-channel blocks of size 1 everywhere (use a per-axis type)";
      return nullptr;
    }
    for (APFloat s : t.getScales().getValues<APFloat>())
      if (!addScale(s.convertToDouble()))
        return nullptr;
    for (APInt z : t.getZeroPoints().getValues<APInt>())
      zeroPoints.push_back(isSigned ? z.getSExtValue()
                                    : static_cast<int64_t>(z.getZExtValue()));
  } else {
    why = "only !quant.uniform types are supported";
    return nullptr;
  }
  if (llvm::all_of(zeroPoints, [](int64_t z) { return z == 0; }))
    zeroPoints.clear();
  auto emitter = [&]() { return emitError(UnknownLoc::get(ctx)); };
  auto params = qnt::ParamsAttr::getChecked(
      llvm::function_ref<InFlightDiagnostic()>(emitter), ctx, storage,
      Type(Float32Type::get(ctx)), axis, blockSize, narrow,
      /*powerOfTwo=*/false, DenseF32ArrayAttr::get(ctx, scales),
      DenseI64ArrayAttr::get(ctx, zeroPoints), DenseF32ArrayAttr::get(ctx, {}),
      int64_t(0), int64_t(0), FloatAttr());
  if (!params)
    why = "the parameters do not make a valid #qnt.params";
  return params;
}

quant::QuantizedType
quantopt::getQuantTypeFromParams(qnt::ParamsAttr params,
                                 ArrayRef<int64_t> shape, std::string &why) {
  MLIRContext *ctx = params.getContext();
  if (params.isFloatStorage()) {
    why = "float (minifloat) storage has no !quant.uniform form here";
    return nullptr;
  }
  if (params.hasMinValues()) {
    why = "minval parameters (a per-group minimum instead of a zero point) "
          "have no !quant.uniform form";
    return nullptr;
  }
  if (!params.getExpressedType().isF32()) {
    why = "only f32 expressed types are exported";
    return nullptr;
  }
  num::StorageKind kind = params.getStorageKind();
  bool isSigned = num::isSignedStorage(kind);
  unsigned width = num::getStorageBitWidth(kind);
  num::IntRange range = params.getIntRange();
  unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;
  Type storage = IntegerType::get(ctx, width);
  Type f32 = Float32Type::get(ctx);
  ArrayRef<float> scales = params.getScales().asArrayRef();
  auto emitError = [&]() { return mlir::emitError(UnknownLoc::get(ctx)); };
  if (params.isPerTensor())
    return quant::UniformQuantizedType::getChecked(
        emitError, flags, storage, f32, scales[0], params.getZeroPoint(0),
        range.qmin, range.qmax);
  SmallVector<int64_t> zeroPoints;
  for (size_t i = 0; i < scales.size(); ++i)
    zeroPoints.push_back(params.getZeroPoint(i));
  if (params.getBlockSize() == 0) {
    SmallVector<double> wide(scales.begin(), scales.end());
    return quant::UniformQuantizedPerAxisType::getChecked(
        emitError, flags, storage, f32, wide, zeroPoints, params.getAxis(),
        range.qmin, range.qmax);
  }
  // Sub-channel: the scales as a tensor of the blocks' shape.
  if (llvm::any_of(shape, ShapedType::isDynamic)) {
    why = "per-block parameters on a dynamic shape";
    return nullptr;
  }
  if (shape[params.getAxis()] % params.getBlockSize() != 0) {
    // The quant dialect's sub-channel blocks divide the dimension.
    why = "a shorter last block has no sub-channel !quant.uniform form";
    return nullptr;
  }
  SmallVector<int64_t> blocks(shape);
  blocks[params.getAxis()] /= params.getBlockSize();
  auto scaleType = RankedTensorType::get(blocks, f32);
  auto zeroType = RankedTensorType::get(blocks, storage);
  SmallVector<APInt> zeros;
  for (int64_t z : zeroPoints)
    zeros.push_back(APInt(width, static_cast<uint64_t>(z), /*isSigned=*/true,
                          /*implicitTrunc=*/true));
  SmallVector<int32_t> dims;
  SmallVector<int64_t> sizes;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    dims.push_back(static_cast<int32_t>(d));
    sizes.push_back(d == params.getAxis() ? params.getBlockSize() : 1);
  }
  return quant::UniformQuantizedSubChannelType::getChecked(
      emitError, flags, storage, f32, DenseElementsAttr::get(scaleType, scales),
      DenseElementsAttr::get(zeroType, zeros), dims, sizes, range.qmin,
      range.qmax);
}

//===----------------------------------------------------------------------===//
// Import: quant -> qnt
//===----------------------------------------------------------------------===//

void quantopt::addQuantStorageTypeConversion(TypeConverter &converter) {
  converter.addConversion([](Type t) { return t; });
  converter.addConversion([](quant::QuantizedType t) -> Type {
    return IntegerType::get(t.getContext(), t.getStorageTypeIntegralWidth());
  });
  converter.addConversion([&converter](RankedTensorType t) -> Type {
    auto q = dyn_cast<quant::QuantizedType>(t.getElementType());
    if (!q)
      return t;
    return RankedTensorType::get(t.getShape(),
                                 converter.convertType(t.getElementType()));
  });
}

namespace {

/// The quantized element type of a scalar or tensor type.
quant::QuantizedType getQuantElement(Type t) {
  return dyn_cast<quant::QuantizedType>(getElementTypeOrSelf(t));
}

/// The shape of a ranked tensor type (empty otherwise).
ArrayRef<int64_t> getShape(Type t) {
  if (auto ranked = dyn_cast<RankedTensorType>(t))
    return ranked.getShape();
  return {};
}

struct QCastToQuantize : OpConversionPattern<quant::QuantizeCastOp> {
  QCastToQuantize(const TypeConverter &converter, MLIRContext *ctx,
                  qnt::RoundingMode rounding)
      : OpConversionPattern(converter, ctx), rounding(rounding) {}

  LogicalResult
  matchAndRewrite(quant::QuantizeCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    std::string why;
    qnt::ParamsAttr params = getParamsFromQuantType(
        getQuantElement(op.getType()), getShape(op.getType()), why);
    Type result = getTypeConverter()->convertType(op.getType());
    if (!params || !isa<RankedTensorType>(result))
      return rewriter.notifyMatchFailure(op, why);
    rewriter.replaceOpWithNewOp<qnt::QuantizeOp>(op, result, adaptor.getInput(),
                                                 params, rounding);
    return success();
  }

  qnt::RoundingMode rounding;
};

struct DCastToDequantize : OpConversionPattern<quant::DequantizeCastOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(quant::DequantizeCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    std::string why;
    qnt::ParamsAttr params =
        getParamsFromQuantType(getQuantElement(op.getInput().getType()),
                               getShape(op.getInput().getType()), why);
    if (!params || !isa<RankedTensorType>(op.getType()))
      return rewriter.notifyMatchFailure(op, why);
    rewriter.replaceOpWithNewOp<qnt::DequantizeOp>(
        op, op.getType(), adaptor.getInput(), params, UnitAttr());
    return success();
  }
};

/// A storage cast is the identity once both sides are storage integers.
struct SCastToStorage : OpConversionPattern<quant::StorageCastOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(quant::StorageCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type result = getTypeConverter()->convertType(op.getType());
    if (result != adaptor.getInput().getType())
      return rewriter.notifyMatchFailure(op, "storage types differ");
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

} // namespace

void quantopt::populateUpstreamQuantToQntPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns,
    qnt::RoundingMode rounding) {
  patterns.add<QCastToQuantize>(converter, patterns.getContext(), rounding);
  patterns.add<DCastToDequantize, SCastToStorage>(converter,
                                                  patterns.getContext());
}

namespace {

struct QntImportUpstreamPass
    : quantopt::impl::QntImportUpstreamBase<QntImportUpstreamPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    std::optional<qnt::RoundingMode> mode = qnt::symbolizeRoundingMode(rounding);
    if (!mode) {
      mlir::emitError(module.getLoc())
          << "qnt-import-upstream: unknown rounding '" << rounding
          << "' (half_even, half_away, half_up)";
      return signalPassFailure();
    }
    // Every !quant type must have a qnt form, and only the casts and
    // function boundaries may carry one: say which op and why first.
    bool ok = true;
    llvm::DenseSet<Type> reported;
    module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<func::FuncOp, func::ReturnOp, func::CallOp>(op))
        return;
      bool usesQuant = false;
      auto check = [&](Type t) {
        quant::QuantizedType q = getQuantElement(t);
        if (!q)
          return;
        usesQuant = true;
        std::string why;
        if (!isa<RankedTensorType>(t))
          why = "only ranked tensors of !quant types convert";
        else
          getParamsFromQuantType(q, getShape(t), why);
        if (!why.empty() && reported.insert(t).second) {
          op->emitError() << "qnt-import-upstream: " << q << ": " << why;
          ok = false;
        }
      };
      for (Type t : op->getOperandTypes())
        check(t);
      for (Type t : op->getResultTypes())
        check(t);
      if (usesQuant && !isa<quant::QuantDialect>(op->getDialect())) {
        op->emitError() << "qnt-import-upstream: '" << op->getName()
                        << "' works on !quant values; only quant.qcast, "
                           "quant.dcast, quant.scast and function boundaries "
                           "convert (qnt has its own layer op, qnt.contract)";
        ok = false;
      }
    });
    if (!ok)
      return signalPassFailure();

    TypeConverter converter;
    addQuantStorageTypeConversion(converter);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<quant::QuantDialect>();
    target.addLegalDialect<qnt::QntDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return converter.isSignatureLegal(f.getFunctionType());
    });
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });
    RewritePatternSet patterns(ctx);
    populateUpstreamQuantToQntPatterns(converter, patterns, *mode);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    // No folding: the quant dialect folds dcast(qcast(x)) into x, which
    // would drop a fake quantization (a QDQ pair) and change the numbers.
    ConversionConfig config;
    config.foldingMode = DialectConversionFoldingMode::Never;
    if (failed(applyFullConversion(module, target, std::move(patterns),
                                   config)))
      signalPassFailure();
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Export: qnt -> quant
//===----------------------------------------------------------------------===//

namespace {

struct QuantizeToQCast : OpRewritePattern<qnt::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnt::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getRounding() != qnt::RoundingMode::half_even)
      return rewriter.notifyMatchFailure(op, "rounding other than half_even");
    if (!op.getSaturate() || op.getPrecision())
      return rewriter.notifyMatchFailure(
          op, "quant.qcast neither overflows to NaN nor divides in f16");
    auto type = cast<RankedTensorType>(op.getType());
    std::string why;
    quant::QuantizedType q =
        getQuantTypeFromParams(op.getParams(), type.getShape(), why);
    if (!q)
      return rewriter.notifyMatchFailure(op, why);
    Value cast = quant::QuantizeCastOp::create(
        rewriter, op.getLoc(), RankedTensorType::get(type.getShape(), q),
        op.getInput());
    rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, type, cast);
    return success();
  }
};

struct DequantizeToDCast : OpRewritePattern<qnt::DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(qnt::DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.hasPacking())
      return rewriter.notifyMatchFailure(op, "packed sub-byte storage");
    auto type = cast<RankedTensorType>(op.getInput().getType());
    std::string why;
    quant::QuantizedType q =
        getQuantTypeFromParams(op.getParams(), type.getShape(), why);
    if (!q)
      return rewriter.notifyMatchFailure(op, why);
    Value cast = quant::StorageCastOp::create(
        rewriter, op.getLoc(), RankedTensorType::get(type.getShape(), q),
        op.getInput());
    rewriter.replaceOpWithNewOp<quant::DequantizeCastOp>(op, op.getType(),
                                                         cast);
    return success();
  }
};

struct QntExportUpstreamPass
    : quantopt::impl::QntExportUpstreamBase<QntExportUpstreamPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateQntToUpstreamQuantPatterns(patterns);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      return signalPassFailure();
    // What stays in qnt, and why.
    getOperation()->walk([](Operation *op) {
      qnt::ParamsAttr params;
      ArrayRef<int64_t> shape;
      std::string why;
      if (auto q = dyn_cast<qnt::QuantizeOp>(op)) {
        params = q.getParams();
        shape = cast<RankedTensorType>(q.getType()).getShape();
        if (q.getRounding() != qnt::RoundingMode::half_even)
          why = "its rounding (" +
                qnt::stringifyRoundingMode(q.getRounding()).str() +
                ") would be lost: quant.qcast leaves rounding to the "
                "pipeline, and qnt-import-upstream reads it as half_even";
        else if (!q.getSaturate())
          why = "saturate = false (overflow to NaN or infinity) has no "
                "quant.qcast equivalent";
        else if (q.getPrecision())
          why = "its division in " +
                quantopt::numerics::getPrecisionName(q.getDivisionPrecision())
                    .str() +
                " has no quant.qcast equivalent";
      } else if (auto d = dyn_cast<qnt::DequantizeOp>(op)) {
        params = d.getParams();
        shape = cast<RankedTensorType>(d.getInput().getType()).getShape();
        if (d.hasPacking())
          why = "its input is packed sub-byte storage (two values per byte), "
                "which !quant.uniform cannot describe";
      } else {
        return;
      }
      if (why.empty())
        getQuantTypeFromParams(params, shape, why);
      emitRemark(op->getLoc()) << "qnt-export-upstream: '" << op->getName()
                               << "' stays in qnt: " << why;
    });
  }
};

} // namespace

void quantopt::populateQntToUpstreamQuantPatterns(RewritePatternSet &patterns) {
  patterns.add<QuantizeToQCast, DequantizeToDCast>(patterns.getContext());
}
