//===- Layout.cpp - NCHW layers to NHWC, with the transposes planned ------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-convert-to-nhwc rewrites the channels-first layers ONNX models come
// with (conv_2d_nchw_fchw, depthwise_conv_2d_nchw_chw, pooling_nchw_max and
// pooling_nchw_sum) into their channels-last forms, which have kernels (and
// through which static int8 chains), between two linalg.transpose ops, and
// then moves the transposes so that a network pays for them once, with the
// patterns of TransposePropagation.cpp. This file also holds the layout
// helpers of Layout.h (permuted constants, empties and parameters).
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/Layout.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>

namespace quantopt {
#define GEN_PASS_DEF_QNTCONVERTTONHWC
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;
using namespace quantopt;

bool quantopt::isInsertIntoFill(tensor::InsertSliceOp insert) {
  return insert.getSourceType().getRank() == insert.getDestType().getRank() &&
         insert.getDest().getDefiningOp<linalg::FillOp>();
}

namespace {
constexpr int64_t kToNhwc[] = {0, 2, 3, 1};
constexpr int64_t kToNchw[] = {0, 3, 1, 2};

/// The size of dimension `d` of `v`, as a value.
Value dimSize(OpBuilder &b, Location loc, Value v, int64_t d) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.isDynamicDim(d))
    return arith::ConstantIndexOp::create(b, loc, type.getDimSize(d));
  return tensor::DimOp::create(b, loc, v, d);
}

} // namespace

Value quantopt::emptyPermuted(OpBuilder &b, Location loc, Value v,
                              ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  for (int64_t p : perm) {
    shape.push_back(type.getDimSize(p));
    if (type.isDynamicDim(p))
      dynamic.push_back(dimSize(b, loc, v, p));
  }
  return tensor::EmptyOp::create(b, loc, shape, type.getElementType(), dynamic);
}

Value quantopt::transposeValue(OpBuilder &b, Location loc, Value v,
                               ArrayRef<int64_t> perm) {
  return linalg::TransposeOp::create(b, loc, v, emptyPermuted(b, loc, v, perm),
                                     perm)
      ->getResult(0);
}

DenseElementsAttr
quantopt::gatherConstant(DenseElementsAttr attr, RankedTensorType type,
                         function_ref<int64_t(int64_t)> source) {
  if (attr.isSplat())
    return attr.resizeSplat(type);
  int64_t n = type.getNumElements();
  unsigned bits = attr.getElementType().getIntOrFloatBitWidth();
  if (bits % 8 == 0 && !attr.isSplat()) {
    ArrayRef<char> raw = attr.getRawData();
    size_t bytes = bits / 8;
    std::vector<char> out(n * bytes);
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(&out[i * bytes], &raw[source(i) * bytes], bytes);
    return DenseElementsAttr::getFromRawBuffer(type, out);
  }
  SmallVector<Attribute> values(attr.getValues<Attribute>());
  SmallVector<Attribute> out(n);
  for (int64_t i = 0; i < n; ++i)
    out[i] = values[source(i)];
  return DenseElementsAttr::get(type, out);
}

DenseElementsAttr quantopt::permuteConstant(DenseElementsAttr attr,
                                            ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(attr.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<int64_t> srcStrides = computeStrides(type.getShape());
  SmallVector<int64_t> dstStrides = computeStrides(shape);
  return gatherConstant(attr, resultType, [&](int64_t i) {
    int64_t offset = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      offset += (i / dstStrides[d]) % shape[d] * srcStrides[perm[d]];
    return offset;
  });
}

namespace {

/// `v` transposed: a new constant when `v` is one, else a linalg.transpose.
Value permuteOperand(OpBuilder &b, Location loc, Value v,
                     ArrayRef<int64_t> perm) {
  DenseElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr)) && attr.getType().hasStaticShape())
    return arith::ConstantOp::create(b, loc, permuteConstant(attr, perm));
  return transposeValue(b, loc, v, perm);
}

