//===- QuantizableLayerModels.h - Layers --qnt-quantize knows ----*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_EXTERNALMODELS_QUANTIZABLELAYERMODELS_H
#define QUANTOPT_DIALECT_QNT_EXTERNALMODELS_QUANTIZABLELAYERMODELS_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace quantopt {

/// Attaches qnt::QuantizableLayerOpInterface to linalg.matmul (any operand
/// maps), linalg.batch_matmul, linalg.conv_2d_nhwc_hwcf,
/// linalg.conv_2d_nchw_fchw, linalg.depthwise_conv_2d_nhwc_hwc, tosa.conv2d,
/// tosa.depthwise_conv2d and tosa.matmul.
void registerQuantizableLayerModels(mlir::DialectRegistry &registry);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_EXTERNALMODELS_QUANTIZABLELAYERMODELS_H
