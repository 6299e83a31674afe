//===- IntegerLayers.h - Integer kernels for linalg layers -------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_INTEGERLAYERS_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_INTEGERLAYERS_H

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"
#include "QuantOpt/Numerics/Numerics.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Error.h"

namespace quantopt {

/// How the input activation of an integer layer is quantized.
struct ActivationConfig {
  /// Solve the parameters at run time (qnt.dynamic_quantize) or use `range`.
  bool dynamic = true;
  /// Per row (all dimensions but the reduced last one) instead of per tensor;
  /// applies to matmuls, whose activation rows map to output rows.
  bool perRow = false;
  /// With per-block weights (group-wise int4/int8), dynamic parameters per
  /// row and per block of the weights' block size, as llama.cpp's Q8_0 and
  /// ONNX Runtime's MatMulNBits quantize activations; other layers take
  /// per-row parameters (--qnt-quantize act-granularity=block).
  bool perBlock = false;
  numerics::StorageKind storage = numerics::StorageKind::U8;
  numerics::Scheme scheme = numerics::Scheme::Asymmetric;
  /// The NVFP4 scheme's tensor scale G (calibrated); 0: solved at run time
  /// from each tensor (qnt.dynamic_quantize's tensor_scale).
  float tensorScale = 0;
  /// Whose formulas solve static parameters (--qnt-quantize profile=), and
  /// torch's reduce_range (reduce-range=).
  numerics::Profile profile = numerics::Profile::QuantOpt;
  bool reduceRange = false;
  /// The solver options of static parameters.
  numerics::SolverOptions getSolverOptions() const;
  /// The static range (dynamic == false).
  double min = 0, max = 0;
  /// Layers whose second operand is an activation too (attention's matmuls):
  /// quantize both operands at run time (rewriteToDynamicActivationLayer)
  /// instead of keeping them in float (--qnt-quantize act-matmuls=dynamic).
  bool activationMatmuls = false;
  /// Depthwise convolutions keep float activations (--qnt-quantize
  /// act-depthwise; by default with dynamic activations): a run-time range
  /// and quantization of the input costs more than the layer's few
  /// multiply-adds per input element save.
  bool floatDepthwise = false;
  /// The layer's name: the location of its qnt.contract carries it (a
  /// NameLoc), so that tools find the layer again (--qnt-insert-observers on
  /// a quantized model, the kernels' remarks).
  std::string layerName;
};

/// Why per-block weights with static activations stay weight-only: the
/// block kernels take activations quantized at run time per row or per
/// block. rewriteToIntegerLayer's message; qnt-insert-observers' remark on
/// the per-block layers it observes quotes it.
inline constexpr llvm::StringLiteral kBlockWeightsNeedDynamicActivations =
    "per-block weights get integer kernels with dynamic activations per row "
    "or per block (act-granularity=row or block)";

/// Rewrites a float linalg layer (matmul, batch_matmul, convolution) into
/// one qnt.contract: the activation is quantized (qnt.quantize with static
/// parameters, which the chaining patterns may later replace with a static
/// producer's requantized output, or qnt.dynamic_quantize), the weight is
/// the stored constant, and the
/// op's result is the real value `float(acc) * (s_x * s_w)`, to which the
/// layer's original init is added when it is not zero. The op keeps the
/// layer's indexing maps. `weight` must have affine per-tensor, per-channel
/// or per-block (along the reduced dimension) parameters. Fails, leaving the IR untouched, with a message
/// when the layer does not fit.
llvm::Error rewriteToIntegerLayer(mlir::RewriterBase &rewriter,
                                  mlir::linalg::LinalgOp layer,
                                  const QuantizedWeight &weight,
                                  const ActivationConfig &activation);

/// Rewrites a float linalg layer whose second operand is an activation too
/// (the two matmuls of attention, `q k^T` and `p v`) into one qnt.contract
/// with both operands quantized at run time: the first per tensor (or per
/// row with `activation.perRow`, as rewriteToIntegerLayer does), the second
/// per tensor, both with `activation.storage` and `activation.scheme`; the
/// weight sums are computed at run time. The result is real,
/// `float(acc) * (s_x * s_w)`, plus the layer's init when not zero. Fails,
/// leaving the IR untouched, with a message when the layer does not fit
/// (`activation.dynamic` is ignored: run-time parameters are the point).
llvm::Error rewriteToDynamicActivationLayer(
    mlir::RewriterBase &rewriter, mlir::linalg::LinalgOp layer,
    const ActivationConfig &activation);

/// The weight-only form of `layer`: its weight operand becomes a
/// qnt.dequantize of the stored `weight` (packed when its storage is 2 or 4
/// bits wide, packSubByte); the layer keeps computing in float.
void rewriteToWeightOnlyLayer(mlir::RewriterBase &rewriter,
                              mlir::qnt::QuantizableLayerOpInterface layer,
                              const QuantizedWeight &weight);

/// Whether `v` is a float tensor of zeros (a zero constant or a zero fill):
/// a layer init that adds nothing.
bool isZeroFill(mlir::Value v);

/// `c + real` (f32 tensors of one shape) as one element-wise generic: how
/// rewriteToIntegerLayer adds a layer's non-zero init after its
/// qnt.contract.
mlir::Value buildInitAdd(mlir::OpBuilder &b, mlir::Location loc, mlir::Value c,
                         mlir::Value real);

/// The (layer value, c) of a generic buildInitAdd built, if `generic` is one.
std::optional<std::pair<mlir::Value, mlir::Value>>
matchInitAdd(mlir::linalg::GenericOp generic);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_INTEGERLAYERS_H