bool onRankedTensors(Operation *op) {
  return llvm::all_of(op->getOperandTypes(), llvm::IsaPred<RankedTensorType>);
}

/// A channels-first layer -> its channels-last form between transposes:
/// conv_2d_nchw_fchw -> conv_2d_nhwc_hwcf (weights [KH][KW][C][F]),
/// depthwise_conv_2d_nchw_chw -> depthwise_conv_2d_nhwc_hwc ([KH][KW][C]),
/// pooling_nchw_{max,sum} -> pooling_nhwc_{max,sum} (the window operand as
/// it is). Constant weights are transposed at compile time.
template <typename FromOp, typename ToOp>
struct LayerToNhwc : OpRewritePattern<FromOp> {
  LayerToNhwc(MLIRContext *ctx, ArrayRef<int64_t> weightPerm)
      : OpRewritePattern<FromOp>(ctx), weightPerm(weightPerm) {}
  LogicalResult matchAndRewrite(FromOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || !onRankedTensors(op))
      return rewriter.notifyMatchFailure(op, "not on ranked tensors");
    Location loc = op.getLoc();
    Value x = transposeValue(rewriter, loc, op.getInputs()[0], kToNhwc);
    Value w = op.getInputs()[1];
    if (!weightPerm.empty())
      w = permuteOperand(rewriter, loc, w, weightPerm);
    Value init = transposeValue(rewriter, loc, op.getOutputs()[0], kToNhwc);
    auto nhwc = ToOp::create(rewriter, loc, TypeRange{init.getType()},
                             ValueRange{x, w}, ValueRange{init},
                             op.getStrides(), op.getDilations());
    rewriter.replaceOp(
        op, transposeValue(rewriter, loc, nhwc->getResult(0), kToNchw));
    return success();
  }
  /// How the weights are transposed; empty: kept (pooling's window).
  SmallVector<int64_t> weightPerm;
};
} // namespace

qnt::ParamsAttr quantopt::permuteParams(qnt::ParamsAttr params,
                                        ArrayRef<int64_t> axisMap) {
  if (params.getBlockSize() > 0)
    return nullptr;
  if (params.isPerTensor())
    return params;
  return qnt::ParamsAttr::get(
      params.getContext(), params.getStorageType(), params.getExpressedType(),
      axisMap[params.getAxis()], params.getBlockSize(), params.getNarrowRange(),
      params.getPowerOfTwo(), params.getScales(), params.getZeroPoints(),
      params.getMinValues(), params.getRangeMin(), params.getRangeMax(),
      params.getTensorScale());
}

namespace {
struct QntConvertToNhwcPass
    : quantopt::impl::QntConvertToNhwcBase<QntConvertToNhwcPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateQntConvertToNhwcPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Then the transposes left that move only unit dimensions become views
    // (after the propagation, which would otherwise stop at them).
    RewritePatternSet views(&getContext());
    populateQntUnitDimTransposePatterns(views);
    if (failed(applyPatternsGreedily(getOperation(), std::move(views))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntConvertToNhwcPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<LayerToNhwc<linalg::Conv2DNchwFchwOp, linalg::Conv2DNhwcHwcfOp>>(
      ctx, ArrayRef<int64_t>{2, 3, 1, 0});
  patterns.add<LayerToNhwc<linalg::DepthwiseConv2DNchwChwOp,
                           linalg::DepthwiseConv2DNhwcHwcOp>>(
      ctx, ArrayRef<int64_t>{1, 2, 0});
  patterns.add<LayerToNhwc<linalg::PoolingNchwMaxOp, linalg::PoolingNhwcMaxOp>,
               LayerToNhwc<linalg::PoolingNchwSumOp, linalg::PoolingNhwcSumOp>>(
      ctx, ArrayRef<int64_t>{});
  populateQntTransposePropagationPatterns(patterns);
}
