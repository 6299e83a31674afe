//===- QuantizableLayerModels.cpp - Layers --qnt-quantize knows -----------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/ExternalModels/QuantizableLayerModels.h"

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;

namespace {

/// Linalg contractions and convolutions: the weight is input #1, and its
/// axes are read off the indexing maps.
template <typename OpTy>
struct LinalgLayerModel
    : qnt::QuantizableLayerOpInterface::ExternalModel<LinalgLayerModel<OpTy>,
                                                      OpTy> {
  static linalg::LinalgOp linalgOp(Operation *op) {
    return cast<linalg::LinalgOp>(op);
  }

  OpOperand &getWeightOperand(Operation *op) const {
    return *linalgOp(op).getDpsInputOperand(1);
  }

  /// The parallel weight dimension that the activation does not use (the
  /// output channels); for depthwise convolutions, where the channel indexes
  /// both, the last parallel dimension. A size-1 dimension (the channel
  /// multiplier M of a depthwise HWCM filter, usually 1) gives way to another
  /// parallel dimension.
  int64_t getWeightChannelAxis(Operation *op) const {
    linalg::LinalgOp l = linalgOp(op);
    OpOperand &weight = getWeightOperand(op);
    AffineMap weightMap = l.getMatchingIndexingMap(&weight);
    AffineMap inputMap = l.getMatchingIndexingMap(l.getDpsInputOperand(0));
    auto shape = cast<ShapedType>(weight.get().getType()).getShape();
    auto iterators = l.getIteratorTypesArray();
    int64_t outputOnly = -1, lastParallel = -1;
    for (auto [axis, expr] : llvm::enumerate(weightMap.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(expr);
      if (!dim || iterators[dim.getPosition()] != utils::IteratorType::parallel)
        continue;
      if (shape[axis] != 1 || lastParallel < 0)
        lastParallel = axis;
      if (outputOnly < 0 && !inputMap.isFunctionOfDim(dim.getPosition()))
        outputOnly = axis;
    }
    if (outputOnly >= 0 && shape[outputOnly] != 1)
      return outputOnly;
    return lastParallel >= 0 ? lastParallel : outputOnly;
  }

  /// The reduction weight dimension that indexes the activation directly (K
  /// of a matmul, the input channels of a convolution).
  std::optional<int64_t> getWeightBlockAxis(Operation *op) const {
    linalg::LinalgOp l = linalgOp(op);
    AffineMap weightMap = l.getMatchingIndexingMap(&getWeightOperand(op));
    AffineMap inputMap = l.getMatchingIndexingMap(l.getDpsInputOperand(0));
    auto iterators = l.getIteratorTypesArray();
    for (auto [axis, expr] : llvm::enumerate(weightMap.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(expr);
      if (!dim || iterators[dim.getPosition()] != utils::IteratorType::reduction)
        continue;
      if (llvm::is_contained(inputMap.getResults(), expr))
        return axis;
    }
    return std::nullopt;
  }

};

/// TOSA layers with fixed weight layouts.
template <typename OpTy>
struct TosaLayerModel
    : qnt::QuantizableLayerOpInterface::ExternalModel<TosaLayerModel<OpTy>,
                                                      OpTy> {
  OpOperand &getWeightOperand(Operation *op) const {
    return op->getOpOperand(1);
  }
  int64_t getWeightChannelAxis(Operation *op) const {
    if (isa<tosa::Conv2DOp>(op))
      return 0; // [OC, KH, KW, IC]
    return 2;   // depthwise [KH, KW, C, M]; matmul b [N, C, W]
  }
  std::optional<int64_t> getWeightBlockAxis(Operation *op) const {
    if (isa<tosa::Conv2DOp>(op))
      return 3;
    if (isa<tosa::MatMulOp>(op))
      return 1;
    return std::nullopt;
  }
};

} // namespace

void quantopt::registerQuantizableLayerModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, linalg::LinalgDialect *) {
    linalg::MatmulOp::attachInterface<LinalgLayerModel<linalg::MatmulOp>>(*ctx);
    linalg::BatchMatmulOp::attachInterface<
        LinalgLayerModel<linalg::BatchMatmulOp>>(*ctx);
    linalg::Conv2DNhwcHwcfOp::attachInterface<
        LinalgLayerModel<linalg::Conv2DNhwcHwcfOp>>(*ctx);
    linalg::Conv2DNchwFchwOp::attachInterface<
        LinalgLayerModel<linalg::Conv2DNchwFchwOp>>(*ctx);
    linalg::DepthwiseConv2DNhwcHwcOp::attachInterface<
        LinalgLayerModel<linalg::DepthwiseConv2DNhwcHwcOp>>(*ctx);
    // NCHW depthwise (ONNX's depthwise Conv after quant-import-onnx).
    linalg::DepthwiseConv2DNchwChwOp::attachInterface<
        LinalgLayerModel<linalg::DepthwiseConv2DNchwChwOp>>(*ctx);
    // Grouped convolutions (ONNX's Conv with 1 < group < channels, and
    // ConvTranspose with groups, after quant-import-onnx).
    linalg::Conv2DNgchwGfchwOp::attachInterface<
        LinalgLayerModel<linalg::Conv2DNgchwGfchwOp>>(*ctx);
    // What tosa-to-linalg-named produces for tosa.conv2d and
    // tosa.depthwise_conv2d.
    linalg::Conv2DNhwcFhwcOp::attachInterface<
        LinalgLayerModel<linalg::Conv2DNhwcFhwcOp>>(*ctx);
    linalg::DepthwiseConv2DNhwcHwcmOp::attachInterface<
        LinalgLayerModel<linalg::DepthwiseConv2DNhwcHwcmOp>>(*ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, tosa::TosaDialect *) {
    tosa::Conv2DOp::attachInterface<TosaLayerModel<tosa::Conv2DOp>>(*ctx);
    tosa::DepthwiseConv2DOp::attachInterface<
        TosaLayerModel<tosa::DepthwiseConv2DOp>>(*ctx);
    tosa::MatMulOp::attachInterface<TosaLayerModel<tosa::MatMulOp>>(*ctx);
  });
}
